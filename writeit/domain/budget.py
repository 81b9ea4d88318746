"""A run's budget: what was set, what was spent, what remains, and when a step may start.

The budget is the run's own (`BudgetSet` events; `writeit run --budget`, `budget_usd` in
config.yaml, the new-run form). What was spent is the known cost of every response of the run;
responses at an unknown price are named, never counted as free. A step may start when its
upper estimate fits in what remains; streams are stopped when the spent reaches the budget.
"""

from __future__ import annotations

from dataclasses import dataclass

from writeit.domain.errors import WriteItError
from writeit.domain.estimate import StepEstimate, round_up
from writeit.domain.models import PipelineRun

BUDGET = "budget"  # the cancel reason of a stream stopped because the budget was reached


class OverBudget(WriteItError):
    """A step whose upper estimate would cross what remains of the run's budget."""


def check_budget(value: float | None) -> float | None:
    """A budget must be a positive number of USD (None: no budget)."""
    if value is None:
        return None
    if not value > 0 or value == float("inf"):
        raise WriteItError(f"a budget must be a positive amount of USD, not {value:g}")
    return float(value)


@dataclass(frozen=True)
class BudgetState:
    budget_usd: float | None
    spent_usd: float
    unpriced: int = 0  # responses that used tokens at an unknown price (not in spent)

    @property
    def remaining_usd(self) -> float | None:
        if self.budget_usd is None:
            return None
        return round(max(0.0, self.budget_usd - self.spent_usd), 8)

    @property
    def reached(self) -> bool:
        return self.budget_usd is not None and self.spent_usd >= self.budget_usd

    def spent_text(self) -> str:
        """`$0.0123`, or `$0.0123 + 2 unpriced`: responses at an unknown price are named."""
        unpriced = f" + {self.unpriced} unpriced" if self.unpriced else ""
        return f"${self.spent_usd:.4f}{unpriced}"

    def describe(self) -> str:
        """`$0.0123 of $0.5000 budget ($0.4877 left)` or `$0.0123 spent`."""
        if self.budget_usd is None:
            return f"{self.spent_text()} spent"
        return (
            f"{self.spent_text()} of ${self.budget_usd:.4f} budget "
            f"(${self.remaining_usd or 0.0:.4f} left)"
        )

    def as_json(self) -> dict[str, object]:
        return {
            "budget_usd": self.budget_usd,
            "spent_usd": self.spent_usd,
            "remaining_usd": self.remaining_usd,
            "unpriced": self.unpriced,
        }


def budget_state(run: PipelineRun, live_usd: float = 0.0, live_unpriced: int = 0) -> BudgetState:
    """The run's budget with what streams still running cost so far added: `live_usd` at known
    prices, and `live_unpriced` streams that have used tokens at an unknown price."""
    totals = run.totals()
    return BudgetState(
        run.budget_usd, round(totals.cost_usd + live_usd, 8), totals.unpriced + live_unpriced
    )


def check_step(state: BudgetState, estimate: StepEstimate) -> str | None:
    """Why `estimate` may not start within `state`'s budget (one line), or None if it fits."""
    remaining = state.remaining_usd
    if remaining is None or estimate.high_usd <= remaining:
        return None
    unpriced = f" (and {', '.join(estimate.unpriced)} at an unknown price)"
    return (
        f"step '{estimate.step}' may cost up to ${round_up(estimate.high_usd):.4f}"
        f"{unpriced if estimate.unpriced else ''} but "
        f"${remaining:.4f} of the run's ${state.budget_usd:.4f} budget remains"
    )
