"""A stream is read in batches: after an event it had to wait for, the reader pauses so the
next events gather, and takes buffered events at once (providers.sdk_base.coalesced)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from writeit.providers import sdk_base
from writeit.providers.sdk_base import READ_PAUSE_S, coalesced

NETWORK_WAIT_S = 0.03  # far above the wake threshold below, so a loaded machine cannot blur them


@pytest.fixture(autouse=True)
def wake_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    """A buffered event comes in microseconds and a waited one after NETWORK_WAIT_S; telling
    them apart at 10 ms leaves room for a busy CI machine's scheduling hiccups."""
    monkeypatch.setattr(sdk_base, "WOKE_S", 0.01)


async def network(rounds: list[int]) -> AsyncIterator[str]:
    """Events as a socket delivers them: each round waits on the network, then its events
    are all buffered (read without waiting)."""
    for r, count in enumerate(rounds):
        await asyncio.sleep(NETWORK_WAIT_S)  # nothing buffered: the reader waits for the server
        for i in range(count):
            yield f"{r}.{i}"


async def test_the_reader_pauses_after_each_wait_and_never_between_buffered_events() -> None:
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    got = [event async for event in coalesced("head", network([3, 1, 4]), pause)]
    assert got == ["head", "0.0", "0.1", "0.2", "1.0", "2.0", "2.1", "2.2", "2.3"]
    # One pause per round (after its first event, the one waited for), none per event
    assert pauses == [READ_PAUSE_S] * 3


async def test_a_stop_lands_at_the_next_buffered_event_not_at_the_end_of_the_batch() -> None:
    got: list[str] = []

    async def read() -> None:
        async for event in coalesced("head", network([50])):
            got.append(event)
            if len(got) == 4:  # the budget is reached here: the engine cancels the stream
                task = asyncio.current_task()
                assert task is not None
                task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await asyncio.create_task(read())
    assert got == ["head", "0.0", "0.1", "0.2"], "events past the stop were read"
