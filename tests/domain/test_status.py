"""Every legal and every illegal transition of the three state machines."""

from __future__ import annotations

import itertools

import pytest

from writeit.domain.errors import IllegalTransition
from writeit.domain.status import (
    RESPONSE_TRANSITIONS,
    RUN_TRANSITIONS,
    STEP_TRANSITIONS,
    ResponseStatus,
    RunStatus,
    StepStatus,
    check_response,
    check_run,
    check_step,
)

RUN_LEGAL = {
    ("initializing", "running"),
    ("initializing", "error"),
    ("running", "paused"),
    ("running", "completed"),
    ("running", "error"),
    ("paused", "running"),
    ("paused", "error"),
    ("error", "running"),
}
STEP_LEGAL = {
    ("pending", "running"),
    ("pending", "skipped"),
    ("running", "completed"),
    ("running", "pending"),
    ("completed", "running"),
    ("skipped", "running"),
}


@pytest.mark.parametrize(("a", "b"), list(itertools.product(RunStatus, RunStatus)))
def test_run_transitions(a: RunStatus, b: RunStatus) -> None:
    if (a.value, b.value) in RUN_LEGAL:
        check_run(a, b)
    else:
        with pytest.raises(IllegalTransition, match=f"from {a} to {b}"):
            check_run(a, b)


@pytest.mark.parametrize(("a", "b"), list(itertools.product(StepStatus, StepStatus)))
def test_step_transitions(a: StepStatus, b: StepStatus) -> None:
    if (a.value, b.value) in STEP_LEGAL:
        check_step("draft", a, b)
    else:
        with pytest.raises(IllegalTransition, match="step 'draft'"):
            check_step("draft", a, b)


@pytest.mark.parametrize(("a", "b"), list(itertools.product(ResponseStatus, ResponseStatus)))
def test_response_transitions(a: ResponseStatus, b: ResponseStatus) -> None:
    legal = a is ResponseStatus.STREAMING and b is not ResponseStatus.STREAMING
    if legal:
        check_response(a, b)
    else:
        with pytest.raises(IllegalTransition):
            check_response(a, b)


def test_tables_cover_every_status() -> None:
    assert set(RUN_TRANSITIONS) == set(RunStatus)
    assert set(STEP_TRANSITIONS) == set(StepStatus)
    assert set(RESPONSE_TRANSITIONS) == set(ResponseStatus)
    assert RUN_TRANSITIONS[RunStatus.COMPLETED] == frozenset()
