"""The run screen: the step's responses side by side, streaming live, and every choice as a key.

Engine calls that stream run in the app's `engine` worker group, so leaving this screen does not
stop the models; the screen learns what happened from engine events and renders the text on a
frame timer from the app's stream buffers (see `widgets/response_pane.py`).
"""

from __future__ import annotations

import asyncio

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Footer, Static

from writeit.domain.errors import WriteItError
from writeit.domain.events import Event, ResponseFinished, ResponseTextAppended
from writeit.domain.models import PipelineRun, StepState
from writeit.domain.status import RunStatus, StepStatus
from writeit.tui.screens.base import WriteItScreen
from writeit.tui.screens.run_actions import RunActions
from writeit.tui.screens.run_view import guidance, title_line
from writeit.tui.text import short_id
from writeit.tui.widgets.response_pane import ResponsePane
from writeit.tui.widgets.step_bar import StepBar
from writeit.tui.widgets.step_panes import StepPanes

FPS = 30
HEADER_EVERY = 8  # frames between header refreshes (tokens, tok/s) while streaming
PICK = Binding.Group("Pick")
STEP = Binding.Group("Step")


class RunScreen(RunActions, WriteItScreen[None]):
    """One run: step bar, guidance line, one pane per response of the step on screen."""

    TITLE = "Run"
    HELP = (
        "Each step's prompt goes to several models at once; their responses stream side by "
        "side. Pick one with its number and the next step starts from it. Changing an earlier "
        "step never rewrites it: WriteIt continues in a new branch and says so."
    )
    BINDINGS = [
        *[
            Binding(
                str(i + 1),
                f"pick({i})",
                "Pick",
                tooltip="Pick that response and continue",
                group=PICK,
                id=f"pick_{i + 1}",
            )
            for i in range(9)
        ],
        Binding("e", "edit", "Edit", tooltip="Edit the picked or focused response, continue"),
        Binding("f", "feedback", "Feedback", tooltip="Give feedback, then regenerate the step"),
        Binding("r", "regenerate", "Regen", tooltip="Regenerate (or start) the step"),
        Binding("c", "cancel", "Cancel", tooltip="Cancel streaming (text so far is kept)"),
        Binding("b", "branch", "Branch", tooltip="Branch a new run from the step on screen"),
        *[
            Binding(
                key,
                f"step({delta})",
                "Step",
                key_display=shown,
                priority=True,
                group=STEP,
                tooltip="Previous / next step",
            )
            for key, delta, shown in (("left", -1, "←"), ("right", 1, "→"))
        ],
        Binding("tab", "pane(1)", "Pane", show=False, tooltip="Next / previous pane"),
        Binding("shift+tab", "pane(-1)", "Pane", show=False, tooltip="Next / previous pane"),
        Binding("x", "export", "Export", tooltip="Export the run (YAML or Markdown)"),
        Binding("t", "tree", "Tree", show=False, tooltip="Branch tree of this run's family"),
        Binding(
            "h", "history", "History", show=False, tooltip="Event log of this run (time travel)"
        ),
        Binding("escape", "back", "Back", tooltip="Back to the list of runs"),
    ]

    def __init__(self, run_id: str, *, autostart: bool = False) -> None:
        super().__init__()
        self.run_id = run_id
        self.autostart = autostart
        self.run = self.engine.load(run_id)
        self.viewed = self._default_step(self.run)
        self.panes: list[ResponsePane] = []
        self._boxes: dict[str, StepPanes] = {}
        self._boxes_run = run_id
        self._descriptions: dict[str, str] = {}
        self.pending_pick: int | None = None
        self._frames = 0
        self._ticker: Timer | None = None
        self._dirty = False
        self._rebuild_lock = asyncio.Lock()

    @staticmethod
    def _default_step(run: PipelineRun) -> str:
        return run.current_step or run.step_order[-1]

    def compose(self) -> ComposeResult:
        yield Static(id="run-title")
        yield StepBar(id="step-bar")
        yield Static(id="guidance")
        yield Container(id="panes")
        yield Footer(compact=True, show_command_palette=False)

    async def on_mount(self) -> None:
        self._ticker = self.set_interval(1 / FPS, self._tick, pause=True)
        await self.show_step()
        self.call_after_refresh(self._prebuild)
        step = self.run.steps[self.viewed]
        if self.autostart and step.status is StepStatus.PENDING and not self.streaming:
            self.start_step()

    # -- state -------------------------------------------------------------------------------

    @property
    def streaming(self) -> bool:
        return self.run_id in self.wapp.streaming_runs or self.engine.is_streaming(self.run_id)

    @property
    def step_state(self) -> StepState:
        return self.run.steps[self.viewed]

    def reload(self) -> None:
        self.run = self.engine.load(self.run_id)

    def follow(self, run_id: str, why: str | None) -> None:
        """Switch to `run_id` (an action continued in a new branch); `why` says so on screen."""
        if run_id == self.run_id:
            return
        old, self.run_id = self.run_id, run_id
        if why:
            self.notify(
                f"{why}: now on run {short_id(run_id)}. Run {short_id(old)} is unchanged.",
                title="New branch",
                markup=False,
                timeout=8,
            )

    def showing(self) -> bool:
        """On screen: the top screen, or below modal dialogs only."""
        stack = self.app.screen_stack
        if self not in stack:
            return False
        return all(isinstance(s, ModalScreen) for s in stack[stack.index(self) + 1 :])

    # -- rendering ---------------------------------------------------------------------------

    async def show_step(self) -> None:
        """Show the panes of the step on screen, building them if its attempt is new."""
        async with self._rebuild_lock:
            self._update_chrome()
            if self._boxes_run != self.run_id:  # another run now: its panes start afresh
                for old in self._boxes.values():
                    await old.remove()
                self._boxes.clear()
                self._boxes_run = self.run_id
            box = await self._box_for(self.viewed)
            with self.app.batch_update():
                for other in self._boxes.values():
                    other.display = other is box
            self.panes = box.panes
            if any(p.live for p in box.panes) and self._ticker is not None:
                self._ticker.resume()

    async def _box_for(self, name: str, *, hidden: bool = False) -> StepPanes:
        step = self.run.steps[name]
        box = self._boxes.get(name)
        if box is not None and box.key == tuple(step.response_ids) and box.key:
            return box
        if box is not None:
            await box.remove()
        box = self._boxes[name] = StepPanes(step, self.wapp.hub, self._empty_text())
        box.display = not hidden
        await self.query_one("#panes", Container).mount(box)
        return box

    async def _prebuild(self) -> None:
        """Build the other steps' panes while idle, so moving to them is only a toggle."""
        async with self._rebuild_lock:
            for name in self.run.step_order:
                if (
                    self._boxes_run == self.run_id
                    and name not in self._boxes
                    and self.run.steps[name].response_ids
                ):
                    await self._box_for(name, hidden=True)

    def _empty_text(self) -> str:
        if self.step_state.status is StepStatus.PENDING and self.viewed == self.run.current_step:
            return "Starting…" if self.streaming else "This step has not started yet: press r."
        return "Nothing here yet."

    def _update_chrome(self) -> None:
        self.query_one("#run-title", Static).update(title_line(self.run))
        self.query_one(StepBar).show(self.run, self.viewed)
        if not self._descriptions:
            config = self.engine.pipeline_of(self.run).config
            self._descriptions = {s.name: s.description for s in config.steps}
        self.query_one("#guidance", Static).update(
            guidance(self.run, self.viewed, self.streaming, self._descriptions[self.viewed])
        )
        if self.sub_title != f"run {short_id(self.run_id)}":
            self.engine.sessions.remember(self.wapp.session_id, self.run_id)
        self.sub_title = f"run {short_id(self.run_id)}"
        self.refresh_bindings()

    def _tick(self) -> None:
        """One frame: show new text in every live pane (only while this screen is visible)."""
        live = [p for p in self.panes if p.live]
        if not live and self._ticker is not None:
            self._ticker.pause()
            return
        if not self.showing():
            return
        self._frames += 1
        headers = self._frames % HEADER_EVERY == 0
        for pane in live:
            pane.flush()
            if headers:
                pane.refresh_header()

    # -- engine events -----------------------------------------------------------------------

    def engine_event(self, event: Event) -> None:
        """Called by the app for every stored event; work is deferred to this screen's queue."""
        if event.run_id != self.run_id or isinstance(event, ResponseTextAppended):
            return
        self.call_later(self._on_event, event)

    async def _on_event(self, event: Event) -> None:
        if event.run_id != self.run_id:
            return
        self.reload()
        if isinstance(event, ResponseFinished):
            found = self.run.response(event.response_id)
            for box in self._boxes.values():
                for pane in box.panes:
                    if found is not None and pane.response.response_id == event.response_id:
                        pane.finish(found)
            self._update_chrome()
            return
        for box in self._boxes.values():
            box.mark_picked(self.run.steps[box.step].selected)
        step, box = getattr(event, "step", None), self._boxes.get(self.viewed)
        if step == self.viewed and (box is None or box.key != tuple(self.step_state.response_ids)):
            await self.show_step()
        else:
            self._update_chrome()

    def stream_ended(self, run_id: str) -> None:
        """The app's worker finished streaming a step of `run_id`."""
        if run_id == self.run_id:
            self.call_later(self._after_stream)

    async def _after_stream(self) -> None:
        self.reload()
        self._update_chrome()
        if self.pending_pick is not None:
            index, self.pending_pick = self.pending_pick, None
            await self.pick(index)
            return
        step = self.step_state
        if step.status is StepStatus.RUNNING and not any(r.usable for r in step.responses.values()):
            self.notify(
                f"No response of '{self.viewed}' has text. r regenerates.", severity="warning"
            )
        if self.run.status is RunStatus.ERROR and self.run.error:
            self.notify(self.run.error, severity="error", markup=False)

    # -- moving on ---------------------------------------------------------------------------

    def start_step(self, run_id: str | None = None, step: str | None = None) -> None:
        """Stream the step on screen (in the app's worker group, so it survives this screen)."""
        self.wapp.stream_step(run_id or self.run_id, step or self.viewed)
        self._update_chrome()

    async def continue_after(self, why: str, new_run: str) -> None:
        """After a pick or an edit: follow a new branch if any, then start the next step."""
        self.follow(new_run, why)
        self.reload()
        if self.run.status is RunStatus.COMPLETED:
            self.viewed = self._default_step(self.run)
            await self.show_step()
            self.notify("Article complete. Press x to export it.", title="Done")
            return
        self.viewed = self._default_step(self.run)
        await self.show_step()
        self.start_step()

    async def open_run(self, run_id: str, why: str | None, *, start: bool = False) -> None:
        """Show another run of the family (a branch just made, or one chosen in the tree)."""
        self.follow(run_id, why)
        self.reload()
        self.viewed = self._default_step(self.run)
        await self.show_step()
        if start and self.step_state.status is StepStatus.PENDING:
            self.start_step()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        try:
            return self.can(action, parameters)
        except (WriteItError, KeyError):
            return False

    def handle_error(self, exc: WriteItError) -> None:
        self.notify(str(exc), severity="error", markup=False)
        self.reload()
        self._update_chrome()
