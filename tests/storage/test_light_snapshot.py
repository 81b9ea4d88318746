"""The light `run:` snapshot: its step statuses as JSON, and the written state taken back only
when the stored bytes are exactly what this process wrote (never a stale state)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from writeit.domain.events import BudgetSet, RunArchived, RunCreated
from writeit.domain.fold import apply
from writeit.storage import keys
from writeit.storage.derive import STEP_STATUS, WRITTEN, dump_run
from writeit.storage.store import Store

AT = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("steps", [[], ["a"], ["a", "b", "c"]])
def test_the_statuses_tail_is_the_json_array_of_step_statuses(steps: list[str]) -> None:
    run = apply(
        None,
        RunCreated(run_id="r1", at=AT, pipeline="p", pipeline_sha="x", step_names=steps, inputs={}),
    )
    dumped = dump_run(run)
    doc = json.loads(dumped)
    assert doc["step_status"] == ["pending"] * len(steps)
    assert dumped.rfind(STEP_STATUS) > 0 and doc["step_order"] == steps


def test_a_snapshot_another_writer_changed_is_read_not_the_state_written(tmp_path: Path) -> None:
    run_id = "run-light-0001"
    with Store(tmp_path / "writeit.lmdb") as store:
        store.append(RunCreated(run_id=run_id, at=AT, pipeline="p", pipeline_sha="x",
                                step_names=["a"], inputs={}))  # fmt: skip
        before = store.get_raw(keys.run(run_id))
        store.append(RunArchived(run_id=run_id, at=AT, archived=True))
        assert store.load_run(run_id).archived
        # another process puts back a snapshot that is not archived (bytes this one never wrote)
        store.write(lambda txn: txn.put(keys.run(run_id), before))
        store.append(BudgetSet(run_id=run_id, at=AT, budget_usd=5.0))
        state = store.load_run(run_id)
        assert not state.archived and state.budget_usd == 5.0  # the stored state, not the cached
        # the writer's own next event takes its state back: still equal to the stored one
        store.append(BudgetSet(run_id=run_id, at=AT, budget_usd=6.0))
        assert WRITTEN.take(run_id, store.get_raw(keys.run(run_id))) is not None
