"""Store figures: append rate vs SQLite (two durability classes), replay, runs list.

Append: a realistic run log (bench/events.py) is appended event by event, one transaction per
event with its derived keys, by `writeit.storage.store.Store` and by the SQLite baseline doing
the same `derive` work. Stores are fresh per repetition; the ratio of medians is reported.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import log, median, rnd
from bench.events import realistic_run, with_fresh_ids
from writeit.domain.events import Event, ResponseTextAppended, RunCreated
from writeit.storage.store import Store

MODE_SETTINGS: dict[str, dict[str, int]] = {
    # runs appended per repetition, repetitions, events in the replay run, runs for the list,
    # fresh processes per read figure (a read takes milliseconds: one slow second of a shared
    # host moved the median of three by half; seven cost a few seconds)
    "tiny": {"runs": 1, "reps": 1, "fsync_runs": 1, "replay_events": 500, "list_runs": 200,
             "read_reps": 1},
    "quick": {"runs": 6, "reps": 3, "fsync_runs": 1, "replay_events": 10_000,
              "list_runs": 10_000, "read_reps": 7},
    "full": {"runs": 30, "reps": 7, "fsync_runs": 2, "replay_events": 10_000,
             "list_runs": 10_000, "read_reps": 9},
}  # fmt: skip


class _FsyncLmdb:
    """The real `Store`, opened with LMDB `sync=True, metasync=True`: fsync inside every commit.

    The store hard-codes its normal durability (`sync=False`), so `lmdb.open` is wrapped for the
    duration of the constructor only; everything else is the production code path.
    """

    def __init__(self, path: Path) -> None:
        import lmdb

        original = lmdb.open

        def fsyncing(*args: Any, **kwargs: Any) -> Any:
            return original(*args, **{**kwargs, "sync": True, "metasync": True})

        setattr(lmdb, "open", fsyncing)  # noqa: B010  (mypy: lmdb.open is a class)
        try:
            self.store = Store(path)
        finally:
            setattr(lmdb, "open", original)  # noqa: B010

    def append(self, event: Event) -> Event:
        return self.store.append(event)

    def sync(self) -> None:
        self.store.sync()

    def close(self) -> None:
        self.store.close()


def _open(kind: str, directory: Path) -> Any:
    from bench.baselines.sqlite_store import SqliteStore

    if kind == "lmdb":
        return Store(directory / "writeit.lmdb")
    if kind == "lmdb_fsync":
        return _FsyncLmdb(directory / "writeit.lmdb")
    if kind == "sqlite_normal":
        return SqliteStore(directory / "writeit.sqlite", synchronous="NORMAL")
    if kind == "sqlite_full":
        return SqliteStore(directory / "writeit.sqlite", synchronous="FULL")
    raise ValueError(kind)


def _append_rate(kind: str, logs: list[list[Event]]) -> float:
    """Events per second appending every log into a fresh store, final sync included."""
    with tempfile.TemporaryDirectory(dir=_tmp_root()) as tmp:
        store = _open(kind, Path(tmp))
        events = [e for log_ in logs for e in log_]
        gc.collect()
        start = time.perf_counter()
        for event in events:
            store.append(event)
        store.sync()
        elapsed = time.perf_counter() - start
        store.close()
    return len(events) / elapsed


def _tmp_root() -> str | None:
    """Benchmark on the disk the store lives on (not tmpfs), so fsync costs what it costs."""
    home = Path.home() / ".cache" / "writeit-bench"
    home.mkdir(parents=True, exist_ok=True)
    return str(home)


def bench_append(mode: str) -> dict[str, Any]:
    s = MODE_SETTINGS[mode]
    base = realistic_run()
    log(f"store: append, {len(base)} events per run x {s['runs']} runs, {s['reps']} reps")
    rates: dict[str, list[float]] = {k: [] for k in ("lmdb", "sqlite_normal")}
    for _ in range(s["reps"]):
        for kind in rates:  # interleaved so drift hits both alike
            logs = [with_fresh_ids(base) for _ in range(s["runs"])]
            rates[kind].append(_append_rate(kind, logs))
    fsync: dict[str, list[float]] = {k: [] for k in ("lmdb_fsync", "sqlite_full")}
    for _ in range(s["reps"]):
        for kind in fsync:
            logs = [with_fresh_ids(base) for _ in range(s["fsync_runs"])]
            fsync[kind].append(_append_rate(kind, logs))
    lm, sq = median(rates["lmdb"]), median(rates["sqlite_normal"])
    lf, sf = median(fsync["lmdb_fsync"]), median(fsync["sqlite_full"])
    types: dict[str, int] = {}
    for e in base:
        types[e.type] = types.get(e.type, 0) + 1
    return {
        "store.append_speedup_vs_sqlite": rnd(lm / sq),
        "store.append_events_per_s_lmdb": round(lm),
        "store.append_events_per_s_sqlite": round(sq),
        "store.append_fsync_speedup_vs_sqlite": rnd(lf / sf),
        "store.append_fsync_events_per_s_lmdb": round(lf),
        "store.append_fsync_events_per_s_sqlite": round(sf),
        "details": {
            "append_event_mix_per_run": types,
            "append_events_per_rep": len(base) * s["runs"],
            "append_reps": s["reps"],
            "append_rates": {k: [round(x) for x in v] for k, v in {**rates, **fsync}.items()},
            "durability": {
                "normal": "LMDB sync=False + env.sync() every second and at the end "
                "vs SQLite WAL synchronous=NORMAL (process-crash safe)",
                "fsync": "LMDB fsync per commit vs SQLite WAL synchronous=FULL",
            },
        },
    }


# -- replay and list: the data is built once, then measured in fresh processes -------------------


def build_long_run(path: Path, n_events: int) -> str:
    """A run with exactly `n_events` events, as a writer who regenerates a lot would make.

    A real engine run (4 steps x 4 models) where every step is regenerated until the log,
    at real streaming pace (bench/events.py), holds at least `n_events`; surplus text flushes
    are dropped evenly so responses keep realistic lengths.
    """
    from bench.events import captured_run, rechunk

    regenerations = 0
    while len(trial := rechunk(captured_run(regenerations))) < n_events:
        regenerations = max(regenerations + 1, round(regenerations * n_events / len(trial)))
    trial = _trim_to(trial, n_events)
    store = Store(path)
    for e in trial:
        store.append(e)
    store.close()
    return trial[0].run_id


def _trim_to(events: list[Event], n: int) -> list[Event]:
    """Drop surplus text flushes evenly (never structural events) to leave exactly `n` events."""
    droppable = [
        i
        for i, e in enumerate(events)
        if isinstance(e, ResponseTextAppended) and e.first_token_s is None
    ]
    surplus = len(events) - n
    if surplus <= 0:
        return events
    step = len(droppable) / surplus
    drop = {droppable[int(k * step)] for k in range(surplus)}
    return [e for i, e in enumerate(events) if i not in drop]


def build_many_runs(path: Path, n_runs: int) -> None:
    from bench.events import captured_run

    created = next(e for e in captured_run() if isinstance(e, RunCreated))
    store = Store(path)
    import uuid
    from datetime import timedelta

    for i in range(n_runs):
        store.append(
            created.model_copy(
                update={"run_id": str(uuid.uuid4()), "at": created.at + timedelta(seconds=i)}
            )
        )
    store.close()


_PROBE = r"""
import json, sys, time
from pathlib import Path
t_import = time.perf_counter()
from writeit.storage.store import Store
what, path, arg, reps = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
out = {}
times = []
for i in range(reps):
    t0 = time.perf_counter()
    store = Store(path, readonly=True)
    t1 = time.perf_counter()
    if what == "replay":
        state = store.replay(arg)
        assert state.last_seq >= 0
    elif what == "load_run":
        state = store.load_run(arg)
    else:
        ids = store.recent_run_ids(limit=int(arg))
        runs = store.run_snapshots(ids)
        assert len(runs) == len(ids)
    t2 = time.perf_counter()
    store.close()
    times.append({"open_ms": (t1 - t0) * 1000, "op_ms": (t2 - t1) * 1000})
print(json.dumps(times))
"""


def _probe(what: str, path: Path, arg: str, reps: int) -> list[dict[str, float]]:
    """Run `what` in a fresh process: the first repetition is cold (nothing cached in Python)."""
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, what, str(path), arg, str(reps)],
        capture_output=True,
        text=True,
        check=True,
    )
    return list(json.loads(proc.stdout))


def bench_read(mode: str) -> dict[str, Any]:
    s = MODE_SETTINGS[mode]
    reps = max(1, s["read_reps"])
    with tempfile.TemporaryDirectory(dir=_tmp_root()) as tmp:
        path = Path(tmp) / "long.lmdb"
        log(f"store: building a run of {s['replay_events']} events")
        run_id = build_long_run(path, s["replay_events"])
        # cold = first call in a fresh process (store opened, nothing warmed in Python); the
        # median over fresh processes is the figure, warm repeats are reported beside it
        replay_cold = [_probe("replay", path, run_id, 3) for _ in range(reps)]
        load_cold = [_probe("load_run", path, run_id, 3) for _ in range(reps)]
        lpath = Path(tmp) / "many.lmdb"
        log(f"store: building {s['list_runs']} runs")
        build_many_runs(lpath, s["list_runs"])
        list_cold = [_probe("list", lpath, "50", 3) for _ in range(reps)]

    def first(runs: list[list[dict[str, float]]]) -> list[float]:
        """The first call in each fresh process: the cold figure."""
        return [r[0]["op_ms"] for r in runs]

    def warm(runs: list[list[dict[str, float]]]) -> list[float]:
        return [r[-1]["op_ms"] for r in runs]

    return {
        "store.replay_10k_events_ms": rnd(median(first(replay_cold))),
        "store.load_run_10k_events_ms": rnd(median(first(load_cold))),
        "store.list_first_page_10k_runs_ms": rnd(median(first(list_cold))),
        "details": {
            "replay_events": s["replay_events"],
            "list_runs": s["list_runs"],
            "read_reps_fresh_processes": reps,
            "replay_cold_ms": [rnd(x) for x in first(replay_cold)],
            "replay_warm_ms": [rnd(x) for x in warm(replay_cold)],
            "load_run_cold_ms": [rnd(x) for x in first(load_cold)],
            "list_cold_ms": [rnd(x) for x in first(list_cold)],
            "list_warm_ms": [rnd(x) for x in warm(list_cold)],
            "open_ms": rnd(median([x[0]["open_ms"] for x in replay_cold])),
        },
    }


def run(mode: str) -> dict[str, Any]:
    out = bench_append(mode)
    read = bench_read(mode)
    details = {**out.pop("details"), **read.pop("details")}
    return {**out, **read, "details": details}
