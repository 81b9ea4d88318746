"""A seeded random walk over every screen of the real app, checking the invariants after each key.

Each sequence opens the app once (on a run with its first step streamed, or on the home screen)
and presses keys chosen at random among those that make sense on the screen on top, plus now and
then any key at all. After every action it checks that:
  (a) the app still answers a key (`?` opens help and `escape` closes it; in a text field a
      typed character appears and backspace removes it),
  (b) focus is never on a widget that was removed,
  (c) a run screen on top shows the run and step the engine says (title, step bar, panes),
  (d) every run's stored snapshot equals a replay of its log, once nothing streams.
Run screen keys include the compare keys (d differences, m stitch, n blind, E $EDITOR, here a
scripted editor) and the home screen's L (leaderboard). Every third sequence streams slowly and
does not wait for streams to end, so its keys (c, 1, b, r, escape...) land mid-stream; it checks
(c) and (d) whenever nothing streams.
A failure names the seed and the actions so far; rerun one with
`pytest tests/tui/test_model_based.py -k 'seed_17]'`.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from textual import events
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.widgets import Input, TextArea

from writeit.domain.compare import display_order
from writeit.domain.models import PipelineRun
from writeit.engine import Archived, Engine, RunQuery
from writeit.tui.app import Start, WriteItApp
from writeit.tui.screens.dialogs import ConfirmDialog, ExportDialog, TextDialog
from writeit.tui.screens.help import HelpScreen
from writeit.tui.screens.history import HistoryScreen
from writeit.tui.screens.home import HomeScreen
from writeit.tui.screens.leaderboard import LeaderboardScreen
from writeit.tui.screens.new_run import NewRunScreen
from writeit.tui.screens.run import RunScreen
from writeit.tui.screens.run_view import title_line
from writeit.tui.screens.stitch import StitchScreen
from writeit.tui.screens.tree import TreeScreen
from writeit.tui.text import STEP_GLYPH, short_id
from writeit.tui.widgets.step_bar import StepBar

from .conftest import OpenApp
from .helpers import shown

# A sequence costs about 5 s on a 2-core machine (the app repaints after every key, and every
# action is followed by two probe keys). The default suite runs SEQUENCES; `-m slow` (which CI
# runs, `pytest` being the whole suite) runs SLOW_SEQUENCES more, 200 in all; raise either
# through the environment for a longer soak (seeds never overlap).
SEQUENCES = int(os.environ.get("WRITEIT_WALK_SEQUENCES", "20"))
SLOW_SEQUENCES = int(os.environ.get("WRITEIT_WALK_SLOW_SEQUENCES", "180"))
ACTIONS = 15
SETTLE_S = 15.0  # a generous bound for a condition to become true; a poll, never a pause

# Actions by the screen on top: (action, weight). An action is a key, or `type:TEXT`.
RUN_KEYS = [
    ("1", 4), ("2", 3), ("3", 1), ("e", 2), ("f", 2), ("r", 2), ("c", 1), ("b", 3),
    ("left", 3), ("right", 2), ("tab", 2), ("x", 2), ("t", 3), ("h", 1), ("escape", 1),
    ("question_mark", 1), ("ctrl+p", 1), ("d", 2), ("m", 2), ("n", 1), ("E", 1),
]  # fmt: skip
HOME_KEYS = [
    ("enter", 5), ("n", 2), ("r", 2), ("d", 1), ("u", 1), ("a", 1), ("slash", 1), ("down", 2),
    ("up", 1), ("escape", 1), ("question_mark", 1), ("ctrl+p", 1), ("L", 1),
]  # fmt: skip
STITCH_KEYS = [
    ("enter", 3), ("right", 2), ("down", 2), ("tab", 2), ("x", 1), ("shift+up", 1), ("e", 1),
    ("E", 1), ("ctrl+s", 2), ("escape", 1),
]  # fmt: skip
BY_SCREEN: dict[type, list[tuple[str, int]]] = {
    RunScreen: RUN_KEYS,
    HomeScreen: HOME_KEYS,
    NewRunScreen: [("type:walk", 3), ("ctrl+s", 3), ("escape", 1), ("tab", 1)],
    ConfirmDialog: [("y", 4), ("n", 1), ("escape", 1), ("question_mark", 1)],
    TextDialog: [("type: shorter", 2), ("ctrl+s", 5), ("escape", 1)],
    ExportDialog: [("enter", 3), ("y", 1), ("m", 1), ("escape", 1)],
    TreeScreen: [("enter", 4), ("up", 2), ("down", 2), ("escape", 1), ("question_mark", 1)],
    HistoryScreen: [("up", 2), ("down", 2), ("escape", 3), ("question_mark", 1)],
    StitchScreen: STITCH_KEYS,
    LeaderboardScreen: [("escape", 2), ("question_mark", 1)],
    HelpScreen: [("escape", 1)],
    CommandPalette: [("escape", 1)],
}
ANY_KEYS = sorted({key for keys in BY_SCREEN.values() for key, _ in keys if key != "ctrl+p"})
STRAY = 0.1  # how often a key is chosen from every screen's keys instead of this screen's


@dataclass
class Walk:
    """One sequence: its seed, the actions so far, and what a failure should say."""

    seed: int
    actions: list[str] = field(default_factory=list)
    live: bool = False  # models stream slowly: keys land mid-stream; (c), (d) checked when idle

    def where(self) -> str:
        return f"seed {self.seed}, actions so far: {' '.join(self.actions)}"


def choose(rng: random.Random, screen: object) -> str:
    keys = next((k for cls, k in BY_SCREEN.items() if isinstance(screen, cls)), None)
    if keys is None or rng.random() < STRAY:
        return rng.choice(ANY_KEYS)
    names, weights = zip(*keys, strict=True)
    return rng.choices(names, weights)[0]


async def wait_for(
    pilot: Pilot[None], walk: Walk, predicate: Callable[[], object], what: str
) -> None:
    """Poll `predicate` while the app runs; fail naming the seed and the actions so far."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_S
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}; {walk.where()}")
        await asyncio.sleep(0.005)


CHARS = {"question_mark": "?", "slash": "/", "space": " "}


async def press(pilot: Pilot[None], *keys: str) -> None:
    """Press keys as the terminal driver would send them, then let every screen handle them.

    `Pilot.press` waits after each key until the process is idle, which here costs about a
    quarter of a second of repainting per key; this posts the same key events and waits only
    until the messages they cause are handled, so repaints of several keys may coalesce. Every
    check below polls for its condition, so nothing relies on a repaint having happened.
    """
    app = pilot.app
    for key in keys:
        name = "space" if key == " " else key
        char = CHARS.get(name, name if len(name) == 1 else None)
        event = events.Key(name, char)
        event.set_sender(app)
        app.post_message(event)
        await quiet(pilot)


async def quiet(pilot: Pilot[None]) -> None:
    """Let the app handle every message queued, and what they cause, until it rests a moment.

    Resting: no message waits in any queue of any screen on the stack, the stack is the same,
    and no worker other than the streaming ones runs, three looks in a row a few ms apart.
    """
    app = pilot.app
    calm, last = 0, None
    for _ in range(2000):
        await asyncio.sleep(0.002 if calm else 0)  # not `pilot.pause`: that forces a repaint
        stack = list(app.screen_stack)
        nodes = [app, *(n for s in stack for n in s.walk_children(with_self=True))]
        busy = any(not n._message_queue.empty() for n in nodes) or any(
            w.is_running and w.group != "engine" for w in app.workers
        )
        calm = 0 if busy or stack != last else calm + 1
        last = stack
        if calm >= 3:
            return


async def act(pilot: Pilot[None], action: str) -> None:
    if action.startswith("type:"):
        await press(pilot, *action.removeprefix("type:"))
    else:
        await press(pilot, action)


def all_runs(engine: Engine) -> list[str]:
    page = engine.runs(RunQuery(limit=1000, archived=Archived.ALSO))
    return [run.run_id for run in page.runs]


def streams(app: WriteItApp, engine: Engine) -> bool:
    return bool(app.streaming_runs) or any(engine.is_streaming(r) for r in all_runs(engine))


def projection(run: PipelineRun) -> object:
    """What a snapshot and a replay must agree on: statuses, selections, texts, response ids."""
    return (
        run.run_id,
        run.status,
        run.current_step,
        run.parent_run_id,
        run.branch_point,
        run.archived,
        [
            (
                step.name,
                step.status,
                step.attempt,
                step.selected,
                step.content,
                step.feedback,
                step.response_ids,
                step.earlier_response_ids,
                [(r.response_id, r.status, r.content) for r in step.ordered_responses()],
            )
            for step in run.ordered_steps()
        ],
    )


def text_field(app: WriteItApp) -> Input | TextArea | None:
    focused = app.focused
    return focused if isinstance(focused, Input | TextArea) else None


async def answers_a_key(pilot: Pilot[None], app: WriteItApp, walk: Walk) -> None:
    """(a) A key gets an answer: help opens and closes, or a typed character shows and goes."""
    before = app.screen
    field_ = text_field(app)
    if field_ is not None or isinstance(before, CommandPalette):
        target = field_ if field_ is not None else before.query_one(Input)

        def value() -> str:
            return target.text if isinstance(target, TextArea) else target.value

        if field_ is not None:
            await press(pilot, "end")  # a field focused by tab has its text selected: keep it
        was = value()
        await press(pilot, "z")
        await wait_for(pilot, walk, lambda: value() != was, "a typed character to show")
        await press(pilot, "backspace")
        await wait_for(pilot, walk, lambda: value() == was, "backspace to remove it")
        return
    if isinstance(before, ModalScreen) and not isinstance(before, HelpScreen):
        # a dialog: Textual stops app keys such as ? at a modal screen; tab moves focus instead
        was = app.focused
        await press(pilot, "tab")
        await wait_for(pilot, walk, lambda: app.focused is not was, "tab to move focus")
        await press(pilot, "shift+tab")
        await wait_for(pilot, walk, lambda: app.focused is was, "shift+tab to move it back")
        return
    if isinstance(before, HelpScreen):
        await press(pilot, "question_mark")  # closes help
        await wait_for(pilot, walk, lambda: not isinstance(app.screen, HelpScreen), "help closes")
        below = app.screen
        await press(pilot, "question_mark")
        await wait_for(pilot, walk, lambda: isinstance(app.screen, HelpScreen), "help reopens")
        assert app.screen_stack[-2] is below, walk.where()
        return
    await press(pilot, "question_mark")
    await wait_for(pilot, walk, lambda: isinstance(app.screen, HelpScreen), "help to open")
    await press(pilot, "escape")
    await wait_for(pilot, walk, lambda: app.screen is before, "help to close")


def focus_attached(app: WriteItApp, walk: Walk) -> None:
    """(b) Focus is on nothing, or on a widget that is still in the DOM."""
    focused = app.focused
    assert focused is None or focused.is_attached, f"focus on removed {focused!r}; {walk.where()}"


def shows_the_engine_run(screen: RunScreen, engine: Engine) -> bool:
    """(c) Title, step bar and panes say what the engine says about the run on screen."""
    stored = engine.load(screen.run_id)
    if (screen.run.status, screen.run.current_step) != (stored.status, stored.current_step):
        return False
    if screen.viewed not in stored.step_order:
        return False
    title = shown(screen.query_one("#run-title"))
    if title != title_line(stored, screen.streaming).plain or short_id(screen.run_id) not in title:
        return False
    bar = shown(screen.query_one(StepBar))
    if any(f"{STEP_GLYPH[s.status]} {s.name}" not in bar for s in stored.ordered_steps()):
        return False
    if screen.sub_title != f"run {short_id(screen.run_id)}":
        return False
    step = stored.steps[screen.viewed]
    ids = step.response_ids
    k = screen.structure.section  # a section step shows the section under the cursor
    if step.sections and k is not None:
        ids = step.sections[k].response_ids
    shuffled = display_order(ids)  # the panes' order: number keys follow it
    return [p.response.response_id for p in screen.panes] == shuffled or (
        not ids and not screen.panes
    )


async def check(pilot: Pilot[None], app: WriteItApp, engine: Engine, walk: Walk) -> None:
    focus_attached(app, walk)
    await answers_a_key(pilot, app, walk)
    focus_attached(app, walk)
    if walk.live and streams(app, engine):
        return  # (c) and (d) are checked once nothing streams
    await wait_for(pilot, walk, lambda: not streams(app, engine), "streaming to end")
    screen = app.screen
    if isinstance(screen, RunScreen):
        try:
            await wait_for(
                pilot, walk, lambda: shows_the_engine_run(screen, engine), "the run as stored"
            )
        except AssertionError:
            stored = engine.load(screen.run_id)
            raise AssertionError(
                f"run screen of {short_id(screen.run_id)} shows "
                f"{screen.run.status}/{screen.run.current_step} viewing {screen.viewed}, "
                f"panes {[p.response.response_id[:8] for p in screen.panes]}; "
                f"the engine says {stored.status}/{stored.current_step}, "
                f"title {shown(screen.query_one('#run-title'))!r}; {walk.where()}"
            ) from None
    for run_id in all_runs(engine):
        assert projection(engine.load(run_id)) == projection(engine.replay(run_id)), (
            f"run {run_id}: stored snapshot differs from the replay of its log; {walk.where()}"
        )


async def prepared(engine: Engine, rng: random.Random) -> Start:
    """A run with its first step streamed (sometimes picked further, sometimes branched)."""
    run_id = engine.start_run("tech-article", {"topic": f"walk {rng.randrange(1000)}"}).run_id
    await engine.run_step(run_id)
    for _ in range(rng.choice([0, 0, 1, 2])):
        run_id = engine.pick(run_id, rng.randrange(2))
        await engine.run_step(run_id)
    if rng.random() < 0.2:
        engine.branch(run_id, "angles")
    return Start(run_id=run_id) if rng.random() < 0.7 else Start()


async def walk_once(
    open_app: OpenApp, engine: Engine, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    walk = Walk(seed, live=seed % 3 == 2)
    # E hands the text to $EDITOR: a scripted one that appends a line and returns at once
    # (headless, the app cannot suspend and says so; a real terminal would run it)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", "sed -i -e '$a walked'")
    if walk.live:  # every third sequence: streams last a second or two, so keys interrupt them
        monkeypatch.setenv("WRITEIT_OFFLINE_TPS", "100")  # before the engine first streams
    start = await prepared(engine, rng)
    async with open_app(start, size=(80, 24)) as (app, pilot):
        want = RunScreen if start.run_id else HomeScreen
        await wait_for(pilot, walk, lambda: isinstance(app.screen, want), "the first screen")
        await check(pilot, app, engine, walk)
        for _ in range(ACTIONS):
            action = choose(rng, app.screen)
            walk.actions.append(action)
            await act(pilot, action)
            assert app.is_running, f"the app quit; {walk.where()}"
            await check(pilot, app, engine, walk)
        walk.live = False
        await check(pilot, app, engine, walk)  # a live walk too ends with every check


@pytest.mark.parametrize("seed", range(SEQUENCES), ids=lambda s: f"seed_{s}")
async def test_random_walk(
    open_app: OpenApp, engine: Engine, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    await walk_once(open_app, engine, seed, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize(
    "seed", range(SEQUENCES, SEQUENCES + SLOW_SEQUENCES), ids=lambda s: f"seed_{s}"
)
async def test_random_walk_more(
    open_app: OpenApp, engine: Engine, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    await walk_once(open_app, engine, seed, monkeypatch)


async def test_tree_says_where_each_run_is_in_the_same_words_as_the_run_screen(
    open_app: OpenApp, engine: Engine
) -> None:
    """Status words are truthful in the tree too: a fresh branch is not `initializing`, and a
    run waiting for a pick is not merely `running` (the title and home list say which)."""
    from writeit.domain.rules import run_state

    root = engine.start_run("tech-article", {"topic": "words"}).run_id
    await engine.run_step(root)
    child = engine.branch(root, "angles")
    async with open_app(Start(run_id=root)) as (app, pilot):
        await press(pilot, "t")
        await wait_for(
            pilot, Walk(0), lambda: isinstance(app.screen, TreeScreen), "the branch tree"
        )
        labels = [str(n.label) for n in app.screen.query_one("Tree").root.children[0].children]
        labels.insert(0, str(app.screen.query_one("Tree").root.children[0].label))
        for run_id, label in zip([root, child], labels, strict=True):
            assert run_state(engine.load(run_id)) in label, label
        assert not any("initializing" in label for label in labels), labels
