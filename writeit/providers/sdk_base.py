"""What the OpenAI and Anthropic providers share: client lifecycle, limits and error translation.

Both SDKs are generated from the same template, so they raise the same shapes of typed errors
(`APIStatusError` with a status and response, `APIConnectionError`, `APITimeoutError`) plus raw
`httpx2` transport errors mid-stream; one translator turns any of them into a one-line,
key-free `ProviderError`. The SDK itself is imported in a worker thread on the first stream, so
neither start-up nor the UI's event loop pays its import cost (0.4-1.7 s).

Each attempt says when its request goes out (`RequestSent`), so timings exclude that import and
any retry wait, and is bounded by a first-token timeout separate from the read timeout.
"""

from __future__ import annotations

import asyncio
import email.utils
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import aclosing
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, ClassVar

from writeit.domain.config import DEFAULT_CONCURRENCY, TimeoutConfig
from writeit.domain.requests import (
    ModelRequest,
    ReasoningDelta,
    RequestSent,
    StreamEnd,
    StreamItem,
    TextDelta,
    UsageReport,
    Waiting,
    estimate_tokens,
    tokens_for_chars,
)
from writeit.providers.base import ProviderError
from writeit.providers.retry import RetryPolicy, stream_with_retries

NO_KEY = "not-needed"  # what keyless local servers (Ollama, llama.cpp) get in the auth header
MAX_DETAIL_CHARS = 200
RETRYABLE_STREAM_ERRORS = frozenset({"overloaded_error", "api_error", "rate_limit_error"})
WAIT_NOTICE_S = 10.0  # while nothing has arrived, say so this often (or 3 times per timeout)
_END = object()  # an event stream that ended before its first event
# After waking for an event, let the next ones gather this long (see `coalesced`): as often
# as the run screen shows new text (tui.widgets.pane_deck.FPS).
READ_PAUSE_S = 1 / 20
WOKE_S = 0.001  # an event that took longer than this to come was waited for, not buffered


@dataclass(frozen=True)
class Endpoint:
    """Where one configured provider lives and how it authenticates (the key never in repr)."""

    name: str
    base_url: str
    key_env: str | None = None
    api_key: str | None = field(default=None, repr=False)
    max_concurrency: int = DEFAULT_CONCURRENCY


@dataclass
class Tally:
    """What one attempt streamed, for the ending every provider reports the same way."""

    text_chars: int = 0
    reasoning_chars: int = 0
    finish_reason: str | None = None
    truncated: bool = False
    usage: UsageReport | None = None

    def count(self, item: StreamItem) -> StreamItem:
        if isinstance(item, TextDelta):
            self.text_chars += len(item.text)
        elif isinstance(item, ReasoningDelta):
            self.reasoning_chars += len(item.text)
        return item

    def ending(self, request: ModelRequest) -> Iterator[StreamItem]:
        """`StreamEnd`, then the usage the server reported; an estimate (marked) only for
        output that really streamed, and nothing at all for a stream that carried none."""
        yield StreamEnd(self.finish_reason, self.truncated)
        if self.usage is not None:
            yield self.usage
        elif self.text_chars or self.reasoning_chars:
            prompt = f"{request.system or ''}\n{request.prompt}"
            chars = self.text_chars + self.reasoning_chars
            yield UsageReport(estimate_tokens(prompt), tokens_for_chars(chars), estimated=True)


class SdkProvider(ABC):
    """A provider backed by an official SDK client, created on first use."""

    sdk_module: ClassVar[str]

    def __init__(self, endpoint: Endpoint, *, timeouts: TimeoutConfig, policy: RetryPolicy) -> None:
        self.name = endpoint.name
        self.endpoint = endpoint
        self.timeouts = timeouts
        self.policy = policy
        self._loop: asyncio.AbstractEventLoop | None = None
        self._limiter = asyncio.Semaphore(endpoint.max_concurrency)
        self._client_lock = asyncio.Lock()
        self._client: Any = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, base_url={self.endpoint.base_url!r})"

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamItem]:
        """Stream with retries, the concurrency limit and the time limits applied."""
        self._bind_to_running_loop()
        ctx = ErrorContext(
            name=self.name,
            model=request.model,
            key_env=self.endpoint.key_env,
            base_url=self.endpoint.base_url,
            connect_s=self.timeouts.connect_s,
            read_s=self.timeouts.read_s,
            secrets=(self.endpoint.api_key,) if self.endpoint.api_key else (),
        )

        async def attempt() -> AsyncGenerator[StreamItem, None]:
            client = await self._ensure_client()  # SDK import: before the clock starts
            async for item in self._timed_attempt(client, request):
                yield item

        items = stream_with_retries(
            self.name,
            attempt,
            policy=self.policy,
            translate=lambda exc: translate_error(self.sdk_module, exc, ctx),
            limiter=self._limiter,
            total_s=self.timeouts.total_s,
        )
        async with aclosing(items):
            async for item in items:
                yield item

    async def _timed_attempt(
        self, client: Any, request: ModelRequest
    ) -> AsyncGenerator[StreamItem, None]:
        """One attempt, from `RequestSent` to its last event, with the first-token timeout.

        Until the server's first stream event arrives, `Waiting` is yielded every few seconds
        so the writer sees how long it has been; past `first_token_s` the attempt fails, not
        retried, since a server that accepted the request and said nothing will likely do so
        again (three silent tries would be three times the wait).
        """
        limit = self.timeouts.first_token_s
        yield RequestSent()
        sent = time.monotonic()
        opening: asyncio.Future[Any] = asyncio.ensure_future(self._open(client, request))
        first: asyncio.Future[Any] | None = None
        stream: Any = None
        try:
            async for waiting in self._until_done(opening, sent, limit):
                yield waiting
            stream = opening.result()
            self._check_event_stream(stream)
            events = stream.__aiter__()
            first = asyncio.ensure_future(_next_event(events))
            async for waiting in self._until_done(first, sent, limit):
                yield waiting
            head = first.result()
            tally = Tally()
            async for item in self._parse(coalesced(head, events), tally):
                yield tally.count(item)
            for item in tally.ending(request):
                yield item
        finally:
            for task in (opening, first):
                if task is not None and not task.done():
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            if stream is not None:
                await stream.close()

    async def _until_done(
        self, task: asyncio.Future[Any], sent: float, limit: float
    ) -> AsyncGenerator[Waiting, None]:
        every = min(WAIT_NOTICE_S, limit / 3)
        while not task.done():
            left = sent + limit - time.monotonic()
            if left <= 0:
                raise ProviderError(
                    f"{self.name}: no answer within {limit:g} s of sending the request "
                    "(first-token timeout); the server may be overloaded or stuck"
                )
            await asyncio.wait({task}, timeout=min(every, left))
            if not task.done() and time.monotonic() - sent < limit:
                yield Waiting(round(time.monotonic() - sent, 3), limit)

    def _check_event_stream(self, stream: Any) -> None:
        """A 200 with a plain body (JSON...) to a streaming request would parse as an empty
        stream and look like a silent success; say what the server did instead."""
        response = getattr(stream, "response", None)
        headers = getattr(response, "headers", None)
        kind = str(headers.get("content-type", "")) if headers is not None else ""
        kind = kind.split(";")[0].strip().lower()
        if kind and kind != "text/event-stream":
            raise ProviderError(
                f"{self.name}: the server answered a streaming request with a plain {kind} "
                "body, not an event stream (does it support stream=true?)"
            )

    def _bind_to_running_loop(self) -> None:
        """Connection pools and semaphores belong to one event loop; start afresh in a new one."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            if self._loop is not None:  # the old pool's loop is gone: drop it, don't close it
                self._client = None
                self._limiter = asyncio.Semaphore(self.endpoint.max_concurrency)
                self._client_lock = asyncio.Lock()
            self._loop = loop

    async def aclose(self) -> None:
        """Close the SDK client's connection pool, if one was made."""
        client, self._client = self._client, None
        if client is not None and self._loop is asyncio.get_running_loop():
            await client.close()

    async def _ensure_client(self) -> Any:
        async with self._client_lock:
            if self._client is None:
                self._client = await asyncio.to_thread(self._make_client)
            return self._client

    def _make_client(self) -> Any:
        import httpx2  # the SDKs' HTTP library; imported here, in the worker thread

        from writeit.providers.pricing import warm_up

        warm_up()  # the price data too, so the first finished response does not stall the UI
        timeout = httpx2.Timeout(self.timeouts.read_s, connect=self.timeouts.connect_s)
        return self._build_client(self.endpoint.api_key or NO_KEY, timeout)

    @abstractmethod
    def _build_client(self, api_key: str, timeout: Any) -> Any:
        """The SDK's async client, with its own retries off (we retry ourselves)."""

    @abstractmethod
    async def _open(self, client: Any, request: ModelRequest) -> Any:
        """Send the streaming request; return the SDK's stream once headers have arrived."""

    @abstractmethod
    def _parse(self, events: AsyncIterator[Any], tally: Tally) -> AsyncGenerator[StreamItem, None]:
        """Turn SDK events into text/reasoning deltas, filling `tally`'s finish reason and
        usage; SDK errors propagate untranslated."""


def json_object(value: object) -> dict[str, Any]:
    """`value` if the server sent a JSON object there, else an empty one: chunks are read as
    parsed JSON, so a field a server leaves out (or sends as another type) reads as absent."""
    return value if isinstance(value, dict) else {}


async def _next_event(events: AsyncIterator[Any]) -> Any:
    return await anext(events, _END)


async def coalesced(
    head: Any, events: AsyncIterator[Any], pause: Callable[[float], Awaitable[None]] = asyncio.sleep
) -> AsyncIterator[Any]:
    """`head`, then `events`, taken from the network in batches rather than one by one.

    A server streams a token per event, each in its own packet, and waking for one costs the
    whole stack from socket to pane (the event loop, HTTP, SSE and the SDK's generators): at
    4 x 150 tokens/s, reading each as it came cost `writeit run` 19-24% of a core. After an
    event that had to be waited for, the stream pauses for a frame's time (the screen shows
    new text 20 times a second anyway) and the events that came meanwhile are read in one go:
    7-11% then. An event already buffered is taken at once, so the pause delays text by at most
    a frame and never slows a stream down; a stop asked for meanwhile (the budget, the writer)
    lands at the next event, not at the batch's end.
    """
    if head is _END:
        return
    yield head
    clock, task = asyncio.get_running_loop().time, asyncio.current_task()
    while True:
        asked = clock()
        event = await anext(events, _END)
        woke = clock() - asked > WOKE_S
        if event is _END:
            return
        yield event
        if woke:
            await pause(READ_PAUSE_S)
        elif task is not None and task.cancelling():
            await asyncio.sleep(0)  # a buffered event never awaits, so a cancel waits for one


# -- translating SDK errors -----------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorContext:
    """What a message needs to be useful: who failed, which key to check, what to hide."""

    name: str
    model: str
    key_env: str | None
    base_url: str
    connect_s: float
    read_s: float
    secrets: tuple[str, ...] = field(default=(), repr=False)

    def scrub(self, text: str) -> str:
        """One line, no secrets: keys are replaced by *** wherever they appear."""
        for secret in self.secrets:
            if len(secret) >= 4:
                text = text.replace(secret, "***")
        return " ".join(text.split())


def translate_error(sdk_name: str, exc: Exception, ctx: ErrorContext) -> ProviderError:
    """Turn an SDK or transport exception into a one-line, key-free ProviderError."""
    sdk, httpx = sys.modules.get(sdk_name), sys.modules.get("httpx2")
    if sdk is None or httpx is None:  # the client could not even be built
        error = ProviderError(f"{ctx.name}: unexpected error: {type(exc).__name__}: {exc}")
    else:
        error = _classify(sdk, httpx, exc, ctx)
    return ProviderError(
        ctx.scrub(str(error)), retryable=error.retryable, retry_after=error.retry_after
    )


def _classify(
    sdk: ModuleType, httpx: ModuleType, exc: Exception, ctx: ErrorContext
) -> ProviderError:
    name = ctx.name
    if isinstance(exc, sdk.APIStatusError):
        return _status_error(exc, ctx)
    if isinstance(exc, sdk.APITimeoutError | httpx.TimeoutException):
        if any(isinstance(e, httpx.ConnectTimeout) for e in _chain(exc)):
            return ProviderError(
                f"{name}: could not connect to {ctx.base_url} within {ctx.connect_s:g} s",
                retryable=True,
            )
        return ProviderError(f"{name}: timed out: no data for {ctx.read_s:g} s", retryable=True)
    if any(isinstance(e, httpx.UnsupportedProtocol | httpx.InvalidURL) for e in _chain(exc)):
        return ProviderError(
            f"{name}: base URL {ctx.base_url} is malformed ({_root_message(exc)}); fix it in "
            "config.yaml or the *_BASE_URL variable"
        )
    if isinstance(exc, sdk.APIConnectionError | httpx.TransportError):
        if any(isinstance(e, httpx.ConnectError) for e in _chain(exc)):
            return ProviderError(
                f"{name}: cannot connect to {ctx.base_url} (is the server running?)", retryable=True
            )
        return ProviderError(f"{name}: connection lost: {_root_message(exc)}", retryable=True)
    if isinstance(exc, sdk.APIError):  # an error object sent inside a 200 stream
        return ProviderError(f"{name}: stream error: {_detail(exc.body) or exc}", retryable=False)
    return ProviderError(f"{name}: unexpected error: {type(exc).__name__}: {exc}")


def _status_error(exc: Any, ctx: ErrorContext) -> ProviderError:
    name, status = ctx.name, int(exc.status_code)
    detail = _detail(exc.body)
    suffix = f": {detail}" if detail else ""
    if status == 200:  # Anthropic `error` event after the stream began
        kind = _error_type(exc.body)
        return ProviderError(
            f"{name}: stream error{suffix}", retryable=kind in RETRYABLE_STREAM_ERRORS
        )
    if status == 401:
        check = ctx.key_env or "the provider's API key"
        return ProviderError(f"{name}: authentication failed (401): check {check}")
    if status == 403:
        return ProviderError(f"{name}: permission denied (403){suffix}")
    if status == 404:
        return ProviderError(f"{name}: model '{ctx.model}' not found (404){suffix}")
    if status == 429:
        retry_after = parse_retry_after(exc.response.headers)
        return ProviderError(
            f"{name}: rate limited (429){suffix}", retryable=True, retry_after=retry_after
        )
    if status >= 500:
        label = "overloaded" if status == 529 else "server error"
        retry_after = parse_retry_after(exc.response.headers)
        return ProviderError(
            f"{name}: {label} ({status}){suffix}", retryable=True, retry_after=retry_after
        )
    return ProviderError(f"{name}: request rejected ({status}){suffix}")


def parse_retry_after(headers: Any) -> float | None:
    """Seconds from `retry-after-ms`, or `retry-after` as seconds or an HTTP date."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_object(body: object) -> object:
    return body.get("error", body) if isinstance(body, dict) else body


def _error_type(body: object) -> str | None:
    error = _error_object(body)
    kind = error.get("type") if isinstance(error, dict) else None
    return kind if isinstance(kind, str) else None


def _detail(body: object) -> str:
    """The server's own explanation, e.g. `overloaded_error: Overloaded`, cut to one short line."""
    error = _error_object(body)
    if isinstance(error, dict):
        message = error.get("message")
        kind = error.get("type")
        text = f"{kind}: {message}" if kind and message else str(message or kind or "")
    else:
        text = str(error or "")
    text = " ".join(text.split())
    return text if len(text) <= MAX_DETAIL_CHARS else text[: MAX_DETAIL_CHARS - 1] + "…"


def _chain(exc: BaseException) -> Iterable[BaseException]:
    """The exception and its causes, outermost first (SDK errors wrap the transport's)."""
    current: BaseException | None = exc
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _root_message(exc: BaseException) -> str:
    *_, root = _chain(exc)
    return str(root) or type(root).__name__
