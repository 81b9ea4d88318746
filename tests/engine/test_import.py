"""Import and merge: an export made into a run again, another store merged by run id and seq,
idempotent, and a diverged run never rewritten (the other side becomes a branch)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from plain_pipeline import install_plain

from writeit.domain.errors import WriteItError
from writeit.engine import Engine, PickStrategy, import_export, merge_store

FIRST = PickStrategy.parse("first")


def plain(*engines: Engine) -> str:
    """The plain fixture pipeline (every step picked whole), installed in each engine's home."""
    return install_plain(*(engine.home for engine in engines))


@pytest.fixture
def other(tmp_path: Path) -> Iterator[Engine]:
    """A second, empty WriteIt home."""
    with Engine.open(tmp_path / "other") as eng:
        yield eng


async def varied_runs(engine: Engine) -> list[str]:
    """A finished run, an edited and regenerated one, a branch of it, and one left mid-way."""
    done = engine.start_run(plain(engine), {"topic": "tide pools"}).run_id
    await engine.run_to_end(done, FIRST)
    edited = engine.start_run(plain(engine), {"topic": "LMDB", "audience": "managers"}).run_id
    await engine.run_step(edited)
    first = engine.load(edited).step_order[0]
    engine.edit(edited, "My own angle on LMDB.", step=first)
    await engine.run_step(edited)
    engine.revise(edited, feedback="shorter, please")
    await engine.run_step(edited)
    engine.pick(edited, 1)
    branch = engine.branch(edited, engine.load(edited).step_order[1])
    await engine.run_step(branch)
    return [done, edited, branch]


def history(engine: Engine, run_id: str) -> list[dict[str, object]]:
    return [e.model_dump(mode="json") for e in engine.history(run_id)]


async def test_export_import_export_is_identical_and_a_second_import_changes_nothing(
    engine: Engine, other: Engine, tmp_path: Path
) -> None:
    plain(other)  # an import needs the run's pipeline installed here
    for run_id in await varied_runs(engine):
        exported = engine.export(run_id, "yaml", tmp_path / f"{run_id}.yaml")
        report = import_export(other, exported)
        assert report.added == [run_id]
        again = other.export(run_id, "yaml", tmp_path / f"again-{run_id}.yaml")
        assert again.read_text() == exported.read_text()
        run = other.load(run_id)
        assert run.status is engine.load(run_id).status
        assert run.parent_run_id == engine.load(run_id).parent_run_id
        assert import_export(other, exported).unchanged == [run_id]
    assert other.doctor().ok


async def test_a_different_file_for_a_run_here_is_imported_beside_it(
    engine: Engine, tmp_path: Path
) -> None:
    run_id = engine.start_run(plain(engine), {"topic": "kelp"}).run_id
    await engine.run_to_end(run_id, FIRST)
    path = engine.export(run_id, "yaml", tmp_path / "kelp.yaml")
    path.write_text(path.read_text().replace("kelp", "seagrass"))
    before = history(engine, run_id)

    report = import_export(engine, path)
    ((conflicted, branch, why),) = report.conflicts
    assert conflicted == run_id and branch and "diverged" in why
    assert history(engine, run_id) == before, "the run here is never rewritten"
    assert engine.load(branch).parent_run_id == run_id
    assert engine.load(branch).inputs["topic"] == "seagrass"
    assert import_export(engine, path).unchanged == [branch]


def test_a_file_that_is_not_an_export_is_one_line(engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps: [1, 2\n")
    with pytest.raises(WriteItError, match="not YAML") as info:
        import_export(engine, bad)
    assert "\n" not in str(info.value)
    bad.write_text("writeit_export: 1\nrun_id: x\n")
    with pytest.raises(WriteItError, match="incomplete"):
        import_export(engine, bad)


async def test_merging_a_store_twice_changes_nothing_the_second_time(
    engine: Engine, other: Engine
) -> None:
    ids = await varied_runs(other)
    first = merge_store(engine, other)
    assert sorted(first.added) == sorted(ids) and not first.conflicts
    logs = {r: history(engine, r) for r in ids}
    assert logs == {r: history(other, r) for r in ids}, "the same events, the same seqs"

    second = merge_store(engine, other)
    assert sorted(second.unchanged) == sorted(ids)
    assert not (second.added or second.extended or second.conflicts or second.skipped)
    assert {r: history(engine, r) for r in ids} == logs

    other.archive(ids[0])  # the other side goes on: only the new event comes over
    third = merge_store(engine, other)
    assert third.extended == [(ids[0], 1)]
    assert engine.load(ids[0]).archived
    assert engine.doctor().ok


async def test_a_diverged_run_is_reported_and_the_other_side_becomes_a_branch(
    engine: Engine, other: Engine
) -> None:
    run_id = other.start_run("blog-post", {"topic": "anemones"}).run_id
    await other.run_step(run_id)
    merge_store(engine, other)
    engine.pick(run_id, 0)  # each side picks differently
    other.pick(run_id, 1)
    ours = history(engine, run_id)

    report = merge_store(engine, other)
    ((conflicted, branch, why),) = report.conflicts
    assert conflicted == run_id and "diverged" in why
    assert history(engine, run_id) == ours, "the run here is never rewritten"
    theirs = engine.load(branch)
    assert theirs.parent_run_id == run_id
    step = theirs.step_order[0]
    assert theirs.steps[step].selected == 1 and engine.load(run_id).steps[step].selected == 0
    assert branch in engine.children(run_id)

    again = merge_store(engine, other)
    assert again.conflicts == [] and branch in again.unchanged
    assert engine.doctor().ok


async def test_a_write_here_between_reading_and_appending_is_never_overwritten(
    engine: Engine, other: Engine
) -> None:
    run_id = other.start_run("blog-post", {"topic": "urchins"}).run_id
    await other.run_step(run_id)
    theirs = other.history(run_id)
    engine.append_log(run_id, theirs[:1], after=-1, blobs=other.run_blobs(other.load(run_id)))
    engine.archive(run_id)  # another process wrote seq 1 after the merge read seq 0
    with pytest.raises(WriteItError, match="changed here meanwhile"):
        engine.append_log(run_id, theirs[1:], after=0)
    with pytest.raises(WriteItError, match="created here meanwhile"):
        engine.append_log(run_id, theirs[:1], after=-1)
    assert [e.type for e in engine.history(run_id)] == ["run_created", "run_archived"]

    report = merge_store(engine, other)
    assert report.conflicts and report.conflicts[0][0] == run_id
    assert "conflict: run" in "\n".join(report.lines())
