"""Engines built over a store the test holds, for tests that append raw events.

Reliability and TUI tests sometimes write what no engine command would (another process's
stream, a buggy caller's event, a store written by hand). They must not reach into the engine,
and LMDB must not open one environment twice in a process, so the test opens the `Store`
itself, injects it (`Engine(home, store=store)`) and looks it up here by its engine.
"""

from __future__ import annotations

import asyncio
import weakref
from pathlib import Path
from typing import Any

from writeit.engine import Engine, PickStrategy
from writeit.storage.store import Store

_STORES: weakref.WeakKeyDictionary[Engine, Store] = weakref.WeakKeyDictionary()


def store_path(home: Path) -> Path:
    """Where DESIGN puts the LMDB environment: `$WRITEIT_HOME/writeit.lmdb`."""
    return home / "writeit.lmdb"


def open_engine(home: Path, *, recover: bool = True, **options: Any) -> tuple[Engine, Store]:
    """An engine over a store opened here (as `Engine.open` would: interrupted responses of
    dead processes are recovered unless `recover` is False); closing the engine closes both."""
    store = options.pop("store", None) or Store(store_path(home))
    engine = Engine(home, store=store, **options)
    _STORES[engine] = store
    if recover:
        engine.recover_interrupted()
    return engine, store


def store_of(engine: Engine) -> Store:
    """The store an engine from `open_engine` was built over."""
    try:
        return _STORES[engine]
    except KeyError:
        raise LookupError("this engine was not built by tests/stores.open_engine") from None


def finished_run(engine: Engine, pipeline: str, topic: str) -> str:
    """A run of `pipeline` streamed to its end, the first response picked at each step, from
    a test outside any event loop (each call runs its own loop and closes the engine's async
    resources in it); the run's id."""
    run = engine.start_run(pipeline, {"topic": topic})

    async def go() -> str:
        try:
            return (await engine.run_to_end(run.run_id, PickStrategy.parse("first"))).run_id
        finally:
            await engine.aclose()

    return asyncio.run(go())


async def drafted_tech_article(engine: Engine, topic: str) -> str:
    """A tech-article run with its first angle and outline picked and every section of `draft`
    streamed, nothing of it picked yet (from inside the test's event loop); the run's id."""
    run_id = engine.start_run("tech-article", {"topic": topic}).run_id
    await engine.run_step(run_id)
    engine.pick(run_id, 0, item=0)
    await engine.run_step(run_id)
    engine.pick(run_id, 0)
    await engine.run_step(run_id)
    return run_id
