"""The bottom line of keys: what Textual's `Footer` shows, drawn as one line of text.

Textual's `Footer` recomposes a widget per key whenever the bindings change, and on the run
screen they change with almost every key (the rulebook enables and disables actions as the writer
moves between steps and panes): measured at 120x36, that recomposition was most of the ~130 ms
of CPU a `left`/`right` cost. One `Static` updated only when its text changes costs a repaint
of one line. Keys the rulebook refuses right now are dimmed, as the Footer dims disabled ones.
"""

from __future__ import annotations

from itertools import groupby

from rich.text import Text
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static


def key_line(screen: Screen[object]) -> Text:
    """`1-2 Pick  e Edit  f Feedback …` from the screen's active bindings (keymap applied)."""
    by_action: dict[str, tuple[Binding, bool]] = {}
    for _, binding, enabled, _ in screen.active_bindings.values():
        if binding.show and binding.action not in by_action:
            by_action[binding.action] = (binding, enabled)
    line = Text(no_wrap=True, overflow="ellipsis")
    for group, members in groupby(by_action.values(), lambda item: item[0].group):
        items = list(members)
        if group is not None and len(items) > 1:
            keys = [_key(screen, b) for b, enabled in items if enabled]
            shown = f"{keys[0]}-{keys[-1]}" if len(keys) > 2 else " ".join(keys)
            _append(line, shown, group.description, bool(keys))
            continue
        for binding, enabled in items:
            _append(line, _key(screen, binding), binding.description, enabled)
    return line


def _key(screen: Screen[object], binding: Binding) -> str:
    return binding.key_display or screen.app.get_key_display(binding)


def _append(line: Text, key: str, label: str, enabled: bool) -> None:
    if line:
        line.append("  ")
    line.append(key or "·", style="bold" if enabled else "dim")
    line.append(f" {label}", style="" if enabled else "dim")


class KeyBar(Static):
    """One line at the bottom of a screen, redrawn only when the keys it shows change."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        padding: 0 1;
        background: $footer-background;
        color: $footer-foreground;
    }
    """

    def __init__(self) -> None:
        super().__init__(markup=False)
        self._shown = Text()

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self._bindings_changed, self.screen)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if screen is not self.screen or not self.is_attached:
            return
        line = key_line(screen)
        if line != self._shown:
            self._shown = line
            self.update(line, layout=False)  # one line high whatever it says
