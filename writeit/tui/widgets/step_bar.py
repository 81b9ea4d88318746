"""The step bar: every step of the pipeline with its status, the one on screen highlighted."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from writeit.domain.models import PipelineRun
from writeit.domain.status import StepStatus
from writeit.tui.text import ARROW, STEP_GLYPH

GLYPH_STYLE = {
    StepStatus.PENDING: "dim",
    StepStatus.RUNNING: "bold cyan",
    StepStatus.COMPLETED: "green",
    StepStatus.SKIPPED: "dim",
}


class StepBar(Static):
    """`✓ angles > ● outline > ○ draft > ○ polish` (drawn with a thin arrow), with the viewed step in reverse video."""

    def show(self, run: PipelineRun, viewed: str) -> None:
        text = Text(no_wrap=False)
        for i, step in enumerate(run.ordered_steps()):
            if i:
                text.append(f" {ARROW} ", style="dim")
            label = Text.assemble(
                (STEP_GLYPH[step.status], GLYPH_STYLE[step.status]), " ", step.name
            )
            if step.name == viewed:
                label.stylize("reverse bold")
                label.pad(1)
            text.append_text(label)
        self.update(text)
