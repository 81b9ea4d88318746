"""Smoke fixtures: the real `writeit` in tmux, as a person runs it."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_tui_tmux import Terminal  # tests/smoke is on sys.path (pytest's prepend mode)


@pytest.fixture
def terminal(home: Path) -> Iterator[Callable[..., Terminal]]:
    """Start `writeit ARGS` in tmux (over the test's home, fast offline models); keyword
    arguments add to or override its environment. Every terminal started is closed after."""
    if shutil.which("tmux") is None:
        pytest.fail(
            "tmux is not installed: this test drives the real app in tmux (.ci/run installs it)"
        )
    opened: list[Terminal] = []

    def start(args: list[str], **extra: str) -> Terminal:
        env = {
            "WRITEIT_HOME": str(home),
            "WRITEIT_OFFLINE_TPS": "200",
            "TERM": "xterm-256color",
            "PATH": os.environ.get("PATH", ""),
        }
        term = Terminal([sys.executable, "-m", "writeit", *args], env | extra)
        opened.append(term)
        return term

    yield start
    for term in opened:
        term.close()
