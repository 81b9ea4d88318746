"""The run screen's compositor paints partial updates per dirty region: replaying every frame it
sent onto a virtual terminal must give exactly what a full repaint shows."""

from __future__ import annotations

import random
from typing import Any

from rich.console import Console
from rich.control import ControlType
from rich.segment import Segment
from textual._compositor import ChopsUpdate, CompositorUpdate
from textual.app import App, ComposeResult
from textual.containers import Grid, Vertical
from textual.screen import Screen
from textual.widgets import Static

from writeit.tui.compositor import RegionCompositor
from writeit.tui.screens.base import WriteItScreen
from writeit.tui.widgets.markdown_view import MarkdownView

SIZE = (100, 30)
WORDS = [
    "stream",
    "pane",
    "**bold**",
    "`code`",
    "LMDB",
    "writer",
    "reader",
    "page",
    "fold",
    "event",
]


class VirtualTerminal:
    """Cells as a terminal holds them after the segments of each update (moves and text)."""

    def __init__(self, width: int, height: int) -> None:
        self.cells = [[("", "")] * width for _ in range(height)]
        self.console = Console(width=width, height=height, color_system="truecolor")

    def apply(self, update: CompositorUpdate) -> None:
        x = y = 0
        for segment in update.__rich_console__(self.console, self.console.options):
            assert isinstance(segment, Segment)
            if segment.control:
                for kind, *args in segment.control:
                    if kind is ControlType.CURSOR_MOVE_TO:
                        x, y = args
                continue
            for char in segment.text.replace("\n", ""):
                if 0 <= y < len(self.cells) and 0 <= x < len(self.cells[y]):
                    self.cells[y][x] = (char, str(segment.style or ""))
                x += 1


class Panes(WriteItScreen[None]):
    def __init__(self) -> None:
        super().__init__()
        self._compositor = RegionCompositor()

    def compose(self) -> ComposeResult:
        yield Static("title", id="title")
        with Grid(id="grid"):
            for i in range(4):
                with Vertical(classes="pane"):
                    yield Static(f"pane {i}", classes="head")
                    yield MarkdownView(live=True)


class PanesApp(App[None]):
    CSS = """
    #grid { grid-size: 2 2; }
    .pane { border: round $accent; }
    .pane:focus-within { border: round red; }
    .head { height: 1; }
    """

    def on_mount(self) -> None:
        self.push_screen(Panes())


def full_repaint(screen: Screen[None]) -> VirtualTerminal:
    """What the whole screen looks like now, rendered afresh (no partial update involved)."""
    terminal = VirtualTerminal(*SIZE)
    for y, strip in enumerate(screen._compositor.render_strips()):
        x = 0
        for segment in strip:
            for char in segment.text:
                terminal.cells[y][x] = (char, str(segment.style or ""))
                x += 1
    return terminal


async def test_every_streamed_frame_on_a_terminal_equals_a_full_repaint() -> None:
    app = PanesApp()
    updates: list[CompositorUpdate] = []
    display = app._display

    def capture(screen: Any, renderable: Any) -> None:
        if isinstance(renderable, CompositorUpdate):
            updates.append(renderable)
        display(screen, renderable)

    app._display = capture  # type: ignore[method-assign]
    rng = random.Random(7)
    terminal = VirtualTerminal(*SIZE)
    partial = 0
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        views = list(screen.query(MarkdownView))
        heads = list(screen.query(".head").results(Static))
        panes = list(screen.query(".pane"))
        for frame in range(60):
            for view in rng.sample(views, rng.randint(1, 4)):
                words = rng.choices(WORDS, k=rng.randint(1, 6))
                view.feed(" ".join(words) + rng.choice(["", "", " ", "\n", "\n\n", "\n- "]))
            if frame % 20 == 5:
                rng.choice(heads).update(f"header {frame}")
            if frame == 40:
                app.notify("a toast over the panes")
            if frame % 15 == 7:
                rng.choice(views).focus()  # a pane's border changes colour
            if frame % 10 == 3:  # a container's own cells change (no layout): it must repaint
                rng.choice(panes).border_title = f"title {frame}"
            await pilot.pause()
            screen._on_timer_update()  # paint what is still pending, then compare
            partial += sum(isinstance(u, ChopsUpdate) for u in updates)
            for update in updates:
                terminal.apply(update)
            updates.clear()
            want = full_repaint(screen).cells
            bad = [
                (y, "".join(c for c, _ in terminal.cells[y]), "".join(c for c, _ in want[y]))
                for y in range(SIZE[1])
                if terminal.cells[y] != want[y]
            ]
            assert not bad, f"frame {frame}: {bad}"
    assert partial >= 30, f"only {partial} partial updates: the test did not stream"
