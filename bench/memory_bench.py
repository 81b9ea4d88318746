"""Memory: peak RSS of the real app streaming 4 panes of 20,000 tokens each.

A fresh interpreter runs the real `WriteItApp` headless on its run screen (the render
benchmark's harness, bench/render_bench.py) while the in-process source streams 20,000 tokens
into each of 4 panes through the engine; once every pane shows its whole text (or 60 s pass),
the child reports `resource.getrusage(RUSAGE_SELF).ru_maxrss`, the peak resident set of the
whole process: Python, Textual, the engine and LMDB's mapped pages it touched.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import log, rnd

MODE_SETTINGS = {
    "tiny": {"tokens": 500, "rate": 4000.0},
    "quick": {"tokens": 20_000, "rate": 12_000.0},
    "full": {"tokens": 20_000, "rate": 4_000.0},
}
ROOT = Path(__file__).resolve().parent.parent


def _rss_mb() -> float:
    """Peak RSS so far, in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _current_rss_mb() -> float | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return None


def child(tokens: int, rate: float) -> None:
    """Runs in the fresh interpreter: stream, then print the figures as JSON."""
    import writeit.tui.app  # noqa: F401  (import cost counted in the idle figure)
    from bench import render_bench

    idle = _current_rss_mb()
    seconds = tokens / (rate / len(render_bench.MODELS))
    start = time.perf_counter()
    result = asyncio.run(
        render_bench.trial(render_bench.TARGETS["real"], rate, seconds, catch_up_s=60.0)
    )
    print(
        json.dumps(
            {
                "peak_mb": _rss_mb(),
                "after_import_mb": idle,
                "complete": result.complete,
                "seconds": time.perf_counter() - start,
                "app_error": result.error,
            }
        )
    )


def run(mode: str) -> dict[str, Any]:
    s = MODE_SETTINGS[mode]
    name = "memory.rss_mb_4x20k_tokens"
    log(f"memory: 4 panes x {s['tokens']} tokens at {s['rate']:.0f} tok/s in a fresh process")
    code = f"from bench.memory_bench import child; child({s['tokens']}, {s['rate']})"
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout)[-400:]
        return {name: None, "reasons": {name: f"the app did not finish: {tail}"}}
    got = json.loads(lines[-1])
    out: dict[str, Any] = {
        name: rnd(got["peak_mb"], 1),
        "details": {
            "tokens_per_pane": s["tokens"],
            "panes": 4,
            "feed_rate_tok_s": s["rate"],
            "rss_after_imports_mb": rnd(got["after_import_mb"], 1),
            "all_text_shown": got["complete"],
            "seconds": rnd(got["seconds"], 1),
            **({"app_error": got["app_error"]} if got["app_error"] else {}),
        },
    }
    if not got["complete"]:
        out["details"]["note"] = "not every pane showed its whole text within 60 s"
    return out
