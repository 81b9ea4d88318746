"""Turning run state into safe, compact text: model output is never read as markup."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from writeit.domain.estimate import RunEstimate
from writeit.domain.models import PipelineRun, StepState
from writeit.domain.redact import strip_control
from writeit.domain.status import RunStatus, StepStatus

ARROW = "\u203a"  # a thin right angle between steps
STEP_GLYPH = {
    StepStatus.PENDING: "○",
    StepStatus.RUNNING: "●",
    StepStatus.COMPLETED: "✓",
    StepStatus.SKIPPED: "-",
}
RUN_STYLE = {
    RunStatus.INITIALIZING: "dim",
    RunStatus.RUNNING: "cyan",
    RunStatus.PAUSED: "yellow",
    RunStatus.COMPLETED: "green",
    RunStatus.ERROR: "red",
}


def plain(text: str | None, style: str = "") -> Text:
    """Untrusted text (model output, user input) as a Text that is never parsed as markup."""
    return Text(strip_control(text or ""), style=style)


def short_id(run_id: str | None) -> str:
    return (run_id or "")[:8]


def when(at: datetime) -> str:
    """Local time, compact: the date only when it is not today."""
    local = at.astimezone()
    if local.date() == datetime.now().astimezone().date():
        return f"{local:%H:%M}"
    return f"{local:%Y-%m-%d %H:%M}"


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.0f}ms" if value < 1 else f"{value:.1f}s"


def cost(value: float | None, estimated: bool = False) -> str:
    """A response's cost: `$0.0012`, `≈$0.0012` when its tokens were counted locally, "price
    unknown" when the price source has no price for its model (never counted as free)."""
    if value is None:
        return "price unknown"
    return "free" if value == 0 else f"{'≈' if estimated else ''}${value:.4f}"


def topic(run: PipelineRun) -> str:
    """What the run is about: its `topic` input, else its first input."""
    if "topic" in run.inputs:
        return run.inputs["topic"]
    return next(iter(run.inputs.values()), "")


def step_summary(step: StepState) -> str:
    """One line saying where a step is (used by the history view)."""
    picked = ""
    if step.status is StepStatus.COMPLETED:
        picked = f", picked {step.selected + 1}" if step.selected is not None else ", edited"
    return f"{STEP_GLYPH[step.status]} {step.name}: {step.status.value}{picked}"


def estimate_text(estimate: RunEstimate, budget: float | None) -> Text:
    """The new-run form's estimate: the total range, each step's, and the budget's verdict."""
    text = Text.assemble(("Estimate ", "bold"), plain(estimate.describe()))
    for step in estimate.steps:
        text.append("\n  ")
        text.append(plain(step.describe(), "dim"))
    if budget is not None:
        fits = estimate.high_usd <= budget
        verdict = "fits the budget" if fits else "may cross the budget: steps will ask first"
        text.append(
            f"\nBudget ${budget:.4f}: the upper estimate {verdict}", style="" if fits else "yellow"
        )
    text.append("\n≈ input tokens counted locally (4 characters a token)", style="dim italic")
    return text
