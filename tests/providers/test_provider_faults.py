"""Network faults through the real SDKs: retries, timeouts, mid-stream failures, cancellation."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from conftest import MakeRegistry
from fake_llm_server import FakeLLMServer, Scenario
from provider_testkit import FAST_RETRY, model_request, run_stream, wait_until

from writeit.domain.config import ProviderConfig, RetryConfig, TimeoutConfig, UserConfig
from writeit.domain.requests import Retrying, TextDelta
from writeit.providers.registry import ProviderRegistry

WORDS = "one two three four five six seven eight nine ten"


def config(read_s: float = 2.0, attempts: int = 3, **providers: ProviderConfig) -> UserConfig:
    return UserConfig(
        retry=FAST_RETRY.model_copy(update={"max_attempts": attempts}),
        timeouts=TimeoutConfig(connect_s=1.0, read_s=read_s, total_s=30.0),
        providers=providers,
    )


async def test_429_with_retry_after_is_retried_after_that_delay(
    registry: ProviderRegistry, fake_llm: FakeLLMServer, api: str
) -> None:
    fake_llm.script(Scenario(status=429, retry_after="0.2"))

    outcome = await run_stream(registry, model_request(api))

    assert outcome.error is None and outcome.text
    assert outcome.retries == [Retrying(attempt=1, delay_s=0.2, reason=outcome.retries[0].reason)]
    assert outcome.retries[0].reason.startswith("rate limited (429)")
    first, second = fake_llm.requests
    assert second.started - first.ended >= 0.19  # the server's wish was honoured


async def test_500_is_retried_then_succeeds(
    registry: ProviderRegistry, fake_llm: FakeLLMServer, api: str
) -> None:
    fake_llm.script(Scenario(status=500))

    outcome = await run_stream(registry, model_request(api))

    assert outcome.error is None and outcome.text == Scenario().text
    assert [r.attempt for r in outcome.retries] == [1]
    assert len(fake_llm.requests) == 2


async def test_500_three_times_fails_after_three_attempts(
    registry: ProviderRegistry, fake_llm: FakeLLMServer, api: str
) -> None:
    fake_llm.script(*[Scenario(status=500, error_message="boom")] * 3)

    outcome = await run_stream(registry, model_request(api))

    assert outcome.error is not None
    assert str(outcome.error).startswith(f"{api}: server error (500)")
    assert str(outcome.error).endswith("after 3 attempts")
    assert "\n" not in str(outcome.error)
    assert [r.attempt for r in outcome.retries] == [1, 2]  # the engine's attempts: last + 1
    assert len(fake_llm.requests) == 3
    assert outcome.text == ""


async def test_backoff_is_exponential_and_uses_the_injected_sleep(
    make_registry: MakeRegistry, fake_llm: FakeLLMServer
) -> None:
    slept: list[float] = []

    async def sleep(delay: float) -> None:
        slept.append(delay)

    retry = RetryConfig(max_attempts=4, initial_s=1.0, max_s=3.0, multiplier=2.0, jitter=0.0)
    registry = make_registry(UserConfig(retry=retry), sleep=sleep)
    fake_llm.script(*[Scenario(status=503)] * 4)

    outcome = await run_stream(registry, model_request("openai"))

    assert slept == [1.0, 2.0, 3.0]  # 1, 2, then 4 capped at max_s
    assert [r.delay_s for r in outcome.retries] == slept
    assert outcome.error is not None and "after 4 attempts" in str(outcome.error)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (401, "authentication failed (401): check {env}"),
        (404, "model '{model}' not found (404)"),
        (400, "request rejected (400)"),
    ],
)
async def test_client_errors_fail_at_once_with_one_clear_line(
    registry: ProviderRegistry, fake_llm: FakeLLMServer, api: str, status: int, message: str
) -> None:
    fake_llm.script(Scenario(status=status, error_message="nope"))
    request = model_request(api)

    outcome = await run_stream(registry, request)

    env = f"{api.upper()}_API_KEY"
    assert outcome.error is not None and not outcome.error.retryable
    assert str(outcome.error).startswith(f"{api}: " + message.format(env=env, model=request.model))
    assert "\n" not in str(outcome.error)
    assert len(fake_llm.requests) == 1 and not outcome.retries


async def test_dropped_connection_after_text_fails_keeping_the_partial_text(
    registry: ProviderRegistry, fake_llm: FakeLLMServer, api: str
) -> None:
    fake_llm.script(Scenario(text=WORDS, drop_after=3))

    outcome = await run_stream(registry, model_request(api))

    assert outcome.text == "one two three "
    assert outcome.error is not None and not outcome.error.retryable
    assert str(outcome.error).startswith(f"{api}: connection lost")
    assert "after partial output" in str(outcome.error)
    assert len(fake_llm.requests) == 1  # never retried once text was shown


async def test_drop_before_any_text_is_retried(
    registry: ProviderRegistry, fake_llm: FakeLLMServer, api: str
) -> None:
    fake_llm.script(Scenario(drop_after=0))

    outcome = await run_stream(registry, model_request(api))

    assert outcome.error is None and outcome.text == Scenario().text
    assert len(outcome.retries) == 1


async def test_error_event_after_200_fails_with_the_server_reason(
    registry: ProviderRegistry, fake_llm: FakeLLMServer, api: str
) -> None:
    fake_llm.script(Scenario(text=WORDS, error_after=2, error_message="Overloaded"))

    outcome = await run_stream(registry, model_request(api))

    assert outcome.text == "one two "
    assert outcome.error is not None
    assert str(outcome.error).startswith(f"{api}: stream error")
    assert "Overloaded" in str(outcome.error)
    assert len(fake_llm.requests) == 1


async def test_anthropic_overloaded_event_before_text_is_retried(
    registry: ProviderRegistry, fake_llm: FakeLLMServer
) -> None:
    fake_llm.script(Scenario(error_after=0, error_type="overloaded_error"))

    outcome = await run_stream(registry, model_request("anthropic"))

    assert outcome.error is None and outcome.text
    assert len(outcome.retries) == 1


@pytest.mark.parametrize("where", ["first_token_delay", "header_delay"])
async def test_slow_first_token_times_out(
    make_registry: MakeRegistry, fake_llm: FakeLLMServer, api: str, where: str
) -> None:
    registry = make_registry(config(read_s=0.3, attempts=2))
    fake_llm.script(*[Scenario(**{where: 1.5})] * 2)  # type: ignore[arg-type]

    outcome = await run_stream(registry, model_request(api))

    assert outcome.error is not None
    assert str(outcome.error) == f"{api}: timed out: no data for 0.3 s after 2 attempts"
    assert outcome.text == ""
    assert outcome.elapsed < 1.4  # two read timeouts, not two full server delays


async def test_slow_but_steady_tokens_do_not_time_out(
    make_registry: MakeRegistry, fake_llm: FakeLLMServer, api: str
) -> None:
    registry = make_registry(config(read_s=0.3))
    fake_llm.script(Scenario(text=WORDS, token_delay=0.1))  # 1 s in all, 0.1 s between chunks

    outcome = await run_stream(registry, model_request(api))

    assert outcome.error is None and outcome.text == WORDS


async def test_nothing_listening_says_cannot_connect(make_registry: MakeRegistry, api: str) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}" + ("/v1" if api == "openai" else "")
    env = {f"{api.upper()}_API_KEY": "k-1234", f"{api.upper()}_BASE_URL": url}
    registry = make_registry(environ=env)

    outcome = await run_stream(registry, model_request(api))

    assert outcome.error is not None
    assert str(outcome.error).startswith(f"{api}: cannot connect to {url} (is the server running?)")
    assert len(outcome.retries) == 2


async def test_cancellation_mid_stream_is_prompt_and_closes_the_http_stream(
    make_registry: MakeRegistry, fake_llm: FakeLLMServer, api: str
) -> None:
    registry = make_registry(config(**{api: ProviderConfig(kind=api, max_concurrency=1)}))  # type: ignore[arg-type]
    fake_llm.script(Scenario(text=WORDS * 5, token_delay=0.1))
    first_text = asyncio.Event()

    async def consume() -> None:
        async for item in registry.stream(model_request(api)):
            if isinstance(item, TextDelta):
                first_text.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first_text.wait(), 5)
    cancelled_at = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert task.cancelled()
    assert time.monotonic() - cancelled_at < 0.5
    await wait_until(lambda: fake_llm.requests[0].client_closed, timeout=2)
    # the provider's only concurrency slot was given back
    outcome = await asyncio.wait_for(run_stream(registry, model_request(api)), 5)
    assert outcome.error is None and outcome.text


async def test_concurrent_streams_take_about_as_long_as_the_slowest(
    registry: ProviderRegistry, fake_llm: FakeLLMServer
) -> None:
    for api in ("openai", "anthropic"):  # warm up: SDK import and client creation
        await run_stream(registry, model_request(api))
    fake_llm.default = Scenario(text=WORDS, token_delay=0.06)  # about 0.6 s each

    started = time.monotonic()
    outcomes = await asyncio.gather(
        *(run_stream(registry, model_request(api)) for api in ["openai", "anthropic"] * 2)
    )
    wall = time.monotonic() - started

    assert all(o.error is None and o.text == WORDS for o in outcomes)
    assert wall < 0.6 * sum(o.elapsed for o in outcomes)


async def test_eight_models_on_one_provider_stream_at_once_by_default(
    registry: ProviderRegistry, fake_llm: FakeLLMServer
) -> None:
    fake_llm.default = Scenario(text="a b c d", token_delay=0.05)

    outcomes = await asyncio.gather(
        *(run_stream(registry, model_request("openai")) for _ in "12345678")
    )

    assert all(o.error is None for o in outcomes)
    last_start = max(r.started for r in fake_llm.requests)
    first_end = min(r.ended for r in fake_llm.requests if r.ended is not None)
    assert len(fake_llm.requests) == 8 and last_start < first_end  # one wave, not two


async def test_max_concurrency_one_serializes_streams(
    make_registry: MakeRegistry, fake_llm: FakeLLMServer
) -> None:
    registry = make_registry(config(openai=ProviderConfig(max_concurrency=1)))
    fake_llm.default = Scenario(text="a b c d", token_delay=0.05)

    outcomes = await asyncio.gather(*(run_stream(registry, model_request("openai")) for _ in "ab"))

    assert all(o.error is None for o in outcomes)
    first, second = sorted(fake_llm.requests, key=lambda r: r.started)
    assert first.ended is not None and second.started >= first.ended
