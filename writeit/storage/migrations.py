"""Schema migrations, applied in order when the store opens; each has an up and a down step.

Version 1 had no `recent_runs:` index (the home screen scanned `run:` keys); version 2 adds it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from writeit.domain.errors import WriteItError
from writeit.storage import keys
from writeit.storage.scan import scan

CURRENT_VERSION = 2


@dataclass(frozen=True)
class Migration:
    to_version: int
    description: str
    up: Callable[[Any], None]
    down: Callable[[Any], None]


def _add_recent_runs(txn: Any) -> None:
    for key, value in list(scan(txn, b"run:")):
        created = json.loads(value)["created_at"]
        iso = _iso(created)
        txn.put(keys.recent_runs(iso, key[4:].decode()), key[4:])


def _iso(created: str) -> str:
    return datetime.fromisoformat(created.replace("Z", "+00:00")).isoformat()


def _drop_recent_runs(txn: Any) -> None:
    for key, _ in list(scan(txn, keys.RECENT_RUNS_PREFIX)):
        txn.delete(key)


MIGRATIONS: list[Migration] = [
    Migration(
        2, "index runs by creation time for the home screen", _add_recent_runs, _drop_recent_runs
    ),
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
