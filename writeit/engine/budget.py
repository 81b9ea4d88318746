"""What a streaming step costs so far, and the stop when a run's budget is reached.

Each response's live cost is what it would be charged if it stopped now: its prompt and the
text streamed so far, counted the way a response with no reported usage is counted
(`estimate_tokens`, `tokens_for_chars`) at its model's price. When a response finishes its
live cost is replaced by what it was really charged. The fan-out asks `add` after every chunk;
once the run's spent (finished responses + live costs) reaches the budget, every stream still
open is cancelled, so the overshoot is at most the chunk each open stream had just received.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from writeit.domain.budget import OverBudget, budget_state, check_step
from writeit.domain.config import Price
from writeit.domain.estimate import StepEstimate
from writeit.domain.models import PipelineRun
from writeit.domain.requests import UsageReport, estimate_tokens, tokens_for_chars
from writeit.providers.pricing import cost_usd


@dataclass
class LiveCost:
    """One streaming response: its price (None: unknown), prompt tokens and output so far."""

    price: Price | None
    input_tokens: int
    chars: int = 0
    final_usd: float | None = None
    finished: bool = False

    @property
    def usd(self) -> float | None:
        if self.finished:
            return self.final_usd
        if self.price is None:
            return None
        if not self.chars:  # a request that has received nothing costs nothing (DESIGN)
            return 0.0
        return cost_usd(self.price, UsageReport(self.input_tokens, tokens_for_chars(self.chars)))


@dataclass
class LiveSpend:
    """A run's spend while one of its steps streams: before it, plus each response so far."""

    run_id: str
    budget_usd: float | None
    spent_before: float
    responses: dict[str, LiveCost] = field(default_factory=dict)
    stopped: bool = False  # the budget was reached and the streams told to stop

    @classmethod
    def start(
        cls,
        run_id: str,
        budget_usd: float | None,
        spent_before: float,
        prices: Mapping[str, Price | None],
        prompts: Mapping[str, str],
    ) -> LiveSpend:
        """`prices` and `prompts` by response id."""
        responses = {
            rid: LiveCost(prices[rid], estimate_tokens(prompt)) for rid, prompt in prompts.items()
        }
        return cls(run_id, budget_usd, spent_before, responses)

    @property
    def spent_usd(self) -> float:
        return round(self.spent_before + sum(r.usd or 0.0 for r in self.responses.values()), 8)

    @property
    def live_usd(self) -> float:
        """The known cost so far of the responses still streaming."""
        return round(sum(r.usd or 0.0 for r in self.responses.values() if not r.finished), 8)

    @property
    def live_unpriced(self) -> int:
        """Responses still streaming that have received text at an unknown price."""
        return sum(
            1 for r in self.responses.values() if not r.finished and r.price is None and r.chars
        )

    def cost_of(self, response_id: str) -> float | None:
        live = self.responses.get(response_id)
        return None if live is None else live.usd

    def add(self, response_id: str, chars: int) -> bool:
        """Count `chars` more streamed by `response_id`; True when this reached the budget."""
        live = self.responses.get(response_id)
        if live is None:
            return False
        live.chars += chars
        if self.stopped or self.budget_usd is None:
            return False
        if self.spent_usd >= self.budget_usd:
            self.stopped = True
            return True
        return False

    def finish(self, response_id: str, usd: float | None) -> None:
        live = self.responses.get(response_id)
        if live is not None:
            live.final_usd, live.finished = usd, True


def spend_for(
    run: PipelineRun,
    responses: Sequence[tuple[str, str, str]],
    estimate: Callable[[], StepEstimate],
    price_of: Callable[[str], Price | None],
    *,
    over_budget: bool = False,
) -> LiveSpend:
    """The live cost of a step about to stream `responses` (response id, provider:model,
    prompt). A run with a budget refuses (OverBudget) a step whose upper `estimate` would cross
    what remains, unless `over_budget`."""
    state = budget_state(run)
    if state.budget_usd is not None and not over_budget:
        reason = check_step(state, estimate())
        if reason is not None:
            raise OverBudget(reason)
    prices = {ref: price_of(ref) for ref in {ref for _, ref, _ in responses}}
    return LiveSpend.start(
        run.run_id,
        state.budget_usd,
        state.spent_usd,
        {rid: prices[ref] for rid, ref, _ in responses},
        {rid: prompt for rid, _, prompt in responses},
    )
