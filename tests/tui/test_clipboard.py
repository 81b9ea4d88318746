"""Copy (`y`, `Y`): the OSC 52 bytes the app writes, bare and through tmux or screen."""

from __future__ import annotations

import base64
import re

import pytest
from stores import drafted_tech_article

from writeit.domain.compare import display_order
from writeit.engine.engine import Engine
from writeit.tui import osc52
from writeit.tui.app import Start, WriteItApp
from writeit.tui.clipboard import on_screen
from writeit.tui.screens.new_run import Prefill

from .conftest import OpenApp
from .helpers import run_screen, wait_settled, wait_until

NEW_RUN = Start(prefill=Prefill("tech-article", {"topic": "LMDB"}, autostart=True))
BARE = re.compile(r"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07")
PASSTHROUGH = re.compile(r"\x1bPtmux;\x1b\x1b\]52;c;([A-Za-z0-9+/=]*)\x07\x1b\\")


def decoded(payload: str) -> str:
    return base64.b64decode(payload).decode("utf-8")


def test_bare_sequence_outside_tmux() -> None:
    clip = osc52.clip("héllo", {})
    assert clip.sequence == "\x1b]52;c;aMOpbGxv\x07"
    assert clip.via == "OSC 52"


def test_tmux_wraps_in_dcs_passthrough_with_doubled_escapes() -> None:
    clip = osc52.clip("hi", {"TMUX": "/tmp/tmux-0/default,1,0"})
    inner = "\x1b]52;c;aGk=\x07"
    assert clip.sequence == inner + "\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\"
    assert "tmux" in clip.via


def test_screen_gets_pieces_it_passes_whole() -> None:
    text = "x" * 500
    clip = osc52.clip(text, {"STY": "1234.pts-0.host"})
    pieces = re.findall(r"\x1bP(.*?)\x1b\\", clip.sequence, re.S)
    assert len(pieces) > 1 and all(len(p) <= osc52.SCREEN_CHUNK for p in pieces)
    payload = BARE.fullmatch("".join(pieces))
    assert payload is not None and decoded(payload.group(1)) == text


def test_too_long_is_refused_with_a_reason() -> None:
    clip = osc52.clip("x" * (osc52.MAX_ENCODED), {})
    assert clip.sequence == "" and clip.refused and "OSC 52" in clip.refused


def capture(app: WriteItApp) -> list[str]:
    """Everything the app writes to its terminal from now on."""
    written: list[str] = []
    driver = app._driver
    assert driver is not None
    original = driver.write

    def write(data: str) -> None:
        written.append(data)
        original(data)

    driver.write = write  # type: ignore[method-assign]
    return written


@pytest.mark.parametrize("tmux", [False, True])
async def test_y_copies_the_focused_response_and_Y_the_article(
    open_app: OpenApp, engine: Engine, monkeypatch: pytest.MonkeyPatch, tmux: bool
) -> None:
    monkeypatch.delenv("STY", raising=False)
    if tmux:
        monkeypatch.setenv("TMUX", "/tmp/tmux-1000/default,4242,0")
    else:
        monkeypatch.delenv("TMUX", raising=False)
    async with open_app(NEW_RUN) as (app, pilot):
        screen = await wait_settled(pilot, app, "angles")
        written = capture(app)
        await pilot.press("tab", "tab")  # focus pane 2
        await pilot.press("y")
        await wait_until(pilot, lambda: BARE.search("".join(written)), what="an OSC 52 write")
        out = "".join(written)
        second = screen.panes[1].response  # pane 2 on screen (panes are shuffled)
        assert decoded(BARE.findall(out)[0]) == second.content
        wrapped = PASSTHROUGH.findall(out)
        # In tmux: the bare sequence (set-clipboard on) then the same one passed through.
        assert wrapped == (BARE.findall(out)[:1] if tmux else [])
        notices = [n.message for n in app._notifications]
        assert any("Copied response 2 of 'angles'" in n for n in notices)
        assert any(("through tmux" in n) is tmux for n in notices if n.startswith("Copied"))
        assert any(("set-clipboard on" in n) is tmux for n in notices if n.startswith("Copied"))

        await pilot.press("1")  # the next key a writer presses: the run goes on
        await wait_settled(pilot, app, "outline")
        written.clear()
        await pilot.press("Y")
        await wait_until(pilot, lambda: BARE.search("".join(written)), what="the article copied")
        article = engine.load(run_screen(app).run_id).article
        assert article and decoded(BARE.findall("".join(written))[0]) == article


async def test_a_blind_pane_is_copied_without_naming_its_model(engine: Engine) -> None:
    run_id = engine.start_run("blog-post", {"topic": "blind tasting"}).run_id
    await engine.run_step(run_id)
    run = engine.load(run_id)
    step = run.step_order[0]
    focused = run.steps[step].response_ids[0]
    item = on_screen(run, step, focused, blind=True)
    assert item is not None and "offline" not in item.what and item.text
    named = on_screen(run, step, focused)
    assert named is not None and "(offline:" in named.what


async def test_a_section_pane_is_named_by_its_section_and_number_on_screen(engine: Engine) -> None:
    run_id = await drafted_tech_article(engine, "kelp")
    state = engine.load(run_id).steps["draft"]
    section = state.sections[1]
    focused = display_order(section.response_ids)[1]  # the second pane shown for section 2
    item = on_screen(engine.load(run_id), "draft", focused)
    assert item is not None and item.what.startswith("response 2 of section 2 of 'draft'")
    for k in range(len(state.sections)):
        engine.pick(run_id, 0, step="draft", section=k)
    chosen = on_screen(engine.load(run_id), "draft", None)
    assert chosen is not None and chosen.what == "the chosen sections of 'draft'"
