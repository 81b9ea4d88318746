"""Bad input gets one clear line on stderr, exit 1, no traceback, and the store stays untouched.

DESIGN.md, CLI: "Exit codes: 0 ok, 1 user error (clear one-line message on stderr, no
traceback)"; pipeline errors "name the file, the line where possible, and the offending
variable/field". Every case runs against a store that already holds runs, and the whole store
is compared key by key before and after.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from stores import open_engine

from writeit.cli.main import main
from writeit.domain.events import RunCreated
from writeit.engine import Archived, Engine, PickStrategy, RunQuery

from .support import dump_store, run_cli, store_path

BASE = """\
name: mini
description: a small pipeline
defaults: {temperature: 0.5}
inputs:
  - {name: topic, required: true}
steps:
  - name: first
    prompt: |
      Angles on {{ inputs.topic }}.
  - name: second
    prompt: |
      Outline from {{ steps.first.selected }}.
"""

# name -> (file text or bytes, expected line, words the message must contain)
BROKEN: dict[str, tuple[str | bytes, int, tuple[str, ...]]] = {
    "syntax": (
        BASE.replace("required: true}", "required: true"),
        6,
        ("YAML syntax error",),
    ),
    "syntax-indent": (
        BASE.replace("  - name: second", "  - name: second\n   prompt: x: y"),
        11,
        ("YAML syntax error",),
    ),
    "wrong-type": (
        BASE.replace("temperature: 0.5", "temperature: hot"),
        3,
        ("defaults.temperature", "number"),
    ),
    "wrong-type-list": (
        BASE.replace("inputs:\n  - {name: topic, required: true}", "inputs: topic"),
        4,
        ("inputs",),
    ),
    "unknown-field": (
        BASE.replace("  - name: second\n", "  - name: second\n    colour: red\n"),
        11,
        ("unknown field 'colour'", "steps.1"),
    ),
    "unknown-top-field": (BASE + "extra: 1\n", 13, ("unknown field 'extra'",)),
    "undefined-input": (
        BASE.replace("selected }}.", "selected }}.\n      For {{ inputs.nope }}."),
        13,
        ("undefined input 'nope'", "step 'second'"),
    ),
    "undefined-step": (
        BASE.replace("selected }}.", "selected }} {{ steps.zzz.selected }}."),
        12,
        ("undefined step 'zzz'",),
    ),
    "forward-reference": (
        BASE.replace("topic }}.", "topic }}.\n      After {{ steps.second.selected }}."),
        10,
        ("does not come earlier", "second"),
    ),
    "duplicate-step": (
        BASE.replace("  - name: second", "  - name: first"),
        10,
        ("duplicate step name 'first'",),
    ),
    "one-step": (BASE[: BASE.index("  - name: second")], 7, ("at least 2",)),
    "empty": ("", 1, ("empty",)),
    "blank": ("\n  \n\t\n", 1, ("empty",)),
    "not-utf8": (b"name: caf\xe9\n" + BASE.encode(), 1, ("not UTF-8",)),
    "binary": (b"\x00\x01\x02\xff\xfe", 1, ("not UTF-8",)),
    "not-a-mapping": ("- just\n- a list\n", 1, ("mapping",)),
}


@pytest.fixture
def populated(home: Path) -> Iterator[Path]:
    """A store with one finished run and two runs whose ids share the prefix `abcdef0`."""
    engine, store = open_engine(home)
    try:
        run = engine.start_run("tech-article", {"topic": "bad input"})
        asyncio.run(engine.run_to_end(run.run_id, PickStrategy.parse("1")))
        for n in (1, 2):
            store.append(
                RunCreated(
                    run_id=f"abcdef0{n}-0000-4000-8000-00000000000{n}",
                    at=datetime.now(UTC),
                    pipeline="tech-article",
                    pipeline_sha="0" * 64,
                    step_names=["angles", "outline"],
                    inputs={"topic": "twins"},
                )
            )
    finally:
        engine.close()
    yield home


def the_run(home: Path) -> str:
    engine = Engine.open(home)
    try:
        runs = engine.runs(RunQuery(archived=Archived.ALSO)).runs
        return next(r.run_id for r in runs if not r.run_id.startswith("abcdef0"))
    finally:
        engine.close()


def one_line_error(rc: int, err: str, *needles: str) -> str:
    assert rc == 1, (rc, err)
    assert "Traceback" not in err, err
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    line = lines[0]
    for needle in needles:
        assert needle in line, (needle, line)
    return line


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / f"{name}.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_the_base_pipeline_is_valid(tmp_path: Path, populated: Path) -> None:
    assert main(["validate", str(write(tmp_path, "base", BASE))]) == 0


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_pipeline_files(
    case: str, tmp_path: Path, populated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, line, words = BROKEN[case]
    path = write(tmp_path, case, content)
    before = dump_store(store_path(populated))

    # `writeit validate FILE`: one `file:line: message` per problem, exit 1.
    assert main(["validate", str(path)]) == 1
    captured = capsys.readouterr()
    problems = captured.err.strip().splitlines()
    assert problems == [problems[0]], captured.err
    assert problems[0].startswith(f"{path}:{line}: "), (problems[0], line)
    for w in words:
        assert w in problems[0], (w, problems[0])

    # `writeit run FILE`: the same problem as one error line, and no run is created.
    rc = main(["run", str(path), "--input", "topic=x"])
    err = capsys.readouterr().err
    one_line_error(rc, err, f"writeit: error: {path}:{line}: ", *words)
    assert dump_store(store_path(populated)) == before


# argv (with {run} for the finished run's id) -> words the error line must contain
BAD_COMMANDS: dict[str, tuple[list[str], tuple[str, ...]]] = {
    "missing-input": (["run", "tech-article"], ("input 'topic' is required",)),
    "blank-input": (["run", "tech-article", "-i", "topic=  "], ("input 'topic' is required",)),
    "unknown-input": (
        ["run", "tech-article", "-i", "topic=x", "-i", "tone=dry"],
        ("no input 'tone'",),
    ),
    "bad-choice": (["run", "tech-article", "-i", "topic=x", "-i", "audience=cats"], ("one of",)),
    "input-syntax": (["run", "tech-article", "-i", "topic"], ("name=value",)),
    "unknown-pipeline": (
        ["run", "no-such-pipeline", "-i", "topic=x"],
        ("unknown pipeline 'no-such-pipeline'", "tech-article"),
    ),
    "missing-file": (["run", "./nowhere.yaml", "-i", "topic=x"], ("nowhere.yaml:1", "cannot read")),
    "unknown-style": (
        ["run", "tech-article", "-i", "topic=x", "--style", "shouty"],
        ("unknown style 'shouty'",),
    ),
    "unknown-model": (
        ["run", "tech-article", "-i", "topic=x", "-m", "offline:genius"],
        ("unknown offline model 'genius'",),
    ),
    "unknown-provider": (
        ["run", "tech-article", "-i", "topic=x", "-m", "acme:big"],
        ("unknown provider 'acme'",),
    ),
    "bad-model-ref": (["run", "tech-article", "-i", "topic=x", "-m", "gpt4"], ("provider:model",)),
    "model-unknown-step": (
        ["run", "tech-article", "-i", "topic=x", "-m", "intro=offline:writer"],
        ("unknown step 'intro'",),
    ),
    "bad-pick": (["run", "tech-article", "-i", "topic=x", "--pick", "best"], ("--pick best",)),
    "unknown-id": (["show", "fedcba98"], ("no run matches 'fedcba98'",)),
    "ambiguous-id": (["show", "abcdef0"], ("ambiguous",)),
    "ambiguous-id-6": (["history", "abcdef"], ("ambiguous",)),
    "short-id": (["show", "abc"], ("too short", "6")),
    "branch-unknown-step": (["branch", "{run}", "--from", "intro"], ("no step 'intro'", "angles")),
    "branch-unknown-run": (["branch", "fedcba98", "--from", "angles"], ("no run matches",)),
    "history-beyond": (["history", "{run}", "--at", "999"], ("only",)),
    "history-negative": (["history", "{run}", "--at", "-1"], ("--at",)),
    "export-unwritable": (["export", "{run}", "-o", "{file}/out.yaml"], ("cannot write",)),
    "export-proc": (
        ["export", "{run}", "-o", "/proc/writeit-nope/out.md", "-f", "markdown"],
        ("cannot write",),
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_COMMANDS))
def test_bad_commands(
    case: str, tmp_path: Path, populated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv, words = BAD_COMMANDS[case]
    a_file = tmp_path / "a-file.txt"
    a_file.write_text("not a directory")
    run_id = the_run(populated)
    argv = [a.format(run=run_id[:8], file=a_file, dir=tmp_path) if "{" in a else a for a in argv]
    before = dump_store(store_path(populated))
    exports_before = sorted(p.name for p in tmp_path.rglob("*"))
    rc = main(argv)
    one_line_error(rc, capsys.readouterr().err, "writeit: error: ", *words)
    assert dump_store(store_path(populated)) == before
    assert sorted(p.name for p in tmp_path.rglob("*")) == exports_before


def test_export_into_an_existing_directory_writes_the_default_name(
    tmp_path: Path, populated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`-o DIR` is not an error (issue 9): the export goes into DIR under its default name."""
    run_id = the_run(populated)
    target = tmp_path / "out"
    target.mkdir()
    before = dump_store(store_path(populated))
    assert main(["export", run_id[:8], "-o", str(target)]) == 0
    written = Path(capsys.readouterr().out.strip())
    assert written.parent == target and written.name.startswith(f"tech-article-{run_id[:8]}")
    assert written.read_text(encoding="utf-8").strip()
    assert [p.name for p in target.iterdir()] == [written.name]
    assert dump_store(store_path(populated)) == before


# The same promises as a user sees them: a real process, real stderr.
SUBPROCESS_CASES = {
    "syntax-file": (["validate", "{syntax}"], ("{syntax}:6: YAML syntax error",)),
    "non-utf8-run": (
        ["run", "{binary}", "-i", "topic=x"],
        ("writeit: error: {binary}:1: not UTF-8",),
    ),
    "unknown-pipeline": (
        ["run", "nope", "-i", "topic=x"],
        ("writeit: error: unknown pipeline 'nope'",),
    ),
    "ambiguous-id": (["show", "abcdef0"], ("writeit: error: run id 'abcdef0' is ambiguous",)),
    "export-unwritable": (
        ["export", "{run}", "-o", "{file}/x.yaml"],
        ("writeit: error: cannot write",),
    ),
    "missing-input": (["run", "tech-article"], ("writeit: error: input 'topic' is required",)),
}


@pytest.mark.parametrize("case", sorted(SUBPROCESS_CASES))
def test_bad_input_in_a_real_process(case: str, tmp_path: Path, populated: Path) -> None:
    argv, words = SUBPROCESS_CASES[case]
    names = {
        "syntax": str(write(tmp_path, "syntax", BROKEN["syntax"][0])),
        "binary": str(write(tmp_path, "binary", BROKEN["binary"][0])),
        "file": str(tmp_path / "syntax.yaml"),
        "run": the_run(populated)[:8],
    }
    before = dump_store(store_path(populated))
    done = run_cli(populated, *[a.format(**names) for a in argv])
    assert done.stdout == ""
    one_line_error(done.returncode, done.stderr, *[w.format(**names) for w in words])
    assert dump_store(store_path(populated)) == before
