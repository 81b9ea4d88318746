"""The run title's cost while a step streams names what it cannot price, never counts it as 0.

Before, a run without a budget showed `≈$0.0003 so far` while a model at an unknown price was
streaming beside a priced one, and dropped the finished unpriced responses too.
"""

from __future__ import annotations

import pytest
from fake_llm_server import FakeLLMServer, Scenario
from textual.widgets import Static

from writeit.engine import Engine
from writeit.tui.app import Start, create_app
from writeit.tui.screens.run import RunScreen

from .helpers import run_screen, shown, wait_until

MODELS = ["openai:gpt-4o-mini", "openai:my-private-model"]  # the second has no known price


async def test_the_title_names_a_streaming_response_at_an_unknown_price(
    engine: Engine, fake_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-openai-key-000")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.openai_base_url)
    fake_llm.default = Scenario(text=" ".join(f"w{i}" for i in range(400)), token_delay=0.01)
    run = engine.start_run("tech-article", {"topic": "tides"}, models={"*": MODELS})
    app = create_app(engine.home, engine, Start(run_id=run.run_id))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen), what="run screen")
        screen = run_screen(app)
        title = screen.query_one("#run-title", Static)
        await pilot.press("r")
        await wait_until(
            pilot,
            lambda: screen.streaming and "+ 1 unpriced so far" in shown(title),
            what="the unpriced stream named in the title",
        )
        assert "≈$0.0" in shown(title)
        await pilot.press("c")  # the next key: cancel, and the app answers
        await wait_until(pilot, lambda: not screen.streaming, what="cancelled")
        await wait_until(pilot, lambda: "+ 1 unpriced" in shown(title), what="finished, named")
    await engine.aclose()
