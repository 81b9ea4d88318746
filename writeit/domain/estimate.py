"""What a step will cost before it streams: a range per model, per step and for the run.

How the numbers are made (DESIGN: Providers, Budgets):
- Input tokens are the rendered prompt counted locally, without a tokenizer: one token per four
  characters, the rule OpenAI documents for English (`estimate_tokens`); shown with `≈`. The
  upper bound allows `INPUT_MARGIN` more, for text that tokenizes worse (code, other scripts).
- Output tokens come from this model's earlier responses on this step of this pipeline: the
  median is the low end of the range and the 90th percentile the high end. With no history the
  range runs from nothing to the step's `max_tokens` (which also holds any reasoning).
- A step whose prompt depends on picks not made yet is estimated from the input tokens its
  earlier runs reported, else from its template plus every unknown step's `max_tokens`; it is
  marked `inputs_known=False`.
- Prices are the ones a finished response is charged at; an unknown price is named, never 0.
  Prompt-cache discounts are not assumed, so a cached prompt only makes the real cost lower.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from writeit.domain.requests import estimate_tokens

INPUT_MARGIN = 1.25
HOW_COUNTED = "≈ input tokens counted locally (4 characters a token)"

# provider:model, input tokens, output tokens -> USD, or None when the price is unknown
CostOf = Callable[[str, int, int], float | None]


def percentile(values: Sequence[int], q: float) -> int:
    """The `q` quantile (0..1) of `values` by the nearest-rank method (0 for no values)."""
    if not values:
        return 0
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[int]) -> int:
    if not values:
        return 0
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return round((ordered[mid - 1] + ordered[mid]) / 2)


def prompt_tokens(prompt: str) -> int:
    """≈ tokens of a rendered prompt, counted locally (see the module's docstring)."""
    return estimate_tokens(prompt)


@dataclass(frozen=True)
class History:
    """Usage of this model's earlier finished responses on one step of one pipeline."""

    outputs: tuple[int, ...] = ()
    inputs: tuple[int, ...] = ()

    def __len__(self) -> int:
        return len(self.outputs)


@dataclass(frozen=True)
class ModelEstimate:
    """One model's share of a step: `responses` answers, each of these token counts."""

    model: str
    responses: int
    input_tokens: int  # per response; ≈ counted locally, or from history (inputs_known False)
    input_high: int
    output_low: int  # per response: the history's median, or 0 with no history
    output_high: int  # per response: the history's 90th percentile, or max_tokens
    history: int  # earlier responses the output range is based on (0: max_tokens)
    low_usd: float | None  # None: this model's price is unknown
    high_usd: float | None

    @property
    def priced(self) -> bool:
        return self.low_usd is not None and self.high_usd is not None

    def as_json(self) -> dict[str, object]:
        return {
            "model": self.model,
            "responses": self.responses,
            "input_tokens": self.input_tokens,
            "input_tokens_high": self.input_high,
            "output_tokens_low": self.output_low,
            "output_tokens_high": self.output_high,
            "history": self.history,
            "low_usd": self.low_usd,
            "high_usd": self.high_usd,
        }


@dataclass(frozen=True)
class StepEstimate:
    step: str
    models: tuple[ModelEstimate, ...]
    inputs_known: bool = True  # False: the prompt depends on picks not made yet

    @property
    def low_usd(self) -> float:
        return round(sum(m.low_usd or 0.0 for m in self.models), 8)

    @property
    def high_usd(self) -> float:
        return round(sum(m.high_usd or 0.0 for m in self.models), 8)

    @property
    def unpriced(self) -> list[str]:
        return [m.model for m in self.models if not m.priced]

    def describe(self) -> str:
        """`draft: ≈$0.0021 to $0.0240 (2 models)`, with what is not counted named."""
        models = len(self.models)
        text = f"{self.step}: {money_range(self.low_usd, self.high_usd)} ({models} model"
        text += "s)" if models != 1 else ")"
        if not self.inputs_known:
            text += ", inputs depend on picks not made yet"
        if self.unpriced:
            text += f"; unknown price: {', '.join(self.unpriced)}"
        return text

    def as_json(self) -> dict[str, object]:
        return {
            "step": self.step,
            "inputs_known": self.inputs_known,
            "low_usd": self.low_usd,
            "high_usd": self.high_usd,
            "unpriced": self.unpriced,
            "models": [m.as_json() for m in self.models],
        }


@dataclass(frozen=True)
class RunEstimate:
    steps: tuple[StepEstimate, ...] = field(default_factory=tuple)

    @property
    def low_usd(self) -> float:
        return round(sum(s.low_usd for s in self.steps), 8)

    @property
    def high_usd(self) -> float:
        return round(sum(s.high_usd for s in self.steps), 8)

    @property
    def unpriced(self) -> list[str]:
        return list(dict.fromkeys(m for s in self.steps for m in s.unpriced))

    def describe(self) -> str:
        text = f"total: {money_range(self.low_usd, self.high_usd)}"
        if self.unpriced:
            text += f" + unknown price: {', '.join(self.unpriced)}"
        return text

    def as_json(self) -> dict[str, object]:
        return {
            "counted": HOW_COUNTED,
            "low_usd": self.low_usd,
            "high_usd": self.high_usd,
            "unpriced": self.unpriced,
            "steps": [s.as_json() for s in self.steps],
        }


def money_range(low: float, high: float) -> str:
    """`≈$0.0012 to $0.0150` (or `free`): estimates always carry the ≈ mark."""
    if not high:
        return "free"
    return f"≈${low:.4f} to ${round_up(high):.4f}"


def round_up(usd: float) -> float:
    """An upper bound shown to four decimals is rounded up, never down."""
    return math.ceil(round(usd * 10_000, 6)) / 10_000


def estimate_model(
    model: str,
    responses: int,
    prompt: int | None,
    max_tokens: int,
    history: History,
    cost_of: CostOf,
    unknown_input: tuple[int, int] = (0, 0),
) -> ModelEstimate:
    """One model's range. `prompt` is the locally counted prompt, or None when it depends on
    picks not made yet: then the history's input tokens are used, else `unknown_input` (low:
    the template with what is known; high: every unknown part at its step's max_tokens)."""
    if prompt is not None:
        inp, inp_high = prompt, math.ceil(prompt * INPUT_MARGIN)
    elif history.inputs:
        inp, inp_high = median(history.inputs), math.ceil(max(history.inputs) * INPUT_MARGIN)
    else:
        inp, inp_high = unknown_input
    if history.outputs:
        out_low, out_high = median(history.outputs), percentile(history.outputs, 0.9)
    else:
        out_low, out_high = 0, max_tokens
    low, high = cost_of(model, inp, out_low), cost_of(model, inp_high, out_high)
    return ModelEstimate(
        model=model,
        responses=responses,
        input_tokens=inp,
        input_high=inp_high,
        output_low=out_low,
        output_high=out_high,
        history=len(history),
        low_usd=None if low is None else round(low * responses, 8),
        high_usd=None if high is None else round(high * responses, 8),
    )
