"""OpenAI and any OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp, OpenRouter).

Chat completions with `stream=True` and `stream_options.include_usage`, on the official SDK.
Servers that send no usage chunk get an estimate, flagged `estimated=True`, so costs stay honest.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import urlsplit

from writeit.domain.requests import (
    ModelRequest,
    StreamItem,
    TextDelta,
    UsageReport,
    estimate_tokens,
)
from writeit.providers.sdk_base import SdkProvider

DEFAULT_BASE_URL = "https://api.openai.com/v1"

# Reasoning models on api.openai.com reject any temperature but the default.
_REASONING_MODEL = re.compile(r"^(o\d|gpt-5)")


def is_official(base_url: str) -> bool:
    """Whether this is OpenAI's own API, which takes `max_completion_tokens`."""
    return urlsplit(base_url).hostname == "api.openai.com"


def chat_params(request: ModelRequest, *, official: bool) -> dict[str, Any]:
    """The body of a streaming chat completion for `request`.

    api.openai.com deprecated `max_tokens` (reasoning models reject it); compatible servers
    mostly know only `max_tokens`, so each gets the name it understands.
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
    return params


class OpenAIProvider(SdkProvider):
    """Streams chat completions from one OpenAI-style endpoint."""

    sdk_module = "openai"

    def _build_client(self, api_key: str, timeout: Any) -> Any:
        import openai

        return openai.AsyncOpenAI(
            api_key=api_key, base_url=self.endpoint.base_url, timeout=timeout, max_retries=0
        )

    async def _attempt(
        self, client: Any, request: ModelRequest
    ) -> AsyncGenerator[StreamItem, None]:
        params = chat_params(request, official=is_official(self.endpoint.base_url))
        stream = await client.chat.completions.create(**params)
        text: list[str] = []
        usage = None
        try:
            async for chunk in stream:
                if chunk.usage is not None:
                    usage = chunk.usage
                for choice in chunk.choices[:1]:
                    content = choice.delta.content if choice.delta else None
                    if content:
                        text.append(content)
                        yield TextDelta(content)
        finally:
            await stream.close()
        if usage is not None and usage.prompt_tokens is not None:
            yield UsageReport(usage.prompt_tokens, usage.completion_tokens or 0)
        else:
            prompt = f"{request.system or ''}\n{request.prompt}"
            yield UsageReport(
                estimate_tokens(prompt), estimate_tokens("".join(text)), estimated=True
            )
