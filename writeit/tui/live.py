"""Tokens as they arrive: one buffer per streaming response, fed by `Engine.on_delta`.

The engine calls `StreamHub.feed` for every token; feeding only appends to a list, so it never
slows the stream. Panes read what is new on their own frame timer, which keeps rendering
independent of the token rate. Buffers live on the app, so leaving a run screen and coming back
(while its models still stream in the background) shows the whole text, not just what came after.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial


@dataclass
class StreamBuffer:
    """Everything one response streamed in this process, plus counters for its pane header."""

    started_at: float = field(default_factory=time.monotonic)
    chunks: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)  # thinking, kept apart from the text
    received_chars: int = 0
    tokens: int = 0
    first_token_at: float | None = None
    cost: Callable[[], float | None] | None = None  # what it has cost so far (engine's count)

    def feed(self, text: str) -> None:
        if self.first_token_at is None:
            self.first_token_at = time.monotonic()
        self.chunks.append(text)
        self.received_chars += len(text)
        self.tokens += 1

    @property
    def reasoning_text(self) -> str:
        return "".join(self.reasoning)

    def since(self, index: int) -> tuple[str, int]:
        """The text after chunk `index`, and the index to ask from next time."""
        end = len(self.chunks)
        if index >= end:
            return "", end
        return "".join(self.chunks[index:end]), end

    def rate(self, now: float | None = None) -> float | None:
        """Tokens per second since the first token (None before it)."""
        if self.first_token_at is None:
            return None
        elapsed = (now or time.monotonic()) - self.first_token_at
        return self.tokens / elapsed if elapsed > 0.2 else None

    @property
    def ttft(self) -> float | None:
        if self.first_token_at is None:
            return None
        return self.first_token_at - self.started_at


class StreamHub:
    """Buffers by response id; `feed` is registered as an engine delta listener."""

    def __init__(self, cost_of: Callable[[str], float | None] | None = None) -> None:
        self.buffers: dict[str, StreamBuffer] = {}
        self.cost_of = cost_of  # response id -> live cost (`Engine.live_cost`)

    def start(self, response_ids: list[str]) -> None:
        """Start fresh buffers when a step fans out (so time to first token is measured)."""
        for rid in response_ids:
            cost = partial(self.cost_of, rid) if self.cost_of is not None else None
            self.buffers[rid] = StreamBuffer(cost=cost)

    def feed(self, run_id: str, response_id: str, text: str) -> None:
        buffer = self.buffers.get(response_id)
        if buffer is None:
            buffer = self.buffers[response_id] = StreamBuffer()
        buffer.feed(text)

    def feed_reasoning(self, run_id: str, response_id: str, text: str) -> None:
        buffer = self.buffers.get(response_id)
        if buffer is None:
            buffer = self.buffers[response_id] = StreamBuffer()
        buffer.reasoning.append(text)

    def get(self, response_id: str) -> StreamBuffer | None:
        return self.buffers.get(response_id)

    def drop(self, response_id: str) -> None:
        """Forget a finished response; the store holds its final text."""
        self.buffers.pop(response_id, None)
