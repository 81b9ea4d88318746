"""Anthropic's Messages API, streamed with the official SDK.

Usage arrives in pieces: input tokens in `message_start`, and a cumulative `output_tokens` in
each `message_delta`, so the last one seen is the total (not a sum).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from writeit.domain.requests import (
    ModelRequest,
    StreamItem,
    TextDelta,
    UsageReport,
    estimate_tokens,
)
from writeit.providers.sdk_base import SdkProvider

DEFAULT_BASE_URL = "https://api.anthropic.com"


def message_params(request: ModelRequest) -> dict[str, Any]:
    """The body of a streaming Messages call for `request`.

    No `temperature`: the installed SDK (2.x) no longer accepts it, as current models ignore or
    reject it; the writer's temperature therefore applies to OpenAI-style models only.
    """
    params: dict[str, Any] = {
        "model": request.model,
        "max_tokens": request.max_tokens,
        "messages": [{"role": "user", "content": request.prompt}],
        "stream": True,
    }
    if request.system:
        params["system"] = request.system
    return params


def _input_tokens(usage: Any) -> int | None:
    """Billable input: fresh tokens plus any read from or written to the prompt cache."""
    parts = [getattr(usage, k, None) for k in ("input_tokens", "cache_creation_input_tokens")]
    parts.append(getattr(usage, "cache_read_input_tokens", None))
    known = [p for p in parts if isinstance(p, int)]
    return sum(known) if known else None


class AnthropicProvider(SdkProvider):
    """Streams messages from Anthropic (or an Anthropic-compatible endpoint)."""

    sdk_module = "anthropic"

    def _build_client(self, api_key: str, timeout: Any) -> Any:
        import anthropic

        return anthropic.AsyncAnthropic(
            api_key=api_key, base_url=self.endpoint.base_url, timeout=timeout, max_retries=0
        )

    async def _attempt(
        self, client: Any, request: ModelRequest
    ) -> AsyncGenerator[StreamItem, None]:
        stream = await client.messages.create(**message_params(request))
        text: list[str] = []
        input_tokens: int | None = None
        output_tokens: int | None = None
        try:
            async for event in stream:
                if event.type == "content_block_delta" and event.delta.type == "text_delta":
                    if event.delta.text:
                        text.append(event.delta.text)
                        yield TextDelta(event.delta.text)
                elif event.type == "message_start":
                    input_tokens = _input_tokens(getattr(event.message, "usage", None))
                elif event.type == "message_delta":  # message_start's output count is a stub
                    usage = getattr(event, "usage", None)
                    input_tokens = _input_tokens(usage) or input_tokens
                    output_tokens = getattr(usage, "output_tokens", output_tokens)
        finally:
            await stream.close()
        if input_tokens is not None and output_tokens is not None:
            yield UsageReport(input_tokens, output_tokens)
        else:
            prompt = f"{request.system or ''}\n{request.prompt}"
            yield UsageReport(
                input_tokens if input_tokens is not None else estimate_tokens(prompt),
                estimate_tokens("".join(text)),
                estimated=True,
            )
