"""Textual's own streaming Markdown, the baseline the run screen's custom view must beat.

Four `textual.widgets.Markdown` panes side by side, each fed through `Markdown.get_stream`
(Textual's `MarkdownStream`, which batches fragments that arrive while an update is still
being applied), from the same engine path as the real screen (`Engine.subscribe(on_delta=...)`).
Each pane writes its tokens to its stream from one task, as Textual's documentation shows.
`displayed_chars` counts the characters of the last append that has finished (parsed, mounted),
so the benchmark's paint hook sees what is really on screen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Markdown


class StreamPane(Markdown):
    """A Markdown widget fed through its `MarkdownStream`."""

    def __init__(self, model: str) -> None:
        super().__init__("")
        self.model = model
        self.displayed_chars = 0
        self._appended = 0
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None

    def on_mount(self) -> None:
        self.anchor()  # follow the newest line, as the documented example does
        self._writer = asyncio.create_task(self._write())

    def on_unmount(self) -> None:
        if self._writer is not None:
            self._writer.cancel()

    def feed(self, chunk: str) -> None:
        self._queue.put_nowait(chunk)

    async def _write(self) -> None:
        stream = Markdown.get_stream(self)
        try:
            while True:
                await stream.write(await self._queue.get())
        finally:
            await stream.stop()

    def append(self, markdown: str) -> Any:
        """Textual's append, noting how many characters are shown once it has finished."""
        self._appended += len(markdown)
        chars = self._appended
        applied: Awaitable[Any] = super().append(markdown)

        async def shown() -> None:
            await applied
            self.displayed_chars = max(self.displayed_chars, chars)

        return shown()


class StreamApp(App[None]):
    """Four panes; `route` maps each response to its pane once the step has started."""

    CSS = "StreamPane { width: 1fr; height: 1fr; overflow-y: auto; border: round $accent; }"

    def __init__(self, models: list[str]) -> None:
        super().__init__()
        self.models = models
        self.by_response: dict[str, StreamPane] = {}

    def compose(self) -> ComposeResult:
        with Horizontal():
            for model in self.models:
                yield StreamPane(model)

    @property
    def panes(self) -> list[StreamPane]:
        return list(self.query(StreamPane))

    def route(self, response_models: dict[str, str]) -> None:
        by_model = {p.model: p for p in self.panes}
        self.by_response = {rid: by_model[m] for rid, m in response_models.items()}

    def on_delta(self, run_id: str, response_id: str, text: str) -> None:
        pane = self.by_response.get(response_id)
        if pane is not None:
            pane.feed(text)
