"""What every command reads off its parsed arguments (kept light: `list` and the TUI use it)."""

from __future__ import annotations

import argparse
from pathlib import Path

from writeit.engine import default_home


def home_of(args: argparse.Namespace) -> Path:
    home = getattr(args, "home", None)
    return Path(home).expanduser() if home else default_home()


def wants_json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "json", False))
