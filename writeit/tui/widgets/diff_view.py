"""A pane's own text with the words another pane lacks highlighted (`d` on the run screen).

While differences are shown, a pane swaps its `MarkdownView` for a `DiffView` of the same text:
the Markdown source as written (a rendered heading or list has no words to light up), each run
of words the compared pane lacks in one highlight. The streaming path never sees it: differences
are only offered once every response of the step has finished.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from writeit.domain.compare import Segment
from writeit.domain.redact import strip_control

CHANGED = "bold black on yellow"


def highlighted(segments: list[Segment]) -> Text:
    """The text of one side, its changed words highlighted (model text: control codes out)."""
    text = Text()
    for seg in segments:
        text.append(strip_control(seg.text), style=CHANGED if seg.changed else "")
    return text


def diff_note(similarity: float, other: int) -> Text:
    """The pane header's part while diffing: how alike, and which pane it is compared with
    (short: at 80 columns two panes have 38 cells for the whole title)."""
    return Text.assemble("  ", (f"≠ {similarity:.0%} alike vs {other}", CHANGED))


class DiffView(VerticalScroll):
    """One pane's text with its differences lit; it scrolls and takes focus as the view did."""

    DEFAULT_CSS = "DiffView { height: 1fr; padding: 0 1; }"

    def __init__(self, segments: list[Segment]) -> None:
        super().__init__(classes="pane-body diff-view")
        self.text = highlighted(segments)

    def compose(self) -> ComposeResult:
        yield Static(self.text)
