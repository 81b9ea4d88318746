"""Shuffled panes, blind mode, differences, stitching, $EDITOR and the leaderboard, by key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from stores import open_engine
from textual.widgets import DataTable

from writeit.domain.compare import display_order, word_diff
from writeit.domain.config import UserConfig
from writeit.domain.events import ResponsePicked, StepEdited
from writeit.domain.status import ResponseStatus, StepStatus
from writeit.engine import Engine, PickStrategy
from writeit.tui.app import Start, create_app
from writeit.tui.screens.history import HistoryScreen, describe
from writeit.tui.screens.home import HomeScreen
from writeit.tui.screens.leaderboard import LeaderboardScreen
from writeit.tui.screens.run import RunScreen
from writeit.tui.screens.stitch import StitchScreen
from writeit.tui.widgets.diff_view import CHANGED
from writeit.tui.widgets.markdown_view import MarkdownView
from writeit.tui.widgets.response_pane import ResponsePane
from writeit.tui.widgets.step_panes import EditedPane

from .conftest import OpenApp
from .helpers import shown, wait_settled, wait_until
from .test_run_keys import NEW_RUN, answers_keys


def events_of(engine: Engine, run_id: str, kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in engine.history(run_id) if isinstance(e, kind)]


async def test_panes_follow_the_shuffled_order_and_1_picks_the_first_shown(
    open_app: OpenApp, engine: Engine
) -> None:
    async with open_app(NEW_RUN) as (app, pilot):
        screen = await wait_settled(pilot, app, "angles")
        ids = screen.step_state.response_ids
        on_screen = [p.response.response_id for p in screen.panes]
        assert on_screen == display_order(ids)
        assert [p.header_text().plain.split()[0] for p in screen.panes] == ["1", "2"]
        await pilot.press("1")
        await wait_until(pilot, lambda: bool(events_of(engine, screen.run_id, ResponsePicked)))
        pick = events_of(engine, screen.run_id, ResponsePicked)[0]
        assert pick.response_id == on_screen[0] and pick.shown_order == on_screen
        assert engine.load(screen.run_id).steps["angles"].selected == ids.index(on_screen[0])
        await wait_settled(pilot, app, "outline")
        await answers_keys(pilot, app)


@pytest.fixture
def blind_engine(home: Path) -> Iterator[Engine]:
    eng, _ = open_engine(home, config=UserConfig(blind=True))
    with eng:
        yield eng


async def test_blind_by_config_hides_models_until_the_pick_and_n_toggles(
    blind_engine: Engine,
) -> None:
    app = create_app(blind_engine.home, blind_engine, NEW_RUN)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await wait_settled(pilot, app, "angles")
        headers = [p.header_text().plain for p in screen.panes]
        assert all("model hidden" in h and "offline:" not in h for h in headers)
        await pilot.press("n")
        await wait_until(pilot, lambda: "offline:" in screen.panes[0].header_text().plain)
        await pilot.press("n")
        await wait_until(pilot, lambda: screen.panes[0].blind)
        await pilot.press("2")
        await wait_settled(pilot, app, "outline")
        assert all(p.blind for p in screen.panes)  # the next step is blind too
        await pilot.press("left")
        await wait_until(pilot, lambda: screen.viewed == "angles")
        assert all("offline:" in p.header_text().plain for p in screen.panes)  # picked: shown
        await answers_keys(pilot, app)


def lit(pane: ResponsePane) -> list[str]:
    """The words a diffed pane highlights (those the pane it is compared with lacks)."""
    assert pane.diff is not None
    text = pane.diff.text
    return [text.plain[s.start : s.end] for s in text.spans if str(s.style) == CHANGED]


async def test_blind_mode_keeps_the_model_out_of_a_streams_notice(blind_engine: Engine) -> None:
    app = create_app(blind_engine.home, blind_engine, NEW_RUN)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await wait_settled(pilot, app, "angles")
        pane = screen.panes[0]
        said = f"{pane.response.model_ref}: retrying in 2.0s (attempt 2): 429"
        app._engine_notice(screen.run_id, pane.response.response_id, said)  # the engine's hook
        await pilot.press("n")  # names shown: the next notice names the model
        await wait_until(pilot, lambda: not pane.blind)
        app._engine_notice(screen.run_id, pane.response.response_id, said)

        def retrying() -> list[str]:
            return [str(n.message) for n in app._notifications if "retrying" in str(n.message)]

        await wait_until(pilot, lambda: len(retrying()) == 2)
        assert retrying() == ["the model: retrying in 2.0s (attempt 2): 429", said]
        await answers_keys(pilot, app)


async def test_history_in_blind_mode_names_no_model_of_a_step_not_picked(
    blind_engine: Engine,
) -> None:
    app = create_app(blind_engine.home, blind_engine, NEW_RUN)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await wait_settled(pilot, app, "angles")

        async def history() -> tuple[dict[str, str], str]:
            """Each step's StepStarted row, and the state after the last event."""
            await pilot.press("h")
            await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
            shown_state = app.screen.query_one("#state-text")
            await wait_until(pilot, lambda: "After event" in shown(shown_state))
            table = app.screen.query_one(DataTable)
            rows = [table.get_row_at(i) for i in range(table.row_count)]
            started = {str(r[3]): str(r[4]) for r in rows if r[2] == "step_started"}
            return started, shown(shown_state)

        started, state = await history()
        assert started["angles"] == "2 models (hidden until you pick)"
        assert "offline:" not in state and "1. model hidden" in state
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        await pilot.press("1")
        await wait_settled(pilot, app, "outline")
        started, state = await history()  # angles is picked: its models are named now
        assert "offline:" in started["angles"] and "offline:" not in started["outline"]
        assert "picked response 1" in [
            str(app.screen.query_one(DataTable).get_row_at(i)[4])
            for i in range(app.screen.query_one(DataTable).row_count)
        ]
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        await answers_keys(pilot, app)


async def test_d_lights_differences_in_the_panes_then_d_escape_and_1_answer(
    open_app: OpenApp, engine: Engine
) -> None:
    async with open_app(NEW_RUN) as (app, pilot):
        screen = await wait_settled(pilot, app, "angles")
        first, second = screen.panes
        await pilot.press("d")
        await wait_until(pilot, lambda: all(p.diff is not None for p in screen.panes))
        assert app.screen is screen and not first.view.display  # in place of the Markdown
        assert lit(first) and lit(second) and "".join(lit(first)) != "".join(lit(second))
        assert first.diff is not None and first.diff.text.plain == first.response.content
        alike = f"{word_diff(first.response.content, second.response.content).similarity:.0%}"
        assert f"≠ {alike} alike vs 2" in shown(first.query_one(".pane-header"))
        assert f"≠ {alike} alike vs 1" in shown(second.query_one(".pane-header"))
        await pilot.press("tab", "tab")  # the focused pane is the one compared, its diff focused
        await wait_until(pilot, lambda: app.focused is second.diff is not None)
        assert f"≠ {alike} alike vs 1" in shown(second.query_one(".pane-header"))  # same figure
        await pilot.press("d")  # back to Markdown
        await wait_until(
            pilot, lambda: all(p.diff is None and p.view.display for p in (first, second))
        )
        assert "alike" not in shown(first.query_one(".pane-header"))
        assert isinstance(app.focused, MarkdownView)
        await pilot.press("d", "escape")  # escape leaves the differences, not the run
        await wait_until(pilot, lambda: first.diff is None and first.view.display)
        assert app.screen is screen
        await pilot.press("d")
        await wait_until(pilot, lambda: first.diff is not None)
        await pilot.press("1")  # picking from a diff picks the first pane on screen
        await wait_until(
            pilot, lambda: engine.load(screen.run_id).steps["angles"].selected == first.index
        )
        await wait_settled(pilot, app, "outline")
        await answers_keys(pilot, app)


async def test_identical_responses_are_flagged_unasked(open_app: OpenApp, engine: Engine) -> None:
    from .fixtures import NO_SUCH_PID, started_step

    same = ["Two angles:\n\n1. Speed", "Two  angles:\n1. Speed\n"]
    run_id = started_step(engine, "twins", NO_SUCH_PID, same)
    engine.recover_interrupted()  # both stopped (not streaming): the step's texts are final
    async with open_app(Start(run_id=run_id)) as (app, pilot):
        screen = await wait_settled(pilot, app, "angles")
        headers = [shown(p.query_one(".pane-header")) for p in screen.panes]
        assert "= identical to 2" in headers[0] and "= identical to 1" in headers[1]
        await pilot.press("d")  # a diff of twins lights nothing and says 100%
        await wait_until(pilot, lambda: all(p.diff is not None for p in screen.panes))
        assert not lit(screen.panes[0]) and "100% alike" in shown(
            screen.panes[0].query_one(".pane-header")
        )
        await pilot.press("d")
        await wait_until(pilot, lambda: screen.panes[0].diff is None)
        await answers_keys(pilot, app)


async def test_the_last_stream_to_end_flags_identical_responses(engine: Engine) -> None:
    from .fixtures import streaming_run

    run_id = streaming_run(engine, ["", ""])
    ids = engine.load(run_id).steps["angles"].response_ids
    app = create_app(engine.home, engine, Start(run_id=run_id))
    app.hub.start(ids)  # as the engine starts them: the panes stream
    app.streaming_runs.add(run_id)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: len(app.screen.query(ResponsePane)) == 2)
        screen = app.screen
        assert isinstance(screen, RunScreen)
        assert all(p.live and not p.twins for p in screen.panes)
        step = engine.load(run_id).steps["angles"]
        for rid in ids:
            assert not any(p.twins for p in screen.panes)  # flagged once none is live
            final = step.responses[rid].model_copy(
                update={"status": ResponseStatus.COMPLETED, "content": "Same words."}
            )
            screen.deck.finish(final)
        assert [p.twins for p in screen.panes] == [[2], [1]]
        await wait_until(
            pilot, lambda: "identical to 2" in shown(screen.panes[0].query_one(".pane-header"))
        )
        app.streaming_runs.discard(run_id)
        await answers_keys(pilot, app)


async def test_m_stitches_three_paragraphs_from_two_responses_with_provenance(
    open_app: OpenApp, engine: Engine
) -> None:
    async with open_app(NEW_RUN) as (app, pilot):
        screen = await wait_settled(pilot, app, "angles")
        panes = [p.response for p in screen.panes]
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, StitchScreen), what="stitch")
        stitch = app.screen
        assert isinstance(stitch, StitchScreen) and stitch.rows[0] == [0, 0]
        # take col 1 row 1, col 2 row 2, col 2 row 1, col 1 row 2; then drop the last
        await pilot.press("enter", "right", "enter", "up", "enter", "left", "down", "enter")
        await wait_until(pilot, lambda: len(stitch.pieces) == 4)
        await pilot.press("tab", "x")
        await wait_until(pilot, lambda: len(stitch.pieces) == 3)
        await pilot.press("up", "shift+down")  # the middle piece moves last
        await wait_until(pilot, lambda: stitch.pieces[2].source.paragraph == 1)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: bool(events_of(engine, screen.run_id, StepEdited)))
        edit = events_of(engine, screen.run_id, StepEdited)[0]
        expected = [(panes[0], 0), (panes[1], 0), (panes[1], 1)]
        assert [(p.response_id, p.model, p.paragraph, p.edited) for p in edit.provenance] == [
            (r.response_id, r.model_ref, i, False) for r, i in expected
        ]
        assert edit.content.count("\n\n") == 2
        assert describe(edit) == "stitched 3 paragraphs from offline:editor, offline:writer"
        await wait_settled(pilot, app, "outline")
        await pilot.press("left")  # the stitched text, with where each paragraph came from
        await wait_until(pilot, lambda: bool(app.screen.query(EditedPane)))
        pane = app.screen.query_one(EditedPane)
        assert "stitched" in shown(pane.query_one(".pane-header"))
        note = shown(pane.query_one(".pane-note"))
        assert note.startswith(f"¶1 {panes[0].model_ref} ¶1 · ¶2 {panes[1].model_ref} ¶1")
        await answers_keys(pilot, app)


async def test_capital_e_without_a_terminal_to_hand_over_says_so(open_app: OpenApp) -> None:
    async with open_app(NEW_RUN) as (app, pilot):
        screen = await wait_settled(pilot, app, "angles")
        await pilot.press("E")
        await wait_until(
            pilot,
            lambda: any("editor" in str(n.message) for n in app._notifications),
            what="the notice",
        )
        assert screen.step_state.status is StepStatus.RUNNING  # nothing went forward
        await answers_keys(pilot, app)


async def test_home_capital_l_shows_the_leaderboard(open_app: OpenApp, engine: Engine) -> None:
    run = engine.start_run("blog-post", {"topic": "tea"})
    await engine.run_to_end(run.run_id, PickStrategy.parse("1"), shuffle=True)
    async with open_app() as (app, pilot):
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await pilot.press("L")
        await wait_until(pilot, lambda: isinstance(app.screen, LeaderboardScreen))
        board = app.screen
        await wait_until(pilot, lambda: "Position bias" in shown(board.query_one("#board-summary")))
        assert board.query_one("DataTable").row_count == 2  # type: ignore[attr-defined]
        assert "rough" in shown(board.query_one("#board-summary"))  # a few picks: said so
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await pilot.press("L")
        await wait_until(pilot, lambda: isinstance(app.screen, LeaderboardScreen))


async def test_guidance_names_the_key_above_the_only_pickable_pane(
    open_app: OpenApp, engine: Engine
) -> None:
    from .fixtures import NO_SUCH_PID, started_step

    run_id = started_step(engine, "half", NO_SUCH_PID, ["", "An angle that survived"])
    engine.recover_interrupted()  # the first has no text: only the second can be picked
    async with open_app(Start(run_id=run_id)) as (app, pilot):
        screen = await wait_settled(pilot, app, "angles")
        usable = next(p for p in screen.panes if p.response.usable)
        key = str(usable.position + 1)
        assert f"Pick one to continue: {key}" in shown(screen.query_one("#guidance"))
        await pilot.press(key)
        await wait_until(
            pilot, lambda: engine.load(run_id).steps["angles"].selected == usable.index
        )
        await wait_settled(pilot, app, "outline")
        await answers_keys(pilot, app)
