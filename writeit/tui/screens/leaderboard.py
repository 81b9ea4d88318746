"""`L` on the home screen: the models ranked by your picks, with the pull of each pane slot."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from writeit.tui.screens.base import WriteItScreen
from writeit.tui.text import plain
from writeit.tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from writeit.domain.ratings import Leaderboard


def bias_text(board: Leaderboard) -> Text:
    """The position bias in one line, with each slot's pull."""
    pulls = ", ".join(f"slot {s.slot + 1} {s.elo:+.0f}" for s in board.slots[1:])
    return Text.assemble(
        (f"{board.counted}. ", "bold"),
        f"Position bias: {board.per_slot:+.0f} Elo per slot to the right "
        f"(95% CI {board.per_slot_low:+.0f} to {board.per_slot_high:+.0f}; {pulls}). ",
        ("Panes are shuffled, so this bias does not favour any model.", "dim"),
        (f"\n{board.caution}" if board.caution else "", "italic"),
    )


class LeaderboardScreen(WriteItScreen[None]):
    """Elo ratings with 95% intervals, fitted off the UI thread (about a second)."""

    TITLE = "Leaderboard"
    HELP = (
        "Every pick is a choice among the responses shown side by side. A Bradley-Terry model "
        "with a term per display slot turns them into Elo ratings (1000 = the average model) "
        "with 95% bootstrap intervals; a stitch from several responses counts as a tie."
    )
    BINDINGS = [Binding("escape", "close", "Back", tooltip="Back to the runs", id="board_close")]

    def compose(self) -> ComposeResult:
        yield Static("Fitting the ratings to your picks…", id="board-summary")
        yield DataTable(id="board", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("#", "model", "Elo", "95% CI", "shown", "wins")
        self._fit()

    @work(thread=True, exit_on_error=False, group="leaderboard")
    def _fit(self) -> None:
        board = self.engine.leaderboard()
        self.app.call_from_thread(self._show, board)

    def _show(self, board: Leaderboard) -> None:
        table = self.query_one(DataTable)
        for i, r in enumerate(board.ratings):
            table.add_row(
                str(i + 1),
                plain(r.model),
                f"{r.elo:.0f}",
                f"{r.low:.0f}-{r.high:.0f}",
                str(r.shown),
                f"{r.wins:g}",
            )
        summary = self.query_one("#board-summary", Static)
        if not board.ratings:
            summary.update("No picks between two or more models yet: pick in a run to start.")
        else:
            summary.update(bias_text(board))
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
