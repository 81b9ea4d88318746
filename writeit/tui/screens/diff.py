"""`d` on the run screen: the focused response against another, word by word."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from writeit.tui.screens.base import WriteItScreen
from writeit.tui.widgets.diff_view import DiffView, summary
from writeit.tui.widgets.key_bar import KeyBar

Side = tuple[str, str]  # (label as the pane shows it, text)


class DiffScreen(WriteItScreen[None]):
    """The focused pane's text beside another's (the picked one when there is one); `tab`
    moves the right side through the other panes."""

    TITLE = "Differences"
    HELP = (
        "Words only the left response has are highlighted on the left; words only the right "
        "one has, on the right. The similarity counts shared words."
    )
    BINDINGS = [
        Binding(
            "tab,right", "other(1)", "Next", tooltip="Compare with the next pane", id="diff_next"
        ),
        Binding(
            "shift+tab,left",
            "other(-1)",
            "Previous",
            tooltip="Compare with the previous pane",
            id="diff_prev",
        ),
        Binding("escape,d", "close", "Back", tooltip="Back to the run", id="diff_close"),
    ]

    def __init__(self, sides: list[Side], left: int, right: int) -> None:
        super().__init__()
        self.sides = sides
        self.left = left
        self.right = right

    def compose(self) -> ComposeResult:
        yield Static(id="diff-summary")
        yield DiffView(self.sides[self.left], self.sides[self.right])
        yield KeyBar()

    def on_mount(self) -> None:
        self._show_summary()

    def _show_summary(self) -> None:
        view = self.query_one(DiffView)
        line = Text.assemble(
            (f"{view.labels[0]}  vs  {view.labels[1]}", "bold"), "\n", summary(view.diff)
        )
        self.query_one("#diff-summary", Static).update(line)

    async def action_other(self, delta: int) -> None:
        count = len(self.sides)
        right = self.right
        for _ in range(count):
            right = (right + delta) % count
            if right != self.left:
                break
        if right == self.right:
            return
        self.right = right
        await self.query_one(DiffView).remove()
        await self.mount(
            DiffView(self.sides[self.left], self.sides[right]), before=self.query_one(KeyBar)
        )
        self._show_summary()

    def action_close(self) -> None:
        self.dismiss(None)
