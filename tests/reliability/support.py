"""Helpers shared by the reliability tests: polling, store snapshots, and a full consistency check.

The consistency check is the heart of the suite: for every run in a store it verifies that the
log is dense (seq 0..n), that the state rebuilt from the log (`store.replay`) equals the live
state (`store.load_run`), and that every derived key (`run:`, `step:`, `response:`,
`step_responses:`, `recent_runs:`, `run_by_config:`, `branch_*`, `active:`) says exactly what a
replay of the log says.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import lmdb

from writeit.domain.models import PipelineRun, StepState
from writeit.domain.status import ResponseStatus
from writeit.storage import keys, repair
from writeit.storage.store import Store

T = TypeVar("T")
LIGHT = {"name", "status"}
REPO = Path(__file__).resolve().parents[2]

# Every key family the store may hold; anything else is a bug (or a new family to add here).
KNOWN_PREFIXES = (
    b"meta:",
    b"event:",
    b"run:",
    b"step:",
    b"response:",
    b"step_responses:",
    b"run_by_config:",
    b"recent_runs:",
    b"branch_parent:",
    b"branch_children:",
    b"config:",
    b"primer:",
    b"session:",
    b"active:",
    b"damaged:",  # runs `writeit doctor` found with an unreadable log
)


def wait_for(
    probe: Callable[[], T | None], timeout: float = 20.0, interval: float = 0.01, what: str = ""
) -> T:
    """Poll `probe` until it returns something truthy (no blind sleeps); fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or probe}")
        time.sleep(interval)


def store_path(home: Path) -> Path:
    return home / "writeit.lmdb"


def dump_store(path: Path) -> dict[bytes, bytes]:
    """Every key and value of an LMDB environment, read through a read-only environment."""
    if not (path / "data.mdb").exists():
        return {}
    env = lmdb.open(str(path), readonly=True, lock=False, max_readers=8, map_size=1 << 20)
    try:
        with env.begin() as txn:
            return {bytes(k): bytes(v) for k, v in txn.cursor()}
    finally:
        env.close()


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment for a `writeit` subprocess: isolated home, no real keys, no network."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_API_KEY", "_BASE_URL", "_TOKEN", "_SECRET"))
    }
    env.update(
        WRITEIT_HOME=str(home),
        WRITEIT_OFFLINE_TPS="0",
        PYTHONPATH=str(REPO),
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


def run_cli(
    home: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """`python -m writeit ARGS` in a subprocess, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "writeit", *args],
        env=dict(env) if env is not None else cli_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(home.parent),
    )


def run_ids(store: Store) -> list[str]:
    """Every run that has a log (from the `event:` keys, not from any index)."""
    found = set()
    for key in store.keys_with_prefix(b"event:"):
        found.add(key.decode().split(":")[1])
    return sorted(found)


def _run_view(run: PipelineRun) -> dict[str, Any]:
    return run.model_dump(mode="json")


def check_run(store: Store, run_id: str, children_of: Mapping[str, set[str]]) -> PipelineRun:
    """Assert everything derived about `run_id` agrees with a replay of its log."""
    seqs = [
        int(k.decode().rsplit(":", 1)[1])
        for k in store.keys_with_prefix(b"event:" + run_id.encode() + b":")
    ]
    assert seqs == list(range(len(seqs))), f"run {run_id}: events not dense: {seqs[:5]}..."
    events = store.events(run_id)
    assert [e.seq for e in events] == seqs, f"run {run_id}: stored seq fields disagree with keys"

    replayed = store.replay(run_id)
    live = store.load_run(run_id)
    assert _run_view(live) == _run_view(replayed), f"run {run_id}: load_run != replay"

    # The light run: snapshot (lists read it alone) says what the replay says: the run, and
    # each step's name and status.
    snap = store.run_snapshots([run_id])[0]
    light: Any = {"last_seq": True, "steps": {"__all__": set(StepState.model_fields) - LIGHT}}
    expect = replayed.model_dump(mode="json", exclude=light)
    assert snap.model_dump(mode="json", exclude=light) == expect, f"run {run_id}: run: != replay"
    # Every derived key equals what appending the log again writes (doctor's check).
    problems = store.read(
        lambda txn: repair.check_run(txn, run_id, store.read(repair.read_indexes))
    )
    assert not problems.log_problem and not problems.keys, (problems.log_problem, problems.keys)

    for step in replayed.ordered_steps():
        raw_step = store.get_raw(keys.step(run_id, step.name))
        assert raw_step is not None, f"run {run_id}: no step: key for {step.name}"
        raw_ids = store.get_raw(keys.step_responses(run_id, step.name))
        if step.response_ids:
            assert raw_ids is not None and json.loads(raw_ids) == step.response_ids, (
                f"step_responses:{run_id}:{step.name}"
            )
        else:
            assert raw_ids is None or json.loads(raw_ids) == [], f"stale step_responses {step.name}"
        for rid, response in step.responses.items():
            assert store.get_raw(keys.response(rid)) is not None, f"no response:{rid}"
            active = store.get_raw(keys.active(run_id, rid))
            streaming = response.status is ResponseStatus.STREAMING
            # A carried response (a branch copied it) is only marked active under its first run.
            if not streaming:
                assert active is None, f"active:{run_id}:{rid} left behind after {response.status}"

    iso = replayed.created_at.isoformat()
    assert store.get_raw(keys.recent_runs(iso, run_id)) == run_id.encode(), "recent_runs"
    assert store.get_raw(keys.run_by_config(replayed.pipeline, iso, run_id)) == run_id.encode(), (
        "run_by_config"
    )
    parent = store.get_raw(keys.branch_parent(run_id))
    assert parent == (replayed.parent_run_id.encode() if replayed.parent_run_id else None), (
        f"branch_parent:{run_id}"
    )
    assert set(store.children(run_id)) == children_of.get(run_id, set()), (
        f"branch_children:{run_id}"
    )
    assert len(store.children(run_id)) == len(set(store.children(run_id))), "duplicate children"
    return replayed


def check_store(store: Store) -> dict[str, PipelineRun]:
    """Assert every run in the store is consistent; return the replayed runs by id."""
    ids = run_ids(store)
    heads = {}
    for rid in ids:
        first = store.event(rid, 0)
        assert first is not None and first.type == "run_created", f"run {rid} has no run_created"
        heads[rid] = first
    children_of: dict[str, set[str]] = {}
    for rid, head in heads.items():
        if head.parent_run_id:  # type: ignore[union-attr]
            children_of.setdefault(head.parent_run_id, set()).add(rid)  # type: ignore[union-attr]
    runs = {rid: check_run(store, rid, children_of) for rid in ids}

    # No index entry, snapshot or marker points at a run that has no log.
    for prefix in (b"run:", b"recent_runs:", b"run_by_config:", b"branch_parent:", b"active:"):
        for key in store.keys_with_prefix(prefix):
            raw = store.get_raw(key)
            assert raw is not None
            if prefix == b"run:":
                owner = key[4:].decode()
            elif prefix in (b"branch_parent:", b"active:"):
                owner = key.decode().split(":")[1]
            else:
                owner = raw.decode()
            assert owner in runs, f"{key!r} refers to run {owner}, which has no events"
    assert len(list(store.keys_with_prefix(b"recent_runs:"))) == len(ids), "recent_runs count"
    for key in store.keys_with_prefix(b""):
        assert key.startswith(KNOWN_PREFIXES), f"unknown key family: {key!r}"
    return runs
