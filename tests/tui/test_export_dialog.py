"""`x` on the run screen: the four export formats, the configured one preselected, the path in
the notice, the dialog whole at 80x24, and the screen still answering keys afterwards."""

from __future__ import annotations

import frontmatter
from textual.widgets import Button

from writeit.engine import PickStrategy
from writeit.engine.engine import Engine
from writeit.tui.app import Start
from writeit.tui.screens.dialogs import ExportDialog

from .conftest import OpenApp
from .helpers import wait_settled, wait_until
from .test_run_keys import answers_keys


async def finished_run(engine: Engine) -> str:
    run = engine.start_run("tech-article", {"topic": "LMDB"})
    return (await engine.run_to_end(run.run_id, PickStrategy.parse("first"))).run_id


async def test_x_then_m_exports_markdown_and_keys_still_work(
    open_app: OpenApp, engine: Engine
) -> None:
    run_id = await finished_run(engine)
    async with open_app(Start(run_id=run_id)) as (app, pilot):
        await wait_settled(pilot, app)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportDialog), what="the dialog")
        await pilot.press("m")
        path = engine.home / "exports" / f"tech-article-{run_id[:8]}.md"
        await wait_until(pilot, path.exists, what="the markdown export")
        post = frontmatter.loads(path.read_text(encoding="utf-8"))
        assert post.metadata["run_id"] == run_id and post.content.startswith("# ")
        await wait_until(
            pilot,
            lambda: any(str(path) in n.message for n in app._notifications),
            what="the notice with the path",
        )
        await answers_keys(pilot, app)


async def test_the_dialog_offers_four_formats_and_fits_80x24(
    open_app: OpenApp, engine: Engine
) -> None:
    # As if config.yaml said `export_format: docx` (the engine has read its config already).
    engine.config = engine.config.model_copy(update={"export_format": "docx"})
    run_id = await finished_run(engine)
    async with open_app(Start(run_id=run_id), size=(80, 24)) as (app, pilot):
        await wait_settled(pilot, app)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportDialog), what="the dialog")
        dialog = app.screen
        buttons = list(dialog.query(Button))
        assert [b.id for b in buttons] == ["fmt-docx", "fmt-yaml", "fmt-markdown", "fmt-html"]
        assert app.focused is buttons[0]  # the configured default, first and focused
        screen = dialog.region
        for button in buttons:
            assert screen.contains_region(button.region), f"{button.id} is cut off at 80x24"
        await pilot.press("down", "down", "down")  # to html
        assert app.focused is buttons[3]
        await pilot.press("enter")
        path = engine.home / "exports" / f"tech-article-{run_id[:8]}.html"
        await wait_until(pilot, path.exists, what="the html export")
        assert "<title>" in path.read_text(encoding="utf-8")
