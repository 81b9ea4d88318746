"""Steps not on screen: one that streams while the writer reads another keeps taking its text,
and a finished one is drawn before it is first shown, so moving to either answers at once; then
the keys a writer presses next still work."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_llm_server import FakeLLMServer, Scenario
from plain_pipeline import install_plain
from stores import open_engine

from writeit.domain.status import ResponseStatus
from writeit.engine import Engine
from writeit.tui.app import Start, create_app
from writeit.tui.screens.new_run import Prefill
from writeit.tui.widgets.markdown_view import MarkdownView, render_markdown
from writeit.tui.widgets.pane_deck import PaneDeck

from .conftest import OpenApp
from .helpers import run_screen, wait_settled, wait_until

OUTLINE = tuple(f"## Section {i}\n- a note about part {i}\n\n" for i in range(600))


async def test_panes_of_a_step_streaming_off_screen_keep_up(
    home: Path, fake_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key-for-the-stand-in")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.openai_base_url)
    fake_llm.script(Scenario(text="1. An angle\n2. Another angle"), Scenario(text="1. A third"))
    fake_llm.default = Scenario(chunks=OUTLINE, token_delay=0.02)  # 12 s: c cancels it
    engine, _ = open_engine(home)
    models = {"*": ["openai:gpt-5.4-mini"] * 2}
    start = Start(prefill=Prefill("tech-article", {"topic": "tea"}, models=models, autostart=True))
    with engine:
        app = create_app(home, engine, start)
        async with app.run_test(size=(140, 40)) as pilot:
            screen = await wait_settled(pilot, app, "angles")
            await pilot.press("1")  # choose the first angle: the outline starts streaming
            await wait_until(pilot, lambda: screen.viewed == "outline" and screen.panes)
            outline = list(screen.panes)
            assert all(p.live for p in outline)
            await pilot.press("left")
            await wait_until(pilot, lambda: screen.viewed == "angles")
            shown = [len(p.view.source) for p in outline]
            await wait_until(
                pilot,
                lambda: all(len(p.view.source) > n for p, n in zip(outline, shown, strict=True)),
                what="the outline's hidden panes to take new text",
            )
            assert all(p.live for p in outline), "the outline should still be streaming"
            await pilot.press("right")
            await wait_until(pilot, lambda: screen.viewed == "outline")
            await pilot.press("tab")
            await wait_until(pilot, lambda: app.focused is outline[0].body, what="tab's focus")
            assert run_screen(app) is screen
            await pilot.press("c")  # cancel the streams: the next key still answers
            await wait_settled(pilot, app, "outline")
            step = engine.load(screen.run_id).steps["outline"]
            assert {r.status for r in step.responses.values()} == {ResponseStatus.CANCELLED}


async def test_a_finished_step_off_screen_is_drawn_before_it_is_first_shown(
    open_app: OpenApp, engine: Engine
) -> None:
    run_id = engine.start_run(install_plain(engine.home), {"topic": "LMDB"}).run_id
    await engine.run_step(run_id)
    engine.pick(run_id, 0)
    await engine.run_step(run_id)
    async with open_app(Start(run_id=run_id)) as (app, pilot):
        screen = await wait_settled(pilot, app, "draft")
        ideas = screen.query_one(PaneDeck).boxes
        await wait_until(pilot, lambda: "ideas" in ideas, what="the ideas panes prebuilt")
        views = list(ideas["ideas"].query(MarkdownView))
        width = screen.panes[0].view.text_width
        await wait_until(pilot, lambda: all(v.text_width == width for v in views))
        drawn = [list(v._lines) for v in views]
        await pilot.press("left")
        await wait_until(pilot, lambda: screen.viewed == "ideas")
        for view, lines in zip(views, drawn, strict=True):
            assert view._lines == lines  # not drawn again on showing
            assert view.scrollable_content_region.width == width
            assert [s.text for s in lines] == [s.text for s in render_markdown(view.source, width)]
        await pilot.press("1")  # picking a past step continues in a branch: it asks first
        await wait_until(pilot, lambda: app.screen is not screen, what="the branch dialog")
