"""`writeit run` on a pipeline with an item step and section steps, and what `show`, `history
--at` and the export say about them."""

from __future__ import annotations

import json

import pytest

from writeit.cli import main


def test_headless_long_article_with_sections(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "long-article", "-i", "topic=LMDB", "--pick", "2", "--json"]) == 0
    out, err = capsys.readouterr()
    shown = json.loads(out)
    assert "angles: picked 1, item 2" in err and "draft §7: picked 2" in err
    steps = {s["name"]: s for s in shown["steps"]}
    assert steps["angles"]["item"] == 1
    titles = [s["title"] for s in steps["draft"]["sections"]]
    assert len(titles) == 7 and all(s["selected"] == 1 for s in steps["draft"]["sections"])
    heads = [ln[3:] for ln in shown["article"].splitlines() if ln.startswith("## ")]
    assert heads == titles
    run_id = shown["run_id"]
    assert main(["history", run_id, "--json"]) == 0
    events = json.loads(capsys.readouterr().out)
    planned = next(e["seq"] for e in events if e["type"] == "sections_planned")
    assert main(["history", run_id, "--at", str(planned + 3), "--json"]) == 0
    past = {s["name"]: s for s in json.loads(capsys.readouterr().out)["state"]["steps"]}
    assert past["draft"]["status"] == "running"
    assert [s["title"] for s in past["draft"]["sections"]] == titles
    assert main(["show", run_id]) == 0
    text = capsys.readouterr().out
    assert f"§7 {titles[6]}" in text and "edited content went forward" not in text
    assert main(["branch", run_id, "--from", "polish", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)
