"""The panes of one step's attempt, kept while the run screen lives.

Moving between steps only toggles which of these is displayed, so `left`/`right` answer at once
and a step that is still streaming keeps its panes (and their text) while another is on screen.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Container
from textual.widgets import Static

from writeit.domain.models import StepState
from writeit.tui.live import StreamHub
from writeit.tui.widgets.response_pane import ResponsePane


class StepPanes(Container):
    """One pane per response, side by side (a grid when there are more than three)."""

    def __init__(self, step: StepState, hub: StreamHub, empty: str) -> None:
        super().__init__(classes="step-panes")
        self.step = step.name
        self.key = tuple(step.response_ids)
        self.empty = empty
        self.panes = [
            ResponsePane(i, r, hub.get(r.response_id), picked=step.selected == i)
            for i, r in enumerate(step.ordered_responses())
        ]
        self.set_class(len(self.panes) > 3, "-grid")
        self.styles.grid_size_columns = 3 if len(self.panes) > 6 else 2

    def compose(self) -> ComposeResult:
        if self.panes:
            yield from self.panes
        else:
            yield Static(self.empty, classes="empty-state")

    def mark_picked(self, selected: int | None) -> None:
        for pane in self.panes:
            if pane.picked != (pane.index == selected):
                pane.set_picked(pane.index == selected)
