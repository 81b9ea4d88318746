"""A snapshot of `d`: two finished panes, each with the words the other lacks highlighted.

The texts are written to the store directly (not the offline models', which other work
changes), with ids, clock and timings pinned as in `test_snapshots.py`. Regenerate with
`pytest tests/tui/test_snapshot_diff.py --snapshot-update` and look at the SVG.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stores import store_of
from textual.pilot import Pilot

from writeit.domain.events import ResponseFinished, ResponseStub, StepStarted
from writeit.domain.models import TokenUsage
from writeit.domain.status import ResponseStatus
from writeit.engine import Engine
from writeit.tui.app import Start, create_app
from writeit.tui.widgets.response_pane import ResponsePane

from .fixtures import NO_SUCH_PID
from .helpers import settled, wait_until
from .pinned import NOW, pinned, pinned_engine

TEXTS = [
    "LMDB maps the whole database into memory, so a read is a pointer lookup with no copy.\n\n"
    "Writers never block readers: each reader sees a snapshot.",
    "LMDB maps the database file into memory, so a read costs a pointer lookup and no copy.\n\n"
    "Writers never block readers: each reader sees a snapshot.",
]


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield from pinned(monkeypatch, 0xD0)


@pytest.fixture
def engine(home: Path) -> Iterator[Engine]:
    yield from pinned_engine(home)


def two_finished(engine: Engine) -> str:
    """A run whose first step has two completed responses that differ in a few words."""
    store = store_of(engine)
    run = engine.start_run("tech-article", {"topic": "LMDB"})
    stubs = [
        ResponseStub(response_id=str(uuid.uuid4()), provider="offline", model=model)
        for model in ("writer", "editor")
    ]
    store.append(
        StepStarted(
            run_id=run.run_id,
            at=NOW,
            step="angles",
            prompt="Suggest angles",
            responses=stubs,
            owner_pid=NO_SUCH_PID,
        )
    )
    for stub, text in zip(stubs, TEXTS, strict=True):
        store.append(
            ResponseFinished(
                run_id=run.run_id,
                at=NOW,
                step="angles",
                response_id=stub.response_id,
                status=ResponseStatus.COMPLETED,
                text=text,
                usage=TokenUsage(output_tokens=20),
                processing_time_s=1.0,
                time_to_first_token_s=0.25,
            )
        )
    return run.run_id


def test_d_highlights_differences_in_the_panes(snap_compare: Any, engine: Engine) -> None:
    app = create_app(engine.home, engine, Start(run_id=two_finished(engine)))

    async def diffed(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: settled(pilot.app))  # type: ignore[arg-type]
        await pilot.press("d")
        panes = pilot.app.screen.query(ResponsePane)
        await wait_until(pilot, lambda: all(p.diff is not None for p in panes))
        pilot.app.clear_notifications()  # the notice's timeout would make the picture vary
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=(120, 36), run_before=diffed)
