"""The real `writeit` in real tmux, as a writer finds an old run and copies its article: `s` on
the home screen, a word, `down` and `enter` open the run at the step the word is in, `Y` copies
the article, and tmux (with `set-clipboard on`, as its notice advises) holds exactly that text."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import pytest
from terminal import Terminal  # tests/smoke is on sys.path (prepend mode)

from writeit.engine import Engine

pytestmark = pytest.mark.slow


def tmux_buffer(term: Terminal) -> str:
    """The newest paste buffer of the terminal's own tmux server ('' when there is none)."""
    shown = ["tmux", "-L", term.name, "show-buffer"]
    return subprocess.run(shown, capture_output=True, text=True, check=False).stdout


async def test_search_opens_the_run_and_y_copies_into_tmux(
    terminal: Callable[..., Terminal], engine: Engine
) -> None:
    run_id = engine.start_run("blog-post", {"topic": "axolotl husbandry"}).run_id
    await engine.run_step(run_id)
    engine.pick(run_id, 0, item=0)  # ideas: an item step
    await engine.run_step(run_id)
    engine.pick(run_id, 0)
    await engine.run_step(run_id)
    engine.revise(run_id, feedback="mention the capybara")  # on the last step, before its pick
    engine.pick(run_id, 0)
    run = engine.load(run_id)
    last, article = run.step_order[-1], run.article
    assert article and run.steps[last].feedback

    term = terminal([], size=(80, 24))
    subprocess.run(["tmux", "-L", term.name, "set", "-g", "set-clipboard", "on"], check=True)
    term.wait_for(lambda s: "axolotl husbandry" in s.lower(), "the run on the home screen")
    term.press("s")
    term.wait_for(lambda s: "Type a word to search every run" in s, "the index caught up")
    for key in "capybara":
        term.press(key)
    term.wait_for(lambda s: "1 matches" in s and f"{last}: feedback" in s, "the feedback hit")
    term.press("Down")
    term.press("Enter")
    term.wait_for(lambda s: f"{last} —" in s, f"the run open at {last}")

    term.press("Y")
    term.wait_for(lambda s: "Copied the article" in s, "the copy notice")
    assert tmux_buffer(term) == article
    term.press("Left")  # the next key a writer presses: the screen still answers
    term.wait_for(lambda s: f"{run.step_order[-2]} —" in s, "the step before")
