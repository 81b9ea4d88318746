"""A run's derived keys made again from its log: `derive` over every event, in a view where the
run has no derived keys yet. `writeit doctor` compares a store with it and repairs from it;
schema migrations rebuild every run with it."""

from __future__ import annotations

from typing import Any

from writeit.domain.events import EVENT_LIST_ADAPTER, Event, StepStarted
from writeit.storage import keys
from writeit.storage.derive import derive


class RunView:
    """A transaction as `derive` sees it while one run's log is appended again: that run's
    own derived keys start empty and writes stay here; everything else reads through."""

    def __init__(self, txn: Any, run_id: str) -> None:
        self.txn = txn
        self.run_key = keys.run(run_id)
        self.own_prefixes = (
            f"step:{run_id}:".encode(),
            f"step_responses:{run_id}:".encode(),
            keys.active(run_id, ""),
        )
        self.written: dict[bytes, bytes | None] = {}
        self.responses: set[bytes] = set()  # response keys this run's log creates

    def get(self, key: bytes) -> bytes | None:
        if key in self.written:
            return self.written[key]
        if key == self.run_key or key.startswith(self.own_prefixes) or key in self.responses:
            return None
        raw = self.txn.get(key)
        return bytes(raw) if raw is not None else None


def rebuild(txn: Any, run_id: str, events: list[Event]) -> dict[bytes, bytes]:
    """Every derived key of the run (its snapshots, indexes and responses) as appending its log
    again writes it (plain JSON); `active:` markers and parents' children lists left out."""
    view = RunView(txn, run_id)
    for event in events:
        if isinstance(event, StepStarted):
            view.responses.update(keys.response(s.response_id) for s in event.responses)
        view.written.update(derive(view, event))
    return {
        k: v
        for k, v in view.written.items()
        if v is not None and not k.startswith((keys.ACTIVE_PREFIX, keys.CHILDREN_PREFIX))
    }


def log_events(raws: list[bytes]) -> list[Event]:
    return EVENT_LIST_ADAPTER.validate_json(b"[" + b",".join(raws) + b"]")
