"""The rulebook: what the writer may do now on a run, and why not when they may not.

One pure function, `rules(run, viewed, streaming)`, answers for every action at once. Key
bindings (`check_action`), the guidance line, the help screen, the command palette and the
engine's guards all read its answer, so no face re-implements a rule and a key that the footer
shows is a key the engine accepts. The fold keeps its own checks: those guard the event log's
integrity against any writer, not the writer's choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from writeit.domain.models import AIResponse, PipelineRun, StepState
from writeit.domain.outline import no_sections, parse_items, parse_sections
from writeit.domain.status import ResponseStatus, RunStatus, StepStatus


class Action(StrEnum):
    """Everything a writer can ask of a run; the TUI's action names and the engine's commands."""

    PICK = "pick"
    EDIT = "edit"
    FEEDBACK = "feedback"
    REGENERATE = "regenerate"
    CANCEL = "cancel"
    BRANCH = "branch"
    PREV_STEP = "prev_step"
    NEXT_STEP = "next_step"
    EXPORT = "export"
    TREE = "tree"
    HISTORY = "history"
    MOVE = "move"  # between the items of an item step, or the sections of a section step
    ACCEPT_ALL = "accept_all"  # the first completed response of every section still open


# Actions that change what goes forward from a step: on a step whose later steps started (or in
# a completed run) they continue in a new branch, so the past is never rewritten.
CHANGES = frozenset(
    {Action.PICK, Action.EDIT, Action.FEEDBACK, Action.REGENERATE, Action.ACCEPT_ALL}
)


class StepView(StrEnum):
    """Where the step on screen is, from the writer's side."""

    STREAMING = "streaming"
    CHOOSE = "choose"  # responses are in: pick, edit, give feedback or regenerate
    NO_TEXT = "no text"  # every response ended without usable text
    DONE = "done"  # picked or edited; later steps build on it
    COMPLETE = "complete"  # the run's last step is done: the article is finished
    NOT_STARTED = "not started"  # the run's current step, waiting to be started
    NOT_REACHED = "not reached"  # an earlier step is not finished yet


@dataclass(frozen=True)
class Facts:
    """What the guidance line says about the step on screen."""

    view: StepView
    responses: int
    streaming: int
    picked: int | None  # 0-based index of the picked response, if the step was picked
    edited: bool  # the text that went forward was written or merged by the writer
    interrupted: bool  # some responses were cut off by a crash (their text is kept)
    truncated: bool  # some responses stopped at the token limit
    waiting_on: str | None  # the unfinished step to finish first (NOT_REACHED)
    branches: bool  # changing this step continues in a new branch


@dataclass(frozen=True)
class Rules:
    """The rulebook's answer for one run, one viewed step and whether the run streams."""

    step: str
    refused: dict[Action, str]
    pick_refused: dict[int, str]
    pickable: tuple[int, ...]
    facts: Facts
    branches: frozenset[Action] = field(default_factory=frozenset)
    cancel_first: bool = False  # picking now first cancels the responses still streaming
    section: int | None = None  # on a section step: the section whose responses `pickable` counts
    items: dict[int, int] = field(default_factory=dict)  # item step: response -> its item count

    def allows(
        self, action: Action | str, index: int | None = None, item: int | None = None
    ) -> bool:
        return self.why_not(action, index, item) is None

    def why_not(
        self, action: Action | str, index: int | None = None, item: int | None = None
    ) -> str | None:
        """None when allowed; otherwise one sentence saying why not (shown to the writer)."""
        try:
            action = Action(action)
        except ValueError:
            return f"unknown action '{action}'"
        if action in self.refused:
            return self.refused[action]
        if action is Action.PICK and index is not None and index not in self.pickable:
            return self.pick_refused.get(index, f"there is no response {index + 1}")
        if action is Action.PICK and index is not None and item is not None:
            count = self.items.get(index, 0)
            if not 0 <= item < count:
                listed = f"it lists {count}" if count else "it has no list; pick it whole"
                return f"response {index + 1} has no item {item + 1} ({listed})"
        return None

    def continues_in_branch(self, action: Action) -> bool:
        return action in self.branches


def rules(
    run: PipelineRun,
    viewed: str | None = None,
    streaming: bool = False,
    *,
    section: int | None = None,
    item_step: bool = False,
    sections_of: str | None = None,
) -> Rules:
    """What may be done on `run` with step `viewed` on screen (default: the current step).

    `streaming` says whether this process streams a step of the run right now; responses
    another process streams show as `streaming` in the run itself. On a section step, picks
    count within `section` (default: the first section still open); on an item step
    (`item_step`), a pick may name an item of the response's list. A section step
    (`sections_of` names its source) cannot start while its source has no level-2 heading.
    """
    order = run.step_order
    name = viewed or run.current_step or order[-1]
    step = run.steps[name]
    if step.sections:
        open_ = [i for i, s in enumerate(step.sections) if not s.picked]
        if section is None or not 0 <= section < len(step.sections):
            section = open_[0] if open_ else 0
    else:
        section = None
    index = order.index(name)
    earlier = _first_unfinished(run, order[:index])
    busy = streaming or step.streaming
    branches = run.status is RunStatus.COMPLETED or run.later_steps_started(name)
    refused: dict[Action, str] = {}

    if index == 0:
        refused[Action.PREV_STEP] = "this is the first step"
    if index == len(order) - 1:
        refused[Action.NEXT_STEP] = "this is the last step"
    if not streaming:
        refused[Action.CANCEL] = "nothing is streaming"

    wait = "wait for streaming to end, or cancel it"
    if streaming or run.steps_streaming():
        refused[Action.BRANCH] = f"{wait} before branching"
    elif earlier is not None:
        refused[Action.BRANCH] = f"finish '{earlier}' before branching from '{name}'"

    if earlier is not None:
        blocked = f"finish '{earlier}' first"
        for action in CHANGES:
            refused[action] = blocked
    elif busy:
        for action in (Action.EDIT, Action.FEEDBACK, Action.REGENERATE):
            refused[action] = wait
    else:
        if step.attempt == 0 and step.status is StepStatus.PENDING:
            refused[Action.FEEDBACK] = "this step has no responses yet to give feedback on"
        if not _editable(step):
            refused[Action.EDIT] = "there is no text to edit yet"
        elif any(not s.picked for s in step.sections):
            # An edit replaces the step's whole text; a section's own text comes from a pick.
            refused[Action.EDIT] = "pick every section first; then the whole text can be edited"
        if sections_of is not None and not step.sections:
            source = run.steps[sections_of].content or ""
            if not parse_sections(source):
                refused[Action.REGENERATE] = no_sections(name, sections_of)

    pick_refused: dict[int, str] = {}
    pickable: list[int] = []
    responses = step.ordered_responses() if section is None else step.section_responses(section)
    if streaming and name != run.current_step:
        refused[Action.PICK] = wait
    if earlier is None and Action.PICK not in refused:
        for i, r in enumerate(responses):
            reason = _pick_refusal(r, i)
            if reason is None:
                pickable.append(i)
            else:
                pick_refused[i] = reason
        if not pickable:
            refused[Action.PICK] = _no_pick(step)
    facts = _facts(run, name, step, earlier, streaming, branches)
    # On a section step only the section's own streams stand in the way of its pick: the
    # writer picks each section as soon as its responses are in, while others still stream.
    held = busy if section is None else any(not r.finished for r in responses)
    cancel_first = held and bool(pickable)
    if held and not streaming:
        # Another process streams this step: its picks are its own until it finishes.
        refused[Action.PICK] = "another WriteIt process is streaming this step"
        pickable, cancel_first = [], False
    refused.update(_structure_refusals(step, earlier, item_step, busy))
    return Rules(
        step=name,
        refused=refused,
        pick_refused=pick_refused,
        pickable=tuple(pickable),
        facts=facts,
        branches=frozenset(a for a in CHANGES if branches and a not in refused),
        cancel_first=cancel_first,
        section=section,
        items=_item_counts(responses) if item_step else {},
    )


def _structure_refusals(
    step: StepState, earlier: str | None, item_step: bool, busy: bool
) -> dict[Action, str]:
    """Moving between items or sections, and accepting every open section at once."""
    out: dict[Action, str] = {}
    if not (item_step or step.sections):
        out[Action.MOVE] = "this step offers no items or sections to move between"
    if not step.sections:
        out[Action.ACCEPT_ALL] = "only a step drafted per section can accept every section"
    elif busy:
        out[Action.ACCEPT_ALL] = "wait for streaming to end, or cancel it"
    elif earlier is not None:
        out[Action.ACCEPT_ALL] = f"finish '{earlier}' first"
    elif not any(
        not s.picked
        and any(r.status is ResponseStatus.COMPLETED for r in step.section_responses(i))
        for i, s in enumerate(step.sections)
    ):
        out[Action.ACCEPT_ALL] = "no open section has a completed response yet"
    return out


def _item_counts(responses: list[AIResponse]) -> dict[int, int]:
    return {i: len(parse_items(r.content)) for i, r in enumerate(responses) if r.usable}


def _first_unfinished(run: PipelineRun, names: list[str]) -> str | None:
    done = (StepStatus.COMPLETED, StepStatus.SKIPPED)
    return next((n for n in names if run.steps[n].status not in done), None)


def _editable(step: StepState) -> bool:
    if step.status is StepStatus.COMPLETED and step.content is not None:
        return True
    return any(r.usable for r in step.responses.values())


def _pick_refusal(response: AIResponse, index: int) -> str | None:
    if response.status is ResponseStatus.STREAMING:
        return f"response {index + 1} is still streaming"
    if not response.usable:
        return f"response {index + 1} is {response.status.value} with no text to pick"
    return None


def _no_pick(step: StepState) -> str:
    if step.status is StepStatus.PENDING:
        return "this step has not started yet"
    if not step.response_ids:
        return "this step has no responses"
    return "no response has text to pick"


def _facts(
    run: PipelineRun,
    name: str,
    step: StepState,
    earlier: str | None,
    streaming: bool,
    branches: bool,
) -> Facts:
    responses = step.ordered_responses()
    live = sum(1 for r in responses if r.status is ResponseStatus.STREAMING)
    view: StepView
    if earlier is not None and step.status is StepStatus.PENDING:
        view = StepView.NOT_REACHED
    elif live or (streaming and name == run.current_step and step.status is StepStatus.PENDING):
        view = StepView.STREAMING
    elif step.status is StepStatus.COMPLETED:
        last = name == run.step_order[-1]
        view = StepView.COMPLETE if last and run.status is RunStatus.COMPLETED else StepView.DONE
    elif step.status is StepStatus.PENDING:
        view = StepView.NOT_STARTED
    elif any(r.usable for r in responses):
        view = StepView.CHOOSE
    else:
        view = StepView.NO_TEXT
    return Facts(
        view=view,
        responses=len(responses),
        streaming=live,
        picked=step.selected if step.status is StepStatus.COMPLETED else None,
        edited=step.status is StepStatus.COMPLETED and step.selected is None,
        interrupted=any(r.status is ResponseStatus.INTERRUPTED for r in responses),
        truncated=any(r.status is ResponseStatus.TRUNCATED for r in responses),
        waiting_on=earlier,
        branches=branches,
    )


def run_state(run: PipelineRun, streaming: bool = False) -> str:
    """A truthful word or two for where a run is (lists, titles, `writeit show`).

    The stored status says what the log allows next; this says what the writer would want to
    know: whether something streams, or whether the run waits for them.
    """
    if run.status is RunStatus.COMPLETED:
        return "completed"
    if run.status is RunStatus.ERROR:
        return "error"
    if streaming or run.steps_streaming():
        return "streaming"
    step = run.steps[run.current_step] if run.current_step else None
    if step is None:
        return run.status.value
    if step.status is StepStatus.RUNNING:
        usable = any(r.usable for r in step.responses.values())
        return "waiting for your pick" if usable else "needs a regenerate"
    return f"ready: {step.name} next"
