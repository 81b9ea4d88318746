"""`writeit doctor`: a damaged snapshot or event is one marked run and one line; the rest is usable.

Damage is written with raw LMDB puts, as a bad disk block or a buggy tool would leave it; the
checks go through the engine API (`runs`, `state_of`, `doctor`) and the real CLI in a process.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from stores import finished_run, open_engine

from writeit.domain.errors import WriteItError
from writeit.engine import Archived, Engine, RunQuery
from writeit.storage import keys
from writeit.storage.store import Store

from .support import check_store, run_cli


def populate(home: Path) -> tuple[list[str], str]:
    """Three finished runs and a branch of the first; returns the run ids and the branch."""
    engine, _ = open_engine(home)
    with engine:
        ids = [finished_run(engine, "tech-article", f"topic {i}") for i in range(3)]
        branch = engine.branch(ids[0], "draft")
    return ids, branch


def corrupt(store: Store, key: bytes, at: int = 20) -> bytes:
    """Replace one byte of `key`'s value with an invalid UTF-8 byte; returns the old value."""
    old = store.get_raw(key)
    assert old is not None, key
    store.put_meta(key, old[:at] + b"\xff" + old[at + 1 :])
    return old


def listed(engine: Engine) -> dict[str, str | None]:
    """Every run in the list, with its damage marker (None: sound)."""
    runs = engine.runs(RunQuery(limit=100, archived=Archived.ALSO)).runs
    return {r.run_id: r.damaged for r in runs}


def test_a_sound_store_has_nothing_to_report(home: Path) -> None:
    ids, _branch = populate(home)
    engine, _ = open_engine(home)
    with engine:
        report = engine.doctor()
        assert report.ok and report.problems == []
        assert report.runs == len(ids) + 1
        assert engine.doctor(repair=True).problems == []


def test_a_damaged_snapshot_is_a_marked_run_and_one_line_then_repaired(home: Path) -> None:
    ids, branch = populate(home)
    victim = ids[1]
    engine, store = open_engine(home)
    with engine:
        corrupt(store, keys.run(victim))
        marks = listed(engine)
        assert set(marks) == {*ids, branch}, "one damaged run hides no other"
        assert marks[victim] and all(marks[r] is None for r in marks if r != victim)
        damaged = next(r for r in engine.runs(RunQuery(limit=100)).runs if r.run_id == victim)
        assert "damaged" in engine.state_of(damaged)
        with pytest.raises(WriteItError) as info:
            engine.load(victim)
        assert "\n" not in str(info.value) and "doctor" in str(info.value)

        report = engine.doctor()
        assert [p.run_id for p in report.problems] == [victim]
        assert len(report.problems[0].line.splitlines()) == 1
        assert keys.run(victim).decode() in report.problems[0].line

        repaired = engine.doctor(repair=True)
        assert [p.repaired for p in repaired.problems] == [True] and repaired.ok
        assert engine.doctor().problems == []
        assert listed(engine)[victim] is None
        assert engine.load(victim).model_dump(exclude={"last_seq"}) == engine.replay(
            victim
        ).model_dump(exclude={"last_seq"})
        check_store(store)


def test_a_damaged_event_is_a_marked_run_never_repaired_by_rewriting_the_log(
    home: Path,
) -> None:
    ids, branch = populate(home)
    victim = ids[2]
    engine, store = open_engine(home)
    with engine:
        bad_key = keys.event(victim, 3)
        corrupt(store, bad_key)
        damaged_bytes = store.get_raw(bad_key)
        with pytest.raises(WriteItError) as info:
            engine.history(victim)
        assert "event 3 is damaged" in str(info.value) and "\n" not in str(info.value)

        report = engine.doctor()
        assert len(report.problems) == 1 and not report.ok
        (problem,) = report.problems
        assert problem.run_id == victim and not problem.repairable
        assert "event 3" in problem.line and len(problem.line.splitlines()) == 1
        marks = listed(engine)
        assert marks[victim] and "event 3" in marks[victim]
        assert all(marks[r] is None for r in marks if r != victim)

        after = engine.doctor(repair=True)
        assert not after.ok and [p.repaired for p in after.problems] == [False]
        assert store.get_raw(bad_key) == damaged_bytes, "a repair never touches an event"
        for other in (ids[0], ids[1], branch):  # the others stay usable
            engine.history(other)
            engine.load(other)


def test_a_damaged_response_snapshot_marks_the_run_and_is_rebuilt(home: Path) -> None:
    engine, store = open_engine(home)
    with engine:
        run_id = engine.start_run("tech-article", {"topic": "x"}).run_id
        asyncio.run(engine.run_step(run_id))
        run = engine.load(run_id)
        rid = run.steps["angles"].response_ids[0]
        corrupt(store, keys.response(rid))
        (shown,) = engine.runs().runs
        assert "damaged" in engine.state_of(shown)  # unfinished: the list reads it whole
        report = engine.doctor(repair=True)
        assert [p.key for p in report.problems] == [keys.response(rid).decode()]
        assert engine.doctor().ok
        assert engine.load(run_id).steps["angles"].responses[rid].content


def test_missing_and_left_over_derived_keys_are_found_and_fixed(home: Path) -> None:
    ids, _ = populate(home)
    engine, store = open_engine(home)
    with engine:
        store.put_meta(keys.step(ids[0], "outline"), None)
        store.put_meta(keys.step(ids[1], "no-such-step"), b"{}")
        store.put_meta(keys.recent_runs("2001-01-01T00:00:00+00:00", ids[1]), ids[1].encode())
        lines = [p.line for p in engine.doctor().problems]
        assert len(lines) == 3, lines
        assert any("is missing" in line for line in lines)
        assert sum("left over" in line for line in lines) == 2
        assert all(p.repaired for p in engine.doctor(repair=True).problems)
        assert engine.doctor().ok
        check_store(store)


def test_a_gap_in_the_log_is_reported(home: Path) -> None:
    ids, _ = populate(home)
    engine, store = open_engine(home)
    with engine:
        store.put_meta(keys.event(ids[0], 2), None)
        (problem,) = engine.doctor().problems
        assert problem.run_id == ids[0] and "not dense" in problem.line


def test_the_cli_reports_one_line_per_problem_and_repairs(home: Path) -> None:
    ids, _ = populate(home)
    engine, store = open_engine(home)
    with engine:
        corrupt(store, keys.run(ids[0]))
        corrupt(store, keys.event(ids[1], 1))

    found = run_cli(home, "doctor")
    assert found.returncode == 1, found.stderr
    assert "Traceback" not in found.stderr
    lines = found.stdout.splitlines()
    assert len(lines) == 2 and {ids[0][:8], ids[1][:8]} == {line[4:12] for line in lines}

    as_json = run_cli(home, "doctor", "--json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["remaining"] == 2

    listing = run_cli(home, "list", "--json")
    assert listing.returncode == 0, listing.stderr
    marks = {r["run_id"]: r["damaged"] for r in json.loads(listing.stdout)}
    assert marks[ids[0]] and marks[ids[1]] and marks[ids[2]] is None

    repaired = run_cli(home, "doctor", "--repair")
    assert repaired.returncode == 1, "the damaged event remains"
    again = run_cli(home, "doctor")
    assert again.returncode == 1 and len(again.stdout.splitlines()) == 1
    assert ids[1][:8] in again.stdout
