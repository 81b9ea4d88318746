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
        await wait_until(pilot, lambda: app.screen.query("TextArea"), what="the edit box")
        widgets: list[Widget] = [dialog, *dialog.query("*")]  # queried while it is open
        await pilot.press("escape")
        shown = weakref.ref(screen)
        await wait_until(pilot, lambda: app.screen is shown())
        widgets += [screen, *screen.query("*")]
        # each widget's style cache holds its rendered lines: Textual's get_inner_outer kept
        # them in an lru_cache after the widget was gone (textual_leaks.release_style_caches)
        kept = [(type(w).__name__, weakref.ref(w)) for w in widgets] + [
            (f"{type(w).__name__}'s StylesCache", weakref.ref(w._styles_cache)) for w in widgets
        ]
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await wait_until(
            pilot,
            lambda: (closing := shown()) is None or not closing.is_running,
            what="the run screen to close",
        )
        del screen, dialog, widgets
        gc.collect()
        alive = sorted({name for name, ref in kept if ref() is not None})
        assert not alive, f"still held after leaving the run: {alive}"
        await pilot.press("enter")  # and the writer can open the run again
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen))
        await wait_settled(pilot, app)
