"""The engine end to end on the offline models: runs, picks, edits, feedback, branches."""

from __future__ import annotations

import pytest

from writeit.domain.errors import IllegalTransition, NotFound, WriteItError
from writeit.domain.events import RunStatusChanged
from writeit.domain.status import ResponseStatus, RunStatus, StepStatus
from writeit.engine import Archived, Engine, PickStrategy, RunQuery, parse_model_specs


async def finish(engine: Engine, run_id: str, pick: int = 0) -> str:
    """Stream every remaining step and pick response `pick` of each, as `writeit run` does."""
    run = await engine.run_to_end(run_id, PickStrategy.parse(str(pick + 1)))
    return run.run_id


def all_run_ids(engine: Engine) -> list[str]:
    """Every run in the store, archived or not, newest first."""
    return [r.run_id for r in engine.runs(RunQuery(limit=10_000, archived=Archived.ALSO)).runs]


async def test_full_run_has_two_offline_responses_per_step(engine: Engine) -> None:
    run = engine.start_run("tech-article", {"topic": "LMDB in Python"})
    assert run.status is RunStatus.INITIALIZING
    run_id = await finish(engine, run.run_id)
    run = engine.load(run_id)
    assert run.status is RunStatus.COMPLETED
    # angles and outline answer once per model; draft and polish once per model per section.
    assert [len(s.sections) for s in run.ordered_steps()] == [0, 0, 6, 6]  # the writer's outline
    for step in run.ordered_steps():
        assert step.status is StepStatus.COMPLETED
        rounds = [step.section_responses(i) for i in range(len(step.sections))]
        for responses in rounds or [step.ordered_responses()]:
            assert [r.model_ref for r in responses] == ["offline:writer", "offline:editor"]
            assert all(r.status is ResponseStatus.COMPLETED and r.content for r in responses)
        picks = [s.selected for s in step.sections] if step.sections else [step.selected]
        assert set(picks) == {0}
    assert "LMDB in Python" in (run.article or "")
    assert engine.replay(run_id).model_dump() == run.model_dump()
    assert not engine._streams._tasks  # nothing streams: no per-run entry kept (long sessions)


async def test_prompts_chain_the_picked_text_and_the_style(engine: Engine) -> None:
    run = engine.start_run("tech-article", {"topic": "Rust"}, style="friendly-teacher")
    await engine.run_step(run.run_id)
    engine.pick(run.run_id, 1)
    picked = engine.load(run.run_id).steps["angles"].content
    await engine.run_step(run.run_id)
    outline = engine.load(run.run_id).steps["outline"]
    assert picked and picked in (outline.prompt or "")
    assert "Friendly teacher" in (outline.prompt or "")
    assert all(r.prompt_used == outline.prompt for r in outline.ordered_responses())


async def test_edit_sends_edited_text_forward(engine: Engine) -> None:
    run = engine.start_run("blog-post", {"topic": "tea"})
    await engine.run_step(run.run_id)
    engine.edit(run.run_id, "1. **My own headline**")
    state = engine.load(run.run_id)
    assert state.steps["ideas"].selected is None
    assert state.steps["ideas"].content == "1. **My own headline**"
    await engine.run_step(run.run_id)
    assert "My own headline" in (engine.load(run.run_id).steps["draft"].prompt or "")


async def test_feedback_then_regenerate_adds_an_attempt(engine: Engine) -> None:
    run = engine.start_run("blog-post", {"topic": "tea"})
    first = await engine.run_step(run.run_id)
    old_ids = first.steps["ideas"].response_ids
    again = await engine.regenerate(run.run_id, feedback="shorter please")
    step = again.steps["ideas"]
    assert again.run_id == run.run_id
    assert step.attempt == 2 and step.feedback == "shorter please"
    assert step.earlier_response_ids == old_ids and set(step.response_ids).isdisjoint(old_ids)
    assert "shorter please" in (step.prompt or "")


async def test_branch_copies_earlier_steps_and_leaves_parent_untouched(engine: Engine) -> None:
    run = engine.start_run("tech-article", {"topic": "queues"})
    run_id = await finish(engine, run.run_id)
    before = engine.load(run_id).model_dump()
    child = engine.branch(run_id, "draft")
    state = engine.load(child)
    assert state.parent_run_id == run_id and state.branch_point == "draft"
    assert state.current_step == "draft"
    assert [state.steps[s].status for s in state.step_order] == [
        StepStatus.COMPLETED,
        StepStatus.COMPLETED,
        StepStatus.PENDING,
        StepStatus.PENDING,
    ]
    assert state.steps["outline"].content == before["steps"]["outline"]["content"]
    assert engine.load(run_id).model_dump() == before
    assert engine.children(run_id) == [child]
    family = engine.family(child)
    assert family.root == run_id and family.children == {run_id: [child], child: []}
    assert set(family.runs) == {run_id, child}
    with pytest.raises(NotFound, match="no step 'nope'"):
        engine.branch(run_id, "nope")


async def test_picking_differently_in_the_past_branches_automatically(engine: Engine) -> None:
    run = engine.start_run("tech-article", {"topic": "queues"})
    await engine.run_step(run.run_id)
    engine.pick(run.run_id, 0)
    await engine.run_step(run.run_id)  # outline started: angles is now the past
    before = engine.load(run.run_id).model_dump()
    target = engine.pick(run.run_id, 1, step="angles")
    assert target != run.run_id
    branch = engine.load(target)
    assert branch.parent_run_id == run.run_id and branch.branch_point == "angles"
    assert branch.steps["angles"].selected == 1
    assert branch.steps["outline"].status is StepStatus.PENDING
    assert engine.load(run.run_id).model_dump() == before


async def test_regenerating_a_completed_run_branches(engine: Engine) -> None:
    run_id = await finish(engine, engine.start_run("blog-post", {"topic": "tea"}).run_id)
    again = await engine.regenerate(run_id, step="polish", feedback="more jokes")
    assert again.run_id != run_id and again.parent_run_id == run_id
    assert again.steps["polish"].feedback == "more jokes"
    assert engine.load(run_id).status is RunStatus.COMPLETED


async def test_illegal_actions_raise_and_write_nothing(engine: Engine) -> None:
    run = engine.start_run("blog-post", {"topic": "tea"})
    seq = engine.load(run.run_id).last_seq
    with pytest.raises(IllegalTransition, match="this step has not started yet"):
        engine.pick(run.run_id, 0)
    with pytest.raises(IllegalTransition):
        engine.edit(run.run_id, "text")
    assert engine.load(run.run_id).last_seq == seq
    await engine.run_step(run.run_id)
    seq = engine.load(run.run_id).last_seq
    with pytest.raises(WriteItError, match="there is no response 9"):
        engine.pick(run.run_id, 8)
    with pytest.raises(WriteItError, match="empty"):
        engine.edit(run.run_id, "   ")
    assert engine.load(run.run_id).last_seq == seq


def test_start_run_validates_before_writing(engine: Engine) -> None:
    with pytest.raises(WriteItError, match="input 'topic' is required"):
        engine.start_run("tech-article", {})
    with pytest.raises(WriteItError, match="no input 'colour'"):
        engine.start_run("tech-article", {"topic": "x", "colour": "red"})
    with pytest.raises(WriteItError, match="must be one of: developers"):
        engine.start_run("tech-article", {"topic": "x", "audience": "cats"})
    with pytest.raises(NotFound, match="unknown pipeline 'nope'"):
        engine.start_run("nope", {"topic": "x"})
    with pytest.raises(NotFound, match="unknown style 'nope'"):
        engine.start_run("tech-article", {"topic": "x"}, style="nope")
    with pytest.raises(NotFound, match="unknown provider 'nope'"):
        engine.start_run("tech-article", {"topic": "x"}, models=parse_model_specs(["nope:model"]))
    with pytest.raises(WriteItError, match="unknown step 'outlines'"):
        engine.start_run(
            "tech-article", {"topic": "x"}, models=parse_model_specs(["outlines=offline:writer"])
        )
    assert all_run_ids(engine) == []


async def test_model_override_for_one_step(engine: Engine) -> None:
    run = engine.start_run(
        "blog-post", {"topic": "tea"}, models=parse_model_specs(["draft=offline:editor"])
    )
    assert engine.models_for(run, "ideas") == ["offline:writer", "offline:editor"]
    assert engine.models_for(run, "draft") == ["offline:editor"]


async def test_cancel_keeps_partial_text(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    monkeypatch.setenv("WRITEIT_OFFLINE_TPS", "40")
    slow = engine  # the offline provider reads its pace when the engine first streams
    run = slow.start_run("blog-post", {"topic": "tea"})
    got_text = asyncio.Event()
    slow.subscribe(on_delta=lambda *_: got_text.set())
    task = asyncio.create_task(slow.run_step(run.run_id))
    await asyncio.wait_for(got_text.wait(), 5)
    assert slow.is_streaming(run.run_id)
    assert slow.cancel(run.run_id) == 2
    state = await asyncio.wait_for(task, 5)
    responses = state.steps["ideas"].ordered_responses()
    assert {r.status for r in responses} == {ResponseStatus.CANCELLED}
    assert any(r.content for r in responses)


def test_sessions_remember_the_last_run(engine: Engine) -> None:
    assert engine.last_session_run() is None
    first = engine.start_run("blog-post", {"topic": "tea"})
    second = engine.start_run("blog-post", {"topic": "coffee"})
    engine.remember_session("s1", first.run_id)
    engine.remember_session("s2", second.run_id)
    assert engine.last_session_run() == second.run_id
    engine.remember_session("s1", first.run_id)
    assert engine.last_session_run() == first.run_id


async def test_illegal_change_of_the_past_creates_no_branch(engine: Engine) -> None:
    run_id = await finish(engine, engine.start_run("blog-post", {"topic": "tea"}).run_id)
    runs_before = all_run_ids(engine)
    with pytest.raises(WriteItError, match="there is no response 5"):
        engine.pick(run_id, 4, step="ideas")
    with pytest.raises(WriteItError, match="empty"):
        engine.edit(run_id, " ", step="draft")
    assert all_run_ids(engine) == runs_before
    branch = engine.load(engine.edit(run_id, "# Mine", step="polish"))
    assert branch.status is RunStatus.COMPLETED and branch.article == "# Mine"
    statuses = [e.status for e in engine.history(branch.run_id) if isinstance(e, RunStatusChanged)]
    assert statuses == [RunStatus.RUNNING]
