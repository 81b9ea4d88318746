"""Comparing responses fairly: the order panes are shown in, and word-level differences.

Display order. Writers pick the left pane more often whatever it holds, so panes are shown in a
shuffled order. The shuffle is seeded by the responses' own ids (random uuids): every face and
every redraw of the same step shows the same order (a pick event's `shown_order` then records
what the writer really saw), while across steps the order is as random as the ids.

Differences. `word_diff` marks, in each of two texts, the words the other lacks, using the
standard library's `difflib` on whitespace-separated words (a finer, character-level diff
would light up every changed letter of prose; a library would add nothing difflib lacks).
`twins` finds responses with the same words in the same order without a diff at all.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

WORD = re.compile(r"\S+|\s+")


def display_order(response_ids: Sequence[str]) -> list[str]:
    """The step's response ids in the order panes show them: sorted by a hash of each id
    salted with the whole set, so the order is a fixed, uniformly random permutation."""
    salt = "\n".join(sorted(response_ids)).encode()
    return sorted(
        response_ids, key=lambda rid: hashlib.sha256(salt + b"\0" + rid.encode()).digest()
    )


def twins(texts: Sequence[str]) -> list[list[int]]:
    """For each text, the indexes of the other texts with the same words in the same order
    (whitespace aside, as `WordDiff.identical` says); a text without words has no twin."""
    keys = [" ".join(text.split()) for text in texts]
    return [
        [j for j, other in enumerate(keys) if j != i and key and other == key]
        for i, key in enumerate(keys)
    ]


def unnamed(text: str, provider: str, model: str) -> str:
    """`text` (an error, a notice) with a hidden model's name taken out, for blind mode:
    `openai:gpt-4o: timed out` becomes `the model: timed out`."""
    for name in (f"{provider}:{model}", model):
        if name:
            text = text.replace(name, "the model")
    return text


@dataclass(frozen=True)
class Segment:
    """A run of text in one side of a diff; `changed` when the other side lacks it."""

    text: str
    changed: bool


@dataclass(frozen=True)
class WordDiff:
    """Both texts cut into segments, and how alike they are (0..1, over words)."""

    left: list[Segment]
    right: list[Segment]
    similarity: float

    @property
    def identical(self) -> bool:
        """The same words in the same order (whitespace and line breaks aside)."""
        return not any(s.changed for s in self.left + self.right)

    @property
    def changed_words(self) -> tuple[int, int]:
        """How many words of each side the other lacks."""
        return (_words(self.left), _words(self.right))


def _words(segments: list[Segment]) -> int:
    return sum(len(s.text.split()) for s in segments if s.changed)


def word_diff(left: str, right: str) -> WordDiff:
    """Word-level differences between two texts, each side keeping its own whitespace."""
    import difflib  # only when differences are asked for: the engine imports this module

    a, b = WORD.findall(left), WORD.findall(right)
    a_keys, b_keys = [t.strip() for t in a], [t.strip() for t in b]
    matcher = difflib.SequenceMatcher(None, a_keys, b_keys, autojunk=False)
    left_out: list[Segment] = []
    right_out: list[Segment] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        same = op == "equal"
        _add(left_out, a[i1:i2], changed=not same)
        _add(right_out, b[j1:j2], changed=not same)
    words_a = sum(1 for k in a_keys if k)
    words_b = sum(1 for k in b_keys if k)
    matched = sum(
        1
        for block in matcher.get_matching_blocks()
        for k in a_keys[block.a : block.a + block.size]
        if k
    )
    similarity = 1.0 if words_a + words_b == 0 else 2 * matched / (words_a + words_b)
    return WordDiff(left_out, right_out, similarity)


def _add(out: list[Segment], tokens: list[str], *, changed: bool) -> None:
    """Append tokens as one segment; whitespace-only tokens never count as a change."""
    for token in tokens:
        flag = changed and bool(token.strip())
        if out and out[-1].changed == flag:
            out[-1] = Segment(out[-1].text + token, flag)
        else:
            out.append(Segment(token, flag))
