"""Store figures at scale (issues 15 and 16), run inside the `store` section.

- `store.append_ms_per_event_400_steps_vs_4`: the median per-event time of a step late in a
  400-step run over that of a step of a 4-step run (same events per step: a step started with
  a prompt, two responses flushed eight times each, finished, picked). Bounded cost per event
  means about 1.
- `store.bytes_per_run_ratio`: pages the store uses (LMDB's own page counts) over the distinct
  text of its runs (inputs, prompts, response texts, edits), for real offline `tech-article`
  runs made through the engine.
- `cli.list_ms_5k_runs`: the real `writeit list` as a subprocess over 5,000 completed runs, with
  its peak RSS at 100 and at 5,000 runs (flat: it reads only the page it prints). The runs are
  copies of one real run under new ids, written as the engine wrote the original.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import lmdb

from bench.common import as_installed, log, median, offline_runs, rnd
from bench.texts import PARAGRAPH
from writeit.domain.events import (
    Event,
    ResponseFinished,
    ResponsePicked,
    ResponseStub,
    ResponseTextAppended,
    RunCreated,
    StepEdited,
    StepStarted,
)
from writeit.domain.status import ResponseStatus
from writeit.storage import store as store_module
from writeit.storage.codec import pack, unpack
from writeit.storage.store import Store

SETTINGS: dict[str, dict[str, int]] = {
    "tiny": {"steps": 40, "runs": 3, "list_runs": 300, "reps": 1},
    "quick": {"steps": 400, "runs": 100, "list_runs": 5000, "reps": 3},
    "full": {"steps": 400, "runs": 1000, "list_runs": 5000, "reps": 5},
}
FLUSHES = 8
AT = datetime(2026, 1, 1, tzinfo=UTC)
MEASURED_STEPS = 4


def _step_events(run_id: str, step: str, n: int, at: datetime) -> list[Event]:
    """One step's events: started (a prompt of ~1.5 KB), 2 x 8 flushes, finished, picked."""
    ids = [str(uuid.uuid4()) for _ in range(2)]
    prompt = f"Step {n}: continue the article.\n\n" + PARAGRAPH * 3
    events: list[Event] = [
        StepStarted(
            run_id=run_id,
            at=at,
            step=step,
            prompt=prompt,
            responses=[
                ResponseStub(response_id=r, provider="offline", model="writer") for r in ids
            ],
        )
    ]
    for i in range(FLUSHES):
        for rid in ids:
            text = f"{PARAGRAPH[: 60 + i]} ({n}.{i}) "
            events.append(
                ResponseTextAppended(run_id=run_id, at=at, step=step, response_id=rid, text=text)
            )
    for rid in ids:
        events.append(
            ResponseFinished(
                run_id=run_id, at=at, step=step, response_id=rid, status=ResponseStatus.COMPLETED
            )
        )
    events.append(
        ResponsePicked(
            run_id=run_id, at=at, step=step, response_id=ids[0], index=0, candidates=ids,
            shown_order=ids,
        )
    )  # fmt: skip
    return events


def _new_run(store: Store, steps: int) -> tuple[str, list[str]]:
    run_id = str(uuid.uuid4())
    names = [f"s{i}" for i in range(steps)]
    store.append(
        RunCreated(
            run_id=run_id,
            at=AT,
            pipeline="p",
            pipeline_sha="x",
            step_names=names,
            inputs={"topic": "t"},
        )
    )
    return run_id, names


def _step_cost(store: Store, run_id: str, name: str, n: int) -> float:
    """ms per event to append one step's events (20)."""
    events = _step_events(run_id, name, n, AT)
    start = time.perf_counter()
    for event in events:
        store.append(event)
    return (time.perf_counter() - start) * 1000 / len(events)


def bench_steps(mode: str) -> dict[str, Any]:
    """Steps late in a long run, each measured right beside the last step of a fresh 4-step
    run in the same store (so both meet the same store size and the same load on a busy
    machine); the median of the paired ratios.

    The store's once-a-second sync is left out (a 4-step run ends before the first one is due,
    a 400-step run would be charged dozens): the figure is what an event costs, derive and
    commit.
    """
    steps = SETTINGS[mode]["steps"]
    log(f"store: append cost per event, {steps}-step run vs 4-step run")
    store_module.SYNC_INTERVAL_S = float("inf")
    ratios: list[float] = []
    short: list[float] = []
    long: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "s.lmdb") as store:
        run_id, names = _new_run(store, steps)
        for n, name in enumerate(names):
            if n < steps - 20:
                _step_cost(store, run_id, name, n)
                continue
            long.append(_step_cost(store, run_id, name, n))
            other, few = _new_run(store, MEASURED_STEPS)
            for k, step in enumerate(few):
                cost = _step_cost(store, other, step, k)
            short.append(cost)
            ratios.append(long[-1] / short[-1])
    return {
        "store.append_ms_per_event_400_steps_vs_4": rnd(median(ratios)),
        "details": {
            "append_ms_per_event_at_step_4": rnd(median(short), 3),
            f"append_ms_per_event_at_step_{steps}": rnd(median(long), 3),
        },
    }


def _distinct_text(store: Store) -> int:
    """Bytes of each run's distinct texts: inputs, prompts, response texts, edits."""
    total = 0
    for run_id in store.recent_run_ids():
        texts: set[str] = set()
        streamed: dict[str, str] = {}
        for e in store.events(run_id):
            if isinstance(e, RunCreated):
                texts.update(e.inputs.values())
            elif isinstance(e, StepStarted):
                texts.add(e.prompt)
            elif isinstance(e, ResponseTextAppended | ResponseFinished):
                streamed[e.response_id] = streamed.get(e.response_id, "") + e.text
            elif isinstance(e, StepEdited):
                texts.add(e.content)
        texts.update(streamed.values())
        total += sum(len(t.encode()) for t in texts)
    return total


def used_bytes(env: lmdb.Environment) -> int:
    s = env.stat()
    return int((s["branch_pages"] + s["leaf_pages"] + s["overflow_pages"]) * s["psize"])


def bench_bytes(mode: str) -> dict[str, Any]:
    n = SETTINGS[mode]["runs"]
    log(f"store: bytes per run, {n} offline tech-article runs")
    old = os.environ.get("WRITEIT_OFFLINE_TPS")
    os.environ["WRITEIT_OFFLINE_TPS"] = "0"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp) / "home"
            asyncio.run(offline_runs(home, n))
            with Store(home / "writeit.lmdb") as store:
                used = used_bytes(store.env)
                distinct = _distinct_text(store)
    finally:
        if old is None:
            os.environ.pop("WRITEIT_OFFLINE_TPS", None)
        else:
            os.environ["WRITEIT_OFFLINE_TPS"] = old
    return {
        "store.bytes_per_run_ratio": rnd(used / distinct),
        "details": {
            "bytes_runs": n,
            "used_bytes_per_run": round(used / n),
            "distinct_text_bytes_per_run": round(distinct / n),
        },
    }


# -- writeit list over many runs ---------------------------------------------------------------


def _template(home: Path) -> tuple[dict[bytes, bytes], list[str]]:
    """Every key of one real completed run (plain JSON values) and the ids to replace."""
    os.environ["WRITEIT_OFFLINE_TPS"] = "0"
    asyncio.run(offline_runs(home, 1))
    env = lmdb.open(str(home / "writeit.lmdb"), max_readers=8)
    with env.begin() as txn:
        pairs = {bytes(k): unpack(bytes(v)) for k, v in txn.cursor()}
    env.close()
    run_id = next(k for k in pairs if k.startswith(b"run:"))[4:].decode()
    rids = {k[len(b"response:") :].decode() for k in pairs if k.startswith(b"response:")}
    return pairs, [run_id, *sorted(rids)]


def clone_runs(home: Path, template: dict[bytes, bytes], ids: list[str], n: int) -> None:
    """`n` copies of the template run under new ids, one second apart, written directly."""
    created = datetime.fromisoformat(json.loads(template[b"run:" + ids[0].encode()])["created_at"])
    old_iso = created.isoformat().encode()
    env = lmdb.open(str(home / "writeit.lmdb"), map_size=4 << 30, max_readers=8)
    with env.begin(write=True) as txn:  # the schema version, pipeline and style blobs: once
        for key, value in template.items():
            if key.startswith((b"meta:", b"config:", b"primer:")):
                txn.put(key, value)
    for start in range(0, n, 500):
        with env.begin(write=True) as txn:
            for i in range(start, min(n, start + 500)):
                swaps = [(o.encode(), str(uuid.uuid4()).encode()) for o in ids]
                iso = (created + timedelta(seconds=i + 1)).isoformat().encode()
                for key, value in template.items():
                    if not key.startswith((b"event:", b"run", b"step", b"response:", b"recent")):
                        continue
                    for old, new in swaps:
                        key, value = key.replace(old, new), value.replace(old, new)
                    key = key.replace(old_iso, iso)
                    if key.startswith((b"event:", b"run:", b"step:", b"response:")):
                        value = pack(value)
                    txn.put(key, value)
    env.close()


_MEASURE = r"""
import os, resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
elapsed = (time.perf_counter() - start) * 1000
print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, proc.returncode)
"""


def _list_once(home: Path) -> tuple[float, float]:
    """Wall ms and peak RSS MB of one `writeit list` subprocess, started from a small process
    (a child forked from this big one would count this one's pages in its peak RSS)."""
    env = as_installed(dict(os.environ)) | {"WRITEIT_HOME": str(home)}
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, sys.executable, "-m", "writeit", "list"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    if out[2] != "0":
        raise RuntimeError(f"writeit list exited {out[2]}")
    return float(out[0]), float(out[1])


def _version_ms() -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "writeit", "--version"],
        capture_output=True,
        check=True,
        env=as_installed(dict(os.environ)),
    )
    return (time.perf_counter() - start) * 1000


def bench_list(mode: str) -> dict[str, Any]:
    s = SETTINGS[mode]
    big = s["list_runs"]
    log(f"cli: writeit list as a subprocess over 100 and {big} runs")
    with tempfile.TemporaryDirectory() as tmp:
        template, ids = _template(Path(tmp) / "template")
        figures: dict[str, list[tuple[float, float]]] = {}
        for n in (100, big):
            home = Path(tmp) / f"h{n}"
            (home / "writeit.lmdb").mkdir(parents=True)
            clone_runs(home, template, ids, n)
            _list_once(home)  # the first open migrates nothing but warms the page cache
            figures[str(n)] = [_list_once(home) for _ in range(s["reps"])]
        version = median([_version_ms() for _ in range(3)])
    ms = {n: median([t for t, _ in runs]) for n, runs in figures.items()}
    rss = {n: max(r for _, r in runs) for n, runs in figures.items()}
    return {
        "cli.list_ms_5k_runs": rnd(ms[str(big)]),
        "details": {
            "list_runs": big,
            "list_ms_100_runs": rnd(ms["100"]),
            "list_rss_mb_100_runs": rnd(rss["100"]),
            f"list_rss_mb_{big}_runs": rnd(rss[str(big)]),
            "list_ms_minus_version_ms": rnd(ms[str(big)] - version),
            "version_ms_same_machine": rnd(version),
        },
    }


def run(mode: str) -> dict[str, Any]:
    out: dict[str, Any] = {"details": {}}
    for part in (bench_steps, bench_bytes, bench_list):
        result = part(mode)
        out["details"].update(result.pop("details"))
        out.update(result)
    return out
