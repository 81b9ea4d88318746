"""Schema migrations on a real old-format store: up on open, down on request, newer refused."""

from __future__ import annotations

from pathlib import Path

import lmdb
import pytest
from stores import open_engine

from writeit.domain.errors import WriteItError
from writeit.storage.migrations import CURRENT_VERSION, migrate, read_version
from writeit.storage.store import Store


def dump(env: lmdb.Environment) -> dict[bytes, bytes]:
    with env.begin() as txn:
        return {bytes(k): bytes(v) for k, v in txn.cursor()}


async def make_v1_store(tmp_path: Path) -> tuple[Path, str]:
    """Write a version-1 store (no `recent_runs:` index) with the lmdb package directly."""
    engine, store = open_engine(tmp_path / "src")
    run = engine.start_run("blog-post", {"topic": "tea"})
    await engine.run_step(run.run_id)
    current = dump(store.env)
    engine.close()
    old = {k: v for k, v in current.items() if not k.startswith(b"recent_runs:")}
    old[b"meta:schema_version"] = b"1"
    path = tmp_path / "v1.lmdb"
    env = lmdb.open(str(path), map_size=8 * 1024 * 1024)
    with env.begin(write=True) as txn:
        for k, v in old.items():
            txn.put(k, v)
    env.close()
    return path, run.run_id


async def test_old_store_is_migrated_up_on_open(tmp_path: Path) -> None:
    path, run_id = await make_v1_store(tmp_path)
    store = Store(path)
    assert store.get_raw(b"meta:schema_version") == str(CURRENT_VERSION).encode()
    assert store.recent_run_ids() == [run_id]
    assert store.load_run(run_id).steps["ideas"].attempt == 1
    store.close()


async def test_down_step_restores_the_old_format(tmp_path: Path) -> None:
    path, _ = await make_v1_store(tmp_path)
    env = lmdb.open(str(path))
    original = dump(env)
    with env.begin(write=True) as txn:
        assert migrate(txn) == 1
    with env.begin(write=True) as txn:
        assert migrate(txn, target=1) == CURRENT_VERSION
        assert read_version(txn) == 1
    assert dump(env) == original
    env.close()


def test_newer_store_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "new.lmdb"
    env = lmdb.open(str(path))
    with env.begin(write=True) as txn:
        txn.put(b"meta:schema_version", str(CURRENT_VERSION + 1).encode())
        txn.put(b"run:x", b"{}")
    before = dump(env)
    env.close()
    with pytest.raises(WriteItError, match="newer than this WriteIt understands"):
        Store(path)
    env = lmdb.open(str(path))
    assert dump(env) == before
    env.close()


def test_new_store_starts_at_current_version(tmp_path: Path) -> None:
    store = Store(tmp_path / "fresh")
    assert store.get_raw(b"meta:schema_version") == str(CURRENT_VERSION).encode()
    store.close()
