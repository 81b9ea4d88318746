"""`apply(state, event)`: the one place that says what each event does to a run.

It validates every transition before changing anything, so the store can call it inside a write
transaction and abort cleanly. It updates `state` in place (folding 10,000 events must not copy
the run 10,000 times); callers that need the previous state keep a copy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from writeit.domain.errors import IllegalTransition, WriteItError
from writeit.domain.events import (
    BudgetSet,
    Event,
    FeedbackGiven,
    ResponseFinished,
    ResponsePicked,
    ResponseTextAppended,
    RunArchived,
    RunCreated,
    RunStatusChanged,
    SectionsPlanned,
    StepEdited,
    StepStarted,
    TextFlush,
)
from writeit.domain.models import AIResponse, PipelineRun, StepState
from writeit.domain.sections import pick_item, pick_section, plan_round, start_section
from writeit.domain.status import (
    RunStatus,
    StepStatus,
    check_response,
    check_run,
    check_step,
)


def fold(events: Iterable[Event | TextFlush]) -> PipelineRun | None:
    """Rebuild a run from its events, first to last (as `apply` one by one would).

    Most of a long log is text flushes: each response's flushes are gathered in a list and
    joined into it once, before any other event (the only ones that read a response's text)
    and at the end. Appending to a model field per flush went through pydantic's __setattr__
    three times and copied the text so far every time: half of a 10,000-event replay. A
    replay reads its flushes as `TextFlush` dicts rather than models (see `events.TextFlush`).
    """
    state: PipelineRun | None = None
    pending = _Pending()
    try:
        for event in events:
            if isinstance(event, dict):
                if state is None:  # (a flush read for replay does not name its run)
                    raise IllegalTransition(
                        "the log's first event is a text flush, not run_created"
                    )
                pending.add(
                    state,
                    event["step"],
                    event["response_id"],
                    event["text"],
                    event.get("reasoning", ""),
                    event.get("first_token_s"),
                    event.get("seq", -1),
                )
                continue
            if type(event) is ResponseTextAppended and state is not None:
                pending.add(
                    state,
                    event.step,
                    event.response_id,
                    event.text,
                    event.reasoning,
                    event.first_token_s,
                    event.seq,
                )
                continue
            pending.flush(state)
            state = apply(state, event)
    finally:
        pending.flush(state)
    return state


class _Pending:
    """Text flushes not yet joined into their responses (see `fold`)."""

    def __init__(self) -> None:
        self.texts: dict[tuple[str, str], tuple[AIResponse, list[str], list[str]]] = {}
        self.last_seq: int | None = None

    def add(
        self,
        state: PipelineRun,
        step: str,
        response_id: str,
        text: str,
        reasoning: str,
        first_token_s: float | None,
        seq: int,
    ) -> None:
        entry = self.texts.get((step, response_id))
        if entry is None:
            r = _response(state, step, response_id)
            _check_streaming(r, response_id)  # once: no flush changes a response's status
            entry = self.texts[(step, response_id)] = (r, [r.raw_output], [r.reasoning])
        r, texts, reasonings = entry
        texts.append(text)
        if reasoning:
            reasonings.append(reasoning)
        if r.time_to_first_token_s is None and first_token_s is not None:
            r.time_to_first_token_s = first_token_s
        self.last_seq = seq

    def flush(self, state: PipelineRun | None) -> None:
        if state is None or self.last_seq is None:
            return
        for r, text, reasoning in self.texts.values():
            r.raw_output = r.content = "".join(text)
            if len(reasoning) > 1:
                r.reasoning = "".join(reasoning)
        state.last_seq = self.last_seq
        self.texts.clear()
        self.last_seq = None


def apply(state: PipelineRun | None, event: Event) -> PipelineRun:
    """Apply one event to a run (None before `RunCreated`) and return the run."""
    if isinstance(event, RunCreated):
        if state is not None:
            raise IllegalTransition(f"run {event.run_id} already exists")
        return _created(event)
    if state is None:
        raise IllegalTransition(f"run {event.run_id} has no run_created event")
    _HANDLERS[type(event)](state, event)
    state.last_seq = event.seq
    return state


def _created(e: RunCreated) -> PipelineRun:
    copied = {s.name: s.model_copy(deep=True) for s in e.copied_steps}
    steps = {n: copied.get(n) or StepState(name=n) for n in e.step_names}
    return PipelineRun(
        run_id=e.run_id,
        pipeline=e.pipeline,
        pipeline_sha=e.pipeline_sha,
        parent_run_id=e.parent_run_id,
        branch_point=e.branch_point,
        created_at=e.at,
        current_step=e.branch_point or (e.step_names[0] if e.step_names else None),
        inputs=dict(e.inputs),
        style=e.style,
        style_sha=e.style_sha,
        model_overrides={k: list(v) for k, v in e.model_overrides.items()},
        steps=steps,
        step_order=list(e.step_names),
        last_seq=e.seq,
    )


def _step(state: PipelineRun, name: str) -> StepState:
    try:
        return state.steps[name]
    except KeyError:
        raise WriteItError(f"run {state.run_id[:8]} has no step '{name}'") from None


def _response(state: PipelineRun, step_name: str, response_id: str) -> AIResponse:
    step = _step(state, step_name)
    try:
        return step.responses[response_id]
    except KeyError:
        raise WriteItError(f"step '{step_name}' has no response {response_id[:8]}") from None


_DONE = (StepStatus.COMPLETED, StepStatus.SKIPPED)


def _ensure_past_is_open(state: PipelineRun, step: str) -> None:
    if state.status is RunStatus.COMPLETED:
        raise IllegalTransition(f"run {state.run_id[:8]} is completed; branch to change it")
    if state.later_steps_started(step):
        raise IllegalTransition(f"steps after '{step}' have started; branch to change it")


def _set_run_status(state: PipelineRun, status: RunStatus, error: str | None = None) -> None:
    if state.status is not status:
        check_run(state.status, status)
        state.status = status
    state.error = error


def _on_status(state: PipelineRun, e: RunStatusChanged) -> None:
    check_run(state.status, e.status)
    unfinished = [s.name for s in state.ordered_steps() if s.status not in _DONE]
    if e.status is RunStatus.COMPLETED and unfinished:
        raise IllegalTransition(
            f"run {state.run_id[:8]} cannot complete: step '{unfinished[0]}' is not done"
        )
    state.status = e.status
    state.error = e.error


def _on_archived(state: PipelineRun, e: RunArchived) -> None:
    state.archived = e.archived


def _on_budget(state: PipelineRun, e: BudgetSet) -> None:
    state.budget_usd = e.budget_usd


def _begin_round(state: PipelineRun, name: str) -> StepState:
    """What a step's new round (a fan-out, or a section step's plan) does before its own part."""
    step = _step(state, name)
    _ensure_past_is_open(state, name)
    if step.streaming:
        raise IllegalTransition(f"step '{name}' is still streaming; cancel it first")
    if step.status is not StepStatus.RUNNING:
        check_step(name, step.status, StepStatus.RUNNING)
    _ensure_earlier_done(state, name)
    if state.status is not RunStatus.RUNNING:
        _set_run_status(state, RunStatus.RUNNING)
    step.status = StepStatus.RUNNING
    step.attempt += 1
    step.selected = step.item = step.content = None
    step.sections = []
    step.provenance = []
    step.earlier_response_ids.extend(step.response_ids)
    step.response_ids = []
    step.responses = {}
    state.current_step = name
    return step


def _on_sections_planned(state: PipelineRun, e: SectionsPlanned) -> None:
    step = _begin_round(state, e.step)
    step.prompt = None
    plan_round(step, e)


def _on_step_started(state: PipelineRun, e: StepStarted) -> None:
    if e.section is not None:
        _ensure_past_is_open(state, e.step)
        _ensure_earlier_done(state, e.step)
        if state.status is not RunStatus.RUNNING:
            _set_run_status(state, RunStatus.RUNNING)
        start_section(_step(state, e.step), e)
        state.current_step = e.step
        return
    step = _begin_round(state, e.step)
    step.prompt = e.prompt
    step.response_ids = [r.response_id for r in e.responses]
    for stub in e.responses:
        step.responses[stub.response_id] = AIResponse(
            response_id=stub.response_id,
            provider=stub.provider,
            model=stub.model,
            prompt_used=e.prompt,
            created_at=e.at,
        )


def _ensure_earlier_done(state: PipelineRun, step: str) -> None:
    for earlier in state.step_order[: state.step_order.index(step)]:
        if state.steps[earlier].status not in _DONE:
            raise IllegalTransition(f"step '{earlier}' must be completed before '{step}'")


def _on_feedback(state: PipelineRun, e: FeedbackGiven) -> None:
    step = _step(state, e.step)
    if step.status is StepStatus.PENDING and step.attempt == 0:
        raise IllegalTransition(f"step '{e.step}' has no responses to give feedback on")
    if e.section is None:
        step.feedback = e.feedback
    elif 0 <= e.section < len(step.sections):
        step.sections[e.section].feedback = e.feedback
    else:
        raise IllegalTransition(f"step '{e.step}' has no section {e.section + 1}")


def _on_text(state: PipelineRun, e: ResponseTextAppended) -> None:
    apply_text(_response(state, e.step, e.response_id), e)


def _on_finished(state: PipelineRun, e: ResponseFinished) -> None:
    apply_finished(_response(state, e.step, e.response_id), e)


def apply_text(r: AIResponse, e: ResponseTextAppended) -> None:
    """Append streamed text; the store calls this alone so a flush touches one key."""
    _check_streaming(r, e.response_id)
    r.raw_output += e.text
    r.content = r.raw_output
    r.reasoning += e.reasoning
    if r.time_to_first_token_s is None and e.first_token_s is not None:
        r.time_to_first_token_s = e.first_token_s


def _check_streaming(r: AIResponse, response_id: str) -> None:
    if r.finished:
        raise IllegalTransition(f"response {response_id[:8]} is {r.status}, not streaming")


def apply_finished(r: AIResponse, e: ResponseFinished) -> None:
    """End a response's stream with its final status, text, usage and timings."""
    check_response(r.status, e.status)
    r.raw_output += e.text
    r.content = r.raw_output.strip()
    r.reasoning += e.reasoning
    r.finish_reason = e.finish_reason
    r.status = e.status
    r.error = e.error
    r.usage = e.usage
    r.attempts = e.attempts
    r.cancel_reason = e.cancel_reason
    if e.time_to_first_token_s is not None:
        r.time_to_first_token_s = e.time_to_first_token_s
    r.processing_time_s = e.processing_time_s


def _on_picked(state: PipelineRun, e: ResponsePicked) -> None:
    step = _step(state, e.step)
    _ensure_past_is_open(state, e.step)
    if step.status not in (StepStatus.RUNNING, StepStatus.COMPLETED):
        raise IllegalTransition(f"step '{e.step}' is {step.status}; nothing to pick")
    if e.response_id not in step.response_ids:
        raise IllegalTransition(f"response {e.response_id[:8]} is not one of step '{e.step}'")
    if e.section is not None:
        if pick_section(step, e):
            step.status = StepStatus.COMPLETED
            _advance(state, e.step)
        return
    r = step.responses[e.response_id]
    if not r.usable:
        raise IllegalTransition(f"response {e.index + 1} is {r.status} with no text to pick")
    step.content = pick_item(step, e) if e.item is not None else r.content
    step.item = e.item
    step.provenance = []
    step.status = StepStatus.COMPLETED
    step.selected = e.index
    _advance(state, e.step)


def _on_edited(state: PipelineRun, e: StepEdited) -> None:
    step = _step(state, e.step)
    _ensure_past_is_open(state, e.step)
    if step.status not in (StepStatus.RUNNING, StepStatus.COMPLETED):
        raise IllegalTransition(f"step '{e.step}' is {step.status}; nothing to edit")
    if step.streaming:
        raise IllegalTransition(f"step '{e.step}' is still streaming; cancel it first")
    if not e.content.strip():
        raise WriteItError("edited content is empty")
    step.status = StepStatus.COMPLETED
    step.selected = step.item = None
    step.content = e.content
    step.provenance = list(e.provenance)
    _advance(state, e.step)


def _advance(state: PipelineRun, step: str) -> None:
    nxt = state.next_step_after(step)
    if nxt is None:
        _set_run_status(state, RunStatus.COMPLETED)  # one transition per event: must be running
    else:
        state.current_step = nxt


_HANDLERS: dict[type, Callable[[PipelineRun, Any], None]] = {
    RunStatusChanged: _on_status,
    RunArchived: _on_archived,
    BudgetSet: _on_budget,
    StepStarted: _on_step_started,
    SectionsPlanned: _on_sections_planned,
    FeedbackGiven: _on_feedback,
    ResponseTextAppended: _on_text,
    ResponseFinished: _on_finished,
    ResponsePicked: _on_picked,
    StepEdited: _on_edited,
}
