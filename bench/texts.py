"""The text the benchmarks stream: a Markdown article in ~4-character tokens.

Shaped like what a model writes (sections, paragraphs of a few sentences, lists, code blocks),
because the renderer's cost depends on the shape: a paragraph is re-drawn until its blank line.
"""

from __future__ import annotations

import re

PARAGRAPH = (
    "Streaming several models side by side changes how a writer works. Each pane fills at its "
    "own pace, and the eye moves between them, comparing openings, structure and tone. "
    "The renderer must keep up without making the keyboard wait, even when the models are fast "
    "and the responses long. A `frame timer` batches what arrived since the last paint. "
)
LIST = "- **Latency** stays low while text streams\n- Panes scroll to follow the newest line\n"
CODE = '```python\ndef flush(self) -> None:\n    text = "".join(self.pending)\n```\n'


def markdown_tokens(n: int, seed: int) -> list[str]:
    """`n` tokens of ~4 characters making a Markdown article (sections, lists, code)."""
    parts: list[str] = []
    section = seed
    while sum(len(p) for p in parts) < n * 5:
        section += 1
        parts.append(f"## Section {section}: what the panes show\n\n")
        parts.append(PARAGRAPH * (1 + section % 3) + "\n\n")
        parts.append(LIST + "\n" if section % 2 else CODE + "\n")
    text = "".join(parts)
    return re.findall(r"\s*[^\s]{1,4}|\s+", text)[:n]
