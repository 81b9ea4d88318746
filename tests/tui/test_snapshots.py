"""Snapshots of every screen at 120x36, with ids, clocks and timings pinned so they never drift.

Regenerate with `pytest tests/tui/test_snapshots.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from writeit.domain.status import RunStatus
from writeit.engine import Engine
from writeit.tui.app import Start, WriteItApp, create_app
from writeit.tui.live import StreamBuffer
from writeit.tui.screens.new_run import Prefill
from writeit.tui.screens.tree import TreeScreen

from .fixtures import streaming_run
from .helpers import settled, shown, wait_until
from .pinned import pinned, pinned_engine

SIZE = (120, 36)
PARTIAL = [
    "Five angles for an article on LMDB:\n\n"
    "1. **Memory-mapped reads** — why LMDB reads cost almost nothing.\n"
    "2. **One writer, many readers** — the concurrency model, explained.\n"
    "3. **Copy-on-write B+trees",
    "Angles on LMDB for developers:\n\n"
    "- **The crash-safety story**: no write-ahead log, no recovery step.\n"
    "- **When not to use",
]


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield from pinned(monkeypatch, 0xA0)


@pytest.fixture
def engine(home: Path) -> Iterator[Engine]:
    yield from pinned_engine(home)


def finish(engine: Engine, run_id: str, picks: list[int]) -> str:
    """Run and pick the first `len(picks)` steps (synchronously, before the app starts); a
    step drafted per section takes the first completed response of every section instead."""

    async def go() -> str:
        current = run_id
        for pick in picks:
            await engine.run_step(current)
            step = engine.load(current).current_step or ""
            if engine.load(current).steps[step].sections:
                current = engine.accept_all(current, step=step)
            else:
                current = engine.pick(current, pick)
        return current

    return asyncio.run(go())


def app_for(engine: Engine, start: Start | None = None) -> WriteItApp:
    return create_app(engine.home, engine, start)


async def until_settled(pilot: Pilot[Any]) -> None:
    await wait_until(pilot, lambda: settled(pilot.app))  # type: ignore[arg-type]
    await pilot.pause(0.1)


def test_home_empty(snap_compare: Any, engine: Engine) -> None:
    assert snap_compare(app_for(engine), terminal_size=SIZE)


def test_home_with_runs(snap_compare: Any, engine: Engine) -> None:
    done = engine.start_run("tech-article", {"topic": "LMDB for Python developers"}).run_id
    done = finish(engine, done, [0, 1, 0, 1])
    engine.branch(done, "draft")
    engine.start_run("blog-post", {"topic": "Tea, slowly"})
    assert engine.load(done).status is RunStatus.COMPLETED

    async def loaded(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: pilot.app.screen.query_one("#runs").row_count == 3)

    assert snap_compare(app_for(engine), terminal_size=SIZE, run_before=loaded)


def test_new_run(snap_compare: Any, engine: Engine) -> None:
    start = Start(prefill=Prefill("tech-article", {"topic": "LMDB"}))

    async def built(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: pilot.app.screen.query("#model-polish"))
        await wait_until(
            pilot, lambda: "Estimate" in shown(pilot.app.screen.query_one("#estimate"))
        )
        await pilot.press("tab")  # off the pipeline picker, onto the style picker

    assert snap_compare(app_for(engine, start), terminal_size=SIZE, run_before=built)


def test_run_mid_stream(snap_compare: Any, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = streaming_run(engine, ["", ""])
    app = app_for(engine, Start(run_id=run_id))
    ids = engine.load(run_id).steps["angles"].response_ids
    app.hub.start(ids)
    for rid, text in zip(ids, PARTIAL, strict=True):
        buffer = app.hub.buffers[rid]
        for token in text.split(" "):
            buffer.feed(token + " ")
        buffer.started_at, buffer.first_token_at = 0.0, 0.25
    app.streaming_runs.add(run_id)
    monkeypatch.setattr(StreamBuffer, "rate", lambda self, now=None: 42.0)

    async def shown(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: pilot.app.screen.query(".response-pane"))
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=shown)


def test_run_completed(snap_compare: Any, engine: Engine) -> None:
    run_id = engine.start_run("tech-article", {"topic": "LMDB"}).run_id
    run_id = finish(engine, run_id, [0, 0, 0, 1])
    app = app_for(engine, Start(run_id=run_id))
    assert snap_compare(app, terminal_size=SIZE, run_before=until_settled)


def test_tree(snap_compare: Any, engine: Engine) -> None:
    root = engine.start_run("tech-article", {"topic": "LMDB"}).run_id
    root = finish(engine, root, [0, 0])
    child = engine.branch(root, "outline")
    engine.branch(root, "angles")
    engine.branch(child, "outline")
    app = app_for(engine, Start(run_id=child))

    async def tree(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: pilot.app.screen.query("#guidance"))
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TreeScreen))
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=tree)


def test_help(snap_compare: Any, engine: Engine, tmp_path: Path) -> None:
    assert snap_compare(app_for(engine), terminal_size=SIZE, press=["question_mark"])
