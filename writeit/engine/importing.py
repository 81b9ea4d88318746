"""Bringing runs in: a YAML export made into events again, and another WriteIt store merged.

Runs are merged by run id and event sequence. A run this store lacks is copied event by event; a
run whose log here is a prefix of the other's gets the rest; one whose log here holds everything
the other has is left alone. A run whose logs differ at some seq has diverged: it is never
rewritten. The other side is imported beside it as a branch (child of the run here, its run and
response ids renamed deterministically, so a second merge finds the branch it made and changes
nothing). Every write is guarded by the run's last seq inside the write transaction, so a
process writing either store meanwhile is never overwritten: the run is reported, not merged.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from writeit.domain.errors import NotFound, WriteItError
from writeit.domain.events import EVENT_ADAPTER, Event, RunCreated, StepStarted
from writeit.domain.models import PipelineRun
from writeit.engine.pages import RunPage, RunQuery
from writeit.engine.search import EVERY_RUN

NAMESPACE = uuid.UUID("6c1f7a4e-2f0b-5d7e-9b61-1f0a4c3e8d20")  # WriteIt's ids made from ids
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class Diverged(WriteItError):
    """The run changed here between reading it and writing (another process wrote it)."""


class LogReader(Protocol):
    """What a merge reads of a store: the engine's public read API."""

    def runs(self, query: RunQuery | None = None) -> RunPage: ...
    def load(self, run_id: str) -> PipelineRun: ...
    def history(self, run_id: str) -> list[Event]: ...
    def run_blobs(self, run: PipelineRun) -> dict[bytes, bytes]: ...


class LogWriter(LogReader, Protocol):
    def append_log(
        self,
        run_id: str,
        events: Sequence[Event],
        *,
        after: int,
        blobs: Mapping[bytes, bytes] | None = None,
    ) -> list[Event]: ...


@dataclass
class ImportReport:
    """What an import or merge did, run by run."""

    added: list[str] = field(default_factory=list)
    extended: list[tuple[str, int]] = field(default_factory=list)  # run, events appended
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)  # run, branch, why
    skipped: list[tuple[str, str]] = field(default_factory=list)  # run, why
    notes: list[str] = field(default_factory=list)  # advice on what to import next

    def lines(self) -> list[str]:
        out = [f"added run {r}" for r in self.added]
        out += [f"extended run {r} by {n} events" for r, n in self.extended]
        out += [
            f"conflict: run {r[:8]} {why}; imported the other side as branch {b}"
            if b
            else f"conflict: run {r[:8]} {why}"
            for r, b, why in self.conflicts
        ]
        out += [f"skipped run {r[:8]}: {why}" for r, why in self.skipped]
        out += [f"note: {note}" for note in self.notes]
        out.append(
            f"{len(self.added)} added, {len(self.extended)} extended, "
            f"{len(self.unchanged)} unchanged, {len(self.conflicts)} conflicts, "
            f"{len(self.skipped)} skipped"
        )
        return out

    def shape(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "extended": [{"run_id": r, "events": n} for r, n in self.extended],
            "unchanged": self.unchanged,
            "conflicts": [
                {"run_id": r, "branch_run_id": b or None, "why": why}
                for r, b, why in self.conflicts
            ],
            "skipped": [{"run_id": r, "why": why} for r, why in self.skipped],
            "notes": self.notes,
        }


def merge_store(engine: LogWriter, source: LogReader) -> ImportReport:
    """Merge every run of `source` (another home's engine) into `engine`'s store."""
    report = ImportReport()
    for snapshot in source.runs(EVERY_RUN).runs:
        run_id = snapshot.run_id
        if snapshot.damaged:
            report.skipped.append((run_id, snapshot.damaged))
            continue
        try:
            run = source.load(run_id)
            if run.steps_streaming():
                report.skipped.append((run_id, "still streaming there; merge again when it ends"))
                continue
            theirs = source.history(run_id)
            blobs = source.run_blobs(run)
        except WriteItError as exc:
            report.skipped.append((run_id, str(exc)))
            continue
        merge_run(engine, theirs, blobs, report)
    return report


def merge_run(
    engine: LogWriter,
    theirs: list[Event],
    blobs: Mapping[bytes, bytes],
    report: ImportReport,
    branch_salt: str = "",
) -> None:
    """Merge one run's log (`theirs`, from seq 0) into `engine`, recording what happened."""
    run_id = theirs[0].run_id
    try:
        ours = _history_or_empty(engine, run_id)
    except WriteItError as exc:
        report.skipped.append((run_id, str(exc)))
        return
    common = _common_prefix(ours, theirs)
    if common == len(theirs):
        report.unchanged.append(run_id)
        return
    if common == len(ours):
        _append(engine, run_id, theirs[common:], len(ours) - 1, blobs, report)
        return
    where = _where(theirs[common])
    branch_id = _derived_id(run_id, f"{common}:{branch_salt}:{_digest(theirs[common])}")
    branch = renamed(theirs, branch_id, parent=run_id, point=where)
    try:
        there = _history_or_empty(engine, branch_id)
    except WriteItError as exc:
        report.skipped.append((branch_id, str(exc)))
        return
    why = f"diverged at event {common} ({theirs[common].type}{' of ' + where if where else ''})"
    if _rebuilt_here(ours[common], theirs[common]):
        why += ": the run here was rebuilt from its YAML export, which holds no prompts or times"
    shared = _common_prefix(there, branch)
    if shared == len(branch):
        report.unchanged.append(branch_id)  # imported as this branch by an earlier merge
        return
    if shared != len(there):
        report.conflicts.append((run_id, "", why + ", and so did its branch here: left alone"))
        return
    report.conflicts.append((run_id, branch_id, why))
    _append(engine, branch_id, branch[shared:], len(there) - 1, blobs, ImportReport())


def _append(
    engine: LogWriter,
    run_id: str,
    events: list[Event],
    after: int,
    blobs: Mapping[bytes, bytes],
    report: ImportReport,
) -> None:
    try:
        engine.append_log(run_id, events, after=after, blobs=blobs)
    except Diverged as exc:
        report.skipped.append((run_id, str(exc)))
        return
    except WriteItError as exc:
        report.skipped.append((run_id, f"its events cannot be applied here: {exc}"))
        return
    if after < 0:
        report.added.append(run_id)
    else:
        report.extended.append((run_id, len(events)))


def append_log(
    append: Callable[[Event, Mapping[bytes, bytes] | None], Event],
    append_planned: Callable[[str, Callable[[PipelineRun, Any], Sequence[Event]]], list[Event]],
    run_id: str,
    events: Sequence[Event],
    after: int,
    blobs: Mapping[bytes, bytes] | None,
) -> list[Event]:
    """Append `events` to `run_id` only while its last seq is `after` (-1: the run must not
    exist yet), checked inside the write transaction; raises `Diverged` otherwise."""
    written: list[Event] = []
    rest = list(events)
    if after < 0:
        first = rest.pop(0)
        try:
            written.append(append(first, blobs))
        except WriteItError:
            raise Diverged(f"run {run_id[:8]} was created here meanwhile; merge again") from None
        after = 0

    def decide(state: PipelineRun, _owners: Any) -> Sequence[Event]:
        if state.last_seq != after:
            raise Diverged(f"run {run_id[:8]} changed here meanwhile; merge again")
        return rest

    if rest:
        written += append_planned(run_id, decide)
    return written


def renamed(events: list[Event], new_id: str, *, parent: str, point: str | None) -> list[Event]:
    """`events` as run `new_id`, a branch of `parent`: the run id and every response id are
    replaced by ids derived from them (responses are stored by id, so the branch's own)."""
    created = events[0]
    assert isinstance(created, RunCreated)
    keep = {created.parent_run_id} if created.parent_run_id else set()
    out: list[Event] = []
    for event in events:
        text = UUID_TEXT.sub(
            lambda m: m.group(0) if m.group(0) in keep else _derived_id(new_id, m.group(0)),
            event.model_dump_json(),
        )
        text = text.replace(_derived_id(new_id, event.run_id), new_id)
        out.append(EVENT_ADAPTER.validate_json(text))
    first = out[0]
    assert isinstance(first, RunCreated)
    # Dated a microsecond after the run it diverged from, so lists show it right after it.
    out[0] = first.model_copy(
        update={
            "parent_run_id": parent,
            "branch_point": created.branch_point or point,
            "at": created.at + timedelta(microseconds=1),
        }
    )
    return out


def _history_or_empty(engine: LogReader, run_id: str) -> list[Event]:
    try:
        return engine.history(run_id)
    except NotFound:
        return []


def _common_prefix(ours: list[Event], theirs: list[Event]) -> int:
    n = 0
    for a, b in zip(ours, theirs, strict=False):
        if a.model_dump(mode="json") != b.model_dump(mode="json"):
            break
        n += 1
    return n


def _rebuilt_here(ours: Event, theirs: Event) -> bool:
    """Whether the logs part where ours has the empty prompt of a run imported from YAML."""
    return (
        isinstance(ours, StepStarted)
        and isinstance(theirs, StepStarted)
        and not ours.prompt
        and bool(theirs.prompt)
        and (ours.step, ours.responses) == (theirs.step, theirs.responses)
    )


def _where(event: Event) -> str | None:
    step = getattr(event, "step", None)
    return step if isinstance(step, str) else None


def _digest(event: Event) -> str:
    return hashlib.sha256(
        json.dumps(event.model_dump(mode="json"), sort_keys=True).encode()
    ).hexdigest()


def _derived_id(base: str, part: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{base}:{part}"))
