"""Garbage collection while responses stream: full collections scan only what is new.

A full (generation 2) collection scans every tracked object, and a running app holds hundreds of
thousands (widgets, styles, the rendered lines of every pane). CPython starts one whenever the
old generation grew by a quarter, and streaming keeps it growing: in the render bench's
keypress trial, nine full collections in 15 s took 20, 33, 45, 50, 57 and up to 92 ms, each a
frozen frame, and a key pressed then waited for it.

`gc.freeze()` moves every object alive now out of the collector's sight. Freezing when the
first stream starts, and again every `REFREEZE_S` while any streams, keeps full collections
down to the objects made since the last freeze. Garbage in cycles among frozen objects is kept
until the streams end; then everything is unfrozen and collected as usual.
"""

from __future__ import annotations

import gc
from typing import Any

from textual.app import App
from textual.timer import Timer

REFREEZE_S = 1.0


class StreamingCollector:
    """Counts the app's streams; freezes the heap while there is one (see the module doc)."""

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._streams = 0
        self._timer: Timer | None = None

    def started(self) -> None:
        self._streams += 1
        if self._streams == 1:
            gc.freeze()
            self._timer = self._app.set_interval(REFREEZE_S, self._refreeze)

    def _refreeze(self) -> None:
        gc.freeze()  # (Textual's timers take Python callables, not builtins)

    def ended(self) -> None:
        self._streams -= 1
        if not self._streams:
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
            gc.unfreeze()
