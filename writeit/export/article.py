"""The publishable Markdown article: front matter a static site generator reads, one H1.

Hugo, Jekyll and Astro all read a leading `---` YAML block, so the article carries its title,
date, description, tags, the models that wrote it and the run id there; the body has exactly
one H1 (the title) because site themes print the title themselves and a second H1 breaks their
outline and SEO checks. Model text is untrusted and may hold terminal control sequences or its
own `# Title`: both are dealt with here, so every format built on this text inherits the fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import yaml

from writeit.domain.models import PipelineRun
from writeit.domain.redact import strip_control

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

NO_ARTICLE = "_(no article yet: the run has not reached its last step)_"
DESCRIPTION_CHARS = 200
TAG_INPUTS = ("tags", "keywords")  # a pipeline input with one of these names becomes the tags
SHORT_TOPIC_WORDS = 4  # a topic this short reads as a tag ("LMDB", "Rust async")
ATX = re.compile(r"^([^#]*?)(#{1,6})(?=[ \t]|$)")
SETEXT_H1 = re.compile(r"=+")
HTML_H1 = re.compile(r"<(/?)h1\b", re.IGNORECASE)


@cache
def _parser() -> MarkdownIt:
    """CommonMark plus tables and strikethrough: what models write and the TUI renders.
    Imported on first use: every command that opens an engine loads this module, and
    markdown-it costs about 25 ms to import."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _parse(text: str) -> list[Token]:
    return _parser().parse(text)


@dataclass(frozen=True)
class Article:
    """The parts a publishing export is made of, each free of control sequences."""

    title: str
    front_matter: dict[str, Any]
    body: str  # the article text under the title: no H1 of its own
    appendix: str | None = None  # the step-by-step making-of, only when asked for

    def markdown(self) -> str:
        """Front matter, the single H1, the body and (when asked for) the appendix."""
        parts = [front_matter_block(self.front_matter), f"# {self.title}", self.body]
        if self.appendix:
            parts += ["---", self.appendix]
        return "\n\n".join(p.strip("\n") for p in parts) + "\n"

    def markdown_without_title(self) -> str:
        """For pandoc: it prints the title from the front matter, so the H1 line would be a
        second title."""
        matter = dict(self.front_matter)
        if matter["description"]:  # pandoc's <meta name="description"> comes from this key
            matter["description-meta"] = matter["description"]
        parts = [front_matter_block(matter), self.body]
        if self.appendix:
            parts += ["---", self.appendix]
        return "\n\n".join(p.strip("\n") for p in parts) + "\n"


def build_article(run: PipelineRun, appendix: str | None = None) -> Article:
    """The run's article made publishable. A leading H1 the model wrote is its headline, so it
    becomes the title (and leaves the body); without one the topic is the title."""
    text = strip_control(run.article or "").strip("\n")
    headline, body = split_headline(text)
    topic = _one_line(strip_control(run.inputs.get("topic", "")))
    title = headline or topic or run.pipeline
    body = demote_headings(body) if body.strip() else NO_ARTICLE
    description = first_paragraph(body) if run.article else ""
    matter: dict[str, Any] = {
        "title": title,
        "date": _last_activity(run),
        "description": description or topic,
        "tags": tags_of(run),
        "models": models_of(run),
        "run_id": run.run_id,
    }
    return Article(title, matter, body, strip_control(appendix) if appendix else None)


# -- headings ------------------------------------------------------------------------------------


def _headings(tokens: list[Token]) -> list[tuple[Token, Token]]:
    """(heading_open, its inline) for every Markdown heading, at any nesting depth."""
    return [
        (tok, tokens[i + 1])
        for i, tok in enumerate(tokens)
        if tok.type == "heading_open" and tok.map is not None
    ]


def split_headline(text: str) -> tuple[str, str]:
    """(the leading H1 as plain text, the rest). ("", text) when the text does not open with
    an H1 at the top level."""
    tokens = _parse(text)
    first = next((t for t in tokens if t.level == 0), None)
    if first is None or first.type != "heading_open" or first.tag != "h1" or first.map is None:
        return "", text
    inline = tokens[tokens.index(first) + 1]
    lines = text.splitlines()
    start, end = first.map
    rest = "\n".join(lines[:start] + lines[end:]).strip("\n")
    return _one_line(plain_text(inline)), rest


def demote_headings(text: str, by: int | None = None) -> str:
    """Shift every heading down so none is an H1 (levels stop at 6).

    `by=None` shifts by one, and only when an H1 is present, so an article that already starts
    at H2 keeps its levels; code blocks are left alone because the parser knows a `# comment`
    in a fence is not a heading. Raw `<h1>` in HTML blocks becomes `<h2>` for the same reason.
    """
    tokens = _parse(text)
    heads = _headings(tokens)
    html_h1 = any(t.type == "html_block" and HTML_H1.search(t.content) for t in tokens)
    if by is None:
        if not html_h1 and not any(h.tag == "h1" for h, _ in heads):
            return text
        by = 1
    lines = text.splitlines()
    drop: set[int] = set()
    for head, inline in heads:
        assert head.map is not None
        start, end = head.map
        level = min(6, int(head.tag[1]) + by)
        if head.markup.startswith("#"):
            lines[start] = ATX.sub(r"\g<1>" + "#" * level, lines[start], count=1)
        elif level == 2:  # setext H1 -> setext H2: only the underline changes
            lines[end - 1] = SETEXT_H1.sub(lambda m: "-" * len(m.group(0)), lines[end - 1], 1)
        elif head.level == 0:  # setext has no H3: write it as one ATX line
            lines[start] = "#" * level + " " + " ".join(inline.content.split())
            drop.update(range(start + 1, end))
        elif head.tag == "h1":  # nested setext H1 (rare): H2 is enough to keep one H1
            lines[end - 1] = SETEXT_H1.sub(lambda m: "-" * len(m.group(0)), lines[end - 1], 1)
    for tok in tokens:
        if tok.type == "html_block" and tok.map is not None:
            for i in range(*tok.map):
                lines[i] = HTML_H1.sub(lambda m: f"<{m.group(1)}h2", lines[i])
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)


def count_h1(text: str) -> int:
    """How many H1 headings (Markdown or raw HTML) a Markdown document has."""
    tokens = _parse(text)
    markdown = sum(1 for h, _ in _headings(tokens) if h.tag == "h1")
    raw = sum(
        len(re.findall(r"<h1\b", t.content, re.IGNORECASE))
        for t in tokens
        if t.type == "html_block"
    )
    return markdown + raw


# -- front matter ---------------------------------------------------------------------------------


class _FrontMatterDumper(yaml.SafeDumper):
    """Dates as unquoted ISO 8601 timestamps: Hugo, Jekyll and Astro's `z.date()` read those as
    dates; a quoted string fails Astro's schema and PyYAML's default uses a space, not `T`."""


def _timestamp(dumper: yaml.SafeDumper, value: datetime) -> yaml.ScalarNode:
    return dumper.represent_scalar(
        "tag:yaml.org,2002:timestamp", value.isoformat(timespec="seconds")
    )


_FrontMatterDumper.add_representer(datetime, _timestamp)


def front_matter_block(matter: dict[str, Any]) -> str:
    """`---`, the YAML, `---`: the block static site generators look for at the very top."""
    text = yaml.dump(
        matter,
        Dumper=_FrontMatterDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=10_000,  # one line per value: folded scalars are valid but read badly
    )
    return f"---\n{text}---"


def _last_activity(run: PipelineRun) -> datetime:
    """When the run last produced text: the closest thing a run has to a publication date."""
    times = [r.created_at for s in run.steps.values() for r in s.responses.values()]
    return max([run.created_at, *times])


def tags_of(run: PipelineRun) -> list[str]:
    """Tags from the inputs: a `tags`/`keywords` input (comma separated) when the pipeline has
    one, else the topic when it is short enough to be a tag; [] otherwise (never absent,
    since site schemas often declare tags as a list)."""
    for name in TAG_INPUTS:
        if value := run.inputs.get(name):
            tags = [_one_line(strip_control(t)) for t in value.replace("\n", ",").split(",")]
            return list(dict.fromkeys(t for t in tags if t))
    topic = _one_line(strip_control(run.inputs.get("topic", "")))
    return [topic] if topic and len(topic.split()) <= SHORT_TOPIC_WORDS else []


def models_of(run: PipelineRun) -> list[str]:
    """`provider:model` of every response that wrote something, in the order they ran."""
    seen: dict[str, None] = {}
    for step in run.ordered_steps():
        for r in step.ordered_responses():
            if r.content:
                seen[strip_control(f"{r.provider}:{r.model}")] = None
    return list(seen)


# -- text ----------------------------------------------------------------------------------------


def plain_text(inline: Token) -> str:
    """The readable text of an inline token: emphasis, links and code marks removed."""
    out: list[str] = []
    for child in _children(inline):
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
    return "".join(out)


def _children(inline: Token) -> Iterable[Token]:
    for child in inline.children or []:
        if child.type == "image":  # its alt text lives in its children
            yield from _children(child)
        else:
            yield child


def first_paragraph(text: str) -> str:
    """The first top-level paragraph as one line of plain text, cut at a word near 200
    characters: what search results and link previews show."""
    tokens = _parse(text)
    for i, tok in enumerate(tokens):
        if tok.type == "paragraph_open" and tok.level == 0:
            para = _one_line(plain_text(tokens[i + 1]))
            if para:
                return _clip(para, DESCRIPTION_CHARS)
    return ""


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return cut + "…"


def _one_line(text: str) -> str:
    return " ".join(text.split())
