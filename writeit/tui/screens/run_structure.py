"""The run screen's keys for item steps and section steps: `up`/`down` move between the items of
an item step (across panes) or the sections of a section step, `enter` (or an item's number)
chooses an item, `A` accepts the first completed response of every open section, `o` edits the
section list (an ordinary edit of the step the sections come from). Composed into the run screen
(`screen.structure`), not mixed in.

Every answer comes from the rulebook: moving is `Action.MOVE`, choosing an item is a pick naming
the item, accepting every section is `Action.ACCEPT_ALL`, editing the list is `Action.EDIT` on
the source step. A section step does not start by itself after its source is picked: the writer
first sees (and may edit) the sections, then `r` drafts them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from writeit.domain.errors import WriteItError
from writeit.domain.outline import parse_sections
from writeit.domain.pipeline import PipelineConfig, StepSpec
from writeit.domain.rules import Action
from writeit.domain.sections import edited_whole
from writeit.domain.status import StepStatus
from writeit.tui.screens.dialogs import TextDialog
from writeit.tui.widgets.item_picker import Item, ItemPicker, items_of
from writeit.tui.widgets.section_list import SectionList, section_view

if TYPE_CHECKING:
    from writeit.domain.models import StepState
    from writeit.tui.screens.run import RunScreen

ACTIONS = frozenset({"move", "choose", "accept_all", "edit_sections"})
NOT_HERE = "there are no items or sections here"


class Structure:
    """Items and sections on one run screen: cursors, the list widgets, and their actions."""

    def __init__(self, screen: RunScreen) -> None:
        self.screen = screen
        self._config: PipelineConfig | None = None
        self._sections: dict[str, int] = {}  # step -> section under the cursor
        self._item = 0
        self._items: tuple[tuple[object, ...], list[Item]] | None = None

    def point_at(self, step: str, section: int) -> None:
        """Put `step`'s section cursor on `section` (a search result's); one out of range is
        ignored, as `section` does."""
        self._sections[step] = section

    # -- what is on screen -------------------------------------------------------------------

    def spec(self, name: str) -> StepSpec:
        if self._config is None:
            self._config = self.screen.engine.pipeline_of(self.screen.run).config
        return self._config.step(name)

    @property
    def item_step(self) -> bool:
        return self.spec(self.screen.viewed).select == "item"

    @property
    def source(self) -> str | None:
        """The step whose sections the viewed step drafts, if it is a section step."""
        return self.spec(self.screen.viewed).sections_of

    @property
    def section(self) -> int | None:
        """The section under the cursor, on a section step that has planned its sections."""
        step = self.screen.step_state
        if not step.sections:
            return None
        default = next((i for i, s in enumerate(step.sections) if not s.picked), 0)
        chosen = self._sections.get(step.name, default)
        return chosen if 0 <= chosen < len(step.sections) else default

    def panes_step(self) -> StepState:
        """What the pane deck shows for the viewed step: the section under the cursor, or all.

        When the writer's edit of the whole step went forward, it is shown first beside the
        section's responses (and none of them is marked as what went forward)."""
        step = self.screen.step_state
        k = self.section
        if k is None:
            return step
        view = section_view(step, k)
        if edited_whole(step):
            view = view.model_copy(
                update={"selected": None, "content": step.content, "status": StepStatus.COMPLETED}
            )
        return view

    def items(self) -> list[Item]:
        """The items to choose from: only on an item step still waiting for its pick."""
        step = self.screen.step_state
        if not self.item_step or step.status is not StepStatus.RUNNING or step.streaming:
            return []
        # Asked for every binding on each bindings refresh: parse the panes' lists once.
        panes = self.screen.panes
        key = (
            step.name,
            step.attempt,
            tuple((p.response.response_id, p.response.status) for p in panes),
        )
        if self._items is None or self._items[0] != key:
            self._items = (key, items_of(panes))
        return self._items[1]

    def waits_before(self, name: str) -> bool:
        """A section step is not started by a pick of its source: its list is shown first."""
        return self.spec(name).sections_of is not None

    def planned(self) -> list[str]:
        source = self.source
        if source is None:
            return []
        return [s.title for s in parse_sections(self.screen.run.steps[source].content or "")]

    # -- the widgets -------------------------------------------------------------------------

    def refresh(self) -> None:
        """Redraw the section list and the item picker for the step on screen."""
        s = self.screen
        sections, picker = s.query_one(SectionList), s.query_one(ItemPicker)
        step = s.step_state
        key = s.key_for
        if self.source is not None and step.sections:
            keys = (
                f"↑/↓ section · 1-9 pick · {key('accept_all')} accept all · "
                f"{key('regenerate')} redrafts it"
            )
            sections.show_sections(step, self.section or 0, keys)
        elif self.source is not None and (source := s.run.steps[self.source]).content:
            cursor = self._sections.get(step.name, 0)
            keys = f"{key('edit_sections')} edit the list · {key('regenerate')} writes them"
            sections.show_planned(self.source, parse_sections(source.content or ""), cursor, keys)
        else:
            sections.display = False
        items = self.items()
        if items:
            self._item = min(self._item, len(items) - 1)
            picker.show_items(
                items, self._item, "↑/↓ move · enter or a number chooses in the ▸ pane"
            )
        else:
            picker.display = False

    # -- the rulebook ------------------------------------------------------------------------

    def handles(self, action: str) -> bool:
        """Whether this class answers `action` (a pick, on an item step with items)."""
        name = action.partition("(")[0]
        return name in ACTIONS or (name == "pick" and bool(self.items()))

    def why_not(self, action: str, position: int | None = None) -> str | None:
        """The rulebook's reason to refuse `action` now, or None."""
        name = action.partition("(")[0]
        verdict = self.screen.verdict
        if name == "move":
            return verdict.why_not(Action.MOVE)
        if name == "accept_all":
            return verdict.why_not(Action.ACCEPT_ALL)
        if name == "edit_sections":
            if self.source is None:
                return "only a step drafted per section has a section list"
            outline = self.screen.engine.rules(self.screen.run, self.source)
            return outline.why_not(Action.EDIT)
        target = self._target(position)
        if target is None:
            return "there is no such item" if name == "pick" else NOT_HERE
        return verdict.why_not(Action.PICK, target.response, target.index)

    def check_action(self, action: str, position: int | None) -> bool | None:
        """For `check_action`: allowed, shown disabled (None), or hidden so the key falls
        through (False: `up`/`down`/`enter` scroll and press as usual on other steps)."""
        name = action.partition("(")[0]
        if name in ("move", "choose") and self.why_not("move") is not None:
            return False
        if name in ("accept_all", "edit_sections") and self.source is None:
            return False  # not a section step: kept off the key bar
        if name == "choose" and not self.items():
            return False
        return True if self.why_not(action, position) is None else None

    def _target(self, position: int | None) -> Item | None:
        """The item `enter` (position None) or a number key (item `position + 1` of the
        response under the cursor; `1` on a response without a list: that response whole)
        would choose."""
        items = self.items()
        if not items:
            return None
        current = items[min(self._item, len(items) - 1)]
        if position is None or (current.index is None and position == 0):
            return current
        return next(
            (i for i in items if i.response == current.response and i.index == position), None
        )

    # -- actions -----------------------------------------------------------------------------

    def move(self, delta: int) -> None:
        step = self.screen.step_state
        items = self.items()
        if items:
            self._item = (self._item + delta) % len(items)
        elif step.sections:
            self._sections[step.name] = ((self.section or 0) + delta) % len(step.sections)
        elif planned := self.planned():
            current = self._sections.get(step.name, 0)
            self._sections[step.name] = (current + delta) % len(planned)

    def choose(self, position: int | None = None) -> None:
        """Choose the item under the cursor (or item `position + 1` of its response)."""
        s = self.screen
        target = self._target(position)
        if target is None:
            return
        step = s.viewed
        shown = [p.response.response_id for p in s.panes]
        s._act(
            lambda: s.engine.pick(
                s.run_id, target.response, step=step, shown_order=shown, item=target.index
            ),
            f"Chose item {target.index + 1} of pane {target.position + 1} in '{step}'"
            if target.index is not None
            else f"Picked pane {target.position + 1} whole in '{step}' (it has no list)",
        )

    def accept_all(self) -> None:
        s = self.screen
        step = s.viewed
        s._act(
            lambda: s.engine.accept_all(s.run_id, step=step),
            f"Accepted the first completed response of every open section of '{step}'",
        )

    def after_pick(self) -> None:
        """A section was picked: the cursor moves on to the next open section."""
        self._sections.pop(self.screen.viewed, None)

    def edit_sections(self) -> None:
        """Edit the source step's text: headings are sections, bullets under them their notes."""
        s = self.screen
        source = self.source
        if source is None:
            return
        text = s.run.steps[source].content or ""

        def done(result: str | None) -> None:
            if result is not None and result.strip() != text.strip():
                s._act(
                    lambda: s.engine.edit(s.run_id, result, step=source),
                    f"Edited the sections of '{source}'",
                )

        hint = (
            "Each '## heading' is a section, the lines under it its notes. Rename, reorder, "
            "delete or add sections; this is an edit of the step they come from."
        )
        s.app.push_screen(TextDialog(f"Sections of {source}", hint, text), done)

    def feedback_on(self) -> tuple[str, str | None]:
        """What `f` gives feedback on (the step, or the section under the cursor) and the
        feedback it already has."""
        step = self.screen.step_state
        k = self.section
        if k is None or self.source is None:
            return step.name, step.feedback
        section = step.sections[k]
        return f"{step.name}, section {k + 1} ({section.title})", section.feedback

    def regenerate(self, feedback: str | None) -> bool:
        """On a drafted section step, regenerate only the section under the cursor (with
        `feedback`); False when the step's whole round is what `r` means here."""
        s = self.screen
        k = self.section
        if k is None or self.source is None:
            return False
        step = s.viewed
        try:
            run_id = s.engine.revise(s.run_id, step=step, feedback=feedback, section=k)
        except WriteItError as exc:
            s.handle_error(exc)
            return True
        if run_id != s.run_id:
            s._moved(run_id, f"Section {k + 1} of '{step}' continues in a branch; press r there")
            return True
        s.wapp.stream_step(s.run_id, step, section=k)
        s.notify(f"Redrafting section {k + 1} of '{step}'; the other sections keep their picks.")
        return True
