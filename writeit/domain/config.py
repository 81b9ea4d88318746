"""The writer's preferences (`$WRITEIT_HOME/config.yaml`); every key has a default."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from writeit.domain.pipeline import check_model_ref
from writeit.domain.yaml_source import read_yaml, validate_mapping


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProviderConfig(_Strict):
    """An OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp, OpenRouter...)."""

    kind: Literal["openai", "anthropic"] = "openai"
    base_url: str | None = None
    api_key_env: str | None = None
    api_key_command: str | None = None
    max_concurrency: int = Field(default=4, ge=1, le=64)


class RetryConfig(_Strict):
    max_attempts: int = Field(default=3, ge=1, le=10)
    initial_s: float = Field(default=1.0, ge=0.0)
    max_s: float = Field(default=8.0, ge=0.0)
    multiplier: float = Field(default=2.0, ge=1.0)
    jitter: float = Field(default=0.2, ge=0.0, le=1.0)


class TimeoutConfig(_Strict):
    connect_s: float = Field(default=10.0, gt=0)
    read_s: float = Field(default=60.0, gt=0)
    total_s: float = Field(default=600.0, gt=0)


class Price(_Strict):
    input: float = Field(ge=0, description="USD per million input tokens")
    output: float = Field(ge=0, description="USD per million output tokens")


class UserConfig(_Strict):
    default_models: tuple[str, ...] | dict[str, tuple[str, ...]] | None = None
    style: str | None = None
    theme: str | None = None
    keymap: dict[str, str] = Field(default_factory=dict)
    export_format: Literal["yaml", "markdown"] = "yaml"
    max_concurrent_pipelines: int = Field(default=3, ge=1, le=32)
    providers: dict[str, ProviderConfig] = Field(default_factory=dict)
    pricing: dict[str, Price] = Field(default_factory=dict)
    retry: RetryConfig = Field(default_factory=RetryConfig)
    timeouts: TimeoutConfig = Field(default_factory=TimeoutConfig)

    @field_validator("default_models")
    @classmethod
    def _models(
        cls, v: tuple[str, ...] | dict[str, tuple[str, ...]] | None
    ) -> tuple[str, ...] | dict[str, tuple[str, ...]] | None:
        if isinstance(v, dict):
            return {k: tuple(check_model_ref(m) for m in ms) for k, ms in v.items()}
        return tuple(check_model_ref(m) for m in v) if v is not None else None

    def default_models_for(self, step: str) -> tuple[str, ...] | None:
        if isinstance(self.default_models, dict):
            return self.default_models.get(step) or self.default_models.get("default")
        return self.default_models


def load_user_config(path: Path) -> UserConfig:
    """The config at `path`, or defaults when the file does not exist."""
    if not path.exists():
        return UserConfig()
    src = read_yaml(path, path.read_bytes().decode("utf-8", "replace") or "{}")
    if src.data is None:
        return UserConfig()
    return validate_mapping(src, UserConfig, "config")
