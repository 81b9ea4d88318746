"""Schema migrations, applied in order when the store opens; each has an up and a down step.

Version 1 had no `recent_runs:` index (the home screen scanned `run:` keys); version 2 adds it.
Version 3 stores each text once (`codec`): large values compressed, light `run:` snapshots,
`step:` and `response:` snapshots referring to the log's texts. Up rebuilds every run's derived
keys from its log (as `writeit doctor --repair` would); down writes them back whole.
Version 4 ends each `run_by_config:` key with its run id: two runs of a pipeline created in the
same microsecond shared one key (two processes starting runs at once did). Up indexes every run
snapshot again, so a run an old key had hidden is listed again; down drops the ids.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from writeit.domain.errors import WriteItError
from writeit.storage import keys
from writeit.storage.codec import Texts, pack, put_derived, unpack
from writeit.storage.derive import load_full, load_response
from writeit.storage.rebuild import log_events, rebuild
from writeit.storage.scan import scan

CURRENT_VERSION = 4


@dataclass(frozen=True)
class Migration:
    to_version: int
    description: str
    up: Callable[[Any], None]
    down: Callable[[Any], None]


def _add_recent_runs(txn: Any) -> None:
    for key, value in list(scan(txn, b"run:")):
        created = json.loads(unpack(value))["created_at"]
        iso = _iso(created)
        txn.put(keys.recent_runs(iso, key[4:].decode()), key[4:])


def _index_with_ids(txn: Any) -> None:
    for key, _ in list(scan(txn, keys.RUN_BY_CONFIG_PREFIX)):
        txn.delete(key)
    for key, value in list(scan(txn, b"run:")):
        try:
            run = json.loads(unpack(value))
            entry = keys.run_by_config(run["pipeline"], _iso(run["created_at"]), key[4:].decode())
        except (ValueError, KeyError, TypeError):
            continue  # a damaged snapshot: `writeit doctor` names it and rebuilds its keys
        txn.put(entry, key[4:])


def _index_without_ids(txn: Any) -> None:
    for key, value in list(scan(txn, keys.RUN_BY_CONFIG_PREFIX)):
        txn.delete(key)
        txn.put(key[: -len(value) - 1], value)  # the later of two runs in one microsecond wins


def _iso(created: str) -> str:
    return datetime.fromisoformat(created.replace("Z", "+00:00")).isoformat()


def _drop_recent_runs(txn: Any) -> None:
    for key, _ in list(scan(txn, keys.RECENT_RUNS_PREFIX)):
        txn.delete(key)


def _logs(txn: Any) -> dict[str, list[tuple[bytes, bytes]]]:
    """Every run's (key, stored value) events, in order, from one scan."""
    runs: dict[str, list[tuple[bytes, bytes]]] = {}
    for key, value in scan(txn, b"event:"):
        runs.setdefault(key.split(b":")[1].decode(), []).append((key, value))
    return runs


def _store_once(txn: Any) -> None:
    """v2 -> v3: compress the log's large values and rebuild derived keys in the new shapes.

    A run whose log cannot be replayed keeps its old keys (`writeit doctor` names it).
    """
    for run_id, log in _logs(txn).items():
        raws = [unpack(v) for _, v in log]
        try:
            derived = rebuild(txn, run_id, log_events(raws))
        except (ValueError, WriteItError):
            continue
        for (key, _), raw in zip(log, raws, strict=True):
            txn.put(key, pack(raw))
        put_derived(txn, derived)


def _store_whole(txn: Any) -> None:
    """v3 -> v2: every snapshot written whole again (texts inline), the log uncompressed."""
    for run_id, log in _logs(txn).items():
        try:
            state = load_full(txn, run_id)
        except (ValueError, KeyError, TypeError):
            state = None
        if state is not None:
            texts = Texts(txn.get)
            txn.put(
                keys.run(run_id),
                state.model_dump_json(exclude={"steps": {"__all__": {"responses"}}}).encode(),
            )
            for step in state.ordered_steps():
                txn.put(
                    keys.step(run_id, step.name),
                    step.model_dump_json(exclude={"responses"}).encode(),
                )
                for rid in [*step.earlier_response_ids, *step.response_ids]:
                    found = load_response(txn.get, rid, texts)
                    if found is not None:
                        txn.put(keys.response(rid), found[0].model_dump_json().encode())
        for key, value in log:
            txn.put(key, unpack(value))


MIGRATIONS: list[Migration] = [
    Migration(
        2, "index runs by creation time for the home screen", _add_recent_runs, _drop_recent_runs
    ),
    Migration(3, "store each text once", _store_once, _store_whole),
    Migration(4, "index runs by pipeline with their ids", _index_with_ids, _index_without_ids),
]


def read_version(txn: Any) -> int | None:
    raw = txn.get(keys.SCHEMA_VERSION)
    if raw is None:
        return None
    text = bytes(raw).decode("utf-8", "replace").strip()
    if not (text.isascii() and text.isdigit()):
        raise WriteItError(
            f"the store's {keys.SCHEMA_VERSION.decode()} is {text[:20]!r}, not a version number: "
            "the store is damaged"
        )
    return int(text)


def migrate(txn: Any, target: int = CURRENT_VERSION) -> int:
    """Bring the store to `target` (up or down) inside `txn`; return the version it had."""
    version = read_version(txn)
    if version is None:
        empty = not txn.cursor().first()
        version = target if empty else 1
    if version > CURRENT_VERSION:
        raise WriteItError(
            f"this store has schema version {version}, newer than this WriteIt understands "
            f"({CURRENT_VERSION}); upgrade WriteIt"
        )
    start = version
    for m in MIGRATIONS:
        if version < m.to_version <= target:
            m.up(txn)
            version = m.to_version
    for m in reversed(MIGRATIONS):
        if target < m.to_version <= version:
            m.down(txn)
            version = m.to_version - 1
    if txn.get(keys.SCHEMA_VERSION) != str(version).encode():
        txn.put(keys.SCHEMA_VERSION, str(version).encode())
    return start
