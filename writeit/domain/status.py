"""Status state machines of runs, steps and responses, with their legal transitions."""

from __future__ import annotations

from enum import StrEnum

from writeit.domain.errors import IllegalTransition


class RunStatus(StrEnum):
    INITIALIZING = "initializing"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    ERROR = "error"


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    SKIPPED = "skipped"


class ResponseStatus(StrEnum):
    STREAMING = "streaming"
    COMPLETED = "completed"
    TRUNCATED = "truncated"  # stopped at the token limit; still pickable
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


RUN_TRANSITIONS: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.INITIALIZING: frozenset({RunStatus.RUNNING, RunStatus.ERROR}),
    RunStatus.RUNNING: frozenset({RunStatus.PAUSED, RunStatus.COMPLETED, RunStatus.ERROR}),
    RunStatus.PAUSED: frozenset({RunStatus.RUNNING, RunStatus.ERROR}),
    RunStatus.ERROR: frozenset({RunStatus.RUNNING}),
    RunStatus.COMPLETED: frozenset(),
}

STEP_TRANSITIONS: dict[StepStatus, frozenset[StepStatus]] = {
    StepStatus.PENDING: frozenset({StepStatus.RUNNING, StepStatus.SKIPPED}),
    StepStatus.RUNNING: frozenset({StepStatus.COMPLETED, StepStatus.PENDING}),
    StepStatus.COMPLETED: frozenset({StepStatus.RUNNING}),
    StepStatus.SKIPPED: frozenset({StepStatus.RUNNING}),
}

RESPONSE_TRANSITIONS: dict[ResponseStatus, frozenset[ResponseStatus]] = {
    ResponseStatus.STREAMING: frozenset(
        {
            ResponseStatus.COMPLETED,
            ResponseStatus.TRUNCATED,
            ResponseStatus.FAILED,
            ResponseStatus.CANCELLED,
            ResponseStatus.INTERRUPTED,
        }
    ),
    ResponseStatus.COMPLETED: frozenset(),
    ResponseStatus.TRUNCATED: frozenset(),
    ResponseStatus.FAILED: frozenset(),
    ResponseStatus.CANCELLED: frozenset(),
    ResponseStatus.INTERRUPTED: frozenset(),
}


def check_run(current: RunStatus, new: RunStatus) -> None:
    """Raise IllegalTransition unless a run may go from `current` to `new`."""
    if new not in RUN_TRANSITIONS[current]:
        raise IllegalTransition(f"a run cannot go from {current} to {new}")


def check_step(name: str, current: StepStatus, new: StepStatus) -> None:
    """Raise IllegalTransition unless step `name` may go from `current` to `new`."""
    if new not in STEP_TRANSITIONS[current]:
        raise IllegalTransition(f"step '{name}' cannot go from {current} to {new}")


def check_response(current: ResponseStatus, new: ResponseStatus) -> None:
    """Raise IllegalTransition unless a response may go from `current` to `new`."""
    if new not in RESPONSE_TRANSITIONS[current]:
        raise IllegalTransition(f"a response cannot go from {current} to {new}")
