"""Branches, and changing the past: an action on a step whose later steps started goes to a branch.

Everything here only builds events; the engine appends them. An action destined for a new branch
is checked against the branch's state in memory first, so an illegal one writes nothing at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from writeit.domain.errors import IllegalTransition
from writeit.domain.events import Event, RunCreated, RunStatusChanged
from writeit.domain.fold import apply, fold
from writeit.domain.models import PipelineRun, StepState
from writeit.domain.status import RunStatus, StepStatus
from writeit.storage.liveness import Owner

Build = Callable[[PipelineRun, str], Event | None]


def streaming_owner(
    run: PipelineRun, steps: Sequence[str], owners: Mapping[str, Owner]
) -> str | None:
    """Who streams a response of `steps` ("process 4242 is streaming step 'draft'"), if anyone."""
    for name in steps:
        for r in run.steps[name].ordered_responses():
            if not r.finished:
                owner = owners.get(r.response_id)
                who = owner.describe() if owner is not None else "another process"
                return f"{who} is streaming step '{name}' of run {run.run_id[:8]}"
    return None


def refuse_streaming(run: PipelineRun, steps: Sequence[str], owners: Mapping[str, Owner]) -> None:
    """Refuse a branch that would copy a response still streaming, naming who streams it.

    Called inside the write transaction that appends the branch: a copy of a streaming response
    would be frozen in the child's log while the parent's stream goes on changing it.
    """
    streaming = streaming_owner(run, steps, owners)
    if streaming is not None:
        raise IllegalTransition(f"cannot branch: {streaming}; wait for it to finish, then branch")


def branch_events(run: PipelineRun, from_step: str, *, carry: bool, at: datetime) -> list[Event]:
    """A new run whose parent is `run`, with every step before `from_step` copied.

    `carry` also copies `from_step`'s responses, still to choose from (the run is then already
    running), which is how changing the past continues without losing what was streamed.
    """
    index = run.step_order.index(from_step)
    copied = [run.steps[n].model_copy(deep=True) for n in run.step_order[:index]]
    point = run.steps[from_step]
    carried = carry and bool(point.response_ids)
    if carried:
        copied.append(
            StepState(
                name=from_step,
                status=StepStatus.RUNNING,
                prompt=point.prompt,
                response_ids=list(point.response_ids),
                responses={k: v.model_copy(deep=True) for k, v in point.responses.items()},
                feedback=point.feedback,
                attempt=point.attempt,
                sections=[s.model_copy(deep=True) for s in point.sections],  # picks kept
                title=point.title,
            )
        )
    created = RunCreated(
        run_id=str(uuid.uuid4()),
        at=at,
        pipeline=run.pipeline,
        pipeline_sha=run.pipeline_sha,
        step_names=list(run.step_order),
        inputs=dict(run.inputs),
        style=run.style,
        style_sha=run.style_sha,
        parent_run_id=run.run_id,
        branch_point=from_step,
        model_overrides=run.model_overrides,
        copied_steps=copied,
    )
    if not carried:
        return [created]
    running = RunStatusChanged(run_id=created.run_id, at=created.at, status=RunStatus.RUNNING)
    return [created, running]


def plan(run: PipelineRun, step: str, build: Build, *, branch: bool, at: datetime) -> list[Event]:
    """The events that perform `build`'s action on `step`: in this run, or (when the rulebook
    says the action changes the past) in a new branch that carries the step's responses."""
    if not branch:
        action = build(run, step)
        return [action] if action is not None else []
    events = branch_events(run, step, carry=True, at=at)
    child = fold(events)
    assert child is not None
    action = build(child, step)
    if action is not None:
        apply(child, action)  # raises, before anything is written, if the action is illegal
        events.append(action)
    return events
