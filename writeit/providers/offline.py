"""The built-in offline models `offline:writer` and `offline:editor`: no network, no key."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator

from writeit.domain.requests import (
    ModelRequest,
    StreamEnd,
    StreamItem,
    TextDelta,
    UsageReport,
    estimate_tokens,
)
from writeit.providers.offline_text import VOICES, compose, tokens

DEFAULT_TPS = 60.0


def offline_tps() -> float:
    """Tokens per second per stream from WRITEIT_OFFLINE_TPS (0 = as fast as possible)."""
    raw = os.environ.get("WRITEIT_OFFLINE_TPS", "")
    try:
        return max(0.0, float(raw)) if raw else DEFAULT_TPS
    except ValueError:
        return DEFAULT_TPS


class OfflineProvider:
    """Streams deterministic, step-aware text at a realistic pace."""

    name = "offline"
    models = tuple(VOICES)

    def __init__(self, tps: float | None = None) -> None:
        self.tps = offline_tps() if tps is None else tps

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamItem]:
        text = compose(request.prompt, request.model, request.step, request.inputs, request.seed)
        whole = tokens(text)
        parts = whole[: max(1, request.max_tokens)]
        start = time.monotonic()
        for i, part in enumerate(parts):
            if self.tps > 0:
                delay = start + i / self.tps - time.monotonic()
                await asyncio.sleep(max(0.0, delay))
            elif i % 64 == 0:
                await asyncio.sleep(0)
            yield TextDelta(part)
        cut = len(parts) < len(whole)  # honest like the real ones: a cut answer says so
        yield StreamEnd("length" if cut else "stop", truncated=cut)
        yield UsageReport(input_tokens=estimate_tokens(request.prompt), output_tokens=len(parts))
