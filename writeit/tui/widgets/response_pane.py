"""One response in its own pane: a header with its numbers, and its text streaming live.

The screen calls `flush()` on a frame timer (20 fps), never per token; the text goes to a
`MarkdownView`, whose cost per frame stays flat however long the response grows.

Benchmarks measure lag by installing `ResponsePane.flush_hook`: every `flush()` that shows new
text calls it with the pane, the characters the buffer held and the characters now displayed
(the terminal shows them at the next screen refresh). The app itself never sets it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from writeit.domain.compare import Segment, unnamed
from writeit.domain.models import AIResponse
from writeit.domain.status import ResponseStatus
from writeit.tui.live import StreamBuffer
from writeit.tui.text import cost, plain, seconds
from writeit.tui.widgets.diff_view import DiffView, diff_note
from writeit.tui.widgets.markdown_view import MarkdownView

STATUS_LOOK = {
    ResponseStatus.STREAMING: ("●", "bold cyan"),
    ResponseStatus.COMPLETED: ("✓", "bold green"),
    ResponseStatus.TRUNCATED: ("✂", "bold yellow"),
    ResponseStatus.FAILED: ("✗", "bold red"),
    ResponseStatus.CANCELLED: ("■", "bold yellow"),
    ResponseStatus.INTERRUPTED: ("⚠", "bold yellow"),
}


FlushHook = Callable[["ResponsePane", int, int], None]  # pane, received chars, displayed chars


class ResponsePane(Vertical):
    """A response's header (model, status, tokens, speed, cost) above its scrolling text."""

    flush_hook: ClassVar[FlushHook | None] = None

    def __init__(
        self,
        index: int,
        response: AIResponse,
        buffer: StreamBuffer | None,
        *,
        picked: bool,
        position: int | None = None,
        blind: bool = False,
    ) -> None:
        super().__init__(classes="response-pane")
        self.index = index  # in the step's (model) order, as the engine counts
        self.position = index if position is None else position  # on screen: its number key
        self.blind = blind  # the model's name is hidden (blind mode, until the step is picked)
        self.response = response
        self.buffer = buffer if response.status is ResponseStatus.STREAMING else None
        self.picked = picked
        self.twins: list[int] = []  # numbers of the panes with the same words (flagged)
        self.diff: DiffView | None = None  # shown instead of `view` while diffing (`d`)
        self._diff_note: Text | None = None
        self._cursor = 0
        text = response.content
        if self.buffer is not None:
            text, self._cursor = self.buffer.since(0)
        self._displayed = len(text)
        self._header = Static(self.header_text(), classes="pane-header")
        self._header_rows = -1  # rows the header's text wraps to (a change needs a layout)
        self._note = Static(classes="pane-note")
        self._show_note()
        self.show_reasoning = False
        self._reasoning_shown = 0
        self._reasoning = Static(classes="pane-reasoning", markup=False)
        self._show_reasoning()
        self.view = MarkdownView(text, live=self.buffer is not None, classes="pane-body")

    def compose(self) -> ComposeResult:
        yield self._header
        yield self._note
        yield self._reasoning
        yield self.view

    @property
    def live(self) -> bool:
        return self.buffer is not None

    @property
    def body(self) -> DiffView | MarkdownView:
        """The widget showing the text now (what `tab` focuses)."""
        return self.diff or self.view

    def set_twins(self, twins: list[int]) -> None:
        """Flag the panes (by number) whose text has the same words as this one."""
        if twins != self.twins:
            self.twins = twins
            self.refresh_header()

    async def show_diff(self, segments: list[Segment], similarity: float, other: int) -> None:
        """Show the text with the words pane `other` lacks lit, in place of the Markdown."""
        focused = self.body.has_focus
        if self.diff is not None:
            await self.diff.remove()
        self.diff = DiffView(segments)
        self._diff_note = diff_note(similarity, other)
        await self.mount(self.diff, after=self.view)
        self.view.display = False
        self.refresh_header()
        if focused:
            self.diff.focus()

    async def hide_diff(self) -> None:
        """Back to the rendered Markdown."""
        if self.diff is None:
            return
        focused, diff = self.diff.has_focus, self.diff
        self.diff = self._diff_note = None
        self.view.display = True
        if focused:
            self.view.focus()
        await diff.remove()
        self.refresh_header()

    @property
    def displayed_chars(self) -> int:
        return self._displayed

    def flush(self) -> None:
        """Show what arrived since the last frame (called by the screen's frame timer)."""
        if self.buffer is None or not self.is_attached:
            return
        if self.buffer.reasoning and self._reasoning_grew():
            self._show_reasoning()
        new, self._cursor = self.buffer.since(self._cursor)
        if not new:
            return
        first = not self._displayed
        self._displayed += len(new)
        self.view.feed(new)
        if first:
            self._show_note()
        if (hook := ResponsePane.flush_hook) is not None:
            hook(self, self.buffer.received_chars, self._displayed)

    def finish(self, response: AIResponse) -> None:
        """The stream ended: show the stored final text (the safety net) and final numbers."""
        self.flush()
        self.buffer = None
        self.response = response
        self._displayed = max(self._displayed, len(response.content))
        if self.is_attached:
            self.view.finish(response.content)
            self.refresh_header()
            self._show_note()
            self._show_reasoning()

    def _reasoning_grew(self) -> bool:
        """Redraw the reasoning line only when it grew (it is one line while collapsed)."""
        assert self.buffer is not None
        size = sum(map(len, self.buffer.reasoning))
        grew, self._reasoning_shown = size != self._reasoning_shown, size
        return grew

    def toggle_reasoning(self, shown: bool) -> None:
        self.show_reasoning = shown
        self._show_reasoning()

    def _show_reasoning(self) -> None:
        """Reasoning is kept apart from the answer: collapsed to one line unless asked for.
        The collapsed line keeps its height as its count grows, so it repaints without a
        layout."""
        text = self.buffer.reasoning_text if self.buffer is not None else self.response.reasoning
        was = self._reasoning.display and not self._reasoning.has_class("expanded")
        self._reasoning.display = bool(text)
        self._reasoning.set_class(self.show_reasoning, "expanded")
        if not text:
            return
        if self.show_reasoning:
            self._reasoning.update(Text.assemble(("▾ reasoning\n", "bold"), plain(text, "italic")))
        else:
            line = Text(f"▸ reasoning · {len(text):,} chars (v shows)", style="dim italic")
            line.no_wrap, line.overflow = True, "ellipsis"
            self._reasoning.update(line, layout=not was)

    def _show_note(self) -> None:
        note = self.note_text()
        self._note.update(note)
        self._note.display = bool(note.plain)

    def set_picked(self, picked: bool) -> None:
        self.picked = picked
        self.refresh_header()

    def set_blind(self, blind: bool) -> None:
        self.blind = blind
        self.refresh_header()
        self._show_note()  # an error may name the model

    def refresh_header(self) -> None:
        """The header updates a few times a second while streaming; it needs a screen layout
        only when its text wraps to another number of rows (its numbers grew a digit past
        the pane's width), never for new numbers in the same rows."""
        text = self.header_text()
        if not self.is_attached:  # built before mounting: no width to wrap to yet
            self._header.update(text)
            return
        width = self._header.content_region.width
        rows = len(text.wrap(self.app.console, width)) if width > 0 else -1
        self._header.update(text, layout=rows != self._header_rows)
        self._header_rows = rows

    def header_text(self) -> Text:
        r = self.response
        glyph, style = STATUS_LOOK[r.status]
        title = Text.assemble(
            (f" {self.position + 1} ", "reverse bold"),
            " ",
            plain("model hidden" if self.blind else r.model_ref, "bold"),
        )
        if self.picked:
            title.append("  ★ picked", style="bold magenta")
        if self.twins:
            title.append(f"  = identical to {', '.join(map(str, self.twins))}", "bold yellow")
        if self._diff_note is not None:
            title.append_text(self._diff_note)
        stats = Text.assemble((f"{glyph} {r.status.value}", style))
        for part in self._stats():
            stats.append(" · ", style="dim")
            stats.append(part)
        return Text.assemble(title, "\n", stats)

    def _stats(self) -> list[str]:
        r, buf = self.response, self.buffer
        if buf is not None and buf.first_token_at is None:
            return [f"waiting {seconds(time.monotonic() - buf.started_at)} for the first token"]
        if buf is not None:
            rate = buf.rate()
            parts = [f"{buf.tokens} tok"]
            if rate is not None:
                parts.append(f"{rate:.0f} tok/s")
            if buf.ttft is not None:
                parts.append(f"ttft {seconds(buf.ttft)}")
            spent = buf.cost() if buf.cost is not None else 0.0
            if spent != 0:  # live: tokens so far at its price (None: unknown, said as such)
                parts.append(cost(spent, estimated=True))
            return parts
        if r.status is ResponseStatus.STREAMING:
            return ["waiting"]
        parts = [f"{r.usage.output_tokens} tok"]
        if r.processing_time_s:
            parts.append(seconds(r.processing_time_s))
            speed = r.processing_time_s - (r.time_to_first_token_s or 0)
            if speed > 0 and r.usage.output_tokens:
                parts.append(f"{r.usage.output_tokens / speed:.0f} tok/s")
        if r.time_to_first_token_s is not None:
            parts.append(f"ttft {seconds(r.time_to_first_token_s)}")
        parts.append(cost(r.usage.cost_usd, r.usage.estimated))
        return parts

    def note_text(self) -> Text:
        """Why a response has no (or partial) text, and what the writer can do about it."""
        r = self.response
        if r.status is ResponseStatus.STREAMING and not self._displayed:
            return Text("waiting for the first token…", style="dim italic")
        if r.status is ResponseStatus.TRUNCATED:
            return Text.assemble(
                ("stopped at the token limit; it can still be picked", "italic"),
                ("  r regenerates (raise the step's max_tokens for more)", "dim"),
            )
        if r.status in (
            ResponseStatus.FAILED,
            ResponseStatus.INTERRUPTED,
            ResponseStatus.CANCELLED,
        ):
            why = r.error or r.status.value
            if self.blind:
                why = unnamed(why, r.provider, r.model)
            return Text.assemble(plain(why, "italic"), ("  r regenerates", "dim"))
        return Text("")
