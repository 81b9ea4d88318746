"""Checking a new run before anything is written: pipeline, inputs, style and every model.

`writeit run`, `writeit new` and the TUI's form all go through `prepare_run`, so a run that one of
them would refuse is refused by all of them, with the same one-line reason, and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from writeit.domain.catalog import find_pipeline, find_style
from writeit.domain.config import UserConfig
from writeit.domain.errors import NotFound, WriteItError
from writeit.domain.events import RunCreated
from writeit.domain.pipeline import LoadedPipeline
from writeit.domain.style import LoadedStyle
from writeit.engine.inputs import check_inputs
from writeit.engine.models import ALL_STEPS, clean_refs, resolve_models
from writeit.providers.registry import ProviderRegistry
from writeit.storage import keys

DEFAULT_STYLE = "tech-journalist"


@dataclass(frozen=True)
class RunPlan:
    """A validated new run: what `RunCreated` will say and the blobs stored beside it."""

    pipeline: LoadedPipeline
    inputs: dict[str, str]
    style: LoadedStyle | None
    overrides: dict[str, list[str]]
    models: dict[str, list[str]]  # every step's models, as the run will use them
    warnings: tuple[str, ...] = ()  # one line each: a deprecated model nearing its end of life

    @property
    def blobs(self) -> dict[bytes, bytes]:
        config = self.pipeline.config
        out = {keys.config(config.name, self.pipeline.sha256): self.pipeline.source.encode()}
        if self.style is not None:
            out[keys.primer(self.style.primer.id, self.style.sha256)] = self.style.source.encode()
        return out

    @property
    def fanout_sizes(self) -> dict[str, int]:
        """How many responses each step will stream (its models x responses per model), so a
        headless pick strategy can be checked before the run is created."""
        config = self.pipeline.config
        return {
            name: len(refs) * config.responses_for(config.step(name))
            for name, refs in self.models.items()
            if config.step(name).select is None  # `--pick N` counts items there
        }

    def event(self, run_id: str, at: datetime) -> RunCreated:
        config = self.pipeline.config
        return RunCreated(
            run_id=run_id,
            at=at,
            pipeline=config.name,
            pipeline_sha=self.pipeline.sha256,
            step_names=config.step_names,
            inputs=self.inputs,
            style=self.style.primer.id if self.style else None,
            style_sha=self.style.sha256 if self.style else None,
            model_overrides=self.overrides,
        )


def prepare_run(
    home: Path,
    pipeline: str | LoadedPipeline,
    inputs: Mapping[str, str],
    *,
    style: str | None,
    models: Mapping[str, Sequence[str]],
    config: UserConfig,
    registry: ProviderRegistry,
    partial: bool = False,
) -> RunPlan:
    """Validate a new run; raise a WriteItError naming the first problem. Writes nothing.

    `partial` lets required inputs be missing (the TUI form asks for them), but still refuses
    unknown inputs, values outside an input's choices, unknown styles and unusable models.
    """
    loaded = find_pipeline(home, pipeline) if isinstance(pipeline, str) else pipeline
    steps = loaded.config.step_names
    values = check_inputs(loaded.config, inputs, partial=partial)
    overrides = check_overrides(models, steps)
    env_defaults = registry.env_default_models()
    chosen = {s: resolve_models(loaded.config, s, overrides, config, env_defaults) for s in steps}
    warnings: list[str] = []
    for refs in chosen.values():
        for ref in refs:
            registry.check(ref)  # unknown, keyless or retired: refused here, with a replacement
            warnings += [w for w in registry.warnings_for(ref) if w not in warnings]
    return RunPlan(
        pipeline=loaded,
        inputs=values,
        style=_style(home, style),
        overrides=overrides,
        models=chosen,
        warnings=tuple(warnings),
    )


def check_overrides(models: Mapping[str, Sequence[str]], steps: list[str]) -> dict[str, list[str]]:
    """Per-step model choices (`*` for every step), each a valid `provider:model`."""
    out: dict[str, list[str]] = {}
    for step, refs in models.items():
        if step != ALL_STEPS and step not in steps:
            raise WriteItError(f"unknown step '{step}' (steps: {', '.join(steps)})")
        out[step] = clean_refs(refs, f"step '{step}'")
    return out


def _style(home: Path, wanted: str | None) -> LoadedStyle | None:
    if wanted:
        return find_style(home, wanted)
    try:
        return find_style(home, DEFAULT_STYLE)
    except NotFound:
        return None
