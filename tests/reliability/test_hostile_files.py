"""Hostile files and values are inert: pipelines are shared, so what a file says is untrusted.

A FIFO or a `/dev/zero` link among the pipelines must not hang a command (each runs in a
subprocess with a timeout), a huge file is skipped and named, template checks are linear, and
escape sequences in any text of a pipeline or style never reach the terminal (CLI or TUI).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widget import Widget
from textual.widgets import Input, Select

from writeit.domain.pipeline import load_pipeline
from writeit.domain.template import placeholders
from writeit.engine import Engine
from writeit.tui.app import Start, create_app
from writeit.tui.screens.new_run import NewRunScreen, Prefill
from writeit.tui.screens.run import RunScreen

from .support import run_cli

# YAML's own escapes (a raw ESC byte is refused by the YAML reader): OSC title, bell, clear
# screen, a colour, and the 8-bit CSI.
ESC = r"\e]0;pwned\a\e[2J\e[31m\x9b2J"
FORBIDDEN = ("\x1b", "\x07", "\x9b")
HOSTILE_PIPELINE = f"""\
name: hostile
description: "desc {ESC} end"
inputs:
  - {{name: topic, type: text, required: true, help: "help {ESC} text"}}
  - {{name: tone, type: choice, choices: ["calm", "loud {ESC}"], default: calm}}
  - {{name: notes, type: text, default: "dflt {ESC} x"}}
steps:
  - name: angles
    description: "angles {ESC} desc"
    prompt: "Angles on {{{{ inputs.topic }}}}"
  - name: outline
    description: "outline {ESC} desc"
    prompt: "Outline {{{{ steps.angles.selected }}}}"
"""
HOSTILE_STYLE = f"""\
id: hostile-style
name: "style {ESC} name"
description: "style {ESC} description"
content: "Write {ESC} plainly."
"""


@pytest.fixture
def hostile_home(home: Path) -> Path:
    (home / "pipelines").mkdir(parents=True)
    (home / "styles").mkdir()
    (home / "pipelines" / "hostile.yaml").write_text(HOSTILE_PIPELINE)
    (home / "styles" / "hostile-style.yaml").write_text(HOSTILE_STYLE)
    return home


def assert_inert(where: str, text: str) -> None:
    for byte in FORBIDDEN:
        assert byte not in text, f"{where} carries {byte!r}"


@pytest.mark.parametrize("target", ["fifo", "dev-zero", "directory"])
def test_odd_files_among_pipelines_and_styles_never_hang(home: Path, target: str) -> None:
    for kind in ("pipelines", "styles"):
        folder = home / kind
        folder.mkdir(parents=True, exist_ok=True)
        odd = folder / "odd.yaml"
        if target == "fifo":
            os.mkfifo(odd)
        elif target == "dev-zero":
            odd.symlink_to("/dev/zero")
        else:
            odd.mkdir()
    for command in ("pipelines", "styles"):
        done = run_cli(home, command, timeout=30)
        assert done.returncode == 0, done.stderr
        assert "odd.yaml:1:" in done.stderr and "not a regular file" in done.stderr
        assert "tech-article" in done.stdout or "tech-journalist" in done.stdout
    done = run_cli(home, "run", "tech-article", "-i", "topic=x", timeout=60)
    assert done.returncode == 0, done.stderr


def test_a_huge_pipeline_is_skipped_and_named(home: Path) -> None:
    folder = home / "pipelines"
    folder.mkdir(parents=True)
    body = "x {{ inputs.topic }}\n" * 300_000  # ~6 MB, 300k placeholders
    (folder / "huge.yaml").write_text(
        "name: huge\ninputs: [{name: topic}]\nsteps:\n"
        f"  - {{name: a, prompt: {body!r}}}\n  - {{name: b, prompt: x}}\n"
    )
    done = run_cli(home, "pipelines", timeout=30)
    assert done.returncode == 0, done.stderr
    assert "huge.yaml:1:" in done.stderr and "limit" in done.stderr
    done = run_cli(home, "run", "tech-article", "-i", "topic=x", timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def hang_guard() -> Iterator[None]:
    """Fail (not hang) if the guarded work runs away; no wall-clock figure is asserted."""

    def expire(*_: object) -> None:
        raise TimeoutError("template validation did not finish within the 30 s guard")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(30)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_template_validation_is_linear(hang_guard: None) -> None:
    """100k placeholders just under the size cap: each is found on its own line, and a bad
    reference is still named at its line (counting lines from the top for each one was
    quadratic: 101 s for a 6 MB pipeline)."""
    prompt = "{{ inputs.topic }}\n" * 50_000 + "{{ inputs.nope }}\n" + "{{style}}\n" * 50_000
    found = placeholders(prompt)
    assert len(found) == 100_001
    assert [p.line for p in found[49_999:50_002]] == [49_999, 50_000, 50_001]
    assert {p.name for p in found} == {"inputs.topic", "inputs.nope", "style"}
    small = "{{style}}\n" * 30_000 + "{{ inputs.nope }}\n" + "{{style}}\n" * 30_000
    indented = "\n".join("      " + line for line in small.splitlines())
    text = (
        "name: big\ninputs: [{name: topic}]\nsteps:\n"
        f"  - name: a\n    prompt: |\n{indented}\n  - {{name: b, prompt: x}}\n"
    )
    assert len(text) < 1024 * 1024
    with pytest.raises(Exception) as info:
        load_pipeline("big.yaml", text)
    assert str(info.value).count("\n") == 0 and "big.yaml:30006:" in str(info.value)
    assert "undefined input 'nope'" in str(info.value)
    # Spaces after an unclosed `{{` cost time linear in their number.
    assert placeholders("{{" + " " * 500_000) == []


def test_escape_sequences_never_reach_the_cli(hostile_home: Path) -> None:
    for args in (
        ["pipelines"],
        ["styles"],
        ["validate", str(hostile_home / "pipelines" / "hostile.yaml")],
    ):
        done = run_cli(hostile_home, *args)
        assert done.returncode == 0, done.stderr
        assert_inert(f"writeit {args[0]}", done.stdout + done.stderr)
    assert "hostile" in run_cli(hostile_home, "pipelines").stdout
    done = run_cli(hostile_home, "run", "hostile", "-i", "topic=t", "--style", "hostile-style")
    assert done.returncode == 0, done.stderr
    assert_inert("writeit run", done.stdout + done.stderr)
    run_id = done.stdout.strip()
    for args in (["show", run_id], ["history", run_id], ["list"]):
        shown = run_cli(hostile_home, *args)
        assert shown.returncode == 0, shown.stderr
        assert_inert(f"writeit {args[0]}", shown.stdout + shown.stderr)


def widget_texts(widget: Widget) -> Iterator[tuple[str, str]]:
    """Every text a widget and its children show: content, values, placeholders, options."""
    for node in [widget, *widget.walk_children()]:
        name = f"{type(node).__name__}#{node.id}"
        content = getattr(node, "content", None)
        if content is not None:
            yield name, str(getattr(content, "plain", content))
        if isinstance(node, Input):
            yield name, node.value
            yield name, str(node.placeholder)
        if isinstance(node, Select):
            for prompt, _ in getattr(node, "_options", []):
                yield name, str(getattr(prompt, "plain", prompt))
        yield name, str(getattr(node.render(), "plain", ""))


async def test_escape_sequences_never_reach_the_tui(hostile_home: Path, engine: Engine) -> None:
    start = Start(prefill=Prefill(pipeline="hostile", style="hostile-style"))
    app = create_app(engine.home, engine, start)
    async with app.run_test(size=(140, 60)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, NewRunScreen)
        texts = list(widget_texts(screen))
        joined = "\n".join(text for _, text in texts)
        assert "help" in joined and "desc" in joined and "style" in joined, "texts shown"
        for name, text in texts:
            assert_inert(name, text)

    run = engine.start_run("hostile", {"topic": "t"}, style="hostile-style")
    app = create_app(engine.home, engine, Start(run_id=run.run_id))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, RunScreen)
        texts = list(widget_texts(app.screen))
        assert any("angles" in text and "desc" in text for _, text in texts)
        for name, text in texts:
            assert_inert(name, text)
