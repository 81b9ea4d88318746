"""The items of an item step (`select: item`), across every pane, with a cursor.

A list step's responses each hold a numbered or bulleted list; the writer moves through all of
their items in screen order (`up`/`down`) and chooses one with `enter` or its number (item N of
the highlighted pane): only that item goes forward. A response without a list is one entry of
its own, item 1 of its pane, and choosing it picks the response whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from writeit.domain.outline import parse_items
from writeit.tui.widgets.response_pane import ResponsePane

WINDOW = 8  # items shown at once


@dataclass(frozen=True)
class Item:
    position: int  # the pane's number on screen (0-based)
    response: int  # the response's index in the step, as the engine counts
    index: int | None  # the item's index in that response's list; None: the whole response
    text: str


def items_of(panes: list[ResponsePane]) -> list[Item]:
    """Every item of every finished pane with text, in screen order (`panes` is); a pane
    without a list is one whole-response entry. No list anywhere: nothing to choose items from
    (the panes are picked by their numbers, as on any step)."""
    items: list[Item] = []
    for position, pane in enumerate(panes):
        if not pane.response.usable:
            continue
        listed = parse_items(pane.response.content)
        items += [Item(position, pane.index, k, text) for k, text in enumerate(listed)]
        if not listed:
            items.append(Item(position, pane.index, None, pane.response.content.strip()))
    return items if any(i.index is not None for i in items) else []


def first_line(text: str, width: int = 90) -> str:
    line = text.splitlines()[0] if text else ""
    line = line.replace("**", "")
    return line if len(line) <= width else line[: width - 1] + "…"


class ItemPicker(Static):
    """The items to choose from, the one under the cursor highlighted."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, classes="item-picker", markup=False)
        self.display = False

    def show_items(self, items: list[Item], cursor: int, keys: str) -> None:
        start = min(max(0, cursor - WINDOW // 2), max(0, len(items) - WINDOW))
        # One row per item: its first line cut to what is left beside "▸ pane 1 · 1. ".
        width = max(30, (self.size.width or self.app.size.width) - 18)
        text = Text.assemble((f"Choose one of {len(items)} items", "bold"), f"  {keys}")
        for i, item in enumerate(items[start : start + WINDOW], start):
            mark = "▸" if i == cursor else " "
            style = "reverse" if i == cursor else ""
            which = "1. whole response:" if item.index is None else f"{item.index + 1}."
            text.append(f"\n{mark} pane {item.position + 1} · {which} ", style=style)
            text.append(first_line(item.text, width), style=style)
        self.update(text)
        self.display = True
