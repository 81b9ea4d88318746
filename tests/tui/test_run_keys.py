"""Every key of the run screen changes the run exactly as the engine says it should."""

from __future__ import annotations

import pytest
from plain_pipeline import install_plain

from writeit.domain.compare import display_order
from writeit.domain.rules import Action
from writeit.domain.status import ResponseStatus, RunStatus, StepStatus
from writeit.engine.engine import Engine
from writeit.tui.app import Start
from writeit.tui.screens.dialogs import ConfirmDialog, ExportDialog, TextDialog
from writeit.tui.screens.help import HelpScreen
from writeit.tui.screens.history import HistoryScreen
from writeit.tui.screens.new_run import Prefill
from writeit.tui.screens.run import RunScreen
from writeit.tui.screens.tree import TreeScreen

from .conftest import OpenApp
from .helpers import run_screen, shown, wait_settled, wait_until

NEW_RUN = Start(prefill=Prefill("tech-article", {"topic": "LMDB"}, autostart=True))


def plain_run(engine: Engine) -> Start:
    """A new run of a pipeline whose steps are all picked whole by their pane's number (the
    shipped ones choose items or sections on some steps): for tests of picking itself."""
    return Start(prefill=Prefill(install_plain(engine.home), {"topic": "LMDB"}, autostart=True))


async def test_new_run_starts_at_once_and_1_picks_then_next_step_streams(
    open_app: OpenApp, engine: Engine
) -> None:
    async with open_app(NEW_RUN) as (app, pilot):
        screen = await wait_settled(pilot, app, "angles")
        run_id = screen.run_id
        first_shown = screen.panes[0].index  # panes are shuffled: 1 picks the first on screen
        await pilot.press("1")
        await wait_until(
            pilot,
            lambda: engine.load(run_id).steps["outline"].status is StepStatus.RUNNING,
            what="outline to start",
        )
        run = engine.load(run_id)
        assert run.steps["angles"].status is StepStatus.COMPLETED
        assert run.steps["angles"].selected == first_shown
        assert run_screen(app).viewed == "outline"
        await wait_settled(pilot, app, "outline")


async def test_every_step_picked_completes_the_run(open_app: OpenApp, engine: Engine) -> None:
    async with open_app(plain_run(engine)) as (app, pilot):
        second_shown = []
        for step in ("ideas", "draft", "polish"):
            screen = await wait_settled(pilot, app, step)
            second_shown.append(screen.panes[1].index)
            await pilot.press("2")
        await wait_until(pilot, lambda: engine.load(screen.run_id).status is RunStatus.COMPLETED)
        run = engine.load(screen.run_id)
        assert [s.selected for s in run.ordered_steps()] == second_shown


async def test_e_edits_the_focused_response_and_continues(
    open_app: OpenApp, engine: Engine
) -> None:
    async with open_app(NEW_RUN) as (app, pilot):
        screen = await wait_settled(pilot, app, "angles")
        await pilot.press("tab", "tab")  # focus pane 2
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, TextDialog))
        dialog = app.screen
        assert isinstance(dialog, TextDialog)
        assert (
            dialog.text == screen.panes[1].response.content  # pane 2 on screen
        )
        area = dialog.query_one("TextArea")
        area.text = "My own angle: LMDB for people in a hurry"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_until(
            pilot, lambda: engine.load(screen.run_id).steps["angles"].status is StepStatus.COMPLETED
        )
        angles = engine.load(screen.run_id).steps["angles"]
        assert angles.content == "My own angle: LMDB for people in a hurry"
        assert angles.selected is None
        await wait_settled(pilot, app, "outline")
        assert "My own angle" in (engine.load(screen.run_id).steps["outline"].prompt or "")


async def test_f_records_feedback_and_regenerates(open_app: OpenApp, engine: Engine) -> None:
    async with open_app(NEW_RUN) as (app, pilot):
        screen = await wait_settled(pilot, app, "angles")
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, TextDialog))
        await pilot.press(*"shorter please")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: engine.load(screen.run_id).steps["angles"].attempt == 2)
        await wait_settled(pilot, app, "angles")
        angles = engine.load(screen.run_id).steps["angles"]
        assert angles.feedback == "shorter please"
        assert "shorter please" in (angles.prompt or "")
        assert len(angles.earlier_response_ids) == 2


async def test_r_regenerates_the_step(open_app: OpenApp, engine: Engine) -> None:
    async with open_app(NEW_RUN) as (app, pilot):
        screen = await wait_settled(pilot, app, "angles")
        first = engine.load(screen.run_id).steps["angles"].response_ids
        await pilot.press("r")
        await wait_until(pilot, lambda: engine.load(screen.run_id).steps["angles"].attempt == 2)
        screen = await wait_settled(pilot, app, "angles")
        again = engine.load(screen.run_id).steps["angles"]
        assert set(again.response_ids).isdisjoint(first)
        assert [p.response.response_id for p in screen.panes] == display_order(again.response_ids)


async def test_c_cancels_streaming_and_keeps_the_text(
    open_app: OpenApp, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WRITEIT_OFFLINE_TPS", "20")
    async with open_app(NEW_RUN) as (app, pilot):
        await wait_until(
            pilot,
            lambda: (
                app.screen.__class__.__name__ == "RunScreen"
                and run_screen(app).panes
                and all(p.displayed_chars > 0 for p in run_screen(app).panes)
            ),
            what="first tokens on screen",
        )
        screen = run_screen(app)
        assert screen.streaming
        await pilot.press("c")
        await wait_until(pilot, lambda: not screen.streaming, what="streams to stop")
        responses = engine.load(screen.run_id).steps["angles"].ordered_responses()
        assert {r.status for r in responses} == {ResponseStatus.CANCELLED}
        assert all(r.content for r in responses)
        await wait_until(pilot, lambda: all("cancel" in str(p.note_text()) for p in screen.panes))


async def test_b_branches_after_confirming(open_app: OpenApp, engine: Engine) -> None:
    async with open_app(NEW_RUN) as (app, pilot):
        screen = await wait_settled(pilot, app, "angles")
        parent = screen.run_id
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_until(pilot, lambda: engine.children(parent), what="a child run")
        (child,) = engine.children(parent)
        await wait_until(pilot, lambda: run_screen(app).run_id == child)
        await wait_settled(pilot, app, "angles")
        run = engine.load(child)
        assert run.parent_run_id == parent and run.branch_point == "angles"
        assert run.steps["angles"].attempt == 1


async def test_b_then_n_does_not_branch(open_app: OpenApp, engine: Engine) -> None:
    async with open_app(NEW_RUN) as (app, pilot):
        screen = await wait_settled(pilot, app, "angles")
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen)
        assert engine.children(screen.run_id) == []


async def test_left_right_browse_steps(open_app: OpenApp, engine: Engine) -> None:
    async with open_app(plain_run(engine)) as (app, pilot):
        await wait_settled(pilot, app, "ideas")
        await pilot.press("2")
        screen = await wait_settled(pilot, app, "draft")
        await pilot.press("left")
        await wait_until(pilot, lambda: screen.viewed == "ideas")
        assert [p.picked for p in screen.panes] == [False, True]
        verdict = screen.verdict
        assert verdict.allows("pick", 0) and verdict.continues_in_branch(Action.PICK)
        assert verdict.allows("branch")
        assert "new branch" in shown(screen.query_one("#guidance"))
        await pilot.press("right")
        await wait_until(pilot, lambda: screen.viewed == "draft")
        await pilot.press("right")
        await wait_until(pilot, lambda: screen.viewed == "polish")
        assert "Not reached yet" in shown(screen.query_one("#guidance"))


async def test_tab_moves_between_panes(open_app: OpenApp) -> None:
    async with open_app(NEW_RUN) as (app, pilot):
        screen = await wait_settled(pilot, app, "angles")
        await pilot.press("tab")
        assert screen.focused_pane() is screen.panes[0]
        await pilot.press("tab")
        assert screen.focused_pane() is screen.panes[1]
        await pilot.press("tab")
        assert screen.focused_pane() is screen.panes[0]
        await pilot.press("question_mark")  # still answering
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))


async def test_x_exports_and_says_where(open_app: OpenApp, engine: Engine) -> None:
    async with open_app(NEW_RUN) as (app, pilot):
        screen = await wait_settled(pilot, app, "angles")
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportDialog))
        await pilot.press("enter")  # the configured default (yaml) is highlighted
        path = (engine.home / "exports") / f"tech-article-{screen.run_id[:8]}.yaml"
        await wait_until(pilot, path.exists, what="the export file")
        assert f"run_id: {screen.run_id}" in path.read_text()
        assert any(str(path) in n.message for n in app._notifications)


async def test_t_shows_the_family_and_opens_a_child(open_app: OpenApp, engine: Engine) -> None:
    run = engine.start_run("tech-article", {"topic": "trees"})
    await engine.run_step(run.run_id)
    child = engine.branch(run.run_id, "angles")
    async with open_app(Start(run_id=run.run_id)) as (app, pilot):
        await wait_settled(pilot, app, "angles")
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TreeScreen))
        tree = app.screen.query_one("Tree")
        labels = [str(n.label) for n in tree.root.children[0].children]  # type: ignore[attr-defined]
        assert any(child[:8] in label and "@angles" in label for label in labels)
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: run_screen(app).run_id == child, what="the child opened")


async def test_h_shows_history_and_state_at_an_event(open_app: OpenApp, engine: Engine) -> None:
    run = engine.start_run("tech-article", {"topic": "logs"})
    await engine.run_step(run.run_id)
    events = engine.history(run.run_id)
    async with open_app(Start(run_id=run.run_id)) as (app, pilot):
        await wait_settled(pilot, app)
        await pilot.press("h")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        table = app.screen.query_one("DataTable")
        assert table.row_count == len(events)  # type: ignore[attr-defined]
        await pilot.press(*["up"] * len(events))
        state = app.screen.query_one("#state-text")
        await wait_until(pilot, lambda: "After event 0" in shown(state))
        assert "○ angles: pending" in shown(state)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.__class__.__name__ == "RunScreen")


async def test_changing_a_finished_run_continues_in_a_branch(
    open_app: OpenApp, engine: Engine
) -> None:
    run = engine.start_run("blog-post", {"topic": "tea"})
    while engine.load(run.run_id).status is not RunStatus.COMPLETED:
        await engine.run_step(run.run_id)
        engine.pick(run.run_id, 0)
    async with open_app(Start(run_id=run.run_id)) as (app, pilot):
        second_shown = (await wait_settled(pilot, app, "polish")).panes[1].index
        await pilot.press("2")
        await wait_until(pilot, lambda: run_screen(app).run_id != run.run_id, what="a new branch")
        screen = run_screen(app)
        assert engine.load(run.run_id).steps["polish"].selected == 0  # the original is unchanged
        branch = engine.load(screen.run_id)
        assert (
            branch.parent_run_id == run.run_id and branch.steps["polish"].selected == second_shown
        )
        assert any("new branch" in n.title.lower() for n in app._notifications)


async def test_interrupted_responses_show_their_text_and_r_regenerates(
    open_app: OpenApp, engine: Engine
) -> None:
    from .fixtures import interrupted_run

    run_id = interrupted_run(engine)
    async with open_app(Start(run_id=run_id)) as (app, pilot):
        screen = await wait_settled(pilot, app, "angles")
        assert [p.response.status for p in screen.panes] == [ResponseStatus.INTERRUPTED] * 2
        assert all("partial angle" in p.response.content for p in screen.panes)
        assert "interrupted" in str(screen.panes[0].note_text())
        await pilot.press("r")
        await wait_until(pilot, lambda: engine.load(run_id).steps["angles"].attempt == 2)
        screen = await wait_settled(pilot, app, "angles")
        statuses = {r.status for r in engine.load(run_id).steps["angles"].ordered_responses()}
        assert statuses == {ResponseStatus.COMPLETED}


async def test_keys_that_do_not_apply_are_hidden(open_app: OpenApp, engine: Engine) -> None:
    async with open_app(plain_run(engine)) as (app, pilot):  # 2 panes: no third to pick
        screen = await wait_settled(pilot, app, "ideas")
        active = {b.binding.action for b in screen.active_bindings.values() if b.enabled}
        assert "cancel" not in active and "pick(2)" not in active
        assert {"pick(0)", "pick(1)", "edit", "feedback", "regenerate", "export"} <= active


async def answers_keys(pilot: object, app: object) -> None:
    """The app still answers: `?` opens help over the screen and `escape` closes it."""
    before = app.screen  # type: ignore[attr-defined]
    await pilot.press("question_mark")  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help to open")  # type: ignore[arg-type, attr-defined]
    await pilot.press("escape")  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: app.screen is before, what="help to close")  # type: ignore[arg-type, attr-defined]
    focused = app.focused  # type: ignore[attr-defined]
    assert focused is None or focused.is_attached, f"focus left on a removed {focused!r}"


async def test_b_y_branches_then_1_picks_on_the_branch(open_app: OpenApp, engine: Engine) -> None:
    async with open_app(NEW_RUN) as (app, pilot):
        parent = (await wait_settled(pilot, app, "angles")).run_id
        await pilot.press("1")
        await wait_settled(pilot, app, "outline")
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_until(pilot, lambda: run_screen(app).run_id != parent, what="the branch")
        child = run_screen(app).run_id
        await wait_settled(pilot, app, "outline")
        await answers_keys(pilot, app)
        await pilot.press("1")
        await wait_until(
            pilot,
            lambda: engine.load(child).steps["outline"].status is StepStatus.COMPLETED,
            what="the branch's outline picked",
        )
        assert engine.load(child).parent_run_id == parent
        assert engine.load(parent).steps["outline"].selected is None  # parent untouched
        # the branch's draft lists the outline's sections before drafting them
        await wait_until(pilot, lambda: run_screen(app).viewed == "draft", what="the draft")
        assert engine.load(child).steps["draft"].status is StepStatus.PENDING
        await answers_keys(pilot, app)


async def test_t_enter_opens_a_run_and_keys_still_work(open_app: OpenApp, engine: Engine) -> None:
    run = engine.start_run("tech-article", {"topic": "trees"})
    await engine.run_step(run.run_id)
    child = engine.branch(run.run_id, "angles")
    async with open_app(Start(run_id=child)) as (app, pilot):
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen))
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TreeScreen))
        await pilot.press("up", "enter")
        await wait_until(pilot, lambda: run_screen(app).run_id == run.run_id, what="the parent")
        first_shown = (await wait_settled(pilot, app, "angles")).panes[0].index
        await answers_keys(pilot, app)
        await pilot.press("2")  # angles chooses an item: item 2 of the highlighted first pane
        await wait_until(
            pilot,
            lambda: (
                (
                    engine.load(run.run_id).steps["angles"].selected,
                    engine.load(run.run_id).steps["angles"].item,
                )
                == (first_shown, 1)
            ),
            what="a pick",
        )
        await wait_settled(pilot, app, "outline")
        await answers_keys(pilot, app)


async def test_e_ctrl_s_on_a_past_step_continues_in_a_branch(
    open_app: OpenApp, engine: Engine
) -> None:
    async with open_app(NEW_RUN) as (app, pilot):
        screen = await wait_settled(pilot, app, "angles")
        original, first_shown = screen.run_id, screen.panes[0].index
        await pilot.press("1")
        await wait_settled(pilot, app, "outline")
        await pilot.press("left")
        await wait_until(pilot, lambda: run_screen(app).viewed == "angles")
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, TextDialog))
        app.screen.query_one("TextArea").text = "My own angle, stitched by hand"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: run_screen(app).run_id != original, what="the branch")
        branch = run_screen(app).run_id
        await wait_settled(pilot, app, "outline")
        assert engine.load(branch).steps["angles"].content == "My own angle, stitched by hand"
        assert engine.load(original).steps["angles"].selected == first_shown  # the past is kept
        assert "stitched by hand" in (engine.load(branch).steps["outline"].prompt or "")
        await answers_keys(pilot, app)
        await pilot.press("left")  # the edited text is what went forward
        await wait_until(pilot, lambda: run_screen(app).viewed == "angles")
        assert "edited" in shown(run_screen(app).query_one("#guidance"))
        await answers_keys(pilot, app)
