"""Damage is one line, never a crash: each case runs `python -m writeit` in a subprocess, so a
SIGBUS or an abort inside LMDB fails the test (a negative return code) instead of killing pytest.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import lmdb
import pytest
from stores import finished_run, open_engine

from writeit.domain.errors import WriteItError
from writeit.storage import keys
from writeit.storage.store import Store

from .support import run_cli, store_path


def one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """The process exited 1 with exactly one `writeit: error:` line naming `words`."""
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("writeit: error: "), lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def populated(home: Path) -> Path:
    engine, _ = open_engine(home)
    with engine:
        for i in range(3):
            finished_run(engine, "tech-article", f"topic {i}")
    return store_path(home) / "data.mdb"


def test_a_truncated_data_file_is_one_line_not_sigbus(home: Path, populated: Path) -> None:
    size = populated.stat().st_size
    with populated.open("r+b") as f:
        f.truncate(size // 2)
    one_line_error(run_cli(home, "list"), "truncated", "data.mdb")
    assert populated.stat().st_size == size // 2, "nothing was written to the damaged store"


def test_an_empty_data_file_is_not_a_new_empty_store(home: Path, populated: Path) -> None:
    populated.write_bytes(b"")
    one_line_error(run_cli(home, "list"), "empty", "data.mdb")
    one_line_error(run_cli(home, "run", "tech-article", "-i", "topic=x"), "empty")
    assert populated.stat().st_size == 0, "no fresh store was made over it"


def test_a_data_file_with_a_broken_header_is_one_line(home: Path, populated: Path) -> None:
    with populated.open("r+b") as f:
        f.write(b"\0" * 8192)  # both meta pages zeroed
    one_line_error(run_cli(home, "list"), "header")


def test_a_new_home_still_makes_a_new_store(home: Path) -> None:
    done = run_cli(home, "list")
    assert done.returncode == 0, done.stderr
    assert (store_path(home) / "data.mdb").stat().st_size > 0


def test_a_non_integer_schema_version_is_one_line(home: Path, populated: Path) -> None:
    env = lmdb.open(str(store_path(home)))
    with env.begin(write=True) as txn:
        txn.put(keys.SCHEMA_VERSION, b"two")
    env.close()
    one_line_error(run_cli(home, "list"), "schema_version", "damaged")


def test_a_config_that_is_a_directory_is_one_line(home: Path) -> None:
    (home / "config.yaml").mkdir(parents=True)
    one_line_error(run_cli(home, "models"), "config.yaml", "directory")


def test_branch_from_an_empty_step_name_is_one_line(home: Path, populated: Path) -> None:
    engine, _ = open_engine(home)
    with engine:
        run_id = engine.runs().runs[0].run_id
    one_line_error(run_cli(home, "branch", run_id, "--from", ""), "has no step ''")


def test_branch_from_a_step_after_an_unfinished_one_is_refused(home: Path) -> None:
    """A branch at `draft` of a run whose `angles` is not done would be a dead end."""
    engine, store = open_engine(home)
    with engine:
        run_id = engine.start_run("tech-article", {"topic": "x"}).run_id
        before = list(store.keys_with_prefix(b"run:"))
        for step in ("outline", "draft", "polish"):
            with pytest.raises(WriteItError):
                engine.branch(run_id, step)
        assert list(store.keys_with_prefix(b"run:")) == before, "nothing was written"


def test_a_stale_reader_slot_is_cleared_on_open(home: Path, populated: Path) -> None:
    """A reader killed mid-transaction pins old pages (the store grows) until cleared."""
    path = store_path(home)
    code = (
        "import lmdb, sys\n"
        f"env = lmdb.open({str(path)!r})\n"
        "txn = env.begin() if sys.argv[1] == 'reader' else None\n"
        "print('ready', flush=True)\n"
        "sys.stdin.read()\n"
    )

    def spawn(role: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-c", code, role],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        return proc

    holder = spawn("holder")  # keeps the environment open, so its reader table survives
    try:
        reader = spawn("reader")
        reader.kill()
        reader.wait()
        probe = lmdb.open(str(path))
        assert str(reader.pid) in probe.readers(), "the killed reader left its slot"
        probe.close()
        store = Store(path)
        try:
            assert str(reader.pid) not in store.env.readers()
        finally:
            store.close()
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait()
