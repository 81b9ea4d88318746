"""What each event changes in the derived keys, computed inside the event's write transaction."""

from __future__ import annotations

import json
from typing import Any

from writeit.domain.errors import IllegalTransition, NotFound
from writeit.domain.events import (
    Event,
    ResponseFinished,
    ResponseTextAppended,
    RunCreated,
    StepStarted,
)
from writeit.domain.fold import apply, apply_finished, apply_text
from writeit.domain.models import AIResponse, PipelineRun, StepState
from writeit.domain.status import ResponseStatus
from writeit.storage import keys

Writes = dict[bytes, bytes | None]  # None deletes the key

RUN_SNAPSHOT_EXCLUDE: Any = {"steps": {"__all__": {"responses"}}}
STEP_SNAPSHOT_EXCLUDE: Any = {"responses"}


def dump_run(run: PipelineRun) -> bytes:
    """The `run:` snapshot: the run and its steps, without response bodies."""
    return run.model_dump_json(exclude=RUN_SNAPSHOT_EXCLUDE).encode()


def dump_step(step: StepState) -> bytes:
    return step.model_dump_json(exclude=STEP_SNAPSHOT_EXCLUDE).encode()


def load_run_snapshot(txn: Any, run_id: str) -> PipelineRun | None:
    raw = txn.get(keys.run(run_id))
    return PipelineRun.model_validate_json(raw) if raw is not None else None


def load_responses(txn: Any, step: StepState) -> None:
    """Attach the step's current responses (from their `response:` keys) to `step`."""
    step.responses = {}
    for rid in step.response_ids:
        raw = txn.get(keys.response(rid))
        if raw is not None:
            step.responses[rid] = AIResponse.model_validate_json(raw)


def derive(txn: Any, event: Event) -> Writes:
    """Validate `event` against the stored state and return every derived key it changes."""
    if isinstance(event, ResponseTextAppended | ResponseFinished):
        return _response_event(txn, event)
    if isinstance(event, RunCreated):
        return _run_created(txn, event)
    state = load_run_snapshot(txn, event.run_id)
    if state is None:
        raise NotFound(f"no run {event.run_id}")
    step_name = getattr(event, "step", None)
    if step_name is not None and step_name in state.steps:
        load_responses(txn, state.steps[step_name])
    apply(state, event)
    writes: Writes = {keys.run(event.run_id): dump_run(state)}
    if step_name is not None:
        step = state.steps[step_name]
        writes[keys.step(event.run_id, step_name)] = dump_step(step)
        if isinstance(event, StepStarted):
            writes[keys.step_responses(event.run_id, step_name)] = json.dumps(
                step.response_ids
            ).encode()
            marker = json.dumps(
                {"step": step_name, "pid": event.owner_pid, "started": event.owner_started}
            ).encode()
            for stub in event.responses:
                rid = stub.response_id
                writes[keys.response(rid)] = step.responses[rid].model_dump_json().encode()
                writes[keys.active(event.run_id, rid)] = marker
    return writes


def _response_event(txn: Any, event: ResponseTextAppended | ResponseFinished) -> Writes:
    raw = txn.get(keys.response(event.response_id))
    if raw is None:
        raise NotFound(f"no response {event.response_id}")
    # The fold looks the response up in the event's run and step; so must the store, or it
    # would accept an event that no replay of the log can apply.
    step_raw = txn.get(keys.step(event.run_id, event.step))
    if step_raw is None or event.response_id not in json.loads(step_raw)["response_ids"]:
        raise IllegalTransition(
            f"response {event.response_id[:8]} is not one of step '{event.step}' "
            f"of run {event.run_id[:8]}"
        )
    r = AIResponse.model_validate_json(raw)
    if isinstance(event, ResponseTextAppended):
        apply_text(r, event)
    else:
        apply_finished(r, event)
    writes: Writes = {keys.response(event.response_id): r.model_dump_json().encode()}
    if r.status is not ResponseStatus.STREAMING:
        writes[keys.active(event.run_id, event.response_id)] = None
    return writes


def _run_created(txn: Any, event: RunCreated) -> Writes:
    state = apply(None, event)
    iso = state.created_at.isoformat()
    writes: Writes = {
        keys.run(state.run_id): dump_run(state),
        keys.run_by_config(state.pipeline, iso): state.run_id.encode(),
        keys.recent_runs(iso, state.run_id): state.run_id.encode(),
    }
    for step in state.ordered_steps():
        writes[keys.step(state.run_id, step.name)] = dump_step(step)
        if step.response_ids:
            writes[keys.step_responses(state.run_id, step.name)] = json.dumps(
                step.response_ids
            ).encode()
        for rid, r in step.responses.items():
            if txn.get(keys.response(rid)) is None:  # a branch's copy: the parent's key stays
                writes[keys.response(rid)] = r.model_dump_json().encode()
    if state.parent_run_id:
        writes[keys.branch_parent(state.run_id)] = state.parent_run_id.encode()
        raw = txn.get(keys.branch_children(state.parent_run_id))
        children = json.loads(raw) if raw else []
        children.append(state.run_id)
        writes[keys.branch_children(state.parent_run_id)] = json.dumps(children).encode()
    return writes
