"""A long session must not grow: nothing of a run screen outlives it (issue 16 item 4)."""

from __future__ import annotations

import gc
import weakref

from textual.widget import Widget

from writeit.tui.app import Start
from writeit.tui.screens.dialogs import TextDialog
from writeit.tui.screens.home import HomeScreen
from writeit.tui.screens.new_run import Prefill
from writeit.tui.screens.run import RunScreen

from .conftest import OpenApp
from .helpers import wait_settled, wait_until

NEW_RUN = Start(prefill=Prefill("tech-article", {"topic": "leaks"}, autostart=True))


async def test_nothing_of_a_run_screen_outlives_it(open_app: OpenApp) -> None:
    async with open_app(NEW_RUN) as (app, pilot):
        screen = await wait_settled(pilot, app)
        await pilot.press("e")  # the writer opens the edit box, thinks better of it
        await wait_until(pilot, lambda: isinstance(app.screen, TextDialog))
        dialog = app.screen
        await pilot.press("escape")
        shown = weakref.ref(screen)
        await wait_until(pilot, lambda: app.screen is shown())
        widgets: list[Widget] = [screen, dialog, *screen.query("*"), *dialog.query("*")]
        kept = [weakref.ref(w) for w in widgets]
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await wait_until(
            pilot,
            lambda: (closing := shown()) is None or not closing.is_running,
            what="the run screen to close",
        )
        del screen, dialog, widgets
        gc.collect()
        alive = sorted({type(w).__name__ for ref in kept if (w := ref()) is not None})
        assert not alive, f"still held after leaving the run: {alive}"
        await pilot.press("enter")  # and the writer can open the run again
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen))
        await wait_settled(pilot, app)
