"""Stitched edits keep their provenance everywhere; shuffled headless picks; the leaderboard."""

from __future__ import annotations

import argparse
import json

import pytest
import yaml

from writeit.cli.leaderboard import show_leaderboard
from writeit.cli.output import show_run
from writeit.domain.compare import display_order
from writeit.domain.events import ResponsePicked, StepEdited
from writeit.domain.status import RunStatus
from writeit.domain.stitch import paragraphs, piece_of, stitched
from writeit.engine import Engine, PickStrategy


async def stitched_run(engine: Engine) -> tuple[str, list[tuple[str, int]]]:
    """A blog-post run whose first step goes forward as three paragraphs from two responses."""
    run = engine.start_run("blog-post", {"topic": "tea"})
    run = await engine.run_step(run.run_id)
    step = run.current_step
    assert step is not None
    a, b = run.steps[step].ordered_responses()[:2]
    assert len(paragraphs(a.content)) >= 2 and paragraphs(b.content)
    pieces = [
        piece_of(a, 1),
        piece_of(b, 0).edited_to("Tea, as the editor put it."),
        piece_of(a, 0),
    ]
    content, provenance = stitched(pieces)
    engine.edit(run.run_id, content, step=step, provenance=provenance)
    taken = [(a.response_id, 1), (b.response_id, 0), (a.response_id, 0)]
    return run.run_id, taken


async def test_stitch_provenance_in_event_history_export_and_branches(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id, taken = await stitched_run(engine)
    edit = next(e for e in engine.history(run_id) if isinstance(e, StepEdited))
    assert [(p.response_id, p.paragraph) for p in edit.provenance] == taken
    assert [p.edited for p in edit.provenance] == [False, True, False]
    assert [p.model for p in edit.provenance] == [
        "offline:writer",
        "offline:editor",
        "offline:writer",
    ]
    step = engine.load(run_id).ordered_steps()[0]
    assert step.provenance == edit.provenance and step.selected is None

    data = yaml.safe_load(engine.export_text(run_id, "yaml"))
    sources = data["steps"][0]["provenance"]
    assert [(s["response_id"], s["paragraph"], s["edited"]) for s in sources] == [
        (rid, i, i == 0 and rid == taken[1][0]) for rid, i in taken
    ]
    markdown = engine.export_text(run_id, "markdown", with_history=True)
    assert "Paragraph sources:" in markdown and "offline:editor, paragraph 1 (edited)" in markdown
    assert "Paragraph sources:" not in engine.export_text(run_id, "markdown")

    seq = edit.seq
    assert engine.state_at(run_id, seq).ordered_steps()[0].provenance == edit.provenance
    assert engine.state_at(run_id, seq - 1).ordered_steps()[0].provenance == []
    show_run(engine.state_at(run_id, seq), [], "what `history --at` prints")
    out = capsys.readouterr().out
    assert "¶2: offline:editor ¶1, edited" in out and "¶1: offline:writer ¶2" in out

    await engine.run_step(run_id)  # the next step starts from the stitched text
    child = engine.branch(run_id, engine.load(run_id).step_order[1])
    assert engine.load(child).ordered_steps()[0].provenance == edit.provenance


async def test_shuffled_headless_run_records_the_display_order_and_counts_in_it(
    engine: Engine,
) -> None:
    # Each run shuffles its own way (seeded by fresh response ids): six runs see both orders.
    for topic in ("tea", "coffee", "cocoa", "mate", "chai", "kvass"):
        run = engine.start_run("blog-post", {"topic": topic})
        done = await engine.run_to_end(run.run_id, PickStrategy.parse("2"), shuffle=True)
        assert done.status is RunStatus.COMPLETED
        picks = [e for e in engine.history(run.run_id) if isinstance(e, ResponsePicked)]
        # blog-post's ideas step chooses an item: --pick 2 is item 2 there, not response 2.
        steps = [(p.step, p.item) for p in picks]
        assert steps == [("ideas", 1), ("draft", None), ("polish", None)]
        for pick in picks:
            assert pick.shown_order == display_order(pick.candidates)
            # item 2 of the first pane shown; otherwise the second pane shown
            assert pick.response_id == pick.shown_order[0 if pick.item is not None else 1]


async def test_leaderboard_counts_picks_and_a_stitch_as_a_tie(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    run = engine.start_run("blog-post", {"topic": "tea"})
    await engine.run_to_end(run.run_id, PickStrategy.parse("1"), shuffle=True)
    await stitched_run(engine)
    board = engine.leaderboard(bootstrap=10)
    steps = len(engine.load(run.run_id).step_order)
    assert board.picks == steps + 1
    assert {r.model for r in board.ratings} == {"offline:writer", "offline:editor"}
    assert sum(r.wins for r in board.ratings) == pytest.approx(steps + 1)
    assert engine.leaderboard(step="nope").picks == 0
    assert engine.leaderboard(pipeline="tech-article").picks == 0

    args = argparse.Namespace(step=None, pipeline=None, json=True)
    assert show_leaderboard(args, engine) == 0  # `writeit leaderboard --json`
    shown = json.loads(capsys.readouterr().out)
    assert shown["picks"] == steps + 1 and len(shown["position_bias"]["slots"]) == 2
    assert shown["caution"].startswith(f"Only {steps + 1} picks")  # a handful: said to be rough
    assert show_leaderboard(argparse.Namespace(step=None, pipeline=None), engine) == 0
    out = capsys.readouterr().out
    assert "offline:writer" in out and "Position bias" in out and "rough" in out
