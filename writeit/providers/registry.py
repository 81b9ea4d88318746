"""Which provider serves `provider:model`, with credentials checked and SDKs imported lazily.

Built in: `offline`, `openai` (OPENAI_API_KEY, OPENAI_BASE_URL) and `anthropic`
(ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL). More come from `providers:` in config.yaml; an entry
named `openai` or `anthropic` adjusts the built-in one (e.g. its max_concurrency).
Importing this module imports neither SDK: they load in a worker thread on the first stream.
`check` reads deprecations from the SDKs' source text and prices are looked up only when asked,
so neither imports an SDK or genai-prices either.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal, cast

from writeit.domain.config import Price, ProviderConfig, UserConfig, check_base_url
from writeit.domain.errors import NotFound
from writeit.domain.redact import redact_url
from writeit.domain.requests import ModelRequest, StreamItem, UsageReport
from writeit.providers import anthropic_provider, openai_provider
from writeit.providers.base import MissingCredentials, ModelRetired, Provider, ProviderConfigError
from writeit.providers.lifecycle import Deprecation, ModelStatus, find_deprecation
from writeit.providers.offline import OfflineProvider
from writeit.providers.pricing import catalog_cost, catalog_price, cost_usd, override_price
from writeit.providers.retry import RetryPolicy, Sleep
from writeit.providers.sdk_base import Endpoint, SdkProvider

OFFLINE_DEFAULTS = ("offline:writer", "offline:editor")
KEY_COMMAND_TIMEOUT_S = 15.0

# The one place the environment defaults live. Chosen 2026-11-23 from the installed SDKs'
# model lists: neither is marked deprecated by openai 3.54 / anthropic 2.12, and genai-prices
# prices both ($0.75/$4.50 and $3/$15 per 1M tokens in/out). tests/providers checks all three
# facts against whatever SDKs are installed, so a stale default fails a test, not a writer.
CURRENT_MODELS: dict[str, str] = {
    "openai": "gpt-5.4-mini",
    "anthropic": "claude-sonnet-4-6",
}

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
    prices_as: str | None = None

    @property
    def upstream(self) -> str | None:
        """Whose models (and prices, and deprecations) this provider serves, if known."""
        if self.prices_as:
            return self.prices_as
        return self.name if self.name in _BUILTIN else None

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
        today: Callable[[], date] | None = None,
    ) -> None:
        self.config = config
        self.environ = os.environ if environ is None else environ
        self.retry_policy = RetryPolicy.from_config(config.retry, sleep)
        self.today = today or _utc_today
        self._providers: dict[str, Provider] = {}
        self._command_keys: dict[str, str] = {}
        self.on_secret: Callable[[str], None] | None = None  # told each key a command printed

    def env_default_models(self) -> tuple[str, ...]:
        """Models used when nothing else names any: by which keys the environment holds."""
        found = [
            f"{name}:{CURRENT_MODELS[name]}"
            for name in ("openai", "anthropic")
            if self.environ.get(_BUILTIN[name][0].api_key_env or "")
        ]
        return tuple(found) or OFFLINE_DEFAULTS

    def check(self, model_ref: str) -> None:
        """Raise now rather than mid-step: NotFound, MissingCredentials, ProviderConfigError
        (a malformed base URL), or ModelRetired (past its end of life, naming a replacement).
        Imports no SDK and no price data."""
        name, _, model = model_ref.partition(":")
        if not name or not model:
            raise NotFound(f"'{model_ref}' is not a model; use provider:model")
        if name == "offline":
            if model not in OfflineProvider.models:
                raise NotFound(f"unknown offline model '{model}' (available: writer, editor)")
            return
        spec = self.spec(name)
        status = self._lifecycle(spec, model_ref)
        if status.retired:
            when = f" on {status.end_of_life}" if status.end_of_life else ""
            instead = f"; use {status.replacement}" if status.replacement else ""
            raise ModelRetired(f"{model_ref} reached its end of life{when}{instead}")
        self._api_key(spec)

    def warnings_for(self, model_ref: str) -> list[str]:
        """One-line warnings to show before a run uses `model_ref` (deprecated, not retired).

        Empty for current models, offline ones, and refs `check` would refuse anyway.
        """
        status = self.status(model_ref, with_price=False)
        if not status.deprecated or status.retired:
            return []
        when = status.lifecycle_summary(self.today())
        instead = f"; use {status.replacement}" if status.replacement else ""
        return [f"{model_ref} is {when}{instead}"]

    def status(self, model_ref: str, *, with_price: bool = True) -> ModelStatus:
        """Deprecation, end of life and list price of `model_ref`, for `writeit models` and the
        new-run form. Looking up the price loads genai-prices (~0.3 s) the first time."""
        name, _, model = model_ref.partition(":")
        if name == "offline":
            free = Price(input=0, output=0)
            return ModelStatus(model_ref, price=free, price_source="offline")
        try:
            spec = self.spec(name)
        except (NotFound, ProviderConfigError):
            return ModelStatus(model_ref)
        status = self._lifecycle(spec, model_ref)
        if not with_price:
            return status
        price, source = self._listed_price(spec, model)
        return ModelStatus(
            model_ref,
            deprecated=status.deprecated,
            end_of_life=status.end_of_life,
            retired=status.retired,
            replacement=status.replacement,
            price=price,
            price_source=source,
        )

    def default_statuses(self) -> list[ModelStatus]:
        """The status of every built-in default (whether or not its key is set)."""
        return [self.status(f"{name}:{model}") for name, model in CURRENT_MODELS.items()]

    def _lifecycle(self, spec: ProviderSpec, model_ref: str) -> ModelStatus:
        model = model_ref.partition(":")[2]
        found = self._deprecation(spec, model)
        if found is None:
            return ModelStatus(model_ref)
        retired = found.end_of_life is not None and self.today() >= found.end_of_life
        return ModelStatus(
            model_ref,
            deprecated=True,
            end_of_life=found.end_of_life,
            retired=retired,
            replacement=self._replacement(spec, model),
        )

    @staticmethod
    def _deprecation(spec: ProviderSpec, model: str) -> Deprecation | None:
        """What the SDK this provider's models come from says (the one the request goes
        through for `kind: anthropic`, whose SDK warns whatever the base URL)."""
        sdks = [u for u in (spec.upstream,) if u in _BUILTIN]
        if spec.kind == "anthropic" and "anthropic" not in sdks:
            sdks.append("anthropic")
        for sdk in sdks:
            if (found := find_deprecation(sdk, model)) is not None:
                return found
        return None

    @staticmethod
    def _replacement(spec: ProviderSpec, model: str) -> str | None:
        upstream = spec.upstream if spec.upstream in CURRENT_MODELS else spec.kind
        current = CURRENT_MODELS.get(upstream or "")
        return f"{spec.name}:{current}" if current and current != model else None

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
            if base_url != settings.base_url:  # config's was checked when it was loaded
                try:
                    base_url = check_base_url(base_url)
                except ValueError as exc:
                    raise ProviderConfigError(f"{name}: {exc} (from {url_env})") from None
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
            prices_as=settings.prices_as,
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
        """USD for this usage, or None when the model's price is unknown (never a guess).

        `pricing:` in config wins; then genai-prices for the provider's upstream (the built-ins
        are their own; a named provider has one only if it says `prices_as:`).
        """
        if provider == "offline":
            return 0.0
        if (price := override_price(provider, model, self.config.pricing)) is not None:
            return cost_usd(price, usage)
        try:
            upstream = self.spec(provider).upstream
        except (NotFound, ProviderConfigError):
            return None
        if upstream is None:
            return None
        if (price := override_price(upstream, model, self.config.pricing)) is not None:
            return cost_usd(price, usage)
        return catalog_cost(upstream, model, usage)

    def _listed_price(self, spec: ProviderSpec, model: str) -> tuple[Price | None, str | None]:
        for owner in (spec.name, spec.upstream):
            if owner and (price := override_price(owner, model, self.config.pricing)):
                return price, "config"
        if spec.upstream and (price := catalog_price(spec.upstream, model)) is not None:
            return price, "genai-prices"
        return None, None

    def describe(self) -> list[ProviderInfo]:
        """Offline, the built-ins, then each provider declared in config.yaml."""
        infos = [ProviderInfo("offline", "offline", None, None, True)]
        declared = [n for n in self.config.providers if n not in _BUILTIN and n != "offline"]
        for name in [*_BUILTIN, *declared]:
            spec = self.spec(name)
            url = redact_url(spec.base_url)  # credentials in a base_url are never shown
            infos.append(ProviderInfo(name, spec.kind, url, spec.key_env, self._has_key(spec)))
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
            if self.on_secret is not None:
                self.on_secret(self._command_keys[name])
        return self._command_keys[name]


def _utc_today() -> date:
    return datetime.now(UTC).date()


def _default_url(kind: str) -> str:
    return (
        openai_provider.DEFAULT_BASE_URL
        if kind == "openai"
        else anthropic_provider.DEFAULT_BASE_URL
    )
