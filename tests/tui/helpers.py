"""Helpers for driving the TUI with Textual's pilot: poll for a condition, never sleep blindly."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot

from writeit.tui.app import WriteItApp
from writeit.tui.screens.run import RunScreen


async def wait_until(
    pilot: Pilot[None], predicate: Callable[[], object], timeout: float = 10.0, what: str = ""
) -> None:
    """Let the app run until `predicate()` is true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.02)


def run_screen(app: WriteItApp) -> RunScreen:
    screen = app.screen
    assert isinstance(screen, RunScreen), f"expected the run screen, got {screen!r}"
    return screen


def settled(app: WriteItApp) -> bool:
    """The run screen shows a step that has finished streaming and rendering."""
    screen = app.screen
    return (
        isinstance(screen, RunScreen)
        and not screen.streaming
        and bool(screen.panes)
        and all(not p.live for p in screen.panes)
        and all(p.response.finished for p in screen.panes)
    )


async def wait_settled(pilot: Pilot[None], app: WriteItApp, step: str | None = None) -> RunScreen:
    """Wait until the step on screen (`step`, if given) finished streaming."""
    await wait_until(
        pilot,
        lambda: settled(app) and (step is None or run_screen(app).viewed == step),
        what=f"step {step or ''} to finish streaming",
    )
    return run_screen(app)


def shown(widget: object) -> str:
    """The plain text a Static-like widget displays."""
    content = getattr(widget, "content", "")
    return str(getattr(content, "plain", content))
