"""`writeit doctor`: is every run's log dense and readable, and does every derived key equal a
replay of it? `--repair` rebuilds derived keys from the log; events are never touched.

Each run is checked in its own read transaction and repaired in its own write transaction (which
checks again inside it), so a doctor over a store other processes are using neither blocks them
for long nor repairs against a state that moved on. A run whose log cannot be read is noted
under `damaged:{run}`, which lists read to mark it without replaying every log.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from writeit.storage import keys
from writeit.storage.repair import (
    Indexes,
    KeyProblem,
    RunCheck,
    apply_fixes,
    check_run,
    children_problems,
    read_indexes,
)
from writeit.storage.scan import scan
from writeit.storage.store import Store, StoreError


@dataclass(frozen=True)
class Problem:
    """One thing wrong, said in one line; `repaired` once `--repair` fixed it."""

    run_id: str | None
    key: str | None
    message: str
    repairable: bool
    repaired: bool = False

    @property
    def line(self) -> str:
        where = f"run {self.run_id[:8]}: " if self.run_id else ""
        done = " (repaired)" if self.repaired else "" if self.repairable else " (not repairable)"
        return f"{where}{self.message}{done}"

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "key": self.key,
            "problem": self.message,
            "repairable": self.repairable,
            "repaired": self.repaired,
        }


@dataclass(frozen=True)
class DoctorReport:
    """What `Engine.doctor` found: runs checked, and every problem (repaired or not)."""

    runs: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def remaining(self) -> list[Problem]:
        """Problems still in the store (all of them, unless a repair fixed some)."""
        return [p for p in self.problems if not p.repaired]

    @property
    def ok(self) -> bool:
        return not self.remaining

    def as_json(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "ok": self.ok,
            "problems": [p.as_json() for p in self.problems],
            "remaining": len(self.remaining),
        }


def _key_problem(run_id: str | None, p: KeyProblem, repaired: bool) -> Problem:
    return Problem(run_id, p.key, f"{p.key} {p.what}", p.repairable, repaired and p.repairable)


def doctor(store: Store, repair: bool) -> DoctorReport:
    idx: Indexes = store.read(read_indexes)
    run_ids = sorted(set(idx.runs_in_log) | idx.snapshots | set(idx.entries))
    checks: list[RunCheck] = []
    problems: list[Problem] = []
    for run_id in run_ids:
        check = store.read(lambda txn, rid=run_id: check_run(txn, rid, idx))  # type: ignore[misc]
        if repair and check.fixes:

            def fix(txn: Any, rid: str = run_id) -> RunCheck:
                fresh = check_run(txn, rid, idx)
                apply_fixes(txn, fresh.fixes)
                return fresh

            check = store.write(fix)
        checks.append(check)
        if check.log_problem:
            problems.append(Problem(run_id, None, check.log_problem, repairable=False))
        if run_id not in idx.runs_in_log:
            problems.append(
                Problem(
                    run_id,
                    None,
                    "has derived keys but no events (left over; a repair removes them)",
                    repairable=True,
                    repaired=repair,
                )
            )
        else:
            problems.extend(_key_problem(run_id, p, repair) for p in check.keys)
    children = store.read(lambda txn: children_problems(txn, checks, idx))
    if repair and children:
        store.write(lambda txn: apply_fixes(txn, {p.key.encode(): p.fix for p in children}))
    problems.extend(_key_problem(None, p, repair) for p in children)
    _note_damaged(store, checks)
    return DoctorReport(runs=len(idx.runs_in_log), problems=problems)


def _note_damaged(store: Store, checks: list[RunCheck]) -> None:
    """Mark runs whose log is unreadable (lists show them so), unmark those that now check out.

    Best effort: a store on a read-only medium is still checked, just not annotated.
    """
    wanted = {c.run_id: c.log_problem.encode() for c in checks if c.log_problem}

    def body(txn: Any) -> None:
        for key, value in list(scan(txn, keys.DAMAGED_PREFIX)):
            run_id = key[len(keys.DAMAGED_PREFIX) :].decode("utf-8", "replace")
            if wanted.get(run_id) != value:
                txn.delete(key)
        for run_id, reason in wanted.items():
            txn.put(keys.damaged(run_id), reason)

    with contextlib.suppress(StoreError):
        store.write(body)
