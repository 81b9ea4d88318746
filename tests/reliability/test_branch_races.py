"""Branching is safe across processes: a branch decides what it copies inside the write
transaction that appends it, so it copies only what the parent had finished, or refuses with a
line naming the process that streams; parent and child snapshots always equal their replays."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from stores import open_engine

from writeit.domain.errors import IllegalTransition
from writeit.domain.events import ResponseStub, ResponseTextAppended, StepStarted
from writeit.domain.models import PipelineRun
from writeit.engine import Engine
from writeit.storage.liveness import process_start
from writeit.storage.store import Store, utcnow

from .support import REPO, check_store, cli_env

WORKERS = Path(__file__).with_name("workers.py")


def _done_through(engine: Engine, steps: int) -> str:
    """A tech-article run whose first `steps` steps are streamed and picked."""
    import asyncio

    run_id = engine.start_run("tech-article", {"topic": "races"}).run_id
    for step in engine.load(run_id).step_order[:steps]:
        asyncio.run(engine.run_step(run_id, step))
        engine.pick(run_id, 0, step=step)
    return run_id


def _start_elsewhere(store: Store, run_id: str, step: str, pid: int) -> str:
    """`pid` starts streaming `step` (its events written as that process would)."""
    rid = str(uuid.uuid4())
    store.append(
        StepStarted(
            run_id=run_id,
            at=utcnow(),
            step=step,
            prompt="p",
            responses=[ResponseStub(response_id=rid, provider="offline", model="writer")],
            owner_pid=pid,
            owner_started=process_start(pid),
        )
    )
    store.append(
        ResponseTextAppended(run_id=run_id, at=utcnow(), step=step, response_id=rid, text="par")
    )
    return rid


def test_a_branch_decides_on_the_state_its_transaction_sees(home: Path) -> None:
    """The engine read the run before another process started streaming it (the window a
    branch made from a second process falls into): the branch still refuses, naming the
    process, because the decision is taken again inside the appending transaction."""
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    engine, store = open_engine(home)
    try:
        run_id = _done_through(engine, 1)
        stale = engine.load(run_id)  # angles picked, nothing streaming: a branch looks fine
        _start_elsewhere(store, run_id, "outline", other.pid)
        engine.load = lambda _rid: stale  # type: ignore[method-assign]
        for attempt in (
            lambda: engine.branch(run_id, "outline"),
            lambda: engine.branch(run_id, "angles"),
        ):
            with pytest.raises(IllegalTransition, match=f"process {other.pid} is streaming"):
                attempt()
        del engine.load
        assert engine.children(run_id) == []
        check_store(store)
    finally:
        engine.close()
        other.kill()
        other.wait()


def test_changing_a_past_step_never_copies_a_response_that_still_streams(home: Path) -> None:
    """A regenerate of a past step continues in a branch carrying the step's responses; if
    another process (re)started that step meanwhile, the branch is refused, naming it."""
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    engine, store = open_engine(home)
    try:
        run_id = _done_through(engine, 1)
        stale = engine.load(run_id)
        _start_elsewhere(store, run_id, "angles", other.pid)  # angles restarts elsewhere
        engine.load = lambda _rid: stale  # type: ignore[method-assign]
        with pytest.raises(IllegalTransition, match="streaming") as refused:
            engine.revise(run_id, step="angles", feedback="sharper")
        assert str(other.pid) in str(refused.value) or "wait for streaming" in str(refused.value)
        del engine.load
        assert engine.children(run_id) == []
        check_store(store)
    finally:
        engine.close()
        other.kill()
        other.wait()


@pytest.mark.slow
def test_branches_from_a_second_process_while_the_first_streams(home: Path) -> None:
    """A real process streams every step of a run; this one branches from it as fast as it
    can meanwhile. Every attempt either copies only finished steps or is refused naming the
    streaming process; after every step, every snapshot of parent and children == replay."""
    engine, store = open_engine(home)
    run_id = engine.start_run("tech-article", {"topic": "branch races"}).run_id
    streamer = subprocess.Popen(
        [sys.executable, str(WORKERS), "streamer", str(home), run_id],
        env=cli_env(home, WRITEIT_OFFLINE_TPS="300"),
        stderr=subprocess.PIPE,
        text=True,
        cwd=str(REPO),
    )
    refused = made = 0
    try:
        order = engine.load(run_id).step_order
        for index, step in enumerate(order):
            picked = home / f"picked-{step}"
            while not picked.exists():  # hammer while the step streams (and as it ends)
                assert streamer.poll() is None, streamer.communicate()[1]
                for source in order[: index + 1]:
                    try:
                        engine.branch(run_id, source)
                        made += 1
                    except IllegalTransition as exc:
                        text = str(exc)
                        if "streaming" in text:
                            assert f"process {streamer.pid} is streaming" in text, text
                            refused += 1
                        else:  # the step ended but is not picked yet: the rulebook's line
                            assert "before branching" in text, text
            # The streamer is paused: a branch now copies every picked step.
            source = order[index + 1] if index + 1 < len(order) else step
            child = engine.branch(run_id, source)
            _same_steps(engine.load(run_id), engine.load(child), order[: order.index(source)])
            made += 1
            runs = check_store(store)  # every derived key == a replay, parent and children
            assert set(engine.children(run_id)) <= set(runs)
            (home / f"go-{step}").touch()
        _, err = streamer.communicate(timeout=60)
        assert streamer.returncode == 0, err
        check_store(store)
    finally:
        if streamer.poll() is None:
            streamer.kill()
            streamer.wait()
        engine.close()
    assert refused >= len(order), f"only {refused} refusals: the branches never met a stream"
    assert made >= len(order)
    print(f"\n{made} branches made, {refused} refused while streaming")


def _same_steps(parent: PipelineRun, child: PipelineRun, names: list[str]) -> None:
    for name in names:
        mine, theirs = child.steps[name], parent.steps[name]
        assert mine.content == theirs.content and mine.response_ids == theirs.response_ids
        assert all(r.finished for r in mine.ordered_responses())
