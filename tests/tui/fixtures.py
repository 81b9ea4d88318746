"""Runs built event by event, for states a live stream would only pass through by chance."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

from stores import store_of

from writeit.domain.events import ResponseStub, ResponseTextAppended, StepStarted
from writeit.engine import Engine

NO_SUCH_PID = 2**22 + 7  # above Linux's largest pid_max: never a live process


def started_step(engine: Engine, topic: str, owner_pid: int, texts: list[str]) -> str:
    """A tech-article run whose first step streamed `texts` (one per offline model) so far.

    The events are appended to the engine's store directly, as the process `owner_pid` would
    have written them (the engine must come from the `engine` fixture or `open_engine`).
    """
    store = store_of(engine)
    run = engine.start_run("tech-article", {"topic": topic})
    stubs = [
        ResponseStub(response_id=str(uuid.uuid4()), provider="offline", model=model)
        for model in ("writer", "editor")
    ]
    store.append(
        StepStarted(
            run_id=run.run_id,
            at=datetime.now(UTC),
            step="angles",
            prompt="Suggest angles",
            responses=stubs,
            owner_pid=owner_pid,
        )
    )
    for stub, text in zip(stubs, texts, strict=True):
        store.append(
            ResponseTextAppended(
                run_id=run.run_id,
                at=datetime.now(UTC),
                step="angles",
                response_id=stub.response_id,
                text=text,
                first_token_s=0.1,
            )
        )
    return run.run_id


def interrupted_run(engine: Engine) -> str:
    """A run whose first step was streaming when its process died, recovered on open."""
    run_id = started_step(engine, "crashes", NO_SUCH_PID, ["1. **A partial angle", "partial angle"])
    engine.recover_interrupted()
    return run_id


def streaming_run(engine: Engine, texts: list[str]) -> str:
    """A run whose first step this very process is streaming (for mid-stream screens)."""
    return started_step(engine, "LMDB", os.getpid(), texts)
