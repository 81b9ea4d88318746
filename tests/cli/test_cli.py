"""The `writeit` command end to end, in-process, in a temporary WRITEIT_HOME."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from writeit.cli import main


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def finished(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, out, err = run_cli(
        capsys,
        "run",
        "tech-article",
        "--input",
        "topic=Event sourcing",
        "--pick",
        "first",
        "--json",
    )
    assert code == 0, err
    shape: dict[str, Any] = json.loads(out)
    return shape


def test_run_completes_all_steps_offline(finished: dict[str, Any]) -> None:
    assert finished["status"] == "completed"
    assert finished["current_step"] == "polish"
    assert [s["name"] for s in finished["steps"]] == ["angles", "outline", "draft", "polish"]
    angles, outline, *per_section = finished["steps"]
    for step in (angles, outline):
        assert [(r["provider"], r["model"]) for r in step["responses"]] == [
            ("offline", "writer"),
            ("offline", "editor"),
        ]
        assert step["selected"] == 0
    # angles chooses an item: only the first item of the first response goes forward
    assert angles["item"] == 0 and angles["content"] in angles["responses"][0]["content"]
    assert len(angles["content"]) < len(angles["responses"][0]["content"]) / 3
    assert outline["content"] == outline["responses"][0]["content"]
    for step in per_section:  # draft and polish: a call per model per section, each picked
        sections = step["sections"]
        assert len(sections) == outline["content"].count("\n## ") and step["selected"] is None
        models = Counter((r["provider"], r["model"]) for r in step["responses"])
        assert models == {
            ("offline", "writer"): len(sections),
            ("offline", "editor"): len(sections),
        }
        assert {s["selected"] for s in sections} == {0}
        assert all(
            f"## {s['title']}\n\n{s['content'].strip()}" in step["content"] for s in sections
        )
    assert "Event sourcing" in finished["article"]
    assert finished["totals"]["output_tokens"] > 0 and finished["totals"]["cost_usd"] == 0.0


def test_run_notes_offline_mode(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "run", "blog-post", "-i", "topic=tea", "--pick", "longest")
    assert code == 0
    assert "no API key set: running on the built-in offline models" in err
    assert len(out.strip()) == 36  # the run id, alone on stdout


def test_pick_n_counts_from_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "run", "blog-post", "-i", "topic=tea", "--pick", "2", "--json")
    assert code == 0
    ideas, *whole = json.loads(out)["steps"]
    assert ideas["item"] == 1  # blog-post's ideas step chooses an item: item 2, counted from 1
    assert [s["selected"] for s in whole] == [1, 1]


def test_list_show_branch_history_export(
    capsys: pytest.CaptureFixture[str], finished: dict[str, Any], home: Path
) -> None:
    run_id = finished["run_id"]
    code, out, _ = run_cli(capsys, "list", "--json")
    assert code == 0 and [r["run_id"] for r in json.loads(out)] == [run_id]

    code, out, _ = run_cli(capsys, "show", run_id[:8], "--json")
    assert json.loads(out)["run_id"] == run_id
    code, out, _ = run_cli(capsys, "show", run_id[:8])
    assert "[completed] polish" in out and "totals:" in out

    code, out, _ = run_cli(capsys, "branch", run_id[:6], "--from", "draft", "--json")
    child = json.loads(out)
    assert code == 0 and child["parent_run_id"] == run_id and child["branch_point"] == "draft"
    code, out, _ = run_cli(capsys, "show", child["run_id"], "--json")
    shown = json.loads(out)
    assert shown["parent_run_id"] == run_id and shown["current_step"] == "draft"
    assert [s["status"] for s in shown["steps"]] == ["completed", "completed", "pending", "pending"]
    code, out, _ = run_cli(capsys, "list")
    assert out.splitlines()[0].split()[:3] == ["RUN", "PIPELINE", "STATUS"]
    assert child["run_id"][:8] in out.splitlines()[1]  # newest first

    code, out, _ = run_cli(capsys, "history", run_id, "--json")
    events = json.loads(out)
    assert [e["seq"] for e in events] == list(range(len(events)))
    assert events[0]["type"] == "run_created"
    code, out, _ = run_cli(capsys, "history", run_id, "--at", "0", "--json")
    assert json.loads(out)["state"]["status"] == "initializing"
    code, out, _ = run_cli(capsys, "history", run_id)
    assert "run_created" in out and "response_picked" in out

    code, out, _ = run_cli(capsys, "export", run_id[:8])
    path = Path(out.strip())
    assert path == home / "exports" / f"tech-article-{run_id[:8]}.yaml"
    data = yaml.safe_load(path.read_text())
    assert data["writeit_export"] == 1 and data["article"] == finished["article"]
    assert set(data) >= {
        "run_id",
        "pipeline",
        "parent_run_id",
        "branch_point",
        "status",
        "created_at",
        "inputs",
        "style",
        "steps",
        "article",
        "totals",
    }
    assert set(data["steps"][0]["responses"][0]) >= {
        "response_id",
        "provider",
        "model",
        "status",
        "content",
        "usage",
        "time_to_first_token_s",
        "processing_time_s",
    }

    md = home / "out.md"
    args = ("export", run_id, "--format", "markdown", "--with-history", "-o", str(md))
    code, out, _ = run_cli(capsys, *args)
    text = md.read_text()
    assert (
        code == 0
        and text.startswith("---\n")  # front matter first (a publishable article)
        and "\n# Event sourcing" in text
        and "## Appendix" in text
        and "(picked)" in text
    )


def test_catalog_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "pipelines", "--json")
    assert {"tech-article", "blog-post", "newsletter"} <= {
        p["name"] for p in json.loads(out)["items"]
    }
    code, out, _ = run_cli(capsys, "styles")
    assert code == 0 and "tech-journalist" in out
    code, out, _ = run_cli(capsys, "models", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["default_models"] == ["offline:writer", "offline:editor"]
    assert any(p["provider"] == "offline" for p in data["providers"])


def test_validate(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    good = Path(__file__).parents[2] / "pipelines" / "tech-article.yaml"
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\ninputs: [{name: a}]\nsteps:\n  - {name: s, prompt: '{{ inputs.b }}'}\n  - {name: t, prompt: x}\n"
    )
    code, out, err = run_cli(capsys, "validate", str(good), str(bad))
    assert code == 1
    assert f"{good}: ok" in out
    assert f"{bad}:4: step 's': undefined input 'b'" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "nope"], "unknown pipeline 'nope'"),
        (["run", "tech-article"], "input 'topic' is required"),
        (["run", "tech-article", "-i", "topic"], "write it as name=value"),
        (["run", "tech-article", "-i", "topic=x", "--pick", "best"], "--pick best"),
        (["show", "abc"], "too short"),
        (["show", "abcdefgh"], "no run matches 'abcdefgh'"),
        (
            ["run", "tech-article", "-i", "topic=x", "--model", "openai:gpt-4o-mini"],
            "OPENAI_API_KEY",
        ),
    ],
)
def test_user_errors_are_one_line_exit_1(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run_cli(capsys, *argv)
    assert code == 1
    assert err.startswith("writeit: error: ") and message in err
    assert "Traceback" not in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["branch", "abcdef"])
    assert info.value.code == 2
    assert "--from" in capsys.readouterr().err
