"""Check a run's inputs against the pipeline before anything is written."""

from __future__ import annotations

from collections.abc import Mapping

from writeit.domain.errors import WriteItError
from writeit.domain.pipeline import PipelineConfig


def check_inputs(
    pipeline: PipelineConfig, given: Mapping[str, str], *, partial: bool = False
) -> dict[str, str]:
    """The run's inputs with defaults filled in; raises naming the first problem.

    `partial` accepts missing required inputs (a form will ask for them) but nothing else.
    """
    known = {i.name for i in pipeline.inputs}
    for name in given:
        if name not in known:
            raise WriteItError(
                f"pipeline '{pipeline.name}' has no input '{name}' (inputs: {', '.join(sorted(known))})"
            )
    values: dict[str, str] = {}
    for spec in pipeline.inputs:
        value = given.get(spec.name)
        if value is None or not value.strip():
            value = spec.default
        if value is None or not value.strip():
            if spec.required and not partial:
                raise WriteItError(f"input '{spec.name}' is required ({spec.help or 'no default'})")
            continue
        if spec.choices and value not in spec.choices:
            raise WriteItError(f"input '{spec.name}' must be one of: {', '.join(spec.choices)}")
        values[spec.name] = value
    return values


def parse_input_pairs(pairs: list[str]) -> dict[str, str]:
    """`--input k=v` values: a name, `=`, then anything (the value may contain `=`)."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise WriteItError(f"--input {pair!r}: write it as name=value")
        out[key.strip()] = value
    return out
