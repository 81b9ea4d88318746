"""Small modal dialogs: confirm, feedback and edit. Each dismisses with its answer or None."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static, TextArea

from writeit.tui.textual_leaks import TextBox


class ConfirmDialog(ModalScreen[bool]):
    """Ask before doing something that creates or hides data."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "Cancel"),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.question, style="bold"), classes="dialog-title")
            if self.detail:
                yield Static(Text(self.detail), classes="dialog-detail")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes (y)", variant="primary", id="yes")
                yield Button("No (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class TextDialog(ModalScreen[str | None]):
    """Multi-line text to write or edit (feedback for a step, or the text that goes forward)."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, title: str, hint: str, text: str = "", *, allow_empty: bool = False):
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.hint = hint
        self.text = text
        self.allow_empty = allow_empty

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Label(Text(self.title_text, style="bold"), classes="dialog-title")
            yield Static(Text(self.hint, style="dim"), classes="dialog-detail")
            yield TextBox(self.text, soft_wrap=True, id="dialog-text")
            yield Static("", id="dialog-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        text = self.query_one(TextArea).text
        if not text.strip() and not self.allow_empty:
            error = self.query_one("#dialog-error", Static)
            error.update("Write something first (esc cancels).")
            error.add_class("-shown")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ExportDialog(ModalScreen[str | None]):
    """Ask the export format, the configured default first and preselected.

    One compact row per format (key, name, what it is for) rather than a row of buttons: four
    full buttons do not fit a 70-column dialog, and the rows keep the dialog about 14 lines
    tall, so it fits an 80x24 terminal with the screen's footer.
    """

    FORMATS = (
        ("yaml", "y", "the whole run, every response (re-importable)"),
        ("markdown", "m", "a publishable article with front matter"),
        ("html", "h", "a standalone web page (needs pandoc)"),
        ("docx", "d", "a Word document (needs pandoc)"),
    )
    BINDINGS = [
        *(Binding(key, f"choose('{fmt}')", fmt, show=False) for fmt, key, _ in FORMATS),
        Binding("up", "app.focus_previous", "Previous", show=False),
        Binding("down", "app.focus_next", "Next", show=False),
        Binding("escape", "choose(None)", "Cancel"),
    ]
    DEFAULT_CSS = """
    ExportDialog .export-choice {
        height: 1;
        margin-bottom: 1;
    }
    ExportDialog .export-choice Button {
        width: 16;
        margin-right: 2;
    }
    ExportDialog .export-about {
        width: 1fr;
        color: $text-muted;
    }
    """

    def __init__(self, default: str) -> None:
        super().__init__(classes="dialog-screen")
        self.default = default

    def compose(self) -> ComposeResult:
        ordered = sorted(self.FORMATS, key=lambda f: f[0] != self.default)
        with Vertical(classes="dialog"):
            yield Label(Text("Export this run as…", style="bold"), classes="dialog-title")
            for fmt, key, about in ordered:
                with Horizontal(classes="export-choice"):
                    yield Button(
                        f"{fmt} ({key})",
                        id=f"fmt-{fmt}",
                        compact=True,
                        variant="primary" if fmt == self.default else "default",
                    )
                    yield Static(Text(about), classes="export-about")
            yield Static(
                Text("enter exports the highlighted format · ↑↓ move · esc cancels", style="dim")
            )

    def on_mount(self) -> None:
        known = {fmt for fmt, _, _ in self.FORMATS}
        self.query_one(f"#fmt-{self.default if self.default in known else 'yaml'}", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss((event.button.id or "").removeprefix("fmt-") or None)

    def action_choose(self, fmt: str | None) -> None:
        self.dismiss(fmt)
