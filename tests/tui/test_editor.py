"""The writer's editor on a temporary file: what it saves, and when nothing is saved."""

from __future__ import annotations

from pathlib import Path

import pytest

from writeit.domain.errors import WriteItError
from writeit.tui.editor import edit_text, editor_command


def script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return str(path)


def test_saved_text_comes_back_and_visual_wins_over_editor(tmp_path: Path) -> None:
    appender = script(tmp_path, "append.sh", "printf 'More.\\n' >> \"$1\"")
    wiper = script(tmp_path, "wipe.sh", ': > "$1"')
    assert edit_text("Text.\n", {"VISUAL": appender, "EDITOR": wiper}) == "Text.\nMore.\n"
    assert edit_text("Text.", {"EDITOR": wiper}) is None  # emptied: nothing to save
    assert edit_text("Text.", {"EDITOR": "true"}) is None  # unchanged: nothing to save
    assert editor_command({"EDITOR": "code --wait"}) == ["code", "--wait"]
    assert editor_command({}) == ["vi"]


def test_an_editor_that_fails_or_is_missing_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(WriteItError, match="exited with 3; nothing was saved"):
        edit_text("x", {"EDITOR": script(tmp_path, "fail.sh", "exit 3")})
    with pytest.raises(WriteItError, match="cannot start the editor"):
        edit_text("x", {"EDITOR": str(tmp_path / "no-such-editor")})
