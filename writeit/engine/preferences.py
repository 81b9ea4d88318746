"""Saving one preference to `config.yaml` (a theme chosen in the palette) without losing the rest.

The file is the writer's: their comments and layout stay. A top-level `key:` line is replaced,
or one is appended; the result is validated as a whole before it replaces the file.
"""

from __future__ import annotations

import re
from pathlib import Path

from writeit.domain.config import load_user_config
from writeit.domain.errors import WriteItError

SIMPLE_VALUE = re.compile(r"^[A-Za-z0-9_.-]+$")


def save_preference(path: Path, key: str, value: str) -> None:
    """Set top-level `key: value` in the config file at `path` (created if missing)."""
    if not SIMPLE_VALUE.match(value):
        raise WriteItError(f"cannot save {key} '{value}': unexpected characters")
    try:
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    except OSError as exc:
        raise WriteItError(f"cannot read {path}: {exc.strerror or exc}") from None
    line = f"{key}: {value}"
    pattern = re.compile(rf"^{re.escape(key)}\s*:")
    found = [i for i, text in enumerate(lines) if pattern.match(text)]
    if found:
        lines[found[0]] = line
    else:
        lines.append(line)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        load_user_config(tmp)  # never replace a valid config with an invalid one
        tmp.replace(path)
    except OSError as exc:
        raise WriteItError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
