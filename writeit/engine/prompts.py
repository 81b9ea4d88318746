"""The values a step's template sees, and the revision note added when regenerating with feedback."""

from __future__ import annotations

from writeit.domain.models import PipelineRun
from writeit.domain.pipeline import PipelineConfig
from writeit.domain.style import StylePrimer
from writeit.domain.template import render


def template_values(
    run: PipelineRun, pipeline: PipelineConfig, style: StylePrimer | None
) -> dict[str, str]:
    values = {
        f"inputs.{i.name}": run.inputs.get(i.name) or i.default or "" for i in pipeline.inputs
    }
    for step in run.ordered_steps():
        values[f"steps.{step.name}.selected"] = step.content or ""
        values[f"steps.{step.name}.feedback"] = step.feedback or ""
    values["style"] = style.format_for_prompt() if style else ""
    return values


def step_prompt(
    run: PipelineRun, pipeline: PipelineConfig, style: StylePrimer | None, step_name: str
) -> str:
    """Render `step_name`'s prompt; with feedback on it, ask for a revision of the last answer."""
    prompt = render(pipeline.step(step_name).prompt, template_values(run, pipeline, style))
    step = run.steps[step_name]
    if not step.feedback:
        return prompt
    previous = step.content or next((r.content for r in step.ordered_responses() if r.content), "")
    note = f"\n\nThe writer gave this feedback on a previous answer:\n{step.feedback}\n"
    if previous:
        note += f"\nThe previous answer was:\n{previous}\n"
    return prompt + note + "\nWrite an improved answer that follows the feedback.\n"
