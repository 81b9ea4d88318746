"""An edit of a section step's whole text (e or E after every section is picked) is what goes
forward: the run screen shows it first beside each section's responses, none of them marked as
picked, and the next keys still answer."""

from __future__ import annotations

from writeit.domain.sections import edited_whole
from writeit.engine import Engine, PickStrategy
from writeit.tui.app import Start
from writeit.tui.widgets.step_panes import EditedPane

from .conftest import OpenApp
from .helpers import wait_settled, wait_until

MINE = "# Mine\n\n## Introduction\n\nMy own words about SQLite.\n"


async def test_an_edit_of_a_section_step_shows_first_beside_its_sections(
    open_app: OpenApp, engine: Engine
) -> None:
    run_id = engine.start_run("tech-article", {"topic": "SQLite"}).run_id
    await engine.run_to_end(run_id, PickStrategy.parse("first"))
    assert not edited_whole(engine.load(run_id).steps["polish"])  # picks only: no edit
    edited = engine.edit(run_id, MINE, step="polish")
    assert edited_whole(engine.load(edited).steps["polish"])
    async with open_app(Start(run_id=edited)) as (app, pilot):
        screen = await wait_settled(pilot, app)
        if screen.viewed != "polish":
            await pilot.press("right", "right", "right")
        await wait_until(pilot, lambda: screen.viewed == "polish" and screen.query(EditedPane))
        assert "My own words" in screen.query_one(EditedPane).text
        assert screen.panes and not any(p.picked for p in screen.panes)
        await pilot.press("down")  # the next section: the edit still shows first
        await wait_until(pilot, lambda: screen.structure.section == 1)
        await wait_until(pilot, lambda: screen.query(EditedPane), what="the edit beside section 2")
        assert "My own words" in screen.query_one(EditedPane).text
        await pilot.press("tab")
        await wait_until(pilot, lambda: screen.focused_pane() is not None, what="tab answers")
