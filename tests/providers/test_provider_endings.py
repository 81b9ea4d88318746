"""How streams end, through the real SDKs: finish reasons, reasoning, cache usage, JSON bodies,
silent servers, and what each attempt reports about when it was sent."""

from __future__ import annotations

import pytest
from conftest import MakeRegistry
from fake_llm_server import FakeLLMServer, Scenario
from provider_testkit import FAST_RETRY, MODELS, Outcome, model_request, run_stream, wait_until

from writeit.domain.config import TimeoutConfig, UserConfig
from writeit.domain.requests import (
    ModelRequest,
    ReasoningDelta,
    RequestSent,
    StreamEnd,
    TextDelta,
    UsageReport,
    Waiting,
)
from writeit.providers.anthropic_provider import cache_min_tokens
from writeit.providers.registry import ProviderRegistry

CUT = {"openai": "length", "anthropic": "max_tokens"}
NORMAL = {"openai": "stop", "anthropic": "end_turn"}


def ending(outcome: Outcome) -> StreamEnd:
    (end,) = [i for i in outcome.items if isinstance(i, StreamEnd)]
    return end


def reasoning(outcome: Outcome) -> str:
    return "".join(i.text for i in outcome.items if isinstance(i, ReasoningDelta))


async def test_a_normal_ending_is_not_truncated(
    registry: ProviderRegistry, fake_llm: FakeLLMServer, api: str
) -> None:
    outcome = await run_stream(registry, model_request(api))

    assert outcome.error is None
    assert ending(outcome) == StreamEnd(NORMAL[api], truncated=False)
    assert isinstance(outcome.items[0], RequestSent)
    assert isinstance(outcome.items[-1], UsageReport)  # usage still comes last


async def test_a_cut_off_answer_says_truncated(
    registry: ProviderRegistry, fake_llm: FakeLLMServer, api: str
) -> None:
    fake_llm.script(Scenario(text="The answer stops mid", finish_reason=CUT[api]))

    outcome = await run_stream(registry, model_request(api))

    assert outcome.error is None and outcome.text == "The answer stops mid"
    assert ending(outcome) == StreamEnd(CUT[api], truncated=True)


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
async def test_openai_compatible_reasoning_is_kept_apart_from_the_text(
    registry: ProviderRegistry, fake_llm: FakeLLMServer, field: str
) -> None:
    thoughts = ("First, the reader. ", "Then the hook.")
    fake_llm.script(
        Scenario(
            text="Final answer.", reasoning=thoughts, reasoning_field=field, reasoning_tokens=9
        )
    )

    outcome = await run_stream(registry, model_request("openai"))

    assert outcome.error is None
    assert outcome.text == "Final answer."
    assert reasoning(outcome) == "First, the reader. Then the hook."
    assert outcome.usage is not None and outcome.usage.reasoning_tokens == 9


async def test_anthropic_thinking_blocks_are_reasoning_and_signatures_are_dropped(
    registry: ProviderRegistry, fake_llm: FakeLLMServer
) -> None:
    fake_llm.script(Scenario(text="Answer.", reasoning=("Consider ", "the angle.")))

    outcome = await run_stream(registry, model_request("anthropic"))

    assert outcome.error is None and outcome.text == "Answer."
    assert reasoning(outcome) == "Consider the angle."
    assert "EqQB" not in outcome.text + reasoning(outcome)  # the signature is not text


async def test_reasoning_then_a_drop_is_not_retried(
    registry: ProviderRegistry, fake_llm: FakeLLMServer, api: str
) -> None:
    """Reasoning is output the writer has seen: a retry would splice two answers together."""
    fake_llm.script(Scenario(text="never sent", reasoning=("thinking...",), drop_after=0))

    outcome = await run_stream(registry, model_request(api))

    assert outcome.error is not None and "after partial output" in str(outcome.error)
    assert len(fake_llm.requests) == 1 and reasoning(outcome) == "thinking..."


async def test_a_json_body_to_a_streaming_request_fails_in_one_line(
    registry: ProviderRegistry, fake_llm: FakeLLMServer, api: str
) -> None:
    fake_llm.script(Scenario(json_body=True))

    outcome = await run_stream(registry, model_request(api))

    assert outcome.error is not None and not outcome.error.retryable
    assert str(outcome.error) == (
        f"{api}: the server answered a streaming request with a plain application/json body, "
        "not an event stream (does it support stream=true?)"
    )
    assert outcome.text == "" and outcome.usage is None  # nothing streamed, nothing charged
    assert len(fake_llm.requests) == 1


async def test_an_empty_stream_reports_its_ending_and_usage_but_no_text(
    registry: ProviderRegistry, fake_llm: FakeLLMServer, api: str
) -> None:
    fake_llm.script(Scenario(chunks=(), output_tokens=0))

    outcome = await run_stream(registry, model_request(api))

    assert outcome.error is None and outcome.text == ""
    assert ending(outcome).finish_reason == NORMAL[api]
    assert outcome.usage == UsageReport(17, 0)  # what the server said, not an estimate


async def test_openai_cached_prompt_tokens_are_recorded_and_priced(
    registry: ProviderRegistry, fake_llm: FakeLLMServer
) -> None:
    fake_llm.script(
        Scenario(text="ok", input_tokens=2000, output_tokens=10, cache_read_tokens=1500)
    )

    outcome = await run_stream(registry, model_request("openai"))

    assert outcome.usage == UsageReport(2000, 10, cache_read_tokens=1500)
    # gpt-5.4-mini: $0.75 fresh input, $0.075 cached, $4.50 output per 1M tokens
    expected = (500 * 0.75 + 1500 * 0.075 + 10 * 4.50) / 1e6
    assert registry.cost("openai", MODELS["openai"], outcome.usage) == pytest.approx(expected)


async def test_anthropic_cache_reads_and_writes_are_recorded_and_priced(
    registry: ProviderRegistry, fake_llm: FakeLLMServer
) -> None:
    scenario = Scenario(
        text="ok",
        input_tokens=3000,
        output_tokens=10,
        cache_read_tokens=1000,
        cache_write_tokens=1500,
    )
    fake_llm.script(scenario)

    outcome = await run_stream(registry, model_request("anthropic"))

    # input_tokens counts every prompt token; the cache parts are said apart
    assert outcome.usage == UsageReport(3000, 10, cache_read_tokens=1000, cache_write_tokens=1500)
    # claude-haiku-4-5: $1 input, $0.10 cache read, $1.25 cache write, $5 output per 1M tokens
    expected = (500 * 1.00 + 1000 * 0.10 + 1500 * 1.25 + 10 * 5.00) / 1e6
    assert registry.cost("anthropic", MODELS["anthropic"], outcome.usage) == pytest.approx(expected)


async def test_a_long_shared_prefix_is_marked_cacheable_for_anthropic(
    registry: ProviderRegistry, fake_llm: FakeLLMServer
) -> None:
    model = "claude-sonnet-4-6"
    shared = "Style primer and earlier steps. " * (cache_min_tokens(model) // 6)
    prompt = shared + "Now write the draft."
    request = ModelRequest("anthropic", model, prompt, cache_prefix_chars=len(shared))

    await run_stream(registry, request)
    await run_stream(registry, ModelRequest("anthropic", model, "Short.", cache_prefix_chars=6))

    long_body, short_body = (r.body for r in fake_llm.requests)
    assert long_body["messages"][0]["content"] == [
        {"type": "text", "text": shared, "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "Now write the draft."},
    ]
    assert short_body["messages"][0]["content"] == "Short."  # under the minimum: plain


async def test_reasoning_options_reach_the_wire(
    registry: ProviderRegistry, fake_llm: FakeLLMServer
) -> None:
    await run_stream(registry, ModelRequest("openai", "gpt-5.4-mini", "Hi", reasoning_effort="low"))
    await run_stream(
        registry,
        ModelRequest("anthropic", "claude-sonnet-4-6", "Hi", max_tokens=4000, thinking=2048),
    )
    await run_stream(
        registry,
        ModelRequest(
            "anthropic", "claude-sonnet-4-6", "Hi", thinking="adaptive", reasoning_effort="high"
        ),
    )
    await run_stream(registry, ModelRequest("anthropic", "claude-sonnet-4-6", "Hi"))

    openai, budget, adaptive, plain = (r.body for r in fake_llm.requests)
    assert openai["reasoning_effort"] == "low"
    assert budget["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert adaptive["thinking"] == {"type": "adaptive"}
    assert adaptive["output_config"] == {"effort": "high"}
    assert "thinking" not in plain and "output_config" not in plain


async def test_a_hung_server_fails_at_the_first_token_timeout_after_saying_it_waits(
    make_registry: MakeRegistry, fake_llm: FakeLLMServer, api: str
) -> None:
    timeouts = TimeoutConfig(connect_s=2.0, first_token_s=0.6, read_s=30.0, total_s=60.0)
    registry = make_registry(UserConfig(retry=FAST_RETRY, timeouts=timeouts))
    fake_llm.script(Scenario(hang=True))

    outcome = await run_stream(registry, model_request(api))

    assert outcome.error is not None and not outcome.error.retryable
    assert str(outcome.error) == (
        f"{api}: no answer within 0.6 s of sending the request (first-token timeout); "
        "the server may be overloaded or stuck"
    )
    waits = [i for i in outcome.items if isinstance(i, Waiting)]
    assert waits and all(w.limit_s == 0.6 and 0 < w.waited_s < 0.6 for w in waits)
    assert outcome.items.index(waits[0]) > outcome.items.index(RequestSent())
    assert len(fake_llm.requests) == 1  # not retried: three silent tries would triple the wait
    await wait_until(lambda: fake_llm.requests[0].client_closed)  # and the request was dropped


async def test_a_slow_first_token_within_the_limit_is_fine(
    make_registry: MakeRegistry, fake_llm: FakeLLMServer, api: str
) -> None:
    timeouts = TimeoutConfig(connect_s=2.0, first_token_s=5.0, read_s=5.0, total_s=60.0)
    registry = make_registry(UserConfig(retry=FAST_RETRY, timeouts=timeouts))
    fake_llm.script(Scenario(text="late but fine", first_token_delay=0.3))

    outcome = await run_stream(registry, model_request(api))

    assert outcome.error is None and outcome.text == "late but fine"


async def test_every_attempt_says_when_its_request_was_sent(
    registry: ProviderRegistry, fake_llm: FakeLLMServer, api: str
) -> None:
    fake_llm.script(Scenario(status=500))

    outcome = await run_stream(registry, model_request(api))

    kinds = [type(i).__name__ for i in outcome.items if not isinstance(i, TextDelta)]
    assert kinds[:3] == ["RequestSent", "Retrying", "RequestSent"]
    assert kinds.count("RequestSent") == len(fake_llm.requests) == 2
