"""The writer's own editor (`$VISUAL`, else `$EDITOR`, else `vi`) on a temporary Markdown file.

The app suspends around the call (`App.suspend()`), so the editor gets the real terminal and the
app redraws when it exits. An empty or unchanged file means "changed my mind": nothing is saved.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from textual.app import App, SuspendNotSupported

from writeit.domain.errors import WriteItError


def editor_command(environ: Mapping[str, str]) -> list[str]:
    """The command line of the writer's editor (`code --wait`, `nvim`, ...)."""
    for name in ("VISUAL", "EDITOR"):
        value = environ.get(name, "").strip()
        if value:
            return shlex.split(value)
    return ["vi"]


def edit_text(text: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Open `text` in the editor and return what was saved; None when empty or unchanged."""
    command = editor_command(os.environ if environ is None else environ)
    with tempfile.TemporaryDirectory(prefix="writeit-") as tmp:
        path = Path(tmp) / "step.md"
        path.write_text(text, encoding="utf-8")
        try:
            done = subprocess.run([*command, str(path)], check=False)
        except OSError as exc:
            raise WriteItError(f"cannot start the editor '{command[0]}': {exc.strerror}") from None
        if done.returncode != 0:
            raise WriteItError(
                f"the editor '{command[0]}' exited with {done.returncode}; nothing was saved"
            )
        saved = path.read_text(encoding="utf-8", errors="replace")
    if not saved.strip() or saved.strip() == text.strip():
        return None
    return saved.strip() + "\n" if text.endswith("\n") else saved.strip()


def edit_in_app(app: App[object], text: str) -> str | None:
    """`edit_text` with the app suspended around it (a one-line error where it cannot be)."""
    try:
        with app.suspend():
            return edit_text(text)
    except SuspendNotSupported:
        raise WriteItError("this terminal cannot hand over to an editor (no suspend)") from None
