"""Reading structure out of model Markdown: list items to choose from, outline sections to draft.

Both come from markdown-it's token stream (CommonMark), not from regular expressions, so a `1.`
inside a code block, a heading inside a fence, or a list nested under an item are read the way
a Markdown renderer reads them. Texts are cut from the source lines the tokens point at, so an
item or a section's notes go forward exactly as the model wrote them (formatting included).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

_LIST_OPEN = ("ordered_list_open", "bullet_list_open")

# What any h1/h2, in any container, needs on some line: a `#` (an ATX heading), or a run of `=`
# or `-` alone after indentation and quote marks (a setext underline). A superset: a text with
# neither has no heading, and `section_body` need not parse it.
_MAYBE_HEADING = re.compile(r"#|^[ \t>]*(?:=+|-+)[ \t]*$", re.MULTILINE)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark")


@lru_cache(maxsize=16)
def _tokens(text: str) -> tuple[Token, ...]:
    """The text's tokens, kept for the texts read last: the run screen asks the rulebook on
    every step it shows, and on an item step that counted every response's items again (a
    markdown-it parse of each whole response, the largest part of a `left` onto angles).
    Sixteen covers a step of eight panes and its source; more would only hold memory (a long
    session reads hundreds of texts once each)."""
    return tuple(_parser().parse(text))


@dataclass(frozen=True)
class Section:
    """One level-2 section of an outline: its heading and the notes under it (bullets, text)."""

    title: str
    notes: str

    def markdown(self) -> str:
        return f"## {self.title}\n{self.notes}".rstrip() + "\n"


def parse_items(text: str) -> list[str]:
    """The items of the first top-level list with two or more items (else of the first list).

    An item's text is its source lines without the list marker, continuation lines dedented and
    nested lists kept. A text without any list has no items (it can still be picked whole).
    """
    lines = text.splitlines()
    lists: list[list[str]] = []
    current: list[str] | None = None
    for token in _tokens(text):
        if token.level == 0 and token.type in _LIST_OPEN:
            current = []
            lists.append(current)
        elif token.level == 0 and token.type.endswith("_list_close"):
            current = None
        elif current is not None and token.level == 1 and token.type == "list_item_open":
            start, end = token.map or (0, 0)
            current.append(_item_text(lines[start:end], token.markup, token.info))
    lists = [[i for i in items if i] for items in lists]
    return next((items for items in lists if len(items) >= 2), lists[0] if lists else [])


def _item_text(lines: list[str], marker: str, number: str) -> str:
    if not lines:
        return ""
    first = lines[0].lstrip()
    prefix = f"{number}{marker}" if number else marker
    first = first[len(prefix) :] if first.startswith(prefix) else first
    rest = [ln.strip() for ln in lines[1:]]
    body = [first.strip(), *rest]
    while body and not body[-1]:
        body.pop()
    return "\n".join(body).strip()


def parse_sections(text: str) -> list[Section]:
    """The level-2 headings of `text` with what stands under each until the next h1/h2."""
    lines = text.splitlines()
    heads: list[tuple[int, int, str | None]] = []  # start, end line, h2 title (None: an h1)
    tokens = _tokens(text)
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag in ("h1", "h2") and token.map:
            title = tokens[i + 1].content.strip() if token.tag == "h2" else None
            heads.append((token.map[0], token.map[1], title))
    sections = []
    for n, (_, end, title) in enumerate(heads):
        if not title:
            continue
        stop = heads[n + 1][0] if n + 1 < len(heads) else len(lines)
        notes = "\n".join(lines[end:stop]).strip("\n").rstrip()
        sections.append(Section(title=title, notes=notes))
    return sections


def no_sections(step: str, source: str) -> str:
    """Why section step `step` cannot start: `source`'s text has no level-2 heading (one
    sentence, for the rulebook's refusal and the engine's own check alike)."""
    return (
        f"step '{step}' drafts one section per level-2 heading (## ...) of '{source}', "
        f"and '{source}' has none: edit it to add sections"
    )


def outline_title(text: str) -> str | None:
    """The first level-1 heading's text, if the outline has one."""
    tokens = _tokens(text)
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1":
            return tokens[i + 1].content.strip() or None
    return None


def section_body(text: str) -> str:
    """A section response fit to stand under its outline heading.

    A leading h1/h2 the model repeated is dropped and any other h1/h2 becomes h3, so the
    assembled article's level-2 headings are exactly the outline's, each once.
    """
    lines = text.strip().splitlines()
    joined = "\n".join(lines)
    if not _MAYBE_HEADING.search(joined):
        return joined.strip()  # most sections: no parse (a replay assembles every section step)
    drop: set[int] = set()
    demote: set[int] = set()
    for token in _tokens(joined):
        if token.type == "heading_open" and token.tag in ("h1", "h2") and token.map:
            start = token.map[0]
            leading = not any(ln.strip() for ln in lines[:start])
            if leading and token.markup.startswith("#"):
                drop.add(start)
            elif token.markup.startswith("#"):
                demote.add(start)
            else:  # a setext heading (text underlined with === or ---): make it an h3
                demote.add(start)
                drop.update(range(start + 1, token.map[1]))
    out = []
    for i, line in enumerate(lines):
        if i in drop:
            continue
        out.append("### " + line.lstrip().lstrip("#").strip() if i in demote else line)
    return "\n".join(out).strip()


def assemble(title: str | None, sections: list[tuple[str, str]]) -> str:
    """The chosen sections in outline order under their headings, after the title if any."""
    parts = [f"# {title}"] if title else []
    parts += [f"## {heading}\n\n{section_body(body)}".rstrip() for heading, body in sections]
    return "\n\n".join(parts) + "\n"


def sections_markdown(title: str | None, sections: list[Section]) -> str:
    """An outline written back from its sections (the section list's edits are outline edits)."""
    parts = [f"# {title}\n"] if title else []
    parts += [s.markdown() for s in sections]
    return "\n".join(parts)
