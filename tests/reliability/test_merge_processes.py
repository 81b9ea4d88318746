"""`writeit import --store` while other processes write both stores: merges never overwrite
what another process wrote, and once the writers stop one more merge makes the stores agree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from writeit.engine import Archived, Engine, RunQuery, merge_store
from writeit.storage.store import Store

from .support import REPO, check_store, cli_env, store_path

WORKERS = Path(__file__).with_name("workers.py")
EVERY = RunQuery(limit=10_000, archived=Archived.ALSO)


def spawn(home: Path, runs: int) -> subprocess.Popen[str]:
    """A second process writing `runs` runs (branches, feedback, archive) into `home`."""
    return subprocess.Popen(
        [sys.executable, str(WORKERS), "writer", str(home), str(runs), str(64 * 1024 * 1024)],
        env=cli_env(home, WRITEIT_OFFLINE_TPS="2000"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=str(REPO),
    )


def logs(engine: Engine, run_ids: list[str]) -> dict[str, list[dict[str, object]]]:
    return {r: [e.model_dump(mode="json") for e in engine.history(r)] for r in run_ids}


@pytest.mark.slow
def test_merging_while_another_process_writes_each_store(tmp_path: Path) -> None:
    source, target = tmp_path / "laptop", tmp_path / "desktop"
    source.mkdir()
    target.mkdir()
    writers = [spawn(source, 4), spawn(target, 2)]
    merges = 0
    with Engine(source) as there, Engine(target) as here:
        while any(w.poll() is None for w in writers) or merges == 0:
            report = merge_store(here, there)
            merges += 1
            assert not report.conflicts, report.lines()  # nobody here writes merged runs
        for w in writers:
            _out, err = w.communicate(timeout=120)
            assert w.returncode == 0, err
        final = merge_store(here, there)
        assert not final.conflicts, final.lines()
        theirs = [r.run_id for r in there.runs(EVERY).runs]
        assert logs(here, theirs) == logs(there, theirs), "every run of the source, event for event"
        again = merge_store(here, there)
        assert sorted(again.unchanged) == sorted(theirs) and not again.added
        ours = [r.run_id for r in here.runs(EVERY).runs]
        assert len(ours) == len(theirs) + len(set(ours) - set(theirs)) > len(theirs)
    assert merges > 1, "merges ran while the writers wrote"
    with Store(store_path(target)) as store:
        check_store(store)
