"""The engine with the real OpenAI and Anthropic SDKs against the local stand-in server."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from fake_llm_server import FakeLLMServer, Scenario
from stores import open_engine, store_of

from writeit.cli import main
from writeit.domain.config import RetryConfig, TimeoutConfig, UserConfig
from writeit.domain.errors import ValidationProblem
from writeit.domain.events import ResponseFinished, ResponseStub, ResponseTextAppended
from writeit.domain.pipeline import load_pipeline
from writeit.domain.requests import (
    ModelRequest,
    RequestSent,
    Retrying,
    StreamEnd,
    StreamItem,
    TextDelta,
    UsageReport,
)
from writeit.domain.status import ResponseStatus, StepStatus
from writeit.engine import Engine
from writeit.engine.fanout import FanOut, StreamJob
from writeit.engine.requests import FEEDBACK_NOTE, step_requests

OPENAI_KEY = "sk-planted-openai-SECRET-0123456789"
ANTHROPIC_KEY = "sk-ant-planted-SECRET-9876543210"
FAST_RETRY = RetryConfig(max_attempts=3, initial_s=0.01, max_s=0.05, multiplier=2.0, jitter=0.0)
FAST_TIMEOUTS = TimeoutConfig(connect_s=2.0, first_token_s=2.0, read_s=2.0, total_s=30.0)
GPT, CLAUDE = "gpt-5.4-mini", "claude-sonnet-4-6"
BOTH = f"openai:{GPT},anthropic:{CLAUDE}"
THOUGHT = "PRIVATE-REASONING: the reader wants tea facts"


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


def config(**timeouts: float) -> UserConfig:
    return UserConfig(retry=FAST_RETRY, timeouts=FAST_TIMEOUTS.model_copy(update=timeouts))


@pytest.fixture
async def net_engine(home: Path, fake_env: dict[str, str]) -> AsyncIterator[Engine]:
    engine, _ = open_engine(home, config=config())
    yield engine
    await engine.aclose()
    engine.close()


@pytest.fixture
def notices(net_engine: Engine) -> Iterator[list[tuple[str, str]]]:
    """(response_id, message) of every notice the engine gives, in order."""
    seen: list[tuple[str, str]] = []
    unsubscribe = net_engine.subscribe(on_notice=lambda _run, rid, msg: seen.append((rid, msg)))
    yield seen
    unsubscribe()


def all_store_bytes(engine: Engine) -> bytes:
    with store_of(engine).env.begin() as txn:
        return b"\n".join(bytes(k) + b"=" + bytes(v) for k, v in txn.cursor())


def exported(engine: Engine, run_id: str) -> dict[str, Any]:
    data = yaml.safe_load(engine.export_text(run_id, "yaml"))
    assert isinstance(data, dict)
    return data


async def test_two_real_sdks_side_by_side(net_engine: Engine, fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Scenario(text="1. **Tea, brewed slowly** is the angle."), model=GPT)
    fake_llm.script(Scenario(text="1. **Tea as ritual**.", output_tokens=9), model=CLAUDE)
    run = net_engine.start_run("blog-post", {"topic": "tea"})
    assert net_engine.models_for(run, "ideas") == [f"openai:{GPT}", f"anthropic:{CLAUDE}"]
    state = await net_engine.run_step(run.run_id)
    gpt, claude = state.steps["ideas"].ordered_responses()
    assert (gpt.content, claude.content) == (
        "1. **Tea, brewed slowly** is the angle.",
        "1. **Tea as ritual**.",
    )
    assert gpt.status is claude.status is ResponseStatus.COMPLETED
    assert (gpt.finish_reason, claude.finish_reason) == ("stop", "end_turn")
    assert claude.usage.input_tokens == 17 and claude.usage.output_tokens == 9
    assert claude.usage.cost_usd == pytest.approx((17 * 3.00 + 9 * 15.00) / 1e6)
    assert gpt.usage.cost_usd is not None and not gpt.usage.estimated
    assert gpt.time_to_first_token_s is not None and gpt.processing_time_s is not None

    net_engine.pick(run.run_id, 1)
    await net_engine.run_step(run.run_id)
    sent = fake_llm.requests_for(GPT)[-1].body["messages"][-1]["content"]
    assert "Tea as ritual" in sent  # the pick feeds the next step's prompt
    assert net_engine.load(run.run_id).steps["draft"].prompt == sent
    totals = net_engine.load(run.run_id).totals()
    assert totals.output_tokens > 0 and totals.cost_usd is not None


async def test_truncated_answers_are_marked_and_can_be_picked(
    net_engine: Engine, fake_llm: FakeLLMServer
) -> None:
    fake_llm.script(Scenario(text="1. **Tea** and then the", finish_reason="length"), model=GPT)
    fake_llm.script(Scenario(text="1. **Tea as", finish_reason="max_tokens"), model=CLAUDE)
    run = net_engine.start_run("blog-post", {"topic": "tea"})

    state = await net_engine.run_step(run.run_id)

    gpt, claude = state.steps["ideas"].ordered_responses()
    assert gpt.status is claude.status is ResponseStatus.TRUNCATED
    assert (gpt.finish_reason, claude.finish_reason) == ("length", "max_tokens")
    assert gpt.error is None and gpt.usable and gpt.usage.cost_usd
    net_engine.pick(run.run_id, 1)
    ideas = net_engine.load(run.run_id).steps["ideas"]
    assert ideas.status is StepStatus.COMPLETED and ideas.content == "1. **Tea as"
    shown = exported(net_engine, run.run_id)["steps"][0]["responses"]
    assert [(r["status"], r["finish_reason"]) for r in shown] == [
        ("truncated", "length"),
        ("truncated", "max_tokens"),
    ]


async def test_reasoning_is_stored_apart_and_never_goes_forward(
    net_engine: Engine, fake_llm: FakeLLMServer
) -> None:
    fake_llm.script(
        Scenario(text="1. **Tea at dawn**", reasoning=(THOUGHT, " (openai)"), reasoning_tokens=12),
        model=GPT,
    )
    fake_llm.script(Scenario(text="1. **Tea as ritual**", reasoning=(THOUGHT,)), model=CLAUDE)
    run = net_engine.start_run("blog-post", {"topic": "tea"})
    reasoning_seen: list[str] = []
    net_engine.subscribe(on_delta=lambda _run, _rid, text: reasoning_seen.append(text))

    state = await net_engine.run_step(run.run_id)

    gpt, claude = state.steps["ideas"].ordered_responses()
    assert gpt.reasoning == f"{THOUGHT} (openai)" and claude.reasoning == THOUGHT
    assert gpt.content == "1. **Tea at dawn**" and THOUGHT not in gpt.content + claude.content
    assert gpt.usage.reasoning_tokens == 12
    assert THOUGHT not in "".join(reasoning_seen)  # text listeners get text only
    for _ in ("draft", "polish"):
        net_engine.pick(run.run_id, 0)
        await net_engine.run_step(run.run_id)
    net_engine.pick(run.run_id, 0)

    later = [r for r in fake_llm.requests if r.body["messages"][-1]["content"] != gpt.prompt_used]
    assert later and all(THOUGHT not in json.dumps(r.body) for r in later)
    finished = net_engine.load(run.run_id)
    assert all(
        THOUGHT not in (s.prompt or "") + (s.content or "") for s in finished.ordered_steps()
    )
    data = exported(net_engine, run.run_id)
    assert THOUGHT not in (data["article"] or "")
    assert data["steps"][0]["responses"][0]["reasoning"] == f"{THOUGHT} (openai)"
    assert "reasoning" not in data["steps"][1]["responses"][0]  # none streamed there
    assert THOUGHT not in net_engine.export_text(run.run_id, "markdown")
    assert net_engine.replay(run.run_id).model_dump() == finished.model_dump()


async def test_json_bodied_and_empty_streams_fail_in_one_line(
    net_engine: Engine, fake_llm: FakeLLMServer
) -> None:
    fake_llm.script(Scenario(json_body=True), model=GPT)
    fake_llm.script(Scenario(chunks=(), output_tokens=0), model=CLAUDE)
    run = net_engine.start_run("blog-post", {"topic": "tea"})

    state = await net_engine.run_step(run.run_id)

    gpt, claude = state.steps["ideas"].ordered_responses()
    assert gpt.status is claude.status is ResponseStatus.FAILED
    assert gpt.error is not None and "plain application/json body" in gpt.error
    assert claude.error == f"anthropic:{CLAUDE}: the model sent no text (finish reason: end_turn)"
    assert "\n" not in gpt.error + claude.error
    assert not gpt.usable and not claude.usable


async def test_reasoning_that_used_up_max_tokens_fails_saying_so(
    net_engine: Engine, fake_llm: FakeLLMServer
) -> None:
    spent = Scenario(
        chunks=(), reasoning=("thinking " * 5,), finish_reason="length", output_tokens=1200
    )
    fake_llm.script(spent, model=GPT)
    run = net_engine.start_run("blog-post", {"topic": "tea"}, models={"ideas": [f"openai:{GPT}"]})

    state = await net_engine.run_step(run.run_id)

    (gpt,) = state.steps["ideas"].ordered_responses()
    assert gpt.status is ResponseStatus.FAILED and gpt.reasoning.startswith("thinking")
    assert gpt.error is not None and "max_tokens on reasoning and wrote no answer" in gpt.error
    assert gpt.usage.output_tokens > 0 and gpt.usage.cost_usd  # the server charged for it


async def test_a_request_that_never_received_a_byte_costs_nothing(
    net_engine: Engine, fake_llm: FakeLLMServer
) -> None:
    fake_llm.script(Scenario(status=401), model=GPT)
    fake_llm.script(*[Scenario(status=500)] * 3, model=CLAUDE)
    run = net_engine.start_run("blog-post", {"topic": "tea"})

    state = await net_engine.run_step(run.run_id)

    for r in state.steps["ideas"].ordered_responses():
        assert r.status is ResponseStatus.FAILED
        assert (r.usage.input_tokens, r.usage.output_tokens, r.usage.cost_usd) == (0, 0, 0.0)
        assert not r.usage.estimated
    assert exported(net_engine, run.run_id)["totals"] == {
        "input_tokens": 0,
        "output_tokens": 0,
        "cost_usd": 0.0,
        "unpriced": 0,
    }


async def test_cache_tokens_are_recorded_and_priced(
    net_engine: Engine, fake_llm: FakeLLMServer
) -> None:
    cached = Scenario(
        text="ok",
        input_tokens=3000,
        output_tokens=10,
        cache_read_tokens=1000,
        cache_write_tokens=1500,
    )
    fake_llm.script(cached, model=CLAUDE)
    fake_llm.script(Scenario(text="ok", input_tokens=2000, cache_read_tokens=1024), model=GPT)
    run = net_engine.start_run("blog-post", {"topic": "tea"})

    state = await net_engine.run_step(run.run_id)

    gpt, claude = state.steps["ideas"].ordered_responses()
    assert (claude.usage.cache_read_tokens, claude.usage.cache_write_tokens) == (1000, 1500)
    # claude-sonnet-4-6: $3 fresh input, $0.30 cache read, $3.75 cache write, $15 output per 1M
    expected = (500 * 3.00 + 1000 * 0.30 + 1500 * 3.75 + 10 * 15.00) / 1e6
    assert claude.usage.cost_usd == pytest.approx(expected)
    assert gpt.usage.cache_read_tokens == 1024
    usage = exported(net_engine, run.run_id)["steps"][0]["responses"][1]["usage"]
    assert (usage["cache_read_tokens"], usage["cache_write_tokens"]) == (1000, 1500)


async def test_a_hung_server_fails_within_the_first_token_timeout_after_a_notice(
    home: Path, fake_env: dict[str, str], fake_llm: FakeLLMServer
) -> None:
    engine, _ = open_engine(home, config=config(first_token_s=0.6, read_s=30.0))
    seen: list[str] = []
    engine.subscribe(on_notice=lambda _run, _rid, message: seen.append(message))
    fake_llm.script(Scenario(hang=True), model=GPT)
    run = engine.start_run("blog-post", {"topic": "tea"}, models={"ideas": [f"openai:{GPT}"]})

    state = await engine.run_step(run.run_id)
    await engine.aclose()
    engine.close()

    (gpt,) = state.steps["ideas"].ordered_responses()
    assert gpt.status is ResponseStatus.FAILED and gpt.attempts == 1
    assert gpt.error is not None and "no answer within 0.6 s" in gpt.error
    assert "first-token timeout" in gpt.error and "\n" not in gpt.error
    assert (gpt.usage.input_tokens, gpt.usage.cost_usd) == (0, 0.0)
    waiting = [i for i, m in enumerate(seen) if m.startswith(f"openai:{GPT}: no answer yet")]
    failed = [i for i, m in enumerate(seen) if "first-token timeout" in m]
    assert waiting and failed and waiting[0] < failed[0]


async def test_cancelling_a_request_that_got_no_byte_costs_nothing(
    home: Path, fake_env: dict[str, str], fake_llm: FakeLLMServer
) -> None:
    engine, _ = open_engine(home, config=config(first_token_s=20.0, read_s=30.0))
    fake_llm.script(Scenario(hang=True), model=GPT)
    run = engine.start_run("blog-post", {"topic": "tea"}, models={"ideas": [f"openai:{GPT}"]})
    task = asyncio.create_task(engine.run_step(run.run_id))
    while not fake_llm.requests:  # the request is out and the server is silent
        await asyncio.sleep(0.01)

    engine.cancel(run.run_id)
    state = await asyncio.wait_for(task, 10)
    await engine.aclose()
    engine.close()

    (gpt,) = state.steps["ideas"].ordered_responses()
    assert gpt.status is ResponseStatus.CANCELLED and gpt.content == ""
    assert (gpt.usage.input_tokens, gpt.usage.output_tokens, gpt.usage.cost_usd) == (0, 0, 0.0)
    assert not gpt.usage.estimated


async def test_retry_notices_name_the_model(
    net_engine: Engine, fake_llm: FakeLLMServer, notices: list[tuple[str, str]]
) -> None:
    fake_llm.script(Scenario(status=500), model=GPT)
    run = net_engine.start_run("blog-post", {"topic": "tea"})

    state = await net_engine.run_step(run.run_id)

    gpt = state.steps["ideas"].ordered_responses()[0]
    assert gpt.status is ResponseStatus.COMPLETED and gpt.attempts == 2
    (retry,) = [m for rid, m in notices if rid == gpt.response_id]
    assert retry.startswith(f"openai:{GPT}: retrying in ") and "(attempt 2)" in retry
    assert "server error (500)" in retry


async def test_one_failing_pane_never_stops_the_others(
    net_engine: Engine, fake_llm: FakeLLMServer
) -> None:
    fake_llm.script(*[Scenario(status=500)] * 3, model=GPT)
    fake_llm.script(Scenario(text="Steady words arrive."), model=CLAUDE)
    run = net_engine.start_run("blog-post", {"topic": "tea"})
    state = await net_engine.run_step(run.run_id)
    gpt, claude = state.steps["ideas"].ordered_responses()
    assert gpt.status is ResponseStatus.FAILED and gpt.attempts == 3 and gpt.error
    assert claude.status is ResponseStatus.COMPLETED and claude.content == "Steady words arrive."
    assert net_engine.pick(run.run_id, 1) == run.run_id


async def test_failure_after_text_keeps_partial_text(
    net_engine: Engine, fake_llm: FakeLLMServer
) -> None:
    fake_llm.script(Scenario(text="one two three four five", drop_after=2), model=GPT)
    fake_llm.script(
        Scenario(text="alpha beta gamma", error_after=1, error_type="overloaded_error"),
        model=CLAUDE,
    )
    run = net_engine.start_run("blog-post", {"topic": "tea"})
    state = await net_engine.run_step(run.run_id)
    gpt, claude = state.steps["ideas"].ordered_responses()
    assert gpt.status is ResponseStatus.FAILED and gpt.content == "one two"
    assert claude.status is ResponseStatus.FAILED and claude.content == "alpha"
    assert "\n" not in (gpt.error or "") and "\n" not in (claude.error or "")
    assert gpt.usage.estimated and gpt.usage.output_tokens > 0  # what really streamed


async def test_cancel_mid_stream_keeps_partial_text(
    net_engine: Engine, fake_llm: FakeLLMServer
) -> None:
    slow = Scenario(text="word " * 200, token_delay=0.02)
    fake_llm.script(slow, model=GPT)
    fake_llm.script(slow, model=CLAUDE)
    run = net_engine.start_run("blog-post", {"topic": "tea"})
    seen: set[str] = set()
    net_engine.subscribe(on_delta=lambda _run, rid, _text: seen.add(rid))
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
    models = [GPT, "gpt-5.4", CLAUDE, "claude-haiku-4-5"]
    for m in models:
        fake_llm.script(slow, model=m)
    engine, _ = open_engine(home, config=config())
    refs = [f"openai:{GPT}", "openai:gpt-5.4", f"anthropic:{CLAUDE}", "anthropic:claude-haiku-4-5"]
    run = engine.start_run("blog-post", {"topic": "tea"}, models={"ideas": refs})
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
        f"openai:{GPT}",
        f"anthropic:{CLAUDE}",
        "ollama:llama3.2",
    ]
    assert all(r["status"] == "completed" for r in draft["responses"])
    ollama = draft["responses"][2]
    assert ollama["usage"]["cost_usd"] is None  # unknown price: null, never 0
    assert json.loads(out)["totals"]["unpriced"] >= 1
    assert "no API key set" not in err


def test_missing_key_names_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    code = main(["run", "blog-post", "-i", "topic=tea", "--model", f"draft=anthropic:{CLAUDE}"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "ANTHROPIC_API_KEY" in err


async def test_planted_keys_never_stored_or_exported(
    net_engine: Engine, fake_llm: FakeLLMServer
) -> None:
    fake_llm.script(Scenario(status=401), model=GPT)
    run = net_engine.start_run("blog-post", {"topic": "tea"})
    state = await net_engine.run_step(run.run_id)
    assert state.steps["ideas"].ordered_responses()[0].status is ResponseStatus.FAILED
    net_engine.pick(run.run_id, 1)
    text = net_engine.export_text(run.run_id, "yaml") + net_engine.export_text(
        run.run_id, "markdown"
    )
    blob = all_store_bytes(net_engine)
    for key in (OPENAI_KEY, ANTHROPIC_KEY):
        assert key.encode() not in blob and key not in text
        assert "SECRET" not in text


# -- what the engine asks for: step_requests ------------------------------------------------

STEP_OPTIONS = """
name: options
defaults: {temperature: 0.3, max_tokens: 1000, responses: 2}
inputs: [{name: topic}]
steps:
  - {name: plan, prompt: "Plan {{ inputs.topic }}", reasoning: {effort: high}}
  - name: write
    prompt: "Write {{ steps.plan.selected }}"
    max_tokens: 6000
    thinking: {budget_tokens: 2048}
    responses: 1
"""


def test_step_requests_carry_the_steps_own_settings(engine: Engine, tmp_path: Path) -> None:
    loaded = load_pipeline(tmp_path / "options.yaml", STEP_OPTIONS)
    run = engine.start_run(loaded, {"topic": "tea"}, models={"*": ["offline:writer"]})
    stubs = [ResponseStub(response_id=f"r{i}", provider="offline", model="writer") for i in "ab"]

    plan = step_requests(run, loaded.config, "plan", stubs, "Plan tea")
    write = step_requests(run, loaded.config, "write", stubs[:1], "Write it")

    assert [(r.max_tokens, r.reasoning_effort, r.thinking) for r in plan] == [
        (1000, "high", None),
        (1000, "high", None),
    ]
    assert [r.seed for r in plan] == [0, 1]  # responses of one model differ
    assert [(r.max_tokens, r.reasoning_effort, r.thinking) for r in write] == [(6000, None, 2048)]
    assert plan[0].temperature == 0.3 and plan[0].inputs == {"topic": "tea"}
    revised = "Plan tea" + FEEDBACK_NOTE + "\nshorter\n"
    assert step_requests(run, loaded.config, "plan", stubs, revised)[0].cache_prefix_chars == 8


def test_a_thinking_budget_must_leave_room_for_the_answer(tmp_path: Path) -> None:
    bad = STEP_OPTIONS.replace("budget_tokens: 2048", "budget_tokens: 8000")
    with pytest.raises(ValidationProblem) as caught:
        load_pipeline(tmp_path / "bad.yaml", bad)
    assert caught.value.problems == [
        f"{tmp_path / 'bad.yaml'}:10: step 'write': thinking budget_tokens (8000) must be less "
        "than its max_tokens (6000), which also holds the answer"
    ]


async def test_the_engine_sends_each_steps_max_tokens(
    net_engine: Engine, fake_llm: FakeLLMServer
) -> None:
    run = net_engine.start_run("tech-article", {"topic": "tea"})
    await net_engine.run_step(run.run_id)
    angles = fake_llm.requests_for(GPT)[-1].body
    draft_limit = load_pipeline(Path("pipelines/tech-article.yaml")).config.step("draft").max_tokens
    assert angles["max_tokens"] == 2000 and draft_limit == 1500  # per section


# -- timings: from the request being sent ---------------------------------------------------


class ScriptedClock:
    """`time.monotonic` for the fan-out, moved by the provider below."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


class SlowToImportProvider:
    """Spends 30 s "importing its SDK" and 8 s in a retry wait before sending its request."""

    def __init__(self, clock: ScriptedClock) -> None:
        self.clock = clock

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamItem]:
        self.clock.now += 30.0  # SDK import, client creation
        yield RequestSent()
        self.clock.now += 1.0
        yield Retrying(attempt=1, delay_s=8.0, reason="server error (500)")
        self.clock.now += 8.0
        yield RequestSent(attempt=2)
        self.clock.now += 0.5
        yield TextDelta("Hello")
        self.clock.now += 1.5
        yield StreamEnd("stop")
        yield UsageReport(10, 2)


class StubRegistry:
    def __init__(self, provider: SlowToImportProvider) -> None:
        self.provider = provider

    def stream(self, request: ModelRequest) -> AsyncIterator[StreamItem]:
        return self.provider.stream(request)

    def cost(self, provider: str, model: str, usage: UsageReport) -> float | None:
        return 0.0


async def test_time_to_first_token_and_processing_time_start_when_the_request_is_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = ScriptedClock()
    monkeypatch.setattr("writeit.engine.fanout.time", clock)
    events: list[ResponseTextAppended | ResponseFinished] = []
    fanout = FanOut(
        StubRegistry(SlowToImportProvider(clock)),  # type: ignore[arg-type]
        events.append,
        lambda: datetime.now(UTC),
        [],
        [],
        [],
    )
    job = StreamJob("run", "step", "r1", ModelRequest("stub", "m", "prompt"))

    await fanout.run([job], set())

    finished = events[-1]
    assert isinstance(finished, ResponseFinished)
    assert finished.status is ResponseStatus.COMPLETED and finished.attempts == 2
    assert finished.time_to_first_token_s == 0.5  # not 39.5: no import, no retry wait
    assert finished.processing_time_s == 2.0
