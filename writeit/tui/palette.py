"""ctrl+p: every action the current screen offers right now, as a searchable command."""

from __future__ import annotations

from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode


class ScreenActions(Provider):
    """Commands from the calling screen's active bindings (the ones the footer would show)."""

    def _commands(self) -> list[tuple[str, str, DOMNode, Binding]]:
        out = []
        seen: set[str] = set()
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not active.enabled or not binding.description or binding.action in seen:
                continue
            if binding.action == "command_palette":
                continue
            seen.add(binding.action)
            title = binding.tooltip or binding.description
            shown = binding.key_display or self.app.get_key_display(binding) or key
            out.append((title, shown, active.node, binding))
        return out

    async def discover(self) -> Hits:
        for title, key, node, binding in self._commands():
            yield DiscoveryHit(title, partial(self._run, node, binding), help=f"key: {key}")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, key, node, binding in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self._run, node, binding),
                    help=f"key: {key}",
                )

    async def _run(self, node: DOMNode, binding: Binding) -> None:
        await self.app.run_action(binding.action, node)
