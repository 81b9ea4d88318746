"""The `ModelRequest`s of one step: what each model is asked, with which limits and options.

Kept apart from the engine so the per-step settings (max_tokens, reasoning effort, thinking,
the cacheable prefix) are decided in one place the CLI, TUI and tests all go through.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from writeit.domain.events import ResponseStub
from writeit.domain.models import PipelineRun
from writeit.domain.pipeline import PipelineConfig
from writeit.domain.requests import ModelRequest

# engine/prompts.py appends this note (and the previous answer) when regenerating with feedback;
# what comes before it is the rendered template, the same for every round of the step.
FEEDBACK_NOTE = "\n\nThe writer gave this feedback on a previous answer:"


def shared_prefix_chars(prompt: str) -> int:
    """How much of `prompt` other calls of the step share: everything before a feedback note."""
    cut = prompt.rfind(FEEDBACK_NOTE)
    return cut if cut > 0 else len(prompt)


def step_requests(
    run: PipelineRun,
    pipeline: PipelineConfig,
    step: str,
    stubs: Sequence[ResponseStub],
    prompt: str,
    attempt: int | None = None,
) -> list[ModelRequest]:
    """One request per stub, in stub order (stubs: `responses` per model, models in order).

    `run` is the run as loaded before this step's `StepStarted` was appended, so
    `run.steps[step].attempt` counts earlier rounds: seeds differ per round and per response of
    the same model (`i % per_model + attempt * per_model`), keeping offline text deterministic.
    """
    spec = pipeline.step(step)
    per_model = pipeline.responses_for(spec)
    attempt = run.steps[step].attempt if attempt is None else attempt  # a section's own rounds
    thinking: int | Literal["adaptive"] | None = None
    if spec.thinking is not None:
        thinking = "adaptive" if spec.thinking.type == "adaptive" else spec.thinking.budget_tokens
    return [
        ModelRequest(
            provider=stub.provider,
            model=stub.model,
            prompt=prompt,
            temperature=pipeline.defaults.temperature,
            max_tokens=pipeline.max_tokens_for(spec),
            seed=i % per_model + attempt * per_model,
            step=step,
            inputs=dict(run.inputs),
            reasoning_effort=spec.reasoning.effort if spec.reasoning else None,
            thinking=thinking,
            cache_prefix_chars=shared_prefix_chars(prompt),
        )
        for i, stub in enumerate(stubs)
    ]
