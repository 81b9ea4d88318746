"""Item steps and section steps through the engine, on the offline models and a real store:
choosing one item, drafting per section of an editable outline, per-section regenerate and
feedback, branching and time travel through section steps, the export of every section."""

from __future__ import annotations

import yaml

from writeit.domain.errors import IllegalTransition, WriteItError
from writeit.domain.outline import parse_items, parse_sections, sections_markdown
from writeit.domain.status import RunStatus, StepStatus
from writeit.engine import Engine, PickStrategy


async def to_outline(engine: Engine, item: int = 2) -> str:
    """A long-article run with angle `item` (0-based) of the first response chosen and its
    outline streamed and picked."""
    run = engine.start_run("long-article", {"topic": "SQLite in production"})
    await engine.run_step(run.run_id)
    engine.pick(run.run_id, 0, item=item)
    await engine.run_step(run.run_id)
    engine.pick(run.run_id, 0)
    return run.run_id


async def test_choosing_angle_three_of_five_sends_exactly_that_angle(engine: Engine) -> None:
    run = engine.start_run("long-article", {"topic": "SQLite in production"})
    await engine.run_step(run.run_id)
    angles = engine.load(run.run_id).steps["angles"]
    items = parse_items(angles.ordered_responses()[1].content)
    assert len(items) == 5
    engine.pick(run.run_id, 1, item=2)
    state = engine.load(run.run_id)
    assert state.steps["angles"].content == items[2] and state.steps["angles"].item == 2
    picked = next(e for e in engine.history(run.run_id) if e.type == "response_picked")
    assert (picked.item, picked.item_text, picked.items_shown) == (2, items[2], [5, 5])
    await engine.run_step(run.run_id)
    prompt = engine.load(run.run_id).steps["outline"].prompt or ""
    assert items[2] in prompt
    assert not any(other in prompt for i, other in enumerate(items) if i != 2)


async def test_an_item_the_response_does_not_list_is_refused(engine: Engine) -> None:
    run = engine.start_run("long-article", {"topic": "x"})
    await engine.run_step(run.run_id)
    try:
        engine.pick(run.run_id, 0, item=5)
    except IllegalTransition as exc:
        assert "has no item 6 (it lists 5)" in str(exc)
    else:
        raise AssertionError("item 6 of 5 was accepted")
    assert engine.load(run.run_id).steps["angles"].status is StepStatus.RUNNING


async def test_sections_follow_the_outline_and_assemble_under_its_headings(
    engine: Engine,
) -> None:
    run_id = await to_outline(engine)
    outline = engine.load(run_id).steps["outline"].content or ""
    titles = [s.title for s in parse_sections(outline)]
    assert len(titles) == 7
    run = await engine.run_step(run_id)
    draft = run.steps["draft"]
    assert [s.title for s in draft.sections] == titles
    assert len(draft.response_ids) == 14  # 2 models x 7 sections, all streamed in one round
    for k, section in enumerate(draft.sections):
        assert f'"{section.title}"' in (section.prompt or "")
        assert section.notes.splitlines()[0] in (section.prompt or "")
        assert all(r.content for r in draft.section_responses(k))
        assert all(r.usage.output_tokens <= 2500 for r in draft.section_responses(k))
    # Concurrent drafting: a later section is told what the earlier ones plan to cover.
    assert titles[0] in (draft.sections[3].prompt or "")
    target = engine.accept_all(run_id)
    assert target == run_id
    state = engine.load(run_id)
    assert state.steps["draft"].status is StepStatus.COMPLETED
    article = state.steps["draft"].content or ""
    heads = [ln[3:] for ln in article.splitlines() if ln.startswith("## ")]
    assert heads == titles
    assert state.current_step == "polish"


async def test_editing_the_outline_changes_which_sections_are_drafted(engine: Engine) -> None:
    run_id = await to_outline(engine)
    run = engine.load(run_id)
    outline = run.steps["outline"].content or ""
    sections = parse_sections(outline)
    edited = [sections[2], sections[0]]  # reorder, drop five, rename one, add one
    edited[1] = type(edited[1])("Why it matters", edited[1].notes)
    edited.append(type(edited[0])("A new section", "- something the writer wants"))
    same = engine.edit(run_id, sections_markdown("My title", edited), step="outline")
    assert same == run_id  # drafting has not started: an ordinary edit, no branch
    run = await engine.run_step(run_id)
    assert [s.title for s in run.steps["draft"].sections] == [
        sections[2].title,
        "Why it matters",
        "A new section",
    ]
    assert run.steps["draft"].title == "My title"


async def test_regenerating_one_section_keeps_the_others_picks(engine: Engine) -> None:
    run_id = await to_outline(engine)
    await engine.run_step(run_id)
    for k in range(7):
        engine.pick(run_id, 1, section=k)
    before = engine.load(run_id).steps["draft"]
    assert before.status is StepStatus.COMPLETED
    run = await engine.regenerate(run_id, step="draft", section=3, feedback="Shorter, please")
    assert run.run_id == run_id  # polish has not started yet
    draft = run.steps["draft"]
    assert draft.status is StepStatus.RUNNING and draft.content is None
    assert [s.content for i, s in enumerate(draft.sections) if i != 3] == [
        s.content for i, s in enumerate(before.sections) if i != 3
    ]
    assert draft.sections[3].content is None and draft.sections[3].feedback == "Shorter, please"
    new = draft.section_responses(3)
    assert all("Revised to follow your note: Shorter, please" in r.content for r in new)
    engine.pick(run_id, 0, section=3)
    after = engine.load(run_id).steps["draft"]
    assert after.status is StepStatus.COMPLETED and "Shorter, please" in (after.content or "")


async def test_headless_run_exports_every_section_and_time_travel_works(engine: Engine) -> None:
    run = engine.start_run("long-article", {"topic": "LMDB"})
    done = await engine.run_to_end(run.run_id, PickStrategy.parse("2"))
    assert done.status is RunStatus.COMPLETED
    angles = done.steps["angles"]
    first = parse_items(angles.ordered_responses()[0].content)
    assert angles.item == 1 and angles.content == first[1]  # `--pick 2`: item 2 of the first
    titles = [s.title for s in parse_sections(done.steps["outline"].content or "")]
    article = done.article or ""
    assert [ln[3:] for ln in article.splitlines() if ln.startswith("## ")] == titles
    exported = yaml.safe_load(engine.export_text(run.run_id, "yaml"))
    polish = next(s for s in exported["steps"] if s["name"] == "polish")
    assert [s["title"] for s in polish["sections"]] == titles
    assert all(len(s["responses"]) == 2 and s["content"] for s in polish["sections"])
    assert engine.replay(run.run_id).model_dump() == engine.load(run.run_id).model_dump()
    history = engine.export_text(run.run_id, "markdown", with_history=True)
    assert f"#### Section 7 ({titles[6]}), response 2: offline:editor (picked)" in history
    assert "Edited version" not in history  # the sections' picks are not an edit
    # Time travel to just after the draft's plan: every section open, none picked.
    events = engine.history(run.run_id)
    planned = next(e.seq for e in events if e.type == "sections_planned")
    past = engine.state_at(run.run_id, planned)
    assert [s.picked for s in past.steps["draft"].sections] == [False] * 7
    # Branching from the polish step copies the picked draft, sections and all.
    child = engine.branch(run.run_id, "polish")
    copied = engine.load(child).steps["draft"]
    assert copied.content == done.steps["draft"].content and len(copied.sections) == 7


async def test_a_section_repick_in_a_completed_run_continues_in_a_branch(engine: Engine) -> None:
    run = engine.start_run("long-article", {"topic": "LMDB"})
    await engine.run_to_end(run.run_id, PickStrategy.parse("first"))
    child = engine.pick(run.run_id, 1, step="draft", section=0)
    assert child != run.run_id
    parent, branch = engine.load(run.run_id), engine.load(child)
    assert parent.steps["draft"].sections[0].selected == 0
    assert branch.steps["draft"].sections[0].selected == 1
    assert branch.steps["draft"].status is StepStatus.COMPLETED
    assert branch.current_step == "polish"


async def test_an_outline_without_sections_is_a_clear_error(engine: Engine) -> None:
    run_id = await to_outline(engine)
    engine.edit(run_id, "Just one paragraph, no headings.", step="outline")
    try:
        await engine.run_step(run_id)
    except WriteItError as exc:
        assert "has none: edit it to add sections" in str(exc)
    else:
        raise AssertionError("a section step ran without sections")
