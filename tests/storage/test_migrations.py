"""Schema migrations on real old stores: up on open, down on request, newer refused.

`fixtures/store_v2.data.mdb.gz` is a schema-2 store written by WriteIt before schema 3 (text
stored once) existed, with the YAML export of each of its runs taken then
(`fixtures/make_store_v2.py.txt` made both): regenerated, edited, branched, carried, archived,
interrupted and failed runs.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import lmdb
import pytest
import yaml
from stores import open_engine

from writeit.domain.errors import WriteItError
from writeit.storage.migrations import CURRENT_VERSION, migrate, read_version
from writeit.storage.store import Store

FIXTURES = Path(__file__).with_name("fixtures")
EXPORTS: dict[str, str] = json.loads((FIXTURES / "store_v2_exports.json").read_text())


def dump(env: lmdb.Environment) -> dict[bytes, bytes]:
    with env.begin() as txn:
        return {bytes(k): bytes(v) for k, v in txn.cursor()}


def v2_store(tmp_path: Path) -> Path:
    """A private copy of the schema-2 store (LMDB writes to it as it migrates)."""
    home = tmp_path / "home"
    path = home / "writeit.lmdb"
    path.mkdir(parents=True)
    data = gzip.decompress((FIXTURES / "store_v2.data.mdb.gz").read_bytes())
    (path / "data.mdb").write_bytes(data)
    return path


def exports(home: Path) -> dict[str, str]:
    """Each fixture run's YAML export as the code exports it now, without the `models:` key.

    The export gained `models:` (the models chosen at the start, its last key) after these
    exports were recorded: it is checked to name the fixture's models, and everything before
    it must be byte for byte what the schema-2 code exported."""
    engine, _ = open_engine(home)
    out = {}
    with engine:
        for run_id in EXPORTS:
            text = engine.export_text(run_id, "yaml")
            before, found, added = text.partition("\nmodels:\n")
            if found:
                models = yaml.safe_load("models:\n" + added)["models"]
                assert models == {"*": ["offline:writer", "offline:editor"]}, models
            out[run_id] = before + "\n" if found else text
    return out


def test_a_v2_store_opens_migrates_and_exports_the_same_yaml(tmp_path: Path) -> None:
    path = v2_store(tmp_path)
    before = dump(env := lmdb.open(str(path), max_readers=8))
    env.close()
    assert before[b"meta:schema_version"] == b"2"
    assert exports(path.parent) == EXPORTS
    with Store(path) as store:
        assert store.get_raw(b"meta:schema_version") == str(CURRENT_VERSION).encode()
        used = _used(store.env)
    engine, _ = open_engine(path.parent)
    with engine:
        report = engine.doctor()
        assert report.ok, [p.line for p in report.problems]
    # Every event kept byte for byte (stored compressed when large).
    after = dump(env := lmdb.open(str(path), max_readers=8))
    env.close()
    from writeit.storage.codec import unpack

    events = {k: v for k, v in before.items() if k.startswith(b"event:")}
    assert {k: unpack(after[k]) for k in events} == events
    assert used < _used_of(before) * 0.6, "text stored once takes much less room"


def test_down_step_writes_the_old_format_back_and_up_again_is_the_same(tmp_path: Path) -> None:
    path = v2_store(tmp_path)
    original = dump(env := lmdb.open(str(path), max_readers=8))
    with env.begin(write=True) as txn:
        assert migrate(txn) == 2
    with env.begin(write=True) as txn:
        assert migrate(txn, target=2) == CURRENT_VERSION
        assert read_version(txn) == 2
    down = dump(env)
    env.close()
    assert set(down) == set(original)
    for key, value in original.items():
        if key.startswith(b"event:") or key.startswith(b"meta:"):
            assert down[key] == value, key
        elif key.startswith((b"run:", b"step:", b"response:")):
            assert b'"$ref"' not in down[key]
            assert _subset(json.loads(value), json.loads(down[key])), key
    assert exports(path.parent) == EXPORTS  # opening migrates up again


def test_a_v1_store_is_migrated_up_on_open(tmp_path: Path) -> None:
    """Version 1 had no `recent_runs:` index."""
    path = v2_store(tmp_path)
    env = lmdb.open(str(path), max_readers=8)
    with env.begin(write=True) as txn:
        for key, _ in list(txn.cursor()):
            if bytes(key).startswith(b"recent_runs:"):
                txn.delete(key)
        txn.put(b"meta:schema_version", b"1")
    env.close()
    with Store(path) as store:
        assert store.get_raw(b"meta:schema_version") == str(CURRENT_VERSION).encode()
        assert set(store.recent_run_ids()) == set(EXPORTS)
    assert exports(path.parent) == EXPORTS


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


def _subset(old: Any, new: Any) -> bool:
    """`new` says everything `old` said (it may add fields that came with later models)."""
    if isinstance(old, dict):
        return isinstance(new, dict) and all(
            k in new and _subset(v, new[k]) for k, v in old.items()
        )
    return bool(old == new)


def _used(env: lmdb.Environment) -> int:
    s = env.stat()
    return int((s["branch_pages"] + s["leaf_pages"] + s["overflow_pages"]) * s["psize"])


def _used_of(pairs: dict[bytes, bytes]) -> int:
    """The pages the same pairs take in a fresh environment (the fixture is compacted)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        env = lmdb.open(tmp, map_size=64 << 20)
        with env.begin(write=True) as txn:
            for k, v in pairs.items():
                txn.put(k, v)
        used = _used(env)
        env.close()
    return used
