"""The WriteIt app: screens over one engine. Build it with `create_app` (tests inject an engine).

The engine speaks to screens only through the app's two signals, `run_events` (every stored
event) and `stream_ended` (a step's streaming worker finished), delivered on each subscriber's
own message queue. Moving to another run is a message (`OpenRun`) the app answers by replacing
the run screen with a fresh one, so no screen ever rebuilds itself for a different run and no
screen switch is awaited inside a dialog's dismiss callback.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.signal import Signal

from writeit.domain.compare import unnamed
from writeit.domain.errors import WriteItError
from writeit.domain.events import Event, ResponseFinished, StepStarted
from writeit.engine import Engine
from writeit.tui.budget_gate import approve_step
from writeit.tui.collector import StreamingCollector
from writeit.tui.live import StreamHub
from writeit.tui.messages import OpenRun
from writeit.tui.palette import ScreenActions
from writeit.tui.screens.dialogs import ConfirmDialog
from writeit.tui.screens.help import HelpScreen
from writeit.tui.screens.home import HomeScreen
from writeit.tui.screens.new_run import NewRunScreen, Prefill
from writeit.tui.screens.run import RunScreen
from writeit.tui.text import short_id
from writeit.tui.textual_leaks import hold_senders_weakly, release_style_caches


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
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="app_quit"),
    ]

    def __init__(self, engine: Engine, start: Start | None = None) -> None:
        super().__init__()
        release_style_caches()  # a long session keeps no closed widget's lines (textual_leaks)
        hold_senders_weakly()  # nor a closed screen through an idle widget's last message
        self.engine = engine
        self.start = start or Start()
        self.hub = StreamHub(engine.live_cost)
        self.streaming_runs: set[str] = set()
        self.session_id = uuid.uuid4().hex
        self.run_events: Signal[Event] = Signal(self, "run-events")
        self.stream_ended: Signal[str] = Signal(self, "stream-ended")
        self.clock: Signal[None] = Signal(self, "clock")
        self._collector = StreamingCollector(self)
        self._theme_loaded = False
        self._unsubscribe = engine.subscribe(
            on_event=self._engine_event,
            on_delta=self.hub.feed,
            on_notice=self._engine_notice,
            on_reasoning=self.hub.feed_reasoning,
        )

    def on_mount(self) -> None:
        # One clock for every screen, not a timer per screen: a timer's sleep keeps the context
        # it started in (and so its screen) until its deadline, even after the screen closed.
        self.set_interval(1.0, lambda: self.clock.publish(None))
        theme = self.engine.config.theme
        if theme and theme in self.available_themes:
            self.theme = theme
        self._theme_loaded = True
        if self.engine.config.keymap:
            self.set_keymap(dict(self.engine.config.keymap))
        self.push_screen(HomeScreen())
        if self.start.prefill is not None:
            self.push_screen(NewRunScreen(self.start.prefill))
        elif self.start.run_id is not None:
            self.push_screen(RunScreen(self.start.run_id))

    def on_unmount(self) -> None:
        """Detach from the engine: it may outlive the app (tests, `launch`)."""
        self._unsubscribe()

    def watch_theme(self, theme: str) -> None:
        """A theme chosen in the palette is the writer's preference: keep it for next time."""
        if self._theme_loaded and theme != self.engine.config.theme:
            try:
                self.engine.save_preference("theme", theme)
            except WriteItError as exc:
                self.notify(f"Theme not saved: {exc}", severity="warning", markup=False)

    # -- navigation --------------------------------------------------------------------------

    @on(OpenRun)
    def _open_run(self, message: OpenRun) -> None:
        """Show `message.run_id`: in place of the run screen or new-run form on top (a branch,
        a tree pick, a run just started), else above the home screen. A run that cannot be
        read (damaged, see `writeit doctor`) is a notice, and the list stays usable."""
        try:
            screen = RunScreen(
                message.run_id, stream=message.stream, step=message.step, section=message.section
            )
        except WriteItError as exc:
            self.notify(str(exc), severity="error", markup=False, timeout=10)
            return
        if isinstance(self.screen, RunScreen | NewRunScreen):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)
        if message.why:
            self.notify(message.why, title="New branch", markup=False, timeout=8)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    async def action_quit(self) -> None:
        """Quit, but ask first while models are still streaming (their text so far is kept)."""
        if not self.streaming_runs:
            self.exit()
            return
        if isinstance(self.screen, ConfirmDialog):
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(
            ConfirmDialog(
                "Quit while responses are streaming?",
                "Their text so far is kept; they end as interrupted and can be regenerated.",
            ),
            answered,
        )

    # -- engine ------------------------------------------------------------------------------

    def stream_step(self, run_id: str, step: str, section: int | None = None) -> None:
        """Stream one step (or one `section` of a section step) in a worker of the app's
        `engine` group, so `workers.cancel_group` stops it.

        The worker starts from the app's own message loop, not from the calling screen's: a
        task keeps the context it was created in, and through Textual's `active_message_pump`
        a screen's context holds the screen. So would the engine's tasks under the worker, and
        every timer they set (asyncio keeps a cancelled timer, context and all, until its
        deadline; the SDKs' timeouts run to minutes). Started here, a run screen the writer
        leaves is freed at once while its run streams on."""
        self.streaming_runs.add(run_id)
        self.call_next(self._stream, run_id, step, section)

    @work(group="engine", exit_on_error=False)
    async def _stream(self, run_id: str, step: str, section: int | None) -> None:
        self._collector.started()
        try:
            if not await approve_step(self, run_id, step, section):  # estimate; budget's ask
                return
            if section is None:
                await self.engine.run_step(run_id, step)
            else:
                await self.engine.run_section(run_id, step, section)
        except WriteItError as exc:
            self.notify(f"{step}: {exc}", severity="error", markup=False)
        finally:
            self._collector.ended()
            self.streaming_runs.discard(run_id)
            self.stream_ended.publish(run_id)

    def _engine_event(self, event: Event) -> None:
        if isinstance(event, StepStarted):
            self.hub.start([r.response_id for r in event.responses])
        self.run_events.publish(event)
        if isinstance(event, ResponseFinished):
            self.hub.drop(event.response_id)

    def _engine_notice(self, run_id: str, response_id: str, message: str) -> None:
        """A stream's notice (waiting, retrying) names its model, unless blind mode hides it:
        the run's screen says whether it does, else the config's default."""
        screens = [s for s in self.screen_stack if isinstance(s, RunScreen) and s.run_id == run_id]
        blind = screens[-1].deck.blind if screens else self.engine.config.blind
        found = self.engine.load(run_id).response(response_id) if blind else None
        if found is not None:
            message = unnamed(message, found.provider, found.model)
        self.notify(message, title=f"run {short_id(run_id)}", severity="warning", markup=False)


def create_app(home: Path, engine: Engine | None = None, start: Start | None = None) -> WriteItApp:
    """The app over `engine` (or a new engine on `home`; the caller closes it after `run`)."""
    return WriteItApp(engine if engine is not None else Engine.open(home), start)
