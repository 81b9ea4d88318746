"""The run screen: the step's responses side by side, streaming live, and every choice as a key.

A run screen shows one run for its whole life. What the writer may press is the rulebook's answer
(`check_action` reads it; a refused key says why). Actions call the engine; when one continues in
another run (a branch, a run chosen in the tree) the screen posts `OpenRun` and the app puts a
fresh run screen in its place. Engine events arrive through the app's signals on this screen's
own queue; `run` and `viewed` are reactives whose watchers redraw.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events, work
from textual.app import ComposeResult
from textual.binding import BindingsMap
from textual.reactive import var
from textual.widgets import Static

from writeit.domain.errors import WriteItError
from writeit.domain.events import Event, ResponseFinished, ResponseTextAppended, StepStarted
from writeit.domain.models import PipelineRun, StepState
from writeit.domain.rules import Action, Rules, rules
from writeit.domain.status import RunStatus, StepStatus
from writeit.tui.clipboard import article, copy, on_screen
from writeit.tui.compositor import RegionCompositor
from writeit.tui.messages import OpenRun
from writeit.tui.screens.base import WriteItScreen
from writeit.tui.screens.dialogs import ConfirmDialog, ExportDialog, TextDialog
from writeit.tui.screens.history import HistoryScreen
from writeit.tui.screens.run_compare import Compare, rule_action
from writeit.tui.screens.run_keys import RUN_KEYS
from writeit.tui.screens.run_structure import Structure
from writeit.tui.screens.run_view import guidance, title_line
from writeit.tui.screens.tree import TreeScreen
from writeit.tui.text import short_id
from writeit.tui.widgets.item_picker import ItemPicker
from writeit.tui.widgets.key_bar import KeyBar
from writeit.tui.widgets.pane_deck import PaneDeck
from writeit.tui.widgets.response_pane import ResponsePane
from writeit.tui.widgets.section_list import SectionList
from writeit.tui.widgets.step_bar import StepBar


class RunScreen(WriteItScreen[None]):
    """One run: step bar, guidance line, one pane per response of the step on screen."""

    TITLE = "Run"
    HELP = (
        "Each step's prompt goes to several models at once; their responses stream side by "
        "side. Pick one with its number and the next step starts from it. Changing an earlier "
        "step never rewrites it: WriteIt continues in a new branch and says so."
    )
    BINDINGS = RUN_KEYS

    run: var[PipelineRun] = var(None, always_update=True)  # type: ignore[arg-type]
    viewed: var[str] = var("")

    def __init__(
        self,
        run_id: str,
        *,
        stream: str | None = None,
        step: str | None = None,
        section: int | None = None,
    ) -> None:
        super().__init__()
        self._compositor = RegionCompositor()  # streaming panes repaint their dirty rows only
        self.run_id = run_id
        self.stream_first = stream
        self.pending_pick: int | None = None
        self._verdict: tuple[tuple[int, int, str, bool, int | None], Rules] | None = None
        self._keyed: BindingsMap | None = None
        self._descriptions: dict[str, str] = {}
        self._title_cells = -1  # the width of the title shown (a new width needs a layout)
        self.compare = Compare(self)  # e, E, m, d, n
        self.structure = Structure(self)  # up/down, enter, A, o: items and sections
        run = self.engine.load(run_id)
        self.set_reactive(RunScreen.run, run)
        shown = step if step in run.steps else None
        self.set_reactive(
            RunScreen.viewed, stream or shown or run.current_step or run.step_order[-1]
        )
        if shown is not None and section is not None:
            self.structure.point_at(shown, section)

    def compose(self) -> ComposeResult:
        yield Static(id="run-title")
        yield StepBar(id="step-bar")
        yield Static(id="guidance")
        yield SectionList(id="section-list")
        yield ItemPicker(id="item-picker")
        yield PaneDeck(self.wapp.hub, blind=self.engine.config.blind, id="panes")
        yield KeyBar()

    async def on_mount(self) -> None:
        self.wapp.run_events.subscribe(self, self._on_engine_event)
        self.wapp.stream_ended.subscribe(self, self._on_stream_ended)
        self.wapp.clock.subscribe(self, self._live_title)  # the run's cost so far
        # Read the run again now that nothing can be missed: a stream may have ended between
        # this screen's creation and its subscription (a run opened while it streams).
        self.set_reactive(RunScreen.run, self.engine.load(self.run_id))
        config = self.engine.pipeline_of(self.run).config
        self._descriptions = {s.name: s.description for s in config.steps}
        self.engine.remember_session(self.wapp.session_id, self.run_id)
        await self._show_step()
        if self.stream_first and not self.streaming:
            self.wapp.stream_step(self.run_id, self.stream_first)
        self.call_after_refresh(self.deck.prebuild, self.run)

    def on_unmount(self) -> None:
        """A signal keeps a subscriber alive until its next publish: let go of this screen
        (and its panes and their text) as it closes, not whenever the engine next speaks."""
        self.wapp.run_events.unsubscribe(self)
        self.wapp.stream_ended.unsubscribe(self)
        self.wapp.clock.unsubscribe(self)

    def _live_title(self, _: None) -> None:
        if self.streaming:
            self._show_title()

    def _show_title(self) -> None:
        """The title changes every second while streaming (the cost so far); text of the same
        width wraps the same, so it repaints without a screen layout."""
        spent = self.engine.budget(self.run_id, self.run)
        title = title_line(self.run, self.streaming, spent)
        same_size, self._title_cells = title.cell_len == self._title_cells, title.cell_len
        self.query_one("#run-title", Static).update(title, layout=not same_size)

    def on_screen_resume(self) -> None:
        """Back from a dialog: never leave focus on a widget removed meanwhile."""
        focused = self.focused
        if focused is not None and not focused.is_attached:
            self.set_focus(None)
        self.refresh_bindings()

    # -- state -------------------------------------------------------------------------------

    @property
    def streaming(self) -> bool:
        return self.run_id in self.wapp.streaming_runs or self.engine.is_streaming(self.run_id)

    @property
    def step_state(self) -> StepState:
        return self.run.steps[self.viewed]

    @property
    def verdict(self) -> Rules:
        """The rulebook's answer for what is on screen now (asked once per binding on every
        bindings refresh, so it is kept until the run, the step or streaming changes)."""
        section, items = self.structure.section, self.structure.item_step
        key = (id(self.run), self.run.last_seq, self.viewed, self.streaming, section)
        if self._verdict is None or self._verdict[0] != key:
            verdict = rules(
                self.run,
                self.viewed,
                self.streaming,
                section=section,
                item_step=items,
                sections_of=self.structure.source,
            )
            self._verdict = (key, verdict)
        return self._verdict[1]

    @property
    def deck(self) -> PaneDeck:
        return self.query_one(PaneDeck)

    @property
    def panes(self) -> list[ResponsePane]:
        """The panes of the step on screen, in screen order."""
        return self.deck.panes

    def key_for(self, action: str) -> str | None:
        """The key that performs `action` on this screen, with the writer's keymap applied.

        Read from the screen's own bindings, not the active ones: those follow the focused
        screen, which is not this one while it mounts or while a dialog is open.
        """
        for key, bindings in self._keyed_bindings().key_to_bindings.items():
            for binding in bindings:
                if binding.action == action:
                    return binding.key_display or self.app.get_key_display(binding) or key
        return None

    def watch_run(self) -> None:
        if self.is_mounted:
            self._update_chrome()

    async def watch_viewed(self) -> None:
        if self.is_mounted:
            await self._show_step()

    async def _show_step(self) -> None:
        self._update_chrome()
        view = self.structure.panes_step() if self.structure.section is not None else None
        await self.deck.show(self.run, self.viewed, self._empty_text(self.viewed), view)
        self.structure.refresh()  # an item step's picker lists the panes just shown

    def _empty_text(self, name: str) -> str:
        step = self.run.steps[name]
        if step.status is StepStatus.PENDING and name == self.run.current_step:
            starting = self.streaming or self.stream_first == name
            key = self.key_for(Action.REGENERATE.value) or "r"
            return "Starting…" if starting else f"This step has not started yet: press {key}."
        return "Nothing here yet."

    def _update_chrome(self) -> None:
        verdict = self.verdict
        self._show_title()
        self.query_one(StepBar).show(self.run, self.viewed)
        description = self._descriptions.get(self.viewed, "")
        self.query_one("#guidance", Static).update(
            guidance(verdict, description, self.compare.key_on_screen)
        )
        self.structure.refresh()
        self.sub_title = f"run {short_id(self.run_id)}"
        self.refresh_bindings()

    # -- engine events -----------------------------------------------------------------------

    async def _on_engine_event(self, event: Event) -> None:
        if event.run_id != self.run_id or isinstance(event, ResponseTextAppended):
            return
        self.run = self.engine.load(self.run_id)
        if isinstance(event, ResponseFinished):
            found = self.run.response(event.response_id)
            if found is not None:
                self.deck.finish(found)
            return
        self.deck.mark_picked(self.run)
        if isinstance(event, StepStarted) and event.step != self.viewed:
            self.viewed = event.step  # the watcher shows its panes
        elif getattr(event, "step", None) == self.viewed:
            await self._show_step()

    async def _on_stream_ended(self, run_id: str) -> None:
        if run_id != self.run_id:
            return
        self.run = self.engine.load(self.run_id)
        if self.pending_pick is not None:
            index, self.pending_pick = self.pending_pick, None
            self._pick(index)
            return
        step = self.step_state
        if step.status is StepStatus.RUNNING and not any(r.usable for r in step.responses.values()):
            self.notify(
                f"No response of '{self.viewed}' has text. r regenerates.", severity="warning"
            )
        if self.run.status is RunStatus.ERROR and self.run.error:
            self.notify(self.run.error, severity="error", markup=False)

    # -- keys --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Rulebook actions are allowed as it says; refused ones show disabled in the footer."""
        if self.structure.handles(action):
            position = parameters[0] if parameters and isinstance(parameters[0], int) else None
            return self.structure.check_action(action, position if action == "pick" else None)
        try:
            name = Action(rule_action(action))
        except ValueError:
            return True
        index = self._response_index(parameters) if name is Action.PICK else None
        if name is Action.PICK and index is None:
            return False  # no such pane: keep the footer short
        return True if self.verdict.allows(name, index) else None

    def on_key(self, event: events.Key) -> None:
        """A key whose action the rulebook refuses says why, instead of doing nothing."""
        for binding in self._keyed_bindings().key_to_bindings.get(event.key, ()):
            reason = self.why_not(binding.action)
            if reason is not None and reason != "there is no such response":
                self.notify(f"{binding.description}: {reason}", severity="warning", markup=False)
                event.stop()
                return

    def _keyed_bindings(self) -> BindingsMap:
        """This screen's bindings with the writer's keymap applied, as Textual applies it to
        the active chain (Textual keeps the keymap on the app as `_keymap`). Made once: the
        keymap comes from config.yaml and the screen's bindings never change."""
        if self._keyed is None:
            self._keyed = self._bindings.copy()
            self._keyed.apply_keymap(self.app._keymap)
        return self._keyed

    def why_not(self, action: str) -> str | None:
        """Why the rulebook refuses `action` (a binding's action string) now, if it does."""
        name, _, raw = action.partition("(")
        name = rule_action(name)
        if self.structure.handles(name):
            position = int(raw.rstrip(")")) if name == "pick" else None
            if self.structure.check_action(name, position) is False:
                return None  # not an item or section step: the key does what it usually does
            return self.structure.why_not(name, position)
        if name not in Action.__members__.values():
            return None
        index = None
        if name == Action.PICK:
            index = self._response_index((int(raw.rstrip(")")),))
            if index is None:
                return "there is no such response"
        return self.verdict.why_not(name, index)

    def _response_index(self, parameters: tuple[object, ...]) -> int | None:
        """The response behind the pane at screen position `parameters[0]`, if there is one."""
        position = parameters[0] if parameters else None
        if not isinstance(position, int) or not 0 <= position < len(self.panes):
            return None
        return self.panes[position].index

    def _act(self, call: Callable[[], str], why: str, *, stream: str | None = None) -> None:
        """Make an engine call that returns the run it continued in, then follow it there;
        a refusal is shown, never raised."""
        try:
            run_id = call()
        except WriteItError as exc:
            self.handle_error(exc)
            return
        self._moved(run_id, why, stream=stream or self._next_to_stream(run_id))

    def _moved(self, run_id: str, why: str, *, stream: str | None = None) -> None:
        """After an action: show `run_id` (a new branch goes to a fresh screen), then stream."""
        if run_id != self.run_id:
            self.post_message(
                OpenRun(
                    run_id,
                    f"{why}: now on run {short_id(run_id)}. Run {short_id(self.run_id)} is "
                    "unchanged.",
                    stream=stream,
                )
            )
            return
        self.run = self.engine.load(self.run_id)
        if self.run.status is RunStatus.COMPLETED:
            self.viewed = self.run.step_order[-1]
            self.notify("Article complete. Press x to export it.", title="Done")
        elif stream is not None:
            self.viewed = stream
            self.wapp.stream_step(self.run_id, stream)
        elif (step := self.run.current_step) and self.structure.waits_before(step):
            self.viewed = step  # a section step shows its section list first; r drafts it

    def _next_to_stream(self, run_id: str) -> str | None:
        run = self.engine.load(run_id)
        step = run.current_step
        if run.status is RunStatus.COMPLETED or step is None or self.structure.waits_before(step):
            return None
        return step if run.steps[step].status is StepStatus.PENDING else None

    def handle_error(self, exc: WriteItError) -> None:
        self.notify(str(exc), severity="error", markup=False)
        self.run = self.engine.load(self.run_id)

    # -- actions -----------------------------------------------------------------------------

    def action_pick(self, position: int) -> None:
        if self.structure.items():  # an item step: the number chooses that item
            self.structure.choose(position)
            return
        index = self._response_index((position,))
        if index is None:
            return
        if self.verdict.cancel_first:
            self.pending_pick = index
            self.engine.cancel(self.run_id)
            self.notify("Stopping the responses still streaming, then continuing.")
            return
        self._pick(index)

    def _pick(self, index: int) -> None:
        step = self.viewed
        shown = [p.response.response_id for p in self.panes]
        section = self.structure.section
        ids = self.structure.panes_step().response_ids
        number = shown.index(ids[index]) + 1  # as its pane shows it
        where = f"section {section + 1} of '{step}'" if section is not None else f"'{step}'"
        self.structure.after_pick()
        self._act(
            lambda: self.engine.pick(
                self.run_id, index, step=step, shown_order=shown, section=section
            ),
            f"Picked response {number} of {where}",
        )

    def action_edit(self) -> None:
        self.compare.edit_in_dialog()

    def action_external_edit(self) -> None:
        self.compare.edit_in_editor()

    def action_stitch(self) -> None:
        self.compare.stitch()

    async def action_diff(self) -> None:
        await self.compare.diff()

    def action_toggle_blind(self) -> None:
        self.compare.toggle_blind()

    def action_feedback(self) -> None:
        name = self.viewed

        def done(result: str | None) -> None:
            if result is not None:
                self._regenerate(name, result)

        hint = "What should change? The step is regenerated with this feedback in its prompt."
        title, current = self.structure.feedback_on()
        self.app.push_screen(TextDialog(f"Feedback on {title}", hint, current or ""), done)

    def action_regenerate(self) -> None:
        self._regenerate(self.viewed, None)

    def _regenerate(self, step: str, feedback: str | None) -> None:
        if self.structure.regenerate(feedback):  # one section of a section step
            return
        self._act(
            lambda: self.engine.revise(self.run_id, step=step, feedback=feedback),
            f"Regenerating '{step}'",
            stream=step,
        )

    def action_cancel(self) -> None:
        if self.engine.cancel(self.run_id):
            self.notify("Cancelled: the text streamed so far is kept.")

    def action_branch(self) -> None:
        step = self.viewed

        def done(yes: bool | None) -> None:
            if not yes:
                return
            self._act(
                lambda: self.engine.branch(self.run_id, step),
                f"Branched from '{step}'",
                stream=step,
            )

        self.app.push_screen(
            ConfirmDialog(
                f"Branch a new run from '{step}'?",
                f"The new run keeps every step before '{step}' and writes '{step}' again. "
                "This run stays exactly as it is.",
            ),
            done,
        )

    async def action_move(self, delta: int) -> None:
        self.structure.move(delta)
        await self._show_step()

    def action_choose(self) -> None:
        self.structure.choose()

    def action_accept_all(self) -> None:
        self.structure.accept_all()

    def action_edit_sections(self) -> None:
        self.structure.edit_sections()

    def action_prev_step(self) -> None:
        self._step_by(-1)

    def action_next_step(self) -> None:
        self._step_by(1)

    def _step_by(self, delta: int) -> None:
        order = self.run.step_order
        index = order.index(self.viewed) + delta
        if 0 <= index < len(order):
            self.viewed = order[index]

    async def action_pane(self, delta: int) -> None:
        if not self.panes:
            return
        pane = self.focused_pane()
        index = self.panes.index(pane) + delta if pane is not None else 0
        target = self.panes[index % len(self.panes)]
        await self.compare.follow_focus(target)  # while diffing, compare the pane focused
        target.body.focus()

    def focused_pane(self) -> ResponsePane | None:
        focused = self.focused
        if focused is None:
            return None
        return next((p for p in self.panes if p in focused.ancestors_with_self), None)

    def action_export(self) -> None:
        def done(fmt: str | None) -> None:
            if fmt is not None:
                self._export(fmt)

        self.app.push_screen(ExportDialog(self.engine.config.export_format), done)

    @work(thread=True, group="export", exit_on_error=False)
    def _export(self, fmt: str) -> None:
        """Write the export off the UI thread: html and docx run pandoc for about half a second."""
        try:
            path = self.engine.export(self.run_id, fmt)
        except WriteItError as exc:
            self.app.call_from_thread(self.handle_error, exc)
            return
        self.app.call_from_thread(
            self.notify, f"Exported to {path}", title="Export", markup=False, timeout=8
        )

    def action_copy(self) -> None:
        pane = self.focused_pane()
        focused = pane.response.response_id if pane is not None else None
        blind = pane is not None and pane.blind
        item = on_screen(self.run, self.viewed, focused, blind=blind)
        self.notify(copy(self.app, item), markup=False)

    def action_copy_article(self) -> None:
        self.notify(copy(self.app, article(self.run)), markup=False)

    def action_budget(self) -> None:
        """Set, raise or remove the run's budget: an event, and streams see it at once."""
        state = self.engine.budget(self.run_id)
        now = f"{state.budget_usd:g}" if state.budget_usd is not None else ""

        def done(result: str | None) -> None:
            if result is None:
                return
            raw = result.strip().lstrip("$")
            try:
                self.engine.set_budget(self.run_id, float(raw) if raw else None)
            except (ValueError, WriteItError):
                self.notify("A budget is a positive amount of USD, e.g. 0.50", severity="error")
                return
            self.run = self.engine.load(self.run_id)
            self.notify(f"Budget: {self.engine.budget(self.run_id).describe()}", title="Budget")

        hint = f"{state.describe()}. USD, e.g. 0.50; empty removes the budget. ctrl+s saves."
        self.app.push_screen(TextDialog("Run budget", hint, now, allow_empty=True), done)

    def action_tree(self) -> None:
        def done(run_id: str | None) -> None:
            if run_id and run_id != self.run_id:
                self.post_message(OpenRun(run_id))

        self.app.push_screen(TreeScreen(self.run_id), done)

    def action_toggle_reasoning(self) -> None:
        shown = self.deck.toggle_reasoning()
        self.notify("Reasoning shown." if shown else "Reasoning hidden.", timeout=2)

    def action_history(self) -> None:
        self.app.push_screen(HistoryScreen(self.run_id, blind=self.deck.blind))

    async def action_back(self) -> None:
        if self.compare.diffing:  # escape leaves the differences first
            await self.compare.diff()
            return
        if self.streaming:
            self.notify("Still streaming in the background; open the run again to watch.")
        self.app.pop_screen()
