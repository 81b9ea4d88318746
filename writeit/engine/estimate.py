"""Estimates of what steps will cost, from the rendered prompts, the store's history and prices.

The arithmetic (ranges, percentiles, how tokens are counted) is `writeit.domain.estimate`; this
module finds its ingredients: each step's prompt as it would be rendered now, the output (and
input) tokens of each model's earlier finished responses on the same step of the same pipeline,
and the price a finished response would be charged at. Nothing is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from writeit.domain.estimate import (
    INPUT_MARGIN,
    History,
    RunEstimate,
    StepEstimate,
    estimate_model,
    prompt_tokens,
)
from writeit.domain.fold import apply
from writeit.domain.models import PipelineRun
from writeit.domain.pipeline import PipelineConfig
from writeit.domain.requests import ModelRequest, UsageReport
from writeit.domain.status import ResponseStatus, StepStatus
from writeit.domain.style import StylePrimer
from writeit.domain.template import placeholders, render
from writeit.engine.pages import Archived, RunQuery, scan_page
from writeit.engine.prompts import step_prompt, template_values
from writeit.engine.starting import RunPlan
from writeit.providers.registry import ProviderRegistry
from writeit.storage.store import Store

DEFAULT_SECTIONS = 12  # a section step's rounds before any outline or history says how many
HISTORY_RUNS = 50  # the most recent runs of the pipeline whose responses count as history
HISTORY_RESPONSES = 30  # per model and step, the most recent ones
COUNTED = (ResponseStatus.COMPLETED, ResponseStatus.TRUNCATED)  # whole answers only


@dataclass(frozen=True)
class Histories:
    """Earlier usage by (step, provider:model), and how many sections each section step had."""

    responses: dict[tuple[str, str], History] = field(default_factory=dict)
    sections: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def get(self, key: tuple[str, str], default: History) -> History:
        return self.responses.get(key, default)


ModelsFor = Callable[[str], Sequence[str]]


def histories(store: Store, pipeline: str, exclude: str | None = None) -> Histories:
    """Usage of the finished responses of recent runs of `pipeline`, newest first, by step and
    model (`exclude`: a run whose own responses must not count, e.g. the one being estimated
    while it streams)."""
    outputs: dict[tuple[str, str], list[int]] = defaultdict(list)
    inputs: dict[tuple[str, str], list[int]] = defaultdict(list)
    sections: dict[str, list[int]] = defaultdict(list)
    query = RunQuery(limit=HISTORY_RUNS, pipeline=pipeline, archived=Archived.ALSO)
    for light in scan_page(store, query).runs:
        if light.run_id == exclude or light.damaged:
            continue
        try:
            run = store.load_run(light.run_id)
        except Exception:  # a damaged run is `writeit doctor`'s business, never an estimate's
            continue
        for step in run.ordered_steps():
            if step.sections:
                sections[step.name].append(len(step.sections))
            for r in step.ordered_responses():
                key = (step.name, r.model_ref)
                if (
                    r.status in COUNTED
                    and r.usage.output_tokens
                    and len(outputs[key]) < (HISTORY_RESPONSES)
                ):
                    outputs[key].append(r.usage.output_tokens)
                    inputs[key].append(r.usage.input_tokens)
    return Histories(
        {k: History(tuple(v), tuple(inputs[k])) for k, v in outputs.items()},
        {k: tuple(v) for k, v in sections.items()},
    )


class Estimator:
    """Estimates steps of a run (or of a run not created yet) with one store and registry."""

    def __init__(self, store: Store, registry: ProviderRegistry) -> None:
        self._store = store
        self._registry = registry

    def cost_of(self, model_ref: str, input_tokens: int, output_tokens: int) -> float | None:
        provider, _, model = model_ref.partition(":")
        return self._registry.cost(provider, model, UsageReport(input_tokens, output_tokens))

    def for_plan(self, plan: RunPlan, at: datetime) -> RunEstimate:
        """Every step of a run `plan` would create (nothing is stored)."""
        run = apply(None, plan.event("estimate", at))
        style = plan.style.primer if plan.style else None
        config = plan.pipeline.config
        return self.for_run(run, config, style, config.step_names, plan.models.__getitem__)

    def for_run(
        self,
        run: PipelineRun,
        config: PipelineConfig,
        style: StylePrimer | None,
        steps: Sequence[str],
        models_for: ModelsFor,
        exclude: str | None = None,
    ) -> RunEstimate:
        """`steps` of `run`, each with the models `models_for` gives it."""
        history = histories(self._store, config.name, exclude)
        return RunEstimate(
            tuple(self._step(run, config, style, s, models_for(s), history) for s in steps)
        )

    def for_requests(
        self, pipeline: str, step: str, requests: Sequence[ModelRequest]
    ) -> StepEstimate:
        """The requests a step (or a section round) is about to send: their prompts are known."""
        history = histories(self._store, pipeline)
        by_model: dict[str, list[ModelRequest]] = defaultdict(list)
        for request in requests:
            by_model[request.model_ref].append(request)
        return StepEstimate(
            step=step,
            models=tuple(
                estimate_model(
                    ref,
                    len(sent),
                    max(prompt_tokens(r.prompt) for r in sent),
                    max(r.max_tokens for r in sent),
                    history.get((step, ref), History()),
                    self.cost_of,
                )
                for ref, sent in by_model.items()
            ),
        )

    def _step(
        self,
        run: PipelineRun,
        config: PipelineConfig,
        style: StylePrimer | None,
        name: str,
        models: Sequence[str],
        history: Histories,
    ) -> StepEstimate:
        spec = config.step(name)
        unknown = _unknown_steps(run, spec.prompt)
        prompt: int | None = None
        unknown_input = (0, 0)
        sections = spec.sections_of is not None
        if unknown or sections:
            # Low: the template with what is known. High: plus each unknown pick at its step's
            # limit; a section's prompt (with the sections before it) is bounded by the step's
            # context. Counting the low end at the high end put it far above what runs cost.
            known = prompt_tokens(render(spec.prompt, template_values(run, config, style)))
            limits = sum(config.max_tokens_for(config.step(s)) for s in unknown)
            high = round(known * INPUT_MARGIN) + limits
            if sections:
                high = max(high, spec.context_tokens - config.max_tokens_for(spec))
            unknown_input = (known, high)
        else:
            prompt = prompt_tokens(step_prompt(run, config, style, name))
        per_model = config.responses_for(spec)
        if spec.sections_of is not None:  # one fan-out per section of the outline
            per_model *= _section_count(run, name, history)
        return StepEstimate(
            step=name,
            models=tuple(
                estimate_model(
                    ref,
                    per_model,
                    prompt,
                    config.max_tokens_for(spec),
                    history.get((name, ref), History()),
                    self.cost_of,
                    unknown_input,
                )
                for ref in models
            ),
            inputs_known=not (unknown or sections),
        )


def _section_count(run: PipelineRun, step: str, history: Histories) -> int:
    """Sections a section step will stream: as planned, else the most earlier runs had."""
    planned = len(run.steps[step].sections)
    return planned or max(history.sections.get(step, ()), default=DEFAULT_SECTIONS)


def _unknown_steps(run: PipelineRun, template: str) -> list[str]:
    """Earlier steps the template quotes whose text is not known yet (no pick or edit)."""
    out = []
    for ph in placeholders(template):
        parts = ph.name.split(".")
        if len(parts) == 3 and parts[0] == "steps" and parts[2] == "selected":
            step = run.steps.get(parts[1])
            if step is not None and step.content is None and parts[1] not in out:
                out.append(parts[1])
    return out


def remaining_steps(run: PipelineRun) -> list[str]:
    """The steps of `run` still to stream (not completed or skipped)."""
    done = (StepStatus.COMPLETED, StepStatus.SKIPPED)
    return [s.name for s in run.ordered_steps() if s.status not in done]
