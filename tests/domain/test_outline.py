"""Items and sections read out of model Markdown, the section text that goes under a heading,
the assembled article, and pipeline files that declare item and section steps."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from writeit.domain.errors import ValidationProblem
from writeit.domain.outline import (
    _MAYBE_HEADING,
    Section,
    _tokens,
    assemble,
    outline_title,
    parse_items,
    parse_sections,
    section_body,
    sections_markdown,
)
from writeit.domain.pipeline import load_pipeline

ANGLES = """Five angles for an article on caching:

1. **The hidden cost** — why it bites
   late in production.
2. **From first principles** — a tour
   - with a nested point
3. **Five mistakes**
4) **Why now**
5. **A field guide**

```
1. not an item (code)
```
"""

OUTLINE = """# Caching, done right

A sentence before the first section.

## Introduction
- Why caching matters
- A story

## The problem
- Stale reads

```md
## not a heading (inside a fence)
```

## Conclusion
"""


def test_numbered_items_keep_their_text_and_nested_lists() -> None:
    items = parse_items(ANGLES)
    assert len(items) == 3  # `4)` starts a new list in CommonMark; the first list has three
    assert items[0] == "**The hidden cost** — why it bites\nlate in production."
    assert items[1].startswith("**From first principles**") and "nested point" in items[1]


def test_bulleted_items_and_text_without_a_list() -> None:
    assert parse_items("Ideas:\n\n* one\n* two idea\n") == ["one", "two idea"]
    assert parse_items("Just a paragraph, no list.") == []
    assert parse_items("- only one") == ["only one"]


def test_sections_are_level_two_headings_with_their_notes() -> None:
    sections = parse_sections(OUTLINE)
    assert [s.title for s in sections] == ["Introduction", "The problem", "Conclusion"]
    assert sections[0].notes == "- Why caching matters\n- A story"
    assert "## not a heading" in sections[1].notes  # a fence is not a heading
    assert sections[2].notes == ""
    assert outline_title(OUTLINE) == "Caching, done right"


def test_a_section_body_never_adds_an_h1_or_h2() -> None:
    body = section_body("## Introduction\n\nText.\n\n# Stray\n\nMore.\n\nSetext\n======\n")
    assert body.splitlines()[0] == "Text."
    assert "### Stray" in body and "### Setext" in body and "======" not in body
    article = assemble("T", [("A", "## A\n\nalpha"), ("B", "beta\n\n## B again\n\nx")])
    heads = [ln for ln in article.splitlines() if ln.startswith(("# ", "## "))]
    assert heads == ["# T", "## A", "## B"]


# Lines of Markdown's block syntax: containers (indents, quotes, list markers) before headings,
# underlines, breaks, fences and text.
_LINE = st.tuples(
    st.sampled_from(["", " ", "   ", "\t", "> ", ">", "- ", "1. ", "  ", "> - "]),
    st.sampled_from(
        ["a", "a b", "-", "---", "- -", "=", "===", "== =", "*", "```", "", "#", "## a"]
    ),
    st.sampled_from(["", " ", "\t"]),
).map("".join)
_BLOCKS = st.lists(_LINE, max_size=8).map("\n".join)


@given(_BLOCKS)
@example("a\n-")
@example("> a\n> ===")
@settings(max_examples=400, deadline=None)
def test_a_text_the_heading_check_passes_over_has_no_heading(text: str) -> None:
    """`section_body` skips the parse when `_MAYBE_HEADING` finds nothing: that must mean
    markdown-it would find no heading either, else a section's stray h2 would go forward."""
    joined = "\n".join(text.strip().splitlines())
    if not _MAYBE_HEADING.search(joined):
        assert not [t for t in _tokens(joined) if t.type == "heading_open"], joined
        assert section_body(text) == joined.strip()


def test_sections_written_back_read_the_same() -> None:
    edited = [Section("Two", "- b"), Section("One", "- a\n- more"), Section("New", "")]
    text = sections_markdown("Title", edited)
    assert parse_sections(text) == edited and outline_title(text) == "Title"


PIPELINE = """name: p
inputs: [{name: topic}]
steps:
  - name: angles
    select: item
    prompt: "{{ inputs.topic }}"
  - name: outline
    prompt: "{{ steps.angles.selected }}"
  - name: draft
    for_each: sections of outline
    prompt: "{{ section.title }} {{ section.notes }} {{ section.previous }}"
"""


def test_a_pipeline_declares_item_and_section_steps(tmp_path: Path) -> None:
    config = load_pipeline(tmp_path / "p.yaml", PIPELINE).config
    assert config.step("angles").select == "item"
    assert config.step("draft").sections_of == "outline"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("for_each: sections of outline", "for_each: outline", "must read 'sections of STEP'"),
        ("for_each: sections of outline", "for_each: sections of nope", "'nope', which is not"),
        ("for_each: sections of outline", "for_each: sections of draft", "does not come earlier"),
        ("select: item", "select: all", "select"),
        ("    for_each: sections of outline\n", "", "only defined in a step with for_each"),
        ("{{ section.title }}", "{{ section.body }}", "a section offers only title"),
    ],
)
def test_mistakes_are_one_line_errors(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(ValidationProblem) as err:
        load_pipeline(tmp_path / "p.yaml", PIPELINE.replace(old, new))
    text = str(err.value)
    assert message in text and "p.yaml:" in text
    assert all("Traceback" not in line for line in text.splitlines())


def test_previous_sections_are_summarised_to_fit_the_budget() -> None:
    from writeit.domain.models import SectionState, StepState
    from writeit.domain.sections import previous_text

    long = "A first sentence of the section. " + "More words follow here. " * 400
    step = StepState(
        name="draft",
        sections=[
            SectionState(title="One", content=long),
            SectionState(title="Two", notes="- planned point"),
            SectionState(title="Three"),
        ],
    )
    whole = previous_text(step, 2, 1_000_000)
    assert long.strip() in whole and "(to be written) - planned point" in whole
    bounded = previous_text(step, 2, 600)
    assert len(bounded) <= 600
    assert "## One" in bounded and "## Two" in bounded and "A first sentence" in bounded
    assert previous_text(step, 0, 600) == ""
