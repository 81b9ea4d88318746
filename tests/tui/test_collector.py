"""While responses stream, the heap is frozen again and again, so a full collection scans only
what was made since; once the last stream ends nothing stays frozen (writeit.tui.collector)."""

from __future__ import annotations

import gc

import pytest
from textual.app import App

from writeit.tui import collector
from writeit.tui.collector import StreamingCollector

from .helpers import wait_until


async def test_objects_made_while_streaming_are_frozen_and_all_thawed_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(collector, "REFREEZE_S", 0.05)
    app: App[None] = App()
    async with app.run_test() as pilot:
        streams = StreamingCollector(app)
        streams.started()
        at_start = gc.get_freeze_count()
        assert at_start > 0, "the heap was not frozen when the stream started"
        lines = [[i] for i in range(5000)]  # what a pane renders while streaming
        made = len(lines)
        await wait_until(pilot, lambda: gc.get_freeze_count() >= at_start + made, what="a refreeze")
        streams.started()  # a second step streams alongside
        streams.ended()
        assert gc.get_freeze_count() > 0, "one stream ending thawed the heap under the other"
        streams.ended()
        assert gc.get_freeze_count() == 0, "the heap stayed frozen after the last stream"
        frozen_later = gc.get_freeze_count()
        await pilot.pause(0.2)
        assert gc.get_freeze_count() == frozen_later == 0, "it froze again with nothing streaming"
