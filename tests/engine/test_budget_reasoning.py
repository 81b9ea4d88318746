"""Reasoning is spending: a budget reached while a model is still thinking stops it there.

A reasoning model can spend most of its tokens before the first word of its answer; if only the
answer's text counted towards the budget, a run could think its way far past it unseen.
"""

from __future__ import annotations

import pytest
from fake_llm_server import FakeLLMServer, Scenario

from writeit.domain.budget import BUDGET
from writeit.domain.status import ResponseStatus
from writeit.engine import Engine

MODEL = "anthropic:claude-sonnet-4-5"  # $15 per million output tokens


async def test_a_budget_reached_during_reasoning_stops_the_stream_with_its_thoughts_kept(
    engine: Engine, fake_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-key-000")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_llm.anthropic_base_url)
    thoughts = tuple(f"step {i} of a long line of thought. " for i in range(400))
    fake_llm.default = Scenario(reasoning=thoughts, text="The answer.", token_delay=0.002)
    run_id = engine.start_run("tech-article", {"topic": "x"}, models={"*": [MODEL]}).run_id
    # A few dozen thoughts' worth: far less than the whole line of thought costs.
    engine.set_budget(run_id, 0.002)
    run = await engine.run_step(run_id, "angles", over_budget=True)
    await engine.aclose()
    (r,) = run.steps["angles"].ordered_responses()
    assert r.status is ResponseStatus.CANCELLED and r.cancel_reason == BUDGET
    assert r.reasoning and not r.content, "stopped while it was still reasoning"
    assert len(r.reasoning) < len("".join(thoughts)) / 2, "it did not think on past the budget"
    state = engine.budget(run_id)
    assert state.reached and state.spent_usd < 0.0025
