"""Derived keys checked against a replay of the log, and rebuilt from it (`writeit doctor`).

The log is the truth: a run's state is `fold_raw` over its events (the same replay as time
travel), and its derived keys are what `derive` writes when the log is appended again, event by
event, over a view where the run has no derived keys yet (`rebuild`). Nothing here writes an
event; a repair rewrites only derived keys, inside one write transaction that re-reads the log,
so an append made meanwhile by another process is either wholly before it or wholly after it.
Schema migrations rebuild derived keys the same way.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from writeit.domain.errors import WriteItError
from writeit.domain.events import EVENT_ADAPTER, RunCreated
from writeit.domain.models import PipelineRun
from writeit.storage import keys
from writeit.storage.codec import put_derived, unpack
from writeit.storage.rebuild import log_events, rebuild
from writeit.storage.scan import scan
from writeit.storage.store import DamagedRun, fold_raw

EVENT_PREFIX = b"event:"
RUN_PREFIX = b"run:"
INDEX_PREFIXES = (keys.RUN_BY_CONFIG_PREFIX, keys.RECENT_RUNS_PREFIX)
PARENT_PREFIX = b"branch_parent:"
CHILDREN_PREFIX = b"branch_children:"
PAST_RUN = b";"  # sorts right after ':' : `event:{run};` is past every event of that run

Writes = dict[bytes, bytes | None]  # None deletes the key


@dataclass(frozen=True)
class KeyProblem:
    """One derived key that disagrees with the replay; `fix` is what a repair writes."""

    key: str
    what: str
    fix: bytes | None
    repairable: bool = True


@dataclass
class RunCheck:
    """What a run's log and derived keys look like next to a replay of the log."""

    run_id: str
    log_problem: str | None = None  # the log cannot be replayed: derived keys are not judged
    keys: list[KeyProblem] = field(default_factory=list)
    parent: str | None = None
    created_at: str = ""

    @property
    def fixes(self) -> Writes:
        return {p.key.encode(): p.fix for p in self.keys if p.repairable}


@dataclass
class Indexes:
    """Every index entry and snapshot of the store, by the run they point to (one scan each)."""

    runs_in_log: list[str]
    snapshots: set[str]
    entries: dict[str, set[bytes]]  # run id -> its run_by_config:/recent_runs: keys
    children: dict[str, bytes]  # parent run id -> raw branch_children: value


def _ids_in_log(txn: Any) -> Iterator[str]:
    """Each run id that has events, one cursor jump per run (not one step per event)."""
    cur = txn.cursor()
    found = cur.set_range(EVENT_PREFIX)
    while found:
        key = bytes(cur.key())
        if not key.startswith(EVENT_PREFIX):
            return
        run_id = key[len(EVENT_PREFIX) :].rsplit(b":", 1)[0]
        yield run_id.decode("utf-8", "replace")
        found = cur.set_range(EVENT_PREFIX + run_id + PAST_RUN)


def read_indexes(txn: Any) -> Indexes:
    entries: dict[str, set[bytes]] = defaultdict(set)
    for prefix in INDEX_PREFIXES:
        for key, value in scan(txn, prefix):
            entries[value.decode("utf-8", "replace")].add(key)
    return Indexes(
        runs_in_log=list(_ids_in_log(txn)),
        snapshots={
            k[len(RUN_PREFIX) :].decode("utf-8", "replace") for k, _ in scan(txn, RUN_PREFIX)
        },
        entries=dict(entries),
        children={k[len(CHILDREN_PREFIX) :].decode(): v for k, v in scan(txn, CHILDREN_PREFIX)},
    )


def _same(key: bytes, stored: bytes | None, expected: bytes | None) -> bool:
    """Equal as JSON (formatting aside); a run snapshot's `last_seq` lags by design (response
    events touch only the response key; `Store.load_run` reads it off the log instead)."""
    if stored is None or expected is None:
        return stored is expected or (stored == b"[]" and expected is None)
    stored = unpack(stored)
    if stored == expected:
        return True
    try:
        a, b = json.loads(stored), json.loads(expected)
    except ValueError:
        return False
    if key.startswith(RUN_PREFIX) and isinstance(a, dict) and isinstance(b, dict):
        a.pop("last_seq", None)
        b.pop("last_seq", None)
    return bool(a == b)


def _replay(
    txn: Any, run_id: str, check: RunCheck
) -> tuple[PipelineRun, set[str], dict[bytes, bytes]] | None:
    """The replayed state, the response ids its creation copied and the derived keys its log
    makes, or None (log damaged)."""
    raws: list[bytes] = []
    for seq, (key, value) in enumerate(scan(txn, keys.event_prefix(run_id))):
        if key != keys.event(run_id, seq):
            check.log_problem = f"events are not dense: expected event {seq}, found {key.decode()}"
            return None
        raws.append(unpack(value))
    try:
        state = fold_raw(run_id, raws)
        first = EVENT_ADAPTER.validate_json(raws[0])
        expected = rebuild(txn, run_id, log_events(raws))
    except DamagedRun as exc:
        check.log_problem = exc.detail
        return None
    except WriteItError as exc:  # readable events that do not replay (an illegal sequence)
        check.log_problem = f"its log does not replay: {exc}"
        return None
    copied: set[str] = set()
    if isinstance(first, RunCreated):
        copied = {rid for s in first.copied_steps for rid in s.response_ids}
    return state, copied, expected


def check_run(txn: Any, run_id: str, idx: Indexes) -> RunCheck:
    """Compare every derived key of `run_id` with a replay of its log (read-only)."""
    check = RunCheck(run_id)
    replayed = _replay(txn, run_id, check) if run_id in idx.runs_in_log else None
    if run_id not in idx.runs_in_log:
        check.log_problem = None
        expected: dict[bytes, bytes] = {}
        copied: set[str] = set()
    elif replayed is None:
        return check
    else:
        state, copied, expected = replayed
        check.parent = state.parent_run_id
        check.created_at = state.created_at.isoformat()
    present = {keys.run(run_id), keys.branch_parent(run_id), *idx.entries.get(run_id, ())}
    for prefix in (f"step:{run_id}:".encode(), f"step_responses:{run_id}:".encode()):
        present.update(k for k, _ in scan(txn, prefix))
    for key in sorted(present | set(expected)):
        raw = txn.get(key)
        stored = bytes(raw) if raw is not None else None
        want = expected.get(key)
        if _same(key, stored, want):
            continue
        what = (
            "is missing"
            if stored is None
            else "is left over (the log does not make it)"
            if want is None
            else "differs from a replay of the log"
        )
        shared = key.startswith(b"response:") and key[len(b"response:") :].decode() in copied
        check.keys.append(
            KeyProblem(
                key=key.decode("utf-8", "replace"),
                what=what + (" (a response shared with the parent run)" if shared else ""),
                fix=want,
                repairable=not shared,  # the parent's log owns it; rewriting would flip-flop
            )
        )
    return check


def apply_fixes(txn: Any, fixes: Writes) -> None:
    put_derived(txn, fixes)


def children_problems(txn: Any, checks: list[RunCheck], idx: Indexes) -> list[KeyProblem]:
    """`branch_children:` lists against the parents named by the replayed children."""
    want: dict[str, list[RunCheck]] = defaultdict(list)
    for c in checks:
        if c.parent:
            want[c.parent].append(c)
    unknown = {c.run_id for c in checks if c.log_problem}  # whose parent the log cannot say
    problems = []
    for parent in sorted(set(want) | set(idx.children)):
        kids = sorted(want.get(parent, []), key=lambda c: (c.created_at, c.run_id))
        expected = [c.run_id for c in kids]
        raw = txn.get(keys.branch_children(parent))
        try:
            stored = json.loads(raw) if raw is not None else []
        except ValueError:
            stored = None
        if isinstance(stored, list):
            kept = [str(k) for k in stored if str(k) in unknown]
            if sorted(set(map(str, stored)) - set(kept)) == sorted(expected):
                continue
            expected += kept
        problems.append(
            KeyProblem(
                key=keys.branch_children(parent).decode("utf-8", "replace"),
                what="differs from the branches the log records",
                fix=json.dumps(expected).encode() if expected else None,
            )
        )
    return problems
