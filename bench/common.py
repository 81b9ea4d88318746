"""Helpers every benchmark section shares: timing statistics, progress, machine description.

Sections print JSON on stdout only; progress and diagnostics go to stderr so `run.py --json`
stays machine-readable.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

MODES = ("tiny", "quick", "full")


def log(message: str) -> None:
    """Progress for humans, on stderr (stdout is reserved for the one JSON object)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def as_installed(env: dict[str, str]) -> dict[str, str]:
    """`env` for timing `writeit` start-up as an installed program runs: with compiled bytecode.

    pip compiles .pyc files at install and Python writes them on first import; with
    PYTHONDONTWRITEBYTECODE set (as in some dev shells and CI) every start recompiles each module
    whose source changed since its last .pyc, which measured about a quarter of the import time.
    The benches' warm-up launch then writes them, as a user's first launch would.
    """
    return {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); robust for the small samples benchmarks take."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return float(ordered[rank - 1])


def rnd(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def machine() -> dict[str, Any]:
    """What the figures were measured on: they only mean something beside this."""
    packages: dict[str, str | None] = {}
    for name in ("textual", "rich", "lmdb", "pydantic", "pydantic_core", "openai", "anthropic"):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    try:
        packages["writeit"] = metadata.version("writeit")
    except metadata.PackageNotFoundError:
        packages["writeit"] = None
    return {
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": packages,
    }


class CpuWall:
    """Wall and process CPU time of a block (CPU counts every thread of this process)."""

    def __enter__(self) -> CpuWall:
        self.wall0 = time.perf_counter()
        self.cpu0 = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0


# The in-process providers the benchmarks stream from, by provider name (`bench:p1` -> "bench").
IN_PROCESS: dict[str, Any] = {}


def serve_in_process() -> None:
    """Let `IN_PROCESS` providers answer requests for their names, in every engine.

    The benchmarks stream from paced in-process sources so that lag is measured against when
    each token was due, not against a network. The engine's API has no hook for in-process
    providers (its registry is private), so this one place patches the registry class's
    lookup, once per benchmark process; the app and the engine run unchanged.
    """
    from writeit.providers.registry import ProviderRegistry

    original = ProviderRegistry.provider
    if getattr(original, "bench_in_process", False):
        return

    def provider(self: ProviderRegistry, name: str) -> Any:
        found = IN_PROCESS.get(name)
        return found if found is not None else original(self, name)

    provider.bench_in_process = True  # type: ignore[attr-defined]
    ProviderRegistry.provider = provider  # type: ignore[method-assign]


async def offline_runs(home: Path, n: int) -> None:
    """`n` finished `tech-article` runs in the store at `home`, written by offline models
    through the engine (the first response picked at each step), as a writer's store holds."""
    from writeit.engine import Engine, PickStrategy

    engine = Engine.open(home, environ={})
    try:
        for i in range(n):
            run = engine.start_run("tech-article", {"topic": f"topic {i}: {uuid.uuid4().hex}"})
            await engine.run_to_end(run.run_id, PickStrategy.parse("first"))
    finally:
        await engine.aclose()
        engine.close()
