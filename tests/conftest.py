"""Shared fixtures: every test gets its own WRITEIT_HOME, no API keys, instant offline models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_llm_server import fake_llm  # noqa: F401  (the stand-in OpenAI/Anthropic server, for every suite)
from stores import open_engine, store_of

from writeit.engine import Engine
from writeit.storage.store import Store

PROVIDER_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private WRITEIT_HOME and an environment with no provider keys."""
    home = tmp_path / "home"
    monkeypatch.setenv("WRITEIT_HOME", str(home))
    monkeypatch.setenv("WRITEIT_OFFLINE_TPS", "0")
    for name in PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def home(isolated_env: Path) -> Path:
    return isolated_env


@pytest.fixture
def engine(home: Path) -> Iterator[Engine]:
    """An engine over the test's home, as `Engine.open` makes it (its store is `store`)."""
    with open_engine(home)[0] as eng:
        yield eng


@pytest.fixture
def store(engine: Engine) -> Store:
    """The store under `engine`, for tests that append raw events (other processes, bugs)."""
    return store_of(engine)
