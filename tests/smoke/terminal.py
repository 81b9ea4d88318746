"""One real terminal for the smoke tests: a detached tmux session running `writeit`.

Each terminal runs on its own tmux server (`-L`), so a test closing its session never takes
down a server another test is just connecting to ("server exited unexpectedly" in CI, when
the shared default server exited between one test's kill-session and the next new-session).
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

EXITED = "WRITEIT-EXITED"


def flat(screen: str) -> str:
    """The screen's text with line breaks and runs of spaces as one space (titles wrap at 80)."""
    return " ".join(screen.split())


def writeit_command() -> list[str]:
    """The installed `writeit` console script next to this Python, as a user would run it."""
    script = Path(sys.executable).with_name("writeit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "writeit"]


class Terminal:
    """One detached tmux session of the given size running one command; after the command
    exits the pane shows `WRITEIT-EXITED <status>`."""

    def __init__(
        self, command: list[str], env: dict[str, str], size: tuple[int, int] = (120, 36)
    ) -> None:
        self.name = f"writeit-{uuid.uuid4().hex[:8]}"
        self.log: list[str] = []
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        line = f"env {exports} {shlex.join(command)}; echo {EXITED} $?; sleep 120"
        width, height = size
        self._tmux("new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height), line)

    def _tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.name, *args], capture_output=True, text=True, check=check
        )

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.name, check=False).stdout

    def press(self, key: str) -> None:
        self.log.append(key)
        self._tmux("send-keys", "-t", self.name, key)

    def wait_for(self, predicate: Callable[[str], object], what: str, timeout: float = 30) -> str:
        """Poll the screen until `predicate(flat text)` holds and return that text; fail
        showing the keys pressed and the screen."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if predicate(flat(text)):
                return flat(text)
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out waiting for {what} after keys {self.log}; screen:\n{text}"
                )
            time.sleep(0.1)

    def close(self) -> None:
        """Ends the session; its private server exits with it."""
        self._tmux("kill-session", "-t", self.name, check=False)
