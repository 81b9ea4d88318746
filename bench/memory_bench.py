"""Memory figure (placeholder until the run screen lands; see bench/README.md)."""

from __future__ import annotations

from typing import Any


def run(mode: str) -> dict[str, Any]:
    reason = "the run screen (writeit/tui) does not exist yet"
    return {"memory.rss_mb_4x20k_tokens": None, "reasons": {"memory.rss_mb_4x20k_tokens": reason}}
