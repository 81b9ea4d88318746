"""`writeit list` reads a page of finished runs straight from the light snapshots (no pydantic),
and says exactly what the engine's own page would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from stores import finished_run

from writeit.engine import Archived, Engine, RunQuery, RunRow, run_rows

LIST_AND_MODULES = (
    "import sys\nfrom writeit.cli import main\ncode = main(sys.argv[1:])\n"
    "print('MODULES', ' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    "raise SystemExit(code)"
)


def listing(home: Path, *argv: str) -> tuple[str, set[str]]:
    """stdout of a real `writeit list` process, and the top-level packages it imported."""
    done = subprocess.run(
        [sys.executable, "-c", LIST_AND_MODULES, "list", *argv],
        capture_output=True,
        text=True,
        env=os.environ | {"WRITEIT_HOME": str(home)},
        check=True,
    )
    out, _, modules = done.stdout.rpartition("MODULES ")
    return out, set(modules.split())


def engine_rows(engine: Engine, query: RunQuery) -> list[RunRow]:
    return [RunRow.of(r, engine.state_of(r)) for r in engine.runs(query).runs]


@pytest.fixture
def runs(home: Path) -> list[str]:
    with Engine.open(home) as engine:
        ids = [finished_run(engine, "blog-post", topic) for topic in ("kelp", "tides", "moss")]
        engine.archive(ids[1])
    return ids


def test_finished_runs_are_listed_without_the_domain_models(home: Path, runs: list[str]) -> None:
    out, modules = listing(home, "--all", "--json")
    assert not modules & {"pydantic", "yaml", "textual", "openai", "anthropic"}, modules
    rows = json.loads(out)
    assert [r["run_id"] for r in rows] == runs[::-1]
    assert [r["archived"] for r in rows] == [False, True, False]
    assert {r["state"] for r in rows} == {"completed"}
    assert rows[0]["steps_done"] == rows[0]["steps_total"] > 0 and rows[0]["topic"] == "moss"
    queries = [
        RunQuery(limit=2, pipeline=pipeline, archived=archived)
        for archived in Archived
        for pipeline in (None, "blog-post", "tech-article")
    ]
    with Engine.open(home) as engine:  # (LMDB opens a store once per process at a time)
        expected = [engine_rows(engine, query) for query in queries]
    assert [run_rows(home, query) for query in queries] == expected


def test_an_unfinished_run_is_listed_in_the_rulebooks_words(home: Path, runs: list[str]) -> None:
    with Engine.open(home) as engine:
        waiting = engine.start_run("blog-post", {"topic": "reefs"}).run_id
    with Engine.open(home) as engine:
        expected = engine_rows(engine, RunQuery())
    rows = run_rows(home, RunQuery())  # its words depend on its responses: the engine's page
    assert rows == expected
    assert [(r.run_id, r.state) for r in rows[:2]] == [
        (waiting, "ready: ideas next"),
        (runs[2], "completed"),
    ]
