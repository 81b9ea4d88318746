"""A long TUI session: does memory (and CPU per run) stay flat run after run?

The store starts with a full first page of the home list (60 finished runs, as a writer's holds
after a few weeks), so a new run replaces a row rather than adding one: otherwise each of the
first thirty runs adds a visible row, and the screen's frame grows with it, which is what is
shown, not what leaks. A fresh interpreter then drives the real app headless as a writer would,
N times over: from the home screen `n`, start the new run (offline models, instant), wait for
its first step to finish, open the edit box and close it, pick `1`, go back home. After every
run it waits until the closed run screen is garbage, then reads the resident set
(/proc/self/status) and the process CPU spent on that run. `memory.rss_growth_mb_per_run_after_10` is the least-squares slope of the process's
own resident memory (RssAnon) over runs 11..N (the first ten warm caches up: imports, styles),
in MiB per run. Mapped file pages (RssFile, mostly the LMDB store, which grows with every run
kept) are reported beside it, not counted.

What a session keeps after warm-up (bench/README.md, session): bounded caches; RssAnon also
steps up about 1 MB at unpredictable runs (the allocator's arenas, not objects), which the
slope counts.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import log, offline_runs, rnd

ROOT = Path(__file__).resolve().parent.parent
FREED_WITHIN_S = 5.0  # a run screen still alive this long after it closed is a leak
# `seeded`: finished runs in the store before the session; 60 fill the home list's first page
# (tui.screens.home.PAGE). The tiny mode only checks that the bench works.
MODE_SETTINGS = {
    "tiny": {"runs": 12, "seeded": 2},
    "quick": {"runs": 40, "seeded": 60},
    "full": {"runs": 80, "seeded": 60},
}
WARM_RUNS = 10


def _rss_mb() -> tuple[float, float]:
    """The process's own resident memory (heap, stacks: RssAnon) and the pages of mapped files
    it holds (RssFile: mostly the LMDB store's map, which grows with the data kept, and
    which the kernel can drop at will), in MiB."""
    fields: dict[str, float] = {}
    with open("/proc/self/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("RssAnon", "RssFile"):
                fields[name] = int(value.split()[0]) / 1024
    return fields["RssAnon"], fields["RssFile"]


def slope(values: list[float]) -> float:
    """Least-squares slope of `values` against their index (the standard library's fit)."""
    return statistics.linear_regression(range(len(values)), values).slope


async def _session(runs: int, home: Path) -> dict[str, Sequence[float | None]]:
    from writeit.engine import Engine
    from writeit.tui.app import create_app
    from writeit.tui.screens.home import HomeScreen
    from writeit.tui.screens.new_run import NewRunScreen
    from writeit.tui.screens.run import RunScreen

    rss: list[float] = []
    mapped: list[float] = []
    cpu: list[float] = []
    freed_s: list[float | None] = []
    with Engine(home) as engine:
        app = create_app(home, engine, None)
        async with app.run_test(size=(120, 36)) as pilot:

            async def until(predicate: Any, what: str) -> None:
                deadline = time.monotonic() + 30
                while not predicate():
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"run {len(rss) + 1}: no {what} within 30 s")
                    await pilot.pause(0.01)

            def settled() -> bool:
                screen = app.screen
                return (
                    isinstance(screen, RunScreen)
                    and not screen.streaming
                    and bool(screen.panes)
                    and all(not p.live for p in screen.panes)
                )

            async def freed(screen: weakref.ref[Any]) -> float | None:
                """Seconds until the closed `screen` is garbage, None if it outlives
                `FREED_WITHIN_S`. Not at once: asyncio keeps a cancelled timer with the context
                it was set in until its deadline (a text area's cursor blink, half a second),
                and a writer takes longer than that to start the next run."""
                closed = time.monotonic()
                while time.monotonic() - closed < FREED_WITHIN_S:
                    gc.collect()
                    if screen() is None:
                        return time.monotonic() - closed
                    await pilot.pause(0.1)
                return None

            for _ in range(runs):
                started = time.process_time()
                await until(lambda: isinstance(app.screen, HomeScreen), "home screen")
                await pilot.press("n")
                await until(lambda: isinstance(app.screen, NewRunScreen), "new-run form")
                app.screen.query_one("#input-topic").value = f"session run {len(rss) + 1}"  # type: ignore[attr-defined]
                await pilot.press("ctrl+s")
                await until(settled, "finished first step")
                run_screen = weakref.ref(app.screen)
                await pilot.press("e")
                await until(lambda: not isinstance(app.screen, RunScreen), "edit box")
                await pilot.press("escape")
                await until(lambda: isinstance(app.screen, RunScreen), "run screen again")
                await pilot.press("1")
                await pilot.press("escape")
                await until(lambda: isinstance(app.screen, HomeScreen), "home screen")
                cpu.append(time.process_time() - started)
                freed_s.append(await freed(run_screen))
                own, files = _rss_mb()
                rss.append(own)
                mapped.append(files)
    return {"rss_mb": rss, "mapped_mb": mapped, "cpu_s": cpu, "freed_s": freed_s}


def child(runs: int, seeded: int) -> None:
    os.environ["WRITEIT_OFFLINE_TPS"] = "0"  # instant offline models: the UI is measured
    with tempfile.TemporaryDirectory(prefix="writeit-session-") as tmp:
        os.environ["WRITEIT_HOME"] = tmp
        asyncio.run(offline_runs(Path(tmp), seeded))
        print(json.dumps(asyncio.run(_session(runs, Path(tmp)))))


def run(mode: str) -> dict[str, Any]:
    runs, seeded = MODE_SETTINGS[mode]["runs"], MODE_SETTINGS[mode]["seeded"]
    name = "memory.rss_growth_mb_per_run_after_10"
    log(f"session: {runs} runs in one TUI session over {seeded} earlier runs, in a fresh process")
    code = f"from bench.session_bench import child; child({runs}, {seeded})"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ANTHROPIC_"))}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env | {"PYTHONPATH": str(ROOT)},
        check=False,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {name: None, "reasons": {name: f"the session failed: {proc.stderr[-400:]}"}}
    got = json.loads(lines[-1])
    rss, cpu, freed = got["rss_mb"], got["cpu_s"], got["freed_s"]
    after = rss[WARM_RUNS:]
    return {
        name: rnd(slope(after), 3) if len(after) >= 2 else None,
        "memory.cpu_s_per_run_growth_after_10": rnd(slope(cpu[WARM_RUNS:]), 4)
        if len(after) >= 2
        else None,
        "details": {
            "runs": runs,
            "earlier_runs": seeded,
            "rss_anon_mb": [rnd(x, 1) for x in rss],
            "rss_file_mb": [rnd(x, 1) for x in got["mapped_mb"]],
            "cpu_s_per_run": [rnd(x, 3) for x in cpu],
            "run_screen_freed_s_max": rnd(max(f for f in freed if f is not None), 2)
            if any(f is not None for f in freed)
            else None,
            f"run_screens_alive_{FREED_WITHIN_S:.0f}s_after_closing": sum(f is None for f in freed),
        },
    }
