"""The writer's preferences (`$WRITEIT_HOME/config.yaml`); every key has a default."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from writeit.domain.pipeline import check_model_ref
from writeit.domain.redact import redact_url
from writeit.domain.yaml_source import read_regular_file, read_yaml, validate_mapping

DEFAULT_CONCURRENCY = 8  # streams per provider at once


class _Strict(BaseModel):
    # No inf/nan anywhere: `.inf` in YAML would otherwise mean "wait forever" or "retry forever".
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def check_base_url(url: str) -> str:
    """Return `url` if it is an absolute http(s) URL with a host, else raise ValueError.

    A malformed URL is the writer's configuration mistake: caught here it is one clear line,
    where at request time it would look like a network failure and be retried.
    """
    parts = urlsplit(url.strip())
    shown = redact_url(url)  # the message is printed: never the credentials in it
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"base_url '{shown}' must be an http:// or https:// URL with a host, "
            "e.g. http://localhost:11434/v1"
        )
    try:
        _ = parts.port  # a non-numeric or out-of-range port raises here
    except ValueError:
        raise ValueError(f"base_url '{shown}' has an invalid port") from None
    return url.strip()


class ProviderConfig(_Strict):
    """An OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp, OpenRouter...).

    `prices_as` names the upstream whose price list applies (`openai`, `anthropic`, or any
    provider genai-prices knows), for gateways such as LiteLLM or OpenRouter that serve another
    vendor's models under their own name. Without it a named provider's prices are unknown.
    """

    kind: Literal["openai", "anthropic"] = "openai"
    base_url: str | None = None
    api_key_env: str | None = None
    api_key_command: str | None = None
    # a step's usual fan-out (up to 8 models on one provider) streams at once, not in waves
    max_concurrency: int = Field(default=DEFAULT_CONCURRENCY, ge=1, le=64)
    prices_as: str | None = Field(default=None, min_length=1, max_length=64)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v: str | None) -> str | None:
        return check_base_url(v) if v is not None else None


class RetryConfig(_Strict):
    max_attempts: int = Field(default=3, ge=1, le=10)
    initial_s: float = Field(default=1.0, ge=0.0, le=60.0)
    max_s: float = Field(default=8.0, ge=0.0, le=300.0)
    multiplier: float = Field(default=2.0, ge=1.0, le=10.0)
    jitter: float = Field(default=0.2, ge=0.0, le=1.0)


class TimeoutConfig(_Strict):
    """Seconds. `first_token_s` bounds the wait from sending a request to the server's first
    stream event, so a server that accepts and never answers fails in under a minute; it is
    separate from `read_s` (the longest silence between bytes once streaming) because a
    reasoning model may think a while before its first token. Not retried: a hung server would
    otherwise triple the silence."""

    connect_s: float = Field(default=10.0, gt=0, le=300.0)
    first_token_s: float = Field(default=45.0, gt=0, le=600.0)
    read_s: float = Field(default=60.0, gt=0, le=600.0)
    total_s: float = Field(default=600.0, gt=0, le=7200.0)


class Price(_Strict):
    """USD per million tokens; the cache rates apply only when the usage reports cache tokens
    (missing cache rates fall back to the input rate)."""

    input: float = Field(ge=0, description="USD per million input tokens")
    output: float = Field(ge=0, description="USD per million output tokens")
    cache_read: float | None = Field(default=None, ge=0, description="USD per million cached")
    cache_write: float | None = Field(default=None, ge=0, description="USD per million written")


# Providers whose address WriteIt knows (their SDK's default, or the *_BASE_URL variable).
BUILT_IN_PROVIDERS = ("openai", "anthropic")


class UserConfig(_Strict):
    default_models: tuple[str, ...] | dict[str, tuple[str, ...]] | None = None
    style: str | None = None
    theme: str | None = None
    keymap: dict[str, str] = Field(default_factory=dict)
    export_format: Literal["yaml", "markdown", "html", "docx"] = "yaml"
    blind: bool = False  # run screens start in blind mode: model names hidden until a pick
    max_concurrent_pipelines: int = Field(default=3, ge=1, le=32)
    providers: dict[str, ProviderConfig] = Field(default_factory=dict)
    pricing: dict[str, Price] = Field(default_factory=dict)
    retry: RetryConfig = Field(default_factory=RetryConfig)
    timeouts: TimeoutConfig = Field(default_factory=TimeoutConfig)
    # Every new run's spending limit in USD unless `--budget` or the form says otherwise.
    budget_usd: float | None = Field(default=None, gt=0, le=1_000_000)

    @field_validator("default_models")
    @classmethod
    def _models(
        cls, v: tuple[str, ...] | dict[str, tuple[str, ...]] | None
    ) -> tuple[str, ...] | dict[str, tuple[str, ...]] | None:
        if isinstance(v, dict):
            return {k: tuple(check_model_ref(m) for m in ms) for k, ms in v.items()}
        return tuple(check_model_ref(m) for m in v) if v is not None else None

    @field_validator("providers")
    @classmethod
    def _urls(cls, v: dict[str, ProviderConfig]) -> dict[str, ProviderConfig]:
        """A provider WriteIt does not know needs its server's address: without one its
        requests would go to the default OpenAI endpoint with another service's key."""
        for name, provider in v.items():
            if name == "offline":
                raise PydanticCustomError(
                    "offline_configured",
                    "providers.offline: the offline models are built in and take no settings",
                )
            if name not in BUILT_IN_PROVIDERS and provider.base_url is None:
                raise PydanticCustomError(
                    "base_url_missing",
                    "'{name}' is not built in ({built_in}), so providers.{name}.base_url is "
                    "required, e.g. base_url: http://localhost:11434/v1",
                    {"name": name, "built_in": ", ".join(BUILT_IN_PROVIDERS)},
                )
        return v

    def default_models_for(self, step: str) -> tuple[str, ...] | None:
        if isinstance(self.default_models, dict):
            return self.default_models.get(step) or self.default_models.get("default")
        return self.default_models


def load_user_config(path: Path) -> UserConfig:
    """The config at `path`, or defaults when the file does not exist."""
    if not path.exists():
        return UserConfig()
    # A directory, FIFO or huge file named config.yaml is one line, not a traceback or a hang.
    src = read_yaml(path, read_regular_file(path).decode("utf-8", "replace") or "{}")
    if src.data is None:
        return UserConfig()
    return validate_mapping(src, UserConfig, "config")
