"""Stitching: the paragraphs of several responses side by side, and a result built from them.

A paragraph is a Markdown block: text between blank lines, a heading line on its own, or a whole
fenced code block (never cut inside its fence). Responses are aligned by heading when they share
headings (an outline's "## Costs" sits beside the other's "## Costs" whatever came before), else
by position. The result is a list of pieces, each knowing its source, so the edit that goes
forward carries per-paragraph provenance.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from writeit.domain.models import AIResponse
from writeit.domain.provenance import ParagraphSource

HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def paragraphs(text: str) -> list[str]:
    """Split Markdown into blocks; a heading is a block of its own, a fence is never split."""
    blocks: list[str] = []
    current: list[str] = []
    fence: str | None = None

    def close() -> None:
        if current:
            blocks.append("\n".join(current).strip("\n"))
            current.clear()

    for line in text.strip().splitlines():
        opener = FENCE.match(line)
        if fence is not None:
            current.append(line)
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence):
                fence = None
            continue
        if opener:
            fence = opener.group(1)
            current.append(line)
        elif not line.strip():
            close()
        elif HEADING.match(line):
            close()
            blocks.append(line.strip())
        else:
            current.append(line)
    close()
    return [b for b in blocks if b.strip()]


def heading_key(block: str) -> str | None:
    """A heading's words, lowercased without punctuation, for matching across responses."""
    match = HEADING.match(block)
    if match is None:
        return None
    return " ".join(re.sub(r"[^\w\s]", " ", match.group(2).lower()).split())


Row = list[int | None]  # per response: the paragraph index shown in this row, or None


def align(columns: Sequence[Sequence[str]]) -> list[Row]:
    """Rows of paragraph indices, one entry per column: by shared headings, else by position."""
    sections = [_sections(col) for col in columns]
    counts: dict[str, int] = {}
    for secs in sections:
        for key in {k for k, _ in secs if k}:
            counts[key] = counts.get(key, 0) + 1
    if not any(n > 1 for n in counts.values()):
        return _by_position([list(range(len(col))) for col in columns])
    order: list[str] = []
    for secs in sections:
        order += [k for k, _ in secs if k not in order]
    rows: list[Row] = []
    for key in order:
        rows += _by_position([dict(secs).get(key, []) for secs in sections])
    return rows


def _sections(blocks: Sequence[str]) -> list[tuple[str, list[int]]]:
    """Blocks grouped under their heading (`""` before the first), each heading once."""
    out: list[tuple[str, list[int]]] = [("", [])]
    seen: set[str] = {""}
    for i, block in enumerate(blocks):
        key = heading_key(block)
        if key is not None:
            while key in seen:  # a repeated heading gets its own section
                key += "'"
            seen.add(key)
            out.append((key, []))
        out[-1][1].append(i)
    return [(k, ix) for k, ix in out if ix]


def _by_position(lists: Sequence[Sequence[int]]) -> list[Row]:
    depth = max((len(ix) for ix in lists), default=0)
    return [[ix[r] if r < len(ix) else None for ix in lists] for r in range(depth)]


@dataclass(frozen=True)
class Piece:
    """One paragraph of the result: its text and where it came from."""

    text: str
    source: ParagraphSource
    original: str = ""  # the source paragraph as the model wrote it ("" for the writer's own)

    def edited_to(self, text: str) -> Piece:
        """This piece with new text, marked edited unless the text is back to the original."""
        changed = text.strip() != self.original.strip() if self.original else True
        return replace(self, text=text, source=self.source.model_copy(update={"edited": changed}))


def piece_of(response: AIResponse, index: int) -> Piece:
    """Paragraph `index` of `response`, taken as it is."""
    text = paragraphs(response.content)[index]
    source = ParagraphSource(
        response_id=response.response_id, model=response.model_ref, paragraph=index
    )
    return Piece(text=text, source=source, original=text)


def stitched(pieces: Sequence[Piece]) -> tuple[str, list[ParagraphSource]]:
    """The content the pieces make (blank lines between them) and its provenance, in order."""
    return "\n\n".join(p.text.strip("\n") for p in pieces), [p.source for p in pieces]
