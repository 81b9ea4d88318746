"""The values a step's template sees, and the revision note added when regenerating with feedback."""

from __future__ import annotations

from writeit.domain.models import PipelineRun
from writeit.domain.pipeline import PipelineConfig
from writeit.domain.sections import CHARS_PER_TOKEN, previous_text
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
    previous = step.content or next((r.content for r in step.ordered_responses() if r.content), "")
    return with_feedback(prompt, step.feedback, previous)


def with_feedback(prompt: str, feedback: str | None, previous: str) -> str:
    """`prompt`, asking (when there is feedback) for a revision of the previous answer."""
    if not feedback:
        return prompt
    note = f"\n\nThe writer gave this feedback on a previous answer:\n{feedback}\n"
    if previous:
        note += f"\nThe previous answer was:\n{previous}\n"
    return prompt + note + "\nWrite an improved answer that follows the feedback.\n"


def section_prompt(
    run: PipelineRun,
    pipeline: PipelineConfig,
    style: StylePrimer | None,
    step_name: str,
    index: int,
) -> str:
    """Render a section step's prompt for section `index`: the template's values plus
    `section.title`, `section.notes` and `section.previous` (bounded to the step's context)."""
    spec = pipeline.step(step_name)
    step = run.steps[step_name]
    section = step.sections[index]
    values = template_values(run, pipeline, style)
    values["section.title"] = section.title
    values["section.notes"] = section.notes
    bare = render(spec.prompt, values)
    room = spec.context_tokens - pipeline.max_tokens_for(spec) - len(bare) // CHARS_PER_TOKEN
    values["section.previous"] = previous_text(step, index, max(0, room) * CHARS_PER_TOKEN)
    prompt = render(spec.prompt, values)
    shown = section.content or next(
        (r.content for r in step.section_responses(index) if r.content), ""
    )
    return with_feedback(prompt, section.feedback, shown)
