"""Render figures (placeholder until the run screen lands; see bench/README.md)."""

from __future__ import annotations

from typing import Any

NAMES = (
    "render.tokens_per_s_sustained",
    "render.lag_p95_ms",
    "render.keypress_p95_ms",
    "render.speedup_vs_naive",
)


def run(mode: str) -> dict[str, Any]:
    reason = "the run screen (writeit/tui) does not exist yet"
    return {**dict.fromkeys(NAMES), "reasons": dict.fromkeys(NAMES, reason)}
