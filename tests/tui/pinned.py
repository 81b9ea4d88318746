"""What snapshot tests pin so their pictures never drift: uuids, stream timings, zone, clock."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from stores import open_engine

from writeit.engine import Engine, fanout

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def pinned(monkeypatch: pytest.MonkeyPatch, uuid_base: int) -> Iterator[None]:
    """Counting uuids from `uuid_base` (one base per module keeps their ids apart), zero-length
    stream timings and UTC, for as long as the generator is suspended."""
    counter = itertools.count(1)
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=(uuid_base + next(counter)) << 120))
    monkeypatch.setattr(fanout, "time", SimpleNamespace(monotonic=lambda: 100.0))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def pinned_engine(home: Path) -> Iterator[Engine]:
    """An engine whose clock always says NOW, so every event and row has the same time."""
    eng, _ = open_engine(home, clock=lambda: NOW)
    with eng:
        yield eng
