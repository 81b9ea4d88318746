"""More snapshots: the dialogs, history, tree, failed/interrupted/cancelled panes and 80x24.

Ids, clocks and stream timings are pinned as in `test_snapshots.py`. Regenerate with
`pytest tests/tui/test_snapshots_more.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from stores import store_of
from textual.pilot import Pilot
from textual.screen import Screen

from writeit.domain.events import (
    ResponseFinished,
    ResponseStub,
    ResponseTextAppended,
    StepStarted,
)
from writeit.domain.models import TokenUsage
from writeit.domain.status import ResponseStatus
from writeit.engine import Engine
from writeit.tui.app import Start, WriteItApp, create_app
from writeit.tui.screens.dialogs import ConfirmDialog, ExportDialog, TextDialog
from writeit.tui.screens.history import HistoryScreen
from writeit.tui.screens.tree import TreeScreen
from writeit.tui.widgets.response_pane import ResponsePane

from .fixtures import NO_SUCH_PID
from .helpers import settled, wait_until
from .pinned import NOW, pinned, pinned_engine

SIZE = (120, 36)
SMALL = (80, 24)


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield from pinned(monkeypatch, 0xB0)


@pytest.fixture
def engine(home: Path) -> Iterator[Engine]:
    yield from pinned_engine(home)


def finish(engine: Engine, run_id: str, picks: list[int], last: bool = True) -> str:
    """Run and pick the first `len(picks)` steps, then stream the next one if `last`."""

    async def go() -> str:
        current = run_id
        for pick in picks:
            await engine.run_step(current)
            current = engine.pick(current, pick)
        if last:
            await engine.run_step(current)
        return current

    return asyncio.run(go())


def app_for(engine: Engine, start: Start | None = None) -> WriteItApp:
    return create_app(engine.home, engine, start)


def after(*keys: str, until: type[Screen[Any]] | None = None) -> Callable[[Pilot[Any]], Any]:
    """Wait for the run screen to settle, press `keys`, wait for screen `until` to be on top."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: settled(pilot.app))  # type: ignore[arg-type]
        await pilot.pause(0.1)
        if keys:
            await pilot.press(*keys)
        if until is not None:
            await wait_until(pilot, lambda: isinstance(pilot.app.screen, until))
        await pilot.pause(0.2)

    return run_before


def one_step_done(engine: Engine) -> str:
    """A tech-article run whose first step was picked (response 1) and second step streamed."""
    run_id = engine.start_run("tech-article", {"topic": "LMDB"}).run_id
    return finish(engine, run_id, [0])


def test_branch_confirm_dialog(snap_compare: Any, engine: Engine) -> None:
    app = app_for(engine, Start(run_id=one_step_done(engine)))
    assert snap_compare(app, terminal_size=SIZE, run_before=after("b", until=ConfirmDialog))


def test_edit_dialog(snap_compare: Any, engine: Engine) -> None:
    app = app_for(engine, Start(run_id=one_step_done(engine)))
    run_before = after("left", "e", until=TextDialog)  # the finished angles step: its pick
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_export_dialog(snap_compare: Any, engine: Engine) -> None:
    app = app_for(engine, Start(run_id=one_step_done(engine)))
    assert snap_compare(app, terminal_size=SIZE, run_before=after("x", until=ExportDialog))


def test_history(snap_compare: Any, engine: Engine) -> None:
    app = app_for(engine, Start(run_id=one_step_done(engine)))
    assert snap_compare(app, terminal_size=SIZE, run_before=after("h", until=HistoryScreen))


def test_tree_of_a_family(snap_compare: Any, engine: Engine) -> None:
    root = one_step_done(engine)
    child = engine.branch(root, "outline")
    engine.branch(root, "angles")
    engine.archive(engine.branch(child, "outline"))
    app = app_for(engine, Start(run_id=root))
    assert snap_compare(app, terminal_size=SIZE, run_before=after("t", until=TreeScreen))


def started(engine: Engine, topic: str, models: list[str]) -> tuple[str, list[ResponseStub]]:
    """A tech-article run whose first step started one response per offline model, written
    event by event as a process (long gone) did."""
    run = engine.start_run("tech-article", {"topic": topic})
    stubs = [
        ResponseStub(response_id=str(uuid.uuid4()), provider="offline", model=model)
        for model in models
    ]
    store_of(engine).append(
        StepStarted(
            run_id=run.run_id,
            at=NOW,
            step="angles",
            prompt="Suggest angles",
            responses=stubs,
            owner_pid=NO_SUCH_PID,
        )
    )
    return run.run_id, stubs


def ended_badly(engine: Engine) -> str:
    """A run whose first step has a failed, a cancelled and an interrupted response.

    Built event by event as a process that died mid-stream would have left it: the failed and
    cancelled responses ended, the third was cut off and is marked interrupted on recovery.
    """
    store = store_of(engine)
    run_id, stubs = started(engine, "Things going wrong", ["writer", "editor", "writer"])
    texts = [
        "1. **Why things fail** — and what",
        "1. **Cancelling early** — the writer saw enough and pressed c, so this",
        "1. **Crashes mid-sentence** — the process died while this was streaming, and",
    ]
    for stub, text in zip(stubs, texts, strict=True):
        store.append(
            ResponseTextAppended(
                run_id=run_id,
                at=NOW,
                step="angles",
                response_id=stub.response_id,
                text=text,
                first_token_s=0.25,
            )
        )
    store.append(
        ResponseFinished(
            run_id=run_id,
            at=NOW,
            step="angles",
            response_id=stubs[0].response_id,
            status=ResponseStatus.FAILED,
            error="openai: 429 rate limited (after 3 attempts)",
            attempts=3,
            processing_time_s=2.5,
        )
    )
    store.append(
        ResponseFinished(
            run_id=run_id,
            at=NOW,
            step="angles",
            response_id=stubs[1].response_id,
            status=ResponseStatus.CANCELLED,
            finish_reason="cancelled",
            processing_time_s=1.5,
        )
    )
    assert engine.recover_interrupted() >= 1
    statuses = [r.status for r in engine.load(run_id).steps["angles"].ordered_responses()]
    assert statuses == [
        ResponseStatus.FAILED,
        ResponseStatus.CANCELLED,
        ResponseStatus.INTERRUPTED,
    ]
    return run_id


def test_failed_cancelled_interrupted_panes(snap_compare: Any, engine: Engine) -> None:
    app = app_for(engine, Start(run_id=ended_badly(engine)))
    assert snap_compare(app, terminal_size=SIZE, run_before=after())


def test_run_at_80x24(snap_compare: Any, engine: Engine) -> None:
    app = app_for(engine, Start(run_id=one_step_done(engine)))
    assert snap_compare(app, terminal_size=SMALL, run_before=after())


DIFFERING = [
    "LMDB maps the whole database into memory, so a read is a pointer lookup with no copy.\n\n"
    "Writers never block readers: each reader sees a snapshot.",
    "LMDB maps the database file into memory, so a read costs a pointer lookup and no copy.\n\n"
    "Writers never block readers: each reader sees a snapshot.",
]


def test_d_highlights_differences_in_the_panes(snap_compare: Any, engine: Engine) -> None:
    """Two finished panes (texts of our own, not the offline models'), each lighting the
    words the other lacks, with how alike they are in the headers."""
    run_id, stubs = started(engine, "LMDB", ["writer", "editor"])
    for stub, text in zip(stubs, DIFFERING, strict=True):
        finished = ResponseFinished(
            run_id=run_id,
            at=NOW,
            step="angles",
            response_id=stub.response_id,
            status=ResponseStatus.COMPLETED,
            text=text,
            usage=TokenUsage(output_tokens=20),
            processing_time_s=1.0,
            time_to_first_token_s=0.25,
        )
        store_of(engine).append(finished)

    async def diffed(pilot: Pilot[Any]) -> None:
        await after("d")(pilot)
        panes = pilot.app.screen.query(ResponsePane)
        await wait_until(pilot, lambda: all(p.diff is not None for p in panes))
        pilot.app.clear_notifications()  # what the highlight means: a toast over the panes

    app = app_for(engine, Start(run_id=run_id))
    assert snap_compare(app, terminal_size=SIZE, run_before=diffed)
