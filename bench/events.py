"""A realistic event log, taken from a real offline run and re-chunked to real streaming pace.

The offline models at full speed finish a response before the 250 ms flush timer fires, so a
captured log has one text event per response. A real stream at ~60 tokens/s per model flushes
about every 15 tokens, so each response's text is re-cut into flushes of that size, interleaved
across the step's concurrent responses as they would arrive. Everything else (run_created with
its inputs, step_started with the full rendered prompt, response_finished with usage, picks) is
exactly what the engine wrote.
"""

from __future__ import annotations

import asyncio
import functools
import os
import tempfile
import uuid
from collections import defaultdict
from pathlib import Path

from writeit.domain.events import (
    EVENT_ADAPTER,
    Event,
    ResponseFinished,
    ResponseTextAppended,
    RunCreated,
    StepStarted,
)
from writeit.providers.offline_text import tokens

TOKENS_PER_FLUSH = 15  # 60 tok/s per stream x 250 ms flush interval
# The offline writer's responses are short (80-300 words); a real model at the shipped
# max_tokens=1500 writes several times more. Scaling them by 4 gives 300-1,200 tokens a response
# (a draft of ~1,000), so snapshot rewrites cost what they cost in a real run.
LENGTH_SCALE = 4
MODELS = "offline:writer,offline:editor,offline:writer,offline:editor"


async def _capture(home: Path, regenerations: int) -> list[Event]:
    from writeit.domain.status import RunStatus
    from writeit.engine import Engine, parse_model_specs

    engine = Engine.open(home, environ={})
    captured: list[Event] = []
    engine.subscribe(on_event=captured.append)
    try:
        models = parse_model_specs([MODELS])
        run = engine.start_run("tech-article", {"topic": "LMDB in Python"}, models=models)
        run_id = run.run_id
        while engine.load(run_id).status is not RunStatus.COMPLETED:
            await engine.run_step(run_id)
            for _ in range(regenerations):
                await engine.regenerate(run_id)
            # a section step (tech-article's draft and polish) is picked section by section
            state = engine.load(run_id)
            sectioned = bool(state.current_step and state.steps[state.current_step].sections)
            run_id = engine.accept_all(run_id) if sectioned else engine.pick(run_id, 0)
    finally:
        engine.close()
    return captured


@functools.lru_cache(maxsize=8)
def _captured(regenerations: int) -> tuple[Event, ...]:
    old = os.environ.get("WRITEIT_OFFLINE_TPS")
    os.environ["WRITEIT_OFFLINE_TPS"] = "0"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            return tuple(asyncio.run(_capture(Path(tmp) / "home", regenerations)))
    finally:
        if old is None:
            os.environ.pop("WRITEIT_OFFLINE_TPS", None)
        else:
            os.environ["WRITEIT_OFFLINE_TPS"] = old


def captured_run(regenerations: int = 0) -> list[Event]:
    """Every event of one complete 4-step, 4-model tech-article run, as the engine wrote it.

    `regenerations`: how many times each step is regenerated before its pick. Captured once
    per process (events are immutable).
    """
    return list(_captured(regenerations))


def rechunk(
    events: list[Event], tokens_per_flush: int = TOKENS_PER_FLUSH, *, repeat: int = LENGTH_SCALE
) -> list[Event]:
    """The same run with each response's text flushed every `tokens_per_flush` tokens.

    `repeat` makes every response that many times longer (for logs of a given size).
    """
    text: dict[str, str] = defaultdict(str)
    for e in events:
        if isinstance(e, ResponseTextAppended | ResponseFinished):
            text[e.response_id] += e.text
    text = defaultdict(str, {k: v * repeat for k, v in text.items()})
    out: list[Event] = []
    for e in events:
        if isinstance(e, ResponseTextAppended):
            continue
        if isinstance(e, StepStarted):
            out.append(e)
            chunks = {
                r.response_id: _chunks(text[r.response_id], tokens_per_flush) for r in e.responses
            }
            longest = max((len(c) for c in chunks.values()), default=0)
            for i in range(longest):
                for rid, parts in chunks.items():
                    if i < len(parts):
                        out.append(
                            ResponseTextAppended(
                                run_id=e.run_id,
                                at=e.at,
                                step=e.step,
                                response_id=rid,
                                text=parts[i],
                                first_token_s=0.4 if i == 0 else None,
                            )
                        )
            continue
        if isinstance(e, ResponseFinished):
            e = e.model_copy(update={"text": ""})
        out.append(e)
    return out


def _chunks(text: str, size: int) -> list[str]:
    parts = tokens(text)
    return ["".join(parts[i : i + size]) for i in range(0, len(parts), size)]


def with_fresh_ids(events: list[Event]) -> list[Event]:
    """The same events under new run and response ids (so one store can hold many copies)."""
    ids = {events[0].run_id}
    for e in events:
        if isinstance(e, StepStarted):
            ids.update(r.response_id for r in e.responses)
    raws = [EVENT_ADAPTER.dump_json(e).decode() for e in events]
    for old in ids:
        new = str(uuid.uuid4())
        raws = [r.replace(old, new) for r in raws]
    return [EVENT_ADAPTER.validate_json(r) for r in raws]


def realistic_run() -> list[Event]:
    """One run's log at real streaming pace (about 800 events for 4 steps x 4 models)."""
    events = rechunk(captured_run())
    assert isinstance(events[0], RunCreated)
    return events
