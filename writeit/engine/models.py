"""Which models a step uses: `--model`, the step, the pipeline, the config, the environment."""

from __future__ import annotations

from collections.abc import Sequence

from writeit.domain.config import UserConfig
from writeit.domain.errors import WriteItError
from writeit.domain.pipeline import PipelineConfig, check_model_ref

ALL_STEPS = "*"


def parse_model_specs(specs: Sequence[str]) -> dict[str, list[str]]:
    """Parse `--model STEP=provider:model,...` (or `provider:model,...` for every step) into
    typed choices; which steps exist is checked when the run is prepared."""
    out: dict[str, list[str]] = {}
    for spec in specs:
        step, sep, models = spec.partition("=")
        if not sep:
            step, models = ALL_STEPS, spec
        step = step.strip() or ALL_STEPS
        out[step] = clean_refs(models.split(","), f"--model {spec}")
    return out


def clean_refs(refs: Sequence[str], where: str) -> list[str]:
    """Model names without blanks, each a valid `provider:model`; errors say `where`."""
    cleaned = [r.strip() for r in refs if r.strip()]
    if not cleaned:
        raise WriteItError(f"{where}: name at least one provider:model")
    for ref in cleaned:
        try:
            check_model_ref(ref)
        except ValueError as exc:
            raise WriteItError(f"{where}: {exc}") from None
    return cleaned


def resolve_models(
    pipeline: PipelineConfig,
    step: str,
    overrides: dict[str, list[str]],
    user: UserConfig,
    env_defaults: tuple[str, ...],
) -> list[str]:
    """The first source that names models for `step` wins (DESIGN.md, Providers)."""
    candidates = (
        overrides.get(step),
        overrides.get(ALL_STEPS),
        pipeline.step(step).models,
        pipeline.defaults.models,
        user.default_models_for(step),
        env_defaults,
    )
    return list(next(c for c in candidates if c))
