"""What a response cost: shipped list prices (pricing.yaml) under the writer's overrides.

An unknown price is None, never 0: a pane showing $0.00 for a paid model would be a lie.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources

from writeit.domain.config import Price
from writeit.domain.requests import UsageReport

# gpt-4o-2024-08-06, claude-sonnet-4-5-20250929, claude-3-5-haiku-latest -> the family's name
_SNAPSHOT_SUFFIX = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8}|latest)$")


@cache
def shipped_prices() -> dict[str, Price]:
    """The packaged price list, keyed `provider:model`; read once, on first use."""
    import yaml

    text = resources.files("writeit.providers").joinpath("pricing.yaml").read_text("utf-8")
    data = yaml.safe_load(text) or {}
    return {
        f"{provider}:{model}": Price.model_validate(price)
        for provider, models in data.items()
        for model, price in (models or {}).items()
    }


def find_price(provider: str, model: str, overrides: Mapping[str, Price]) -> Price | None:
    """Overrides first (exact, then `provider:*`), then the shipped list; None when unknown."""
    names = [model]
    base = _SNAPSHOT_SUFFIX.sub("", model)
    if base != model:
        names.append(base)
    for table in (overrides, shipped_prices()):
        for name in names:
            if (price := table.get(f"{provider}:{name}")) is not None:
                return price
        if table is overrides and (price := overrides.get(f"{provider}:*")) is not None:
            return price
    return None


def cost_usd(price: Price, usage: UsageReport) -> float:
    """USD for `usage` at `price` (per million tokens)."""
    total = usage.input_tokens * price.input + usage.output_tokens * price.output
    return round(total / 1_000_000, 8)
