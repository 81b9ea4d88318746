"""What a response cost: the writer's `pricing:` overrides, else `genai-prices`.

`genai-prices` (pydantic's maintained price data, bundled in the package so it works offline)
knows current and retired models, dated snapshot names, cache and long-context rates; a
hand-kept table went stale within months. It is imported only when a price is first needed
(about 0.3 s, and it pulls in httpx2), never at start-up: `warm_up()` lets the SDK providers
pay that in their worker thread while they build a client.

An unknown price is None, never 0: a pane showing $0.00 for a paid model would be a lie.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from writeit.domain.config import Price
from writeit.domain.requests import UsageReport

# gpt-4o-2024-08-06, claude-sonnet-4-5-20250929, claude-3-5-haiku-latest -> the family's name
_SNAPSHOT_SUFFIX = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8}|latest)$")
_MTOK = 1_000_000
_RATES = ("input", "output", "cache_read", "cache_write")  # Price fields = genai `*_mtok` keys


def override_price(provider: str, model: str, overrides: Mapping[str, Price]) -> Price | None:
    """The writer's own price: exact name, then the snapshot's family, then `provider:*`."""
    names = [model]
    base = _SNAPSHOT_SUFFIX.sub("", model)
    if base != model:
        names.append(base)
    for name in names:
        if (price := overrides.get(f"{provider}:{name}")) is not None:
            return price
    return overrides.get(f"{provider}:*")


def cost_usd(price: Price, usage: UsageReport) -> float:
    """USD for `usage` at `price` (per million tokens); cache tokens at the cache rates."""
    cached = usage.cache_read_tokens + usage.cache_write_tokens
    fresh = max(0, usage.input_tokens - cached)
    read_rate = price.input if price.cache_read is None else price.cache_read
    write_rate = price.input if price.cache_write is None else price.cache_write
    total = (
        fresh * price.input
        + usage.cache_read_tokens * read_rate
        + usage.cache_write_tokens * write_rate
        + usage.output_tokens * price.output
    )
    return round(total / _MTOK, 8)


def _calculate(upstream: str, model: str, usage: UsageReport) -> Any:
    """genai-prices' `PriceCalculation` for `usage` (its public API); None if it has no price.

    Without the package (a broken install) every price is unknown rather than a crash mid-run.
    """
    try:
        from genai_prices import Usage, calc_price
    except ImportError:
        return None

    counts = Usage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_tokens or None,
        cache_write_tokens=usage.cache_write_tokens or None,
    )
    try:
        return calc_price(counts, model, provider_id=upstream)
    except LookupError:  # an unknown provider or model
        return None
    except ValueError:  # counts its price model cannot split (cache > input from a bad server)
        return None


def catalog_price(upstream: str, model: str) -> Price | None:
    """The list price genai-prices gives `model` at `upstream` (base tier, per million tokens)."""
    calculated = _calculate(upstream, model, UsageReport(0, 0))
    if calculated is None:
        return None
    prices = calculated.model_price
    rates = {key: _base_rate(getattr(prices, f"{key}_mtok", None)) for key in _RATES}
    if rates["input"] is None or rates["output"] is None:
        return None
    return Price.model_validate(rates)


def catalog_cost(upstream: str, model: str, usage: UsageReport) -> float | None:
    """USD for `usage` by genai-prices' own calculation (tiers included); None if unpriced."""
    calculated = _calculate(upstream, model, usage)
    return None if calculated is None else round(float(calculated.total_price), 8)


def _base_rate(value: object) -> float | None:
    if isinstance(value, Decimal):
        return float(value)
    base = getattr(value, "base", None)  # TieredPrices: the rate below the first threshold
    return float(base) if isinstance(base, Decimal) else None


def warm_up() -> None:
    """Load genai-prices and its data now (call from a worker thread, not the event loop)."""
    _calculate("openai", "gpt-4o", UsageReport(0, 0))  # the first lookup loads the data
