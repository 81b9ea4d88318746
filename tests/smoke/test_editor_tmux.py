"""`E` in a real terminal: the app suspends, a scripted `$EDITOR` edits the text, the app comes
back, and the saved text goes forward (a branch when it changes a past step)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from terminal import Terminal  # tests/smoke is on sys.path (prepend mode)

from writeit.engine import Engine, RunQuery

pytestmark = pytest.mark.slow


@pytest.fixture
def editor(tmp_path: Path) -> Path:
    """An editor that appends ' EDITED' to the first line of the file it is given."""
    script = tmp_path / "fake-editor.sh"
    script.write_text("#!/bin/sh\nsed -i '1s/$/ EDITED/' \"$1\"\n")
    script.chmod(0o755)
    return script


@pytest.fixture
def term(terminal: Callable[..., Terminal], editor: Path) -> Terminal:
    return terminal(
        ["new", "tech-article", "--input", "topic=LMDB in an editor"],
        WRITEIT_OFFLINE_TPS="400",
        EDITOR=str(editor),
    )


def test_capital_e_round_trip_then_a_past_step_branches(term: Terminal, home: Path) -> None:
    term.wait_for(lambda s: "angles —" in s and "Choose one item" in s, "angles' items")
    term.press("E")  # the picked-or-first response opens in the editor
    term.wait_for(lambda s: "outline —" in s and "Pick one to continue" in s, "the outline")
    term.press("Left")  # the app answers again, on the edited step
    term.wait_for(lambda s: "✎" in s and "edited" in s, "the edited text on screen")
    term.press("E")  # editing a step whose next step started: a branch
    term.wait_for(lambda s: "now on run" in s, "the branch notice")
    term.wait_for(lambda s: "outline —" in s and "Pick one to continue" in s, "branch outline")
    term.press("Escape")
    term.wait_for(lambda s: "Recent runs" in s or "New run" in s, "the home screen")
    term.press("q")
    term.wait_for(lambda s: "New run" not in s, "the app to quit")
    with Engine.open(home) as engine:
        runs = engine.runs(RunQuery()).runs
        assert len(runs) == 2
        child = next(r for r in runs if r.parent_run_id)
        parent = engine.load(child.parent_run_id or "")
        child = engine.load(child.run_id)
        first = parent.steps["angles"].content or ""
        assert first.splitlines()[0].endswith(" EDITED") and parent.steps["angles"].selected is None
        assert child.steps["angles"].content != first
        assert child.steps["angles"].content.splitlines()[0].endswith(" EDITED EDITED")  # type: ignore[union-attr]
