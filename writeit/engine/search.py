"""Search across every run: topics, inputs, responses, edits and feedback, ranked by bm25.

The index (`storage.search_index`, SQLite FTS5 beside the LMDB store) is fed from each run's
event log through the engine's own read API (`runs`, `load`, `history`), never from the store's
keys, so it follows whatever the store's format becomes. Before a search it is caught up: a run
whose last event seq is past the one indexed has its newer events indexed. Texts copied into a
branch from its parent are the parent's and are found there, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from writeit.domain.errors import WriteItError
from writeit.domain.events import (
    Event,
    FeedbackGiven,
    ResponseFinished,
    ResponseTextAppended,
    RunCreated,
    StepEdited,
    StepStarted,
)
from writeit.domain.models import PipelineRun
from writeit.domain.redact import strip_control
from writeit.domain.status import RunStatus
from writeit.engine.pages import Archived, RunPage, RunQuery
from writeit.storage.search_index import MARK_END, MARK_START, Doc, Row, SearchIndex

INDEX_FILE = "search.sqlite"
EVERY_RUN = RunQuery(limit=1 << 62, archived=Archived.ALSO)


class RunReader(Protocol):
    """The engine's read API the index is fed from."""

    @property
    def home(self) -> Path: ...
    def runs(self, query: RunQuery | None = None) -> RunPage: ...
    def load(self, run_id: str) -> PipelineRun: ...
    def history(self, run_id: str) -> list[Event]: ...


@dataclass(frozen=True)
class SearchHit:
    """One match: where it is (run, step, what kind of text) and a snippet of it.

    `marks` are (start, end) offsets of the matched words in `snippet`; `step` is None for an
    input, which belongs to the whole run; `section` (0-based) places it in a section step."""

    run_id: str
    step: str | None
    kind: str
    label: str
    section: int | None
    pipeline: str
    topic: str
    created_at: str
    snippet: str
    marks: list[tuple[int, int]]
    score: float

    @property
    def place(self) -> str:
        """Where the match is, for a person: `draft: response openai:gpt-5.4-mini`, `topic`,
        `input audience`, `outline: feedback`, `polish §2: response offline:writer`."""
        what = self.kind if self.label in ("", self.kind) else f"{self.kind} {self.label}"
        if not self.step:
            return what
        where = self.step if self.section is None else f"{self.step} §{self.section + 1}"
        return f"{where}: {what}"

    def shape(self) -> dict[str, Any]:
        """`search --json`: every field, the snippet plain and its marks as [start, end]."""
        return {
            "run_id": self.run_id,
            "step": self.step,
            "kind": self.kind,
            "label": self.label,
            "section": self.section,
            "pipeline": self.pipeline,
            "topic": self.topic,
            "created_at": self.created_at,
            "snippet": self.snippet,
            "marks": [list(m) for m in self.marks],
            "score": round(self.score, 4) + 0.0,  # + 0.0: a tiny bm25 score is 0.0, not -0.0
        }


@dataclass(frozen=True)
class SearchResults:
    """The hits, best first, and the runs that could not be read (run id, why)."""

    query: str
    hits: list[SearchHit]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    indexed: int = 0  # runs whose newer events were indexed by this search


def index_path(home: Path) -> Path:
    return home / INDEX_FILE


def search_runs(
    engine: RunReader, query: str, *, limit: int = 20, catch_up: bool = True
) -> SearchResults:
    """The best `limit` matches of every word of `query` (a trailing `*` matches a prefix),
    after indexing what changed since the last search (`catch_up=False`: query only, as the
    TUI does per keystroke once it caught up when the search opened)."""
    match = match_expression(query)
    with SearchIndex(index_path(engine.home)) as index:
        indexed, skipped = _catch_up(engine, index) if catch_up else (0, [])
        hits = [_hit(row) for row in index.query(match, limit)]
    return SearchResults(query, hits, skipped, indexed)


def update_search_index(engine: RunReader) -> SearchResults:
    """Index what changed since the last search (the TUI's search does it once as it opens)."""
    with SearchIndex(index_path(engine.home)) as index:
        indexed, skipped = _catch_up(engine, index)
    return SearchResults("", [], skipped, indexed)


def rebuild_search_index(engine: RunReader) -> SearchResults:
    """Forget the index and build it again from every run's log (`search --rebuild`)."""
    with SearchIndex(index_path(engine.home)) as index:
        index.clear()
        indexed, skipped = _catch_up(engine, index)
    return SearchResults("", [], skipped, indexed)


def match_expression(query: str) -> str:
    """An FTS5 expression matching every word of `query`: each word quoted, so punctuation and
    FTS5 operators in what a writer types are words, never syntax errors."""
    terms = []
    for word in query.split():
        prefix = word.endswith("*") and len(word) > 1
        core = (word[:-1] if prefix else word).replace('"', '""')
        terms.append(f'"{core}"*' if prefix else f'"{core}"')
    if not terms:
        raise WriteItError("give at least one word to search for")
    return " ".join(terms)


def documents(events: Iterable[Event]) -> Iterator[Doc]:
    """The searchable texts a run's events hold, each tagged with the seq of its event.

    A response is one document, at its `response_finished` event: its text is what streamed
    before (in any earlier event) plus the final part. Steps copied into a branch are skipped.
    """
    streamed: dict[str, list[str]] = {}
    models: dict[str, str] = {}
    sections: dict[str, int] = {}  # response id -> its section, on a section step
    for e in events:
        if isinstance(e, RunCreated):
            for name, value in e.inputs.items():
                kind = "topic" if name == "topic" else "input"
                yield Doc(e.run_id, e.seq, None, kind, name, strip_control(value))
        elif isinstance(e, StepStarted):
            for stub in e.responses:
                models[stub.response_id] = f"{stub.provider}:{stub.model}"
                if e.section is not None:
                    sections[stub.response_id] = e.section
        elif isinstance(e, ResponseTextAppended):
            streamed.setdefault(e.response_id, []).append(e.text)
        elif isinstance(e, ResponseFinished):
            text = "".join(streamed.pop(e.response_id, [])) + e.text
            label = models.get(e.response_id, "")
            text = strip_control(text).strip()
            yield Doc(e.run_id, e.seq, e.step, "response", label, text, sections.get(e.response_id))
        elif isinstance(e, FeedbackGiven):
            text = strip_control(e.feedback)
            yield Doc(e.run_id, e.seq, e.step, "feedback", "", text, e.section)
        elif isinstance(e, StepEdited):
            yield Doc(e.run_id, e.seq, e.step, "edit", "", strip_control(e.content))


def _catch_up(reader: RunReader, index: SearchIndex) -> tuple[int, list[tuple[str, str]]]:
    """Index every run's events past its indexed seq; damaged runs are skipped and named."""
    done = index.progress()
    indexed = 0
    skipped: list[tuple[str, str]] = []
    for snapshot in reader.runs(EVERY_RUN).runs:
        run_id = snapshot.run_id
        if snapshot.damaged:
            skipped.append((run_id, snapshot.damaged))
            continue
        known = done.get(run_id, -1)
        # A finished run's snapshot knows its last event; response events of an unfinished
        # one do not rewrite it, so that run is read whole to learn its last seq.
        try:
            last = (
                snapshot.last_seq
                if snapshot.status is RunStatus.COMPLETED
                else reader.load(run_id).last_seq
            )
            if last <= known:
                continue
            events = reader.history(run_id)
        except WriteItError as exc:
            skipped.append((run_id, str(exc)))
            continue
        if not events:
            continue
        about = (snapshot.pipeline, _topic(snapshot), snapshot.created_at.isoformat())
        if index.add(run_id, events[-1].seq, documents(events), about):
            indexed += 1
    return indexed, skipped


def _topic(run: PipelineRun) -> str:
    return run.inputs.get("topic") or next(iter(run.inputs.values()), "")


def _hit(row: Row) -> SearchHit:
    snippet, marks = _unmark(row.snippet)
    return SearchHit(
        run_id=row.run_id,
        step=row.step,
        kind=row.kind,
        label=row.label,
        section=row.section,
        pipeline=row.pipeline,
        topic=strip_control(row.topic),
        created_at=row.created_at,
        snippet=snippet,
        marks=marks,
        score=row.score,
    )


def _unmark(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """The snippet without SQLite's markers (whitespace folded), and where they were."""
    flat = " ".join(marked.split())
    plain: list[str] = []
    marks: list[tuple[int, int]] = []
    size = 0
    start = 0
    for ch in flat:
        if ch == MARK_START:
            start = size
        elif ch == MARK_END:
            marks.append((start, size))
        else:
            plain.append(ch)
            size += 1
    return "".join(plain), marks
