"""Replay (`Store.replay`, `state_at`, the domain's `fold`) equals applying events one by one.

The fold joins each response's text flushes once instead of per flush; these logs interleave
two streams with reasoning and first-token times so any difference in order, text, reasoning,
timings or `last_seq` shows, at the end and at every point in the middle.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import lmdb
import pytest

from writeit.domain.errors import IllegalTransition
from writeit.domain.events import (
    EVENT_LIST_ADAPTER,
    REPLAY_ADAPTER,
    Event,
    ResponseFinished,
    ResponsePicked,
    ResponseStub,
    ResponseTextAppended,
    RunCreated,
    StepStarted,
)
from writeit.domain.fold import apply, fold
from writeit.domain.models import PipelineRun
from writeit.domain.status import ResponseStatus
from writeit.storage.scan import scan_counted, scan_values
from writeit.storage.store import Store

AT = datetime(2026, 1, 1, tzinfo=UTC)
RUN = "run-replay-0001"


def _log() -> list[Event]:
    ids = ["resp-a", "resp-b"]
    events: list[Event] = [
        RunCreated(run_id=RUN, at=AT, pipeline="p", pipeline_sha="x", step_names=["a", "b"],
                   inputs={"topic": "t"}),
        StepStarted(run_id=RUN, at=AT, step="a", prompt="Write.",
                    responses=[ResponseStub(response_id=r, provider="o", model="m") for r in ids]),
    ]  # fmt: skip
    for i in range(6):
        for k, rid in enumerate(ids):
            events.append(
                ResponseTextAppended(
                    run_id=RUN, at=AT, step="a", response_id=rid, text=f" {rid}:{i} ",
                    reasoning=f"r{i}" if (i + k) % 3 == 0 else "",
                    first_token_s=0.1 * (i + 1) if i >= k else None,
                )
            )  # fmt: skip
    events += [
        ResponseFinished(run_id=RUN, at=AT, step="a", response_id=ids[0], text=" end ",
                         status=ResponseStatus.COMPLETED),
        ResponseTextAppended(run_id=RUN, at=AT, step="a", response_id=ids[1], text="late"),
        ResponseFinished(run_id=RUN, at=AT, step="a", response_id=ids[1],
                         status=ResponseStatus.COMPLETED),
        ResponsePicked(run_id=RUN, at=AT, step="a", response_id=ids[1], index=1,
                       candidates=ids, shown_order=ids),
    ]  # fmt: skip
    return [e.model_copy(update={"seq": n}) for n, e in enumerate(events)]


def _one_by_one(events: list[Event]) -> PipelineRun:
    state: PipelineRun | None = None
    for e in events:
        state = apply(state, e)
    assert state is not None
    return state


def test_fold_equals_applying_each_event_at_every_point() -> None:
    events = _log()
    for n in range(1, len(events) + 1):
        assert fold(events[:n]) == _one_by_one(events[:n]), f"after event {n - 1}"
    final = fold(events)
    assert final is not None and final.last_seq == len(events) - 1
    b = final.steps["a"].responses["resp-b"]
    assert b.raw_output.endswith(" resp-b:5 late") and b.content == b.raw_output.strip()
    assert b.reasoning == "r2r5" and b.time_to_first_token_s == pytest.approx(0.2)


def test_a_flush_after_a_finished_response_is_refused_as_by_apply() -> None:
    events = _log()
    late = ResponseTextAppended(run_id=RUN, at=AT, step="a", response_id="resp-a", text="x", seq=99)
    cut = len(events) - 3  # right after resp-a finished
    with pytest.raises(IllegalTransition, match="is completed, not streaming") as by_apply:
        _one_by_one([*events[:cut], late])
    with pytest.raises(IllegalTransition) as by_fold:
        fold([*events[:cut], late])
    assert str(by_fold.value) == str(by_apply.value)


def test_a_replay_reads_text_flushes_as_dicts_and_folds_them_as_the_models() -> None:
    events = _log()
    late = ResponseTextAppended(run_id=RUN, at=AT, step="a", response_id="resp-a", text="x", seq=99)
    cut = len(events) - 3  # right after resp-a finished
    read = REPLAY_ADAPTER.validate_json(EVENT_LIST_ADAPTER.dump_json([*events, late]))
    assert sum(isinstance(e, dict) for e in read) == 1 + sum(
        isinstance(e, ResponseTextAppended) for e in events
    )
    assert fold(read[:-1]) == _one_by_one(events)
    with pytest.raises(IllegalTransition, match="is completed, not streaming"):
        fold([*read[:cut], read[-1]])
    with pytest.raises(IllegalTransition, match="first event is a text flush"):
        fold([read[-1], *read])
    assert "at" not in read[-1] and "run_id" not in read[-1]  # fields no fold reads


def test_store_replay_and_time_travel_equal_the_events_applied(tmp_path: Path) -> None:
    with Store(tmp_path / "writeit.lmdb") as store:
        for e in _log():
            store.append(e)
        events = store.events(RUN)
        assert store.replay(RUN) == _one_by_one(events) == store.load_run(RUN)
        for n in (1, 5, 9, len(events) - 3):
            assert store.state_at(RUN, n) == _one_by_one(events[: n + 1])


def test_a_counted_scan_reads_a_prefix_or_says_it_cannot(tmp_path: Path) -> None:
    env = lmdb.open(str(tmp_path / "scan"), max_readers=4)
    with env.begin(write=True) as txn:
        for prefix in (b"a:", b"b:", b"c:"):
            for i in range(4):
                txn.put(prefix + b"%03d" % i, prefix + b"%d" % i)
        txn.delete(b"b:001")  # a gap: b: holds 3 keys
    with env.begin() as txn:
        assert (
            scan_counted(txn, b"a:", 4)
            == scan_values(txn, b"a:")
            == [b"a:0", b"a:1", b"a:2", b"a:3"]
        )
        assert scan_counted(txn, b"a:", 2) == [b"a:0", b"a:1"]
        assert scan_counted(txn, b"b:", 4) is None  # would read c:000: the caller scans instead
        assert scan_counted(txn, b"c:", 5) is None and scan_counted(txn, b"d:", 1) is None
    env.close()
