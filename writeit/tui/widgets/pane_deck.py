"""Every step's panes of one run, built once and toggled: only the step on screen is displayed.

Moving between steps is a toggle, so `left`/`right` answer at once, and a step still streaming
keeps its panes (and their text) while another is on screen. The deck's frame timer shows new
tokens 20 times a second (a stream is read as often: see `providers.sdk_base`), and only
while its screen is visible.
"""

from __future__ import annotations

from textual.containers import Container
from textual.screen import ModalScreen
from textual.timer import Timer

from writeit.domain.models import AIResponse, PipelineRun, StepState
from writeit.tui.live import StreamHub
from writeit.tui.widgets.response_pane import ResponsePane
from writeit.tui.widgets.step_panes import StepPanes, panes_key

FPS = 20
HEADER_EVERY = 8  # frames between header refreshes (tokens, tok/s) while streaming


class PaneDeck(Container):
    def __init__(self, hub: StreamHub, *, blind: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.hub = hub
        self.blind = blind  # model names hidden until each step is picked
        self.boxes: dict[str, StepPanes] = {}
        self.panes: list[ResponsePane] = []
        self.show_reasoning = False
        self._frames = 0
        self._ticker: Timer | None = None

    def on_mount(self) -> None:
        self._ticker = self.set_interval(1 / FPS, self._tick, pause=True)

    async def show(
        self, run: PipelineRun, step: str, empty: str, view: StepState | None = None
    ) -> None:
        """Display `step`'s panes, building them if its attempt (or its edit) is new; `view`
        shows part of the step instead (one section of a section step)."""
        box = await self._box_for(run, step, empty, view=view)
        if view is not None:
            box.mark_picked(view.selected)
        with self.app.batch_update():
            for other in self.boxes.values():
                other.display = other is box
        self.panes = box.panes
        if self._ticker is not None and any(p.live for b in self.boxes.values() for p in b.panes):
            self._ticker.resume()

    async def prebuild(self, run: PipelineRun) -> None:
        """Build the other steps' panes while idle, so moving to them is only a toggle.

        A hidden pane has no width, so its text would be drawn as Markdown in the frame that
        first shows it (the slowest `left` of the render bench); panes laid out like the ones
        on screen get their width now and draw while idle.
        """
        for name in run.step_order:
            step = run.steps[name]
            if name not in self.boxes and step.response_ids and not step.sections:
                await self._box_for(run, name, "", hidden=True)
        self._prepare_hidden()

    def on_markdown_view_sized(self) -> None:
        """A pane on screen got its width: draw the hidden steps laid out like it."""
        self._prepare_hidden()

    def _prepare_hidden(self) -> None:
        shown = next((b for b in self.boxes.values() if b.display), None)
        if shown is None or not shown.text_width:
            return  # nothing on screen is laid out yet
        for box in self.boxes.values():
            if not box.display and box.count == shown.count:
                box.prepare(shown.text_width)

    async def _box_for(
        self,
        run: PipelineRun,
        name: str,
        empty: str,
        *,
        hidden: bool = False,
        view: StepState | None = None,
    ) -> StepPanes:
        step = view or run.steps[name]
        box = self.boxes.get(name)
        if box is not None and box.key == panes_key(step) and step.response_ids:
            return box
        if box is not None:
            focused = self.screen.focused
            if focused is not None and box in focused.ancestors_with_self:
                self.screen.set_focus(None)  # never leave focus on a removed widget
            del self.boxes[name]
            await box.remove()
        box = self.boxes[name] = StepPanes(step, self.hub, empty, blind=self.blind)
        for pane in box.panes:
            pane.show_reasoning = self.show_reasoning
        box.display = not hidden
        await self.mount(box)
        return box

    def finish(self, response: AIResponse) -> None:
        """A stream ended: its pane shows the stored final text and numbers (and, the
        step's last, which responses are identical)."""
        for box in self.boxes.values():
            for pane in box.panes:
                if pane.response.response_id == response.response_id:
                    pane.finish(response)
                    box.flag_twins()

    def toggle_reasoning(self) -> bool:
        """Show (or collapse) every pane's reasoning; returns whether it is now shown."""
        self.show_reasoning = not self.show_reasoning
        for box in self.boxes.values():
            for pane in box.panes:
                pane.toggle_reasoning(self.show_reasoning)
        return self.show_reasoning

    def toggle_blind(self) -> bool:
        """Blind mode on or off for every step's panes; returns whether it is now on."""
        self.blind = not self.blind
        for box in self.boxes.values():
            box.set_blind(self.blind)
        return self.blind

    def mark_picked(self, run: PipelineRun) -> None:
        for box in self.boxes.values():
            if not run.steps[box.step].sections:  # a section's box is marked when shown
                box.mark_picked(run.steps[box.step].selected)

    def _visible(self) -> bool:
        """On screen: our screen is on top, or below modal dialogs only."""
        stack = self.app.screen_stack
        if self.screen not in stack:
            return False
        above = stack[stack.index(self.screen) + 1 :]
        return all(isinstance(s, ModalScreen) for s in above)

    def _live_elsewhere(self) -> list[ResponsePane]:
        """Streaming panes of the steps not on screen."""
        return [p for box in self.boxes.values() if not box.display for p in box.panes if p.live]

    def _tick(self) -> None:
        """One frame: show new text in every live pane (only while the screen is visible).

        A step streaming off screen takes its text every `HEADER_EVERY` frames too, so going
        back to it shows at once instead of drawing seconds of text in the keypress's frame.
        Those refreshes are spread over the frames in between (pane k's header on its own
        frame, the steps off screen on another): on one frame together they made it several
        times slower than the rest, and a key pressed then waited for it.
        """
        live = [p for p in self.panes if p.live]
        elsewhere = self._live_elsewhere()
        if not live and not elsewhere and self._ticker is not None:
            self._ticker.pause()
            return
        if not self._visible():
            return
        self._frames += 1
        phase = self._frames % HEADER_EVERY
        for k, pane in enumerate(live):
            pane.flush()
            if phase == k * 2 % HEADER_EVERY:
                pane.refresh_header()
        if phase == HEADER_EVERY - 1:
            for pane in elsewhere:
                pane.flush()
