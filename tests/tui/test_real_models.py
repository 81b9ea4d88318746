"""The run screen over the real OpenAI SDK and the local stand-in server: truthful endings and
reasoning kept apart, then the key a writer presses next."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_llm_server import FakeLLMServer, Scenario
from stores import open_engine

from writeit.domain.config import RetryConfig, UserConfig
from writeit.domain.status import ResponseStatus, StepStatus
from writeit.tui.app import Start, create_app
from writeit.tui.screens.new_run import Prefill
from writeit.tui.widgets.item_picker import ItemPicker

from .helpers import shown, wait_settled, wait_until

THOUGHT = "PRIVATE-REASONING about angles"


@pytest.fixture
def openai_env(fake_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key-for-the-stand-in")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.openai_base_url)


def cursor_line(picker: ItemPicker) -> str:
    """The picker's row under the cursor (`▸ pane N · k. text`)."""
    return next((row for row in shown(picker).splitlines() if row.startswith("▸")), "")


async def test_truncated_with_reasoning_is_shown_truthfully_and_can_be_picked(
    home: Path, fake_llm: FakeLLMServer, openai_env: None
) -> None:
    fake_llm.script(
        Scenario(text="1. An angle cut mid", finish_reason="length", reasoning=(THOUGHT,)),
        Scenario(text="1. A complete angle\n2. Another one"),
    )
    config = UserConfig(retry=RetryConfig(max_attempts=1))
    engine, _ = open_engine(home, config=config)
    start = Start(
        prefill=Prefill(
            "tech-article",
            {"topic": "tea"},
            models={"*": ["openai:gpt-5.4-mini"] * 2},
            autostart=True,
        )
    )
    with engine:
        app = create_app(home, engine, start)
        async with app.run_test(size=(140, 40)) as pilot:
            screen = await wait_settled(pilot, app, "angles")
            statuses = sorted(p.response.status for p in screen.panes)
            assert statuses == [ResponseStatus.COMPLETED, ResponseStatus.TRUNCATED]
            cut = next(p for p in screen.panes if p.response.status is ResponseStatus.TRUNCATED)
            assert THOUGHT not in cut.response.content and THOUGHT in cut.response.reasoning
            assert "token limit" in str(cut.note_text())
            reasoning = cut.query_one(".pane-reasoning")
            assert "reasoning" in shown(reasoning) and THOUGHT not in shown(reasoning)
            await pilot.press("v")  # shows the reasoning
            await wait_until(pilot, lambda: THOUGHT in shown(reasoning), what="reasoning shown")
            await pilot.press("v")
            await wait_until(pilot, lambda: THOUGHT not in shown(reasoning), what="collapsed")
            # the truncated answer can still be chosen: down to its item (the panes are shown
            # in a shuffled order), then enter
            picker = screen.query_one(ItemPicker)
            for _ in range(3):
                if "An angle cut mid" in cursor_line(picker):
                    break
                await pilot.press("down")
                await pilot.pause()
            assert "An angle cut mid" in cursor_line(picker), shown(picker)
            await pilot.press("enter")
            await wait_until(
                pilot,
                lambda: engine.load(screen.run_id).steps["angles"].status is StepStatus.COMPLETED,
                what="the pick",
            )
            prompt = engine.load(screen.run_id).steps["outline"].prompt or ""
            assert "An angle cut mid" in prompt and THOUGHT not in prompt
