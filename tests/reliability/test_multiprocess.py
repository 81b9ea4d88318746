"""Several processes on one store at once (DESIGN.md: "Two `writeit` processes may use the same
store at once"): two writers, a `writeit run`, and a reader listing and showing runs meanwhile."""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from writeit.domain.events import FeedbackGiven
from writeit.engine import Engine
from writeit.storage.store import Store

from .support import REPO, check_store, cli_env, store_path, wait_for

WORKERS = Path(__file__).with_name("workers.py")
RUNS_PER_WRITER = 6
TINY_MAP = 256 * 1024  # both writers outgrow it several times, each noticing the other's growth


@pytest.mark.slow
def test_two_writers_a_cli_run_and_a_reader_share_one_store(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    stop = tmp_path / "stop"
    env = cli_env(home, WRITEIT_OFFLINE_TPS="400")  # slow enough that streams interleave

    def spawn(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=str(REPO),
        )

    writers = [
        spawn(str(WORKERS), "writer", str(home), str(RUNS_PER_WRITER), str(TINY_MAP))
        for _ in range(2)
    ]
    data = store_path(home) / "data.mdb"
    # The CLI opens stores with a 64 MB map; start it (and the reader) once the writers have had
    # to grow the tiny map, so growth is exercised while both writers are at it.
    wait_for(lambda: data.exists() and data.stat().st_size > TINY_MAP, timeout=60, what="growth")
    reader = spawn(str(WORKERS), "reader", str(home), str(stop))
    cli_run = spawn("-m", "writeit", "run", "blog-post", "--input", "topic=locks", "--json")
    try:
        outputs = [p.communicate(timeout=150) for p in [*writers, cli_run]]
        for p, (_out, err) in zip([*writers, cli_run], outputs, strict=True):
            assert p.returncode == 0, err
            assert "Traceback" not in err, err
        stop.touch()
        r_out, r_err = reader.communicate(timeout=60)
        assert reader.returncode == 0, r_err
    finally:
        for p in [reader, *writers, cli_run]:
            if p.poll() is None:
                p.kill()
                p.wait()

    per_writer = [json.loads(out)["events"] for out, _ in outputs[:2]]
    grown = [json.loads(out)["grown"] for out, _ in outputs[:2]]
    assert sum(grown) >= 1, "the tiny map never had to grow"
    reads = json.loads(r_out)
    assert reads["iterations"] >= 3, reads

    with Store(store_path(home)) as store:
        runs = check_store(store)
        total = sum(1 for _ in store.keys_with_prefix(b"event:"))
        map_size = store.env.info()["map_size"]
    # 6 runs per writer, plus a branch every third run, plus the CLI's run.
    assert len(runs) == 2 * (RUNS_PER_WRITER + 2) + 1
    assert total >= sum(per_writer)
    assert map_size > TINY_MAP
    print(
        f"\nwriters wrote {per_writer} events, store holds {total} events in {len(runs)} runs; "
        f"reader ran {reads['commands']} commands in {reads['iterations']} passes; "
        f"map grew {TINY_MAP} -> {map_size} (writers grew it {grown} times)"
    )


def test_two_processes_appending_to_the_same_run_never_lose_an_event(tmp_path: Path) -> None:
    """Seq allocation, the event and its derived keys share one write transaction, so two
    processes racing on one run interleave cleanly: every event kept once, seqs dense."""
    home = tmp_path / "home"
    engine = Engine.open(home)
    try:
        run = engine.start_run("tech-article", {"topic": "races"})
        asyncio.run(engine.run_step(run.run_id, "angles"))
        engine.pick(run.run_id, 0, step="angles")
    finally:
        engine.close()
    n = 1000
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKERS), "hammer", str(home), run.run_id, tag, str(n)],
            env=cli_env(home),
            stderr=subprocess.PIPE,
            text=True,
            cwd=str(REPO),
        )
        for tag in ("A", "B")
    ]
    ready = [home / "ready-A", home / "ready-B"]
    wait_for(lambda: all(r.exists() for r in ready), timeout=30, what="both hammers ready")
    (home / "go").touch()
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    with Store(store_path(home)) as store:
        check_store(store)
        events = store.events(run.run_id)
        feedback = [e.feedback for e in events if isinstance(e, FeedbackGiven)]
        assert sorted(feedback) == sorted(f"{t}-{i}" for t in "AB" for i in range(n))
        # Each process's own events stay in its order, and the two really interleaved.
        for tag in "AB":
            mine = [int(f.split("-")[1]) for f in feedback if f.startswith(tag)]
            assert mine == sorted(mine)
        switches = sum(1 for a, b in itertools.pairwise(feedback) if a[0] != b[0])
        assert switches >= 2, "the two processes never overlapped"
        assert store.load_run(run.run_id).steps["angles"].feedback == feedback[-1]
    print(f"\nsame-run race: {2 * n} events from 2 processes, {switches} interleavings")
