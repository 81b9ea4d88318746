"""The full-text index over every run: SQLite FTS5 in `$WRITEIT_HOME/search.sqlite`.

Derived, never the only copy of anything: every row comes from a run's event log, `progress`
says through which event seq each run is indexed, and deleting the file loses nothing (the next
search rebuilds it). SQLite's own locking makes it safe for several processes: each run is
caught up in one transaction that re-reads its progress first, so two processes never index
the same event twice. A file SQLite cannot read is replaced, as any derived index would be.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from writeit.domain.errors import WriteItError

VERSION = "2"  # bump when the rows or the tokenizer change: an older file is rebuilt
BUSY_TIMEOUT_S = 10.0
MARK_START, MARK_END = "\x02", "\x03"  # around matched words in snippets (never in text)
SNIPPET_TOKENS = 16

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS progress (run_id TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, topic TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5(
    text, run_id UNINDEXED, seq UNINDEXED, step UNINDEXED, kind UNINDEXED, label UNINDEXED,
    section UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT OR IGNORE INTO meta VALUES ('version', '{VERSION}');
"""


@dataclass(frozen=True)
class Doc:
    """One searchable text of a run: an input, a response, an edit or a feedback."""

    run_id: str
    seq: int  # the event it came from
    step: str | None
    kind: str  # topic | input | response | edit | feedback
    label: str  # the input's name or the response's model
    text: str
    section: int | None = None  # of a section step: which section (0-based) it belongs to


@dataclass(frozen=True)
class Row:
    """A match: the document's place, its run's topic, and a snippet with marked words."""

    run_id: str
    seq: int
    step: str | None
    kind: str
    label: str
    section: int | None
    pipeline: str
    topic: str
    created_at: str
    snippet: str
    score: float


class SearchIndex:
    """One connection to the index file; `with SearchIndex(path) as index: ...`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        try:
            db = self._open()
        except sqlite3.DatabaseError:  # not a database, or damaged: it is derived, start over
            self.path.unlink(missing_ok=True)
            db = self._open()
        row = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        if row is None or row[0] != VERSION:
            db.close()
            self.path.unlink(missing_ok=True)
            db = self._open()
        return db

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.executescript(f"BEGIN IMMEDIATE; {SCHEMA} COMMIT;")
        except sqlite3.OperationalError as exc:
            raise WriteItError(f"cannot open the search index at {self.path}: {exc}") from None
        return db

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def progress(self) -> dict[str, int]:
        """The last event seq indexed, per run."""
        return dict(self.db.execute("SELECT run_id, seq FROM progress").fetchall())

    def add(
        self,
        run_id: str,
        through: int,
        docs: Iterable[Doc],
        about: tuple[str, str, str] | None = None,
    ) -> bool:
        """Index `docs` (events after the stored progress, through seq `through`) in one
        transaction; `about` is the run's (pipeline, topic, created_at) the first time.
        False when another process indexed these events first (nothing is written)."""
        with _transaction(self.db, immediate=True):
            row = self.db.execute("SELECT seq FROM progress WHERE run_id = ?", (run_id,)).fetchone()
            done = row[0] if row is not None else -1
            if done >= through:
                return False
            if about is not None:
                self.db.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?)", (run_id, *about))
            self.db.executemany(
                "INSERT INTO docs (text, run_id, seq, step, kind, label, section)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (d.text, d.run_id, d.seq, d.step, d.kind, d.label, d.section)
                    for d in docs
                    if d.seq > done and d.text.strip()
                ],
            )
            self.db.execute("INSERT OR REPLACE INTO progress VALUES (?, ?)", (run_id, through))
        return True

    def query(self, match: str, limit: int) -> list[Row]:
        """The best `limit` documents for an FTS5 `match` expression, best first (bm25)."""
        sql = """
            SELECT d.run_id, d.seq, d.step, d.kind, d.label, d.section,
                   coalesce(r.pipeline, ''), coalesce(r.topic, ''), coalesce(r.created_at, ''),
                   snippet(docs, 0, ?, ?, '…', ?), bm25(docs)
            FROM docs AS d LEFT JOIN runs AS r ON r.run_id = d.run_id
            WHERE docs MATCH ?
            ORDER BY bm25(docs), d.run_id, d.seq
            LIMIT ?
        """
        try:
            rows = self.db.execute(
                sql, (MARK_START, MARK_END, SNIPPET_TOKENS, match, limit)
            ).fetchall()
        except sqlite3.OperationalError as exc:
            raise WriteItError(f"cannot search for that: {exc}") from None
        return [Row(*row) for row in rows]

    def clear(self) -> None:
        """Forget everything (a rebuild follows)."""
        with _transaction(self.db, immediate=True):
            for table in ("docs", "progress", "runs"):
                self.db.execute(f"DELETE FROM {table}")


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection, *, immediate: bool = False) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
