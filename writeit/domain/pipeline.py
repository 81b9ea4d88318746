"""Pipeline definitions (`pipelines/*.yaml`): inputs, steps, prompts, and their validation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from writeit.domain.errors import ValidationProblem
from writeit.domain.template import check_reference, placeholders
from writeit.domain.yaml_source import YamlSource, read_yaml, validate_mapping

MODEL_REF = re.compile(r"^[a-z0-9][a-z0-9_.-]*:[^\s:][^\s]*$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
FOR_EACH = re.compile(r"^sections of ([A-Za-z0-9][A-Za-z0-9_-]*)$")


def check_model_ref(ref: str) -> str:
    """Return `ref` if it reads `provider:model`, else raise ValueError saying so."""
    if not MODEL_REF.match(ref):
        raise ValueError(f"model '{ref}' must read provider:model, e.g. openai:gpt-4o-mini")
    return ref


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputSpec(_Strict):
    name: str
    type: Literal["text", "choice", "multiline"] = "text"
    required: bool = False
    default: str | None = None
    help: str | None = None
    choices: tuple[str, ...] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME.match(v):
            raise ValueError(f"input name '{v}' must be letters, digits, '-' or '_'")
        return v

    @model_validator(mode="after")
    def _choices(self) -> InputSpec:
        if self.type == "choice" and not self.choices:
            raise ValueError(f"input '{self.name}' is a choice but lists no choices")
        if self.choices and self.default is not None and self.default not in self.choices:
            raise ValueError(f"default '{self.default}' of input '{self.name}' is not a choice")
        return self


class ReasoningSpec(_Strict):
    """`reasoning: {effort: low|medium|high}`: how hard a reasoning model should think."""

    effort: Literal["low", "medium", "high"]


class ThinkingSpec(_Strict):
    """`thinking: {budget_tokens: N}` or `thinking: {type: adaptive}` (Anthropic extended thinking).

    The budget is part of the step's `max_tokens`, so it must leave room for the answer.
    """

    type: Literal["enabled", "adaptive"] = "enabled"
    budget_tokens: int | None = Field(default=None, ge=1024, le=128_000)

    @model_validator(mode="after")
    def _budget(self) -> ThinkingSpec:
        if self.type == "enabled" and self.budget_tokens is None:
            raise ValueError("thinking needs budget_tokens (at least 1024) or type: adaptive")
        return self


class StepSpec(_Strict):
    name: str
    description: str = ""
    prompt: str
    models: tuple[str, ...] | None = None
    responses: int | None = Field(default=None, ge=1, le=9)
    max_tokens: int | None = Field(default=None, ge=1, le=200_000)  # overrides defaults'
    reasoning: ReasoningSpec | None = None
    thinking: ThinkingSpec | None = None
    select: Literal["item"] | None = None  # choose one item of a response's list
    for_each: str | None = None  # `sections of STEP`: run once per level-2 section of STEP
    # The smallest context window (tokens) among the step's models: a section step's
    # `{{ section.previous }}` is summarised to fit it with the prompt and the answer.
    context_tokens: int = Field(default=16_000, ge=1_000, le=10_000_000)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME.match(v):
            raise ValueError(f"step name '{v}' must be letters, digits, '-' or '_'")
        return v

    @field_validator("for_each")
    @classmethod
    def _for_each(cls, v: str | None) -> str | None:
        if v is not None and not FOR_EACH.match(v.strip()):
            raise ValueError(
                f"for_each '{v}' must read 'sections of STEP', e.g. sections of outline"
            )
        return v.strip() if v is not None else None

    @model_validator(mode="after")
    def _one_way(self) -> StepSpec:
        if self.select and self.for_each:
            raise ValueError(f"step '{self.name}' cannot both select an item and run per section")
        return self

    @property
    def sections_of(self) -> str | None:
        """The step whose sections this step runs once each for, if it is a section step."""
        m = FOR_EACH.match(self.for_each) if self.for_each else None
        return m.group(1) if m else None

    @field_validator("models")
    @classmethod
    def _models(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return tuple(check_model_ref(m) for m in v) if v is not None else None


class Defaults(_Strict):
    models: tuple[str, ...] | None = None
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    max_tokens: int = Field(default=1500, ge=1, le=200_000)
    responses: int = Field(default=1, ge=1, le=9)

    @field_validator("models")
    @classmethod
    def _models(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return tuple(check_model_ref(m) for m in v) if v is not None else None


class PipelineConfig(_Strict):
    """An immutable, validated pipeline."""

    name: str = Field(min_length=1)
    description: str = ""
    defaults: Defaults = Field(default_factory=Defaults)
    inputs: tuple[InputSpec, ...] = Field(min_length=1)
    steps: tuple[StepSpec, ...] = Field(min_length=2)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("name must not be empty")
        if not NAME.match(v):
            raise ValueError(f"pipeline name '{v}' must be letters, digits, '-' or '_'")
        return v

    @property
    def step_names(self) -> list[str]:
        return [s.name for s in self.steps]

    def max_tokens_for(self, step: StepSpec) -> int:
        """The step's own `max_tokens`, else the pipeline's default."""
        return step.max_tokens or self.defaults.max_tokens

    def responses_for(self, step: StepSpec) -> int:
        """How many responses each model gives on `step`: its own count, else the default."""
        return step.responses or self.defaults.responses

    def step(self, name: str) -> StepSpec:
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)

    def input(self, name: str) -> InputSpec | None:
        return next((i for i in self.inputs if i.name == name), None)


class LoadedPipeline(BaseModel):
    """A pipeline with the exact text it was loaded from (stored with each run)."""

    model_config = ConfigDict(frozen=True)

    config: PipelineConfig
    source: str
    sha256: str
    path: str


def load_pipeline(path: Path | str, text: str | None = None) -> LoadedPipeline:
    """Load and fully validate a pipeline; raise ValidationProblem listing `file:line: ...`."""
    src = read_yaml(path, text)
    config = validate_mapping(src, PipelineConfig, "a pipeline")
    problems = _semantic_problems(config, src)
    if problems:
        raise ValidationProblem(problems)
    return LoadedPipeline(config=config, source=src.text, sha256=src.sha256, path=str(path))


def _semantic_problems(config: PipelineConfig, src: YamlSource) -> list[str]:
    problems: list[str] = []
    for kind, names in (("input", [i.name for i in config.inputs]), ("step", config.step_names)):
        seen: set[str] = set()
        for i, n in enumerate(names):
            if n in seen:
                loc = ("inputs" if kind == "input" else "steps", i, "name")
                problems.append(src.problem(loc, f"duplicate {kind} name '{n}'"))
            seen.add(n)
    inputs = {i.name for i in config.inputs}
    all_steps = set(config.step_names)
    for index, step in enumerate(config.steps):
        budget = step.thinking.budget_tokens if step.thinking else None
        if budget is not None and budget >= (limit := config.max_tokens_for(step)):
            problems.append(
                src.problem(
                    ("steps", index, "thinking", "budget_tokens"),
                    f"step '{step.name}': thinking budget_tokens ({budget}) must be less than "
                    f"its max_tokens ({limit}), which also holds the answer",
                )
            )
        earlier = config.step_names[:index]  # once per step, not once per placeholder
        source = step.sections_of
        if source is not None and source not in earlier:
            where = "does not come earlier" if source in all_steps else "is not a step"
            problems.append(
                src.problem(
                    ("steps", index, "for_each"),
                    f"step '{step.name}': for_each names '{source}', which {where}",
                )
            )
        loc = ("steps", index, "prompt")
        first_line = src.block_offsets.get(loc, src.line_of(loc))
        for ph in placeholders(step.prompt):
            why = check_reference(ph.name, inputs, earlier, all_steps, section=source is not None)
            if why:
                problems.append(f"{src.path}:{first_line + ph.line}: step '{step.name}': {why}")
    return problems
