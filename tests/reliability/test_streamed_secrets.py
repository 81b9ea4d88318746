"""Secrets a server streams back are redacted before they are stored, shown, exported or sent on.

Issue 15, item 6: the stand-in server echoes, inside the *streamed text* and split across chunks,
the key from the environment, the key an `api_key_command` printed and the password written into
a provider's `base_url`. Afterwards no byte of LMDB, the exports, the log or anything printed
holds them, the streamed deltas a face shows never did, and the next step's prompt (sent to the
server again) carries `***` instead. URLs with credentials are printed with `***@`.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from fake_llm_server import FakeLLMServer, Scenario
from plain_pipeline import install_plain

from writeit import logs
from writeit.cli.main import main
from writeit.engine import Engine, PickStrategy

from .support import dump_store, store_path

ENV_KEY = "sk-planted-env-7d1e2c3b4a5f6e7d8c9b"
COMMAND_KEY = "cmd-planted-0f1e2d3c4b5a69788796"
URL_SECRET = "urlpass-planted-5566778899aabb"
SECRETS = (ENV_KEY, COMMAND_KEY, URL_SECRET)


def leaking_text() -> tuple[str, ...]:
    """Every secret split across two chunks, between ordinary words."""
    chunks = ["Here is what I know: "]
    for secret in SECRETS:
        cut = len(secret) // 2
        chunks += [f"the value {secret[:cut]}", f"{secret[cut:]} ", "and more. "]
    return (*chunks, "The end.")


@pytest.fixture
def leaky_home(
    home: Path, fake_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, FakeLLMServer]:
    home.mkdir(parents=True, exist_ok=True)
    base = fake_llm.openai_base_url.replace("http://", f"http://gateway-user:{URL_SECRET}@")
    key_file = home.parent / "key.txt"  # outside the home, as a password manager would keep it
    key_file.write_text(COMMAND_KEY + "\n")
    command = f"cat {key_file}"
    (home / "config.yaml").write_text(
        "retry: {max_attempts: 1}\n"
        "providers:\n"
        f"  gateway: {{kind: openai, base_url: '{base}', prices_as: openai,\n"
        f"            api_key_command: {json.dumps(command)}}}\n"
    )
    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.openai_base_url)
    fake_llm.default = Scenario(chunks=leaking_text())
    yield home, fake_llm
    logs.shutdown()


def assert_clean(where: str, blob: bytes | str) -> None:
    data = blob.encode() if isinstance(blob, str) else blob
    for secret in SECRETS:
        assert secret.encode() not in data, f"{where} holds a planted secret"
        assert secret[:12].encode() not in data, f"{where} holds the start of a planted secret"


MODELS = "openai:gpt-4o-mini,gateway:gpt-4o-mini"


def test_secrets_streamed_back_never_leave_the_process(
    leaky_home: tuple[Path, FakeLLMServer], capsys: pytest.CaptureFixture[str]
) -> None:
    home, server = leaky_home
    plain = install_plain(home)  # the leaked text has no headings to draft sections from
    assert main(["run", plain, "-i", "topic=keys", "-m", MODELS, "--json"]) == 0
    printed = [*capsys.readouterr()]
    run_id = json.loads(printed[0])["run_id"]
    for argv in (
        ["show", run_id],
        ["show", run_id, "--json"],
        ["history", run_id, "--json"],
        ["export", run_id],
        ["export", run_id, "-f", "markdown", "--with-history"],
        ["models"],
        ["models", "--json"],
    ):
        assert main(argv) == 0, argv
        printed += [*capsys.readouterr()]

    for i, text in enumerate(printed):
        assert_clean(f"output {i}", text)
    assert any("http://***@127.0.0.1" in text for text in printed), "models shows the URL"
    for key, value in dump_store(store_path(home)).items():
        assert_clean(f"lmdb {key!r}", value)
    for path in home.rglob("*"):
        if path.is_file() and path.parent != store_path(home) and path.name != "config.yaml":
            assert_clean(str(path.relative_to(home)), path.read_bytes())

    # The text really was streamed and kept, with each secret replaced where it stood.
    shown = json.loads(printed[4])
    first = shown["steps"][0]["responses"][0]["content"]
    assert first.count("the value ***") == len(SECRETS), first
    # Later steps' prompts quote the pick: what went back to the server was redacted too.
    later = [r for r in server.requests if "***" in json.dumps(r.body)]
    assert later, "the next step's prompt quoted the redacted pick"
    for request in server.requests:
        assert_clean(f"request to {request.model}", json.dumps(request.body))


def test_a_face_never_sees_a_secret_split_across_chunks(
    leaky_home: tuple[Path, FakeLLMServer],
) -> None:
    home, _ = leaky_home
    seen: dict[str, list[str]] = {}

    async def go(engine: Engine) -> str:
        run = engine.start_run("blog-post", {"topic": "keys"}, models={"*": MODELS.split(",")})
        try:
            await engine.run_to_end(run.run_id, PickStrategy.parse("first"))
        finally:
            await engine.aclose()
        return run.run_id

    with Engine.open(home) as engine:
        engine.subscribe(on_delta=lambda _run, rid, text: seen.setdefault(rid, []).append(text))
        run_id = asyncio.run(go(engine))
        run = engine.load(run_id)
    responses = [r for s in run.ordered_steps() for r in s.ordered_responses()]
    assert len(responses) == 6 and set(seen) == {r.response_id for r in responses}
    for r in responses:
        streamed = "".join(seen[r.response_id])
        assert_clean(f"deltas of {r.model_ref}", streamed)
        assert streamed == r.raw_output, "what was shown is what was stored"
        assert r.content.count("***") == len(SECRETS)
