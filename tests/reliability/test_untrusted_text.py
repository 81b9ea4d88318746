"""Model output is untrusted: the CLI shows it as plain text, exports drop its control codes.

A model (or a server's error body) can return terminal control sequences: clear the screen,
move the cursor over earlier output, ring the bell, or write the clipboard with OSC 52. Text
meant as Rich markup must not style anything either. What reaches the terminal through
`writeit` carries no ESC, BEL or C1 control byte; exports (every format) drop the control
sequences while the store keeps the text as received;
and export file names made from pipeline names or run ids cannot leave the exports directory.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from plain_pipeline import install_plain
from stores import open_engine

from writeit.cli.main import main
from writeit.domain.events import RunCreated
from writeit.domain.models import PipelineRun
from writeit.domain.redact import strip_control
from writeit.domain.requests import ModelRequest, StreamItem, TextDelta, UsageReport
from writeit.engine import Engine, parse_model_specs
from writeit.export.files import default_path
from writeit.providers.base import ProviderError
from writeit.providers.registry import ProviderRegistry

from .support import run_cli

HOSTILE = (
    "Intro\x1b[2J\x1b[H cleared\n"  # erase screen, cursor home
    "\x1b]52;c;ZWNobyBvd25lZA==\x07 clipboard write\n"  # OSC 52, BEL-terminated
    "\x1b]52;c;ZWNobyBvd25lZA==\x1b\\ clipboard again\n"  # OSC 52, ST-terminated
    "ding\x07 \x1b[5A\x1b[10C\x1b[2K moved\n"  # bell, cursor up/right, erase line
    "\x9b31m eight-bit CSI\n"  # C1 CSI
    "\x1bPq#0;2;0;0;0#1~~@@vv\x1b\\ sixel\n"  # DCS
    "[bold red]ALERT[/] and [link=https://evil.example]click me[/link] [/]\n"
    "**bold** stays markdown\n"
)
MARKUP = ("[bold red]ALERT[/]", "[link=https://evil.example]click me[/link]")
FORBIDDEN = ("\x1b", "\x07", "\x9b", "\x9d", "\x90", "\x0c", "\x08")


class HostileProvider:
    """`hostile:text` streams HOSTILE; `hostile:fail` fails with control codes in its error."""

    name = "hostile"

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamItem]:
        if request.model == "fail":
            raise ProviderError("boom\x1b[2J\x1b]52;c;cHduZWQ=\x07 [bold]styled[/bold]")
        for part in HOSTILE.split(" "):
            yield TextDelta(part + " ")
        yield UsageReport(input_tokens=1, output_tokens=40)


@pytest.fixture
def hostile(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text(
        "providers:\n  hostile: {kind: openai, base_url: 'http://127.0.0.1:9/v1'}\n"
    )
    create = ProviderRegistry._create

    def with_hostile(self: ProviderRegistry, name: str) -> object:
        return HostileProvider() if name == "hostile" else create(self, name)

    monkeypatch.setattr(ProviderRegistry, "_create", with_hostile)
    return home


def assert_plain(where: str, text: str) -> None:
    for byte in FORBIDDEN:
        assert byte not in text, f"{where} carries {byte!r}"


def test_model_text_is_shown_as_plain_text(
    hostile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    topic = "tabs\x1b[31m red topic"
    # every step picked whole (the article is then the hostile text itself): the plain pipeline
    argv = ["run", install_plain(hostile), "-i", f"topic={topic}", "-m", "hostile:text", "--json"]
    assert main(argv) == 0
    out = capsys.readouterr()
    assert_plain("run stderr", out.err)
    run_id = json.loads(out.out)["run_id"]

    for args in (["show", run_id], ["history", run_id], ["history", run_id, "--at", "4"], ["list"]):
        assert main(args) == 0
        shown = capsys.readouterr()
        assert_plain(f"{args[0]} stdout", shown.out)
        assert_plain(f"{args[0]} stderr", shown.err)
        if args[0] == "show":
            for markup in MARKUP:
                assert markup in shown.out, f"markup was not shown literally: {markup}"
            assert "**bold** stays markdown" in shown.out
    # --json output is for programs: control characters arrive escaped, never raw.
    assert main(["show", run_id, "--json"]) == 0
    raw_json = capsys.readouterr().out
    assert "\x1b" not in raw_json and "\x07" not in raw_json
    assert HOSTILE.strip() == json.loads(raw_json)["article"]

    # And from a real process, byte for byte.
    done = run_cli(hostile, "show", run_id)
    assert done.returncode == 0, done.stderr
    assert_plain("writeit show (process)", done.stdout + done.stderr)
    assert MARKUP[0] in done.stdout


def test_control_codes_in_provider_errors_are_not_printed(
    hostile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "tech-article", "-i", "topic=x", "-m", "hostile:fail"]) == 1
    err = capsys.readouterr().err
    assert_plain("error output", err)
    lines = [line for line in err.splitlines() if line.startswith("writeit: error:")]
    assert len(lines) == 1 and "boom" in lines[0] and "[bold]styled[/bold]" in lines[0], err


def test_exports_drop_control_sequences_and_keep_the_rest(
    hostile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = install_plain(hostile)  # text without headings: no sections to draft per section
    assert main(["run", plain, "-i", "topic=t", "-m", "hostile:text", "--json"]) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    assert main(["export", run_id, "-f", "yaml"]) == 0
    yaml_path = Path(capsys.readouterr().out.strip())
    assert main(["export", run_id, "-f", "markdown"]) == 0
    md_path = Path(capsys.readouterr().out.strip())

    raw_yaml = yaml_path.read_text(encoding="utf-8")
    exported = yaml.safe_load(raw_yaml)
    clean = strip_control(HOSTILE).strip()
    assert exported["article"] == clean  # loaded, not only as written: no escaped ESC either
    for step in exported["steps"]:
        assert step["responses"][0]["content"] == clean
    markdown = md_path.read_text(encoding="utf-8")
    assert_plain("yaml export", raw_yaml)
    assert_plain("markdown export", markdown)
    assert "**bold** stays markdown" in markdown and MARKUP[0] in markdown
    # The store keeps what the model sent.
    assert main(["show", run_id, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["article"] == HOSTILE.strip()


ODD_NAMES = [
    "../../../../tmp/escape",
    "..",
    ".",
    "/etc/passwd",
    "a/../../b",
    "..\\..\\windows",
    "~root",
    "",
    "\x00nul",
    "name\nnewline",
    ".hidden",
    "-rf",
    "tech article",
]


def odd_run(pipeline: str, run_id: str) -> PipelineRun:
    return PipelineRun(
        run_id=run_id, pipeline=pipeline, pipeline_sha="0", created_at=datetime.now(UTC)
    )


def assert_contained(exports: Path, path: Path) -> None:
    assert path.parent == exports, path
    assert path.resolve().parent == exports.resolve(), path
    assert not path.name.startswith((".", "-")), path
    assert "/" not in path.name and "\\" not in path.name and "\x00" not in path.name


@pytest.mark.parametrize("name", ODD_NAMES)
@pytest.mark.parametrize("fmt", ["yaml", "markdown"])
def test_default_export_path_stays_in_the_exports_directory(
    name: str, fmt: str, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    assert_contained(exports, default_path(exports, odd_run(name, name + "-1234-5678"), fmt))  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(pipeline=st.text(max_size=40), run_id=st.text(max_size=40))
def test_default_export_path_property(pipeline: str, run_id: str) -> None:
    exports = Path("/srv/home/exports")
    path = default_path(exports, odd_run(pipeline, run_id), "yaml")
    assert_contained(exports, path)
    assert path.suffix == ".yaml"


def test_exporting_a_run_with_a_hostile_pipeline_name_and_id(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store written by something else (or by hand): the names come from its events."""
    engine, store = open_engine(home)
    try:
        store.append(
            RunCreated(
                run_id="../../../../../../tmp/writeit-escape",
                at=datetime.now(UTC),
                pipeline="../../../../../../tmp/writeit-escape",
                pipeline_sha="0" * 64,
                step_names=["angles", "outline"],
                inputs={"topic": "escape"},
            )
        )
    finally:
        engine.close()
    for fmt in ("yaml", "markdown"):
        assert main(["export", "../../../../", "-f", fmt]) == 0
        written = Path(capsys.readouterr().out.strip())
        assert_contained(home / "exports", written)
        assert written.exists()
    assert not list(Path("/tmp").glob("writeit-escape*"))


def test_hostile_text_survives_the_engine_untouched(hostile: Path) -> None:
    """The store keeps what the model sent (sanitising is for display, not for storage)."""
    engine = Engine.open(hostile)
    try:

        async def go() -> str:
            run = engine.start_run(
                "tech-article", {"topic": "t"}, models=parse_model_specs(["hostile:text"])
            )
            await engine.run_step(run.run_id, "angles")
            return run.run_id

        run_id = asyncio.run(go())
        response = engine.load(run_id).steps["angles"].ordered_responses()[0]
        assert response.raw_output == "".join(p + " " for p in HOSTILE.split(" "))
    finally:
        engine.close()
