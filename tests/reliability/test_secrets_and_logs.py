"""Planted API keys never reach the store, exports, logs or anything printed; logs are JSON lines.

DESIGN.md, Providers: "API keys come only from the environment (or a command named in config);
they are never written to LMDB, exports, logs or error messages." The keys below are planted in
the environment, and providers that echo them back (a stand-in server answering 401 with the key
in its message, and a fake provider that puts every key into its errors and retry notices) try
hard to leak them. Afterwards every LMDB key and value, every file under $WRITEIT_HOME and
everything printed is scanned for them.
"""

from __future__ import annotations

import json
import logging
import socket
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from writeit import logs
from writeit.cli.main import main
from writeit.domain.requests import ModelRequest, Retrying, StreamItem, TextDelta
from writeit.engine import Engine
from writeit.providers.base import ProviderError
from writeit.providers.registry import ProviderRegistry

from .support import dump_store, run_cli, store_path

OPENAI_KEY = "sk-planted-openai-5f0c1d2e3a4b5c6d7e8f"
ANTHROPIC_KEY = "sk-ant-planted-9a8b7c6d5e4f3a2b1c0d"
LEAKY_KEY = "leaky-planted-0badc0ffee0badc0ffee"  # named only in config.yaml (api_key_env)
KEYS = (OPENAI_KEY, ANTHROPIC_KEY, LEAKY_KEY)


class LeakyProvider:
    """Streams a little, reports a retry, then fails; every message carries every key."""

    name = "leaky"

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamItem]:
        yield TextDelta("partial answer ")
        yield Retrying(attempt=1, delay_s=0.0, reason=f"429 for {OPENAI_KEY}")
        raise ProviderError(
            f"401 Unauthorized: keys {OPENAI_KEY} {ANTHROPIC_KEY} {LEAKY_KEY} rejected"
        )


@pytest.fixture
def planted(home: Path, monkeypatch: pytest.MonkeyPatch, fake_llm: object) -> tuple[Path, object]:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text(
        "retry: {max_attempts: 1}\n"
        "providers:\n"
        "  leaky: {kind: openai, base_url: 'http://127.0.0.1:9/v1', api_key_env: LEAKY_KEY}\n"
    )
    from fake_llm_server import Scenario

    server = fake_llm
    server.script(  # type: ignore[attr-defined]
        *[Scenario(status=401, error_message=f"Incorrect API key provided: {OPENAI_KEY}.")] * 50,
        model="gpt-4o-mini",
    )
    server.script(  # type: ignore[attr-defined]
        *[Scenario(status=401, error_message=f"invalid x-api-key {ANTHROPIC_KEY}")] * 50,
        model="claude-sonnet-4-5",
    )
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_base_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.anthropic_base_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("LEAKY_KEY", LEAKY_KEY)
    create = ProviderRegistry._create

    def with_leaky(self: ProviderRegistry, name: str) -> object:
        return LeakyProvider() if name == "leaky" else create(self, name)

    monkeypatch.setattr(ProviderRegistry, "_create", with_leaky)
    yield home, server
    logs.shutdown()


def everything_written(home: Path) -> dict[str, bytes]:
    """Every LMDB key and value, and every file under the home, by where it came from."""
    out = {f"lmdb {k!r}": k + b"=" + v for k, v in dump_store(store_path(home)).items()}
    for path in home.rglob("*"):
        if path.is_file() and path.parent != store_path(home):
            out[str(path.relative_to(home))] = path.read_bytes()
    return out


def assert_no_keys(where: str, blob: bytes | str) -> None:
    data = blob.encode() if isinstance(blob, str) else blob
    for key in KEYS:
        assert key.encode() not in data, f"{where} holds a planted key"
        assert key[:16].encode() not in data, f"{where} holds the start of a planted key"


MODELS = "leaky:any,openai:gpt-4o-mini,anthropic:claude-sonnet-4-5,offline:writer"


def test_planted_keys_never_leave_the_process(
    planted: tuple[Path, object], capsys: pytest.CaptureFixture[str]
) -> None:
    home, _ = planted
    printed = []

    assert main(["run", "tech-article", "-i", "topic=secrets", "-m", MODELS, "--json"]) == 0
    out = capsys.readouterr()
    printed += [out.out, out.err]
    run_id = json.loads(out.out)["run_id"]

    for argv in (
        ["show", run_id],
        ["show", run_id, "--json"],
        ["history", run_id, "--json"],
        ["history", run_id, "--at", "3"],
        ["list", "--json"],
        ["models"],
        ["models", "--json"],
        ["export", run_id],
        ["export", run_id, "-f", "markdown"],
        ["branch", run_id, "--from", "draft"],
    ):
        assert main(argv) == 0, argv
        out = capsys.readouterr()
        printed += [out.out, out.err]

    # A run where every model fails ends in an error message naming why: still no keys.
    assert main(["run", "tech-article", "-i", "topic=x", "-m", "leaky:any,openai:gpt-4o-mini"]) == 1
    out = capsys.readouterr()
    printed += [out.out, out.err]
    assert "writeit: error:" in out.err and "***" in out.err

    for i, text in enumerate(printed):
        assert_no_keys(f"output {i}", text)
    written = everything_written(home)
    assert any(name.startswith("exports") for name in written)
    assert (home / "logs" / "writeit.log").exists()
    for where, blob in written.items():
        assert_no_keys(where, blob)

    # The providers really did try to leak: their errors were stored, redacted.
    engine = Engine.open(home)
    try:
        run = engine.load(run_id)
        errors = [r.error or "" for s in run.ordered_steps() for r in s.ordered_responses()]
    finally:
        engine.close()
    assert any("401 Unauthorized: keys *** *** *** rejected" in e for e in errors), errors
    assert any(e.startswith("openai: authentication failed (401)") for e in errors), errors


def test_the_log_filter_redacts_messages_fields_and_tracebacks(tmp_path: Path) -> None:
    path = logs.configure(tmp_path / "logs", [OPENAI_KEY, LEAKY_KEY])
    assert path is not None
    try:
        logs.log.warning("calling with %s", OPENAI_KEY, extra={"headers": {"auth": LEAKY_KEY}})
        try:
            raise RuntimeError(f"SDK said: bad key {OPENAI_KEY}")
        except RuntimeError:
            logs.log.exception("provider crashed")
        logs.error(f"user error mentioning {LEAKY_KEY}")
    finally:
        logs.shutdown()
    text = path.read_text()
    assert_no_keys("log", text)
    records = [json.loads(line) for line in text.splitlines()]
    assert [r["msg"] for r in records] == [
        "calling with ***",
        "provider crashed",
        "user error mentioning ***",
    ]
    assert records[0]["headers"] == {"auth": "***"} and records[0]["level"] == "warning"
    assert "RuntimeError: SDK said: bad key ***" in records[1]["exc"]
    assert all(r["logger"] == "writeit" and r["ts"].endswith("+00:00") for r in records)


def test_logs_are_json_lines_about_what_happened(home: Path) -> None:
    assert main(["run", "tech-article", "-i", "topic=logs"]) == 0
    assert main(["show", "zzzzzzzz"]) == 1
    records = [
        json.loads(line) for line in (home / "logs" / "writeit.log").read_text().splitlines()
    ]
    logs.shutdown()
    msgs = [r["msg"] for r in records]
    assert msgs[0] == "run started" and records[0]["pipeline"] == "tech-article"
    for expected in ("step started", "response finished", "step finished", "response picked"):
        assert expected in msgs, expected
    started = Counter(r.get("step") for r in records if r["msg"] == "step started")
    assert started["angles"] == started["outline"] == 1
    assert started["draft"] == started["polish"] > 1  # once per section of the outline
    assert records[-1]["level"] == "warning" and "no run matches" in records[-1]["msg"]
    assert all(r.get("run_id") == records[0]["run_id"] for r in records[:-1])


def test_a_command_that_logs_nothing_leaves_no_logs_folder(home: Path) -> None:
    assert main(["run", "blog-post", "--estimate", "-i", "topic=tea"]) == 0
    assert main(["list"]) == 0
    logs.shutdown()
    assert home.exists() and not (home / "logs").exists()
    assert main(["show", "zzzzzzzz"]) == 1  # a warning is logged: the folder comes with it
    logs.shutdown()
    assert (home / "logs" / "writeit.log").read_text().count("no run matches") == 1


def test_logs_rotate_and_stay_small(tmp_path: Path) -> None:
    path = logs.configure(tmp_path / "logs", [])
    assert path is not None
    try:
        for i in range(6000):
            logs.log.info("filler %d %s", i, "x" * 200)
    finally:
        logs.shutdown()
    files = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert files == ["writeit.log", "writeit.log.1", "writeit.log.2"]
    assert all(p.stat().st_size <= logs.MAX_BYTES for p in (tmp_path / "logs").iterdir())


def test_logging_never_prints_when_unconfigured(capsys: pytest.CaptureFixture[str]) -> None:
    logs.shutdown()
    logging.getLogger("writeit").warning("nobody should see this")
    assert capsys.readouterr() == ("", "")


def test_version_does_not_import_logging() -> None:
    import subprocess
    import sys

    code = (
        "import sys\nfrom writeit.cli import main\ntry:\n    main(['--version'])\n"
        "except SystemExit:\n    pass\nprint('writeit.logs' in sys.modules, 'logging' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split()[-2:] == ["False", "False"], done.stdout


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when this returns


def test_planted_key_with_an_unreachable_server_in_a_real_process(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text("retry: {max_attempts: 1}\ntimeouts: {connect_s: 2}\n")
    from .support import cli_env

    env = cli_env(
        home,
        OPENAI_API_KEY=OPENAI_KEY,
        OPENAI_BASE_URL=f"http://127.0.0.1:{closed_port()}/v1",
        ANTHROPIC_API_KEY=ANTHROPIC_KEY,
        ANTHROPIC_BASE_URL=f"http://127.0.0.1:{closed_port()}",
    )
    ok = run_cli(
        home,
        "run",
        "tech-article",
        "-i",
        "topic=x",
        "-m",
        "openai:gpt-4o-mini,offline:writer",
        env=env,
    )
    assert ok.returncode == 0, ok.stderr
    failed = run_cli(home, "run", "tech-article", "-i", "topic=y", env=env)  # the env's defaults
    assert failed.returncode == 1 and "writeit: error:" in failed.stderr, failed.stderr
    assert "Traceback" not in failed.stderr
    run_id = ok.stdout.strip()
    shown = run_cli(home, "show", run_id, env=env)
    exported = run_cli(home, "export", run_id, "-f", "markdown", env=env)
    for where, text in (("ok", ok), ("failed", failed), ("show", shown), ("export", exported)):
        assert_no_keys(f"{where} stdout", text.stdout)
        assert_no_keys(f"{where} stderr", text.stderr)
    for where, blob in everything_written(home).items():
        assert_no_keys(where, blob)
