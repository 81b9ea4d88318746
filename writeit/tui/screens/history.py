"""History: a run's event log; the highlighted event shows the run's state right after it.

In blind mode the log keeps the run screen's secret: a step not picked yet names no model
(neither in its events nor in the state after them), and responses are numbered as their panes
are, in the step's display order.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.timer import Timer
from textual.widgets import DataTable, Static

from writeit.domain.compare import display_order
from writeit.domain.errors import WriteItError
from writeit.domain.events import (
    Event,
    FeedbackGiven,
    ResponseFinished,
    ResponsePicked,
    ResponseTextAppended,
    RunCreated,
    RunStatusChanged,
    StepEdited,
    StepStarted,
)
from writeit.domain.models import PipelineRun
from writeit.domain.status import StepStatus
from writeit.tui.screens.base import WriteItScreen
from writeit.tui.text import plain, short_id, step_summary, when
from writeit.tui.widgets.key_bar import KeyBar

SNIPPET = 400


def hidden_steps(run: PipelineRun, blind: bool) -> frozenset[str]:
    """The steps whose models blind mode still hides: those not done (picked or edited) yet,
    as the run screen's panes decide."""
    if not blind:
        return frozenset()
    return frozenset(n for n, s in run.steps.items() if s.status is not StepStatus.COMPLETED)


def describe(event: Event, hidden: frozenset[str] = frozenset()) -> str:
    """A few words on what an event did (no model named for a step in `hidden`)."""
    blind = getattr(event, "step", None) in hidden
    if isinstance(event, RunCreated):
        where = f" (branch of {short_id(event.parent_run_id)} at {event.branch_point})"
        return f"{event.pipeline}{where if event.parent_run_id else ''}"
    if isinstance(event, StepStarted) and blind:
        return f"{len(event.responses)} models (hidden until you pick)"
    if isinstance(event, StepStarted):
        return ", ".join(f"{r.provider}:{r.model}" for r in event.responses)
    if isinstance(event, ResponseTextAppended):
        return f"+{len(event.text)} chars"
    if isinstance(event, ResponseFinished):
        return f"{event.status.value}, {event.usage.output_tokens} tok"
    if isinstance(event, ResponsePicked) and event.response_id in event.shown_order:
        return f"picked response {event.shown_order.index(event.response_id) + 1}"  # as shown
    if isinstance(event, ResponsePicked):
        return f"picked response {event.index + 1}"
    if isinstance(event, StepEdited) and event.provenance and blind:
        return f"stitched {len(event.provenance)} paragraphs"
    if isinstance(event, StepEdited) and event.provenance:
        models = sorted({p.model for p in event.provenance if p.model})
        return f"stitched {len(event.provenance)} paragraphs from {', '.join(models) or 'you'}"
    if isinstance(event, StepEdited):
        return f"{len(event.content)} chars went forward"
    if isinstance(event, FeedbackGiven):
        return event.feedback[:60]
    if isinstance(event, RunStatusChanged):
        return event.status.value
    return ""


def state_text(run: PipelineRun, seq: int, hidden: frozenset[str] = frozenset()) -> Text:
    """The run after event `seq`: every step, what went forward, and each response's status,
    numbered as the panes show them (models of steps in `hidden` left out)."""
    text = Text.assemble(
        (f"After event {seq}", "bold"),
        f"\nrun {run.status.value} · current step {run.current_step}\n",
    )
    for step in run.ordered_steps():
        text.append(f"\n{step_summary(step)}\n", style="bold")
        shown = [step.responses[r] for r in display_order(step.response_ids) if r in step.responses]
        for i, r in enumerate(shown):
            model = "model hidden" if step.name in hidden else r.model_ref
            text.append(f"  {i + 1}. {model}: {r.status.value}, {len(r.content)} chars\n")
        if step.feedback:
            text.append("  feedback: ", style="dim")
            text.append_text(plain(step.feedback + "\n"))
        if step.content:
            snippet = step.content[:SNIPPET] + ("…" if len(step.content) > SNIPPET else "")
            text.append_text(plain(snippet + "\n", "italic"))
    return text


class HistoryScreen(WriteItScreen[None]):
    """Read-only time travel through the engine's `history` and `state_at`."""

    TITLE = "History"
    HELP = "Every event of the run, oldest first. Move through them to see the state after each."
    BINDINGS = [Binding("escape", "back", "Back", id="history_back")]

    def __init__(self, run_id: str, *, blind: bool = False) -> None:
        super().__init__()
        self.run_id = run_id
        self.hidden = hidden_steps(self.engine.load(run_id), blind)
        self._pending: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text(f"History of run {short_id(self.run_id)}", style="bold"))
        with Horizontal(id="history"):
            yield DataTable(id="events", cursor_type="row")
            with VerticalScroll(id="state"):
                yield Static(id="state-text")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("#", "Time", "Event", "Step", "What")
        for event in self.engine.history(self.run_id):
            table.add_row(
                str(event.seq),
                when(event.at),
                event.type,
                getattr(event, "step", "") or "",
                plain(describe(event, self.hidden)),
                key=str(event.seq),
            )
        table.focus()
        if table.row_count:
            table.move_cursor(row=table.row_count - 1)

    @on(DataTable.RowHighlighted, "#events")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        seq = int(event.row_key.value or 0)
        if self._pending is not None:
            self._pending.stop()
        self._pending = self.set_timer(0.08, lambda: self._show(seq))

    def _show(self, seq: int) -> None:
        try:
            run = self.engine.state_at(self.run_id, seq)
        except WriteItError as exc:
            self.query_one("#state-text", Static).update(plain(str(exc)))
            return
        self.query_one("#state-text", Static).update(state_text(run, seq, self.hidden))

    def action_back(self) -> None:
        self.app.pop_screen()
