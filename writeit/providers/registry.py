"""Which provider serves `provider:model`, with credentials checked and SDKs imported lazily."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

from writeit.domain.config import UserConfig
from writeit.domain.errors import NotFound
from writeit.domain.requests import ModelRequest, StreamItem, UsageReport
from writeit.providers.base import Provider
from writeit.providers.offline import OfflineProvider

OFFLINE_DEFAULTS = ("offline:writer", "offline:editor")


@dataclass(frozen=True)
class ProviderInfo:
    """What `writeit models` shows about one provider (never the key itself)."""

    name: str
    kind: str
    base_url: str | None
    credential: str | None  # the variable that holds the key
    has_credentials: bool


class ProviderRegistry:
    """Hands out providers by name; one instance per engine."""

    def __init__(self, config: UserConfig, environ: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.environ = os.environ if environ is None else environ
        self._providers: dict[str, Provider] = {}

    def env_default_models(self) -> tuple[str, ...]:
        """Models used when nothing else names any: by which keys the environment holds."""
        found = []
        if self.environ.get("OPENAI_API_KEY"):
            found.append("openai:gpt-4o-mini")
        if self.environ.get("ANTHROPIC_API_KEY"):
            found.append("anthropic:claude-sonnet-4-5")
        return tuple(found) or OFFLINE_DEFAULTS

    def check(self, model_ref: str) -> None:
        """Raise NotFound/MissingCredentials now rather than mid-step."""
        name, model = model_ref.split(":", 1)
        provider = self.provider(name)
        if isinstance(provider, OfflineProvider) and model not in provider.models:
            raise NotFound(f"unknown offline model '{model}' (available: writer, editor)")

    def provider(self, name: str) -> Provider:
        if name not in self._providers:
            self._providers[name] = self._create(name)
        return self._providers[name]

    def _create(self, name: str) -> Provider:
        if name == "offline":
            return OfflineProvider()
        raise NotFound(f"unknown provider '{name}' (declare it under providers: in config.yaml)")

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamItem]:
        """Stream one request through its provider."""
        async for item in self.provider(request.provider).stream(request):
            yield item

    def cost(self, provider: str, model: str, usage: UsageReport) -> float | None:
        """USD for this usage, or None when the model's price is unknown."""
        if provider == "offline":
            return 0.0
        return None

    def describe(self) -> list[ProviderInfo]:
        return [ProviderInfo("offline", "offline", None, None, True)]
