"""Shuffled display order, word differences, paragraph splitting/alignment and stitching."""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from datetime import UTC, datetime

from writeit.domain.compare import display_order, twins, unnamed, word_diff
from writeit.domain.models import AIResponse
from writeit.domain.status import ResponseStatus
from writeit.domain.stitch import align, paragraphs, piece_of, stitched


def test_display_order_is_stable_per_step_and_uniform_across_steps() -> None:
    ids = [str(uuid.uuid4()) for _ in range(3)]
    assert display_order(ids) == display_order(list(reversed(ids)))  # a set's one order
    assert sorted(display_order(ids)) == sorted(ids)
    firsts: Counter[int] = Counter()
    for _ in range(3000):
        step = [str(uuid.uuid4()) for _ in range(3)]
        firsts[step.index(display_order(step)[0])] += 1
    assert all(800 < firsts[i] < 1200 for i in range(3)), firsts  # each model leads ~1/3


def test_word_diff_marks_the_words_each_side_lacks() -> None:
    diff = word_diff("The cat sat on the mat.", "The dog sat on the mat.")
    assert [s.text for s in diff.left if s.changed] == ["cat"]
    assert [s.text for s in diff.right if s.changed] == ["dog"]
    assert "".join(s.text for s in diff.left) == "The cat sat on the mat."
    assert round(diff.similarity, 3) == round(10 / 12, 3)
    assert not diff.identical and diff.changed_words == (1, 1)


def test_a_word_both_keep_is_not_lit_and_a_changed_run_is_one_segment() -> None:
    diff = word_diff("the whole database into memory", "the database file into RAM right now")
    assert [s.text for s in diff.left if s.changed] == ["whole", "memory"]
    assert [s.text for s in diff.right if s.changed] == ["file", "RAM right now"]
    assert "".join(s.text for s in diff.right) == "the database file into RAM right now"


def test_identical_up_to_whitespace_is_flagged() -> None:
    diff = word_diff("One  two\nthree", "One two three")
    assert diff.identical and diff.similarity == 1.0
    assert not word_diff("a b", "a c").identical
    assert word_diff("", "").identical


def test_unnamed_takes_a_hidden_model_out_of_a_message() -> None:
    said = "openai:gpt-4o: model 'gpt-4o' not found (404)"
    assert unnamed(said, "openai", "gpt-4o") == "the model: model 'the model' not found (404)"
    assert unnamed("timed out", "openai", "gpt-4o") == "timed out"


def test_twins_are_texts_with_the_same_words_in_the_same_order() -> None:
    texts = ["One  two\nthree", "Other words", "One two three", "", "  "]
    assert twins(texts) == [[2], [], [0], [], []]  # empty texts are nobody's twin
    assert all(
        word_diff(texts[i], texts[j]).identical for i, js in enumerate(twins(texts)) for j in js
    )


def test_paragraphs_split_blocks_headings_and_keep_fences_whole() -> None:
    text = "# Title\nIntro line one\nline two\n\n```\ncode\n\nmore code\n```\n\n## Next\n\nLast."
    assert paragraphs(text) == [
        "# Title",
        "Intro line one\nline two",
        "```\ncode\n\nmore code\n```",
        "## Next",
        "Last.",
    ]


def test_align_by_shared_headings_else_by_position() -> None:
    a = paragraphs("Intro A\n\n## Costs\n\nA costs\n\n## Risks\n\nA risks")
    b = paragraphs("## Risks\n\nB risks\n\nB more risks\n\n## Costs\n\nB costs")
    rows = align([a, b])
    assert rows == [[0, None], [1, 3], [2, 4], [3, 0], [4, 1], [None, 2]]
    assert align([["x", "y"], ["z"]]) == [[0, 0], [1, None]]


def _response(rid: str, model: str, content: str) -> AIResponse:
    return AIResponse(
        response_id=rid,
        provider="offline",
        model=model,
        prompt_used="p",
        content=content,
        status=ResponseStatus.COMPLETED,
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )


def test_stitched_pieces_carry_their_sources() -> None:
    a = _response("a" * 8, "writer", "A one.\n\nA two.")
    b = _response("b" * 8, "editor", "B one.\n\nB two.")
    pieces = [piece_of(b, 1), piece_of(a, 0).edited_to("A one, improved."), piece_of(a, 1)]
    content, provenance = stitched(pieces)
    assert content == "B two.\n\nA one, improved.\n\nA two."
    assert [(p.response_id, p.model, p.paragraph, p.edited) for p in provenance] == [
        ("b" * 8, "offline:editor", 1, False),
        ("a" * 8, "offline:writer", 0, True),
        ("a" * 8, "offline:writer", 1, False),
    ]
    back = piece_of(a, 0).edited_to("A one, improved.").edited_to("A one.")
    assert not back.source.edited  # edited back to the original: unchanged
    assert list(itertools.chain(*align([paragraphs(a.content)]))) == [0, 1]
