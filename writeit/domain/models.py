"""The state of a run: `PipelineRun` holds `StepState`s which hold `AIResponse`s.

These are what a fold over a run's events produces; they are never edited in place by callers.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from writeit.domain.provenance import ParagraphSource
from writeit.domain.status import ResponseStatus, RunStatus, StepStatus


class TokenUsage(BaseModel):
    """Token counts and cost of one response; `cost_usd` is None when the price is unknown."""

    model_config = ConfigDict(frozen=True)

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    reasoning_tokens: int = 0  # part of output_tokens, when the server says how many
    cache_read_tokens: int = 0  # part of input_tokens, read from a prompt cache
    cache_write_tokens: int = 0  # part of input_tokens, written to a prompt cache
    cost_usd: float | None = None
    estimated: bool = False


class RunTotals(BaseModel):
    """A run's tokens and cost: the priced part, how many responses were unpriced, and whether
    any figure is an estimate (tokens counted locally when a server reported none)."""

    model_config = ConfigDict(frozen=True)

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    unpriced: int = 0
    estimated: bool = False

    def describe(self) -> str:
        """`$0.0123`, `≈$0.0123` (an estimate), `$0.0123 + 2 unpriced`, or `free` (nothing
        charged and nothing at an unknown price: `free + 2 unpriced` would contradict itself)."""
        mark = "≈" if self.estimated else ""
        text = f"{mark}${self.cost_usd:.4f}" if self.cost_usd or self.unpriced else "free"
        if self.unpriced:
            text += f" + {self.unpriced} unpriced"
        return text


class AIResponse(BaseModel):
    """One model's answer to one rendered prompt, including partial text while streaming."""

    response_id: str
    provider: str
    model: str
    prompt_used: str
    raw_output: str = ""
    content: str = ""
    status: ResponseStatus = ResponseStatus.STREAMING
    finish_reason: str | None = None  # as the server said: stop, length, end_turn, max_tokens...
    error: str | None = None
    reasoning: str = ""  # the model's reasoning/thinking: never content, prompts or the article
    created_at: datetime
    usage: TokenUsage = Field(default_factory=TokenUsage)
    time_to_first_token_s: float | None = None
    processing_time_s: float | None = None
    attempts: int = 1
    cancel_reason: str | None = None  # "writer" or "budget" when the stream was cancelled

    @property
    def model_ref(self) -> str:
        return f"{self.provider}:{self.model}"

    @property
    def finished(self) -> bool:
        return self.status is not ResponseStatus.STREAMING

    @property
    def usable(self) -> bool:
        """A response can be picked once it stopped streaming and holds some text."""
        return self.finished and bool(self.content.strip())


class SectionState(BaseModel):
    """One section of a section step (`for_each: sections of STEP`): its heading and notes from
    the outline, the responses of its latest round (ids into the step's responses), its pick."""

    title: str
    notes: str = ""
    prompt: str | None = None
    response_ids: list[str] = Field(default_factory=list)
    selected: int | None = None
    content: str | None = None
    feedback: str | None = None
    attempt: int = 0

    @property
    def picked(self) -> bool:
        return self.content is not None


class StepState(BaseModel):
    """Where one step of a run is: its responses, what was picked, feedback, edited content."""

    name: str
    status: StepStatus = StepStatus.PENDING
    prompt: str | None = None
    response_ids: list[str] = Field(default_factory=list)
    responses: dict[str, AIResponse] = Field(default_factory=dict)
    earlier_response_ids: list[str] = Field(default_factory=list)
    selected: int | None = None
    feedback: str | None = None
    content: str | None = None
    provenance: list[ParagraphSource] = Field(default_factory=list)  # of an edited content
    attempt: int = 0
    item: int | None = None  # an item step's chosen item (0-based) in the picked response
    title: str | None = None  # a section step's article title (the outline's level-1 heading)
    sections: list[SectionState] = Field(default_factory=list)  # a section step's, in order

    def ordered_responses(self) -> list[AIResponse]:
        return [self.responses[r] for r in self.response_ids if r in self.responses]

    def section_responses(self, index: int) -> list[AIResponse]:
        """The responses of section `index`'s latest round, in order."""
        ids = self.sections[index].response_ids
        return [self.responses[r] for r in ids if r in self.responses]

    @property
    def streaming(self) -> bool:
        return any(not r.finished for r in self.responses.values())


class PipelineRun(BaseModel):
    """A run of a pipeline: the fold of every event recorded for `run_id`."""

    run_id: str
    pipeline: str
    pipeline_sha: str
    parent_run_id: str | None = None
    branch_point: str | None = None
    created_at: datetime
    current_step: str | None = None
    status: RunStatus = RunStatus.INITIALIZING
    inputs: dict[str, str] = Field(default_factory=dict)
    style: str | None = None
    style_sha: str | None = None
    model_overrides: dict[str, list[str]] = Field(default_factory=dict)
    steps: dict[str, StepState] = Field(default_factory=dict)
    step_order: list[str] = Field(default_factory=list)
    archived: bool = False
    budget_usd: float | None = None  # the writer's spending limit for this run (BudgetSet)
    last_seq: int = -1
    error: str | None = None
    # Why this run cannot be read (set only on a list's placeholder for a damaged run, never
    # stored or exported): faces show it as a marker instead of failing the whole list.
    damaged: str | None = Field(default=None, exclude=True)

    def ordered_steps(self) -> list[StepState]:
        return [self.steps[n] for n in self.step_order]

    def next_step_after(self, name: str) -> str | None:
        i = self.step_order.index(name)
        return self.step_order[i + 1] if i + 1 < len(self.step_order) else None

    def later_steps_started(self, name: str) -> bool:
        """True when any step after `name` has left `pending`: changing `name` must branch."""
        i = self.step_order.index(name)
        return any(self.steps[n].status is not StepStatus.PENDING for n in self.step_order[i + 1 :])

    def steps_streaming(self) -> bool:
        """True while any response of the run streams (in this process or another)."""
        return any(s.streaming for s in self.steps.values())

    def response(self, response_id: str) -> AIResponse | None:
        for step in self.steps.values():
            if response_id in step.responses:
                return step.responses[response_id]
        return None

    @property
    def article(self) -> str | None:
        """The text that went forward from the last step that has one."""
        for step in reversed(self.ordered_steps()):
            if step.content is not None:
                return step.content
        return None

    @property
    def steps_done(self) -> int:
        return sum(1 for s in self.steps.values() if s.status is StepStatus.COMPLETED)

    def totals(self) -> RunTotals:
        """Usage and cost summed over every response of the run. One response at an unknown
        price never hides the rest: the known part is summed and the unpriced ones counted."""
        inp = out = unpriced = 0
        known = 0.0
        estimated = False
        for step in self.steps.values():
            for r in step.responses.values():
                u = r.usage
                inp += u.input_tokens
                out += u.output_tokens
                estimated = estimated or u.estimated
                if u.cost_usd is not None:
                    known += u.cost_usd
                elif u.input_tokens or u.output_tokens:
                    unpriced += 1
        return RunTotals(
            input_tokens=inp,
            output_tokens=out,
            cost_usd=round(known, 6),
            unpriced=unpriced,
            estimated=estimated,
        )
