"""SQLite baseline for the store benchmark: the same events and derived keys, another engine.

It reuses `writeit.storage.derive` (through a txn adapter whose `get` is a SELECT) so both
stores do identical Python work — validating the event against stored state, folding it,
serialising snapshots — and differ only in how keys are read and committed. Layout: an
`events(run_id, seq, body)` table keyed by (run_id, seq), and a `kv(key, value)` table for the
derived keys (the same keys LMDB holds, so the same indexes exist: `recent_runs:`,
`run_by_config:`, `step:`, `response:`, ...), both WITHOUT ROWID clustered on their keys.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar, cast

from writeit.domain.errors import IllegalTransition
from writeit.domain.events import Event, RunCreated
from writeit.storage import keys
from writeit.storage.codec import PACKED, pack
from writeit.storage.derive import derive

E = TypeVar("E", bound=Event)


class _Txn:
    """What `derive` needs of a transaction: `get(key) -> bytes | None`."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def get(self, key: bytes) -> bytes | None:
        if key.startswith(b"event:"):  # derive reads a prompt from its step_started event
            _, run_id, seq = key.decode().split(":")
            row = self.db.execute(
                "SELECT body FROM events WHERE run_id = ? AND seq = ?", (run_id, int(seq))
            ).fetchone()
        else:
            row = self.db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])


class SqliteStore:
    """`Store.append` semantics on SQLite in WAL mode.

    synchronous=NORMAL: a commit is safe against a crash of the process (the WAL is in the OS
    page cache), a power cut may lose the last commits — the class of LMDB `sync=False` with a
    periodic `env.sync()`. synchronous=FULL: fsync at every commit — the class of LMDB
    `sync=True`.
    """

    def __init__(self, path: Path, *, synchronous: str = "NORMAL") -> None:
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={synchronous}")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS events (run_id TEXT NOT NULL, seq INTEGER NOT NULL, "
            "body BLOB NOT NULL, PRIMARY KEY (run_id, seq)) WITHOUT ROWID"
        )
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY, value BLOB NOT NULL) "
            "WITHOUT ROWID"
        )
        self.txn = _Txn(self.db)

    def append(self, event: E, blobs: Mapping[bytes, bytes] | None = None) -> E:
        """One transaction: next seq, derive, the event row, every derived key, the blobs."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute(
                "SELECT max(seq) FROM events WHERE run_id = ?", (event.run_id,)
            ).fetchone()
            seq = 0 if row[0] is None else row[0] + 1
            if isinstance(event, RunCreated) and (seq != 0 or self.txn.get(keys.run(event.run_id))):
                raise IllegalTransition(f"run {event.run_id} already exists")
            stamped = event.model_copy(update={"seq": seq})
            writes = derive(self.txn, stamped)
            db.execute(
                "INSERT INTO events (run_id, seq, body) VALUES (?, ?, ?)",
                (event.run_id, seq, pack(stamped.model_dump_json().encode())),
            )
            for key, value in writes.items():
                if value is None:
                    db.execute("DELETE FROM kv WHERE key = ?", (key,))
                else:
                    if key.startswith(PACKED):  # stored as the LMDB store stores it
                        value = pack(value)
                    db.execute("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", (key, value))
            for key, value in (blobs or {}).items():
                db.execute("INSERT OR IGNORE INTO kv (key, value) VALUES (?, ?)", (key, value))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return cast(E, stamped)

    def sync(self) -> None:
        """WAL checkpoint is SQLite's business; a commit is already as durable as configured."""

    def close(self) -> None:
        self.db.close()
