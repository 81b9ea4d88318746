"""Model lifecycle: current defaults, deprecations read from the installed SDKs, retired refused."""

from __future__ import annotations

import typing
from datetime import date

import pytest

from writeit.domain.config import ProviderConfig, UserConfig
from writeit.providers.base import ModelRetired, ProviderConfigError
from writeit.providers.lifecycle import find_deprecation, parse_date, sdk_deprecations
from writeit.providers.pricing import catalog_price
from writeit.providers.registry import CURRENT_MODELS, ProviderRegistry

TODAY = date(2026, 11, 23)
KEYS = {"OPENAI_API_KEY": "k-openai", "ANTHROPIC_API_KEY": "k-anthropic"}


def registry(today: date = TODAY, config: UserConfig | None = None) -> ProviderRegistry:
    return ProviderRegistry(config or UserConfig(), environ=KEYS, today=lambda: today)


def sdk_model_names(sdk: str) -> set[str]:
    """Every literal model name the installed SDK's model type lists."""
    if sdk == "openai":
        from openai.types import ChatModel

        return set(typing.get_args(ChatModel))
    from anthropic.types import Model

    return {a for arg in typing.get_args(Model) for a in typing.get_args(arg)}


@pytest.mark.parametrize(("provider", "model"), sorted(CURRENT_MODELS.items()))
def test_defaults_are_current_known_to_their_sdk_and_priced(provider: str, model: str) -> None:
    assert model in sdk_model_names(provider)
    assert find_deprecation(provider, model) is None
    assert catalog_price(provider, model) is not None
    status = registry().status(f"{provider}:{model}")
    assert not status.deprecated and status.priced
    assert status.lifecycle_summary(TODAY) == "current"


def test_environment_defaults_follow_the_keys() -> None:
    assert registry().env_default_models() == (
        "openai:gpt-5.4-mini",
        "anthropic:claude-sonnet-4-6",
    )
    only_anthropic = ProviderRegistry(UserConfig(), environ={"ANTHROPIC_API_KEY": "k"})
    assert only_anthropic.env_default_models() == ("anthropic:claude-sonnet-4-6",)
    assert ProviderRegistry(UserConfig(), environ={}).env_default_models() == (
        "offline:writer",
        "offline:editor",
    )


def test_anthropic_table_is_the_sdks_own() -> None:
    from anthropic._data import DEPRECATED_MODELS

    ours = sdk_deprecations("anthropic")
    assert set(ours) == set(DEPRECATED_MODELS)
    for name, when in DEPRECATED_MODELS.items():
        assert ours[name].end_of_life == parse_date(when)
    assert ours["claude-sonnet-4-5"].end_of_life == date(2026, 11, 30)


def test_openai_deprecations_come_from_the_chat_model_docstring() -> None:
    found = sdk_deprecations("openai")
    assert found["gpt-4o-mini"].end_of_life == date(2027, 1, 14)
    assert found["o4-mini"].end_of_life == date(2026, 10, 23)
    assert found["gpt-5.1-mini"].end_of_life is None  # "not a supported model ID"
    assert set(found) <= sdk_model_names("openai")  # every name parsed is a real model name


def test_a_deprecated_model_warns_with_its_end_of_life_and_a_replacement() -> None:
    reg = registry()
    reg.check("anthropic:claude-sonnet-4-5")  # still allowed a week before end of life
    assert reg.warnings_for("anthropic:claude-sonnet-4-5") == [
        "anthropic:claude-sonnet-4-5 is deprecated, end of life 2026-11-30 (in 7 days); "
        "use anthropic:claude-sonnet-4-6"
    ]
    assert reg.warnings_for("anthropic:claude-sonnet-4-5-20250929")  # the dated snapshot too
    assert reg.warnings_for("openai:gpt-4o-mini") == [
        "openai:gpt-4o-mini is deprecated, end of life 2027-01-14 (in 52 days); "
        "use openai:gpt-5.4-mini"
    ]
    assert reg.warnings_for("anthropic:claude-sonnet-4-6") == []
    assert reg.warnings_for("offline:writer") == []


def test_a_retired_model_is_refused_in_one_line_naming_a_replacement() -> None:
    on_the_day = registry(date(2026, 11, 30))
    with pytest.raises(ModelRetired) as caught:
        on_the_day.check("anthropic:claude-sonnet-4-5")
    assert str(caught.value) == (
        "anthropic:claude-sonnet-4-5 reached its end of life on 2026-11-30; "
        "use anthropic:claude-sonnet-4-6"
    )
    with pytest.raises(ModelRetired, match=r"use openai:gpt-5\.4-mini$"):
        registry().check("openai:o4-mini")  # shut down 2026-10-23
    status = registry().status("openai:o4-mini")
    assert status.retired and status.lifecycle_summary(TODAY) == "retired on 2026-10-23"
    assert registry().warnings_for("openai:o4-mini") == []  # refused, not warned


def test_a_gateway_inherits_its_upstreams_lifecycle() -> None:
    config = UserConfig(
        providers={
            "litellm": ProviderConfig(base_url="http://localhost:4000/v1", prices_as="openai"),
            "ollama": ProviderConfig(base_url="http://localhost:11434/v1"),
        }
    )
    with pytest.raises(ModelRetired, match=r"use litellm:gpt-5\.4-mini$"):
        registry(config=config).check("litellm:o4-mini")
    registry(config=config).check("ollama:o4-mini")  # nothing says it fronts OpenAI
    assert registry(config=config).warnings_for("ollama:llama3.2") == []


def test_a_malformed_base_url_is_a_config_error_not_a_network_one() -> None:
    env = {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": "localhost:8080/v1"}
    with pytest.raises(ProviderConfigError) as caught:
        ProviderRegistry(UserConfig(), environ=env).check("openai:gpt-5.4-mini")
    message = str(caught.value)
    assert "\n" not in message and "OPENAI_BASE_URL" in message and "http://" in message
    with pytest.raises(ValueError, match="must be an http:// or https:// URL"):
        ProviderConfig(base_url="htp:/nowhere")
    with pytest.raises(ValueError, match="invalid port"):
        ProviderConfig(base_url="http://localhost:99999/v1")


@pytest.mark.parametrize(
    "timeouts",
    [{"read_s": float("inf")}, {"first_token_s": 601}, {"connect_s": float("nan")}],
)
def test_timeouts_are_bounded(timeouts: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        UserConfig.model_validate({"timeouts": timeouts})
    with pytest.raises(ValueError):
        UserConfig.model_validate({"retry": {"max_s": float("inf")}})
