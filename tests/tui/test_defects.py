"""Each defect found when the TUI was tried as a new user would, pinned by a test that does what
the person did next (issue 9): the key after the action must work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from plain_pipeline import install_plain
from stores import open_engine

from writeit.domain.config import UserConfig
from writeit.domain.errors import WriteItError
from writeit.domain.status import StepStatus
from writeit.engine import Engine
from writeit.tui.app import Start, create_app
from writeit.tui.launch import check_preferences
from writeit.tui.screens.dialogs import ConfirmDialog, TextDialog
from writeit.tui.screens.help import HelpScreen
from writeit.tui.screens.home import HomeScreen
from writeit.tui.screens.new_run import NewRunScreen, Prefill
from writeit.tui.screens.run import RunScreen

from .conftest import OpenApp
from .helpers import run_screen, shown, wait_settled, wait_until

NEW_RUN = Start(prefill=Prefill("tech-article", {"topic": "LMDB"}, autostart=True))


async def test_q_quits_after_n_then_escape(open_app: OpenApp) -> None:
    """Keys typed after returning home went into the hidden filter box, so `q` did nothing."""
    async with open_app() as (app, pilot):
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewRunScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await pilot.press("q")
        await wait_until(pilot, lambda: app.return_code is not None or not app.is_running)


async def test_q_quits_after_returning_from_a_run(open_app: OpenApp, engine: Engine) -> None:
    engine.start_run("tech-article", {"topic": "back home"})
    async with open_app() as (app, pilot):
        await wait_until(pilot, lambda: app.screen.query_one("#runs").row_count == 1)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert app.screen.query_one("#filter").display is False
        await pilot.press("q")
        await wait_until(pilot, lambda: not app.is_running, what="the app to quit")


async def test_the_banner_names_the_models_config_routes_runs_to(home: Path) -> None:
    config = UserConfig(
        default_models=("ollama:llama3.2",),
        providers={"ollama": {"kind": "openai", "base_url": "http://127.0.0.1:9/v1"}},  # type: ignore[dict-item]
    )
    engine, _ = open_engine(home, config=config)
    with engine:
        app = create_app(home, engine)
        async with app.run_test(size=(120, 36)) as pilot:
            notice = app.screen.query_one("#offline-notice")
            await wait_until(pilot, lambda: "ollama" in shown(notice), what="the banner")
            banner = shown(notice)
            assert "ollama:llama3.2" in banner
            assert "no API key" not in banner


async def test_the_offline_banner_says_why(open_app: OpenApp) -> None:
    async with open_app() as (app, pilot):
        notice = app.screen.query_one("#offline-notice")
        await wait_until(pilot, lambda: shown(notice), what="the banner")
        banner = shown(notice)
        assert "no API key" in banner and "offline:writer" in banner


async def test_quitting_while_streaming_asks_first(
    open_app: OpenApp, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WRITEIT_OFFLINE_TPS", "5")
    async with open_app(NEW_RUN) as (app, pilot):
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen) and app.streaming_runs)
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("n")  # no: keep writing
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen))
        assert app.is_running
        await pilot.press("c")  # the run screen still answers
        await wait_until(pilot, lambda: not app.streaming_runs, what="streams to stop")
        await pilot.press("ctrl+q")  # nothing streams: quits at once
        await wait_until(pilot, lambda: not app.is_running, what="the app to quit")


async def test_a_broken_user_pipeline_is_named_on_the_home_screen(
    open_app: OpenApp, home: Path
) -> None:
    (home / "pipelines").mkdir(parents=True)
    (home / "pipelines" / "mine.yaml").write_text("name: mine\ninputs: []\nsteps: [oops\n")
    async with open_app() as (app, pilot):
        notice = app.screen.query_one("#catalog-notice")
        await wait_until(pilot, lambda: notice.display, what="the catalog notice")
        assert "mine.yaml" in shown(notice)
        await pilot.press("n")  # the others still work
        await wait_until(pilot, lambda: isinstance(app.screen, NewRunScreen))


def test_unknown_keymap_actions_and_themes_are_config_errors(home: Path) -> None:
    for config, needle in (
        (UserConfig(keymap={"no_such_action": "z"}), "keymap.no_such_action"),
        (UserConfig(theme="no-such-theme"), "theme: unknown theme 'no-such-theme'"),
    ):
        engine, _ = open_engine(home, config=config)
        with engine, pytest.raises(WriteItError, match=needle):
            check_preferences(engine, create_app(home, engine))


def test_an_unknown_theme_in_config_is_one_line_from_writeit(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text("theme: no-such-theme\n")
    env = {**os.environ, "WRITEIT_HOME": str(home)}
    out = subprocess.run(
        [sys.executable, "-m", "writeit"], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 1
    assert out.stderr.startswith("writeit: error: config.yaml: theme: unknown theme")
    assert "Traceback" not in out.stderr


async def test_a_theme_chosen_in_the_app_is_saved(open_app: OpenApp, home: Path) -> None:
    async with open_app() as (app, pilot):
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        app.theme = "nord"
        await wait_until(pilot, lambda: (home / "config.yaml").exists(), what="config.yaml")
        await pilot.press("question_mark")  # still answering
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
    assert "theme: nord" in (home / "config.yaml").read_text()


async def test_a_keymap_shows_and_uses_the_keys_that_really_work(home: Path) -> None:
    engine, _ = open_engine(home, config=UserConfig(keymap={"branch": "B"}))
    with engine:
        app = create_app(home, engine, NEW_RUN)
        async with app.run_test(size=(120, 36)) as pilot:
            screen = await wait_settled(pilot, app, "angles")
            assert screen.key_for("branch") == "B"
            await pilot.press("question_mark")
            await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
            assert any("B" in s for s in map(shown, app.screen.query("Static")))
            await pilot.press("escape")
            await pilot.press("b")  # the old key does nothing now (press waits for idle)
            assert isinstance(app.screen, RunScreen)
            await pilot.press("B")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))


async def test_a_refused_key_says_why(open_app: OpenApp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WRITEIT_OFFLINE_TPS", "5")
    async with open_app(NEW_RUN) as (app, pilot):
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen) and app.streaming_runs)
        await pilot.press("b")
        await wait_until(
            pilot,
            lambda: any("before branching" in n.message for n in app._notifications),
            what="the reason",
        )
        assert isinstance(app.screen, RunScreen)


async def test_feedback_on_a_past_step_branches_and_resume_goes_there(
    open_app: OpenApp, engine: Engine
) -> None:
    async with open_app(NEW_RUN) as (app, pilot):
        original = (await wait_settled(pilot, app, "angles")).run_id
        await pilot.press("1")
        await wait_settled(pilot, app, "outline")
        await pilot.press("left", "f")
        await wait_until(pilot, lambda: isinstance(app.screen, TextDialog))
        await pilot.press(*"fewer angles")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: run_screen(app).run_id != original, what="a branch")
        branch = run_screen(app).run_id
        await wait_settled(pilot, app, "angles")
        assert engine.load(branch).steps["angles"].feedback == "fewer angles"
        assert engine.load(original).steps["angles"].feedback is None
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await pilot.press("r")  # resume: the branch the writer was on, not the original
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen))
        assert run_screen(app).run_id == branch


async def test_the_home_list_shows_a_run_another_process_added(
    open_app: OpenApp, home: Path
) -> None:
    async with open_app() as (app, pilot):
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert app.screen.query_one("#runs").row_count == 0  # type: ignore[attr-defined]
        env = {**os.environ, "WRITEIT_HOME": str(home), "WRITEIT_OFFLINE_TPS": "0"}
        done = subprocess.run(
            [sys.executable, "-m", "writeit", "run", "tech-article", "-i", "topic=elsewhere"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        await wait_until(
            pilot,
            lambda: app.screen.query_one("#runs").row_count == 1,  # type: ignore[attr-defined]
            timeout=15,
            what="the other process's run to appear",
        )
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen))


async def test_documented_keys_scroll_a_pane(open_app: OpenApp, engine: Engine) -> None:
    # A whole-article polish (tech-article's is per section now, each section short).
    plain = Start(prefill=Prefill(install_plain(engine.home), {"topic": "LMDB"}, autostart=True))
    async with open_app(plain, size=(80, 24)) as (app, pilot):
        for step in ("ideas", "draft"):
            await wait_settled(pilot, app, step)
            await pilot.press("1")
        screen = await wait_settled(pilot, app, "polish")
        await pilot.press("tab")
        view = screen.panes[0].view
        await wait_until(pilot, lambda: view.max_scroll_y > 0, what="a draft taller than the pane")
        assert view.scroll_y == 0  # a finished pane starts at the top
        await pilot.press("pagedown")
        await wait_until(pilot, lambda: view.scroll_y > 0, what="pagedown to scroll")
        await pilot.press("home")
        await wait_until(pilot, lambda: view.scroll_y == 0, what="home to scroll back")
        assert engine.load(screen.run_id).steps["polish"].status is StepStatus.RUNNING
