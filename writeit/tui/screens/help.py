"""`?`: the keys of the screen the writer is on, read from its active bindings so it never lies.

The keys come from the bindings as they are now (a `keymap` in config.yaml shows the keys that
really work), and a key the rulebook refuses at the moment says why, as its footer entry is dim.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


def key_rows(screen: Screen[object]) -> list[tuple[str, str, str | None]]:
    """(keys, what they do, why not now) for every described binding active on `screen`."""
    rows: dict[str, tuple[list[str], str | None]] = {}
    why_not = getattr(screen, "why_not", None)
    # The screen's own keys first, then the focused widget's (scrolling) and the app's.
    ordered = sorted(screen.active_bindings.items(), key=lambda item: item[1].node is not screen)
    for key, active in ordered:
        binding = active.binding
        if not binding.description or binding.action == "command_palette":
            continue
        label = binding.tooltip or binding.description
        shown = binding.key_display or screen.app.get_key_display(binding) or key
        keys, reason = rows.setdefault(label, ([], None))
        if shown not in keys:
            keys.append(shown)
        if not active.enabled and callable(why_not):
            rows[label] = (keys, reason or why_not(binding.action))
    return [(_join(keys), label, reason) for label, (keys, reason) in rows.items()]


def _join(keys: list[str]) -> str:
    return f"{keys[0]}-{keys[-1]}" if len(keys) > 2 else " ".join(keys)


class HelpScreen(ModalScreen[None]):
    """A modal listing keys; any of escape, q or ? closes it."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", show=False, id="help_close"),
    ]

    def __init__(self, about: Screen[object]) -> None:
        super().__init__(classes="dialog-screen")
        self.about = about

    def compose(self) -> ComposeResult:
        rows = key_rows(self.about)
        width = max((len(keys) for keys, _, _ in rows), default=0) + 2
        table = Text()
        for keys, label, reason in rows:
            table.append(keys.ljust(width), style="dim" if reason else "bold cyan")
            table.append(label, style="dim" if reason else "")
            if reason:
                table.append(f"  (not now: {reason})", style="dim italic")
            table.append("\n")
        intro = getattr(self.about, "HELP", "")
        with VerticalScroll(classes="dialog dialog-wide help"):
            yield Static(Text(f"Keys: {self.about.title or 'WriteIt'}", style="bold"))
            if intro:
                yield Static(Text(intro), classes="help-intro")
            yield Static(table)
            yield Static(
                Text("ctrl+p: every action here as a command, and themes. esc closes.", style="dim")
            )

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
