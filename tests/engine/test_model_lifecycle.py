"""Current defaults, deprecation warnings and retired models, as the writer meets them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from stores import open_engine

from writeit.cli import main
from writeit.domain.errors import WriteItError

OLD = "anthropic:claude-sonnet-4-5"  # the installed anthropic SDK: end of life 2026-11-30
ENV = {"ANTHROPIC_API_KEY": "sk-ant-test", "OPENAI_API_KEY": "sk-test"}


def at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T12:00:00+00:00").astimezone(UTC)


def test_a_deprecated_model_warns_with_its_end_of_life_and_a_replacement(home: Path) -> None:
    engine, _ = open_engine(home, environ=ENV, clock=lambda: at("2026-11-23"))
    with engine:
        plan = engine.prepare_run("tech-article", {"topic": "x"}, models={"*": [OLD]})
        (warning,) = plan.warnings
        assert OLD in warning and "2026-11-30" in warning and "in 7 days" in warning
        assert "use anthropic:" in warning


def test_a_retired_model_is_refused_naming_a_replacement_and_nothing_is_written(
    home: Path,
) -> None:
    engine, _ = open_engine(home, environ=ENV, clock=lambda: at("2026-12-01"))
    with engine:
        with pytest.raises(
            WriteItError, match=r"end of life on 2026-11-30; use anthropic:"
        ) as refused:
            engine.start_run("tech-article", {"topic": "x"}, models={"*": [OLD]})
        assert "\n" not in str(refused.value)
        assert engine.runs().runs == []


def test_every_default_is_current_and_priced(home: Path) -> None:
    engine, _ = open_engine(home, environ=ENV, clock=lambda: at("2026-11-23"))
    with engine:
        defaults = engine.default_models()
        assert {m.split(":")[0] for m in defaults} == {"openai", "anthropic"}
        for status in engine.model_statuses([*defaults, *engine.builtin_defaults()]):
            assert not status.deprecated and not status.retired, status
            assert status.priced and status.price_source == "genai-prices", status
        assert engine.prepare_run("tech-article", {"topic": "x"}).warnings == ()


def test_writeit_models_lists_every_default_with_its_status(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["models", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    listed = {m["model"]: m for m in report["models"]}
    assert set(report["default_models"]) <= set(listed)  # offline ones when no key is set
    builtin = [m for m in listed.values() if not m["model"].startswith("offline:")]
    assert len(builtin) == 2
    for model in builtin:
        assert model["deprecated"] is False and model["lifecycle"] == "current"
        assert model["price"] is not None and model["price"]["input"] > 0
    assert main(["models"]) == 0
    text = capsys.readouterr().out
    assert "STATUS" in text and "per 1M tokens" in text
