"""Smoke fixtures: the real `writeit` in tmux, as a person runs it."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from terminal import Terminal, writeit_command  # tests/smoke is on sys.path (prepend mode)


@pytest.fixture
def terminal(home: Path) -> Iterator[Callable[..., Terminal]]:
    """Start `writeit ARGS` in tmux (over the test's home, fast offline models, 120x36 unless
    `size` says otherwise); keyword arguments add to or override its environment. Every
    terminal started is closed after."""
    if shutil.which("tmux") is None:
        pytest.fail(
            "tmux is not installed: this test drives the real app in tmux "
            "(.ci/run installs it; apt-get install tmux)"
        )
    opened: list[Terminal] = []

    def start(args: list[str], size: tuple[int, int] = (120, 36), **extra: str) -> Terminal:
        env = {
            "WRITEIT_HOME": str(home),
            "WRITEIT_OFFLINE_TPS": "200",
            "TERM": "xterm-256color",
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        }
        term = Terminal([*writeit_command(), *args], env | extra, size)
        opened.append(term)
        return term

    yield start
    for term in opened:
        term.close()
