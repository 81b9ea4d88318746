"""Defects found trying the CLI as a new user would; each test fails on the behaviour it fixes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml

from writeit.cli import main
from writeit.engine import Engine

SHIPPED = Path(__file__).parents[2]

CUSTOM = """\
name: custom
defaults: {responses: 3}
inputs:
  - {name: topic, type: text, required: true}
steps:
  - {name: first, prompt: "Suggest angles for {{ inputs.topic }}"}
  - {name: second, prompt: "Write about {{ steps.first.selected }}"}
"""


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str) -> str:
    """The single stderr line of a user error (exit 1, no traceback)."""
    assert code == 1, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("writeit: error: "), err
    return lines[0]


def stored_runs(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    code, out, err = cli(capsys, "list", "--all", "--json")
    assert code == 0, err
    runs: list[dict[str, object]] = json.loads(out)
    return runs


def run_headless(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code, out, err = cli(capsys, "run", "tech-article", "-i", "topic=Event sourcing", *extra)
    assert code == 0, err
    return out.strip()


@pytest.fixture
def finished(capsys: pytest.CaptureFixture[str]) -> str:
    return run_headless(capsys)


@pytest.fixture
def custom_pipeline(home: Path) -> Path:
    path = home / "pipelines" / "custom.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CUSTOM)
    return path


# -- --pick N against the fan-out -------------------------------------------------------------


def test_pick_beyond_the_fanout_is_refused_before_any_run_exists(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # tech-article's angles step chooses an item (3 of 5 is there); its outline has 2 responses.
    code, _, err = cli(capsys, "run", "tech-article", "-i", "topic=x", "--pick", "3")
    line = one_line_error(code, err)
    assert "--pick 3" in line and "'outline' has only 2 responses" in line
    assert stored_runs(capsys) == []  # nothing was created, no step streamed


def test_pick_counts_models_times_responses_per_model(
    capsys: pytest.CaptureFixture[str], custom_pipeline: Path
) -> None:
    one_model = ("-i", "topic=tea", "--model", "offline:writer")
    code, _, err = cli(capsys, "run", "custom", *one_model, "--pick", "4")
    assert "only 3 responses" in one_line_error(code, err)
    assert stored_runs(capsys) == []
    code, out, err = cli(capsys, "run", "custom", *one_model, "--pick", "3", "--json")
    assert code == 0, err
    assert [s["selected"] for s in json.loads(out)["steps"]] == [2, 2]


def test_run_reports_each_pick_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "run", "blog-post", "-i", "topic=tea", "--pick", "2")
    assert code == 0, err
    assert "ideas: offline:writer, offline:editor" in err
    assert "ideas: picked 1, item 2 (offline:writer)" in err  # an item step: item 2
    assert "draft: picked 2 (offline:editor)" in err
    assert len(out.strip()) == 36


# -- new and run refuse the same things, before anything is written -------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-i", "topic=x", "-i", "audience=kids"], "input 'audience' must be one of"),
        (["-i", "topic=x", "--style", "nope"], "unknown style 'nope'"),
        (["-i", "topic=x", "-i", "colour=red"], "has no input 'colour'"),
        (["-i", "topic=x", "--model", "outro=offline:writer"], "unknown step 'outro'"),
    ],
)
def test_new_validates_exactly_as_run_does(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    extra: list[str],
    message: str,
) -> None:
    from writeit.tui.app import WriteItApp

    def no_tui(*_: object, **__: object) -> None:
        raise AssertionError("the TUI opened for a run that must be refused")

    monkeypatch.setattr(WriteItApp, "run", no_tui)
    lines = []
    for command in ("run", "new"):
        code, _, err = cli(capsys, command, "tech-article", *extra)
        lines.append(one_line_error(code, err))
        assert message in lines[-1]
        assert stored_runs(capsys) == []
    assert lines[0] == lines[1]


def test_an_input_outside_its_choices_writes_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's own example: `new` crashed and left an `initializing` run behind. `new` may
    leave a required input to its form; a wrong value is refused by both commands."""
    from writeit.tui.app import WriteItApp

    monkeypatch.setattr(WriteItApp, "run", lambda *_, **__: pytest.fail("the TUI opened"))
    code, _, err = cli(capsys, "run", "tech-article", "-i", "audience=kids")
    assert "input 'topic' is required" in one_line_error(code, err)
    code, _, err = cli(capsys, "new", "tech-article", "-i", "audience=kids")
    assert "input 'audience' must be one of: developers" in one_line_error(code, err)
    assert stored_runs(capsys) == []


# -- list ------------------------------------------------------------------------------------


def test_list_unknown_pipeline_names_the_available_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = cli(capsys, "list", "--pipeline", "tech-artcle")
    line = one_line_error(code, err)
    assert "no pipeline 'tech-artcle'" in line
    assert "blog-post, long-article, newsletter, tech-article" in line
    code, out, _ = cli(capsys, "list", "--pipeline", "tech-article")
    assert code == 0 and out.startswith("no runs yet")


def test_list_pipeline_whose_file_is_gone_still_lists_its_runs(
    capsys: pytest.CaptureFixture[str], custom_pipeline: Path
) -> None:
    code, out, err = cli(capsys, "run", "custom", "-i", "topic=tea")
    assert code == 0, err
    custom_pipeline.unlink()
    code, listed, err = cli(capsys, "list", "--pipeline", "custom", "--json")
    assert code == 0, err
    assert [r["run_id"] for r in json.loads(listed)] == [out.strip()]


def test_list_limit_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["list", "--limit", "0"])
    assert info.value.code == 2
    assert "--limit" in capsys.readouterr().err


def test_list_and_show_mark_archived_runs(
    capsys: pytest.CaptureFixture[str], finished: str, home: Path
) -> None:
    with Engine.open(home) as engine:
        engine.archive(finished)
    code, out, _ = cli(capsys, "list")
    assert code == 0 and finished[:8] not in out
    code, out, _ = cli(capsys, "list", "--all")
    row = next(line for line in out.splitlines() if line.startswith(finished[:8]))
    assert "completed (archived)" in row
    assert [r["archived"] for r in stored_runs(capsys)] == [True]
    code, out, _ = cli(capsys, "show", finished[:8])
    assert out.splitlines()[0].endswith("completed  (archived)")


def test_status_words_are_truthful(
    capsys: pytest.CaptureFixture[str], finished: str, home: Path
) -> None:
    # A run whose first step streamed and now waits for the writer's pick.
    with Engine.open(home) as engine:
        waiting = engine.start_run("tech-article", {"topic": "tea"})

        async def first_step() -> None:
            try:
                await engine.run_step(waiting.run_id)
            finally:
                await engine.aclose()

        asyncio.run(first_step())
    code, out, _ = cli(capsys, "branch", finished, "--from", "draft")
    child = out.strip()

    by_id = {r["run_id"]: r for r in stored_runs(capsys)}
    assert by_id[waiting.run_id]["state"] == "waiting for your pick"
    assert by_id[child]["state"] == "ready: draft next"
    assert by_id[finished]["state"] == "completed"
    code, out, _ = cli(capsys, "list")
    rows = {line[:8]: line for line in out.splitlines()[1:]}
    assert "waiting for your pick" in rows[waiting.run_id[:8]]
    assert "ready: draft next" in rows[child[:8]]
    assert "initializing" not in out and "running" not in out

    code, out, _ = cli(capsys, "show", child)
    assert out.splitlines()[0].endswith("ready: draft next")
    code, out, _ = cli(capsys, "show", child, "--json")
    assert code == 0 and json.loads(out)["state"] == "ready: draft next"


# -- branch ------------------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["", "conclusion"])
def test_branch_from_a_missing_step_is_one_line(
    capsys: pytest.CaptureFixture[str], finished: str, step: str
) -> None:
    code, _, err = cli(capsys, "branch", finished, "--from", step)
    line = one_line_error(code, err)
    assert f"has no step '{step}' (steps: angles, outline, draft, polish)" in line
    assert len(stored_runs(capsys)) == 1


def test_branch_past_an_unfinished_step_is_refused(
    capsys: pytest.CaptureFixture[str], finished: str
) -> None:
    code, out, _ = cli(capsys, "branch", finished, "--from", "outline")
    child = out.strip()
    code, _, err = cli(capsys, "branch", child, "--from", "draft")
    assert "finish 'outline' before branching from 'draft'" in one_line_error(code, err)
    assert len(stored_runs(capsys)) == 2


def test_history_at_an_earlier_event_has_no_later_branches(
    capsys: pytest.CaptureFixture[str], finished: str
) -> None:
    cli(capsys, "branch", finished, "--from", "draft")
    code, out, _ = cli(capsys, "history", finished, "--at", "0", "--json")
    assert code == 0 and json.loads(out)["state"]["children"] == []
    code, out, _ = cli(capsys, "show", finished, "--json")
    assert len(json.loads(out)["children"]) == 1


# -- export ------------------------------------------------------------------------------------


@pytest.mark.parametrize("existing", [False, True])
def test_export_into_a_directory(
    capsys: pytest.CaptureFixture[str], finished: str, tmp_path: Path, existing: bool
) -> None:
    folder = tmp_path / "articles"
    if existing:
        folder.mkdir()
        target = str(folder)
    else:
        target = f"{folder}/"
    code, out, err = cli(capsys, "export", finished, "-o", target, "-f", "markdown")
    assert code == 0, err
    written = folder / f"tech-article-{finished[:8]}.md"
    text = written.read_text()
    assert Path(out.strip()) == written and text.startswith("---\n")
    assert "\n# Event sourcing" in text


def test_export_to_stdout(
    capsys: pytest.CaptureFixture[str], finished: str, home: Path, tmp_path: Path
) -> None:
    code, out, err = cli(capsys, "export", finished[:8], "-o", "-")
    assert code == 0, err
    data = yaml.safe_load(out)
    assert data["writeit_export"] == 1 and data["run_id"] == finished
    assert not (home / "exports").exists() and not (Path.cwd() / "-").exists()


# -- validate ----------------------------------------------------------------------------------


def test_validate_tells_styles_from_pipelines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    flow_style = tmp_path / "flow.yaml"
    flow_style.write_text("# my voice\n{id: plain, name: Plain, content: Say it plainly.}\n")
    code, out, err = cli(
        capsys,
        "validate",
        str(SHIPPED / "pipelines" / "tech-article.yaml"),
        str(SHIPPED / "styles" / "tech-journalist.yaml"),
        str(flow_style),
    )
    assert code == 0, err
    assert out.splitlines() == [
        f"{SHIPPED / 'pipelines' / 'tech-article.yaml'}: ok (pipeline 'tech-article')",
        f"{SHIPPED / 'styles' / 'tech-journalist.yaml'}: ok (style 'tech-journalist')",
        f"{flow_style}: ok (style 'plain')",
    ]


def test_validate_reports_a_broken_style_as_a_style(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text('"id": plain\ncontent: Say it plainly.\n')
    code, _, err = cli(capsys, "validate", str(broken))
    assert code == 1
    assert "missing required field 'name'" in err and "steps" not in err


def test_validate_a_file_that_is_neither(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("title: hello\n")
    code, out, _ = cli(capsys, "validate", str(other), "--json")
    assert code == 1
    [result] = json.loads(out)
    assert result["ok"] is False
    assert "neither a pipeline" in result["problems"][0]


# -- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ("providers:\n  ollama: {kind: openai}\n", "providers.ollama.base_url"),
        ("providers:\n  offline: {max_concurrency: 2}\n", "providers.offline"),
        ("retry: {initial_s: .inf}\n", "retry.initial_s"),
        ("retry: {max_attempts: 1000}\n", "retry.max_attempts"),
        ("timeouts: {read_s: -1}\n", "timeouts.read_s"),
        ("timeouts: {connect_s: .nan}\n", "timeouts.connect_s"),
        ("timeouts: {total_s: 1e12}\n", "timeouts.total_s"),
    ],
)
def test_config_errors_name_the_key(
    capsys: pytest.CaptureFixture[str], home: Path, config: str, key: str
) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text(config)
    code, _, err = cli(capsys, "models")  # (`list` reads the store alone, not the config)
    line = one_line_error(code, err)
    assert "config.yaml" in line and key in line


def test_a_declared_provider_with_base_url_is_fine(
    capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text(
        "providers:\n  ollama: {kind: openai, base_url: 'http://127.0.0.1:11434/v1'}\n"
    )
    code, out, err = cli(capsys, "models", "--json")
    assert code == 0, err
    assert "ollama" in {p["provider"] for p in json.loads(out)["providers"]}
