"""Helpers for provider tests: consume a stream into an `Outcome`, poll for a condition."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from writeit.domain.config import RetryConfig, TimeoutConfig
from writeit.domain.requests import ModelRequest, Retrying, StreamItem, TextDelta, UsageReport
from writeit.providers.base import ProviderError
from writeit.providers.registry import ProviderRegistry

OPENAI_KEY = "sk-test-openai-0123456789"
ANTHROPIC_KEY = "sk-ant-test-0123456789"
MODELS = {"openai": "gpt-5.4-mini", "anthropic": "claude-haiku-4-5"}  # current, priced

# Retries in milliseconds so fault tests run fast, without sleeping for synchronization.
FAST_RETRY = RetryConfig(max_attempts=3, initial_s=0.01, max_s=0.05, multiplier=2.0, jitter=0.0)
FAST_TIMEOUTS = TimeoutConfig(connect_s=2.0, first_token_s=2.0, read_s=2.0, total_s=30.0)


@dataclass
class Outcome:
    """Everything one stream produced, and the ProviderError that ended it, if any."""

    items: list[StreamItem] = field(default_factory=list)
    error: ProviderError | None = None
    elapsed: float = 0.0

    @property
    def text(self) -> str:
        return "".join(i.text for i in self.items if isinstance(i, TextDelta))

    @property
    def usage(self) -> UsageReport | None:
        return next((i for i in self.items if isinstance(i, UsageReport)), None)

    @property
    def retries(self) -> list[Retrying]:
        return [i for i in self.items if isinstance(i, Retrying)]


async def run_stream(registry: ProviderRegistry, request: ModelRequest) -> Outcome:
    """Consume a stream to its end, keeping a ProviderError instead of raising it."""
    outcome = Outcome()
    start = time.monotonic()
    try:
        async for item in registry.stream(request):
            outcome.items.append(item)
    except ProviderError as exc:
        outcome.error = exc
    outcome.elapsed = time.monotonic() - start
    return outcome


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll until `predicate()` holds; fail the test if it never does."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.005)


def model_request(api: str, prompt: str = "Write one line.", **kw: object) -> ModelRequest:
    """A request for the test model of `api` ("openai" or "anthropic")."""
    return ModelRequest(provider=api, model=MODELS[api], prompt=prompt, **kw)  # type: ignore[arg-type]
