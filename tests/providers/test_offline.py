"""The built-in offline models: deterministic, step-aware, two voices, paced streaming."""

from __future__ import annotations

import time

from writeit.domain.requests import ModelRequest, TextDelta, UsageReport
from writeit.providers.offline import OfflineProvider
from writeit.providers.offline_text import compose, intent_of, tokens

INPUTS = {"topic": "vector databases", "audience": "managers"}


def test_deterministic_and_two_distinct_voices() -> None:
    a = compose("Suggest angles", "writer", "angles", INPUTS)
    assert a == compose("Suggest angles", "writer", "angles", INPUTS)
    assert a != compose("Suggest angles", "editor", "angles", INPUTS)
    assert a != compose("Suggest angles", "writer", "angles", INPUTS, seed=1)


def test_text_fits_the_step() -> None:
    angles = compose("Suggest five angles", "writer", "angles", INPUTS)
    assert [ln[:2] for ln in angles.splitlines() if ln[:1].isdigit()] == [
        "1.",
        "2.",
        "3.",
        "4.",
        "5.",
    ]
    assert "vector databases" in angles and "managers" in angles
    outline = compose("Outline it using this angle:\n" + angles, "editor", "outline", INPUTS)
    assert outline.startswith("# ") and outline.count("\n## ") >= 3
    draft = compose("Write the article from:\n" + outline, "writer", "draft", INPUTS)
    paragraphs = [p for p in draft.split("\n\n") if p and not p.startswith("#")]
    assert len(paragraphs) >= 3 and draft.splitlines()[0] == outline.splitlines()[0]
    polished = compose("Polish this draft.\n\n" + draft, "editor", "polish", INPUTS)
    assert len(polished) < len(draft) and polished.splitlines()[0] == draft.splitlines()[0]


def test_intent_prefers_the_step_name() -> None:
    assert intent_of("draft", "an outline and some angles") == "draft"
    assert intent_of("step2", "Outline the article") == "outline"


async def test_streams_tokens_with_counts() -> None:
    request = ModelRequest(
        provider="offline", model="writer", prompt="Suggest angles", step="angles", inputs=INPUTS
    )
    items = [i async for i in OfflineProvider(tps=0).stream(request)]
    deltas = [i.text for i in items if isinstance(i, TextDelta)]
    usage = items[-1]
    assert isinstance(usage, UsageReport)
    assert "".join(deltas) == compose("Suggest angles", "writer", "angles", INPUTS)
    assert usage.output_tokens == len(deltas) == len(tokens("".join(deltas)))


async def test_paces_at_the_requested_rate() -> None:
    request = ModelRequest(
        provider="offline", model="editor", prompt="x", step="angles", inputs=INPUTS, max_tokens=21
    )
    start = time.monotonic()
    count = sum(
        [1 async for i in OfflineProvider(tps=200).stream(request) if isinstance(i, TextDelta)]
    )
    assert count == 21
    assert time.monotonic() - start >= 20 / 200
