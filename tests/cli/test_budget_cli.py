"""A run's budget on the command line: config.yaml's default, `--budget` over it, and budget,
spent and remaining in `show`, `show --json` and the exports (issue 13), with real spending:
the OpenAI SDK against the stand-in server, at genai-prices' price for gpt-4o-mini."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from fake_llm_server import FakeLLMServer, Scenario

from writeit.cli.main import main

MODEL = ["-m", "openai:gpt-4o-mini"]


def test_the_configured_budget_is_the_runs_and_show_and_exports_carry_it(
    home: Path,
    fake_llm: FakeLLMServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-openai-key-000")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.openai_base_url)
    fake_llm.default = Scenario(text="## A short answer\n- briefly")
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text("budget_usd: 0.5\n")

    assert main(["run", "tech-article", "--estimate", "--json", "-i", "topic=x", *MODEL]) == 0
    assert json.loads(capsys.readouterr().out)["budget_usd"] == 0.5
    over = ["run", "tech-article", "--estimate", "--json", "--budget", "0.25", *MODEL]
    assert main(over) == 0
    assert json.loads(capsys.readouterr().out)["budget_usd"] == 0.25  # the flag wins

    assert main(["run", "tech-article", "-i", "topic=x", *MODEL]) == 0
    run_id = capsys.readouterr().out.split()[-1]
    assert main(["show", run_id, "--json"]) == 0
    shape = json.loads(capsys.readouterr().out)
    budget = shape["budget"]
    spent = shape["totals"]["cost_usd"]
    assert spent > 0 and budget["budget_usd"] == 0.5 and budget["spent_usd"] == spent
    assert budget["remaining_usd"] == pytest.approx(0.5 - spent)

    assert main(["show", run_id]) == 0
    line = f"budget: ${spent:.4f} of $0.5000 budget (${0.5 - spent:.4f} left)"
    assert line in capsys.readouterr().out.splitlines()

    assert main(["export", run_id, "-f", "yaml", "-o", "-"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["budget"] == budget
    assert main(["export", run_id, "-f", "markdown", "--with-history", "-o", "-"]) == 0
    exported = capsys.readouterr().out
    assert f"- Budget: $0.5000; spent ${spent:.4f}, remaining ${0.5 - spent:.4f}" in exported


def test_a_model_at_an_unknown_price_is_named_where_the_budget_cannot_count_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-openai-key-000")  # refused before any request
    models = "openai:gpt-4o-mini,openai:my-private-model"
    argv = ["run", "tech-article", "-i", "topic=x", "-m", models, "--budget", "0.0001"]
    assert main(argv) == 1
    warning, error = capsys.readouterr().err.strip().splitlines()
    assert warning == (
        "warning: no known price for openai:my-private-model: the budget cannot count what "
        "it spends"
    )
    assert error.startswith("writeit: error: step 'angles' may cost up to $")
    assert "(and openai:my-private-model at an unknown price) but $0.0001" in error


def test_a_run_stopped_midway_by_its_budget_says_where_it_waits_and_how_to_go_on(
    fake_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-openai-key-000")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.openai_base_url)
    fake_llm.default = Scenario(text="1. **An angle**: why it matters")
    # Room for the angles (up to ~$0.0013 with no history), not for the outline after them.
    assert main(["run", "tech-article", "-i", "topic=x", *MODEL, "--budget", "0.0015"]) == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert main(["list", "--json"]) == 0
    (run,) = json.loads(capsys.readouterr().out)
    short = run["run_id"][:8]
    assert error.startswith("writeit: error: step 'outline' may cost up to $"), error
    assert error.endswith(
        f"; run {short} waits there: `writeit open {short}` goes on, asking first"
    )
    assert "--over-budget" not in error  # it would start a new run, not go on with this one

    # --over-budget starts every step; the streams still stop when the spend reaches the budget
    # (~3,000 tokens at $0.60 per million cross it during the angles).
    fake_llm.default = Scenario(text="1. **An angle**: " + "word " * 3000)
    argv = ["run", "tech-article", "-i", "topic=y", *MODEL, "--budget", "0.0015", "--over-budget"]
    assert main(argv) == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("writeit: error: the budget was reached during step "), error
    assert main(["show", error.split("; run ")[-1].split()[0], "--json"]) == 0
    budget = json.loads(capsys.readouterr().out)["budget"]
    assert budget["spent_usd"] >= 0.0015 and budget["remaining_usd"] == 0
