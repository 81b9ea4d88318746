"""The real `writeit new` in a real terminal (tmux): choose, pick and accept every step, export
with `x` and `enter` (the default format)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from terminal import Terminal  # tests/smoke is on sys.path (prepend mode)

pytestmark = pytest.mark.slow


def test_new_run_picked_through_every_step_then_exported(
    terminal: Callable[..., Terminal], home: Path
) -> None:
    """tech-article: an angle chosen as an item (`1`: item 1 of the highlighted pane), the
    outline picked (`1`), its sections drafted (`r`) and accepted (`A`), the same for polish."""
    term = terminal(["new", "tech-article", "--input", "topic=LMDB in tmux"])
    term.wait_for(
        lambda s: "angles —" in s and "Choose one item:" in s and "▸ pane 1 · 1." in s,
        "the angles' items and what the keys do",
    )
    term.press("1")
    term.wait_for(lambda s: "outline —" in s and "Pick one to continue" in s, "the outline")
    term.press("1")
    for source in ("outline", "draft"):
        term.wait_for(lambda s, src=source: f"sections from '{src}'" in s, f"{source}'s sections")
        term.press("r")
        term.wait_for(
            lambda s: re.search(r"Sections 0/\d chosen", s) is not None and "streaming" not in s,
            f"the sections of {source} written",
        )
        term.press("A")
    term.wait_for(lambda s: "Article complete" in s, "the run to complete")
    term.press("x")
    term.wait_for(lambda s: "Export this run as" in s, "the export dialog")
    term.press("Enter")  # the configured default format (yaml) is highlighted
    screen = term.wait_for(lambda s: "Exported to" in s, "the export toast")
    exports = list((home / "exports").glob("tech-article-*.yaml"))
    assert len(exports) == 1, screen
    text = exports[0].read_text()
    assert "topic: LMDB in tmux" in text and "status: completed" in text


def test_long_article_section_by_section_in_few_keys(
    terminal: Callable[..., Terminal], home: Path
) -> None:
    """Issue 11 as a new user tries it: choose an angle (enter), pick the outline (1), see
    and draft its sections (r), accept every section (A), then the same for polish: 6 keys
    after the inputs (the goal is at most 4 + 7 + 2), each answered on screen."""
    term = terminal(["new", "long-article", "--input", "topic=SQLite in tmux"])
    term.wait_for(lambda s: "Choose one of" in s and "▸ pane 1 · 1." in s, "the angles' items")
    term.press("Enter")
    term.wait_for(lambda s: "outline —" in s and "Pick one to continue" in s, "the outline")
    term.press("1")
    term.wait_for(lambda s: "7 sections from 'outline'" in s, "the section list before drafting")
    term.press("r")
    term.wait_for(lambda s: "Sections 0/7 chosen" in s and "streaming" not in s, "7 drafts")
    term.press("A")
    term.wait_for(lambda s: "7 sections from 'draft'" in s, "polish's section list")
    term.press("r")
    term.wait_for(lambda s: "Sections 0/7 chosen" in s and "streaming" not in s, "7 polishes")
    term.press("A")
    term.wait_for(lambda s: "Article complete" in s, "the run to complete")
    term.press("Left")  # the next key is answered
    term.wait_for(lambda s: "draft —" in s and "Sections 7/7 chosen" in s, "the draft step")
