"""Exact liveness: a streaming process is its pid AND its start, so a reused pid never passes for it.

Containers restart at low pids and pid 1 always exists: a process that died while streaming
leaves `active:` markers whose pid may belong to someone else by the next open. The responses of
such an owner must still become `interrupted` with their text, on the next open by any process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import lmdb
import pytest
from stores import open_engine

from writeit.domain.events import ResponseStub, ResponseTextAppended, StepStarted
from writeit.domain.status import ResponseStatus
from writeit.storage import keys
from writeit.storage.liveness import Owner, own_start, process_start
from writeit.storage.store import Store, utcnow

from .support import REPO, check_store, cli_env, store_path, wait_for

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def _streamed_by(home: Path, pid: int, started: str | None, text: str) -> tuple[str, str]:
    """A run whose first step `pid` (started at `started`) was streaming: (run id, response)."""
    engine, store = open_engine(home, recover=False)
    run = engine.start_run("blog-post", {"topic": "pids"})
    rid = str(uuid.uuid4())
    store.append(
        StepStarted(
            run_id=run.run_id,
            at=utcnow(),
            step="ideas",
            prompt="Give ideas",
            responses=[ResponseStub(response_id=rid, provider="offline", model="writer")],
            owner_pid=pid,
            owner_started=started,
        )
    )
    store.append(
        ResponseTextAppended(
            run_id=run.run_id, at=utcnow(), step="ideas", response_id=rid, text=text
        )
    )
    engine.close()
    return run.run_id, rid


def _status_after_open(home: Path, run_id: str, rid: str) -> tuple[ResponseStatus, str]:
    engine, _ = open_engine(home)  # recovers, as `Engine.open` does
    try:
        response = engine.load(run_id).steps["ideas"].responses[rid]
        return response.status, response.content
    finally:
        engine.close()


@pytest.mark.parametrize(
    "who",
    ["pid 1", "this test's parent", "this very pid"],
)
def test_a_live_but_foreign_pid_does_not_keep_a_dead_owner_streaming(home: Path, who: str) -> None:
    """The marker's pid exists, but that process started at another moment: recovered."""
    pid = {"pid 1": 1, "this test's parent": os.getppid(), "this very pid": os.getpid()}[who]
    assert process_start(pid) is not None, f"{who} should be alive"
    run_id, rid = _streamed_by(home, pid, "some-other-boot:12345", "half an ide")
    assert _status_after_open(home, run_id, rid) == (ResponseStatus.INTERRUPTED, "half an ide")


def test_a_live_owner_keeps_its_streams(home: Path) -> None:
    """The pid exists and started when the marker says: still streaming, not recovered."""
    parent = os.getppid()
    run_id, rid = _streamed_by(home, parent, process_start(parent), "still goi")
    assert _status_after_open(home, run_id, rid) == (ResponseStatus.STREAMING, "still goi")
    mine = Owner.current()
    assert mine.alive() and mine.started == own_start() is not None
    assert not Owner(parent, "x:1").alive() and not Owner(None).alive()


def test_kill_then_pid_reuse_still_recovers_with_the_text(home: Path, tmp_path: Path) -> None:
    """Tried as a new user: kill -9 a streaming `writeit run`; another process then holds its
    pid (simulated: the marker is pointed at a live process, keeping the dead one's start);
    the next `writeit` open marks the responses `interrupted` with the text they had."""
    env = cli_env(home, WRITEIT_OFFLINE_TPS="60")
    victim = subprocess.Popen(
        [sys.executable, "-m", "writeit", "run", "blog-post", "--input", "topic=reuse"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=str(REPO),
    )
    started = process_start(victim.pid)
    data = store_path(home) / "data.mdb"
    with_text = wait_for(lambda: data.exists() and _streaming_with_text(home), timeout=60)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)
    stand_in = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        marker_keys = _repoint_markers(home, victim.pid, stand_in.pid, started)
        assert marker_keys, "the killed run left no active: marker"
        with Store(store_path(home)) as store:
            owners = {o for *_, o in store.active_responses()}
        assert owners == {Owner(stand_in.pid, started)}
        assert process_start(stand_in.pid) is not None  # the pid is alive...
        engine, store = open_engine(home)  # ...yet the next open recovers
        try:
            run = engine.load(store.recent_run_ids(limit=1)[0])
            responses = [r for s in run.ordered_steps() for r in s.ordered_responses()]
            texts = {r.response_id: r.content for r in responses}
            assert store.active_responses() == []
            assert all(r.status is not ResponseStatus.STREAMING for r in responses)
            for rid, text in with_text.items():
                assert texts[rid].startswith(text.strip()[:20]), "the streamed text was kept"
            assert any(r.status is ResponseStatus.INTERRUPTED for r in responses)
            check_store(store)
        finally:
            engine.close()
    finally:
        stand_in.kill()
        stand_in.wait()


def _streaming_with_text(home: Path) -> dict[str, str] | None:
    """Response id -> text of each streaming response, once one has text (read-only open)."""
    with Store(store_path(home), readonly=True) as store:
        ids = store.recent_run_ids(limit=1)
        if not ids:
            return None
        run = store.load_run(ids[0])
        live = {
            r.response_id: r.content
            for s in run.ordered_steps()
            for r in s.ordered_responses()
            if not r.finished
        }
        return live if any(live.values()) else None


def _repoint_markers(home: Path, dead: int, live: int, started: str | None) -> list[bytes]:
    """Make every `active:` marker of `dead` name `live` instead (what pid reuse looks like)."""
    env = lmdb.open(str(store_path(home)), max_readers=8)
    changed = []
    try:
        with env.begin(write=True) as txn:
            for key, value in list(txn.cursor()):
                if bytes(key).startswith(keys.ACTIVE_PREFIX):
                    marker = bytes(value).decode()
                    assert f'"pid": {dead}' in marker and f'"started": "{started}"' in marker
                    txn.put(key, marker.replace(f'"pid": {dead}', f'"pid": {live}').encode())
                    changed.append(bytes(key))
    finally:
        env.close()
    return changed
