"""Serve OpenAI-style SSE streams from a separate process for the engine benchmark.

Prefers the project's stand-in server (tests/fake_llm_server.py, the one the provider tests use),
so the benchmark exercises the same wire format; falls back to a minimal built-in endpoint when
that file or its imports are missing (e.g. an install without the test extra). Running it in its
own process keeps its CPU out of the client's CPU figures and off the client's GIL.

Usage: python bench/sse_server.py TOKENS [TOKEN_DELAY_S] [words|markdown]  -> prints "PORT KIND",
serves until stdin closes. `markdown` streams bench/texts.py's article (paragraphs, lists, code)
instead of the repeating words.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORDS = (
    "Streaming ",
    "text ",
    "arrives ",
    "in ",
    "small ",
    "pieces, ",
    "and ",
    "each ",
    "piece ",
    "is ",
    "a ",
    "token. ",
    "## Heading\n\n",
    "- a list item\n",
    "`code` ",
    "**bold** ",
)


def token_text(n: int) -> list[str]:
    """`n` realistic chunks: words, punctuation, a heading and list items now and then."""
    return [WORDS[i % len(WORDS)] for i in range(n)]


def _load_fake() -> Any:
    path = ROOT / "tests" / "fake_llm_server.py"
    spec = importlib.util.spec_from_file_location("_writeit_fake_llm_server", path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class MinimalServer:
    """A bare OpenAI chat-completions SSE endpoint: enough for the SDK's streaming client."""

    def __init__(self, chunks: list[str], delay: float) -> None:
        self.chunks, self.delay, self.port = chunks, delay, 0
        self._loop = asyncio.new_event_loop()

    def start(self) -> None:
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)

            async def main() -> None:
                server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
                self.port = server.sockets[0].getsockname()[1]
                ready.set()
                await server.serve_forever()

            self._loop.run_until_complete(main())

        threading.Thread(target=serve, daemon=True).start()
        ready.wait(5)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        headers: dict[str, str] = {}
        await reader.readline()
        while (line := await reader.readline()) not in (b"\r\n", b""):
            k, _, v = line.decode().partition(":")
            headers[k.strip().lower()] = v.strip()
        body = json.loads(await reader.readexactly(int(headers.get("content-length", "0"))))
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        )
        base = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": body["model"]}

        def send(payload: str) -> None:
            data = payload.encode()
            writer.write(b"%x\r\n%s\r\n" % (len(data), data))

        for part in self.chunks:
            choice = {"index": 0, "delta": {"content": part}, "finish_reason": None}
            send(f"data: {json.dumps({**base, 'choices': [choice]})}\n\n")
            await writer.drain()
            if self.delay:
                await asyncio.sleep(self.delay)
        usage = {"prompt_tokens": 10, "completion_tokens": len(self.chunks), "total_tokens": 0}
        send(f"data: {json.dumps({**base, 'choices': [], 'usage': usage})}\n\n")
        send("data: [DONE]\n\n")
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        writer.close()


def main() -> None:
    n = int(sys.argv[1])
    delay = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    if sys.argv[3:4] == ["markdown"]:
        sys.path.insert(0, str(ROOT))
        from bench.texts import markdown_tokens

        chunks = markdown_tokens(n, seed=0)
    else:
        chunks = token_text(n)
    try:
        fake = _load_fake()
        server = fake.FakeLLMServer()
        server.default = fake.Scenario(chunks=tuple(chunks), token_delay=delay)
        server.start()
        kind = "tests/fake_llm_server.py"
    except Exception:
        server = MinimalServer(chunks, delay)
        server.start()
        kind = "bench/sse_server.py:MinimalServer"
    print(server.port, kind, flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin


if __name__ == "__main__":
    main()
