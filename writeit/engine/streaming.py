"""The steps this engine is streaming: their tasks (so they can be cancelled) and the limit on
how many steps stream at once (`max_concurrent_pipelines`; others wait their turn)."""

from __future__ import annotations

import asyncio

from writeit.engine.budget import LiveSpend
from writeit.engine.eventlog import EventLog
from writeit.engine.fanout import FanOut, StreamJob
from writeit.providers.registry import ProviderRegistry


class Streams:
    def __init__(
        self, log: EventLog, registry: ProviderRegistry, secrets: list[str], concurrent: int
    ) -> None:
        self._log = log
        self._registry = registry
        self._secrets = secrets
        self._tasks: dict[str, set[asyncio.Task[None]]] = {}
        self.spending: dict[str, LiveSpend] = {}  # run id -> live cost of its streaming step
        self.slots = asyncio.Semaphore(concurrent)

    async def stream(
        self, run_id: str, jobs: list[StreamJob], spend: LiveSpend | None = None
    ) -> None:
        """Stream every job of one step to its end (one failing stream never stops the others);
        `spend` counts its live cost and stops the streams at the run's budget."""
        log = self._log
        fanout = FanOut(
            self._registry,
            log.append,
            log.now,
            self._secrets,
            log.on_delta,
            log.on_notice,
            log.on_reasoning,
            spend,
        )
        if spend is not None:
            self.spending[run_id] = spend
        tasks = self._tasks.setdefault(run_id, set())
        try:
            await fanout.run(jobs, tasks)
        finally:
            if spend is not None and self.spending.get(run_id) is spend:
                del self.spending[run_id]
            if not tasks and self._tasks.get(run_id) is tasks:
                del self._tasks[run_id]  # nothing of the run streams: a long session keeps none
        log.store.sync()

    def cancel(self, run_id: str) -> int:
        """Cancel every response of the run still streaming; they end `cancelled` with their text."""
        tasks = [t for t in self._tasks.get(run_id, set()) if not t.done()]
        for task in tasks:
            task.cancel()
        return len(tasks)

    def live_cost(self, response_id: str) -> float | None:
        """What a response streaming now has cost so far: None when its price is unknown, 0.0
        when this process is not streaming it (nothing spent here)."""
        for spend in self.spending.values():
            if response_id in spend.responses:
                return spend.cost_of(response_id)
        return 0.0

    def is_streaming(self, run_id: str) -> bool:
        return any(not t.done() for t in self._tasks.get(run_id, set()))
