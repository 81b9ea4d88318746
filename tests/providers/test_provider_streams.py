"""Happy paths through the real SDKs: exact text, exact request, honest usage and cost."""

from __future__ import annotations

import pytest
from conftest import MakeRegistry
from fake_llm_server import FakeLLMServer, Scenario
from provider_testkit import ANTHROPIC_KEY, MODELS, OPENAI_KEY, model_request, run_stream

from writeit.domain.config import ProviderConfig, UserConfig
from writeit.domain.requests import ModelRequest, TextDelta, estimate_tokens
from writeit.providers.base import MissingCredentials
from writeit.providers.openai_provider import chat_params
from writeit.providers.registry import ProviderRegistry


async def test_streams_exact_text_with_reported_usage_and_cost(
    registry: ProviderRegistry, fake_llm: FakeLLMServer, api: str
) -> None:
    fake_llm.script(
        Scenario(chunks=("Hel", "lo, ", "wor", "ld!"), input_tokens=21, output_tokens=4)
    )

    outcome = await run_stream(registry, model_request(api))

    assert outcome.error is None
    assert [i.text for i in outcome.items if isinstance(i, TextDelta)] == [
        "Hel",
        "lo, ",
        "wor",
        "ld!",
    ]
    assert outcome.usage is not None
    assert (outcome.usage.input_tokens, outcome.usage.output_tokens) == (21, 4)
    assert not outcome.usage.estimated
    assert outcome.items[-1] == outcome.usage  # usage comes last
    expected = {"openai": 21 * 0.75 + 4 * 4.50, "anthropic": 21 * 1.00 + 4 * 5.00}[api] / 1e6
    assert registry.cost(api, MODELS[api], outcome.usage) == pytest.approx(expected)


async def test_openai_request_carries_prompt_system_and_limits(
    registry: ProviderRegistry, fake_llm: FakeLLMServer
) -> None:
    request = ModelRequest(
        "openai", "gpt-4o-mini", "Outline it.", system="Be terse.", max_tokens=321
    )

    await run_stream(registry, request)

    (sent,) = fake_llm.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.body["messages"] == [
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": "Outline it."},
    ]
    assert sent.body["model"] == "gpt-4o-mini"
    assert sent.body["stream"] is True
    assert sent.body["stream_options"] == {"include_usage": True}
    assert sent.body["max_tokens"] == 321  # a compatible server: the classic name
    assert sent.body["temperature"] == 0.7
    assert sent.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert sent.headers["x-stainless-retry-count"] == "0"


async def test_anthropic_request_carries_prompt_system_and_limits(
    registry: ProviderRegistry, fake_llm: FakeLLMServer
) -> None:
    request = ModelRequest(
        "anthropic", "claude-sonnet-4-6", "Draft it.", system="Warm.", max_tokens=77
    )

    await run_stream(registry, request)

    (sent,) = fake_llm.requests
    assert sent.path == "/v1/messages"
    assert sent.body["messages"] == [{"role": "user", "content": "Draft it."}]
    assert sent.body["system"] == "Warm."
    assert sent.body["max_tokens"] == 77
    assert sent.body["stream"] is True
    # SDK 2.x sends the key as a bearer token; older ones used x-api-key
    sent_key = sent.headers.get("x-api-key") or sent.headers["authorization"].removeprefix(
        "Bearer "
    )
    assert sent_key == ANTHROPIC_KEY


async def test_no_system_prompt_sends_none(
    registry: ProviderRegistry, fake_llm: FakeLLMServer, api: str
) -> None:
    await run_stream(registry, model_request(api, "Just this."))

    body = fake_llm.requests[0].body
    assert "system" not in body
    assert [m["role"] for m in body["messages"]] == ["user"]


async def test_usage_is_estimated_when_the_server_sends_none(
    registry: ProviderRegistry, fake_llm: FakeLLMServer, api: str
) -> None:
    text = "Twelve characters each. " * 4
    fake_llm.script(Scenario(text=text, usage=False))

    outcome = await run_stream(registry, model_request(api, "Count me."))

    assert outcome.error is None and outcome.text == text
    assert outcome.usage is not None and outcome.usage.estimated
    assert outcome.usage.output_tokens == estimate_tokens(text)
    assert outcome.usage.input_tokens > 0


async def test_official_openai_gets_max_completion_tokens_and_no_temperature_for_reasoning() -> (
    None
):
    request = ModelRequest("openai", "o4-mini", "Think.", max_tokens=900)
    assert chat_params(request, official=True)["max_completion_tokens"] == 900
    assert "temperature" not in chat_params(request, official=True)
    assert "max_tokens" not in chat_params(request, official=True)
    classic = ModelRequest("openai", "gpt-4o", "Write.", temperature=0.3)
    assert chat_params(classic, official=True)["temperature"] == 0.3


async def test_named_openai_compatible_provider_without_key(
    make_registry: MakeRegistry, fake_llm: FakeLLMServer
) -> None:
    config = UserConfig(
        providers={"ollama": ProviderConfig(kind="openai", base_url=fake_llm.openai_base_url)}
    )
    registry = make_registry(config, environ={})
    registry.check("ollama:llama3.2")  # keyless local servers need nothing set

    outcome = await run_stream(registry, ModelRequest("ollama", "llama3.2", "Hi there."))

    assert outcome.error is None and outcome.text
    (sent,) = fake_llm.requests
    assert sent.model == "llama3.2"
    assert sent.headers["authorization"] == "Bearer not-needed"
    assert registry.cost("ollama", "llama3.2", outcome.usage) is None  # unknown, never 0


async def test_named_provider_key_comes_from_its_variable(
    make_registry: MakeRegistry, fake_llm: FakeLLMServer
) -> None:
    declared = ProviderConfig(base_url=fake_llm.openai_base_url, api_key_env="ROUTER_KEY")
    config = UserConfig(providers={"router": declared})

    with pytest.raises(MissingCredentials, match=r"^router: no API key; set ROUTER_KEY$"):
        make_registry(config, environ={}).check("router:some/model")

    registry = make_registry(config, environ={"ROUTER_KEY": "rk-42-secret"})
    outcome = await run_stream(registry, ModelRequest("router", "some/model", "Hi."))

    assert outcome.error is None
    assert fake_llm.requests[0].headers["authorization"] == "Bearer rk-42-secret"


async def test_named_anthropic_kind_provider(
    make_registry: MakeRegistry, fake_llm: FakeLLMServer
) -> None:
    declared = ProviderConfig(kind="anthropic", base_url=fake_llm.anthropic_base_url)
    registry = make_registry(UserConfig(providers={"proxy": declared}), environ={})

    outcome = await run_stream(registry, ModelRequest("proxy", "claude-x", "Hi."))

    assert outcome.error is None and outcome.text
    assert fake_llm.requests[0].api == "anthropic"
