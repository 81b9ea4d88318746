"""The provider contract: stream `StreamItem`s for a `ModelRequest`, raise `ProviderError`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from writeit.domain.errors import WriteItError
from writeit.domain.requests import ModelRequest, StreamItem


class ProviderError(WriteItError):
    """A call failed. `retryable` errors (429, 5xx, connection) may be retried before text."""

    def __init__(self, message: str, *, retryable: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class MissingCredentials(WriteItError):
    """No API key for a provider; the message names the variable to set."""


class ProviderConfigError(WriteItError):
    """A provider's settings cannot work (a malformed base URL...): fix the config, don't retry."""


class ModelRetired(WriteItError):
    """The installed SDK says this model has reached its end of life; the message names a
    replacement."""


class Provider(Protocol):
    """Anything that can stream a model's answer."""

    name: str

    def stream(self, request: ModelRequest) -> AsyncIterator[StreamItem]:
        """Yield `StreamItem`s: text (and reasoning) deltas, then `StreamEnd` and `UsageReport`;
        raise ProviderError on failure."""
        ...
