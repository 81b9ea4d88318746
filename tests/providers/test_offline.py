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


def test_angles_never_repeat_the_topics_own_ending() -> None:
    """ "{T} in practice" around "compilers in practice" read "... in practice in practice"."""
    seen = set()
    for seed in range(12):
        angles = compose(
            "Suggest angles", "writer", "angles", {"topic": "compilers in practice"}, seed
        )
        assert "in practice in practice" not in angles.lower()
        seen.add(angles)
    assert len(seen) > 1  # the seeds draw different angles, so the frame had its chances


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


def test_the_shipped_steps_are_followed_item_sections_and_feedback() -> None:
    """tech-article offline: a list to choose from, an outline of sections with notes, a section
    written about its own heading and notes (the first opens with a hook), feedback visible."""
    from writeit.domain.outline import parse_items, parse_sections
    from writeit.engine.prompts import with_feedback

    angles = compose("Suggest five distinct angles.", "writer", "angles", INPUTS)
    chosen = parse_items(angles)[2]
    assert len(parse_items(angles)) == 5
    outline = compose(f"Write an outline. Use this angle:\n{chosen}\n", "writer", "outline", INPUTS)
    sections = parse_sections(outline)
    assert outline.splitlines()[0] == f"# {chosen.split('**')[1]}" and len(sections) == 6
    assert all(s.notes.count("\n- ") >= 2 for s in sections)  # three or four notes each
    first, second = sections[0], sections[1]
    prompt = f'The whole outline:\n{outline}\n\nWrite the section "{second.title}", covering these notes:\n{second.notes}\n\nWrite 150 words.\n'
    text = compose(prompt, "editor", "draft", INPUTS)
    notes = [n[2:].strip() for n in second.notes.splitlines() if n.startswith("- ")]
    assert text.startswith(f"{second.title} starts with") and all(
        n[:1].lower() + n[1:] in text for n in notes
    )
    opening = prompt.replace(second.title, first.title).replace(second.notes, first.notes)
    assert not compose(opening, "editor", "draft", INPUTS).startswith(first.title)  # a hook
    revised = compose(with_feedback(prompt, "More numbers", text), "editor", "draft", INPUTS)
    assert revised.startswith("*Revised to follow your note: More numbers*")
    redone = compose(
        with_feedback("Suggest five angles.", "Shorter", angles), "writer", "angles", INPUTS
    )
    assert redone.startswith("*Revised to follow your note: Shorter*") and parse_items(redone)
