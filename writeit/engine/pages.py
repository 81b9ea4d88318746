"""Read-side shapes of the engine API: a page of runs, and a run's branch family.

Lists must open instantly over 10,000 runs, so a page scans newest-first in bounded chunks and
hands back where it stopped; the caller asks for the next page (or yields to its UI) in between.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the queries alone stay light: `writeit list` reads pages without pydantic
    from writeit.domain.models import PipelineRun
    from writeit.storage.store import Store

CHUNK = 200  # run snapshots read per scan step


class Archived(StrEnum):
    """Which runs a page shows with respect to archiving."""

    HIDE = "hide"
    ONLY = "only"
    ALSO = "also"


@dataclass(frozen=True)
class RunQuery:
    """What a list of runs wants: newest first, from `offset` scanned runs on."""

    limit: int = 50
    offset: int = 0
    text: str = ""
    pipeline: str | None = None
    archived: Archived = Archived.HIDE
    scan_limit: int | None = None  # stop after scanning this many runs (keeps a UI responsive)

    def shows(self, archived: bool) -> bool:
        """Whether the archive filter lets a run with this `archived` flag through."""
        return self.archived is Archived.ALSO or (self.archived is Archived.ONLY) == archived

    def matches(self, run: PipelineRun) -> bool:
        if not self.shows(run.archived):
            return False
        if not self.text:
            return True
        hay = " ".join([run.run_id, run.pipeline, run.status.value, *run.inputs.values()])
        return self.text.casefold() in hay.casefold()


@dataclass(frozen=True)
class RunPage:
    """Runs that matched, the offset to continue from, and whether the scan reached the end."""

    runs: list[PipelineRun]
    next_offset: int
    exhausted: bool


@dataclass(frozen=True)
class Family:
    """A branch family: its root run, each run's children, and light snapshots of all."""

    root: str
    children: dict[str, list[str]]
    runs: dict[str, PipelineRun] = field(default_factory=dict)


def scan_page(store: Store, query: RunQuery) -> RunPage:
    """Scan run snapshots newest first from `query.offset` until a page's worth matched."""
    found: list[PipelineRun] = []
    offset = query.offset
    budget = query.scan_limit
    size = min(CHUNK, max(query.limit, 1))  # a short page reads no more than it shows
    while True:
        ids = store.recent_run_ids(limit=offset + size, pipeline=query.pipeline)[offset:]
        snapshots = {r.run_id: r for r in store.run_snapshots(ids)}
        for run_id in ids:
            offset += 1
            run = snapshots.get(run_id)
            if run is not None and query.matches(run):
                found.append(run)
                if len(found) >= query.limit:
                    return RunPage(runs=found, next_offset=offset, exhausted=False)
        if len(ids) < size:
            return RunPage(runs=found, next_offset=offset, exhausted=True)
        size = CHUNK
        if budget is not None and offset - query.offset >= budget:
            return RunPage(runs=found, next_offset=offset, exhausted=False)


def family_of(store: Store, run_id: str) -> Family:
    """Walk up to the family's root, then down through every branch."""
    root = run_id
    while (parent := store.parent(root)) is not None:
        root = parent
    tree: dict[str, list[str]] = {}
    todo = [root]
    while todo:
        current = todo.pop()
        tree[current] = store.children(current)
        todo.extend(tree[current])
    snapshots = {r.run_id: r for r in store.run_snapshots(list(tree))}
    return Family(root=root, children=tree, runs=snapshots)
