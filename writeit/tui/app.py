"""The WriteIt app: screens over one engine. Build it with `create_app` (tests inject an engine)."""

from __future__ import annotations

import gc
import uuid
from dataclasses import dataclass
from pathlib import Path

from textual import work
from textual.app import App
from textual.binding import Binding

from writeit.domain.errors import WriteItError
from writeit.domain.events import Event, ResponseFinished, StepStarted
from writeit.engine.engine import Engine
from writeit.tui.live import StreamHub
from writeit.tui.palette import ScreenActions
from writeit.tui.screens.help import HelpScreen
from writeit.tui.screens.home import HomeScreen
from writeit.tui.screens.new_run import NewRunScreen, Prefill
from writeit.tui.screens.run import RunScreen


@dataclass
class Start:
    """Where the app opens: the home screen, a new run (maybe prefilled), or a run."""

    prefill: Prefill | None = None
    run_id: str | None = None


class WriteItApp(App[None]):
    """Home screen at the bottom of the stack; new-run and run screens above it."""

    CSS_PATH = "app.tcss"
    TITLE = "WriteIt"
    COMMANDS = App.COMMANDS | {ScreenActions}
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?", id="help"),
    ]

    def __init__(self, engine: Engine, start: Start | None = None) -> None:
        super().__init__()
        self.engine = engine
        self.start = start or Start()
        self.hub = StreamHub()
        self.streaming_runs: set[str] = set()
        self._streams = 0
        self.session_id = uuid.uuid4().hex
        engine.on_delta.append(self.hub.feed)
        engine.on_event.append(self._engine_event)
        engine.on_notice.append(self._engine_notice)

    def on_mount(self) -> None:
        theme = self.engine.config.theme
        if theme and theme in self.available_themes:
            self.theme = theme
        if self.engine.config.keymap:
            self.set_keymap(dict(self.engine.config.keymap))
        self.push_screen(HomeScreen())
        if self.start.prefill is not None:
            self.push_screen(NewRunScreen(self.start.prefill))
        elif self.start.run_id is not None:
            self.push_screen(RunScreen(self.start.run_id))

    def on_unmount(self) -> None:
        """Detach from the engine: it may outlive the app (tests, `launch`)."""
        for listeners, fn in (
            (self.engine.on_delta, self.hub.feed),
            (self.engine.on_event, self._engine_event),
            (self.engine.on_notice, self._engine_notice),
        ):
            if fn in listeners:
                listeners.remove(fn)

    # -- navigation --------------------------------------------------------------------------

    def open_new_run(self, prefill: Prefill | None = None) -> None:
        self.push_screen(NewRunScreen(prefill))

    def open_run(self, run_id: str) -> None:
        self.push_screen(RunScreen(run_id))

    def start_new_run(self, run_id: str) -> None:
        """Replace the new-run form with the run, streaming its first step at once."""
        self.switch_screen(RunScreen(run_id, autostart=True))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    # -- engine ------------------------------------------------------------------------------

    @work(group="engine", exit_on_error=False)
    async def stream_step(self, run_id: str, step: str) -> None:
        """Stream one step; in the app's `engine` group so `workers.cancel_group` stops it."""
        self.streaming_runs.add(run_id)
        self._streams += 1
        if self._streams == 1:
            gc.freeze()  # full collections would scan every widget: pauses of 50-100 ms
        try:
            await self.engine.run_step(run_id, step)
        except WriteItError as exc:
            self.notify(f"{step}: {exc}", severity="error", markup=False)
        finally:
            self._streams -= 1
            if not self._streams:
                gc.unfreeze()  # what became garbage meanwhile is collected as usual
            self.streaming_runs.discard(run_id)
            for screen in self.screen_stack:
                if isinstance(screen, RunScreen):
                    screen.stream_ended(run_id)

    def _engine_event(self, event: Event) -> None:
        if isinstance(event, StepStarted):
            self.hub.start([r.response_id for r in event.responses])
        for screen in self.screen_stack:
            if isinstance(screen, RunScreen):
                screen.engine_event(event)
        if isinstance(event, ResponseFinished):
            self.hub.drop(event.response_id)

    def _engine_notice(self, run_id: str, response_id: str, message: str) -> None:
        self.notify(message, title=f"run {run_id[:8]}", severity="warning", markup=False)


def create_app(home: Path, engine: Engine | None = None, start: Start | None = None) -> WriteItApp:
    """The app over `engine` (or a new engine on `home`; the caller closes it after `run`)."""
    return WriteItApp(engine if engine is not None else Engine.open(home), start)
