"""Several processes on one store at once (DESIGN.md: "Two `writeit` processes may use the same
store at once"): two writers, a `writeit run`, and a reader listing and showing runs meanwhile."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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
