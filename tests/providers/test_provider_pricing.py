"""Cost: genai-prices under the writer's overrides, cache rates, and None (never 0) if unknown."""

from __future__ import annotations

import subprocess
import sys

import pytest

from writeit.domain.config import Price, ProviderConfig, UserConfig
from writeit.domain.requests import UsageReport
from writeit.providers.pricing import catalog_price, cost_usd
from writeit.providers.registry import ProviderRegistry
from writeit.providers.retry import RetryPolicy

USAGE = UsageReport(input_tokens=1_000_000, output_tokens=100_000)


def cost(
    provider: str, model: str, usage: UsageReport = USAGE, config: UserConfig | None = None
) -> float | None:
    return ProviderRegistry(config or UserConfig(), environ={}).cost(provider, model, usage)


def test_list_prices_come_from_genai_prices() -> None:
    # gpt-5.4-mini: $0.75 in / $4.50 out; claude-sonnet-4-6: $3 in / $15 out (per 1M tokens)
    assert cost("openai", "gpt-5.4-mini") == pytest.approx(0.75 + 0.1 * 4.50)
    assert cost("anthropic", "claude-sonnet-4-6") == pytest.approx(3.00 + 0.1 * 15.00)
    assert catalog_price("anthropic", "claude-sonnet-4-6") == Price(
        input=3.0, output=15.0, cache_read=0.3, cache_write=3.75
    )


def test_retired_models_and_dated_snapshots_are_still_priced() -> None:
    """A run made months ago on a model since retired still shows what it cost."""
    assert cost("openai", "gpt-4o-2024-08-06") == cost("openai", "gpt-4o")
    assert cost("openai", "gpt-4o") is not None
    assert cost("anthropic", "claude-sonnet-4-5-20250929") == cost("anthropic", "claude-sonnet-4-5")
    assert cost("anthropic", "claude-sonnet-4-5") is not None


def test_cache_tokens_are_charged_at_the_cache_rates() -> None:
    # 1M input of which 600k read from cache and 200k written: 200k fresh at $3, 600k at $0.30,
    # 200k at $3.75, plus 100k out at $15.
    usage = UsageReport(1_000_000, 100_000, cache_read_tokens=600_000, cache_write_tokens=200_000)
    expected = 0.2 * 3.00 + 0.6 * 0.30 + 0.2 * 3.75 + 0.1 * 15.00
    assert cost("anthropic", "claude-sonnet-4-6", usage) == pytest.approx(expected)
    assert cost("anthropic", "claude-sonnet-4-6", usage) < cost("anthropic", "claude-sonnet-4-6")
    # OpenAI: cached prompt tokens at a tenth of the input rate
    cached = UsageReport(1_000_000, 0, cache_read_tokens=1_000_000)
    assert cost("openai", "gpt-5.4-mini", cached) == pytest.approx(0.075)


def test_offline_is_free_and_unknown_is_none_not_zero() -> None:
    assert cost("offline", "writer") == 0.0
    assert cost("openai", "gpt-unknown") is None
    assert cost("ollama", "llama3.2") is None


def test_a_gateway_declaring_prices_as_gets_upstream_prices() -> None:
    gateway = ProviderConfig(base_url="http://localhost:4000/v1", prices_as="openai")
    ollama = ProviderConfig(base_url="http://localhost:11434/v1")
    config = UserConfig(providers={"litellm": gateway, "ollama": ollama})
    assert cost("litellm", "gpt-5.4-mini", config=config) == cost("openai", "gpt-5.4-mini")
    assert cost("ollama", "gpt-5.4-mini", config=config) is None  # no upstream declared
    assert cost("litellm", "llama3.2", config=config) is None  # known upstream, unknown model


def test_config_overrides_win_and_may_cover_a_whole_provider() -> None:
    mine = UserConfig(pricing={"openai:gpt-4o": Price(input=1, output=2)})
    assert cost("openai", "gpt-4o", config=mine) == pytest.approx(1.2)
    free = UserConfig(pricing={"ollama:*": Price(input=0, output=0)})
    assert cost("ollama", "llama3.2", config=free) == 0.0


def test_override_cache_rates_fall_back_to_the_input_rate() -> None:
    usage = UsageReport(1_000_000, 0, cache_read_tokens=500_000)
    assert cost_usd(Price(input=2, output=8), usage) == pytest.approx(2.0)
    assert cost_usd(Price(input=2, output=8, cache_read=0.5), usage) == pytest.approx(1.25)


def test_status_reports_the_price_and_where_it_came_from() -> None:
    registry = ProviderRegistry(UserConfig(), environ={})
    status = registry.status("openai:gpt-5.4-mini")
    assert status.priced and status.price_source == "genai-prices"
    assert status.price_summary() == "$0.75 in, $4.50 out, $0.075 cached in per 1M tokens"
    assert registry.status("offline:writer").price_summary() == "free"
    assert registry.status("openai:gpt-unknown").price_summary() == "price unknown"


def test_price_data_is_not_loaded_at_start_up() -> None:
    """genai-prices costs ~0.3 s and pulls in httpx2: only the first price lookup may load it."""
    code = (
        "import sys\n"
        "from writeit.providers.registry import ProviderRegistry, UserConfig\n"
        "r = ProviderRegistry(UserConfig(), {'OPENAI_API_KEY': 'k'})\n"
        "r.check('openai:gpt-5.4-mini'); r.warnings_for('openai:gpt-4o-mini')\n"
        "assert 'genai_prices' not in sys.modules\n"
        "r.cost('openai', 'gpt-5.4-mini', __import__('writeit.domain.requests').domain"
        ".requests.UsageReport(1, 1))\n"
        "assert 'genai_prices' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_backoff_grows_is_capped_and_jitter_stays_in_bounds() -> None:
    policy = RetryPolicy(initial_s=1.0, max_s=8.0, multiplier=2.0, jitter=0.0)
    assert [policy.backoff(n) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    jittery = RetryPolicy(initial_s=1.0, max_s=8.0, multiplier=2.0, jitter=0.2)
    delays = [jittery.backoff(2) for _ in range(200)]
    assert all(1.6 <= d <= 2.4 for d in delays) and len(set(delays)) > 1
