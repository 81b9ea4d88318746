"""`?`: the keys of the screen the writer is on, generated from its bindings so it never lies."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


def key_rows(screen: Screen[object]) -> list[tuple[str, str]]:
    """(keys, what they do) for every described binding of `screen`, then of the app."""
    keys: dict[str, list[str]] = {}
    seen: set[str] = set()
    for node in (screen, screen.app):
        for binding in Binding.make_bindings(node.BINDINGS):
            if not binding.description or binding.key in seen:
                continue
            seen.add(binding.key)
            label = binding.tooltip or binding.description
            shown = binding.key_display or screen.app.get_key_display(binding)
            keys.setdefault(label, []).append(shown)
    return [(_join(found), label) for label, found in keys.items()]


def _join(keys: list[str]) -> str:
    return f"{keys[0]}-{keys[-1]}" if len(keys) > 2 else " ".join(keys)


class HelpScreen(ModalScreen[None]):
    """A modal listing keys; any of escape, q or ? closes it."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", show=False),
    ]

    def __init__(self, about: Screen[object]) -> None:
        super().__init__(classes="dialog-screen")
        self.about = about

    def compose(self) -> ComposeResult:
        rows = key_rows(self.about)
        width = max((len(keys) for keys, _ in rows), default=0) + 2
        table = Text()
        for keys, label in rows:
            table.append(keys.ljust(width), style="bold cyan")
            table.append(f"{label}\n")
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
