"""A Markdown view whose cost per frame does not grow with the text (Textual's Line API).

Why not Textual's `Markdown` widget: it makes one widget per block, and every layout pass walks
all of them, so a pane with a long response (or four) slows every frame down; appending also
re-renders the growing last block. Here Markdown is rendered with Rich into lines once per
*finished* block (text up to a blank line outside a code fence) and kept as strips; only the
block still being written (the tail) is re-rendered when text arrives, and only the lines in
view are drawn. A resize re-renders everything once at the new width.
"""

from __future__ import annotations

import io

from markdown_it import MarkdownIt
from rich.console import Console
from rich.markdown import Heading, Markdown
from rich.style import Style
from rich.text import Text
from rich.theme import Theme
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from writeit.domain.redact import strip_control

PLAIN_TAIL = 3000  # a tail longer than this (no blank line yet) is drawn as plain text
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


def render_plain(text: str, width: int) -> list[Strip]:
    if not text or width <= 0:
        return []
    options = CONSOLE.options.update(width=width, highlight=False)
    return [Strip(line) for line in CONSOLE.render_lines(Text(text), options, pad=False)]


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

    def __init__(self, text: str = "", *, live: bool, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self._committed = ""
        self._tail = ""
        self._in_fence = False
        self._lines: list[Strip] = []
        self._tail_lines: list[Strip] = []
        self._width = 0
        self._live = live
        self._style: Style | None = None
        self._cache: dict[int, Strip] = {}
        text = strip_control(text)
        cut, self._in_fence = committable(text, False) if live else (len(text), False)
        self._committed, self._tail = text[:cut], text[cut:]

    @property
    def source(self) -> str:
        """The Markdown shown so far (control sequences removed)."""
        return self._committed + self._tail

    def feed(self, text: str) -> None:
        """Add streamed text: finished blocks are rendered once, the rest on every call."""
        first_changed = len(self._lines)
        old_total = first_changed + len(self._tail_lines)
        tail = self._tail + strip_control(text)
        cut, self._in_fence = committable(tail, self._in_fence)
        if cut:
            block, tail = tail[:cut], tail[cut:]
            if self._width:
                if self._lines:
                    self._lines.append(Strip.blank(0))
                self._lines.extend(render_markdown(block, self._width))
            self._committed += block
        self._tail = tail
        self._render_tail()
        total = len(self._lines) + len(self._tail_lines)
        if total > self.virtual_size.height:
            self._grow(total)
        else:
            self.refresh_lines(first_changed, max(total, old_total) - first_changed)

    def finish(self, text: str) -> None:
        """The final text: rendered whole once, which also mends any split a block suffered."""
        self._committed, self._tail, self._in_fence = strip_control(text), "", False
        self._live = False
        self._rerender()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style = None
        self._cache.clear()

    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if width and width != self._width:  # hidden (width 0): keep the lines for later
            self._width = width
            self._rerender()

    def _rerender(self) -> None:
        self._cache.clear()
        self._lines = render_markdown(self._committed, self._width)
        self._render_tail()
        self._update_size()

    def _render_tail(self) -> None:
        tail = self._tail
        if len(tail) > PLAIN_TAIL:
            self._tail_lines = render_plain(tail, self._width)
        else:
            self._tail_lines = render_markdown(tail, self._width)
        if self._tail_lines and self._lines:
            self._tail_lines.insert(0, Strip.blank(0))

    def _grow(self, total: int) -> None:
        """Make room for `total` lines; while live and taller than the pane, half a screen
        more, so that the screen scrolls (a full repaint) once per half screen of text rather
        than once per line. Text that still fits is never scrolled out of view."""
        height = self.scrollable_content_region.height
        follow = self._live and self.scroll_y >= self.max_scroll_y and total > height
        slack = max(1, height // 2) if follow else 0
        self.virtual_size = Size(self._width, total + slack)
        if follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)

    def _update_size(self) -> None:
        total = len(self._lines) + len(self._tail_lines)
        self._grow(total)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        if self._style is None:
            self._style = self.rich_style
        style, index = self._style, self.scroll_offset.y + y
        lines, tail = self._lines, self._tail_lines
        if index < len(lines):
            strip = self._cache.get(index)
            if strip is None:
                strip = self._cache[index] = self._fit(lines[index], style)
            return strip
        if index - len(lines) < len(tail):
            return self._fit(tail[index - len(lines)], style)
        return Strip.blank(self._width, style)

    def _fit(self, strip: Strip, style: Style) -> Strip:
        return strip.crop_extend(0, self._width, style).apply_style(style)
