"""The real `writeit` in a real terminal (tmux), driven as a person would, at 80x24 and 200x50.

New run, `b` `y` branches, `1` picks on the branch and the next step starts, `t` `enter` opens
the parent from the tree, `1` then `left` `e` `ctrl+s` edits a finished step (continuing in a
branch), `x` `enter` exports, `r` then `ctrl+q` (answering the question asked while streaming)
quits. After each action the screen must show its outcome, and a following key (`?` opens the
help, `escape` closes it) must be answered. tmux is required: `.ci/run` installs it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from terminal import EXITED, Terminal  # tests/smoke is on sys.path (prepend mode)

pytestmark = pytest.mark.slow
TITLE = re.compile(r"tech-article · Trees in tmux · run ([0-9a-f]{8})")


def answers(term: Terminal) -> None:
    """A following key is answered: `?` opens the help over the screen, `escape` closes it."""
    before = term.wait_for(lambda s: "Keys:" not in s, "no help on screen")
    term.press("?")
    term.wait_for(lambda s: "Keys: Run" in s, "the help to open")
    term.press("Escape")
    term.wait_for(lambda s: "Keys:" not in s and TITLE.search(s), "the help to close")
    assert TITLE.search(before)


def title_run(screen: str) -> str:
    found = TITLE.search(screen)
    assert found, screen
    return found.group(1)


def waiting_on(step: str) -> Callable[[str], bool]:
    """The step on screen finished streaming and waits for a pick (or, on tech-article's
    angles, an item to be chosen)."""
    return lambda s: (
        f"{step} —" in s
        and "waiting for your pick" in s
        and ("Pick one" in s or "Choose one item" in s)
    )


@pytest.mark.parametrize("size", [(80, 24), (200, 50)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_branch_tree_edit_export_quit(
    terminal: Callable[..., Terminal], home: Path, size: tuple[int, int]
) -> None:
    term = terminal(["new", "tech-article", "-i", "topic=Trees in tmux"], size)
    screen = term.wait_for(waiting_on("angles"), "angles to finish streaming")
    parent = title_run(screen)
    assert "branch of" not in screen
    answers(term)

    # b, y: a branch of the run at angles, on screen at once, streaming angles again
    term.press("b")
    term.wait_for(lambda s: "Branch a new run from 'angles'?" in s, "the branch question")
    term.press("y")
    screen = term.wait_for(
        lambda s: f"(branch of {parent} at angles)" in s, "the branch to be on screen"
    )
    child = title_run(screen)
    assert child != parent
    screen = term.wait_for(waiting_on("angles"), "the branch's angles to finish streaming")
    assert title_run(screen) == child
    answers(term)

    # 1 picks on the branch and the branch's next step starts
    term.press("1")
    term.wait_for(lambda s: "✓ angles" in s and "outline —" in s, "the branch's outline to start")
    screen = term.wait_for(waiting_on("outline"), "the branch's outline to finish")
    assert title_run(screen) == child
    answers(term)

    # t shows the family; up and enter open the parent
    term.press("t")
    screen = term.wait_for(
        lambda s: "Branch tree" in s and parent in s and "◀ this run" in s,
        "the branch tree, fully drawn",
    )
    assert f"{child} @angles" in screen and "◀ this run" in screen
    term.press("Up")
    term.press("Enter")
    screen = term.wait_for(
        lambda s: TITLE.search(s) and title_run(s) == parent, "the parent to be on screen"
    )
    screen = term.wait_for(waiting_on("angles"), "the parent's angles")
    assert "branch of" not in screen.split("angles —")[0]
    answers(term)

    # on the parent: 1 picks, left goes back to the finished angles, e + ctrl+s edits it, and
    # the edit continues in a new branch (the parent is kept as it was)
    term.press("1")
    term.wait_for(waiting_on("outline"), "the parent's outline to finish")
    term.press("Left")
    term.wait_for(
        lambda s: "angles —" in s and "picked response 1" in s and "new branch" in s,
        "the finished angles step",
    )
    term.press("e")
    term.wait_for(lambda s: "Edit angles" in s and "ctrl+s" in s, "the edit dialog")
    term.press("C-s")
    screen = term.wait_for(
        lambda s: f"(branch of {parent} at angles)" in s and title_run(s) not in (parent, child),
        "the edit to continue in a new branch",
    )
    edited = title_run(screen)
    term.wait_for(waiting_on("outline"), "the edited branch's outline to finish")
    answers(term)

    # x, enter: exported as the default format, where the notice says
    term.press("x")
    term.wait_for(lambda s: "Export this run as" in s, "the export dialog")
    term.press("Enter")
    term.wait_for(lambda s: "Exported to" in s, "the export notice")
    exports = list((home / "exports").glob(f"tech-article-{edited}*.yaml"))
    assert len(exports) == 1, sorted((home / "exports").iterdir())
    text = exports[0].read_text()
    assert "topic: Trees in tmux" in text and f"parent_run_id: {parent}" in text
    answers(term)

    # r streams again; ctrl+q asks first while it streams (y quits), and the process exits
    term.press("r")
    term.wait_for(lambda s: "streaming" in s, "the regeneration to start")
    term.press("C-q")
    screen = term.wait_for(
        lambda s: "Quit while responses are streaming?" in s or EXITED in s, "quit to be handled"
    )
    if EXITED not in screen:
        term.press("y")
    screen = term.wait_for(lambda s: EXITED in s, "the process to exit")
    assert f"{EXITED} 0" in screen
