"""`writeit run --shuffle` feeds `writeit leaderboard`, end to end in-process."""

from __future__ import annotations

import json

import pytest

from writeit.cli import main


def test_shuffled_runs_feed_the_leaderboard(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["leaderboard"]) == 0
    assert "no picks" in capsys.readouterr().err
    for topic in ("tea", "coffee"):
        assert main(["run", "blog-post", "-i", f"topic={topic}", "--shuffle", "--pick", "2"]) == 0
    capsys.readouterr()
    assert main(["leaderboard", "--json", "--pipeline", "blog-post"]) == 0
    board = json.loads(capsys.readouterr().out)
    assert board["picks"] == 6  # ideas (an item), draft and polish, twice
    assert {m["model"] for m in board["models"]} == {"offline:writer", "offline:editor"}
    # On draft --pick 2 took the second pane shown every time (on ideas it took item 2 of the
    # first pane shown): the slot to the right pulls.
    assert main(["leaderboard", "--json", "--step", "draft"]) == 0
    draft = json.loads(capsys.readouterr().out)
    assert draft["picks"] == 2 and draft["position_bias"]["elo_per_slot"] > 0
    assert main(["leaderboard", "--step", "draft"]) == 0
    assert "Position bias" in capsys.readouterr().out
