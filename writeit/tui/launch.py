"""Start the TUI for `writeit`, `writeit new` and `writeit open` (placeholder until the TUI lands)."""

from __future__ import annotations

import argparse
from pathlib import Path


def launch(args: argparse.Namespace, home: Path) -> int:
    print("The WriteIt TUI is not built yet. Try: writeit run tech-article --input topic='...'")
    return 0
