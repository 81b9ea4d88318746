"""Streaming pieces on their own: where blocks end, and the pane's flush hook for benchmarks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from writeit.domain.models import AIResponse
from writeit.domain.status import ResponseStatus
from writeit.storage.store import utcnow
from writeit.tui.live import StreamBuffer
from writeit.tui.widgets.markdown_view import MarkdownView, Tail, committable
from writeit.tui.widgets.response_pane import ResponsePane

from .conftest import OpenApp
from .helpers import wait_until


def test_blocks_end_at_blank_lines_outside_code_fences() -> None:
    assert committable("para one\n\npara two", False) == (len("para one\n\n"), False)
    assert committable("no blank line yet\nstill going", False) == (0, False)
    fenced = "```python\nx = 1\n\ny = 2\n"
    assert committable(fenced, False)[0] == 0  # the blank line is inside the fence
    closed = fenced + "```\n\nafter"
    assert committable(closed, False) == (len(fenced + "```\n\n"), False)
    assert committable("y = 2\n```\n\nnext", True) == (len("y = 2\n```\n\n"), False)


BLOCK = (  # one block (no blank line): a heading, list items, a wrapped sentence, code
    "## Why panes stream\n"
    "1. **Memory-mapped reads** — why LMDB reads cost almost nothing at all.\n"
    "2. One writer, many readers: the `concurrency` model, explained slowly.\n"
    "- a bullet with a verylongwordthatmustbefoldedacrossrowsbecauseitcannotbreak end\n"
    "```python\ndef flush(self) -> None:\n    pass\n```\n"
    "and a last line still being written"
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=120), st.sampled_from([9, 24, 46]))
def test_a_tail_streamed_in_any_pieces_draws_as_if_it_came_at_once(
    pieces: list[int], width: int
) -> None:
    whole = Tail()
    whole.reset(BLOCK, width, fence=False)
    streamed, at = Tail(), 0
    streamed.reset("", width, fence=False)
    for size in pieces * (len(BLOCK) // sum(pieces) + 1):
        first = len(streamed.rows)
        before = [row.text for row in streamed.rows]
        changed = streamed.add(BLOCK[at : at + size], width)
        assert changed <= first and before[:changed] == [r.text for r in streamed.rows][:changed]
        at += size
        if at >= len(BLOCK):
            break
    assert [row.text for row in streamed.rows] == [row.text for row in whole.rows]


def test_a_finished_line_of_the_tail_is_markdown_and_code_stays_plain() -> None:
    tail = Tail()
    tail.reset("- **bold** item\n```python\nx = 1\n", 40, fence=False)
    shown = [row.text.rstrip() for row in tail.rows]
    assert shown[0] == " • bold item"  # a finished list item, drawn as Markdown
    assert shown[1:] == ["```python", "x = 1"]  # an unfinished code block: plain, as sent
    tail.add("still **typing", 40)
    assert tail.rows[-1].text.rstrip() == "still **typing"  # the open line: plain


async def test_pane_flushes_what_arrived_and_tells_the_hook(
    open_app: OpenApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(
        ResponsePane, "flush_hook", lambda pane, got, shown: calls.append((got, shown))
    )
    response = AIResponse(
        response_id="r1", provider="offline", model="writer", prompt_used="", created_at=utcnow()
    )
    buffer = StreamBuffer()
    async with open_app() as (app, pilot):
        pane = ResponsePane(0, response, buffer, picked=False)
        await app.screen.mount(pane)
        text = "# Title\n\nFirst paragraph, complete.\n\n- item one\n- item tw"
        for token in text.split(" "):
            buffer.feed(token + " ")
        pane.flush()
        assert pane.displayed_chars == buffer.received_chars
        assert calls == [(buffer.received_chars, buffer.received_chars)]
        assert pane.view.source == text + " "
        pane.flush()  # nothing new: the hook is not called
        assert len(calls) == 1
        await wait_until(pilot, lambda: pane.view.virtual_size.height > 0)
        finished = response.model_copy(
            update={"status": ResponseStatus.COMPLETED, "content": "Done."}
        )
        pane.finish(finished)
        assert not pane.live and pane.view.source == "Done."


async def test_a_streaming_pane_never_scrolls_text_that_still_fits(open_app: OpenApp) -> None:
    async with open_app() as (app, pilot):
        view = MarkdownView("", live=True)
        view.styles.height = 12
        await app.screen.mount(view)
        await wait_until(pilot, lambda: view.scrollable_content_region.height > 0)
        for i in range(5):  # five short paragraphs: nine rows, fewer than the pane holds
            view.feed(f"Line {i} of a short answer.\n\n")
            await pilot.pause()
            assert view.scroll_y == 0, f"scrolled to {view.scroll_y} after line {i}"
        for i in range(30):  # past the bottom: now it follows the stream
            view.feed(f"More text, line {i}.\n\n")
        await wait_until(pilot, lambda: view.scroll_y > 0, what="the pane to follow the stream")
