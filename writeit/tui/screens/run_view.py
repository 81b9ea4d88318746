"""What the run screen says about where a run is, and what the writer can press next."""

from __future__ import annotations

from rich.text import Text

from writeit.domain.models import PipelineRun
from writeit.domain.status import ResponseStatus, RunStatus, StepStatus
from writeit.tui.text import RUN_STYLE, plain, short_id, topic


def title_line(run: PipelineRun) -> Text:
    """`tech-article · LMDB · run 1a2b3c4d (branch of 5e6f7a8b at draft) · running`."""
    text = Text.assemble((run.pipeline, "bold"), " · ", plain(topic(run)[:60], "italic"))
    text.append(f" · run {short_id(run.run_id)}", style="dim")
    if run.parent_run_id:
        text.append(
            f" (branch of {short_id(run.parent_run_id)} at {run.branch_point})", style="dim"
        )
    text.append(" · ")
    text.append(run.status.value, style=RUN_STYLE[run.status])
    return text


def guidance(run: PipelineRun, viewed: str, streaming: bool, description: str) -> Text:
    """One line: the step on screen, its state, and the keys that move things forward."""
    step = run.steps[viewed]
    text = Text.assemble((viewed, "bold"), (f" — {description}" if description else "", "dim"))
    text.append("\n")
    responses = step.ordered_responses()
    current = viewed == run.current_step
    count = len(responses)
    if streaming and current:
        live = sum(1 for r in responses if r.status is ResponseStatus.STREAMING)
        text.append(f"● {live} of {count} streaming. ", style="bold cyan")
        text.append("c cancels · tab switches pane · 1-9 picks a finished one")
    elif run.status is RunStatus.COMPLETED and current:
        text.append("✓ Article complete. ", style="bold green")
        text.append("x exports · 1-9, e, f or r redo this step in a new branch")
    elif step.status is StepStatus.COMPLETED:
        how = f"picked response {step.selected + 1}" if step.selected is not None else "edited"
        text.append(f"✓ Done ({how}); read-only. ", style="green")
        text.append("b branches a new run from here · ←/→ other steps")
    elif step.status is StepStatus.PENDING and current:
        text.append("This step has not started. ", style="yellow")
        text.append("r starts it")
    elif step.status is StepStatus.PENDING:
        text.append(f"Not reached yet: finish '{run.current_step}' first. ", style="dim")
        text.append("← goes back")
    elif any(r.usable for r in responses):
        if any(r.status is ResponseStatus.INTERRUPTED for r in responses):
            text.append("Some responses were interrupted; their text is kept. ", style="yellow")
        text.append(f"Pick one to continue: 1-{count}", style="bold")
        text.append(" · e edit · f feedback · r regenerate")
    else:
        text.append("No response has text to pick. ", style="yellow")
        text.append("r regenerates · f gives feedback first")
    return text
