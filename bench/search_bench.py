"""Search across runs: one rare word among 1,000 runs (issue 14).

1,000 runs of a two-step pipeline on the offline writer (WRITEIT_OFFLINE_TPS=0): `draft` picked,
`polish` picked, each response a few hundred words about one of a handful of topics, so the
index holds ~2,000 response documents of much the same vocabulary. In one run the draft is
edited to mention a word no other text has; `polish` rewrites what went forward, so the word is
in exactly one response (and the edit it came from). The index is built once from the logs
(timed, a detail), then `search.query_1k_runs_ms` is the median time of `search_runs` for that
word on the caught-up index: open the SQLite file, MATCH, bm25 ranking, snippets. The CLI also
checks every run for new events before it queries; that check is timed apart (a detail).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import log, median, rnd

ROOT = Path(__file__).resolve().parent.parent
WRITERS = 4

MODE_SETTINGS = {"tiny": {"runs": 30, "reps": 5}, "quick": {"runs": 1000, "reps": 30}}
MODE_SETTINGS["full"] = {"runs": 1000, "reps": 100}
RARE = "quetzalcoatlus"
TOPICS = ("tide pools", "sourdough", "event sourcing", "city cycling", "home networks")
PIPELINE = """\
name: bench-search
inputs:
  - {name: topic, type: text, required: true}
defaults: {models: [offline:writer], responses: 1}
steps:
  - name: draft
    prompt: "Write a short post about {{ inputs.topic }}."
  - name: polish
    prompt: "Edit this post, keep its voice: {{ steps.draft.selected }}"
"""


async def _populate(home: Path, pipeline: Path, first: int, count: int, special: int) -> None:
    """Runs `first` .. `first + count - 1`; run `special` gets the rare word (through an edit)."""
    from writeit.engine import Engine

    with Engine.open(home) as engine:
        for i in range(first, first + count):
            topic = TOPICS[i % len(TOPICS)]
            run_id = engine.start_run(str(pipeline), {"topic": topic}).run_id
            await engine.run_step(run_id, "draft")
            if i == special:
                draft = engine.load(run_id).steps["draft"].ordered_responses()[0].content
                engine.edit(run_id, f"{draft}\n\nA {RARE} once flew over this.", step="draft")
            else:
                engine.pick(run_id, 0, step="draft")
            await engine.run_step(run_id, "polish")
            engine.pick(run_id, 0, step="polish")
        await engine.aclose()


def _part(first: int, share: int, runs: int) -> list[str]:
    """A writer's arguments: its first run, how many, and which run is the special one."""
    return [str(first), str(min(share, runs - first)), str(runs // 2)]


def _make_runs(home: Path, pipeline: Path, runs: int) -> None:
    """`runs` runs written by WRITERS processes at once: each pick syncs the store (~60 ms of
    a run's ~90 ms here is waiting for the disk), and syncs of several processes overlap."""
    share = -(-runs // WRITERS)
    code = (
        "import asyncio, sys; from pathlib import Path; from bench.search_bench import _populate; "
    )
    code += "asyncio.run(_populate(Path(sys.argv[1]), Path(sys.argv[2]), *map(int, sys.argv[3:])))"
    env = os.environ | {"PYTHONPATH": str(ROOT), "WRITEIT_OFFLINE_TPS": "0"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(home), str(pipeline), *_part(first, share, runs)],
            env=env,
        )
        for first in range(0, runs, share)
    ]
    for proc in procs:
        if proc.wait() != 0:
            raise RuntimeError(f"a run-making process exited {proc.returncode}")


def run(mode: str) -> dict[str, Any]:
    os.environ["WRITEIT_OFFLINE_TPS"] = "0"
    from writeit.engine import Engine, search_runs, update_search_index

    s = MODE_SETTINGS[mode]
    with tempfile.TemporaryDirectory(prefix="writeit-bench-search-") as tmp:
        home = Path(tmp) / "home"
        pipeline = Path(tmp) / "bench-search.yaml"
        pipeline.write_text(PIPELINE)
        start = time.perf_counter()
        _make_runs(home, pipeline, s["runs"])
        log(f"search: {s['runs']} runs made in {time.perf_counter() - start:.1f}s")
        with Engine.open(home) as engine:
            start = time.perf_counter()
            built = update_search_index(engine)
            index_s = time.perf_counter() - start
            hits = search_runs(engine, RARE, catch_up=False).hits
            responses = [h for h in hits if h.kind == "response"]
            assert [h.step for h in responses] == ["polish"], hits
            query, check = [], []
            for _ in range(s["reps"]):
                t0 = time.perf_counter()
                search_runs(engine, RARE, catch_up=False)
                t1 = time.perf_counter()
                update_search_index(engine)  # nothing new: the per-search check alone
                t2 = time.perf_counter()
                query.append((t1 - t0) * 1000)
                check.append((t2 - t1) * 1000)
        size = (home / "search.sqlite").stat().st_size
    return {
        "search.query_1k_runs_ms": rnd(median(query), 2),
        "search.catch_up_check_1k_runs_ms": rnd(median(check), 1),
        "details": {
            "search_runs": s["runs"],
            "search_runs_indexed": built.indexed,
            "search_index_build_s": rnd(index_s, 2),
            "search_index_bytes": size,
            "search_hits_for_rare_word": [f"{h.kind}:{h.step}" for h in hits],
            "search_query_ms": [rnd(x, 2) for x in query[:10]],
            "search_reps": s["reps"],
        },
    }
