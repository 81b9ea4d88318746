"""Store limits: a full map grows by itself; a store from a newer WriteIt is refused untouched."""

from __future__ import annotations

import asyncio
import base64
import os
from pathlib import Path

import lmdb
import pytest
from stores import open_engine

from writeit.cli.main import main
from writeit.domain.errors import WriteItError
from writeit.engine import Engine, PickStrategy
from writeit.storage import keys
from writeit.storage.migrations import CURRENT_VERSION
from writeit.storage.store import Store

from .support import check_store, dump_store, run_cli, store_path

TINY_MAP = 64 * 1024


def _run_pipeline(engine: Engine, topic: str) -> str:
    run = engine.start_run("tech-article", {"topic": topic})
    return asyncio.run(engine.run_to_end(run.run_id, PickStrategy.parse("1"))).run_id


def test_a_tiny_map_fills_and_grows_by_itself(home: Path) -> None:
    store = Store(store_path(home), map_size=TINY_MAP)
    engine = Engine(home, store=store)
    try:
        assert store.env.info()["map_size"] == TINY_MAP
        ids = [_run_pipeline(engine, f"growth {i}") for i in range(3)]
        # One value far larger than the whole map: one append, several doublings. Random
        # words: repeated text would compress to almost nothing (the store compresses).
        big = base64.b64encode(os.urandom(1_800_000)).decode()
        child = engine.edit(ids[0], big, step="polish")
        grown = store.env.info()["map_size"]
        assert grown >= 2 * 1024 * 1024, grown
        runs = check_store(store)
        assert set(ids) | {child} <= set(runs)
        assert engine.load(child).article == big
    finally:
        engine.close()
    # Reopening with the small size again adopts the grown file rather than truncating it.
    with Store(store_path(home), map_size=TINY_MAP) as again:
        assert len(check_store(again)) == 4
        assert again.load_run(child).article == big


def _make_newer(home: Path) -> dict[bytes, bytes]:
    engine = Engine.open(home)
    try:
        _run_pipeline(engine, "the future")
    finally:
        engine.close()
    env = lmdb.open(str(store_path(home)), map_size=64 * 1024 * 1024)
    with env.begin(write=True) as txn:
        txn.put(keys.SCHEMA_VERSION, str(CURRENT_VERSION + 7).encode())
    env.close()
    return dump_store(store_path(home))


def test_a_store_from_a_newer_writeit_is_refused_and_left_untouched(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _make_newer(home)
    newer = CURRENT_VERSION + 7
    assert before[keys.SCHEMA_VERSION] == str(newer).encode()

    with pytest.raises(WriteItError, match=r"newer than this WriteIt understands"):
        Store(store_path(home))
    with pytest.raises(WriteItError, match=f"schema version {newer}"):
        Engine.open(home)
    assert dump_store(store_path(home)) == before

    for argv in (["list"], ["run", "tech-article", "--input", "topic=x"], ["show", "abcdef"]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "upgrade WriteIt" in err and "Traceback" not in err, err
    assert dump_store(store_path(home)) == before

    # And as a user sees it, from a real process.
    done = run_cli(home, "list")
    assert done.returncode == 1
    assert done.stderr.startswith(f"writeit: error: this store has schema version {newer},"), (
        done.stderr
    )
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert dump_store(store_path(home)) == before


def test_a_store_that_cannot_write_fails_the_step_loudly(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Disk full mid-stream: the step must not return as if nothing happened (responses left
    `streaming` forever); the writer gets one clear line, and what was stored stays consistent."""
    from writeit.storage import store as store_module

    real_derive = store_module.derive

    def disk_full(txn: object, event: object) -> object:
        if type(event).__name__ in ("ResponseTextAppended", "ResponseFinished"):
            raise lmdb.DiskError(str(store_path(home)), "No space left on device")
        return real_derive(txn, event)

    engine, store = open_engine(home)
    try:
        run = engine.start_run("tech-article", {"topic": "disk full"})
        monkeypatch.setattr(store_module, "derive", disk_full)
        with pytest.raises(WriteItError, match=r"cannot write to the store .*No space left"):
            asyncio.run(engine.run_step(run.run_id, "angles"))
        monkeypatch.setattr(store_module, "derive", real_derive)
        check_store(store)
    finally:
        engine.close()

    monkeypatch.setattr(store_module, "derive", disk_full)
    assert main(["run", "tech-article", "--input", "topic=full"]) == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("writeit: error:")]
    assert len(lines) == 1 and "No space left on device" in lines[0], err
    assert "Traceback" not in err
