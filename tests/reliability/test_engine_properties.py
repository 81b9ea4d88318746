"""Random sequences of engine actions (legal and not) never break the state machines or the store.

After every action: each status change any event made is one the tables in
`writeit.domain.status` allow; the state rebuilt from the log (`store.replay`) equals the live
state (`store.load_run`) and every derived key agrees (`check_store`); and an action that was
refused raised a WriteItError (never anything else) and, when it is refused outright, wrote
nothing at all. Streams run in the background while other actions happen, as in the TUI.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stores import open_engine

from writeit.domain.errors import WriteItError
from writeit.domain.events import (
    Event,
    ResponseFinished,
    ResponsePicked,
    ResponseTextAppended,
    RunStatusChanged,
)
from writeit.domain.fold import apply
from writeit.domain.models import PipelineRun
from writeit.domain.status import (
    RESPONSE_TRANSITIONS,
    RUN_TRANSITIONS,
    STEP_TRANSITIONS,
    ResponseStatus,
    RunStatus,
    StepStatus,
)
from writeit.engine import Engine
from writeit.storage.store import Store, utcnow

from .support import check_store

DONE = {StepStatus.COMPLETED, StepStatus.SKIPPED}
STATS = {"examples": 0, "actions": 0, "refused": 0, "events": 0, "transitions": 0}

run_idx = st.integers(min_value=0, max_value=7)
step_sel = st.one_of(st.none(), st.integers(min_value=0, max_value=4))  # 4 is no step at all
ACTION = st.one_of(
    st.tuples(st.just("start"), st.sampled_from(["tech-article", "blog-post"])),
    st.tuples(st.just("run_step"), run_idx, step_sel),
    st.tuples(st.just("stream"), run_idx, st.integers(min_value=0, max_value=6)),
    st.tuples(st.just("settle")),
    st.tuples(st.just("cancel"), run_idx),
    st.tuples(st.just("pick"), run_idx, st.integers(min_value=-1, max_value=3), step_sel),
    st.tuples(st.just("edit"), run_idx, step_sel, st.sampled_from(["merged text", "  "])),
    st.tuples(st.just("regenerate"), run_idx, step_sel, st.sampled_from([None, "more punch"])),
    st.tuples(st.just("branch"), run_idx, step_sel),
    st.tuples(st.just("archive"), run_idx),
    st.tuples(st.just("error"), run_idx),
    st.tuples(st.just("raw_status"), run_idx, st.sampled_from(list(RunStatus))),
    st.tuples(st.just("raw_text"), run_idx, step_sel, st.integers(min_value=0, max_value=50)),
    st.tuples(
        st.just("raw_finish"),
        run_idx,
        step_sel,
        st.integers(min_value=0, max_value=50),
        st.sampled_from(list(ResponseStatus)),
    ),
    st.tuples(st.just("raw_pick"), run_idx, step_sel, st.integers(min_value=0, max_value=50)),
)
# Actions that never await: if refused, the store must be exactly as before.
ATOMIC = {"pick", "edit", "branch", "archive", "error", "start"} | {
    a for a in ("raw_status", "raw_text", "raw_finish", "raw_pick")
}


def statuses(run: PipelineRun) -> dict[str, Any]:
    return {
        "run": run.status,
        "steps": {n: s.status for n, s in run.steps.items()},
        "responses": {rid: r.status for s in run.steps.values() for rid, r in s.responses.items()},
    }


def check_transitions(events: list[Event]) -> int:
    """Fold the log one event at a time; every status change must be in the tables."""
    state: PipelineRun | None = None
    seen = 0
    for event in events:
        before = statuses(state) if state is not None else None
        state = apply(state, event)
        if before is None:
            continue
        after = statuses(state)
        pairs = [(before["run"], after["run"], RUN_TRANSITIONS)]
        pairs += [(before["steps"][n], st_, STEP_TRANSITIONS) for n, st_ in after["steps"].items()]
        pairs += [
            (before["responses"][rid], st_, RESPONSE_TRANSITIONS)
            for rid, st_ in after["responses"].items()
            if rid in before["responses"]
        ]
        for old, new, table in pairs:
            if old is not new:
                seen += 1
                assert new in table[old], f"event {event.seq} ({event.type}): {old} -> {new}"
        if before["run"] is RunStatus.COMPLETED:
            assert after["run"] is RunStatus.COMPLETED, "completed is terminal"
        if after["run"] is RunStatus.COMPLETED:
            unfinished = [n for n, s in after["steps"].items() if s not in DONE]
            assert not unfinished, (
                f"event {event.seq} ({event.type}) completed the run with {unfinished} not done"
            )
    return seen


@dataclass
class World:
    engine: Engine
    store: Store
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    def runs(self) -> list[str]:
        return list(reversed(self.store.recent_run_ids()))

    def run(self, i: int) -> PipelineRun | None:
        ids = self.runs()
        return self.store.load_run(ids[i % len(ids)]) if ids else None

    def items(self) -> dict[bytes, bytes]:
        with self.store.env.begin() as txn:
            return {bytes(k): bytes(v) for k, v in txn.cursor()}

    def all_responses(self) -> list[str]:
        return sorted(
            k.decode().split(":", 1)[1] for k in self.store.keys_with_prefix(b"response:")
        )

    async def settle(self) -> None:
        results = await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()
        for r in results:
            assert not isinstance(r, BaseException) or isinstance(r, WriteItError), repr(r)


def step_of(run: PipelineRun, sel: int | None) -> str | None:
    if sel is None:
        return run.current_step
    return run.step_order[sel] if sel < len(run.step_order) else "no-such-step"


async def act(w: World, action: tuple[Any, ...]) -> None:
    kind = action[0]
    e = w.engine
    if kind == "start":
        e.start_run(action[1], {"topic": "property testing"})
        return
    if kind == "settle":
        await w.settle()
        return
    run = w.run(action[1])
    if run is None:
        return
    rid = run.run_id
    if kind == "run_step":
        await e.run_step(rid, step_of(run, action[2]))
    elif kind == "stream":
        w.tasks.append(asyncio.create_task(e.run_step(rid)))
        for _ in range(action[2]):
            await asyncio.sleep(0)
    elif kind == "cancel":
        e.cancel(rid)
        await w.settle()
    elif kind == "pick":
        e.pick(rid, action[2], step=step_of(run, action[3]))
    elif kind == "edit":
        e.edit(rid, action[3], step=step_of(run, action[2]))
    elif kind == "regenerate":
        await e.regenerate(rid, step=step_of(run, action[2]), feedback=action[3])
    elif kind == "branch":
        e.branch(rid, step_of(run, action[2]) or "angles")
    elif kind == "archive":
        e.archive(rid)
    elif kind == "error":
        e.mark_error(rid, "every response failed")
    else:
        raw(w, run, action)


def raw(w: World, run: PipelineRun, action: tuple[Any, ...]) -> None:
    """Events appended straight to the store, as a buggy or hostile caller might."""
    kind = action[0]
    base = {"run_id": run.run_id, "at": utcnow()}
    event: Event
    if kind == "raw_status":
        w.store.append(RunStatusChanged(**base, status=action[2]))
        return
    step = step_of(run, action[2]) or "angles"
    # Often not this run's or this step's; odd draws prefer a response still streaming,
    # which the store would otherwise happily append to under the wrong run.
    every = w.all_responses()
    live = [rid for _, _, rid, _ in w.store.active_responses()]
    pool = live if live and action[3] % 2 else every
    if not pool:
        return
    response_id = pool[action[3] // 2 % len(pool)]
    if kind == "raw_text":
        event = ResponseTextAppended(**base, step=step, response_id=response_id, text="x ")
    elif kind == "raw_finish":
        event = ResponseFinished(**base, step=step, response_id=response_id, status=action[4])
    else:
        target = run.steps.get(step)
        ids = target.response_ids if target else []
        event = ResponsePicked(
            **base,
            step=step,
            response_id=response_id,
            index=ids.index(response_id) if response_id in ids else 0,
            candidates=ids,
            shown_order=ids,
        )
    w.store.append(event)


def verify(w: World) -> None:
    runs = check_store(w.store)  # replay == load_run, derived keys, dense logs
    for run_id in runs:
        events = w.store.events(run_id)
        STATS["events"] += len(events)
        STATS["transitions"] += check_transitions(events)


async def scenario(home: Path, actions: list[tuple[Any, ...]]) -> None:
    engine, store = open_engine(home)  # raw events go to the store the engine runs over
    w = World(engine, store)
    try:
        engine.start_run("tech-article", {"topic": "property testing"})
        for action in actions:
            STATS["actions"] += 1
            before = w.items() if action[0] in ATOMIC else None
            try:
                await act(w, action)
            except WriteItError:
                STATS["refused"] += 1
                if before is not None:
                    assert w.items() == before, f"{action} was refused but wrote to the store"
            verify(w)
        await w.settle()
        verify(w)
    finally:
        for t in w.tasks:
            t.cancel()
        engine.close()


@settings(
    max_examples=150,
    deadline=None,
    stateful_step_count=30,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(ACTION, min_size=6, max_size=30))
def test_random_engine_actions_keep_every_invariant(actions: list[tuple[Any, ...]]) -> None:
    STATS["examples"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(scenario(Path(tmp) / "home", actions))


def test_report_property_counts() -> None:
    print(f"\nengine property test: {STATS}")
