"""Rows of `writeit list`, read straight from the store's light run snapshots when it can.

A finished run's row needs nothing but its `run:` snapshot (plain JSON: status, inputs, step
statuses), so the page is read with `lmdb` and `json` alone: no pydantic models, no provider
wiring, no migration. Building the domain models costs about 300 ms of imports, twice the whole
command's budget (bench: `cli.list_ms_5k_runs`). Whatever the light read cannot answer exactly as
the engine would (an unfinished run, whose words depend on its responses; a store of another
schema, which the engine migrates; an unreadable snapshot, which it marks; a new home, whose store
it makes; a damaged data file, which it names) is asked of the engine. The user's config.yaml is
not read: the rows do not depend on it, and the commands that use it report its mistakes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lmdb

from writeit.domain.status import RunStatus, StepStatus
from writeit.engine.pages import RunQuery
from writeit.engine.workspace import Workspace
from writeit.storage import keys
from writeit.storage.codec import unpack
from writeit.storage.datafile import check_data_file
from writeit.storage.scan import scan_reverse

if TYPE_CHECKING:
    from writeit.domain.models import PipelineRun

DAMAGED_STATE = "damaged (see writeit doctor)"  # a list's words for a run it cannot read
LIGHT_SCHEMA = b"4"  # the layout read here: `run:` with step statuses, `run_by_config:` with ids
FINAL = {RunStatus.COMPLETED.value, RunStatus.ERROR.value}  # their state is their status
STEP_STATUS = "step_status"


@dataclass(frozen=True)
class RunRow:
    """One run of a list: what the stored snapshot says, and the rulebook's words (`state`)."""

    run_id: str
    pipeline: str
    status: str
    state: str
    created_at: datetime
    inputs: dict[str, str]
    current_step: str | None
    steps_done: int
    steps_total: int
    parent_run_id: str | None
    branch_point: str | None
    archived: bool
    damaged: str | None

    @classmethod
    def of(cls, run: PipelineRun, state: str) -> RunRow:
        return cls(
            run_id=run.run_id,
            pipeline=run.pipeline,
            status=run.status.value,
            state=state,
            created_at=run.created_at,
            inputs=dict(run.inputs),
            current_step=run.current_step,
            steps_done=run.steps_done,
            steps_total=len(run.step_order),
            parent_run_id=run.parent_run_id,
            branch_point=run.branch_point,
            archived=run.archived,
            damaged=run.damaged,
        )


def run_rows(home: Path, query: RunQuery) -> list[RunRow]:
    """The first page of runs `query` asks for, newest first, each with its state."""
    rows = _light_rows(home, query)
    return _engine_rows(home, query) if rows is None else rows


def _engine_rows(home: Path, query: RunQuery) -> list[RunRow]:
    from writeit.engine.engine import Engine  # the models and providers load only when needed

    with Engine.open(home) as engine:
        return [RunRow.of(r, engine.state_of(r)) for r in engine.runs(query).runs]


def _light_rows(home: Path, query: RunQuery) -> list[RunRow] | None:
    """The page, or None when only the engine can answer it."""
    if query.text or query.offset or query.scan_limit is not None:
        return None
    path = Workspace(home).store_path
    if not (path / "data.mdb").is_file() or check_data_file(path) is not None:
        return None  # the engine makes a new home's store, or names the damage
    try:
        env = lmdb.open(str(path), readonly=True, max_readers=256, readahead=False)
    except lmdb.Error:
        return None
    try:
        with env.begin() as txn:
            if txn.get(keys.SCHEMA_VERSION) != LIGHT_SCHEMA:
                return None  # older (the engine migrates it) or newer than this reader
            return _page(txn.get, _ids(txn, query.pipeline), query)
    finally:
        env.close()


def _ids(txn: Any, pipeline: str | None) -> Iterator[str]:
    prefix = (
        keys.pipeline_runs_prefix(pipeline) if pipeline is not None else keys.RECENT_RUNS_PREFIX
    )
    return (v.decode() for _, v in scan_reverse(txn, prefix))


def _page(
    get: Callable[[bytes], bytes | None], ids: Iterator[str], query: RunQuery
) -> list[RunRow] | None:
    rows: list[RunRow] = []
    for run_id in ids:
        if len(rows) >= query.limit:
            break
        raw = get(keys.run(run_id))
        marker = get(keys.damaged(run_id))
        if raw is None and marker is None:
            continue  # the engine's page skips an index entry without a snapshot too
        row = None if raw is None else _row(raw, marker)
        if row is None:
            return None  # a damaged or unreadable snapshot: the engine shows its placeholder
        if not query.shows(row.archived):
            continue
        if row.state not in FINAL and row.damaged is None:
            return None  # its words ("waiting for your pick") depend on its responses
        rows.append(row)
    return rows


def _row(raw: bytes, marker: bytes | None) -> RunRow | None:
    damaged = None if marker is None else marker.decode("utf-8", "replace")
    try:
        data = json.loads(unpack(raw))
        status = data["status"]
        steps: list[str] = data[STEP_STATUS]
        return RunRow(
            run_id=data["run_id"],
            pipeline=data["pipeline"],
            status=status,
            state=DAMAGED_STATE if damaged is not None else status,
            created_at=datetime.fromisoformat(data["created_at"]),
            inputs=data["inputs"],
            current_step=data["current_step"],
            steps_done=steps.count(StepStatus.COMPLETED.value),
            steps_total=len(data["step_order"]),
            parent_run_id=data["parent_run_id"],
            branch_point=data["branch_point"],
            archived=data["archived"],
            damaged=damaged,
        )
    except (ValueError, KeyError, TypeError):
        return None
