"""What every WriteIt screen shares: typed access to the app's services, without importing the
app (the app imports the screens; screens see it only through this protocol)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar, cast

from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.signal import Signal

    from writeit.domain.events import Event
    from writeit.engine import Engine
    from writeit.tui.live import StreamHub

R = TypeVar("R")


class Services(Protocol):
    """The app as screens use it: the engine, live token buffers, and the engine's signals."""

    engine: Engine
    hub: StreamHub
    streaming_runs: set[str]
    session_id: str
    run_events: Signal[Event]
    stream_ended: Signal[str]
    clock: Signal[None]  # once a second

    def stream_step(self, run_id: str, step: str, section: int | None = None) -> None: ...


class WriteItScreen(Screen[R]):
    """A screen of the WriteIt app (`HELP` is shown at the top of `?`)."""

    HELP = ""
    # Textual repaints the whole screen when focus moves (`Reactive` repaints by default), which
    # costs a full frame per `tab` while panes stream. The widgets whose focus styles change
    # repaint themselves, so the screen need not (tests/tui/test_compositor.py checks the cells).
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    @property
    def wapp(self) -> Services:
        return cast("Services", self.app)

    @property
    def engine(self) -> Engine:
        return self.wapp.engine
