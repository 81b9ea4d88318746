"""Fixtures for driving the real SDK providers against the fake server (never the internet)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from fake_llm_server import FakeLLMServer  # the `fake_llm` fixture comes from tests/conftest.py
from provider_testkit import ANTHROPIC_KEY, FAST_RETRY, FAST_TIMEOUTS, OPENAI_KEY

from writeit.domain.config import UserConfig
from writeit.providers.registry import ProviderRegistry

MakeRegistry = Callable[..., ProviderRegistry]


@pytest.fixture
def fake_env(fake_llm: FakeLLMServer) -> dict[str, str]:
    """Keys and base URLs pointing both built-in providers at the fake server."""
    return {
        "OPENAI_API_KEY": OPENAI_KEY,
        "OPENAI_BASE_URL": fake_llm.openai_base_url,
        "ANTHROPIC_API_KEY": ANTHROPIC_KEY,
        "ANTHROPIC_BASE_URL": fake_llm.anthropic_base_url,
    }


@pytest.fixture
async def make_registry(fake_env: dict[str, str]) -> AsyncIterator[MakeRegistry]:
    """Build registries (fast retries by default); their HTTP pools are closed afterwards."""
    made: list[ProviderRegistry] = []

    def make(
        config: UserConfig | None = None,
        environ: dict[str, str] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> ProviderRegistry:
        config = config or UserConfig(retry=FAST_RETRY, timeouts=FAST_TIMEOUTS)
        registry = ProviderRegistry(config, fake_env if environ is None else environ, sleep=sleep)
        made.append(registry)
        return registry

    yield make
    for registry in made:
        await registry.aclose()


@pytest.fixture
def registry(make_registry: MakeRegistry) -> ProviderRegistry:
    return make_registry()


@pytest.fixture(params=["openai", "anthropic"])
def api(request: pytest.FixtureRequest) -> str:
    """Runs a test once per wire format."""
    return str(request.param)
