"""`writeit run --estimate`: what each step would cost, per model, as a range; and the budget
check a headless run makes before it creates anything."""

from __future__ import annotations

import argparse

from writeit.cli.output import emit_json, note, say, table
from writeit.domain.budget import BudgetState, OverBudget, check_step
from writeit.domain.estimate import HOW_COUNTED, ModelEstimate, RunEstimate, round_up


def show_estimate(args: argparse.Namespace, estimate: RunEstimate, budget: float | None) -> None:
    """Per step and model: ≈ input tokens, the output range and its source, the cost range."""
    if getattr(args, "json", False):
        fits = None if budget is None else estimate.high_usd <= budget
        emit_json(
            {"pipeline": args.pipeline, "budget_usd": budget, "fits_budget": fits}
            | estimate.as_json()
        )
        return
    rows = []
    for step in estimate.steps:
        for m in step.models:
            unknown_input = "" if step.inputs_known else " (after picks)"
            rows.append(
                [
                    step.step,
                    m.model,
                    f"≈{m.input_tokens}{unknown_input}",
                    _output(m),
                    _cost(m),
                ]
            )
    table(rows, ["STEP", "MODEL", "INPUT TOKENS", "OUTPUT TOKENS", "COST"])
    say("")
    say(estimate.describe())
    say(f"{HOW_COUNTED}; output: median to 90th percentile of earlier runs, else max_tokens")
    if budget is not None:
        verdict = "fits" if estimate.high_usd <= budget else "may cross"
        say(f"budget: ${budget:.4f} (the upper estimate {verdict} it)")


def _output(m: ModelEstimate) -> str:
    per = f"{m.output_low}-{m.output_high}"
    source = f"{m.history} earlier" if m.history else "no history: up to max_tokens"
    times = f" x{m.responses}" if m.responses > 1 else ""
    return f"{per}{times} ({source})"


def _cost(m: ModelEstimate) -> str:
    if m.low_usd is None or m.high_usd is None:
        return "price unknown"
    if not m.high_usd:
        return "free"
    return f"${m.low_usd:.4f} to ${round_up(m.high_usd):.4f}"


def check_first_step(estimate: RunEstimate, budget: float, over_budget: bool = False) -> None:
    """Before a run exists: warn that the budget cannot count what models at an unknown price
    spend, and refuse in one line a first step that may cross it (unless `over_budget`)."""
    if estimate.unpriced:
        names = ", ".join(estimate.unpriced)
        note(f"warning: no known price for {names}: the budget cannot count what it spends")
    if over_budget or not estimate.steps:
        return
    if reason := check_step(BudgetState(budget, 0.0), estimate.steps[0]):
        raise OverBudget(f"{reason} (--over-budget to allow)")


def stopped_at_budget(reason: str, run_id: str) -> str:
    """A run stopped midway by its budget: the reason, and where the run waits (re-running
    `writeit run` would start a new one; `writeit open` goes on and asks before each step)."""
    short = run_id[:8]
    return f"{reason}; run {short} waits there: `writeit open {short}` goes on, asking first"
