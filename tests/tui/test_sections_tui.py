"""Item steps and section steps on the run screen: choosing an item across panes, the section
list before and after drafting, a pick per section, accept-all and editing the list. Every
action is followed by the key a writer presses next, and the app must answer it."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from writeit.domain.outline import parse_sections
from writeit.domain.status import RunStatus, StepStatus
from writeit.engine.engine import Engine
from writeit.tui.app import Start, WriteItApp
from writeit.tui.screens.dialogs import TextDialog
from writeit.tui.screens.new_run import Prefill
from writeit.tui.widgets.item_picker import ItemPicker
from writeit.tui.widgets.section_list import SectionList

from .conftest import OpenApp
from .helpers import run_screen, shown, wait_settled, wait_until

LONG = Start(prefill=Prefill("long-article", {"topic": "SQLite"}, autostart=True))


async def all_written(pilot: Pilot[None], app: WriteItApp, engine: Engine, step: str) -> None:
    """Wait until every section of `step` (on screen) has finished streaming."""
    run_id = run_screen(app).run_id
    await wait_until(
        pilot,
        lambda: (
            engine.load(run_id).steps[step].sections
            and not engine.load(run_id).steps_streaming()
            and not run_screen(app).streaming
        ),
        what=f"every section of {step} written",
    )


@pytest.mark.slow
async def test_a_long_article_needs_eight_keys_after_the_inputs(
    open_app: OpenApp, engine: Engine
) -> None:
    async with open_app(LONG) as (app, pilot):
        screen = await wait_settled(pilot, app, "angles")
        run_id = screen.run_id
        assert "Choose one of 10 items" in shown(screen.query_one(ItemPicker))
        await pilot.press("down", "down")  # keys move between items across panes
        target = screen.structure.items()[2]
        assert "▸ pane" in shown(screen.query_one(ItemPicker))
        await pilot.press("enter")
        await wait_settled(pilot, app, "outline")
        angles = engine.load(run_id).steps["angles"]
        assert angles.content == target.text and angles.item == target.index
        assert target.text in (engine.load(run_id).steps["outline"].prompt or "")
        await pilot.press("1")  # pick the outline: drafting waits, the sections show first
        await wait_until(pilot, lambda: run_screen(app).viewed == "draft", what="draft shown")
        titles = [
            s.title for s in parse_sections(engine.load(run_id).steps["outline"].content or "")
        ]
        listing = screen.query_one(SectionList)
        await wait_until(pilot, lambda: "7 sections from 'outline'" in shown(listing))
        assert engine.load(run_id).steps["draft"].status is StepStatus.PENDING
        await pilot.press("r")  # draft every section at once
        await all_written(pilot, app, engine, "draft")
        await wait_until(pilot, lambda: "Sections 0/7 chosen" in shown(listing))
        await pilot.press("A")  # accept the first completed response of every section
        await wait_until(
            pilot,
            lambda: engine.load(run_id).steps["draft"].status is StepStatus.COMPLETED,
            what="draft assembled",
        )
        await wait_until(pilot, lambda: run_screen(app).viewed == "polish")
        await pilot.press("r")
        await all_written(pilot, app, engine, "polish")
        await pilot.press("A")
        await wait_until(pilot, lambda: engine.load(run_id).status is RunStatus.COMPLETED)
        article = engine.load(run_id).article or ""
        assert [ln[3:] for ln in article.splitlines() if ln.startswith("## ")] == titles
        await pilot.press("left")  # the next key is answered
        await wait_until(pilot, lambda: run_screen(app).viewed == "draft")


async def test_sections_are_picked_one_by_one_and_the_list_is_edited(
    open_app: OpenApp, engine: Engine
) -> None:
    async with open_app(LONG) as (app, pilot):
        screen = await wait_settled(pilot, app, "angles")
        run_id = screen.run_id
        await pilot.press("2")  # the number chooses item 2 of the response under the cursor
        await wait_settled(pilot, app, "outline")
        assert engine.load(run_id).steps["angles"].item == 1
        await pilot.press("1")
        await wait_until(pilot, lambda: run_screen(app).viewed == "draft")
        await pilot.press("o")  # edit the section list: an ordinary edit of the outline
        await wait_until(pilot, lambda: isinstance(app.screen, TextDialog))
        area = app.screen.query_one("TextArea")
        area.text = "# Mine\n\n## Second first\n- b\n\n## New one\n- n\n"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        listing = screen.query_one(SectionList)
        await wait_until(pilot, lambda: "2 sections from 'outline'" in shown(listing))
        assert engine.load(run_id).steps["outline"].content.startswith("# Mine")  # type: ignore[union-attr]
        await pilot.press("r")
        await wait_until(
            pilot,
            lambda: (
                len(engine.load(run_id).steps["draft"].sections) == 2
                and not run_screen(app).streaming
            ),
            what="two sections drafted",
        )
        await wait_settled(pilot, app, "draft")
        await pilot.press("2")  # section 1: response 2; the cursor moves to section 2
        await wait_until(
            pilot, lambda: engine.load(run_id).steps["draft"].sections[0].selected is not None
        )
        await wait_until(pilot, lambda: "▸ 2. New one" in shown(listing))
        first = engine.load(run_id).steps["draft"].sections[0].content
        await pilot.press("f")  # feedback on section 2 only: it is redrafted, 1 keeps its pick
        await wait_until(pilot, lambda: isinstance(app.screen, TextDialog))
        assert "section 2 (New one)" in app.screen.title_text  # type: ignore[attr-defined]
        app.screen.query_one("TextArea").text = "Shorter"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_until(
            pilot,
            lambda: (
                engine.load(run_id).steps["draft"].sections[1].attempt == 2
                and not run_screen(app).streaming
            ),
            what="section 2 redrafted",
        )
        draft = engine.load(run_id).steps["draft"]
        assert draft.sections[0].content == first and draft.sections[1].feedback == "Shorter"
        assert all("Shorter" in r.content for r in draft.section_responses(1))
        await pilot.press("up")  # back to section 1: its pick is shown
        await wait_until(pilot, lambda: "▸ 1. Second first" in shown(listing))
        await pilot.press("down", "1")
        await wait_until(
            pilot, lambda: engine.load(run_id).steps["draft"].status is StepStatus.COMPLETED
        )
        draft = engine.load(run_id).steps["draft"]
        assert [s.title for s in draft.sections] == ["Second first", "New one"]
        assert [ln for ln in (draft.content or "").splitlines() if ln.startswith("#")] == [
            "# Mine",
            "## Second first",
            "## New one",
        ]
        await wait_until(pilot, lambda: run_screen(app).viewed == "polish")  # its list next
        await pilot.press("left")
        await wait_until(pilot, lambda: run_screen(app).viewed == "draft")


async def test_a_response_without_a_list_is_chosen_whole_and_the_guidance_says_so(
    open_app: OpenApp, engine: Engine
) -> None:
    from .fixtures import interrupted_run

    # tech-article's angles step chooses an item; one response lists one, the other has no list.
    run_id = interrupted_run(engine)
    async with open_app(Start(run_id=run_id)) as (app, pilot):
        screen = await wait_settled(pilot, app, "angles")
        guide = shown(screen.query_one("#guidance"))
        assert "Choose one item:" in guide and "Pick one to continue" not in guide
        picker = screen.query_one(ItemPicker)
        await wait_until(pilot, lambda: "1. whole response:" in shown(picker), what="the picker")
        whole = next(i for i, item in enumerate(screen.structure.items()) if item.index is None)
        await pilot.press(*["down"] * whole)  # the cursor on the pane without a list
        chosen = screen.structure.items()[whole]
        await pilot.press("1")  # its number: that response, whole
        await wait_settled(pilot, app, "outline")
        angles = engine.load(run_id).steps["angles"]
        assert angles.item is None and angles.content == chosen.text == "partial angle"
        assert angles.ordered_responses()[angles.selected or 0].content == "partial angle"
        await pilot.press("left")  # the next key is answered: back to the chosen step
        await wait_until(pilot, lambda: run_screen(app).viewed == "angles")


@pytest.mark.slow
async def test_a_tech_article_from_angle_item_to_export_in_six_keys_and_two(
    open_app: OpenApp, engine: Engine
) -> None:
    """tech-article as a new user drives it: an angle chosen as an item, the outline picked,
    every section drafted then polished (accept-all), exported; each key counted."""
    keys: list[str] = []

    async def press(pilot: Pilot[None], *pressed: str) -> None:
        keys.extend(pressed)
        await pilot.press(*pressed)

    start = Start(prefill=Prefill("tech-article", {"topic": "SQLite"}, autostart=True))
    async with open_app(start) as (app, pilot):
        screen = await wait_settled(pilot, app, "angles")
        run_id = screen.run_id
        picker = screen.query_one(ItemPicker)
        await wait_until(pilot, lambda: "Choose one of 10 items" in shown(picker))
        assert "Choose one item:" in shown(screen.query_one("#guidance"))
        chosen = screen.structure.items()[2]
        await press(pilot, "3")  # item 3 of the highlighted pane's list
        await wait_settled(pilot, app, "outline")
        angles = engine.load(run_id).steps["angles"]
        assert angles.item == 2 and angles.content == chosen.text
        outline = engine.load(run_id).steps["outline"]
        assert chosen.text in (outline.prompt or "") and len(angles.ordered_responses()) == 2
        await press(pilot, "1")
        await wait_until(pilot, lambda: run_screen(app).viewed == "draft", what="draft shown")
        titles = [
            s.title for s in parse_sections(engine.load(run_id).steps["outline"].content or "")
        ]
        listing = screen.query_one(SectionList)
        await wait_until(pilot, lambda: f"{len(titles)} sections from 'outline'" in shown(listing))
        for step in ("draft", "polish"):
            await press(pilot, "r")  # every section, each to both models
            await all_written(pilot, app, engine, step)
            assert len(engine.load(run_id).steps[step].sections) == len(titles)
            await press(pilot, "A")  # the first completed response of every section
            await wait_until(
                pilot,
                lambda s=step: engine.load(run_id).steps[s].status is StepStatus.COMPLETED,
                what=f"{step} assembled",
            )
        await wait_until(pilot, lambda: engine.load(run_id).status is RunStatus.COMPLETED)
        article = engine.load(run_id).article or ""
        assert [ln[3:] for ln in article.splitlines() if ln.startswith("## ")] == titles
        await press(pilot, "x", "m")  # export as Markdown
        path = engine.home / "exports" / f"tech-article-{run_id[:8]}.md"
        await wait_until(pilot, path.exists, what="the markdown export")
        assert all(f"## {t}" in path.read_text(encoding="utf-8") for t in titles)
        assert keys == ["3", "1", "r", "A", "r", "A", "x", "m"]  # 6 keys, then 2 to export
        await pilot.press("left")  # the next key is answered
        await wait_until(pilot, lambda: run_screen(app).viewed == "draft")
