"""Anthropic's Messages API, streamed with the official SDK.

The SDK's client, SSE decoder and in-stream `error` handling are used as they are; events come
as the parsed JSON (`stream_cls=AsyncStream[object]`) rather than a pydantic model per event,
which cost more CPU than everything else a streaming pane does (see openai_provider).

Usage arrives in pieces: input (and prompt-cache) tokens in `message_start`, and a cumulative
`output_tokens` in each `message_delta`, so the last one seen is the total (not a sum). `thinking`
blocks stream `thinking_delta`s (reasoning, kept apart from the answer) and a `signature_delta`
that only matters for multi-turn tool use, so it is dropped. `stop_reason: max_tokens` means the
answer was cut off.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from writeit.domain.requests import (
    ModelRequest,
    ReasoningDelta,
    StreamItem,
    TextDelta,
    UsageReport,
    estimate_tokens,
)
from writeit.providers.sdk_base import SdkProvider, Tally, json_object

DEFAULT_BASE_URL = "https://api.anthropic.com"
TRUNCATED_REASONS = frozenset({"max_tokens", "model_context_window_exceeded"})

# The smallest prefix Anthropic will cache, in tokens, by model family (its prompt-caching
# docs); a shorter prefix marked cacheable is simply not cached, so erring high only forgoes a
# saving. Haiku 4.5 and Opus 4.5 and later need 4096; most others 1024.
CACHE_MIN_TOKENS_DEFAULT = 1024
CACHE_MIN_TOKENS = (
    ("claude-haiku-4-5", 4096),
    ("claude-opus-4-5", 4096),
    ("claude-opus-4-6", 4096),
    ("claude-opus-4-7", 4096),
    ("claude-opus-4-8", 4096),
    ("claude-3-5-haiku", 2048),
    ("claude-3-haiku", 2048),
)


def cache_min_tokens(model: str) -> int:
    """How long a prefix must be before Anthropic caches it for `model`."""
    for prefix, tokens in CACHE_MIN_TOKENS:
        if model.startswith(prefix):
            return tokens
    return CACHE_MIN_TOKENS_DEFAULT


def user_content(request: ModelRequest) -> str | list[dict[str, Any]]:
    """The user turn: plain text, or two blocks with the shared prefix marked cacheable.

    The prefix (the rendered template, shared by every response, regeneration and feedback
    round of the step) is worth caching only when it passes the model's minimum; a cache
    write costs 25% more than plain input, repaid by the first read at a tenth of the price.
    """
    cut = min(request.cache_prefix_chars, len(request.prompt))
    prefix = request.prompt[:cut]
    if not cut or estimate_tokens(prefix) < cache_min_tokens(request.model):
        return request.prompt
    blocks: list[dict[str, Any]] = [
        {"type": "text", "text": prefix, "cache_control": {"type": "ephemeral"}}
    ]
    if rest := request.prompt[cut:]:
        blocks.append({"type": "text", "text": rest})
    return blocks


def message_params(request: ModelRequest) -> dict[str, Any]:
    """The body of a streaming Messages call for `request`.

    No `temperature`: the installed SDK (2.x) no longer accepts it, as current models ignore or
    reject it; the writer's temperature therefore applies to OpenAI-style models only. Thinking
    and effort are sent only when the step asks for them.
    """
    params: dict[str, Any] = {
        "model": request.model,
        "max_tokens": request.max_tokens,
        "messages": [{"role": "user", "content": user_content(request)}],
        "stream": True,
    }
    if request.system:
        params["system"] = request.system
    if request.thinking == "adaptive":
        params["thinking"] = {"type": "adaptive"}
    elif isinstance(request.thinking, int):
        params["thinking"] = {"type": "enabled", "budget_tokens": request.thinking}
    if request.reasoning_effort:
        params["output_config"] = {"effort": request.reasoning_effort}
    return params


def _count(usage: dict[str, Any], name: str) -> int | None:
    value = usage.get(name)
    return value if isinstance(value, int) else None


class _Usage:
    """Anthropic's usage pieces, merged as they arrive."""

    def __init__(self) -> None:
        self.fresh: int | None = None
        self.cache_read = 0
        self.cache_write = 0
        self.output: int | None = None

    def merge(self, usage: dict[str, Any], *, output: bool = True) -> None:
        """Take every count `usage` holds (0 is a count; a missing field is not)."""
        if (fresh := _count(usage, "input_tokens")) is not None:
            self.fresh = fresh
        if (read := _count(usage, "cache_read_input_tokens")) is not None:
            self.cache_read = read
        if (written := _count(usage, "cache_creation_input_tokens")) is not None:
            self.cache_write = written
        if output and (out := _count(usage, "output_tokens")) is not None:
            self.output = out

    def report(self) -> UsageReport | None:
        if self.fresh is None and not (self.cache_read or self.cache_write):
            return None
        if self.output is None:
            return None
        return UsageReport(
            input_tokens=(self.fresh or 0) + self.cache_read + self.cache_write,
            output_tokens=self.output,
            cache_read_tokens=self.cache_read,
            cache_write_tokens=self.cache_write,
        )


class AnthropicProvider(SdkProvider):
    """Streams messages from Anthropic (or an Anthropic-compatible endpoint)."""

    sdk_module = "anthropic"

    def _build_client(self, api_key: str, timeout: Any) -> Any:
        import anthropic

        return anthropic.AsyncAnthropic(
            api_key=api_key, base_url=self.endpoint.base_url, timeout=timeout, max_retries=0
        )

    async def _open(self, client: Any, request: ModelRequest) -> Any:
        from anthropic import AsyncStream

        return await client.post(
            "/v1/messages",
            cast_to=object,
            body=message_params(request),
            stream=True,
            stream_cls=AsyncStream[object],
        )

    async def _parse(
        self, events: AsyncIterator[Any], tally: Tally
    ) -> AsyncGenerator[StreamItem, None]:
        usage = _Usage()
        async for event in events:
            kind = json_object(event).get("type")
            delta = json_object(json_object(event).get("delta"))
            if kind == "content_block_delta":
                text = delta.get("text") or delta.get("thinking")
                if not text or not isinstance(text, str):
                    continue
                if delta.get("type") == "text_delta":
                    yield TextDelta(text)
                elif delta.get("type") == "thinking_delta":
                    yield ReasoningDelta(text)
            elif kind == "message_start":
                usage.merge(
                    json_object(json_object(event.get("message")).get("usage")), output=False
                )
            elif kind == "message_delta":  # message_start's output count is a stub
                usage.merge(json_object(event.get("usage")))
                reason = delta.get("stop_reason")
                if reason:
                    tally.finish_reason = str(reason)
                    tally.truncated = tally.finish_reason in TRUNCATED_REASONS
        tally.usage = usage.report()
