"""The naive renderer the run screen is compared with: `Markdown.update(full_text)` per token.

Four `Markdown` widgets side by side, fed from the same engine path as the real screen
(`Engine.on_delta`); every token appends to the pane's text and re-renders the whole document.
This is the obvious first implementation, and DESIGN.md measured it at about 100 tok/s.
`displayed_chars` counts the characters of the last update that has finished (parsed, mounted),
so the benchmark's paint hook sees what is really on screen.
"""

from __future__ import annotations

import asyncio

from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Markdown


class NaivePane(Markdown):
    """A Markdown widget re-rendered in full for every token."""

    def __init__(self, model: str) -> None:
        super().__init__("")
        self.model = model
        self.text = ""
        self.displayed_chars = 0
        self._pending: set[asyncio.Future[None]] = set()

    def feed(self, chunk: str) -> None:
        self.text += chunk
        future = asyncio.ensure_future(self._shown(self.update(self.text), len(self.text)))
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    async def _shown(self, update: object, chars: int) -> None:
        await update  # type: ignore[misc]
        self.displayed_chars = max(self.displayed_chars, chars)


class NaiveApp(App[None]):
    """Four naive panes; `bind(engine, run_id)` routes each response's tokens to its pane."""

    CSS = "NaivePane { width: 1fr; height: 1fr; overflow-y: auto; border: round $accent; }"

    def __init__(self, models: list[str]) -> None:
        super().__init__()
        self.models = models
        self.by_response: dict[str, NaivePane] = {}

    def compose(self) -> ComposeResult:
        with Horizontal():
            for model in self.models:
                yield NaivePane(model)

    @property
    def panes(self) -> list[NaivePane]:
        return list(self.query(NaivePane))

    def route(self, response_models: dict[str, str]) -> None:
        """response_id -> model, once the step has started."""
        by_model = {p.model: p for p in self.panes}
        self.by_response = {rid: by_model[m] for rid, m in response_models.items()}

    def on_delta(self, run_id: str, response_id: str, text: str) -> None:
        pane = self.by_response.get(response_id)
        if pane is not None:
            pane.feed(text)
