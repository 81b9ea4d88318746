"""Two responses side by side with the words each lacks from the other highlighted."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from writeit.domain.compare import Segment, WordDiff, word_diff
from writeit.domain.redact import strip_control

CHANGED = {"left": "bold black on yellow", "right": "bold black on cyan"}


def highlighted(segments: list[Segment], style: str) -> Text:
    """The text of one side, its changed words in `style` (model text: control codes out)."""
    text = Text()
    for seg in segments:
        text.append(strip_control(seg.text), style=style if seg.changed else "")
    return text


def summary(diff: WordDiff) -> Text:
    """`identical` or `similarity 83% · 4 words only here · 6 only there`."""
    if diff.identical:
        return Text("identical (the same words in the same order)", style="bold green")
    here, there = diff.changed_words
    return Text.assemble(
        (f"similarity {diff.similarity:.0%}", "bold"),
        " · ",
        (f"{here} words only on the left", CHANGED["left"]),
        " · ",
        (f"{there} only on the right", CHANGED["right"]),
    )


class DiffView(Horizontal):
    """Left and right texts in scrolling columns, each with its own differences lit."""

    DEFAULT_CSS = """
    DiffView { height: 1fr; }
    DiffView > VerticalScroll { width: 1fr; padding: 0 1; border: round $panel; }
    DiffView .diff-label { text-style: bold; }
    """

    def __init__(self, left: tuple[str, str], right: tuple[str, str]) -> None:
        super().__init__()
        self.labels = (left[0], right[0])
        self.diff = word_diff(left[1], right[1])

    def compose(self) -> ComposeResult:
        for side, label, segments in (
            ("left", self.labels[0], self.diff.left),
            ("right", self.labels[1], self.diff.right),
        ):
            with VerticalScroll(id=f"diff-{side}"):
                yield Static(Text(label), classes="diff-label")
                yield Static(highlighted(segments, CHANGED[side]), classes="diff-text")
