"""Which provider serves `provider:model`, with credentials checked and SDKs imported lazily.

Built in: `offline`, `openai` (OPENAI_API_KEY, OPENAI_BASE_URL) and `anthropic`
(ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL). More come from `providers:` in config.yaml; an entry
named `openai` or `anthropic` adjusts the built-in one (e.g. its max_concurrency).
Importing this module imports neither SDK: they load in a worker thread on the first stream.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from typing import Literal, cast

from writeit.domain.config import ProviderConfig, UserConfig
from writeit.domain.errors import NotFound
from writeit.domain.requests import ModelRequest, StreamItem, UsageReport
from writeit.providers import anthropic_provider, openai_provider
from writeit.providers.base import MissingCredentials, Provider
from writeit.providers.offline import OfflineProvider
from writeit.providers.pricing import cost_usd, find_price
from writeit.providers.retry import RetryPolicy, Sleep
from writeit.providers.sdk_base import Endpoint, SdkProvider

OFFLINE_DEFAULTS = ("offline:writer", "offline:editor")
KEY_COMMAND_TIMEOUT_S = 15.0

_BUILTIN: dict[str, tuple[ProviderConfig, str, str]] = {
    # name: (defaults, base-URL variable, default base URL)
    "openai": (
        ProviderConfig(kind="openai", api_key_env="OPENAI_API_KEY"),
        "OPENAI_BASE_URL",
        openai_provider.DEFAULT_BASE_URL,
    ),
    "anthropic": (
        ProviderConfig(kind="anthropic", api_key_env="ANTHROPIC_API_KEY"),
        "ANTHROPIC_BASE_URL",
        anthropic_provider.DEFAULT_BASE_URL,
    ),
}


@dataclass(frozen=True)
class ProviderInfo:
    """What `writeit models` shows about one provider (never the key itself)."""

    name: str
    kind: str
    base_url: str | None
    credential: str | None  # the variable that holds the key
    has_credentials: bool


@dataclass(frozen=True)
class ProviderSpec:
    """A provider's resolved settings: built-in defaults, then config.yaml, then environment."""

    name: str
    kind: Literal["openai", "anthropic"]
    base_url: str
    key_env: str | None
    key_command: str | None
    max_concurrency: int

    @property
    def key_required(self) -> bool:
        """Keyless only when nothing names a key (local servers such as Ollama)."""
        return bool(self.key_env or self.key_command)


class ProviderRegistry:
    """Hands out providers by name; one instance per engine (providers hold HTTP pools)."""

    def __init__(
        self,
        config: UserConfig,
        environ: Mapping[str, str] | None = None,
        *,
        sleep: Sleep | None = None,
    ) -> None:
        self.config = config
        self.environ = os.environ if environ is None else environ
        self.retry_policy = RetryPolicy.from_config(config.retry, sleep)
        self._providers: dict[str, Provider] = {}
        self._command_keys: dict[str, str] = {}

    def env_default_models(self) -> tuple[str, ...]:
        """Models used when nothing else names any: by which keys the environment holds."""
        found = []
        if self.environ.get("OPENAI_API_KEY"):
            found.append("openai:gpt-4o-mini")
        if self.environ.get("ANTHROPIC_API_KEY"):
            found.append("anthropic:claude-sonnet-4-5")
        return tuple(found) or OFFLINE_DEFAULTS

    def check(self, model_ref: str) -> None:
        """Raise NotFound/MissingCredentials now rather than mid-step. Imports no SDK."""
        name, _, model = model_ref.partition(":")
        if not name or not model:
            raise NotFound(f"'{model_ref}' is not a model; use provider:model")
        if name == "offline":
            if model not in OfflineProvider.models:
                raise NotFound(f"unknown offline model '{model}' (available: writer, editor)")
            return
        self._api_key(self.spec(name))

    def spec(self, name: str) -> ProviderSpec:
        """The resolved settings of a network provider; NotFound when nothing declares it."""
        declared = self.config.providers.get(name)
        if name in _BUILTIN:
            defaults, url_env, default_url = _BUILTIN[name]
            overrides = (
                {k: getattr(declared, k) for k in declared.model_fields_set} if declared else {}
            )
            settings = defaults.model_copy(update=overrides)
            base_url = settings.base_url or self.environ.get(url_env) or default_url
        elif declared is not None and name != "offline":
            settings = declared
            base_url = declared.base_url or _default_url(declared.kind)
        else:
            raise NotFound(
                f"unknown provider '{name}' (declare it under providers: in config.yaml)"
            )
        return ProviderSpec(
            name=name,
            kind=settings.kind,
            base_url=base_url,
            key_env=settings.api_key_env,
            key_command=settings.api_key_command,
            max_concurrency=settings.max_concurrency,
        )

    def provider(self, name: str) -> Provider:
        if name not in self._providers:
            self._providers[name] = self._create(name)
        return self._providers[name]

    def _create(self, name: str) -> Provider:
        if name == "offline":
            return OfflineProvider()
        spec = self.spec(name)
        endpoint = Endpoint(
            name=name,
            base_url=spec.base_url,
            key_env=spec.key_env,
            api_key=self._api_key(spec),
            max_concurrency=spec.max_concurrency,
        )
        cls: type[SdkProvider] = (
            openai_provider.OpenAIProvider
            if spec.kind == "openai"
            else anthropic_provider.AnthropicProvider
        )
        return cls(endpoint, timeouts=self.config.timeouts, policy=self.retry_policy)

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamItem]:
        """Stream one request through its provider; closing this closes the HTTP stream."""
        # every provider's stream is an async generator, so it can be closed early
        items = cast(
            AsyncGenerator[StreamItem, None], self.provider(request.provider).stream(request)
        )
        async with aclosing(items):
            async for item in items:
                yield item

    def cost(self, provider: str, model: str, usage: UsageReport) -> float | None:
        """USD for this usage, or None when the model's price is unknown."""
        if provider == "offline":
            return 0.0
        price = find_price(provider, model, self.config.pricing)
        return None if price is None else cost_usd(price, usage)

    def describe(self) -> list[ProviderInfo]:
        """Offline, the built-ins, then each provider declared in config.yaml."""
        infos = [ProviderInfo("offline", "offline", None, None, True)]
        declared = [n for n in self.config.providers if n not in _BUILTIN and n != "offline"]
        for name in [*_BUILTIN, *declared]:
            spec = self.spec(name)
            infos.append(
                ProviderInfo(name, spec.kind, spec.base_url, spec.key_env, self._has_key(spec))
            )
        return infos

    async def aclose(self) -> None:
        """Close every SDK client's connection pool (call when the engine shuts down)."""
        for provider in self._providers.values():
            if isinstance(provider, SdkProvider):
                await provider.aclose()

    # -- credentials -----------------------------------------------------------------------

    def _has_key(self, spec: ProviderSpec) -> bool:
        """Whether a key is at hand; a configured api_key_command counts (it is not run here)."""
        if not spec.key_required or spec.key_command:
            return True
        return bool(spec.key_env and self.environ.get(spec.key_env))

    def _api_key(self, spec: ProviderSpec) -> str | None:
        """The key from its variable, else from api_key_command; None for keyless servers."""
        if spec.key_env and (key := self.environ.get(spec.key_env, "").strip()):
            return key
        if spec.key_command:
            return self._key_from_command(spec.name, spec.key_command)
        if spec.key_required:
            raise MissingCredentials(f"{spec.name}: no API key; set {spec.key_env}")
        return None

    def _key_from_command(self, name: str, command: str) -> str:
        """Run api_key_command once per registry; its output is never shown anywhere."""
        if name not in self._command_keys:
            try:
                done = subprocess.run(
                    shlex.split(command),
                    capture_output=True,
                    text=True,
                    timeout=KEY_COMMAND_TIMEOUT_S,
                    check=False,
                )
            except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
                reason = type(exc).__name__
                raise MissingCredentials(f"{name}: api_key_command failed ({reason})") from None
            lines = done.stdout.strip().splitlines()
            if done.returncode != 0 or not lines:
                raise MissingCredentials(
                    f"{name}: api_key_command printed no key (exit status {done.returncode})"
                )
            self._command_keys[name] = lines[0].strip()
        return self._command_keys[name]


def _default_url(kind: str) -> str:
    return (
        openai_provider.DEFAULT_BASE_URL
        if kind == "openai"
        else anthropic_provider.DEFAULT_BASE_URL
    )
