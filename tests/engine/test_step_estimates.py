"""A section step's estimate once its source is picked: the round it will really send.

Before the outline is picked, a section step can only be guessed (a dozen sections, each prompt
up to the step's context). Once it is picked, the TUI's question at the step's start and the
engine's own refusal must estimate the same planned round: the guess asked a writer to raise a
$0.05 budget to $0.85 for a step that cost $0.02 (found trying it in tmux).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fake_llm_server import FakeLLMServer, Scenario

from writeit.domain.budget import OverBudget, check_step
from writeit.engine import Engine

MODEL = "openai:gpt-4o-mini"
ANGLES = "\n".join(f"{i}. **Angle {i}**: why {i}" for i in range(1, 6))
OUTLINE = "# Tides\n\n" + "\n\n".join(f"## Part {i}\n- point {i}" for i in range(1, 4))


@pytest.fixture
async def net_engine(
    engine: Engine, fake_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Engine]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-openai-key-000")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.openai_base_url)
    fake_llm.script(Scenario(text=ANGLES), Scenario(text=OUTLINE), model="gpt-4o-mini")
    fake_llm.default = Scenario(text="A paragraph of the section. " * 5)
    yield engine
    await engine.aclose()


async def test_a_section_step_is_estimated_from_the_round_it_will_send(
    net_engine: Engine, home: Path
) -> None:
    engine = net_engine
    run_id = engine.start_run("tech-article", {"topic": "tides"}, models={"*": [MODEL]}).run_id
    guessed = engine.estimate_step(run_id, "draft")  # the outline is not even written
    assert not guessed.inputs_known and guessed.models[0].responses > 3
    # The low end counts the template with what is known, not every unknown at its limit.
    assert guessed.models[0].input_tokens < guessed.models[0].input_high / 4

    await engine.run_step(run_id, "angles")
    engine.pick(run_id, 0, step="angles", item=0)
    await engine.run_step(run_id, "outline")
    engine.pick(run_id, 0, step="outline")
    planned = engine.estimate_step(run_id, "draft")
    assert planned.inputs_known and planned.models[0].responses == 3  # the outline's sections
    assert planned.high_usd < guessed.high_usd / 3

    # The engine refuses exactly what the estimate says may not fit, and starts what fits.
    spent = engine.budget(run_id).spent_usd
    engine.set_budget(run_id, spent + planned.high_usd * 0.9)
    assert check_step(engine.budget(run_id), planned) is not None
    with pytest.raises(OverBudget):
        await engine.run_step(run_id, "draft")
    engine.set_budget(run_id, spent + planned.high_usd + 1e-6)
    events = len(engine.history(run_id))
    engine.set_budget(run_id, spent + planned.high_usd + 1e-6)  # saved unchanged: no event
    assert len(engine.history(run_id)) == events
    assert check_step(engine.budget(run_id), planned) is None
    run = await engine.run_step(run_id, "draft")
    draft = run.steps["draft"]
    actual = sum(r.usage.cost_usd or 0.0 for r in draft.responses.values())
    assert len(draft.sections) == 3 and 0 < actual <= planned.high_usd

    # One section alone (the TUI's redraft of a section) is a third of the round.
    one = engine.estimate_step(run_id, "draft", section=1)
    assert one.models[0].responses == 1 and one.high_usd < planned.high_usd
