"""Stream one step's responses concurrently, turning each stream into events.

Text is buffered and persisted at least every `FLUSH_INTERVAL_S`, so a crash loses at most that
much; every token also goes to delta listeners at once so the UI can show it without waiting.
Reasoning is buffered, persisted and shown the same way, but apart from the text.

How a response ends is decided here, from what the provider streamed: no text at all is
`failed` with the reason; cut at the token limit is `truncated` (still pickable); otherwise
`completed`. Usage is what the server reported, else an estimate (marked) of what really
streamed, else nothing: a request that never received a byte costs nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from writeit.domain.budget import BUDGET
from writeit.domain.events import ResponseFinished, ResponseTextAppended
from writeit.domain.redact import StreamRedactor, redact
from writeit.domain.requests import (
    ModelRequest,
    ReasoningDelta,
    RequestSent,
    Retrying,
    StreamEnd,
    TextDelta,
    UsageReport,
    Waiting,
    estimate_tokens,
    tokens_for_chars,
)
from writeit.domain.status import ResponseStatus
from writeit.engine.budget import LiveSpend
from writeit.providers.base import ProviderError
from writeit.providers.registry import ProviderRegistry

FLUSH_INTERVAL_S = 0.25

DeltaListener = Callable[[str, str, str], None]  # run_id, response_id, text
NoticeListener = Callable[[str, str, str], None]  # run_id, response_id, message
Append = Callable[[ResponseTextAppended | ResponseFinished], object]


@dataclass
class StreamJob:
    """One response being streamed: what arrived and what is not yet persisted.

    `sent_at` is when the current attempt's request went out (monotonic); time to first token
    and processing time are measured from it, so neither includes the SDK import nor a retry's
    wait.
    """

    run_id: str
    step: str
    response_id: str
    request: ModelRequest
    pending: list[str] = field(default_factory=list)
    pending_reasoning: list[str] = field(default_factory=list)
    first_token_s: float | None = None
    first_token_flushed: bool = False
    attempts: int = 1
    usage: UsageReport | None = None
    end: StreamEnd | None = None
    received: int = 0
    reasoning_received: int = 0
    sent_at: float | None = None
    cancel_reason: str | None = None  # set before cancelling for a reason other than the writer
    # Known secrets (keys a server echoes) are replaced before text is stored, shown or sent on.
    text_guard: StreamRedactor = field(default_factory=lambda: StreamRedactor(()))
    reasoning_guard: StreamRedactor = field(default_factory=lambda: StreamRedactor(()))

    def take_first_token_s(self) -> float | None:
        """Time to first token, handed to the first event that persists text, then None."""
        if self.first_token_flushed:
            return None
        self.first_token_flushed = True
        return self.first_token_s

    def take_pending(self) -> str:
        text = "".join(self.pending)
        self.pending.clear()
        return text

    def take_pending_reasoning(self) -> str:
        text = "".join(self.pending_reasoning)
        self.pending_reasoning.clear()
        return text

    def mark_first_token(self, now: float, started: float) -> None:
        if self.first_token_s is None:
            self.first_token_s = round(now - (self.sent_at or started), 4)


@dataclass
class FanOut:
    """Runs the jobs of one step; `append` persists events, listeners see tokens live."""

    registry: ProviderRegistry
    append: Append
    now: Callable[[], datetime]
    secrets: list[str]
    on_delta: list[DeltaListener]
    on_notice: list[NoticeListener]
    on_reasoning: list[DeltaListener] = field(default_factory=list)
    spend: LiveSpend | None = None  # live cost; cancels the open streams at the run's budget
    _open: list[tuple[StreamJob, asyncio.Task[None]]] = field(default_factory=list, init=False)

    async def run(self, jobs: list[StreamJob], tasks: set[asyncio.Task[None]]) -> None:
        flusher = asyncio.create_task(self._flush_periodically(jobs))
        streams = [asyncio.create_task(self._stream(job)) for job in jobs]
        self._open = list(zip(jobs, streams, strict=True))
        tasks.update(streams)
        try:
            results = await asyncio.gather(*streams, return_exceptions=True)
        finally:
            tasks.difference_update(streams)
            flusher.cancel()
        # Provider failures end as `failed` responses; anything escaping a stream or the
        # flusher means the store could not record it (disk full...): say so, loudly.
        failed = [r for r in results if isinstance(r, Exception)]
        if flusher.done() and not flusher.cancelled() and flusher.exception() is not None:
            failed.insert(0, flusher.exception())  # type: ignore[arg-type]
        if failed:
            raise failed[0]

    async def _flush_periodically(self, jobs: list[StreamJob]) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            for job in jobs:
                self._flush(job)

    def _flush(self, job: StreamJob) -> None:
        if not job.pending and not job.pending_reasoning:
            return
        first = job.take_first_token_s()
        self.append(
            ResponseTextAppended(
                run_id=job.run_id,
                at=self.now(),
                step=job.step,
                response_id=job.response_id,
                text=job.take_pending(),
                reasoning=job.take_pending_reasoning(),
                first_token_s=first,
            )
        )

    def _text(self, job: StreamJob, text: str) -> None:
        if not text:
            return
        job.pending.append(text)
        job.received += len(text)
        for listener in self.on_delta:
            listener(job.run_id, job.response_id, text)
        self._count(job, len(text))

    def _reasoning(self, job: StreamJob, text: str) -> None:
        if not text:
            return
        job.pending_reasoning.append(text)
        job.reasoning_received += len(text)
        for listener in self.on_reasoning:
            listener(job.run_id, job.response_id, text)
        self._count(job, len(text))

    def _release(self, job: StreamJob) -> None:
        """Pass on what the redactors held back (a possible start of a secret): the stream ended."""
        self._reasoning(job, job.reasoning_guard.flush())
        self._text(job, job.text_guard.flush())

    async def _stream(self, job: StreamJob) -> None:
        started = time.monotonic()
        job.text_guard = StreamRedactor(self.secrets)
        job.reasoning_guard = StreamRedactor(self.secrets)
        status, error = ResponseStatus.COMPLETED, None
        try:
            async for item in self.registry.stream(job.request):
                if isinstance(item, TextDelta):
                    job.mark_first_token(time.monotonic(), started)
                    self._text(job, job.text_guard.feed(item.text))
                elif isinstance(item, ReasoningDelta):
                    job.mark_first_token(time.monotonic(), started)
                    self._reasoning(job, job.reasoning_guard.feed(item.text))
                elif isinstance(item, UsageReport):
                    job.usage = item
                elif isinstance(item, StreamEnd):
                    job.end = item
                elif isinstance(item, RequestSent):
                    job.sent_at = time.monotonic()
                elif isinstance(item, Waiting):
                    self._notice(
                        job,
                        f"{job.request.model_ref}: no answer yet after {item.waited_s:.0f} s "
                        f"(gives up at {item.limit_s:g} s)",
                    )
                elif isinstance(item, Retrying):
                    job.attempts = item.attempt + 1
                    self._notice(
                        job,
                        f"{job.request.model_ref}: retrying in {item.delay_s:.1f}s "
                        f"(attempt {item.attempt + 1}): {item.reason}",
                    )
        except asyncio.CancelledError:
            status, error = ResponseStatus.CANCELLED, "cancelled by the writer"
            if job.cancel_reason == BUDGET and self.spend is not None:
                error = f"stopped: the run's budget of ${self.spend.budget_usd:.4f} was reached"
            job.cancel_reason = job.cancel_reason or "writer"
        except ProviderError as exc:
            status, error = ResponseStatus.FAILED, str(exc)
        except Exception as exc:  # one failing pane must never stop the others
            status, error = ResponseStatus.FAILED, f"{type(exc).__name__}: {exc}"
        else:
            self._release(job)
            status, error = self._ending(job)
        self._finish(job, status, error, time.monotonic() - (job.sent_at or started))

    @staticmethod
    def _ending(job: StreamJob) -> tuple[ResponseStatus, str | None]:
        """The status of a stream that ended without an error, from what it carried."""
        end = job.end or StreamEnd(None)
        if not job.received:
            ref = job.request.model_ref
            said = f" (finish reason: {end.finish_reason})" if end.finish_reason else ""
            if job.reasoning_received and end.truncated:
                return ResponseStatus.FAILED, (
                    f"{ref}: spent all {job.request.max_tokens} max_tokens on reasoning and "
                    "wrote no answer; give the step more max_tokens or less reasoning"
                )
            if job.reasoning_received:
                return ResponseStatus.FAILED, f"{ref}: reasoned but wrote no answer{said}"
            return ResponseStatus.FAILED, f"{ref}: the model sent no text{said}"
        if end.truncated:
            return ResponseStatus.TRUNCATED, None
        return ResponseStatus.COMPLETED, None

    def _count(self, job: StreamJob, chars: int) -> None:
        """Add a chunk to the live cost; at the budget, stop every stream still open (each
        keeps its text, this chunk included) and tell the writer."""
        if self.spend is None or not self.spend.add(job.response_id, chars):
            return
        stopping = [(j, t) for j, t in self._open if not t.done()]
        for j, task in stopping:
            j.cancel_reason = BUDGET
            task.cancel()
        self._notice(
            job,
            f"budget reached: ${self.spend.spent_usd:.4f} spent of "
            f"${self.spend.budget_usd:.4f}; {len(stopping)} stream(s) stopped, their text kept",
        )

    def _notice(self, job: StreamJob, message: str) -> None:
        for listener in self.on_notice:
            listener(job.run_id, job.response_id, redact(message, self.secrets))

    def _usage(self, job: StreamJob) -> tuple[UsageReport, float | None]:
        """What the server reported; else an estimate of what streamed; else nothing, free."""
        if job.usage is not None:
            usage = job.usage
        elif job.received or job.reasoning_received:
            usage = UsageReport(
                input_tokens=estimate_tokens(job.request.prompt),
                output_tokens=tokens_for_chars(job.received + job.reasoning_received),
                estimated=True,
            )
        else:
            return UsageReport(0, 0), 0.0
        return usage, self.registry.cost(job.request.provider, job.request.model, usage)

    def _finish(
        self, job: StreamJob, status: ResponseStatus, error: str | None, elapsed: float
    ) -> None:
        self._release(job)
        text = job.take_pending()
        reasoning = job.take_pending_reasoning()
        first = job.take_first_token_s()
        usage, cost = self._usage(job)
        if self.spend is not None:
            self.spend.finish(job.response_id, cost)
        self.append(
            ResponseFinished(
                run_id=job.run_id,
                at=self.now(),
                step=job.step,
                response_id=job.response_id,
                status=status,
                text=text,
                reasoning=reasoning,
                finish_reason=job.end.finish_reason if job.end else None,
                error=redact(error, self.secrets) if error else None,
                usage=usage.to_usage(cost),
                time_to_first_token_s=first,
                processing_time_s=round(elapsed, 4),
                attempts=job.attempts,
                cancel_reason=job.cancel_reason if status is ResponseStatus.CANCELLED else None,
            )
        )
        if error and job.cancel_reason != BUDGET:  # the budget stop was told once, in _count
            self._notice(job, error)
