"""The benchmark runner works end to end in its tiny mode (figures there mean nothing).

No timing is asserted: machines are noisy and unit tests must not flake. What is checked is the
contract of `bench/run.py`: one JSON object on stdout naming every figure, each a number or
null with a reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIGURES = (
    "render.tokens_per_s_sustained",
    "render.lag_p95_ms",
    "render.keypress_p95_ms",
    "render.speedup_vs_naive",
    "render.speedup_vs_textual_stream",
    "store.append_speedup_vs_sqlite",
    "store.replay_10k_events_ms",
    "store.list_first_page_10k_runs_ms",
    "engine.overhead_ratio",
    "startup.version_ms",
    "startup.first_frame_ms",
    "memory.rss_mb_4x20k_tokens",
    "render.cpu_percent_4x150_pty",
    "render.cpu_percent_2x60_pty",
    "search.query_1k_runs_ms",
    "memory.rss_growth_mb_per_run_after_10",
    "store.append_ms_per_event_400_steps_vs_4",
    "store.bytes_per_run_ratio",
    "cli.list_ms_5k_runs",
)


def test_tiny_benchmark_prints_every_figure(tmp_path: Path) -> None:
    env = os.environ | {"WRITEIT_HOME": str(tmp_path / "home")}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--tiny", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(proc.stdout)  # JSON is the only thing on stdout
    assert data["mode"] == "tiny"
    for name in FIGURES:
        assert name in data, name
        value = data[name]
        if value is None:
            assert data["reasons"].get(name), f"{name} is null without a reason"
        else:
            assert isinstance(value, int | float) and not isinstance(value, bool), name
            assert value >= 0, name
        assert name in data["goals"] and name in data["met"]
    machine = data["machine"]
    assert machine["cores"] >= 1 and machine["python"]
    assert isinstance(data["details"], dict)
