"""The panes of one step's attempt, kept while the run screen lives.

Moving between steps only toggles which of these is displayed, so `left`/`right` answer at once
and a step that is still streaming keeps its panes (and their text) while another is on screen.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Container, Vertical
from textual.widgets import Static

from writeit.domain.compare import display_order, twins
from writeit.domain.models import StepState
from writeit.domain.provenance import ParagraphSource
from writeit.domain.status import StepStatus
from writeit.tui.live import StreamHub
from writeit.tui.widgets.markdown_view import MarkdownView
from writeit.tui.widgets.response_pane import ResponsePane


def edited_text(step: StepState) -> str | None:
    """The text the writer wrote or merged for a step, when that (not a pick) went forward."""
    if step.status is StepStatus.COMPLETED and step.selected is None:
        return step.content
    return None


def panes_key(step: StepState) -> tuple[tuple[str, ...], str | None]:
    """What a step's panes show: a change means they must be built again."""
    return tuple(step.response_ids), edited_text(step)


class EditedPane(Vertical):
    """The edited or merged text that went forward from a step, shown first beside its sources."""

    def __init__(self, text: str, sources: list[ParagraphSource]) -> None:
        super().__init__(classes="response-pane edited-pane")
        self.text = text
        self.sources = sources  # a stitch's provenance, one entry per paragraph

    def compose(self) -> ComposeResult:
        what = "stitched" if self.sources else "edited"
        header = Text.assemble((" ✎ ", "reverse bold"), " ", (what, "bold"))
        header.append("\n✓ this text went forward", style="bold green")
        yield Static(header, classes="pane-header")
        if self.sources:
            where = " · ".join(f"¶{i + 1} {s.describe()}" for i, s in enumerate(self.sources))
            yield Static(Text(where, style="dim italic"), classes="pane-note")
        yield MarkdownView(self.text, live=False, classes="pane-body")


class StepPanes(Container):
    """One pane per response, side by side (a grid when there are more than three), in the
    step's shuffled display order: number keys follow the screen, and a pick records it.
    In blind mode model names stay hidden until the step is done."""

    def __init__(self, step: StepState, hub: StreamHub, empty: str, *, blind: bool) -> None:
        super().__init__(classes="step-panes")
        self.step = step.name
        self.key = panes_key(step)
        self.empty = empty
        self.edited = edited_text(step)
        self.sources = list(step.provenance) if self.edited is not None else []
        self.done = step.status is StepStatus.COMPLETED
        index = {rid: i for i, rid in enumerate(step.response_ids)}
        shown = [r for r in display_order(step.response_ids) if r in step.responses]
        self.panes = [
            ResponsePane(
                index[rid],
                step.responses[rid],
                hub.get(rid),
                picked=step.selected == index[rid],
                position=position,
                blind=blind and not self.done,
            )
            for position, rid in enumerate(shown)
        ]
        self.flag_twins()
        self.count = count = len(self.panes) + (self.edited is not None)
        self.set_class(count > 3, "-grid")
        self.styles.grid_size_columns = 3 if count > 6 else 2

    def compose(self) -> ComposeResult:
        if self.edited is not None:
            yield EditedPane(self.edited, self.sources)
        if self.panes:
            yield from self.panes
        elif self.edited is None:
            yield Static(self.empty, classes="empty-state")

    def flag_twins(self) -> None:
        """Once every response has finished, flag those with the same words as another's
        (whitespace aside): two models agreeing word for word is worth knowing unasked."""
        if any(p.live for p in self.panes):
            return
        found = twins([p.response.content for p in self.panes])
        for pane, others in zip(self.panes, found, strict=True):
            pane.set_twins([self.panes[j].position + 1 for j in others])

    @property
    def text_width(self) -> int:
        """The width its panes draw text at (0 until laid out)."""
        return max((pane.view.text_width for pane in self.panes), default=0)

    def prepare(self, width: int) -> None:
        """Draw the panes' text at `width` before they are first shown (see PaneDeck)."""
        for pane in self.panes:
            pane.view.prepare(width)

    def mark_picked(self, selected: int | None) -> None:
        self.done = self.done or selected is not None
        for pane in self.panes:
            if pane.picked != (pane.index == selected):
                pane.set_picked(pane.index == selected)
            if pane.blind and self.done:
                pane.set_blind(False)  # picked: the models are revealed

    def set_blind(self, blind: bool) -> None:
        """Hide (or show) model names; a step already done always shows them."""
        for pane in self.panes:
            if pane.blind != (blind and not self.done):
                pane.set_blind(blind and not self.done)
