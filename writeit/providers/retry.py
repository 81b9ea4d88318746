"""The retry loop both SDK providers share: backoff with jitter, before any text only.

A retry after text (or reasoning) has arrived would show the writer a different answer spliced
onto the first, so once output has streamed every failure is final and the engine keeps it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, field

from writeit.domain.config import RetryConfig
from writeit.domain.requests import OUTPUT_ITEMS, Retrying, StreamItem
from writeit.providers.base import ProviderError

Sleep = Callable[[float], Awaitable[None]]

MAX_RETRY_AFTER_S = 60.0  # a server asking for a longer wait is treated as a hard failure


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter; `sleep` is injectable so tests need not wait."""

    max_attempts: int = 3
    initial_s: float = 1.0
    max_s: float = 8.0
    multiplier: float = 2.0
    jitter: float = 0.2
    sleep: Sleep = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random, compare=False)

    @classmethod
    def from_config(cls, config: RetryConfig, sleep: Sleep | None = None) -> RetryPolicy:
        return cls(
            max_attempts=config.max_attempts,
            initial_s=config.initial_s,
            max_s=config.max_s,
            multiplier=config.multiplier,
            jitter=config.jitter,
            sleep=sleep or asyncio.sleep,
        )

    def backoff(self, failed_attempt: int) -> float:
        """Delay after attempt `failed_attempt` (1-based): initial * multiplier^(n-1), jittered."""
        base = min(self.max_s, self.initial_s * self.multiplier ** (failed_attempt - 1))
        spread = 1.0 + self.rng.uniform(-self.jitter, self.jitter)
        return max(0.0, min(self.max_s, base * spread))

    def delay(self, failed_attempt: int, error: ProviderError) -> float | None:
        """Seconds to wait before the next attempt, or None when there must be no retry."""
        if not error.retryable or failed_attempt >= self.max_attempts:
            return None
        if error.retry_after is not None:
            return error.retry_after if error.retry_after <= MAX_RETRY_AFTER_S else None
        return self.backoff(failed_attempt)


async def stream_with_retries(
    name: str,
    attempt: Callable[[], AsyncGenerator[StreamItem, None]],
    *,
    policy: RetryPolicy,
    translate: Callable[[Exception], ProviderError],
    limiter: asyncio.Semaphore,
    total_s: float | None = None,
) -> AsyncGenerator[StreamItem, None]:
    """Run `attempt` until it succeeds, retrying transient failures that happen before output.

    Yields `Retrying(attempt=n)` before sleeping, where n is the attempt that just failed
    (1 = the first try), so a response that took k attempts saw Retrying 1..k-1. The
    concurrency slot is held only while an attempt streams, not during the backoff sleep.
    """
    for number in range(1, policy.max_attempts + 1):
        got_output = False
        try:
            async with limiter, aclosing(attempt()) as items:
                deadline = None if total_s is None else time.monotonic() + total_s
                async for item in items:
                    if isinstance(item, OUTPUT_ITEMS) and item.text:
                        got_output = True
                    yield item
                    if deadline is not None and time.monotonic() > deadline:
                        raise ProviderError(
                            f"{name}: gave up after the total time limit ({total_s:g} s)"
                        )
            return
        except Exception as exc:
            error = exc if isinstance(exc, ProviderError) else translate(exc)
            if got_output:
                raise ProviderError(f"{error}; stream cut off after partial output") from None
            wait = policy.delay(number, error)
            if wait is None:
                raise _final(error, number) from None
        yield Retrying(attempt=number, delay_s=wait, reason=_reason(name, error))
        await policy.sleep(wait)


def _final(error: ProviderError, attempts: int) -> ProviderError:
    if attempts == 1:
        return error
    message = f"{error} after {attempts} attempts"
    return ProviderError(message, retryable=error.retryable, retry_after=error.retry_after)


def _reason(name: str, error: ProviderError) -> str:
    return str(error).removeprefix(f"{name}: ")
