"""A stand-in LLM server speaking the OpenAI and Anthropic streaming wire formats.

Tests drive the real SDK clients against it, so what is exercised is the SDKs' own parsing,
status handling and connection behaviour, not a mock of them. It runs its own event loop in a
thread, so any test (sync or async, any loop scope) can use it, binds 127.0.0.1 on an ephemeral
port, and never reaches the internet.

Behaviour is scripted per request with `Scenario`s (a queue per model, then a shared queue, then
`default`), and every request is recorded (`requests`) so tests can assert what was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

DEFAULT_TEXT = "Hello from the fake server. It streams a few words."


@dataclass(frozen=True)
class Scenario:
    """How the server answers one request.

    status: an HTTP error status (429, 500, 401...) answered instead of a stream.
    drop_after: close the connection abruptly after this many text chunks.
    error_after: send an in-stream error after this many text chunks (Anthropic `error` event,
        OpenAI `data: {"error": ...}`), after a 200.
    finish_reason: the stop reason sent at the end (default `stop` / `end_turn`); `length` /
        `max_tokens` say the answer was cut at the token limit.
    reasoning: reasoning chunks streamed before the text: OpenAI-style in `delta.<reasoning_field>`
        (`reasoning_content` as DeepSeek/vLLM, or `reasoning`), Anthropic-style as a `thinking`
        block with `thinking_delta`s and a closing `signature_delta`.
    cache_read_tokens / cache_write_tokens / reasoning_tokens: reported in the usage (OpenAI
        `prompt_tokens_details.cached_tokens`, `completion_tokens_details.reasoning_tokens`;
        Anthropic `cache_read_input_tokens`, `cache_creation_input_tokens`).
    json_body: answer the streaming request with a plain JSON completion (200,
        application/json), as a server that ignores `stream: true` does.
    hang: accept the request and never answer (until the client hangs up).
    """

    text: str = DEFAULT_TEXT
    chunks: tuple[str, ...] | None = None
    status: int = 200
    retry_after: str | None = None
    error_message: str = "something went wrong"
    error_type: str | None = None
    header_delay: float = 0.0
    first_token_delay: float = 0.0
    token_delay: float = 0.0
    drop_after: int | None = None
    error_after: int | None = None
    usage: bool = True
    input_tokens: int = 17
    output_tokens: int | None = None
    finish_reason: str | None = None
    reasoning: tuple[str, ...] = ()
    reasoning_field: str = "reasoning_content"
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int | None = None
    json_body: bool = False
    hang: bool = False

    def parts(self) -> list[str]:
        if self.chunks is not None:
            return list(self.chunks)
        return re.findall(r"\S+\s*|\s+", self.text)


@dataclass
class RecordedRequest:
    """One request as the server saw it."""

    api: str  # "openai" | "anthropic"
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    scenario: Scenario
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None  # when the server stopped answering, for whatever reason
    finished: bool = False  # the whole scripted answer was sent
    client_closed: bool = False  # the client hung up before the end

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def has_authorization(self) -> bool:
        return "authorization" in self.headers

    @property
    def has_api_key_header(self) -> bool:
        return "x-api-key" in self.headers


class _Dropped(Exception):
    """The scenario asked for the connection to be cut."""


class FakeLLMServer:
    """Both APIs on one port: `openai_base_url` (…/v1) and `anthropic_base_url`."""

    def __init__(self) -> None:
        self.default = Scenario()
        self.requests: list[RecordedRequest] = []
        self._queues: dict[str | None, deque[Scenario]] = {}
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self.port = 0

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeLLMServer:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        future.result(timeout=5)
        return self

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        async def _stop() -> None:
            if self._server is not None:
                self._server.close()
            current = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not current]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(_stop(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def openai_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- scripting ------------------------------------------------------------------------

    def script(self, *scenarios: Scenario, model: str | None = None) -> None:
        """Queue scenarios for the next requests (for `model` only, when given)."""
        with self._lock:
            self._queues.setdefault(model, deque()).extend(scenarios)

    def _next_scenario(self, model: str) -> Scenario:
        with self._lock:
            for key in (model, None):
                queue = self._queues.get(key)
                if queue:
                    return queue.popleft()
            return self.default

    def requests_for(self, model: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.model == model]

    # -- HTTP -----------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await reader.readline()
            if not request_line:
                return
            method, path, _ = request_line.decode("latin-1").split(" ", 2)
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            raw = await reader.readexactly(length) if length else b""
            body = json.loads(raw or b"{}")
            api = "anthropic" if path.rstrip("/").endswith("/messages") else "openai"
            if method != "POST" or not path.rstrip("/").endswith(
                ("/chat/completions", "/messages")
            ):
                await self._send_json(writer, 404, {"error": {"message": f"no route {path}"}})
                return
            scenario = self._next_scenario(str(body.get("model", "")))
            record = RecordedRequest(api, path, headers, body, scenario)
            with self._lock:
                self.requests.append(record)
            await self._respond(record, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _respond(
        self, record: RecordedRequest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        scenario = record.scenario
        if scenario.hang:  # say nothing at all; notice when the client gives up
            await reader.read(1)
            record.client_closed, record.ended = True, time.monotonic()
            return
        if scenario.header_delay:
            await asyncio.sleep(scenario.header_delay)
        if scenario.json_body:
            await self._send_json(writer, 200, _json_completion(record))
            record.finished, record.ended = True, time.monotonic()
            return
        if scenario.status != 200:
            extra = {"retry-after": scenario.retry_after} if scenario.retry_after else {}
            await self._send_json(writer, scenario.status, _error_body(record.api, scenario), extra)
            record.finished, record.ended = True, time.monotonic()
            return
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        )
        await writer.drain()
        events = _openai_events if record.api == "openai" else _anthropic_events
        watcher = asyncio.ensure_future(reader.read(1))  # b"" once the client hangs up
        due = time.monotonic()  # delays add up on a schedule, so the rate holds under load
        try:
            for delay, payload in events(record):
                if delay:
                    due += delay
                    await asyncio.wait({watcher}, timeout=max(0.0, due - time.monotonic()))
                if watcher.done():
                    record.client_closed = True
                    return
                if payload is None:
                    raise _Dropped
                data = payload.encode()
                writer.write(b"%x\r\n%s\r\n" % (len(data), data))
                await writer.drain()
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            record.finished = True
        except _Dropped:
            writer.transport.abort()
        except ConnectionError:
            record.client_closed = True
        finally:
            watcher.cancel()
            record.ended = time.monotonic()

    async def _send_json(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        body: dict[str, Any],
        extra: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(body).encode()
        head = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}"]
        head += ["content-type: application/json", f"content-length: {len(data)}"]
        head += ["connection: close", *(f"{k}: {v}" for k, v in (extra or {}).items())]
        writer.write("\r\n".join(head).encode() + b"\r\n\r\n" + data)
        await writer.drain()


_REASONS = {401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests", 500: "Server Error"}
_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
}
_ANTHROPIC_TYPES |= {429: "rate_limit_error", 529: "overloaded_error"}
_OPENAI_TYPES = {401: "invalid_api_key", 404: "model_not_found", 429: "rate_limit_exceeded"}

Event = tuple[float, str | None]  # (delay before sending, SSE text; None = drop the connection)


def _error_body(api: str, s: Scenario) -> dict[str, Any]:
    if api == "anthropic":
        kind = s.error_type or _ANTHROPIC_TYPES.get(s.status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": s.error_message}}
    kind = s.error_type or _OPENAI_TYPES.get(s.status, "server_error")
    return {"error": {"message": s.error_message, "type": kind, "param": None, "code": kind}}


def _json_completion(record: RecordedRequest) -> dict[str, Any]:
    """A whole, non-streamed answer: what a server ignoring `stream: true` sends."""
    s = record.scenario
    out = len(s.parts())
    if record.api == "anthropic":
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": record.model,
            "content": [{"type": "text", "text": s.text}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": s.input_tokens, "output_tokens": out},
        }
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": record.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": s.text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": s.input_tokens, "completion_tokens": out},
    }


def _text_events(s: Scenario, render: Any, *, after_reasoning: bool = False) -> Iterator[Event]:
    """The text chunks with their pacing, stopping at the scripted fault."""
    for i, part in enumerate(s.parts()):
        if s.drop_after is not None and i >= s.drop_after:
            break
        if s.error_after is not None and i >= s.error_after:
            return
        first = i == 0 and not (after_reasoning and s.reasoning)
        yield (s.first_token_delay if first else 0.0) + s.token_delay, render(part)
    if s.drop_after is not None:
        yield 0.0, None


def _openai_events(record: RecordedRequest) -> Iterator[Event]:
    s, body = record.scenario, record.body
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time())}
    base |= {"model": record.model, "system_fingerprint": "fp_fake"}

    def chunk(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        payload = {**base, "choices": [] if delta is None else [choice], **extra}
        if include_usage and "usage" not in extra:
            payload["usage"] = None
        return f"data: {json.dumps(payload)}\n\n"

    yield 0.0, chunk({"role": "assistant", "content": "", "refusal": None})
    for i, thought in enumerate(s.reasoning):
        delay = s.first_token_delay if i == 0 else 0.0
        yield delay + s.token_delay, chunk({"content": None, s.reasoning_field: thought})
    yield from _text_events(s, lambda part: chunk({"content": part}), after_reasoning=True)
    if s.error_after is not None:
        error = {"message": s.error_message, "type": s.error_type or "server_error"}
        yield 0.0, f"data: {json.dumps({'error': error})}\n\n"
        return
    yield 0.0, chunk({}, s.finish_reason or "stop")
    if include_usage and s.usage:
        out = len(s.parts()) if s.output_tokens is None else s.output_tokens
        usage: dict[str, Any] = {"prompt_tokens": s.input_tokens, "completion_tokens": out}
        usage["total_tokens"] = s.input_tokens + out
        if s.cache_read_tokens:
            usage["prompt_tokens_details"] = {"cached_tokens": s.cache_read_tokens}
        if s.reasoning_tokens is not None:
            usage["completion_tokens_details"] = {"reasoning_tokens": s.reasoning_tokens}
        yield 0.0, chunk(None, usage=usage)
    yield 0.0, "data: [DONE]\n\n"


def _anthropic_events(record: RecordedRequest) -> Iterator[Event]:
    s = record.scenario

    def event(name: str, payload: dict[str, Any]) -> str:
        return f"event: {name}\ndata: {json.dumps({'type': name, **payload})}\n\n"

    message = {"id": "msg_fake", "type": "message", "role": "assistant", "content": []}
    message |= {"model": record.model, "stop_reason": None, "stop_sequence": None}
    start_usage: dict[str, Any] = {}
    if s.usage:  # input_tokens here counts only the tokens that were neither read nor written
        fresh = s.input_tokens - s.cache_read_tokens - s.cache_write_tokens
        start_usage = {"input_tokens": fresh, "output_tokens": 1}
        start_usage["cache_read_input_tokens"] = s.cache_read_tokens
        start_usage["cache_creation_input_tokens"] = s.cache_write_tokens
    yield 0.0, event("message_start", {"message": message | {"usage": start_usage}})
    index = 0
    if s.reasoning:
        block = {"type": "thinking", "thinking": "", "signature": ""}
        yield 0.0, event("content_block_start", {"index": 0, "content_block": block})
        for i, thought in enumerate(s.reasoning):
            delta = {"type": "thinking_delta", "thinking": thought}
            delay = (s.first_token_delay if i == 0 else 0.0) + s.token_delay
            yield delay, event("content_block_delta", {"index": 0, "delta": delta})
        signature = {"type": "signature_delta", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3h"}
        yield 0.0, event("content_block_delta", {"index": 0, "delta": signature})
        yield 0.0, event("content_block_stop", {"index": 0})
        index = 1
    yield (
        0.0,
        event(
            "content_block_start", {"index": index, "content_block": {"type": "text", "text": ""}}
        ),
    )
    yield 0.0, event("ping", {})
    yield from _text_events(
        s,
        lambda part: event(
            "content_block_delta", {"index": index, "delta": {"type": "text_delta", "text": part}}
        ),
        after_reasoning=True,
    )
    if s.error_after is not None:
        error = {"type": s.error_type or "overloaded_error", "message": s.error_message}
        yield 0.0, event("error", {"error": error})
        return
    yield 0.0, event("content_block_stop", {"index": index})
    out = len(s.parts()) if s.output_tokens is None else s.output_tokens
    delta = {"delta": {"stop_reason": s.finish_reason or "end_turn", "stop_sequence": None}}
    yield 0.0, event("message_delta", delta | {"usage": {"output_tokens": out} if s.usage else {}})
    yield 0.0, event("message_stop", {})


@pytest.fixture
def fake_llm() -> Iterator[FakeLLMServer]:
    """A fresh fake server per test (starting one takes about a millisecond)."""
    with FakeLLMServer() as server:
        yield server
