"""The engine with the real OpenAI and Anthropic SDKs against the local stand-in server."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fake_llm_server import FakeLLMServer, Scenario

from writeit.cli import main
from writeit.domain.config import RetryConfig, TimeoutConfig, UserConfig
from writeit.domain.status import ResponseStatus
from writeit.engine.engine import Engine
from writeit.export.files import to_markdown, to_yaml

OPENAI_KEY = "sk-planted-openai-SECRET-0123456789"
ANTHROPIC_KEY = "sk-ant-planted-SECRET-9876543210"
FAST_RETRY = RetryConfig(max_attempts=3, initial_s=0.01, max_s=0.05, multiplier=2.0, jitter=0.0)
FAST_TIMEOUTS = TimeoutConfig(connect_s=2.0, read_s=2.0, total_s=30.0)
BOTH = "openai:gpt-4o-mini,anthropic:claude-sonnet-4-5"


@pytest.fixture
def fake_env(fake_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        "OPENAI_API_KEY": OPENAI_KEY,
        "OPENAI_BASE_URL": fake_llm.openai_base_url,
        "ANTHROPIC_API_KEY": ANTHROPIC_KEY,
        "ANTHROPIC_BASE_URL": fake_llm.anthropic_base_url,
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


@pytest.fixture
async def net_engine(home: Path, fake_env: dict[str, str]) -> AsyncIterator[Engine]:
    engine = Engine.open(home, config=UserConfig(retry=FAST_RETRY, timeouts=FAST_TIMEOUTS))
    yield engine
    await engine.aclose()
    engine.close()


def all_store_bytes(engine: Engine) -> bytes:
    with engine.store.env.begin() as txn:
        return b"\n".join(bytes(k) + b"=" + bytes(v) for k, v in txn.cursor())


async def test_two_real_sdks_side_by_side(net_engine: Engine, fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Scenario(text="1. **Tea, brewed slowly** is the angle."), model="gpt-4o-mini")
    fake_llm.script(
        Scenario(text="1. **Tea as ritual**.", output_tokens=9), model="claude-sonnet-4-5"
    )
    run = net_engine.start_run("blog-post", {"topic": "tea"})
    assert net_engine.models_for(run, "ideas") == [
        "openai:gpt-4o-mini",
        "anthropic:claude-sonnet-4-5",
    ]
    state = await net_engine.run_step(run.run_id)
    gpt, claude = state.steps["ideas"].ordered_responses()
    assert (gpt.content, claude.content) == (
        "1. **Tea, brewed slowly** is the angle.",
        "1. **Tea as ritual**.",
    )
    assert gpt.status is claude.status is ResponseStatus.COMPLETED
    assert claude.usage.input_tokens == 17 and claude.usage.output_tokens == 9
    assert claude.usage.cost_usd is not None and claude.usage.cost_usd > 0
    assert gpt.usage.cost_usd is not None and not gpt.usage.estimated
    assert gpt.time_to_first_token_s is not None and gpt.processing_time_s is not None

    net_engine.pick(run.run_id, 1)
    await net_engine.run_step(run.run_id)
    sent = fake_llm.requests_for("gpt-4o-mini")[-1].body["messages"][-1]["content"]
    assert "Tea as ritual" in sent  # the pick feeds the next step's prompt
    assert net_engine.load(run.run_id).steps["draft"].prompt == sent
    totals = net_engine.load(run.run_id).totals()
    assert totals.output_tokens > 0 and totals.cost_usd is not None


async def test_one_failing_pane_never_stops_the_others(
    net_engine: Engine, fake_llm: FakeLLMServer
) -> None:
    fake_llm.script(*[Scenario(status=500)] * 3, model="gpt-4o-mini")
    fake_llm.script(
        Scenario(text="Steady words arrive.", drop_after=None), model="claude-sonnet-4-5"
    )
    run = net_engine.start_run("blog-post", {"topic": "tea"})
    state = await net_engine.run_step(run.run_id)
    gpt, claude = state.steps["ideas"].ordered_responses()
    assert gpt.status is ResponseStatus.FAILED and gpt.attempts == 3 and gpt.error
    assert claude.status is ResponseStatus.COMPLETED and claude.content == "Steady words arrive."
    assert net_engine.pick(run.run_id, 1) == run.run_id


async def test_failure_after_text_keeps_partial_text(
    net_engine: Engine, fake_llm: FakeLLMServer
) -> None:
    fake_llm.script(Scenario(text="one two three four five", drop_after=2), model="gpt-4o-mini")
    fake_llm.script(
        Scenario(text="alpha beta gamma", error_after=1, error_type="overloaded_error"),
        model="claude-sonnet-4-5",
    )
    run = net_engine.start_run("blog-post", {"topic": "tea"})
    state = await net_engine.run_step(run.run_id)
    gpt, claude = state.steps["ideas"].ordered_responses()
    assert gpt.status is ResponseStatus.FAILED and gpt.content == "one two"
    assert claude.status is ResponseStatus.FAILED and claude.content == "alpha"
    assert "\n" not in (gpt.error or "") and "\n" not in (claude.error or "")


async def test_cancel_mid_stream_keeps_partial_text(
    net_engine: Engine, fake_llm: FakeLLMServer
) -> None:
    slow = Scenario(text="word " * 200, token_delay=0.02)
    fake_llm.script(slow, model="gpt-4o-mini")
    fake_llm.script(slow, model="claude-sonnet-4-5")
    run = net_engine.start_run("blog-post", {"topic": "tea"})
    seen: set[str] = set()
    net_engine.on_delta.append(lambda _run, rid, _text: seen.add(rid))
    task = asyncio.create_task(net_engine.run_step(run.run_id))
    while len(seen) < 2:
        await asyncio.sleep(0.01)
    net_engine.cancel(run.run_id)
    state = await asyncio.wait_for(task, 5)
    for r in state.steps["ideas"].ordered_responses():
        assert r.status is ResponseStatus.CANCELLED
        assert r.content.startswith("word") and len(r.content) < len("word " * 200) - 1


async def test_four_models_stream_concurrently(
    home: Path, fake_env: dict[str, str], fake_llm: FakeLLMServer
) -> None:
    slow = Scenario(text="tick " * 20, token_delay=0.02)  # ~0.4 s each
    models = ["gpt-4o-mini", "gpt-4.1-mini", "claude-sonnet-4-5", "claude-haiku-4-5"]
    for m in models:
        fake_llm.script(slow, model=m)
    engine = Engine.open(home, config=UserConfig(retry=FAST_RETRY, timeouts=FAST_TIMEOUTS))
    refs = "openai:gpt-4o-mini,openai:gpt-4.1-mini,anthropic:claude-sonnet-4-5,anthropic:claude-haiku-4-5"
    run = engine.start_run("blog-post", {"topic": "tea"}, models=[f"ideas={refs}"])
    start = time.monotonic()
    state = await engine.run_step(run.run_id)
    elapsed = time.monotonic() - start
    await engine.aclose()
    engine.close()
    each = [r.processing_time_s or 0 for r in state.steps["ideas"].ordered_responses()]
    assert all(
        r.status is ResponseStatus.COMPLETED for r in state.steps["ideas"].ordered_responses()
    )
    assert elapsed < 0.6 * sum(each)  # close to the slowest stream, not the sum


def test_cli_run_against_compatible_base_urls(
    capsys: pytest.CaptureFixture[str],
    fake_env: dict[str, str],
    home: Path,
    fake_llm: FakeLLMServer,
) -> None:
    (home).mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text(
        f"providers:\n  ollama: {{kind: openai, base_url: '{fake_llm.openai_base_url}'}}\n"
    )
    code = main(
        [
            "run",
            "blog-post",
            "-i",
            "topic=tea",
            "--model",
            f"draft={BOTH},ollama:llama3.2",
            "--json",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    draft = next(s for s in json.loads(out)["steps"] if s["name"] == "draft")
    assert [f"{r['provider']}:{r['model']}" for r in draft["responses"]] == [
        "openai:gpt-4o-mini",
        "anthropic:claude-sonnet-4-5",
        "ollama:llama3.2",
    ]
    assert all(r["status"] == "completed" for r in draft["responses"])
    assert "no API key set" not in err


def test_missing_key_names_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    code = main(
        ["run", "blog-post", "-i", "topic=tea", "--model", "draft=anthropic:claude-sonnet-4-5"]
    )
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "ANTHROPIC_API_KEY" in err


async def test_planted_keys_never_stored_or_exported(
    net_engine: Engine, fake_llm: FakeLLMServer
) -> None:
    fake_llm.script(Scenario(status=401), model="gpt-4o-mini")
    run = net_engine.start_run("blog-post", {"topic": "tea"})
    state = await net_engine.run_step(run.run_id)
    assert state.steps["ideas"].ordered_responses()[0].status is ResponseStatus.FAILED
    net_engine.pick(run.run_id, 1)
    exported = to_yaml(net_engine.load(run.run_id)) + to_markdown(net_engine.load(run.run_id))
    blob = all_store_bytes(net_engine)
    for key in (OPENAI_KEY, ANTHROPIC_KEY):
        assert key.encode() not in blob and key not in exported
        assert "SECRET" not in exported
