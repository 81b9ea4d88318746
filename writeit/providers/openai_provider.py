"""OpenAI and any OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp, OpenRouter).

Chat completions with `stream=True` and `stream_options.include_usage`, on the official SDK:
its client (auth, headers, timeouts), its SSE decoder and its in-stream error handling. Chunks
come as the parsed JSON (`stream_cls=AsyncStream[object]`): building a pydantic model per
chunk was half of the app's CPU while 4 panes streamed at 150 tok/s, for three fields read.
Beyond `delta.content`, compatible servers stream reasoning as `delta.reasoning_content`
(DeepSeek, vLLM) or `delta.reasoning` (OpenRouter, Ollama); both become `ReasoningDelta`s.
`finish_reason: length` means the answer was cut at max_tokens. Usage details carry cached
prompt tokens (`prompt_tokens_details.cached_tokens`, DeepSeek's `prompt_cache_hit_tokens`) and
reasoning tokens (`completion_tokens_details.reasoning_tokens`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any
from urllib.parse import urlsplit

from writeit.domain.requests import (
    ModelRequest,
    ReasoningDelta,
    StreamItem,
    TextDelta,
    UsageReport,
)
from writeit.providers.sdk_base import SdkProvider, Tally, json_object

DEFAULT_BASE_URL = "https://api.openai.com/v1"
TRUNCATED_REASONS = frozenset({"length"})
REASONING_FIELDS = ("reasoning_content", "reasoning")

# Reasoning models on api.openai.com reject any temperature but the default.
_REASONING_MODEL = re.compile(r"^(o\d|gpt-5|gpt-6)")


def is_official(base_url: str) -> bool:
    """Whether this is OpenAI's own API, which takes `max_completion_tokens`."""
    return urlsplit(base_url).hostname == "api.openai.com"


def chat_params(request: ModelRequest, *, official: bool) -> dict[str, Any]:
    """The body of a streaming chat completion for `request`.

    api.openai.com deprecated `max_tokens` (reasoning models reject it); compatible servers
    mostly know only `max_tokens`, so each gets the name it understands. `reasoning_effort` is
    sent only when the step asks for it.
    """
    messages = [{"role": "user", "content": request.prompt}]
    if request.system:
        messages.insert(0, {"role": "system", "content": request.system})
    params: dict[str, Any] = {
        "model": request.model,
        "messages": messages,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    params["max_completion_tokens" if official else "max_tokens"] = request.max_tokens
    if not (official and _REASONING_MODEL.match(request.model)):
        params["temperature"] = request.temperature
    if request.reasoning_effort:
        params["reasoning_effort"] = request.reasoning_effort
    return params


def usage_report(usage: Any) -> UsageReport | None:
    """The server's usage object as a `UsageReport`; None when it holds no prompt count."""
    if not isinstance(usage, dict) or not isinstance(usage.get("prompt_tokens"), int):
        return None
    prompt_details = json_object(usage.get("prompt_tokens_details"))
    cached = _int(prompt_details.get("cached_tokens")) or _int(usage.get("prompt_cache_hit_tokens"))
    completion_details = json_object(usage.get("completion_tokens_details"))
    return UsageReport(
        input_tokens=usage["prompt_tokens"],
        output_tokens=_int(usage.get("completion_tokens")),
        reasoning_tokens=_int(completion_details.get("reasoning_tokens")),
        cache_read_tokens=cached,
    )


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def reasoning_text(delta: dict[str, Any]) -> str | None:
    """`reasoning_content` or `reasoning` from a delta (fields of compatible servers)."""
    for name in REASONING_FIELDS:
        value = delta.get(name)
        if isinstance(value, str) and value:
            return value
    return None


class OpenAIProvider(SdkProvider):
    """Streams chat completions from one OpenAI-style endpoint."""

    sdk_module = "openai"

    def _build_client(self, api_key: str, timeout: Any) -> Any:
        import openai

        return openai.AsyncOpenAI(
            api_key=api_key, base_url=self.endpoint.base_url, timeout=timeout, max_retries=0
        )

    async def _open(self, client: Any, request: ModelRequest) -> Any:
        from openai import AsyncStream

        params = chat_params(request, official=is_official(self.endpoint.base_url))
        return await client.post(
            "/chat/completions",
            cast_to=object,
            body=params,
            stream=True,
            stream_cls=AsyncStream[object],
        )

    async def _parse(
        self, events: AsyncIterator[Any], tally: Tally
    ) -> AsyncGenerator[StreamItem, None]:
        async for chunk in events:
            if not isinstance(chunk, dict):
                continue
            if (usage := usage_report(chunk.get("usage"))) is not None:
                tally.usage = usage
            choices = chunk.get("choices")
            for choice in choices[:1] if isinstance(choices, list) else ():
                delta = json_object(choice.get("delta")) if isinstance(choice, dict) else {}
                if thought := reasoning_text(delta):
                    yield ReasoningDelta(thought)
                if (content := delta.get("content")) and isinstance(content, str):
                    yield TextDelta(content)
                if reason := json_object(choice).get("finish_reason"):
                    tally.finish_reason = str(reason)
                    tally.truncated = tally.finish_reason in TRUNCATED_REASONS
