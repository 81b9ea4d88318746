"""One response in its own pane: a header with its numbers, and its text streaming live.

Why it renders the way it does (DESIGN.md, Performance facts): re-rendering a growing Markdown
block per token does not keep up, so a pane splits its text in two. Complete lines go to a
`Markdown` widget in one `append` at a time (only the last block is ever re-parsed, and it is
complete); the line still being written is shown as plain `Text` in a `Static`, which is cheap to
redraw every frame. Text moves from the tail to the Markdown in the same frame, so nothing
flickers. The screen calls `flush()` on a frame timer (~30 fps), never per token.

Benchmark hook: every `flush()` that shows new text appends a `Flush(at, received_chars,
displayed_chars)` to `ResponsePane.flushes` (`at` is `time.perf_counter()`). `received_chars` is
what the buffer held at that moment and `displayed_chars` how much of it the pane's widgets now
show; the terminal shows it at the next screen refresh. Lag for a character received at `t` is
the `at` of the first flush whose `displayed_chars` covers it, minus `t`.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Markdown, Static

from writeit.domain.models import AIResponse
from writeit.domain.redact import strip_control
from writeit.domain.status import ResponseStatus
from writeit.tui.live import StreamBuffer
from writeit.tui.text import cost, plain, seconds

LONG_LINE = 4000  # a tail longer than this is committed at a space, so redraws stay cheap
STATUS_LOOK = {
    ResponseStatus.STREAMING: ("●", "bold cyan"),
    ResponseStatus.COMPLETED: ("✓", "bold green"),
    ResponseStatus.FAILED: ("✗", "bold red"),
    ResponseStatus.CANCELLED: ("■", "bold yellow"),
    ResponseStatus.INTERRUPTED: ("⚠", "bold yellow"),
}


@dataclass(frozen=True)
class Flush:
    """When a pane last handed text to its widgets, and how much (see the module docstring)."""

    at: float
    received_chars: int
    displayed_chars: int


def split_committable(text: str) -> int:
    """How much of `text` is complete lines (or, for a very long line, up to a space)."""
    cut = text.rfind("\n") + 1
    if cut == 0 and len(text) > LONG_LINE:
        cut = text.rfind(" ") + 1
    return cut


class ResponsePane(Vertical):
    """A response's header (model, status, tokens, speed, cost) above its scrolling text."""

    def __init__(
        self, index: int, response: AIResponse, buffer: StreamBuffer | None, *, picked: bool
    ) -> None:
        super().__init__(classes="response-pane")
        self.index = index
        self.response = response
        self.buffer = buffer if response.status is ResponseStatus.STREAMING else None
        self.picked = picked
        self.flushes: deque[Flush] = deque(maxlen=50_000)
        self._cursor = 0
        self._uncommitted = ""
        self._inflight = 0
        self._final: AIResponse | None = None
        initial = response.content
        if self.buffer is not None:
            initial, self._cursor = self.buffer.since(0)
        cut = split_committable(initial) if self.buffer is not None else len(initial)
        self._initial, self._uncommitted = initial[:cut], initial[cut:]
        self._displayed = len(initial)

    def compose(self) -> ComposeResult:
        yield Static(self.header_text(), classes="pane-header")
        with VerticalScroll(classes="pane-body") as body:
            body.can_focus = True
            yield Markdown(strip_control(self._initial), open_links=False)
            yield Static(plain(self._uncommitted), classes="pane-tail")
            yield Static(self.note_text(), classes="pane-note")

    @property
    def body(self) -> VerticalScroll:
        return self.query_one(".pane-body", VerticalScroll)

    @property
    def live(self) -> bool:
        return self.buffer is not None

    @property
    def displayed_chars(self) -> int:
        return self._displayed

    # -- streaming ---------------------------------------------------------------------------

    def flush(self) -> None:
        """Show what arrived since the last frame (called by the screen's frame timer)."""
        if self.buffer is None:
            return
        new, self._cursor = self.buffer.since(self._cursor)
        if not new:
            return
        body = self.body
        follow = body.scroll_y >= body.max_scroll_y - 1
        self._uncommitted += new
        self._displayed += len(new)
        self._commit_lines()
        self.query_one(".pane-tail", Static).update(plain(self._uncommitted))
        if self._displayed == len(new):
            self.query_one(".pane-note", Static).update(self.note_text())
        self.flushes.append(Flush(time.perf_counter(), self.buffer.received_chars, self._displayed))
        if follow:
            body.scroll_end(animate=False)

    def _commit_lines(self) -> None:
        if self._inflight or self._final is not None:
            return
        cut = split_committable(self._uncommitted)
        if cut:
            self._inflight = cut
            self.run_worker(self._commit(self._uncommitted[:cut]), group="markdown")

    async def _commit(self, chunk: str) -> None:
        await self.query_one(Markdown).append(strip_control(chunk))
        self._uncommitted = self._uncommitted[len(chunk) :]
        self._inflight = 0
        if self._final is not None:
            await self._finalize()
        else:
            self.query_one(".pane-tail", Static).update(plain(self._uncommitted))
            self._commit_lines()

    def finish(self, response: AIResponse) -> None:
        """The stream ended: show the stored text (the safety net) and the final numbers."""
        self.flush()
        self.buffer = None
        self._final = response
        self.response = response
        self.refresh_header()
        if not self._inflight:
            self.run_worker(self._finalize(), group="markdown")

    async def _finalize(self) -> None:
        final = self._final
        if final is None:
            return
        self._final = None
        md = self.query_one(Markdown)
        rest = strip_control(self._uncommitted)
        wanted = strip_control(final.content)
        if (md.source + rest).strip() == wanted.strip():
            if rest:
                await md.append(rest)
        else:
            await md.update(wanted)
        self._uncommitted = ""
        self._displayed = len(final.content)
        self.query_one(".pane-tail", Static).update("")
        self.query_one(".pane-note", Static).update(self.note_text())

    # -- header ------------------------------------------------------------------------------

    def set_picked(self, picked: bool) -> None:
        self.picked = picked
        self.refresh_header()

    def refresh_header(self) -> None:
        self.query_one(".pane-header", Static).update(self.header_text())

    def header_text(self) -> Text:
        r = self.response
        glyph, style = STATUS_LOOK[r.status]
        title = Text.assemble(
            (f" {self.index + 1} ", "reverse bold"), " ", plain(r.model_ref, "bold")
        )
        if self.picked:
            title.append("  ★ picked", style="bold magenta")
        stats = Text.assemble((f"{glyph} {r.status.value}", style))
        for part in self._stats():
            stats.append(" · ", style="dim")
            stats.append(part)
        return Text.assemble(title, "\n", stats)

    def _stats(self) -> list[str]:
        r, buf = self.response, self.buffer
        if buf is not None:
            rate = buf.rate()
            parts = [f"{buf.tokens} tok"]
            if rate is not None:
                parts.append(f"{rate:.0f} tok/s")
            if buf.ttft is not None:
                parts.append(f"ttft {seconds(buf.ttft)}")
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
        parts.append(cost(r.usage.cost_usd))
        return parts

    def note_text(self) -> Text:
        """Why a response has no (or partial) text, and what the writer can do about it."""
        r = self.response
        if r.status is ResponseStatus.STREAMING and not self._displayed:
            return Text("waiting for the first token…", style="dim italic")
        if r.status in (
            ResponseStatus.FAILED,
            ResponseStatus.INTERRUPTED,
            ResponseStatus.CANCELLED,
        ):
            message = r.error or r.status.value
            return Text.assemble(plain(message, "italic"), ("  r regenerates", "dim"))
        return Text("")
