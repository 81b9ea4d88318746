"""Search across runs: ranked hits with snippets from the event log, caught up by seq, rebuilt to
the same results, damaged runs skipped with a marker."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from stores import drafted_tech_article, store_of

from writeit.domain.errors import WriteItError
from writeit.engine import (
    Engine,
    PickStrategy,
    rebuild_search_index,
    search_runs,
    update_search_index,
)
from writeit.storage import keys

FIRST = PickStrategy.parse("first")


async def finished_run(engine: Engine, topic: str) -> str:
    run = engine.start_run("blog-post", {"topic": topic})
    return (await engine.run_to_end(run.run_id, FIRST)).run_id


def shapes(engine: Engine, query: str) -> list[dict[str, object]]:
    return [h.shape() for h in search_runs(engine, query).hits]


async def test_every_kind_of_text_is_found_with_its_step_and_a_marked_snippet(
    engine: Engine,
) -> None:
    other = await finished_run(engine, "green tea")
    run = engine.start_run("blog-post", {"topic": "zygomorphic flowers"}).run_id
    await engine.run_step(run)
    step = engine.load(run).current_step
    assert step is not None
    engine.revise(run, step=step, feedback="more about quokkas please")
    engine.edit(run, "A paragraph on marsupial photobombers.", step=step)

    hits = search_runs(engine, "zygomorphic").hits
    assert {h.run_id for h in hits} == {run}
    kinds = {h.kind for h in hits}
    assert {"topic", "response"} <= kinds
    response = next(h for h in hits if h.kind == "response")
    assert response.step == step and response.label.startswith("offline:")
    assert response.place == f"{step}: response {response.label}"
    assert next(h for h in hits if h.kind == "topic").place == "topic"
    start, end = response.marks[0]
    assert response.snippet[start:end].lower() == "zygomorphic"

    (feedback,) = search_runs(engine, "quokkas").hits
    assert (feedback.run_id, feedback.step, feedback.kind) == (run, step, "feedback")
    (edit,) = search_runs(engine, "photobomber*").hits
    assert (edit.kind, edit.step) == ("edit", step)
    assert search_runs(engine, "tea").hits[0].run_id == other
    assert search_runs(engine, "nosuchwordanywhere").hits == []


async def test_new_events_are_indexed_by_seq_and_a_rebuild_gives_the_same_results(
    engine: Engine, home: Path
) -> None:
    await finished_run(engine, "sourdough starters")
    first = search_runs(engine, "starters")
    assert first.indexed == 1 and first.hits
    again = search_runs(engine, "starters")
    assert again.indexed == 0, "nothing changed: nothing is read again"

    later = await finished_run(engine, "sourdough hydration")
    caught = search_runs(engine, "hydration")
    assert caught.indexed == 1 and {h.run_id for h in caught.hits} == {later}

    before = shapes(engine, "sourdough")
    (home / "search.sqlite").unlink()
    assert shapes(engine, "sourdough") == before, "deleted, rebuilt from the log"
    assert rebuild_search_index(engine).indexed == 2
    assert shapes(engine, "sourdough") == before
    (home / "search.sqlite").write_bytes(b"not a database at all" * 100)
    assert shapes(engine, "sourdough") == before, "an unreadable index is rebuilt"


async def test_a_damaged_run_is_skipped_with_a_marker_never_a_traceback(engine: Engine) -> None:
    sound = await finished_run(engine, "kombucha")
    victim = await finished_run(engine, "kombucha scoby")
    store = store_of(engine)
    raw = store.get_raw(keys.event(victim, 2))
    assert raw is not None
    store.put_meta(keys.event(victim, 2), raw[:20] + b"\xff" + raw[21:])
    engine.doctor()  # marks it, as lists show it

    result = search_runs(engine, "kombucha")
    assert [run for run, _ in result.skipped] == [victim]
    assert "damaged" in result.skipped[0][1]
    assert {h.run_id for h in result.hits} == {sound}
    assert update_search_index(engine).skipped == result.skipped


def test_what_a_writer_types_is_never_a_syntax_error(engine: Engine) -> None:
    engine.start_run("blog-post", {"topic": 'the "AND" operator (NEAR) *'})
    assert search_runs(engine, 'AND "(').hits
    assert search_runs(engine, "NEAR) -x").hits == []
    with pytest.raises(WriteItError, match="at least one word"):
        search_runs(engine, "   ")


async def test_a_section_steps_texts_say_which_section(engine: Engine) -> None:
    run_id = await drafted_tech_article(engine, "tidal turbines")
    engine.revise(run_id, step="draft", feedback="mention barnacles", section=1)

    (feedback,) = search_runs(engine, "barnacles").hits
    assert (feedback.step, feedback.section, feedback.place) == ("draft", 1, "draft §2: feedback")
    assert feedback.shape()["section"] == 1
    drafts = [h for h in search_runs(engine, "tidal", limit=100).hits if h.step == "draft"]
    assert len({h.section for h in drafts}) > 1 and None not in {h.section for h in drafts}
    assert all(h.place.startswith(f"draft §{(h.section or 0) + 1}: response") for h in drafts)
    tiny = replace(feedback, score=-1e-9)  # a word in every text scores about nothing
    assert str(tiny.shape()["score"]) == "0.0", "never -0.0 in --json"
