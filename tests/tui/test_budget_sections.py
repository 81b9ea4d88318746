"""Redrafting one section when the budget would not hold it: the app asks first, as for a step.

Before, `r` on a section went straight to the engine, whose refusal reached the writer as an
error notice telling them to pass `--over-budget`, a command-line flag they cannot give here.
"""

from __future__ import annotations

import pytest
from fake_llm_server import FakeLLMServer, Scenario

from writeit.engine import Engine
from writeit.tui.app import Start, create_app
from writeit.tui.screens.dialogs import ConfirmDialog
from writeit.tui.screens.run import RunScreen

from .helpers import run_screen, wait_until

MODEL = "openai:gpt-4o-mini"
ANGLES = "\n".join(f"{i}. **Angle {i}**: why {i}" for i in range(1, 6))
OUTLINE = "# Tides\n\n" + "\n\n".join(f"## Part {i}\n- point {i}" for i in range(1, 4))


def notices(app: object) -> list[str]:
    return [str(n.message) for n in app._notifications]  # type: ignore[attr-defined]


async def test_redrafting_a_section_past_the_budget_asks_first(
    engine: Engine, fake_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-openai-key-000")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.openai_base_url)
    fake_llm.script(Scenario(text=ANGLES), Scenario(text=OUTLINE), model="gpt-4o-mini")
    fake_llm.default = Scenario(text="A paragraph of the section. " * 5)
    run_id = engine.start_run("tech-article", {"topic": "tides"}, models={"*": [MODEL]}).run_id
    await engine.run_step(run_id, "angles")
    engine.pick(run_id, 0, step="angles", item=0)
    await engine.run_step(run_id, "outline")
    engine.pick(run_id, 0, step="outline")
    await engine.run_step(run_id, "draft")  # three sections, none picked yet
    engine.set_budget(run_id, engine.budget(run_id).spent_usd + 1e-6)

    app = create_app(engine.home, engine, Start(run_id=run_id))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen), what="run screen")
        screen = run_screen(app)
        await wait_until(pilot, lambda: screen.viewed == "draft" and screen.panes, what="draft")
        await pilot.press("r")  # redraft the section under the cursor (the first)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="the ask")
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen, what="back on the run")
        await wait_until(pilot, lambda: not app.streaming_runs, what="the worker ended")
        assert engine.load(run_id).steps["draft"].sections[0].attempt == 1, "it was redrafted"
        assert not any("--over-budget" in m for m in notices(app)), notices(app)

        await pilot.press("r")  # asked again; yes raises the budget and redrafts it
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="again")
        await pilot.press("y")
        await wait_until(
            pilot,
            lambda: engine.load(run_id).steps["draft"].sections[0].attempt == 2,
            what="the section redrafted",
        )
        budgets = [e for e in engine.history(run_id) if e.type == "budget_set"]
        assert len(budgets) == 2
        raised = budgets[1].budget_usd  # type: ignore[attr-defined]
        assert raised == round(raised, 4), "the budget recorded is the one the question showed"
        await wait_until(pilot, lambda: not app.streaming_runs, what="the redraft ended")
        await pilot.press("down")  # the next key a writer presses is answered
        await wait_until(pilot, lambda: screen.structure.section == 1, what="cursor moved")
    await engine.aclose()
