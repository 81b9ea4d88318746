"""Cost: shipped list prices, config overrides, and None (never 0) for unknown models."""

from __future__ import annotations

import pytest

from writeit.domain.config import Price, UserConfig
from writeit.domain.requests import UsageReport
from writeit.providers.pricing import shipped_prices
from writeit.providers.registry import ProviderRegistry
from writeit.providers.retry import RetryPolicy

USAGE = UsageReport(input_tokens=1_000_000, output_tokens=100_000)


def cost(provider: str, model: str, **pricing: Price) -> float | None:
    return ProviderRegistry(UserConfig(pricing=pricing), environ={}).cost(provider, model, USAGE)


def test_shipped_prices_cover_the_current_models() -> None:
    prices = shipped_prices()
    for model in [
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-nano",
        "o3",
        "o4-mini",
    ]:
        assert f"openai:{model}" in prices
    for model in ["gpt-5", "gpt-5-mini"]:
        assert f"openai:{model}" in prices
    for model in ["claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5", "claude-3-5-haiku"]:
        assert f"anthropic:{model}" in prices
    assert all(p.input <= p.output for p in prices.values())


def test_cost_uses_list_prices_per_million_tokens() -> None:
    assert cost("openai", "gpt-4o-mini") == pytest.approx(0.15 + 0.1 * 0.60)
    assert cost("anthropic", "claude-sonnet-4-5") == pytest.approx(3.00 + 0.1 * 15.00)


def test_dated_snapshots_fall_back_to_their_family() -> None:
    assert cost("openai", "gpt-4o-2024-08-06") == cost("openai", "gpt-4o")
    assert cost("anthropic", "claude-sonnet-4-5-20250929") == cost("anthropic", "claude-sonnet-4-5")


def test_offline_is_free_and_unknown_is_none_not_zero() -> None:
    assert cost("offline", "writer") == 0.0
    assert cost("openai", "gpt-unknown") is None
    assert cost("ollama", "llama3.2") is None


def test_config_overrides_win_and_may_cover_a_whole_provider() -> None:
    assert cost("openai", "gpt-4o", **{"openai:gpt-4o": Price(input=1, output=2)}) == pytest.approx(
        1.2
    )
    assert cost("ollama", "llama3.2", **{"ollama:*": Price(input=0, output=0)}) == 0.0


def test_backoff_grows_is_capped_and_jitter_stays_in_bounds() -> None:
    policy = RetryPolicy(initial_s=1.0, max_s=8.0, multiplier=2.0, jitter=0.0)
    assert [policy.backoff(n) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    jittery = RetryPolicy(initial_s=1.0, max_s=8.0, multiplier=2.0, jitter=0.2)
    delays = [jittery.backoff(2) for _ in range(200)]
    assert all(1.6 <= d <= 2.4 for d in delays) and len(set(delays)) > 1
