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

WORD = re.compile(r"(\S+)(\s*)")  # a word and the whitespace after it


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
    """Word-level differences between two texts, each side keeping its own whitespace.

    Only words are matched: whitespace rides along after its word (matching the gaps too
    would anchor the alignment on every space and pair words by position)."""
    import difflib  # only when differences are asked for: the engine imports this module

    a, b = WORD.findall(left), WORD.findall(right)
    matcher = difflib.SequenceMatcher(None, [w for w, _ in a], [w for w, _ in b], autojunk=False)
    left_out = [Segment(_lead(left), False)]
    right_out = [Segment(_lead(right), False)]
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        _add(left_out, a[i1:i2], changed=op != "equal")
        _add(right_out, b[j1:j2], changed=op != "equal")
    matched = sum(block.size for block in matcher.get_matching_blocks())
    total = len(a) + len(b)
    similarity = 1.0 if total == 0 else 2 * matched / total
    return WordDiff(_tidy(left_out), _tidy(right_out), similarity)


def _lead(text: str) -> str:
    return text[: len(text) - len(text.lstrip())]


def _add(out: list[Segment], words: list[tuple[str, str]], *, changed: bool) -> None:
    """Append words (each with the whitespace after it): a changed run is one segment, the
    spaces inside it included, the whitespace after its last word not."""
    if not words:
        return
    text = "".join(w + gap for w, gap in words)
    tail = words[-1][1]
    body = text[: len(text) - len(tail)] if changed else text
    for part, flag in ((body, changed), (tail if changed else "", False)):
        if part and out[-1].changed == flag:
            out[-1] = Segment(out[-1].text + part, flag)
        elif part:
            out.append(Segment(part, flag))


def _tidy(segments: list[Segment]) -> list[Segment]:
    """Without the empty segment a text with no leading whitespace starts with."""
    return [s for s in segments if s.text]
