"""A long session must not grow: nothing of a run screen outlives it (issue 16 item 4).

"Outlives" allows one thing: asyncio keeps a cancelled timer, with the context it was set in,
until the timer's deadline, so a closed widget that had a timer (a text area's cursor blink,
half a second) is freed that much later. Each test waits a few seconds for the garbage to go;
what is held longer (a task or a timeout that still refers to a closed screen) is a leak.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Sequence
from pathlib import Path

import pytest
from fake_llm_server import FakeLLMServer, Scenario
from stores import open_engine
from textual._context import active_message_pump
from textual.message import Message
from textual.message_pump import MessagePump
from textual.pilot import Pilot
from textual.widget import Widget

from writeit.domain.config import RetryConfig, UserConfig
from writeit.tui.app import Start, create_app
from writeit.tui.screens.dialogs import TextDialog
from writeit.tui.screens.home import HomeScreen
from writeit.tui.screens.new_run import Prefill
from writeit.tui.screens.run import RunScreen
from writeit.tui.textual_leaks import hold_senders_weakly

from .conftest import OpenApp
from .helpers import wait_settled, wait_until

NEW_RUN = Start(prefill=Prefill("tech-article", {"topic": "leaks"}, autostart=True))
FREED_WITHIN_S = 5.0  # the timers of a closed screen's widgets run out well within this


async def wait_freed(pilot: Pilot[None], kept: Sequence[tuple[str, weakref.ref[object]]]) -> None:
    """Until nothing in `kept` is alive after a collection; else fail naming what is."""

    def alive() -> list[str]:
        gc.collect()
        return sorted({name for name, ref in kept if ref() is not None})

    try:
        await wait_until(pilot, lambda: not alive(), timeout=FREED_WITHIN_S)
    except AssertionError:
        raise AssertionError(f"still held after leaving the run: {alive()}") from None


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
        await wait_freed(pilot, kept)
        await pilot.press("enter")  # and the writer can open the run again
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen))
        await wait_settled(pilot, app)


async def test_a_run_screen_left_while_it_streams_is_freed(
    open_app: OpenApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run streams on without its screen; the writer comes back, stops it and leaves."""
    monkeypatch.setenv("WRITEIT_OFFLINE_TPS", "5")
    async with open_app(NEW_RUN) as (app, pilot):
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen) and app.streaming_runs)
        kept: list[tuple[str, weakref.ref[object]]] = [
            ("the first run screen", weakref.ref(app.screen))
        ]
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen))
        assert app.screen.streaming, "the run streamed on without its screen"
        kept.append(("the second run screen", weakref.ref(app.screen)))
        await pilot.press("c")
        await wait_until(pilot, lambda: not app.streaming_runs, what="the streams to stop")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await wait_freed(pilot, kept)
        await pilot.press("question_mark")  # the app still answers
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")


async def test_a_run_screen_is_freed_after_streaming_through_a_real_sdk(
    home: Path, fake_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SDK path sets timers of its own (the first-token and read timeouts, a minute and
    more): none of them may keep the screen that started the stream."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key-for-the-stand-in")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.openai_base_url)
    fake_llm.script(Scenario(text="1. An angle\n2. Another"))
    engine, _ = open_engine(home, config=UserConfig(retry=RetryConfig(max_attempts=1)))
    models = {"*": ["openai:gpt-5.4-mini"]}
    start = Start(prefill=Prefill("tech-article", {"topic": "sdk"}, models=models, autostart=True))
    with engine:
        app = create_app(home, engine, start)
        async with app.run_test(size=(120, 36)) as pilot:
            kept: list[tuple[str, weakref.ref[object]]] = [
                ("the run screen", weakref.ref(await wait_settled(pilot, app, "angles")))
            ]
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
            await wait_freed(pilot, kept)
            await pilot.press("enter")  # the writer opens the run again and picks
            await wait_until(pilot, lambda: isinstance(app.screen, RunScreen))
            await wait_settled(pilot, app, "angles")
            await pilot.press("1")
            await wait_until(
                pilot, lambda: app.screen.run.current_step != "angles", what="the pick"
            )


def test_a_message_does_not_keep_its_sender_alive() -> None:
    """An idle widget keeps the last message it handled; its sender (a closed screen) may go."""
    hold_senders_weakly()

    class Sender(MessagePump):
        pass

    sender = Sender()
    token = active_message_pump.set(sender)
    try:
        message = Message()
    finally:
        active_message_pump.reset(token)
    assert message._sender is sender  # alive: read as before
    gone = weakref.ref(sender)
    del sender
    gc.collect()
    assert gone() is None and message._sender is None
