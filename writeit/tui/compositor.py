"""A compositor that repaints only the rows each dirty region covers, widget by widget.

Textual's compositor paints a partial update by rendering every widget that overlaps the box
around *all* dirty regions, over the widget's whole height. Four streaming panes in a 2x2 grid
dirty a row or two each per frame, so that box is nearly the whole screen and every frame
walked every line of every pane (cache lookups, filters, crops) to repaint eight rows. Here
each widget is rendered only over the rows of the dirty regions that touch it, and not at all
where the widgets in front already cover them; the chops, spans and output are Textual's own,
so what reaches the terminal is the same.

It overrides a private method of Textual's `Compositor` (pinned below 9 in pyproject.toml);
tests/tui/test_compositor.py replays streamed frames onto a virtual terminal and checks the
result equals a full repaint, so a Textual change that breaks the assumption fails there.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.strip import Strip


class RegionCompositor(Compositor):
    """`Compositor` whose partial updates render widgets over their dirty rows only."""

    _dirty: list[Region] | None = None  # the regions of the partial update being painted

    def render_partial_update(self) -> ChopsUpdate | None:
        self._dirty = list(self._dirty_regions)
        try:
            return super().render_partial_update()
        finally:
            self._dirty = None

    def _get_renders(
        self, crop: Region | None = None
    ) -> Iterable[tuple[Region, Region, list[Strip]]]:
        dirty = self._dirty
        if dirty is None or crop is None:  # a full update: Textual's own way
            yield from super()._get_renders(crop)
            return
        painted: list[Region] = []  # the bands of the widgets in front (visible_widgets order)
        for widget, (region, clip) in self.visible_widgets.items():
            if not dirty:
                return  # every dirty cell is painted by a widget in front
            visible = region.intersection(clip)
            changed = [r.intersection(visible) for r in dirty if r.overlaps(visible)]
            if not changed:
                continue
            for top, bottom in merged([(r.y, r.bottom) for r in changed]):
                band = Region(visible.x, top, visible.width, bottom - top)
                painted.append(band)
                # The band is passed as the clip, so Textual's chopper aligns its strips with it
                yield region, band, widget.render_lines(band.translate(-region.offset))
            # The chopper keeps the first strip it gets for a cell, so a dirty region wholly
            # painted now shows nothing of the widgets behind: the panes behind their text, the
            # grid behind the panes and the screen behind it all are not rendered at all. A
            # region still partly open (a pane's border beside its text) is kept for them.
            dirty = [r for r in dirty if not (r.overlaps(visible) and covered(r, painted))]


def merged(rows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Row spans `[top, bottom)` joined where they touch or overlap, top to bottom.

    A widget is rendered over each run of dirty rows, not from the first to the last: the
    rows between two panes' text (their borders and headers, unchanged) are left alone.
    """
    out: list[tuple[int, int]] = []
    for top, bottom in sorted(rows):
        if out and top <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], bottom))
        else:
            out.append((top, bottom))
    return out


def covered(band: Region, front: list[Region]) -> bool:
    """Whether every cell of `band` lies in one of the `front` regions.

    The chopper takes each cell from the front-most widget that has it, with no blending, so a
    widget covered here would be rendered and cut into strips only to be thrown away (the
    screen, the pane deck and the grid behind four panes: half the strips of a step change).
    """
    overlapping = [f for f in front if f.overlaps(band)]
    for y in band.line_range:
        spans = sorted((f.x, f.right) for f in overlapping if f.y <= y < f.bottom)
        reach = band.x
        for x1, x2 in spans:
            if x1 > reach:
                return False
            reach = max(reach, x2)
            if reach >= band.right:
                break
        if reach < band.right:
            return False
    return True
