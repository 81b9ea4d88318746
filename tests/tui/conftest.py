"""TUI fixtures: an app over the test's engine (isolated home, instant offline models)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from textual.pilot import Pilot

from writeit.engine.engine import Engine
from writeit.tui.app import Start, WriteItApp, create_app

OpenApp = Callable[..., AbstractAsyncContextManager[tuple[WriteItApp, Pilot[None]]]]


@pytest.fixture
def open_app(engine: Engine) -> OpenApp:
    """`async with open_app(start) as (app, pilot)`: the app running headless at 120x36."""

    @asynccontextmanager
    async def _open(
        start: Start | None = None, size: tuple[int, int] = (120, 36)
    ) -> AsyncIterator[tuple[WriteItApp, Pilot[None]]]:
        app = create_app(engine.home, engine, start)
        async with app.run_test(size=size) as pilot:
            yield app, pilot

    return _open
