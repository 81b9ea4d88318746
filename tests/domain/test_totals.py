"""A run's totals: one unpriced response never hides the known part, estimates are marked."""

from __future__ import annotations

from datetime import UTC, datetime

from writeit.domain.models import AIResponse, PipelineRun, StepState, TokenUsage


def run_with(*usages: TokenUsage) -> PipelineRun:
    at = datetime(2026, 11, 23, tzinfo=UTC)
    responses = {
        f"r{i}": AIResponse(
            response_id=f"r{i}", provider="p", model="m", prompt_used="", created_at=at, usage=u
        )
        for i, u in enumerate(usages)
    }
    step = StepState(name="s", response_ids=list(responses), responses=responses)
    return PipelineRun(run_id="x", pipeline="p", pipeline_sha="0", created_at=at, steps={"s": step})


def test_unpriced_responses_are_counted_not_hidden() -> None:
    totals = run_with(
        TokenUsage(input_tokens=10, output_tokens=5, cost_usd=0.002),
        TokenUsage(input_tokens=10, output_tokens=5, cost_usd=None),
        TokenUsage(),  # never got a byte: neither priced nor unpriced
    ).totals()
    assert (totals.cost_usd, totals.unpriced, totals.input_tokens) == (0.002, 1, 20)
    assert totals.describe() == "$0.0020 + 1 unpriced"
    only_unpriced = run_with(TokenUsage(input_tokens=10, output_tokens=5, cost_usd=None))
    assert only_unpriced.totals().describe() == "$0.0000 + 1 unpriced"  # not "free + 1 ..."


def test_estimates_are_marked() -> None:
    totals = run_with(TokenUsage(output_tokens=5, cost_usd=0.01, estimated=True)).totals()
    assert totals.estimated and totals.describe() == "≈$0.0100"
    assert run_with().totals().describe() == "free"
