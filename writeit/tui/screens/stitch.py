"""`m` on the run screen: take the best paragraphs of several responses and stitch them.

The left side shows every response's paragraphs in columns (the run screen's order), aligned
by shared headings or by position; the right side is the result, each paragraph saying where it
came from. `ctrl+s` sends the result forward as an edit whose event carries that provenance.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from writeit.domain.errors import WriteItError
from writeit.domain.models import AIResponse
from writeit.domain.provenance import ParagraphSource
from writeit.domain.redact import strip_control
from writeit.domain.stitch import Piece, align, paragraphs, piece_of, stitched
from writeit.tui.editor import edit_in_app
from writeit.tui.screens.base import WriteItScreen
from writeit.tui.screens.dialogs import TextDialog
from writeit.tui.widgets.key_bar import KeyBar

Stitched = tuple[str, list[ParagraphSource]]


class StitchScreen(WriteItScreen[Stitched | None]):
    """Sources on the left (a cursor per cell), the result on the right (a cursor per piece)."""

    TITLE = "Stitch"
    HELP = (
        "Take paragraphs from any response into the result (enter), reorder (shift+up/down), "
        "drop (x) or edit them (e, or E in your $EDITOR). ctrl+s continues with the result; "
        "its event records which model wrote each paragraph and whether you changed it."
    )
    DEFAULT_CSS = """
    StitchScreen #stitch-body { height: 1fr; }
    StitchScreen #stitch-sources { width: 2fr; border: round $panel; }
    StitchScreen #stitch-result { width: 1fr; border: round $panel; }
    StitchScreen .-active { border: round $accent; }
    StitchScreen #stitch-grid { height: auto; grid-rows: auto; grid-gutter: 1 1; }
    StitchScreen .cell { height: auto; padding: 0 1; }
    StitchScreen .cell-label { text-style: bold; }
    StitchScreen .piece { height: auto; padding: 0 1; margin-bottom: 1; }
    StitchScreen .-cursor { background: $boost; outline-left: thick $accent; }
    """
    BINDINGS = [
        Binding(
            "tab",
            "switch",
            "Sources/result",
            tooltip="Move between sources and result",
            id="stitch_switch",
        ),
        Binding("up", "move(0, -1)", "Up", show=False, id="stitch_up"),
        Binding("down", "move(0, 1)", "Down", show=False, id="stitch_down"),
        Binding("left", "move(-1, 0)", "Left", show=False, id="stitch_left"),
        Binding("right", "move(1, 0)", "Right", show=False, id="stitch_right"),
        Binding(
            "enter,space",
            "take",
            "Take",
            tooltip="Take the paragraph into the result",
            id="stitch_take",
        ),
        Binding(
            "shift+up",
            "reorder(-1)",
            "Move up",
            tooltip="Move the paragraph up",
            id="stitch_up_piece",
        ),
        Binding(
            "shift+down",
            "reorder(1)",
            "Move down",
            tooltip="Move the paragraph down",
            id="stitch_down_piece",
        ),
        Binding(
            "x,delete",
            "drop",
            "Drop",
            tooltip="Drop the paragraph from the result",
            id="stitch_drop",
        ),
        Binding("e", "edit_piece", "Edit", tooltip="Edit the paragraph in place", id="stitch_edit"),
        Binding(
            "E",
            "editor_piece",
            "$EDITOR",
            tooltip="Edit the paragraph in $EDITOR",
            id="stitch_editor",
        ),
        Binding(
            "ctrl+s",
            "save",
            "Continue",
            priority=True,
            tooltip="Continue with the result",
            id="stitch_save",
        ),
        Binding(
            "escape", "cancel", "Cancel", tooltip="Back, stitching nothing", id="stitch_cancel"
        ),
    ]

    def __init__(self, step: str, sources: list[tuple[str, AIResponse]]) -> None:
        """`sources`: (label as its pane shows it, response), in the run screen's order."""
        super().__init__()
        self.step = step
        self.labels = [label for label, _ in sources]
        self.responses = [r for _, r in sources]
        self.columns = [paragraphs(r.content) for r in self.responses]
        self.rows = align(self.columns)
        self.pieces: list[Piece] = []
        self.side = "sources"
        self.row = self.col = self.at = 0

    def compose(self) -> ComposeResult:
        yield Static(
            Text.assemble((f"Stitch '{self.step}'", "bold"), ("  " + self.HELP, "dim")),
            id="stitch-title",
        )
        with Horizontal(id="stitch-body"):
            with VerticalScroll(id="stitch-sources", classes="-active"):
                grid = Grid(id="stitch-grid")
                grid.styles.grid_size_columns = max(1, len(self.columns))
                with grid:
                    for label in self.labels:
                        yield Static(Text(label), classes="cell cell-label")
                    for r, row in enumerate(self.rows):
                        for c, index in enumerate(row):
                            text = "" if index is None else strip_control(self.columns[c][index])
                            yield Static(Text(text), classes="cell", id=f"cell-{r}-{c}")
            yield VerticalScroll(id="stitch-result")
        yield KeyBar()

    async def on_mount(self) -> None:
        for box in self.query(VerticalScroll):
            box.can_focus = False  # arrows move the cursors; the boxes follow them
        if self.rows:
            self.col = next((c for c, i in enumerate(self.rows[0]) if i is not None), 0)
        await self._show_result()

    # -- drawing -----------------------------------------------------------------------------

    def _label_of(self, source: ParagraphSource) -> str:
        ids = [r.response_id for r in self.responses]
        if source.response_id not in ids:
            return "written by you"
        where = f"{self.labels[ids.index(source.response_id)]} ¶{(source.paragraph or 0) + 1}"
        return f"from {where}" + (", edited" if source.edited else "")

    async def _show_result(self) -> None:
        box = self.query_one("#stitch-result", VerticalScroll)
        await box.remove_children()
        if not self.pieces:
            await box.mount(
                Static(Text("Nothing taken yet: enter takes a paragraph.", style="dim"))
            )
        else:
            await box.mount_all(
                Static(
                    Text.assemble(
                        strip_control(p.text), "\n", (self._label_of(p.source), "dim italic")
                    ),
                    classes="piece",
                )
                for p in self.pieces
            )
        self._show_cursor()

    def _show_cursor(self) -> None:
        for widget in self.query(".-cursor"):
            widget.remove_class("-cursor")
        sources = self.query_one("#stitch-sources")
        result = self.query_one("#stitch-result")
        sources.set_class(self.side == "sources", "-active")
        result.set_class(self.side == "result", "-active")
        target: Widget | None = None
        if self.side == "sources" and self.rows:
            target = self.query_one(f"#cell-{self.row}-{self.col}")
        elif self.side == "result" and self.pieces:
            target = list(result.query(".piece"))[self.at]
        if target is not None:
            target.add_class("-cursor")
            target.scroll_visible(animate=False)

    # -- actions -----------------------------------------------------------------------------

    def action_switch(self) -> None:
        self.side = "result" if self.side == "sources" else "sources"
        self._show_cursor()

    def action_move(self, dx: int, dy: int) -> None:
        if self.side == "result":
            if self.pieces:
                self.at = max(0, min(len(self.pieces) - 1, self.at + dy))
        elif self.rows:
            self.row = max(0, min(len(self.rows) - 1, self.row + dy))
            self.col = max(0, min(len(self.columns) - 1, self.col + dx))
        self._show_cursor()

    async def action_take(self) -> None:
        if self.side == "result":
            self.action_edit_piece()
            return
        index = self.rows[self.row][self.col] if self.rows else None
        if index is None:
            self.notify("Nothing here in this response: move to a paragraph.", severity="warning")
            return
        self.pieces.append(piece_of(self.responses[self.col], index))
        self.at = len(self.pieces) - 1
        if self.row < len(self.rows) - 1:
            self.row += 1  # the next paragraph is usually the next choice
        await self._show_result()

    async def action_reorder(self, delta: int) -> None:
        to = self.at + delta
        if self.side != "result" or not 0 <= to < len(self.pieces):
            return
        self.pieces[self.at], self.pieces[to] = self.pieces[to], self.pieces[self.at]
        self.at = to
        await self._show_result()

    async def action_drop(self) -> None:
        if self.side != "result" or not self.pieces:
            return
        del self.pieces[self.at]
        self.at = max(0, min(self.at, len(self.pieces) - 1))
        await self._show_result()

    def _selected(self) -> Piece | None:
        if self.side != "result" or not self.pieces:
            self.notify("Select a paragraph of the result first (tab).", severity="warning")
            return None
        return self.pieces[self.at]

    def action_edit_piece(self) -> None:
        piece = self._selected()
        if piece is None:
            return
        at = self.at

        def done(text: str | None) -> None:
            if text is not None:
                self.pieces[at] = piece.edited_to(text)
                self.run_worker(self._show_result())

        self.app.push_screen(
            TextDialog("Edit paragraph", "ctrl+s keeps it (marked edited).", piece.text), done
        )

    async def action_editor_piece(self) -> None:
        piece = self._selected()
        if piece is None:
            return
        try:
            text = edit_in_app(self.app, piece.text)
        except WriteItError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        if text is None:
            self.notify("Unchanged: nothing to keep.")
            return
        self.pieces[self.at] = piece.edited_to(text)
        await self._show_result()

    def action_save(self) -> None:
        if not self.pieces:
            self.notify("Take at least one paragraph first (enter).", severity="warning")
            return
        self.dismiss(stitched(self.pieces))

    def action_cancel(self) -> None:
        self.dismiss(None)
