"""The engine's side of the store: every event appended here, and everyone told of it.

Listeners (the TUI, the CLI's progress lines) subscribe and get back an unsubscribe; they are
called synchronously after each commit, so they must only hand work on, never block.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypeVar

from writeit import logs
from writeit.domain.errors import IllegalTransition
from writeit.domain.events import Event, ResponseFinished, StepStarted
from writeit.domain.status import ResponseStatus
from writeit.engine.fanout import DeltaListener, NoticeListener
from writeit.storage.liveness import own_start
from writeit.storage.store import Decide, Store

EventListener = Callable[[Event], None]
E = TypeVar("E", bound=Event)


class EventLog:
    """Appends events to the store (one transaction each, with their derived keys) and fans
    each stored event, streamed token and notice out to the subscribers."""

    def __init__(self, store: Store, now: Callable[[], datetime]) -> None:
        self.store = store
        self.now = now
        self.on_event: list[EventListener] = []
        self.on_delta: list[DeltaListener] = []
        self.on_notice: list[NoticeListener] = []
        self.on_reasoning: list[DeltaListener] = []

    def subscribe(
        self,
        on_event: EventListener | None,
        on_delta: DeltaListener | None,
        on_notice: NoticeListener | None,
        on_reasoning: DeltaListener | None = None,
    ) -> Callable[[], None]:
        added: list[tuple[list[object], object]] = []
        for listeners, fn in (
            (self.on_event, on_event),
            (self.on_delta, on_delta),
            (self.on_notice, on_notice),
            (self.on_reasoning, on_reasoning),
        ):
            if fn is not None:
                listeners.append(fn)  # type: ignore[arg-type]
                added.append((listeners, fn))  # type: ignore[arg-type]

        def unsubscribe() -> None:
            for listeners, fn in added:
                if fn in listeners:
                    listeners.remove(fn)

        return unsubscribe

    def append(self, event: E, blobs: Mapping[bytes, bytes] | None = None) -> E:
        stamped = self.store.append(_owned(event), blobs)
        self._told(stamped)
        return stamped

    def append_planned(self, run_id: str, decide: Decide) -> list[Event]:
        """Append what `decide` makes of the run's stored state, decided and written in one
        write transaction (see `Store.append_planned`); listeners hear each event after it."""
        stamped = self.store.append_planned(run_id, lambda s, o: [_owned(e) for e in decide(s, o)])
        for event in stamped:
            self._told(event)
        return stamped

    def _told(self, stamped: Event) -> None:
        logs.event(stamped)
        for listener in list(self.on_event):
            listener(stamped)

    def recover_interrupted(self) -> int:
        """Responses whose streaming process is gone become `interrupted`, keeping their text."""
        count = 0
        for run_id, step, response_id, owner in self.store.active_responses():
            if owner.alive():
                continue
            try:
                self.append(
                    ResponseFinished(
                        run_id=run_id,
                        at=self.now(),
                        step=step,
                        response_id=response_id,
                        status=ResponseStatus.INTERRUPTED,
                        error="interrupted: WriteIt stopped while this response streamed",
                    )
                )
                count += 1
            except IllegalTransition:
                continue  # another process recovered it first
        if count:
            self.store.sync()
        return count


def _owned(event: E) -> E:
    """A step this process starts records when the process started, beside its pid, so that
    after a crash no later process with the same pid passes for its owner."""
    if (
        isinstance(event, StepStarted)
        and event.owner_pid == os.getpid()
        and event.owner_started is None
    ):
        return event.model_copy(update={"owner_started": own_start()})
    return event
