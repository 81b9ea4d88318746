"""WriteIt benchmarks: prints ONE JSON object with every figure (see bench/README.md).

    python bench/run.py --quick --json     # < 2 minutes on 2 cores
    python bench/run.py --json             # full: more repetitions, longer trials
    python bench/run.py --tiny             # seconds; for the smoke test, figures not meaningful
    python bench/run.py --quick --only store,engine

Each section runs in its own fresh interpreter so one cannot warm caches, grow the heap or leave
threads for the next; a section that fails reports null figures with a reason instead of numbers.
JSON is the only thing on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import MODES, log, machine  # noqa: E402

# figure -> (section, goal operator, goal value); the names are the contract of issue 5
FIGURES: dict[str, tuple[str, str, float]] = {
    "render.tokens_per_s_sustained": ("render", ">=", 2000),
    "render.lag_p95_ms": ("render", "<=", 100),
    "render.keypress_p95_ms": ("render", "<=", 50),
    "render.speedup_vs_naive": ("render", ">=", 5),
    "render.speedup_vs_textual_stream": ("render", ">=", 1),  # issue 9: beat Textual's own
    "store.append_speedup_vs_sqlite": ("store", ">=", 2),
    "store.replay_10k_events_ms": ("store", "<=", 50),
    "store.list_first_page_10k_runs_ms": ("store", "<=", 30),
    # issues 15 and 16: bounded cost per event, each text stored once, `list` reads one page
    "store.append_ms_per_event_400_steps_vs_4": ("store_scale", "<=", 1.5),
    "store.bytes_per_run_ratio": ("store_scale", "<=", 3),
    "cli.list_ms_5k_runs": ("store_scale", "<=", 150),
    "engine.overhead_ratio": ("engine", "<=", 1.10),
    "startup.version_ms": ("startup", "<=", 150),
    "startup.first_frame_ms": ("startup", "<=", 800),
    "memory.rss_mb_4x20k_tokens": ("memory", "<=", 150),
    # issue 16: the real app in a pseudo-terminal, streaming through the SDK over HTTP
    "render.cpu_percent_4x150_pty": ("pty", "<=", 25),
    "render.cpu_percent_2x60_pty": ("pty", "<=", 12),
    "memory.rss_growth_mb_per_run_after_10": ("session", "<=", 0.1),
    # issue 11: 2 models x 7 sections drafted at once vs one section alone, same token rate
    "longform.section_fanout_ratio": ("longform", "<=", 1.5),
    # issue 14: a word in one response of one run among 1,000 runs, on the caught-up index
    "search.query_1k_runs_ms": ("search", "<=", 50),
    # issue 12: the leaderboard's fit with its 200 bootstrap refits, 2,000 picks of 4 models
    "leaderboard.fit_2000_picks_ms": ("leaderboard", "<=", 2000),
}
SECTIONS = (
    "store",
    "store_scale",
    "engine",
    "startup",
    "render",
    "pty",
    "memory",
    "session",
    "longform",
    "search",
    "leaderboard",
)
SECTION_TIMEOUT_S = {"tiny": 120, "quick": 300, "full": 1800}


def run_section(name: str, mode: str) -> dict[str, Any]:
    """Import and run one section in this process (used by the per-section subprocess)."""
    import importlib

    module = importlib.import_module(f"bench.{name}_bench")
    result: dict[str, Any] = module.run(mode)
    return result


def spawn_section(name: str, mode: str) -> dict[str, Any]:
    """Run a section in a fresh interpreter; on failure, null figures with the reason."""
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    }
    cmd = [sys.executable, str(Path(__file__).resolve()), "--section", name, f"--{mode}"]
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=None,  # the section's progress goes straight to our stderr
            text=True,
            timeout=SECTION_TIMEOUT_S[mode],
            check=False,
        )
    except subprocess.TimeoutExpired:
        return _failed(name, f"section timed out after {SECTION_TIMEOUT_S[mode]}s")
    log(f"{name}: {time.perf_counter() - start:.1f}s")
    if proc.returncode != 0:
        return _failed(name, f"section exited {proc.returncode} (traceback above on stderr)")
    try:
        result: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return _failed(name, f"section printed no JSON: {proc.stdout[-300:]!r}")
    return result


def _failed(section: str, reason: str) -> dict[str, Any]:
    names = [n for n, (s, _, _) in FIGURES.items() if s == section]
    return {**dict.fromkeys(names), "reasons": dict.fromkeys(names, reason)}


def assemble(mode: str, results: dict[str, dict[str, Any]], elapsed: float) -> dict[str, Any]:
    """Figures first (flat, exact names), then goals, verdicts, reasons, details, machine."""
    figures: dict[str, Any] = {}
    reasons: dict[str, str] = {}
    details: dict[str, Any] = {}
    for section, result in results.items():
        result = dict(result)
        reasons.update(result.pop("reasons", {}) or {})
        details[section] = result.pop("details", {})
        figures.update(result)
    for name, (section, _, _) in FIGURES.items():
        if section in results and name not in figures:
            figures[name] = None
            reasons.setdefault(name, "the section did not produce this figure")
    goals = {name: f"{op} {value:g}" for name, (_, op, value) in FIGURES.items()}
    met = {}
    for name, (_, op, value) in FIGURES.items():
        got = figures.get(name)
        met[name] = None if got is None else (got >= value if op == ">=" else got <= value)
    ordered = {n: figures[n] for n in FIGURES if n in figures}
    ordered.update({n: v for n, v in figures.items() if n not in ordered})
    return {
        **ordered,
        "reasons": {n: r for n, r in reasons.items() if figures.get(n) is None},
        "goals": goals,
        "met": met,
        "mode": mode,
        "sections": list(results),
        "elapsed_s": round(elapsed, 1),
        "details": details,
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="under two minutes on 2 cores")
    g.add_argument("--tiny", action="store_true", help="a few seconds; for the smoke test")
    g.add_argument("--full", action="store_true", help="the default: more repetitions")
    p.add_argument("--json", action="store_true", help="accepted; JSON is the only stdout output")
    p.add_argument("--only", help=f"comma-separated sections ({', '.join(SECTIONS)})")
    p.add_argument("--section", help=argparse.SUPPRESS)  # internal: run one section here
    args = p.parse_args(argv)
    mode = "tiny" if args.tiny else "quick" if args.quick else "full"
    assert mode in MODES
    if args.section:
        print(json.dumps(run_section(args.section, mode)))
        return 0
    sections = [s.strip() for s in args.only.split(",")] if args.only else list(SECTIONS)
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        p.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    start = time.perf_counter()
    load_before = os.getloadavg()[0]
    results: dict[str, dict[str, Any]] = {}
    if mode == "tiny":  # figures are meaningless here anyway: run the sections side by side
        from concurrent.futures import ThreadPoolExecutor

        longest_first = sorted(sections, key=lambda n: n != "render")
        with ThreadPoolExecutor(2) as pool:  # one per core
            futures = {name: pool.submit(spawn_section, name, mode) for name in longest_first}
        results = {name: futures[name].result() for name in sections}
    for name in sections if mode != "tiny" else ():
        log(f"{name}: starting ({mode})")
        results[name] = spawn_section(name, mode)
    report = assemble(mode, results, time.perf_counter() - start)
    # other processes on the machine distort timings: say how busy it was
    report["machine"]["load_avg_1m"] = {"start": load_before, "end": os.getloadavg()[0]}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
