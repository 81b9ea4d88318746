"""`d` in a real terminal: the panes light their differences in place, with how alike they
are in the headers; `d` goes back to the Markdown and `1` still picks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from terminal import Terminal  # tests/smoke is on sys.path (prepend mode)

from writeit.engine import Engine, RunQuery

pytestmark = pytest.mark.slow


@pytest.fixture
def term(terminal: Callable[..., Terminal]) -> Terminal:
    return terminal(
        ["new", "tech-article", "--input", "topic=LMDB side by side"], WRITEIT_OFFLINE_TPS="400"
    )


def test_d_lights_differences_in_place_then_d_and_1_answer(term: Terminal, home: Path) -> None:
    term.wait_for(lambda s: "angles —" in s and "Choose one item" in s, "angles' items")
    term.press("Enter")  # the first angle
    term.wait_for(lambda s: "outline —" in s and "Pick one to continue" in s, "the outline")
    term.press("d")
    shown = term.wait_for(lambda s: "alike vs 2" in s and "alike vs 1" in s, "the diff headers")
    assert "## " in shown  # the Markdown source, where the words are lit
    term.press("d")
    term.wait_for(lambda s: "alike vs" not in s and "## " not in s, "the Markdown again")
    term.press("1")
    term.wait_for(lambda s: "draft —" in s, "the next step after the pick")
    term.press("Escape")
    term.wait_for(lambda s: "Recent runs" in s or "New run" in s, "the home screen")
    term.press("q")
    term.wait_for(lambda s: "New run" not in s, "the app to quit")
    with Engine.open(home) as engine:
        run = engine.runs(RunQuery()).runs[0]
        assert engine.load(run.run_id).steps["outline"].selected is not None
