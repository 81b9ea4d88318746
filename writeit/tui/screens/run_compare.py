"""The run screen's compare and rewrite keys: edit (`e`, `E` in $EDITOR), stitch (`m`),
differences (`d`, shown in the panes themselves) and blind mode (`n`). Composed into the run screen (`screen.compare`), not
mixed in, so the run screen stays about choosing and following runs.

Stitch and $EDITOR are edits to the rulebook (`rule_action`): they are offered exactly when `e`
is, and what they save goes forward through the engine's `edit`, so changing a past step
continues in a branch as any edit does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from writeit.domain.compare import Segment, display_order, word_diff
from writeit.domain.errors import WriteItError
from writeit.domain.provenance import ParagraphSource
from writeit.domain.rules import Action
from writeit.domain.status import StepStatus
from writeit.tui.editor import edit_in_app
from writeit.tui.screens.dialogs import TextDialog
from writeit.tui.screens.stitch import Stitched, StitchScreen
from writeit.tui.widgets.response_pane import ResponsePane

if TYPE_CHECKING:
    from writeit.tui.screens.run import RunScreen

EDITS = frozenset({"external_edit", "stitch"})  # key actions the rulebook answers as `edit`


def rule_action(action: str) -> str:
    """The rulebook's action behind a key's action name (stitch and $EDITOR are edits)."""
    return Action.EDIT.value if action in EDITS else action


def pane_label(pane: ResponsePane) -> str:
    """How a pane names its response on screen: `2 · offline:writer` (or the model hidden)."""
    return f"{pane.position + 1} · {'model hidden' if pane.blind else pane.response.model_ref}"


def lacks(pane: ResponsePane, other: ResponsePane) -> tuple[list[Segment], float, int]:
    """`pane`'s text cut where `other` lacks its words, how alike the two are, and `other`'s
    number. Diffed in screen order, so a pair shows one similarity whichever is focused
    (difflib's ratio depends on the order)."""
    first, second = sorted((pane, other), key=lambda p: p.position)
    diff = word_diff(first.response.content, second.response.content)
    return (diff.left if pane is first else diff.right), diff.similarity, other.position + 1


class Compare:
    """What `e`, `E`, `m`, `d` and `n` do on one run screen."""

    def __init__(self, screen: RunScreen) -> None:
        self.screen = screen

    def key_on_screen(self, action: str) -> str | None:
        """The screen's `key_for`, a pick's response index turned into its pane's place: the
        guidance line names the keys the writer sees above each pane."""
        s = self.screen
        name, _, raw = action.partition("(")
        if name == Action.PICK and raw.rstrip(")").isdigit():
            ids = s.structure.panes_step().response_ids
            index = int(raw.rstrip(")"))
            if index < len(ids):
                action = f"pick({display_order(ids).index(ids[index])})"
        return s.key_for(action)

    def _text_to_edit(self) -> tuple[str, list[str]] | None:
        """The step's text that went forward, else the focused (or first usable) response."""
        s = self.screen
        step = s.step_state
        if step.status is StepStatus.COMPLETED and step.content is not None:
            sources = [step.response_ids[step.selected]] if step.selected is not None else []
            return step.content, sources
        pane = s.focused_pane() or next((p for p in s.panes if p.response.usable), None)
        if pane is None:
            return None
        return pane.response.content, [pane.response.response_id]

    def _save(
        self,
        name: str,
        text: str,
        sources: list[str],
        provenance: list[ParagraphSource] | None = None,
    ) -> None:
        s = self.screen
        s._act(
            lambda: s.engine.edit(
                s.run_id, text, step=name, sources=sources, provenance=provenance
            ),
            f"{'Stitched' if provenance else 'Edited'} '{name}'",
        )

    def edit_in_dialog(self) -> None:
        found = self._text_to_edit()
        if found is None:
            return
        text, sources = found
        name = self.screen.viewed

        def done(result: str | None) -> None:
            if result is not None:
                self._save(name, result, sources)

        hint = "This text goes forward instead of a pick. ctrl+s saves and continues."
        self.screen.app.push_screen(TextDialog(f"Edit {name}", hint, text), done)

    def edit_in_editor(self) -> None:
        """The text in $VISUAL/$EDITOR; what is saved goes forward (empty or unchanged: nothing)."""
        found = self._text_to_edit()
        if found is None:
            return
        text, sources = found
        name = self.screen.viewed
        try:
            result = edit_in_app(self.screen.app, text)
        except WriteItError as exc:
            self.screen.notify(str(exc), severity="error", markup=False)
            return
        if result is None:
            self.screen.notify("The editor saved nothing new: nothing changed.")
            return
        self._save(name, result, sources)

    def stitch(self) -> None:
        s = self.screen
        sources = [(pane_label(p), p.response) for p in s.panes if p.response.usable]
        if not sources:
            s.notify("No response has text to stitch yet.", severity="warning")
            return
        name = s.viewed

        def done(result: Stitched | None) -> None:
            if result is not None:
                content, provenance = result
                ids = list(dict.fromkeys(p.response_id for p in provenance if p.response_id))
                self._save(name, content, ids, provenance)

        s.app.push_screen(StitchScreen(name, sources), done)

    @property
    def diffing(self) -> bool:
        """The panes on screen show differences instead of Markdown."""
        return any(p.diff is not None for p in self.screen.panes)

    async def diff(self) -> None:
        """`d`: differences in the panes, or (pressed again) back to Markdown."""
        if self.diffing:
            for pane in self.screen.panes:
                await pane.hide_diff()
            return
        await self.show_diff()
        if self.diffing:
            self.screen.notify(
                "Highlighted: words the pane named in the header lacks. d or escape: back.",
                timeout=4,
            )

    async def show_diff(self, focused: ResponsePane | None = None) -> None:
        """Light up, in place, the words the focused pane (else the first; `focused` when
        focus is still on its way) and the picked one (else the next) lack from each other;
        every other pane shows what it has that the focused one lacks. Each header says how
        alike and against which pane. Finished responses only: a diff of text still arriving
        would be stale at the next frame."""
        s = self.screen
        if any(p.live for p in s.panes):
            s.notify("Differences wait until every response has finished.", severity="warning")
            return
        panes = [p for p in s.panes if p.response.content.strip()]
        if len(panes) < 2:
            s.notify("Differences need two responses with text.", severity="warning")
            return
        focused = focused or s.focused_pane()
        anchor = focused if focused in panes else panes[0]
        others = [p for p in panes if p is not anchor]
        partner = next((p for p in others if p.picked), None)
        if partner is None:  # the next pane on screen after the focused one
            partner = next((p for p in others if p.position > anchor.position), others[0])
        await anchor.show_diff(*lacks(anchor, partner))
        for pane in others:
            await pane.show_diff(*lacks(pane, anchor))

    async def follow_focus(self, pane: ResponsePane) -> None:
        """While diffing, the focused pane is the one compared: `tab` moves the comparison."""
        if self.diffing:
            await self.show_diff(pane)

    def toggle_blind(self) -> None:
        on = self.screen.deck.toggle_blind()
        self.screen.notify(
            "Blind mode: model names hidden until you pick." if on else "Model names shown.",
            timeout=3,
        )
