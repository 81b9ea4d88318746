"""Processes the multi-process tests start: `python workers.py writer|reader HOME ...`.

writer HOME RUNS MAP_SIZE   run RUNS pipelines (with branches, feedback, regeneration, archive)
                            through an Engine whose store starts with a tiny map, so it must grow
                            while the other writer grows it too; prints {"events": n, "grown": g}.
reader HOME STOP_FILE       list, show and history every run it sees, in-process through the CLI,
                            until STOP_FILE exists; any exit code but 0 or any exception fails.
hammer HOME RUN TAG N       append N feedback events (TAG-0 .. TAG-N-1) to step `angles` of RUN
                            as fast as it can once HOME/go exists, while another hammer does the
                            same to the same run.
streamer HOME RUN           stream and pick every step of RUN; after each pick, touch
                            HOME/picked-STEP and wait for HOME/go-STEP before the next step.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import sys
import traceback
from pathlib import Path

from writeit.cli.main import main as cli
from writeit.engine import Engine
from writeit.storage.store import Store


def choose(engine: Engine, run_id: str, step: str, index: int) -> str:
    """Pick response `index` of `step`; a step written per section (tech-article's draft and
    polish) takes the first completed response of every section instead."""
    if engine.load(run_id).steps[step].sections:
        return engine.accept_all(run_id, step=step)
    return engine.pick(run_id, index, step=step)


async def writer(home: Path, runs: int, map_size: int) -> tuple[int, int]:
    store = Store(home / "writeit.lmdb", map_size=map_size)
    grown = 0
    grow = store._grow

    def counting_grow() -> None:
        nonlocal grown
        grown += 1
        grow()

    store._grow = counting_grow  # type: ignore[method-assign]
    engine = Engine(home, store=store)
    written = 0

    def count(_: object) -> None:
        nonlocal written
        written += 1

    engine.subscribe(on_event=count)
    try:
        for i in range(runs):
            run = engine.start_run(
                "tech-article", {"topic": f"concurrency {i}", "notes": "x" * 300}
            )
            run_id = run.run_id
            for step in run.step_order:
                await engine.run_step(run_id, step)
                if step == "outline" and i % 2 == 0:
                    await engine.regenerate(run_id, step=step, feedback="shorter, please")
                run_id = choose(engine, run_id, step, i % 2)
            if i % 3 == 0:
                child = engine.branch(run_id, "draft")
                await engine.run_step(child, "draft")
                choose(engine, child, "draft", 0)
            if i % 4 == 1:
                engine.archive(run_id)
    finally:
        await engine.aclose()
        engine.close()
    return written, grown


def reader(home: Path, stop_file: Path) -> tuple[int, int]:
    """Read until told to stop; return (iterations, commands run)."""
    iterations = commands = 0

    def run(*args: str) -> str:
        nonlocal commands
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = cli(["--home", str(home), *args])
        commands += 1
        if rc != 0:
            raise SystemExit(f"reader: writeit {' '.join(args)} exited {rc}: {err.getvalue()}")
        return out.getvalue()

    while True:
        done = stop_file.exists()  # one more full pass after the writers finished
        if (home / "writeit.lmdb" / "data.mdb").exists():
            rows = json.loads(run("list", "--all", "--json"))
            for row in rows[:4]:
                shown = json.loads(run("show", row["run_id"], "--json"))
                assert shown["run_id"] == row["run_id"]
                run("history", row["run_id"][:8], "--json")
            iterations += 1
        if done:
            return iterations, commands


def hammer(home: Path, run_id: str, tag: str, n: int) -> None:
    """Say ready, wait for the go file (so both hammers really overlap), then append."""
    import time

    from writeit.domain.events import FeedbackGiven
    from writeit.storage.store import utcnow

    with Store(home / "writeit.lmdb") as store:
        (home / f"ready-{tag}").touch()
        deadline = time.monotonic() + 30
        while not (home / "go").exists() and time.monotonic() < deadline:
            time.sleep(0.001)
        for i in range(n):
            store.append(
                FeedbackGiven(run_id=run_id, at=utcnow(), step="angles", feedback=f"{tag}-{i}")
            )


async def streamer(home: Path, run_id: str) -> None:
    import time

    engine = Engine.open(home)
    try:
        for step in engine.load(run_id).step_order:
            await engine.run_step(run_id, step)
            choose(engine, run_id, step, 0)
            (home / f"picked-{step}").touch()
            deadline = time.monotonic() + 60
            while not (home / f"go-{step}").exists() and time.monotonic() < deadline:
                time.sleep(0.005)
    finally:
        await engine.aclose()
        engine.close()


def entry(argv: list[str]) -> int:
    try:
        if argv[0] == "streamer":
            asyncio.run(streamer(Path(argv[1]), argv[2]))
        elif argv[0] == "hammer":
            hammer(Path(argv[1]), argv[2], argv[3], int(argv[4]))
        elif argv[0] == "writer":
            n, grown = asyncio.run(writer(Path(argv[1]), int(argv[2]), int(argv[3])))
            print(json.dumps({"events": n, "grown": grown}))
        else:
            iterations, commands = reader(Path(argv[1]), Path(argv[2]))
            print(json.dumps({"iterations": iterations, "commands": commands}))
    except BaseException:
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(entry(sys.argv[1:]))
