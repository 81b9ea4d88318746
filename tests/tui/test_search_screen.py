"""`s` on the home screen: type words, see ranked results with snippets, enter opens the run at
the step the match is in."""

from __future__ import annotations

from stores import drafted_tech_article
from textual.pilot import Pilot
from textual.widgets import OptionList

from writeit.engine import Engine, PickStrategy
from writeit.tui.app import WriteItApp
from writeit.tui.screens.home import HomeScreen
from writeit.tui.screens.search import SearchScreen

from .conftest import OpenApp
from .helpers import run_screen, wait_until


async def open_search(app: WriteItApp, pilot: Pilot[None]) -> SearchScreen:
    """`s` on the home screen, once the index has caught up."""
    await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
    await pilot.press("s")
    await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen))
    screen = app.screen
    assert isinstance(screen, SearchScreen)
    await wait_until(pilot, lambda: screen.ready, what="the index to catch up")
    return screen


async def test_s_searches_and_enter_opens_the_run_at_the_matching_step(
    open_app: OpenApp, engine: Engine
) -> None:
    other = engine.start_run("blog-post", {"topic": "green tea"}).run_id
    await engine.run_to_end(other, PickStrategy.parse("first"))
    run = engine.start_run("blog-post", {"topic": "axolotl husbandry"}).run_id
    await engine.run_to_end(run, PickStrategy.parse("first"))
    first, last = engine.load(run).step_order[0], engine.load(run).step_order[-1]
    engine.revise(run, step=first, feedback="mention the capybara")  # branches: completed run

    async with open_app() as (app, pilot):
        screen = await open_search(app, pilot)
        await pilot.press(*"capybara")
        await wait_until(pilot, lambda: len(screen.hits) == 1, what="one feedback hit")
        assert screen.hits[0].kind == "feedback" and screen.hits[0].step == first

        await pilot.press("ctrl+a", "ctrl+k", *"axolotl")
        await wait_until(pilot, lambda: screen.hits and screen.hits[0].run_id == run)
        wanted = next(h for h in screen.hits if h.step == last)
        await pilot.press("down")
        hits = screen.query_one(OptionList)
        assert hits.has_focus
        hits.highlighted = screen.hits.index(wanted)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.__class__.__name__ == "RunScreen")
        shown = run_screen(app)
        assert (shown.run_id, shown.viewed) == (wanted.run_id, last)
        await pilot.press("left")  # the next key a writer presses: the screen still answers
        await wait_until(pilot, lambda: run_screen(app).viewed != last)


async def test_a_section_result_opens_with_the_cursor_on_its_section(
    open_app: OpenApp, engine: Engine
) -> None:
    run = await drafted_tech_article(engine, "tidal turbines")
    engine.revise(run, step="draft", feedback="mention barnacles", section=2)

    async with open_app() as (app, pilot):
        screen = await open_search(app, pilot)
        await pilot.press(*"barnacles")
        await wait_until(pilot, lambda: len(screen.hits) == 1, what="the section's feedback")
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: app.screen.__class__.__name__ == "RunScreen")
        shown = run_screen(app)
        assert (shown.viewed, shown.structure.section) == ("draft", 2)
        await pilot.press("down")  # the next key: the cursor moves on from that section
        await wait_until(pilot, lambda: run_screen(app).structure.section == 3)
