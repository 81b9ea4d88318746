"""A budget in the TUI, as a writer meets it: set in the form, the cost live, the budget hit.

An earlier run was answered briefly, so the estimate (from its history) fits the budget;
this time the stand-in server writes at length and slowly, so the run crosses it mid-stream.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fake_llm_server import FakeLLMServer, Scenario
from textual.widgets import Input, Static

from writeit.domain.budget import BUDGET
from writeit.domain.status import ResponseStatus, StepStatus
from writeit.engine import Engine, PickStrategy
from writeit.tui.app import Start, create_app
from writeit.tui.screens.dialogs import ConfirmDialog
from writeit.tui.screens.new_run import Prefill
from writeit.tui.screens.run import RunScreen

from .helpers import run_screen, shown, wait_until

MODELS = ["openai:gpt-4o-mini", "openai:gpt-4o-mini"]
LONG = " ".join(f"word{i}" for i in range(400)) + "."


@pytest.fixture
def with_history(home: Path, fake_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key-for-the-stand-in")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.openai_base_url)
    # Brief, with one level-2 heading: tech-article's outline gives its draft one section.
    fake_llm.default = Scenario(text="## A short answer\n- briefly")
    engine = Engine.open(home)

    async def earlier() -> None:
        run = engine.start_run("tech-article", {"topic": "earlier"}, models={"*": MODELS})
        await engine.run_to_end(run.run_id, PickStrategy.parse("first"))
        await engine.aclose()

    asyncio.run(earlier())
    fake_llm.default = Scenario(text=LONG, token_delay=0.04)  # this time, at length
    return engine


def notices(app: object) -> list[str]:
    return [str(n.message) for n in app._notifications]  # type: ignore[attr-defined]


@pytest.mark.slow  # ~10 s: an earlier run, then two slow streams through the OpenAI SDK
async def test_set_a_budget_watch_the_cost_hit_the_budget_then_go_on(with_history: Engine) -> None:
    engine = with_history
    start = Start(prefill=Prefill("tech-article", {"topic": "budgets"}, models={"*": MODELS}))
    with engine:
        app = create_app(engine.home, engine, start)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_until(pilot, lambda: app.screen.query("#budget"), what="the form")
            estimate = app.screen.query_one("#estimate", Static)
            await wait_until(pilot, lambda: "Estimate" in shown(estimate), what="estimate")
            assert "≈$" in shown(estimate)
            app.screen.query_one("#budget", Input).focus()
            await pilot.press(*"0.0002")
            await wait_until(pilot, lambda: "fits the budget" in shown(estimate), what="verdict")
            await pilot.press("ctrl+s")

            # The run streams; its title shows the spend against the budget, live.
            await wait_until(pilot, lambda: isinstance(app.screen, RunScreen), what="run")
            screen = run_screen(app)
            title = screen.query_one("#run-title", Static)
            await wait_until(
                pilot,
                lambda: screen.streaming and "≈$" in shown(title) and "budget" in shown(title),
                what="live cost in the title",
                timeout=5,
            )
            assert any("Estimate" in m or "angles:" in m for m in notices(app))
            await wait_until(
                pilot,
                lambda: any("≈$" in shown(p._header) for p in screen.panes),
                what="live cost in a pane",
            )

            # The budget is hit: every stream stops, keeps its text, and the writer is told.
            await wait_until(pilot, lambda: not screen.streaming, what="streams stopped")
            await wait_until(pilot, lambda: all(p.response.finished for p in screen.panes))
            run = engine.load(screen.run_id)
            responses = run.steps["angles"].ordered_responses()
            assert all(r.status is ResponseStatus.CANCELLED for r in responses)
            assert all(r.cancel_reason == BUDGET for r in responses)
            assert all(0 < len(r.content) < len(LONG) for r in responses)
            await wait_until(pilot, lambda: any("budget reached" in m for m in notices(app)))
            assert engine.budget(screen.run_id).reached

            # Next: pick one. The next step would cross the budget, so the app asks first.
            await pilot.press("1")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="ask")
            await pilot.press("n")  # not now: the step stays unstarted, the screen answers
            await wait_until(pilot, lambda: isinstance(app.screen, RunScreen))
            await wait_until(pilot, lambda: not screen.streaming)
            assert engine.load(screen.run_id).steps["outline"].status is StepStatus.PENDING
            await pilot.press("r")  # start it after all: asked again
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="again")
            await pilot.press("y")  # raise the budget and go
            await wait_until(
                pilot,
                lambda: engine.load(screen.run_id).steps["outline"].status is StepStatus.RUNNING,
                what="outline started",
            )
            budgets = [e for e in engine.history(screen.run_id) if e.type == "budget_set"]
            assert len(budgets) == 2 and budgets[1].budget_usd > budgets[0].budget_usd  # type: ignore[attr-defined]
            await pilot.press("c")  # and the keys still answer while it streams
            await wait_until(pilot, lambda: not screen.streaming, what="cancelled")
            assert any("Cancelled" in m for m in notices(app)) or any(
                r.status is not ResponseStatus.STREAMING
                for r in engine.load(screen.run_id).steps["outline"].ordered_responses()
            )


async def test_dollar_sets_the_budget_of_an_open_run_and_the_keys_still_answer(
    engine: Engine,
) -> None:
    run = engine.start_run("tech-article", {"topic": "budgets"})
    app = create_app(engine.home, engine, Start(run_id=run.run_id))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen), what="run screen")
        screen = run_screen(app)
        await pilot.press("dollar_sign")
        await wait_until(pilot, lambda: app.screen is not screen, what="the budget dialog")
        await pilot.press(*"0.25", "ctrl+s")
        await wait_until(pilot, lambda: engine.load(run.run_id).budget_usd == 0.25)
        assert [e.type for e in engine.history(run.run_id)][-1] == "budget_set"
        title = screen.query_one("#run-title", Static)
        await wait_until(pilot, lambda: "of $0.2500 budget" in shown(title), what="title")
        await pilot.press("dollar_sign")
        await wait_until(pilot, lambda: app.screen is not screen, what="the dialog again")
        await pilot.press(*["backspace"] * 4, "ctrl+s")  # empty removes it
        await wait_until(pilot, lambda: engine.load(run.run_id).budget_usd is None)
        await pilot.press("right")  # the next key a writer presses is answered
        await wait_until(pilot, lambda: screen.viewed == "outline", what="next step shown")
