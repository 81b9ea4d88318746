"""The registry: credentials, named providers, describe(), lazy SDK imports, key hygiene."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from conftest import MakeRegistry
from fake_llm_server import FakeLLMServer, Scenario
from provider_testkit import Outcome, model_request, run_stream

from writeit.domain.config import ProviderConfig, UserConfig
from writeit.domain.errors import NotFound
from writeit.providers.base import MissingCredentials
from writeit.providers.registry import ProviderRegistry

PLANTED = "sk-planted-key-DO-NOT-LEAK-1234567890"


def test_importing_the_registry_imports_no_sdk() -> None:
    code = (
        "import sys, writeit.providers.registry as r\n"
        "r.ProviderRegistry(r.UserConfig(), {'OPENAI_API_KEY': 'k'}).check('openai:gpt-4o')\n"
        "r.ProviderRegistry(r.UserConfig(), {'OPENAI_API_KEY': 'k'}).provider('openai')\n"
        "loaded = [m for m in ('openai', 'anthropic', 'httpx2') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize(
    ("ref", "variable"),
    [("openai:gpt-4o-mini", "OPENAI_API_KEY"), ("anthropic:x", "ANTHROPIC_API_KEY")],
)
def test_missing_key_names_the_variable(ref: str, variable: str) -> None:
    registry = ProviderRegistry(UserConfig(), environ={})
    name = ref.split(":")[0]
    with pytest.raises(MissingCredentials) as caught:
        registry.check(ref)
    assert str(caught.value) == f"{name}: no API key; set {variable}"


def test_check_rejects_unknown_providers_and_models() -> None:
    registry = ProviderRegistry(UserConfig(), environ={})
    with pytest.raises(NotFound, match="unknown provider 'nope'"):
        registry.check("nope:model")
    with pytest.raises(NotFound, match="unknown offline model"):
        registry.check("offline:poet")
    with pytest.raises(NotFound, match="provider:model"):
        registry.check("openai")
    registry.check("offline:writer")


def test_describe_lists_every_provider_without_keys() -> None:
    config = UserConfig(
        providers={
            "ollama": ProviderConfig(base_url="http://localhost:11434/v1"),
            "router": ProviderConfig(base_url="https://openrouter.ai/api/v1", api_key_env="OR_KEY"),
        }
    )
    registry = ProviderRegistry(config, environ={"OPENAI_API_KEY": PLANTED})

    infos = {i.name: i for i in registry.describe()}

    assert list(infos) == ["offline", "openai", "anthropic", "ollama", "router"]
    assert infos["openai"].has_credentials and infos["openai"].credential == "OPENAI_API_KEY"
    assert infos["openai"].base_url == "https://api.openai.com/v1"
    assert not infos["anthropic"].has_credentials
    assert infos["anthropic"].base_url == "https://api.anthropic.com"
    assert infos["ollama"].kind == "openai" and infos["ollama"].has_credentials
    assert infos["ollama"].credential is None
    assert not infos["router"].has_credentials and infos["router"].credential == "OR_KEY"
    assert PLANTED not in repr(registry.describe())


def test_config_entry_named_like_a_builtin_adjusts_it() -> None:
    config = UserConfig(providers={"openai": ProviderConfig(max_concurrency=2)})
    spec = ProviderRegistry(config, environ={"OPENAI_BASE_URL": "http://proxy/v1"}).spec("openai")
    assert (spec.key_env, spec.max_concurrency, spec.base_url) == (
        "OPENAI_API_KEY",
        2,
        "http://proxy/v1",
    )


def test_api_key_command_supplies_the_key_and_failures_say_so() -> None:
    command = f"{sys.executable} -c \"print('cmd-key-5678')\""
    vault = ProviderConfig(base_url="http://127.0.0.1:9/v1", api_key_command=command)
    config = UserConfig(providers={"vault": vault})
    registry = ProviderRegistry(config, environ={})
    registry.check("vault:m")
    assert registry.provider("vault").endpoint.api_key == "cmd-key-5678"  # type: ignore[attr-defined]

    failing = f'{sys.executable} -c "raise SystemExit(3)"'
    vault = ProviderConfig(base_url="http://127.0.0.1:9/v1", api_key_command=failing)
    config = UserConfig(providers={"vault": vault})
    with pytest.raises(
        MissingCredentials, match=r"^vault: api_key_command printed no key \(exit status 3\)$"
    ):
        ProviderRegistry(config, environ={}).check("vault:m")


@pytest.mark.parametrize(
    "scenario",
    [
        Scenario(status=401, error_message=f"Incorrect API key provided: {PLANTED}"),
        Scenario(status=500, error_message=f"upstream rejected {PLANTED}"),
        Scenario(status=429, retry_after="0", error_message=f"key {PLANTED} over quota"),
        Scenario(text="a b c d", error_after=2, error_message=f"bad key {PLANTED}"),
        Scenario(text="a b c d", drop_after=2),
    ],
    ids=["401", "500", "429", "error-event", "drop"],
)
async def test_a_planted_key_never_appears_in_errors(
    make_registry: MakeRegistry, fake_llm: FakeLLMServer, api: str, scenario: Scenario
) -> None:
    base = fake_llm.openai_base_url if api == "openai" else fake_llm.anthropic_base_url
    env = {f"{api.upper()}_API_KEY": PLANTED, f"{api.upper()}_BASE_URL": base}
    registry = make_registry(environ=env)
    fake_llm.script(*[scenario] * 3)

    outcome = await run_stream(registry, model_request(api))

    assert outcome.error is not None
    assert PLANTED not in str(outcome.error) and PLANTED not in repr(outcome.error)
    assert all(PLANTED not in r.reason for r in outcome.retries)
    assert outcome.error.__cause__ is None  # no SDK exception (with its request) rides along
    assert PLANTED not in repr(registry.provider(api))
    assert "\n" not in str(outcome.error)


def test_one_registry_serves_successive_event_loops(fake_llm: FakeLLMServer, api: str) -> None:
    base = fake_llm.openai_base_url if api == "openai" else fake_llm.anthropic_base_url
    env = {f"{api.upper()}_API_KEY": "k-1234", f"{api.upper()}_BASE_URL": base}
    limited = ProviderConfig(kind=api, max_concurrency=1)  # type: ignore[arg-type]
    registry = ProviderRegistry(UserConfig(providers={api: limited}), environ=env)

    async def two_at_once() -> list[Outcome]:  # contention binds the semaphore to this loop
        return list(await asyncio.gather(*(run_stream(registry, model_request(api)) for _ in "ab")))

    first = asyncio.run(two_at_once())
    second = asyncio.run(two_at_once())  # e.g. a CLI that runs each step in its own loop
    asyncio.run(registry.aclose())

    assert all(o.error is None and o.text for o in first + second)
