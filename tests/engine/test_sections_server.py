"""A long-article run through the real OpenAI and Anthropic SDKs against the stand-in server:
the angle chosen as an item, a seven-section outline drafted and polished per section, an
export whose level-2 headings are exactly the outline's (a repeated heading is dropped)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from fake_llm_server import FakeLLMServer, Scenario
from stores import open_engine

from writeit.domain.config import RetryConfig, UserConfig
from writeit.domain.status import RunStatus
from writeit.engine import Engine, PickStrategy

GPT, CLAUDE = "gpt-5.4-mini", "claude-sonnet-4-6"
TITLES = ["Hook", "The problem", "Core ideas", "Worked example", "Pitfalls", "Costs", "Next"]
OUTLINE = "# SQLite, seriously\n\n" + "\n\n".join(f"## {t}\n- point on {t}" for t in TITLES)
ANGLES = "\n".join(f"{i}. **Angle {i}** — why {i}" for i in range(1, 6))


@pytest.fixture
async def net_engine(
    home: Path, fake_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Engine]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-openai")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.openai_base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_llm.anthropic_base_url)
    retry = RetryConfig(max_attempts=2, initial_s=0.01, max_s=0.05, multiplier=2.0, jitter=0.0)
    engine, _ = open_engine(home, config=UserConfig(retry=retry))
    yield engine
    await engine.aclose()
    engine.close()


@pytest.mark.slow
async def test_long_article_through_both_sdks(net_engine: Engine, fake_llm: FakeLLMServer) -> None:
    section = Scenario(text="## Hook\n\nA paragraph of the section, with a repeated heading.")
    for model in (GPT, CLAUDE):
        fake_llm.script(Scenario(text=ANGLES), Scenario(text=OUTLINE), model=model)
        fake_llm.script(*[section] * 14, model=model)  # 7 drafts and 7 polishes each
    run = net_engine.start_run("long-article", {"topic": "SQLite"})
    assert net_engine.models_for(run, "draft") == [f"openai:{GPT}", f"anthropic:{CLAUDE}"]
    done = await net_engine.run_to_end(run.run_id, PickStrategy.parse("first"))
    assert done.status is RunStatus.COMPLETED
    angles = done.steps["angles"]
    assert angles.content == "**Angle 1** — why 1"
    outline_prompt = fake_llm.requests_for(GPT)[1].body["messages"][-1]["content"]
    assert "**Angle 1** — why 1" in outline_prompt and "Angle 2" not in outline_prompt
    exported = yaml.safe_load(net_engine.export_text(run.run_id, "yaml"))
    heads = [ln[3:] for ln in exported["article"].splitlines() if ln.startswith("## ")]
    assert heads == TITLES  # exactly the outline's, in order, each once
    draft = next(s for s in exported["steps"] if s["name"] == "draft")
    assert [s["title"] for s in draft["sections"]] == TITLES
    sent = [r.body for r in fake_llm.requests_for(GPT)[2:16]]
    assert all(b.get("max_completion_tokens", b.get("max_tokens")) == 2500 for b in sent)
    assert all(
        r["usage"]["output_tokens"] < 2500 for s in draft["sections"] for r in s["responses"]
    )
