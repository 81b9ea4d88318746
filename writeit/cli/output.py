"""Printing for humans and for scripts; model text is stripped of terminal control sequences."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from writeit.domain.redact import strip_control

if TYPE_CHECKING:  # `writeit list` prints through here without the domain models
    from writeit.domain.models import AIResponse, PipelineRun, StepState
    from writeit.engine import RunRow


def emit_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def say(text: str = "") -> None:
    print(strip_control(text))


def note(text: str) -> None:
    """Progress and status for a human, on stderr so stdout stays pipeable."""
    print(strip_control(text), file=sys.stderr, flush=True)


def table(rows: list[list[str]], headers: list[str]) -> None:
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=False)]
    for row in [headers, *rows]:
        say("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())


def run_row(run: RunRow) -> dict[str, Any]:
    """A run for scripts: `status` is the stored state machine's word (stable for scripts),
    `state` the rulebook's words for a human (`waiting for your pick`, `ready: draft next`)."""
    return {
        "run_id": run.run_id,
        "pipeline": run.pipeline,
        "status": run.status,
        "state": run.state,
        "created_at": run.created_at.isoformat(),
        "topic": run.inputs.get("topic"),
        "current_step": run.current_step,
        "steps_done": run.steps_done,
        "steps_total": run.steps_total,
        "parent_run_id": run.parent_run_id,
        "branch_point": run.branch_point,
        "archived": run.archived,
        "damaged": run.damaged,  # why the run cannot be read (see `writeit doctor`), or null
    }


def response_groups(
    step: StepState,
) -> list[tuple[str | None, list[AIResponse], int | None, str | None]]:
    """(heading, responses, picked index, feedback): the step's, or one per section."""
    if not step.sections:
        return [(None, step.ordered_responses(), step.selected, step.feedback)]
    return [
        (f"§{k + 1} {s.title}", step.section_responses(k), s.selected, s.feedback)
        for k, s in enumerate(step.sections)
    ]


def assembled(step: StepState) -> bool:
    """True when a section step's text is its sections' picks, not an edit of the whole."""
    from writeit.domain.outline import assemble

    picks = [(s.title, s.content or "") for s in step.sections]
    return bool(step.sections) and step.content == assemble(step.title, picks)


def show_run(run: PipelineRun, children: list[str], state: str) -> None:
    from writeit.domain.budget import budget_state  # `show` and `history --at` only

    archived = "  (archived)" if run.archived else ""
    say(f"run {run.run_id}  {run.pipeline}  {state}{archived}")
    say(f"created {run.created_at:%Y-%m-%d %H:%M:%S} UTC  style {run.style or '-'}")
    if run.parent_run_id:
        say(f"branched from {run.parent_run_id} at step {run.branch_point}")
    for child in children:
        say(f"branch {child}")
    for key, value in run.inputs.items():
        say(f"input {key}: {value}")
    for step in run.ordered_steps():
        here = (
            "  <- current"
            if step.name == run.current_step and run.status.value != "completed"
            else ""
        )
        say("")
        say(f"[{step.status.value}] {step.name}{here}")
        for title, responses, selected, feedback in response_groups(step):
            if title:
                say(f"  {title}")
            for i, r in enumerate(responses, 1):
                mark = "*" if selected == i - 1 else " "
                cost = "-" if r.usage.cost_usd is None else f"${r.usage.cost_usd:.4f}"
                cost = f"≈{cost}" if r.usage.estimated and r.usage.cost_usd else cost
                err = f"  ({r.error})" if r.error else ""
                say(
                    f" {mark}{i}. {r.provider}:{r.model}  {r.status.value}  "
                    f"{r.usage.output_tokens} tok  {cost}{err}"
                )
            if feedback:
                say(f"   feedback: {feedback}")
        if step.content is not None and step.selected is None and not assembled(step):
            say("   (edited content went forward)")
            for i, source in enumerate(step.provenance):
                say(f"     ¶{i + 1}: {source.describe()}")
    t = run.totals()
    say("")
    say(
        f"totals: {t.input_tokens} input tokens, {t.output_tokens} output tokens, "
        f"cost {t.describe()}"
    )
    if run.budget_usd is not None:
        say(f"budget: {budget_state(run).describe()}")
    if run.article:
        say("")
        say(run.article)
