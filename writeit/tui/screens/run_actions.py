"""The run screen's keys: each is one engine call, allowed only when the engine would accept it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from writeit.domain.errors import WriteItError
from writeit.domain.status import ResponseStatus, RunStatus, StepStatus
from writeit.export.files import default_path, write_export
from writeit.tui.screens.dialogs import ConfirmDialog, TextDialog
from writeit.tui.screens.history import HistoryScreen
from writeit.tui.screens.tree import TreeScreen

if TYPE_CHECKING:
    from writeit.tui.screens.run import RunScreen
    from writeit.tui.widgets.response_pane import ResponsePane

ALWAYS = {"export", "tree", "history", "back", "pane"}


class RunActions:
    """Mixed into `RunScreen`: `can()` decides what the footer shows, `action_*` do it."""

    def can(self: RunScreen, action: str, parameters: tuple[object, ...]) -> bool:
        if action in ALWAYS:
            return True
        run, step = self.run, self.step_state
        current = self.viewed == run.current_step
        if action == "step":
            delta = int(parameters[0])  # type: ignore[call-overload]
            index = run.step_order.index(self.viewed) + delta
            return 0 <= index < len(run.step_order)
        if action == "cancel":
            return self.streaming
        if action == "pick":
            index = int(parameters[0])  # type: ignore[call-overload]
            responses = step.ordered_responses()
            if not current or index >= len(responses) or self.pending_pick is not None:
                return False
            if responses[index].status is ResponseStatus.STREAMING:
                return False
            return step.status is StepStatus.RUNNING or run.status is RunStatus.COMPLETED
        if self.streaming:
            return False
        if action == "branch":
            return True
        if not current:
            return False
        if action == "regenerate":
            return True
        if action == "feedback":
            return step.attempt > 0
        if action == "edit":
            return any(r.usable for r in step.responses.values()) or step.content is not None
        return False

    # -- choosing ----------------------------------------------------------------------------

    async def action_pick(self: RunScreen, index: int) -> None:
        response = self.step_state.ordered_responses()[index]
        if response.status is ResponseStatus.STREAMING:
            self.notify(f"Response {index + 1} is still streaming.", severity="warning")
            return
        if not response.usable:
            self.notify(
                f"Response {index + 1} is {response.status.value} with no text to pick.",
                severity="warning",
            )
            return
        if self.streaming:
            self.pending_pick = index
            self.engine.cancel(self.run_id)
            self.notify("Stopping the responses still streaming, then continuing.")
            return
        await self.pick(index)

    async def pick(self: RunScreen, index: int) -> None:
        shown = [p.response.response_id for p in self.panes]
        try:
            new_run = self.engine.pick(self.run_id, index, step=self.viewed, shown_order=shown)
        except WriteItError as exc:
            self.handle_error(exc)
            return
        await self.continue_after(f"Picked a different response for '{self.viewed}'", new_run)

    def action_edit(self: RunScreen) -> None:
        step = self.step_state
        if step.status is StepStatus.COMPLETED and step.content is not None:
            text = step.content
            sources = [step.response_ids[step.selected]] if step.selected is not None else []
        else:
            pane = self.focused_pane() or next((p for p in self.panes if p.response.usable), None)
            if pane is None:
                return
            text, sources = pane.response.content, [pane.response.response_id]
        edited_step = self.viewed

        async def done(result: str | None) -> None:
            if result is None:
                return
            try:
                new_run = self.engine.edit(self.run_id, result, step=edited_step, sources=sources)
            except WriteItError as exc:
                self.handle_error(exc)
                return
            await self.continue_after(f"Edited '{edited_step}'", new_run)

        self.app.push_screen(
            TextDialog(
                f"Edit {edited_step}",
                "This text goes forward instead of a pick. ctrl+s saves and continues.",
                text,
            ),
            done,
        )

    def action_feedback(self: RunScreen) -> None:
        step = self.viewed

        async def done(result: str | None) -> None:
            if result is not None:
                await self.regenerate(step, result)

        self.app.push_screen(
            TextDialog(
                f"Feedback on {step}",
                "What should change? The step is regenerated with this feedback in its prompt.",
                self.step_state.feedback or "",
            ),
            done,
        )

    async def action_regenerate(self: RunScreen) -> None:
        await self.regenerate(self.viewed, None)

    async def regenerate(self: RunScreen, step: str, feedback: str | None) -> None:
        try:
            new_run = self.engine.revise(self.run_id, step=step, feedback=feedback)
        except WriteItError as exc:
            self.handle_error(exc)
            return
        self.follow(new_run, f"Regenerated '{step}'")
        self.reload()
        self.start_step(new_run, step)

    def action_cancel(self: RunScreen) -> None:
        if self.engine.cancel(self.run_id):
            self.notify("Cancelled: the text streamed so far is kept.")

    # -- around the run ----------------------------------------------------------------------

    def action_branch(self: RunScreen) -> None:
        step = self.viewed

        async def done(yes: bool | None) -> None:
            if not yes:
                return
            try:
                child = self.engine.branch(self.run_id, step)
            except WriteItError as exc:
                self.handle_error(exc)
                return
            await self.open_run(child, f"Branched from '{step}'", start=True)

        self.app.push_screen(
            ConfirmDialog(
                f"Branch a new run from '{step}'?",
                f"The new run keeps every step before '{step}' and writes '{step}' again. "
                "This run stays exactly as it is.",
            ),
            done,
        )

    async def action_step(self: RunScreen, delta: int) -> None:
        order = self.run.step_order
        index = order.index(self.viewed) + delta
        if 0 <= index < len(order):
            self.viewed = order[index]
            await self.show_step()

    def action_pane(self: RunScreen, delta: int) -> None:
        bodies = [p.view for p in self.panes]
        if not bodies:
            return
        pane = self.focused_pane()
        index = self.panes.index(pane) + delta if pane is not None else 0
        bodies[index % len(bodies)].focus()

    def focused_pane(self: RunScreen) -> ResponsePane | None:
        focused = self.focused
        if focused is None:
            return None
        return next((p for p in self.panes if p in focused.ancestors_with_self), None)

    def action_export(self: RunScreen) -> None:
        run = self.engine.load(self.run_id)
        fmt = self.engine.config.export_format
        try:
            path = write_export(run, fmt, default_path(self.engine.workspace.exports, run, fmt))
        except WriteItError as exc:
            self.handle_error(exc)
            return
        self.notify(f"Exported to {path}", title="Export", markup=False, timeout=8)

    def action_tree(self: RunScreen) -> None:
        async def done(run_id: str | None) -> None:
            if run_id and run_id != self.run_id:
                await self.open_run(run_id, None)

        self.app.push_screen(TreeScreen(self.run_id), done)

    def action_history(self: RunScreen) -> None:
        self.app.push_screen(HistoryScreen(self.run_id))

    def action_back(self: RunScreen) -> None:
        if self.streaming:
            self.notify("Still streaming in the background; open the run again to watch.")
        self.app.pop_screen()
