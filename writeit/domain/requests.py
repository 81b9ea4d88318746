"""What the engine asks of a provider and what a provider streams back.

A provider's stream is a sequence of `StreamItem`s: `RequestSent` each time an attempt goes out
(so time to first token is measured from the request, not from SDK import or retry waits),
`Waiting`/`Retrying` while nothing has arrived, `ReasoningDelta`/`TextDelta` as output streams,
then one `StreamEnd` (why the model stopped) and one `UsageReport` (what the server reported).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from writeit.domain.models import TokenUsage

Effort = Literal["low", "medium", "high"]


@dataclass(frozen=True)
class ModelRequest:
    """One call to one model. `step` and `inputs` are hints the offline writer uses.

    `reasoning_effort` and `thinking` are asked only when a step says so: they cost tokens and
    not every model accepts them. `thinking` is a budget of tokens or "adaptive" (Anthropic).
    `cache_prefix_chars` is how many leading characters of `prompt` other calls share (the
    rendered template before any feedback note); Anthropic may cache that much.
    """

    provider: str
    model: str
    prompt: str
    system: str | None = None
    temperature: float = 0.7
    max_tokens: int = 1500
    seed: int = 0
    step: str = ""
    inputs: dict[str, str] = field(default_factory=dict)
    reasoning_effort: Effort | None = None
    thinking: int | Literal["adaptive"] | None = None
    cache_prefix_chars: int = 0

    @property
    def model_ref(self) -> str:
        return f"{self.provider}:{self.model}"


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ReasoningDelta:
    """Reasoning or thinking text: kept apart from the answer, never fed to later prompts."""

    text: str


@dataclass(frozen=True)
class RequestSent:
    """An attempt's request is going out now; timings start here."""

    attempt: int = 1


@dataclass(frozen=True)
class Waiting:
    """Nothing has arrived yet `waited_s` after the request was sent (first-token timeout is
    `limit_s`); lets a pane say how long it has waited instead of sitting silent."""

    waited_s: float
    limit_s: float


@dataclass(frozen=True)
class StreamEnd:
    """Why the model stopped, as the server said it (`stop`, `length`, `end_turn`, `max_tokens`...).

    `truncated` is True when it stopped at the token limit: the answer is cut off.
    """

    finish_reason: str | None
    truncated: bool = False


@dataclass(frozen=True)
class UsageReport:
    """Token counts as the provider reports them (or estimated, when it reports none).

    `input_tokens` counts every prompt token, including those read from or written to a prompt
    cache; `cache_read_tokens`/`cache_write_tokens` say how many of them were. `output_tokens`
    includes `reasoning_tokens`.
    """

    input_tokens: int
    output_tokens: int
    estimated: bool = False
    reasoning_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def to_usage(self, cost_usd: float | None) -> TokenUsage:
        return TokenUsage(
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            total_tokens=self.input_tokens + self.output_tokens,
            reasoning_tokens=self.reasoning_tokens,
            cache_read_tokens=self.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens,
            cost_usd=cost_usd,
            estimated=self.estimated,
        )


@dataclass(frozen=True)
class Retrying:
    """The provider is about to retry after a transient error (shown in the pane's status)."""

    attempt: int
    delay_s: float
    reason: str


StreamItem = TextDelta | ReasoningDelta | UsageReport | Retrying | RequestSent | Waiting | StreamEnd

OUTPUT_ITEMS = (TextDelta, ReasoningDelta)


def estimate_tokens(text: str) -> int:
    """Roughly four characters a token, the usual rule for English text."""
    return tokens_for_chars(len(text))


def tokens_for_chars(chars: int) -> int:
    return max(1, round(chars / 4)) if chars else 0
