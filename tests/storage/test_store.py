"""The LMDB store: DESIGN.md's keys, one transaction per event, snapshots vs replay, time travel."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import lmdb
import pytest
from stores import open_engine

from writeit.domain.errors import IllegalTransition, NotFound, WriteItError
from writeit.domain.events import (
    ResponseFinished,
    ResponseStub,
    ResponseTextAppended,
    RunCreated,
    StepStarted,
)
from writeit.domain.status import ResponseStatus, RunStatus, StepStatus
from writeit.engine import Engine, PickStrategy
from writeit.storage.codec import unpack
from writeit.storage.migrations import migrate
from writeit.storage.store import Store, utcnow


def raw_keys(store: Store) -> dict[str, bytes]:
    """Every key and value, read with the lmdb package itself."""
    env: lmdb.Environment = store.env
    with env.begin() as txn:
        return {bytes(k).decode(): bytes(v) for k, v in txn.cursor()}


async def completed_run(engine: Engine) -> str:
    """tech-article to the end: an angle item, the outline, then draft and polish per section."""
    run = engine.start_run("tech-article", {"topic": "LMDB"})
    return (await engine.run_to_end(run.run_id, PickStrategy.parse("first"))).run_id


async def test_design_keys_exist(engine: Engine, store: Store) -> None:
    run_id = await completed_run(engine)
    child = engine.branch(run_id, "draft")
    run = engine.load(run_id)
    found = raw_keys(store)
    assert found["meta:schema_version"] == b"4"
    events = sorted(k for k in found if k.startswith(f"event:{run_id}:"))
    assert events == [f"event:{run_id}:{i:012d}" for i in range(len(events))]
    assert f"run:{run_id}" in found
    for step in run.ordered_steps():
        assert f"step:{run_id}:{step.name}" in found
        ids = json.loads(found[f"step_responses:{run_id}:{step.name}"])
        assert ids == step.response_ids and len(ids) == 2 * max(1, len(step.sections))
        for rid in ids:
            response = json.loads(unpack(found[f"response:{rid}"]))
            assert response["status"] == "completed"
            # Each text once: the prompt is the step_started event's, the content the raw text.
            assert response["_p"][:2] == ["e", run_id] and response["prompt_used"] == ""
            assert response["_c"] == "strip" and response["content"] == ""
        stored = json.loads(unpack(found[f"step:{run_id}:{step.name}"]))
        if not step.sections:  # a section step's prompts are its sections' own
            assert stored["prompt"]["$ref"][:2] == ["e", run_id]
        if step.sections:  # the chosen sections assembled: text no event or response holds
            assert stored["content"] == step.content
        else:  # a whole pick refers to its response's text, an item to the pick event's
            assert stored["content"]["$ref"][0] == ("e" if step.item is not None else "r")
    light = json.loads(unpack(found[f"run:{run_id}"]))
    assert "steps" not in light and light["step_status"] == ["completed"] * 4
    iso = run.created_at.isoformat()
    assert found[f"run_by_config:tech-article:{iso}:{run_id}"] == run_id.encode()
    assert found[f"recent_runs:{iso}:{run_id}"] == run_id.encode()
    assert found[f"branch_parent:{child}"] == run_id.encode()
    assert json.loads(found[f"branch_children:{run_id}"]) == [child]
    assert f"config:tech-article:{run.pipeline_sha}" in found
    assert f"primer:tech-journalist:{run.style_sha}" in found
    assert not [k for k in found if k.startswith("active:")]


async def test_snapshot_equals_replay_and_time_travel(engine: Engine, store: Store) -> None:
    run_id = await completed_run(engine)
    live = engine.load(run_id)
    assert store.replay(run_id).model_dump() == live.model_dump()
    at0 = store.state_at(run_id, 0)
    assert at0.status is RunStatus.INITIALIZING and at0.steps_done == 0
    events = store.events(run_id)
    first_pick = next(e.seq for e in events if e.type == "response_picked")
    after = store.state_at(run_id, first_pick)
    assert after.steps["angles"].status is StepStatus.COMPLETED
    assert after.steps["outline"].status is StepStatus.PENDING
    with pytest.raises(WriteItError, match="has only"):
        store.state_at(run_id, len(events) + 5)


async def test_another_process_sees_committed_state(engine: Engine, store: Store) -> None:
    run_id = await completed_run(engine)
    code = (
        "import sys, json; from pathlib import Path; from writeit.storage.store import Store;"
        "s = Store(Path(sys.argv[1])); print(s.load_run(sys.argv[2]).model_dump_json())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(store.path), run_id],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(out) == json.loads(engine.load(run_id).model_dump_json())


def test_prefix_resolution(engine: Engine, store: Store) -> None:
    run = engine.start_run("blog-post", {"topic": "tea"})
    assert engine.resolve(run.run_id[:6]) == run.run_id
    with pytest.raises(WriteItError, match="too short"):
        engine.resolve(run.run_id[:5])
    with pytest.raises(NotFound, match="no run matches"):
        engine.resolve("zzzzzzzz")
    for suffix in ("1", "2"):
        store.append(
            RunCreated(
                run_id=f"abcdef0{suffix}-x",
                at=utcnow(),
                pipeline="p",
                pipeline_sha="s",
                step_names=["a", "b"],
                inputs={},
            )
        )
    with pytest.raises(WriteItError, match="ambiguous"):
        engine.resolve("abcdef0")
    assert engine.resolve("abcdef01") == "abcdef01-x"


def test_duplicate_run_and_illegal_event_write_nothing(engine: Engine, store: Store) -> None:
    run = engine.start_run("blog-post", {"topic": "tea"})
    before = raw_keys(store)
    with pytest.raises(IllegalTransition, match="already exists"):
        store.append(
            RunCreated(
                run_id=run.run_id,
                at=utcnow(),
                pipeline="p",
                pipeline_sha="s",
                step_names=[],
                inputs={},
            )
        )
    with pytest.raises(NotFound):
        store.append(
            ResponseFinished(
                run_id=run.run_id,
                at=utcnow(),
                step="ideas",
                response_id="nope",
                status=ResponseStatus.FAILED,
            )
        )
    assert raw_keys(store) == before


async def test_map_grows_when_full(tmp_path: Path) -> None:
    store = Store(tmp_path / "db", map_size=64 * 1024)
    engine = Engine(tmp_path, store=store)
    for _ in range(3):
        run = engine.start_run("tech-article", {"topic": "growing " * 50})
        await engine.run_step(run.run_id)
    assert store.env.info()["map_size"] > 64 * 1024
    assert len(store.recent_run_ids()) == 3
    store.close()


def test_interrupted_responses_are_recovered_on_open(home: Path) -> None:
    engine, store = open_engine(home)
    run = engine.start_run("blog-post", {"topic": "tea"})
    dead_pid = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    stub = ResponseStub(response_id="r-1", provider="offline", model="writer")
    store.append(
        StepStarted(
            run_id=run.run_id,
            at=utcnow(),
            step="ideas",
            prompt="p",
            responses=[stub],
            owner_pid=int(dead_pid.stdout),
        )
    )
    store.append(
        ResponseTextAppended(
            run_id=run.run_id, at=utcnow(), step="ideas", response_id="r-1", text="half a sen"
        )
    )
    engine.close()
    reopened, store = open_engine(home)  # recovers as `Engine.open` does
    response = reopened.load(run.run_id).steps["ideas"].responses["r-1"]
    assert response.status is ResponseStatus.INTERRUPTED
    assert response.content == "half a sen"
    assert store.active_responses() == []
    assert reopened.recover_interrupted() == 0
    reopened.close()


def test_runs_created_in_the_same_microsecond_are_each_listed(home: Path) -> None:
    """Two processes starting runs of one pipeline at once (CI's multiprocess test did): each
    keeps its own `run_by_config:` key, so `list --pipeline` shows both and doctor is clean. A
    schema-3 store, where the later run's key had replaced the other's, is indexed again."""
    at = utcnow()
    engine, store = open_engine(home, clock=lambda: at)
    with engine:
        ids = {engine.start_run("blog-post", {"topic": t}).run_id for t in ("kelp", "moss")}
        assert set(store.recent_run_ids(pipeline="blog-post")) == ids
        assert engine.doctor().ok
    env = lmdb.open(str(home / "writeit.lmdb"), max_readers=8)  # back to schema 3
    with env.begin(write=True) as txn:
        migrate(txn, target=3)
        assert len([k for k, _ in txn.cursor() if k.startswith(b"run_by_config:")]) == 1
    env.close()
    engine, store = open_engine(home)  # opening migrates up: both runs indexed again
    with engine:
        assert set(store.recent_run_ids(pipeline="blog-post")) == ids
        assert engine.doctor().ok
