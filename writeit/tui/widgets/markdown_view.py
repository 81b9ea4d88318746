"""A Markdown view whose cost per frame follows the new text, not the text so far (Line API).

Why not Textual's `Markdown` widget: it makes one widget per block, and every layout pass walks
all of them, so a pane with a long response (or four) slows every frame down; appending also
re-renders the growing last block. Here Markdown is rendered with Rich into lines once per
*finished* block (text up to a blank line outside a code fence) and kept as strips. The block
still being written (the tail) is drawn a line at a time (`Tail`): each finished line as
Markdown once, the line being written as plain text. Rendering the tail as Markdown on every
frame cost 2-5 ms a pane on a slow core, most of what four streaming panes spent. The block is
drawn as Markdown when its blank line arrives, and `finish` draws the whole answer as Markdown
once, so the finished look is exactly the non-streamed one. Only
the lines in view are drawn, and only changed lines are refreshed. A resize re-renders
everything once at the new width.
"""

from __future__ import annotations

import io

from markdown_it import MarkdownIt
from rich.console import Console
from rich.markdown import Heading, Markdown
from rich.style import Style
from rich.text import Text
from rich.theme import Theme
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from writeit.domain.redact import strip_control

FENCES = ("```", "~~~")


class _LeftHeading(Heading):
    """Headings flush left, like the rest of a pane."""

    LEVEL_ALIGN = dict.fromkeys(Heading.LEVEL_ALIGN, "left")


class PaneMarkdown(Markdown):
    """Rich Markdown with left headings and link targets written out (never clickable).

    Rich builds a new parser per document; this reuses one (it is called every frame).
    """

    elements = {**Markdown.elements, "heading_open": _LeftHeading}

    def __init__(self, text: str) -> None:
        self.__dict__.update(_SETTINGS.__dict__)
        self.markup = text
        self.parsed = _PARSER.parse(text)


_SETTINGS = Markdown("", hyperlinks=False, code_theme="ansi_dark")
_PARSER = MarkdownIt().enable("strikethrough").enable("table")


THEME = Theme(
    {
        "markdown.h1": "bold underline",
        "markdown.h2": "bold cyan",
        "markdown.h3": "bold",
        "markdown.h4": "bold italic",
        "markdown.link": "underline",
        "markdown.link_url": "dim",
    }
)
# Renders to segments only (never prints); its own theme leaves the app's console alone.
CONSOLE = Console(file=io.StringIO(), theme=THEME, color_system="truecolor", width=80)


def render_markdown(text: str, width: int) -> list[Strip]:
    """`text` as Markdown, wrapped to `width` cells, one strip per line."""
    if not text.strip() or width <= 0:
        return []
    options = CONSOLE.options.update(width=width, highlight=False, markup=False)
    strips = [Strip(line) for line in CONSOLE.render_lines(PaneMarkdown(text), options, pad=False)]
    blank = [not s.text.strip() for s in strips]
    start = blank.index(False) if False in blank else len(strips)
    end = len(strips) - (blank[::-1].index(False) if False in blank else 0)
    return strips[start:end]  # blocks are joined by exactly one blank line


def wrap_line(text: str, width: int) -> tuple[list[Strip], int]:
    """One line of plain text (no newline) wrapped to `width`, and where its last row starts
    in `text` (0 when it cannot be told, e.g. after tab expansion)."""
    if not text:
        return [Strip.blank(0)], 0
    rows = Text(text).wrap(CONSOLE, width)
    last = rows[-1].plain
    start = len(text) - len(last) if last and text.endswith(last) else 0
    return [Strip(row.render(CONSOLE)) for row in rows], start


class Tail:
    """The block still being written: its finished lines as Markdown, one line at a time (a
    list item, a heading), and the line being written as plain text.

    With greedy wrapping, text added at the end of a line can only change the row it lands on
    (and add rows after it), so only that row is wrapped again: a frame costs what the new
    text costs, not what the block holds. Inside a code fence every line stays plain, so
    unfinished code is never highlighted. The whole block is drawn as Markdown once its blank
    line arrives (`MarkdownView.feed`).
    """

    def __init__(self) -> None:
        self.rows: list[Strip] = []
        self._fence = False  # inside a code fence after the finished lines
        self._line = ""  # the source of the line being written
        self._line_at = 0  # its first row
        self._fixed = 0  # rows that can no longer change
        self._open = ""  # the source of the rows after them
        self._waiting = ""  # text that came before the view had a width

    def reset(self, text: str, width: int, *, fence: bool) -> None:
        self.rows, self._fence, self._waiting = [], fence, ""
        self._line, self._line_at, self._fixed, self._open = "", 0, 0, ""
        self.add(text, width)

    def add(self, text: str, width: int) -> int:
        """Append `text`; returns the index of the first row that changed. Without a width
        yet (a hidden pane) the text waits for the first one."""
        if width <= 0:
            self._waiting += text
            return len(self.rows)
        text, self._waiting = self._waiting + text, ""
        if "\n" not in text:
            first = self._fixed
            self._extend_line(text, width)
            return first
        first = self._line_at
        del self.rows[self._line_at :]
        *done, last = (self._line + text).split("\n")
        for line in done:
            self.rows.extend(self._finished(line, width))
        self._line, self._line_at, self._fixed, self._open = "", len(self.rows), len(self.rows), ""
        self._extend_line(last, width)
        return first

    def _extend_line(self, text: str, width: int) -> None:
        self._line += text
        del self.rows[self._fixed :]
        if not self._open + text:
            return
        rows, start = wrap_line(self._open + text, width)
        if start:
            self._fixed += len(rows) - 1
        self._open = (self._open + text)[start:]
        self.rows.extend(rows)

    def _finished(self, line: str, width: int) -> list[Strip]:
        stripped = line.strip()
        if stripped.startswith(FENCES):
            self._fence = not self._fence
            return wrap_line(line, width)[0]
        if self._fence or not stripped:
            return wrap_line(line, width)[0]
        return render_markdown(line, width) or wrap_line(line, width)[0]


def committable(text: str, in_fence: bool) -> tuple[int, bool]:
    """Where the finished blocks of `text` end (after its last blank line outside a code
    fence), and whether a fence is open there; `in_fence` is the state at the start."""
    cut, fence, pos = 0, in_fence, 0
    cut_fence = in_fence
    for line in text.splitlines(keepends=True):
        pos += len(line)
        if not line.endswith("\n"):
            break
        stripped = line.strip()
        if stripped.startswith(FENCES):
            fence = not fence
        elif not stripped and not fence:
            cut, cut_fence = pos, fence
    return cut, cut_fence


class MarkdownView(ScrollView, can_focus=True):
    """Scrollable Markdown fed a little at a time (`feed`), then replaced whole (`finish`)."""

    DEFAULT_CSS = """
    MarkdownView {
        height: 1fr;
        padding: 0 1;
        scrollbar-gutter: stable;
        overflow-x: hidden;
    }
    """

    class Sized(Message):
        """The view has its first width (panes of hidden steps can be drawn at it too)."""

    def __init__(self, text: str = "", *, live: bool, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self._committed = ""
        self._tail = ""
        self._in_fence = False
        self._lines: list[Strip] = []  # the finished blocks, as Markdown
        self._drawn_tail = Tail()  # the block still being written
        self._width = 0
        self._live = live
        self._style: Style | None = None
        self._cache: dict[int, Strip] = {}
        self._laid_out: tuple[Size, Size, Size, bool] | None = None  # see `_size_updated`
        text = strip_control(text)
        cut, self._in_fence = committable(text, False) if live else (len(text), False)
        self._committed, self._tail = text[:cut], text[cut:]

    @property
    def source(self) -> str:
        """The Markdown shown so far (control sequences removed)."""
        return self._committed + self._tail

    @property
    def _tail_at(self) -> int:
        """The row the tail starts at: after the blocks and the blank line between."""
        return len(self._lines) + 1 if self._lines else 0

    @property
    def _total(self) -> int:
        return (
            self._tail_at + len(self._drawn_tail.rows)
            if self._drawn_tail.rows
            else len(self._lines)
        )

    def feed(self, text: str) -> None:
        """Add streamed text: a block is drawn as Markdown once it is finished; until then only
        the tail's last row is wrapped again. Only rows that changed are refreshed."""
        text = strip_control(text)
        old_total = self._total
        cut = 0
        if "\n" in text:  # a block ends only at a blank line
            cut, self._in_fence = committable(self._tail + text, self._in_fence)
        if cut:
            tail = self._tail + text
            block, self._tail = tail[:cut], tail[cut:]
            first = len(self._lines)
            if self._width:
                if self._lines:
                    self._lines.append(Strip.blank(0))
                self._lines.extend(render_markdown(block, self._width))
            self._committed += block
            self._drawn_tail.reset(self._tail, self._width, fence=self._in_fence)
        else:
            self._tail += text
            first = self._tail_at + self._drawn_tail.add(text, self._width)
        total = self._total
        if total > self.virtual_size.height:
            self._grow(total)
        else:
            self.refresh_lines(first, max(total, old_total) - first)

    def refresh_lines(self, y_start: int, line_count: int = 1) -> None:
        """Repaint rows of the text only. `ScrollView`'s rows also cover the scrollbar beside
        the text, so every streamed row re-rendered the scrollbar and wrote it out again."""
        self.refresh(Region(0, y_start - self.scroll_offset.y, self._width, line_count))

    def finish(self, text: str) -> None:
        """The final text: drawn whole as Markdown, exactly as a stored answer is."""
        self._committed, self._tail, self._in_fence = strip_control(text), "", False
        self._live = False
        self._rerender()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style = None
        self._cache.clear()

    def on_mount(self) -> None:
        # Textual styles a scrollbar the first time focus moves within its pane, and setting
        # its rules then asks for a screen layout in the frame that answers `tab`; style it now.
        self.app.stylesheet.apply(self.vertical_scrollbar)

    @property
    def text_width(self) -> int:
        return self._width

    def prepare(self, width: int) -> None:
        """Draw at `width` while still hidden, so the first frame showing it only paints."""
        if width and not self._width:
            self._width = width
            self._rerender()

    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if width and width != self._width:  # hidden (width 0): keep the lines for later
            first = not self._width
            self._width = width
            self._rerender()
            if first:
                self.post_message(self.Sized())

    def _rerender(self) -> None:
        self._cache.clear()
        self._lines = render_markdown(self._committed, self._width)
        self._drawn_tail.reset(self._tail, self._width, fence=self._in_fence)
        self._grow(self._total)
        self.refresh()

    def _grow(self, total: int) -> None:
        """Room for `total` rows. The virtual size changes (a screen layout) only when the
        text outgrows it: never while the text fits the pane, and while live, half a screen at
        a time, so the screen scrolls (a full repaint) once per half screen of text rather
        than once per row. Text that still fits is never scrolled out of view."""
        height = self.scrollable_content_region.height
        if total <= height:
            size = Size(self._width, total if not self._live else max(total, height))
        else:
            slack = max(1, height // 2) if self._live else 0
            size = Size(self._width, total + slack)
        follow = self._live and total > height and self.scroll_y >= self.max_scroll_y
        if size != self.virtual_size:
            self._resize_virtual(size)
        if follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        """Update the scrollbar only when what it shows can have changed.

        Textual's `ScrollView` compares the size the layout offers with its own scrollable
        size, which differ whenever the text is longer than the view, so every screen layout
        refreshed the scrollbar of every such view: a third of the frame that shows another
        step (4 scrollbars of 18 rows). The bar depends on the view's size, its scrollable size
        (`_resize_virtual` keeps that current) and whether it is shown.
        """
        key = (size, container_size, self.virtual_size, self.show_vertical_scrollbar)
        if key == self._laid_out:
            return False
        changed = super()._size_updated(size, virtual_size, container_size, layout)
        self._laid_out = (size, container_size, self.virtual_size, self.show_vertical_scrollbar)
        return changed

    def _resize_virtual(self, size: Size) -> None:
        """Set the scrollable size without a screen layout when only the scrollbar changes.

        `virtual_size` is a layout reactive: setting it reflows the whole screen and repaints
        what moved, 2-4 times a second per streaming pane. A line-API view has no children to
        arrange, and `scrollbar-gutter: stable` keeps its width, so unless the scrollbar
        appears or goes (the compositor places it at layout), updating the scrollbar and
        repainting this view is all the change needs.
        """
        shown = self.show_vertical_scrollbar
        self.set_reactive(ScrollView.virtual_size, size)
        self._refresh_scrollbars()
        if self.show_vertical_scrollbar != shown or not self.is_mounted:
            self.refresh(layout=True)
            return
        self._scroll_update(size)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        if self._style is None:
            self._style = self.rich_style
        style, index = self._style, self.scroll_offset.y + y
        lines = self._lines
        if index < len(lines):
            strip = self._cache.get(index)
            if strip is None:
                strip = self._cache[index] = self._fit(lines[index], style)
            return strip
        rows, row = self._drawn_tail.rows, index - self._tail_at
        if 0 <= row < len(rows):
            return self._fit(rows[row], style)
        return Strip.blank(self._width, style)

    def _fit(self, strip: Strip, style: Style) -> Strip:
        return strip.crop_extend(0, self._width, style).apply_style(style)
