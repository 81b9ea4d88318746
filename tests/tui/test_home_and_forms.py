"""Home screen, new-run form, help and palette: what the writer sees before and around a run."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandPalette
from textual.widgets import DataTable, Input

from writeit.domain.events import RunCreated
from writeit.engine import Engine
from writeit.storage.store import Store, utcnow
from writeit.tui.app import Start, create_app
from writeit.tui.screens.help import HelpScreen
from writeit.tui.screens.home import PAGE, SCAN, HomeScreen
from writeit.tui.screens.new_run import NewRunScreen, Prefill
from writeit.tui.screens.run import RunScreen

from .conftest import OpenApp
from .fixtures import NO_SUCH_PID, started_step
from .helpers import shown, wait_settled, wait_until


def table(app: object) -> DataTable:  # type: ignore[type-arg]
    return app.screen.query_one("#runs", DataTable)  # type: ignore[attr-defined]


async def test_empty_home_explains_what_to_do_and_the_offline_models(open_app: OpenApp) -> None:
    async with open_app() as (app, pilot):
        assert isinstance(app.screen, HomeScreen)
        empty = app.screen.query_one("#empty")
        await wait_until(pilot, lambda: "Press n to start one" in shown(empty))
        assert "no API key is set" in shown(app.screen.query_one("#offline-notice"))


async def test_home_lists_runs_newest_first_and_enter_opens(
    open_app: OpenApp, engine: Engine
) -> None:
    older = engine.start_run("tech-article", {"topic": "older"}).run_id
    newer = engine.start_run("blog-post", {"topic": "newer"}).run_id
    async with open_app() as (app, pilot):
        await wait_until(pilot, lambda: table(app).row_count == 2)
        keys = [row.value for row in table(app).rows]
        assert keys == [newer, older]
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen))
        assert app.screen.run_id == older  # type: ignore[attr-defined]
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))


async def test_d_archives_without_destroying_the_log(open_app: OpenApp, engine: Engine) -> None:
    run_id = engine.start_run("tech-article", {"topic": "archive me"}).run_id
    async with open_app() as (app, pilot):
        await wait_until(pilot, lambda: table(app).row_count == 1)
        await pilot.press("d")
        await wait_until(pilot, lambda: engine.load(run_id).archived)
        assert table(app).row_count == 0
        assert engine.history(run_id)[0].type == "run_created"


async def test_slash_filters_and_escape_clears(open_app: OpenApp, engine: Engine) -> None:
    for topic in ("LMDB", "SQLite", "LMDB again"):
        engine.start_run("tech-article", {"topic": topic})
    async with open_app() as (app, pilot):
        await wait_until(pilot, lambda: table(app).row_count == 3)
        await pilot.press("slash")
        assert isinstance(app.screen.focused, Input)
        await pilot.press(*"lmdb")
        await wait_until(pilot, lambda: table(app).row_count == 2)
        await pilot.press("escape")
        await wait_until(pilot, lambda: table(app).row_count == 3)
        await pilot.press("slash", *"nothing-matches")
        await wait_until(pilot, lambda: "No run matches" in shown(app.screen.query_one("#empty")))


async def test_home_loads_one_page_of_many_runs(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(home / "writeit.lmdb")
    with Engine(home, store=store) as engine:
        first = engine.start_run("tech-article", {"topic": "run 0"})
        for i in range(1, 3 * SCAN):
            store.append(
                RunCreated(
                    run_id=f"{i:08d}-0000-4000-8000-000000000000",
                    at=utcnow(),
                    pipeline=first.pipeline,
                    pipeline_sha=first.pipeline_sha,
                    step_names=first.step_order,
                    inputs={"topic": f"run {i}"},
                )
            )
        loaded: list[int] = []
        real = store.run_snapshots
        monkeypatch.setattr(
            store, "run_snapshots", lambda ids: loaded.append(len(ids)) or real(ids)
        )
        app = create_app(home, engine)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_until(pilot, lambda: table(app).row_count >= PAGE)
            await wait_until(pilot, lambda: not app.screen.workers, what="the first page")
            assert sum(loaded) <= SCAN + 1  # one scan step (and the newest-run check), not 600
            table(app).move_cursor(row=table(app).row_count - 1)
            await wait_until(pilot, lambda: table(app).row_count > PAGE, what="the next page")


async def test_n_opens_the_new_run_form(open_app: OpenApp) -> None:
    async with open_app() as (app, pilot):
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewRunScreen))
        await wait_until(pilot, lambda: app.screen.query("#model-polish"))
        assert app.screen.query_one("#model-angles", Input).value == (
            "offline:writer, offline:editor"
        )


async def test_new_run_form_shows_problems_inline(open_app: OpenApp, engine: Engine) -> None:
    async with open_app(Start(prefill=Prefill("tech-article"))) as (app, pilot):
        await wait_until(pilot, lambda: app.screen.query("#model-polish"))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "required" in shown(app.screen.query_one("#error-topic")))
        app.screen.query_one("#input-topic", Input).value = "Queues"
        app.screen.query_one("#model-draft", Input).value = "offline:nonsense"
        await pilot.press("ctrl+s")
        error = app.screen.query_one("#error-model-draft")
        await wait_until(pilot, lambda: "unknown offline model" in shown(error))
        assert shown(app.screen.query_one("#error-topic")) == ""
        assert engine.runs().runs == []
        app.screen.query_one("#model-draft", Input).value = "offline:editor"
        await pilot.press("ctrl+s")
        screen = await wait_settled(pilot, app, "angles")
        run = engine.load(screen.run_id)
        assert run.inputs["topic"] == "Queues"
        assert run.model_overrides == {"draft": ["offline:editor"]}


async def test_an_estimate_finishing_after_the_form_closed_is_dropped(
    open_app: OpenApp, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ctrl+s closes the form while its estimate worker still runs (CI saw this race once):
    the late result must not raise, and the run screen must go on answering keys."""
    gate, shown_late = threading.Event(), threading.Event()
    real_estimate, real_show = engine.estimate, NewRunScreen._show_help

    def slow_estimate(*args: Any, **kwargs: Any) -> Any:
        gate.wait(10)
        return real_estimate(*args, **kwargs)

    def show(screen: NewRunScreen, selector: str, text: Any) -> None:
        real_show(screen, selector, text)
        shown_late.set()

    monkeypatch.setattr(engine, "estimate", slow_estimate)
    monkeypatch.setattr(NewRunScreen, "_show_help", show)
    prefill = Prefill("tech-article", inputs={"topic": "Queues"})
    async with open_app(Start(prefill=prefill)) as (app, pilot):
        await wait_until(pilot, lambda: app.screen.query("#model-polish"))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen))
        gate.set()
        await wait_until(pilot, shown_late.is_set, what="the late estimate")
        screen = await wait_settled(pilot, app, "angles")
        await pilot.press("1")
        await wait_until(pilot, lambda: screen.viewed == "outline", what="pick after the race")


async def test_new_with_an_unknown_pipeline_says_so_inline(open_app: OpenApp) -> None:
    async with open_app(Start(prefill=Prefill("nope", autostart=True))) as (app, pilot):
        await wait_until(pilot, lambda: isinstance(app.screen, NewRunScreen))
        error = app.screen.query_one("#error-pipeline")
        await wait_until(pilot, lambda: "unknown pipeline 'nope'" in shown(error))


async def test_question_mark_lists_the_keys_of_this_screen(open_app: OpenApp) -> None:
    async with open_app() as (app, pilot):
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = " ".join(shown(s) for s in app.screen.query("Static"))
        assert "New run" in text and "Archive" in text and "Filter" in text
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))


async def test_ctrl_p_offers_the_screen_actions(open_app: OpenApp, engine: Engine) -> None:
    engine.start_run("tech-article", {"topic": "palette"})
    async with open_app() as (app, pilot):
        await wait_until(pilot, lambda: table(app).row_count == 1)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"new run")
        palette = app.screen
        await wait_until(
            pilot,
            lambda: palette.query_one("CommandList").option_count > 0,  # type: ignore[attr-defined]
            what="the palette's matches",
        )
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, NewRunScreen), what="new run")


async def test_model_text_is_shown_as_text(open_app: OpenApp, engine: Engine) -> None:
    hostile = "[bold red]not markup[/] \x1b[31mred\x1b[0m [/oops]\n"
    run_id = started_step(engine, "[/oops] topic", NO_SUCH_PID, [hostile, hostile])
    engine.recover_interrupted()
    async with open_app() as (app, pilot):
        await wait_until(pilot, lambda: table(app).row_count == 1)
        assert "[/oops] topic" in str(table(app).get_row_at(0)[1])
        await pilot.press("enter")
        screen = await wait_settled(pilot, app, "angles")
        assert screen.run_id == run_id
        source = screen.panes[0].view.source
        assert "[bold red]not markup[/]" in source and "\x1b" not in source


async def test_r_resumes_the_run_last_open(open_app: OpenApp, engine: Engine) -> None:
    run_id = engine.start_run("tech-article", {"topic": "resume me"}).run_id
    engine.start_run("tech-article", {"topic": "a newer run"})
    async with open_app(Start(run_id=run_id)) as (app, pilot):
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert "resume me" in shown(app.screen.query_one("#resume"))
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen))
        assert app.screen.run_id == run_id  # type: ignore[attr-defined]


async def test_the_form_shows_each_models_status_and_price(open_app: OpenApp) -> None:
    async with open_app(Start(prefill=Prefill("tech-article"))) as (app, pilot):
        await wait_until(pilot, lambda: app.screen.query("#status-model-polish"))
        status = app.screen.query_one("#status-model-angles")
        await wait_until(pilot, lambda: "offline:writer: current, free" in shown(status))
        field = app.screen.query_one("#model-angles", Input)
        field.value = "offline:editor, openai:gpt-5.4-mini"
        await wait_until(pilot, lambda: "per 1M tokens" in shown(status), what="a list price")
        assert "openai:gpt-5.4-mini: current" in shown(status)
