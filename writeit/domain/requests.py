"""What the engine asks of a provider and what a provider streams back."""

from __future__ import annotations

from dataclasses import dataclass, field

from writeit.domain.models import TokenUsage


@dataclass(frozen=True)
class ModelRequest:
    """One call to one model. `step` and `inputs` are hints the offline writer uses."""

    provider: str
    model: str
    prompt: str
    system: str | None = None
    temperature: float = 0.7
    max_tokens: int = 1500
    seed: int = 0
    step: str = ""
    inputs: dict[str, str] = field(default_factory=dict)

    @property
    def model_ref(self) -> str:
        return f"{self.provider}:{self.model}"


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class UsageReport:
    """Token counts as the provider reports them (or estimated, when it reports none)."""

    input_tokens: int
    output_tokens: int
    estimated: bool = False

    def to_usage(self, cost_usd: float | None) -> TokenUsage:
        return TokenUsage(
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            total_tokens=self.input_tokens + self.output_tokens,
            cost_usd=cost_usd,
            estimated=self.estimated,
        )


@dataclass(frozen=True)
class Retrying:
    """The provider is about to retry after a transient error (shown in the pane's status)."""

    attempt: int
    delay_s: float
    reason: str


StreamItem = TextDelta | UsageReport | Retrying


def estimate_tokens(text: str) -> int:
    """Roughly four characters a token, the usual rule for English text."""
    return tokens_for_chars(len(text))


def tokens_for_chars(chars: int) -> int:
    return max(1, round(chars / 4)) if chars else 0
