"""`writeit list`: the newest runs, one line each (or JSON rows for scripts).

Imports only the engine's light listing: a page of finished runs prints without the domain
models, the providers or a migration (bench: `cli.list_ms_5k_runs`).
"""

from __future__ import annotations

import argparse

from writeit.cli.args import home_of, wants_json
from writeit.cli.output import emit_json, run_row, say, table
from writeit.domain.errors import WriteItError
from writeit.engine import Archived, RunQuery, run_rows


def cmd_list(args: argparse.Namespace) -> int:
    archived = Archived.ALSO if args.all else Archived.HIDE
    query = RunQuery(limit=args.limit, pipeline=args.pipeline, archived=archived)
    rows = run_rows(home_of(args), query)
    if args.pipeline and not rows:
        _check_pipeline_name(args, args.pipeline)
    if wants_json(args):
        emit_json([run_row(r) for r in rows])
        return 0
    if not rows:
        say("no runs yet: start one with `writeit run tech-article --input topic=...` or `writeit`")
        return 0
    lines = [
        [
            r.run_id[:8],
            r.pipeline,
            r.state + (" (archived)" if r.archived else ""),
            f"{r.created_at:%Y-%m-%d %H:%M}",
            f"{r.steps_done}/{r.steps_total}",
            (r.parent_run_id or "")[:8],
            (r.inputs.get("topic") or "")[:40],
        ]
        for r in rows
    ]
    table(lines, ["RUN", "PIPELINE", "STATUS", "CREATED", "STEPS", "PARENT", "TOPIC"])
    return 0


def _check_pipeline_name(args: argparse.Namespace, name: str) -> None:
    """A filter that matches nothing because of a typo must say so, not "no runs yet".

    Runs of a pipeline whose file is gone still count: their name is a real filter.
    """
    from writeit.engine import Engine  # only for an empty filtered page

    with Engine.open(home_of(args)) as engine:
        known = engine.pipelines().items
        if name in known:
            return
        if engine.runs(RunQuery(limit=1, pipeline=name, archived=Archived.ALSO)).runs:
            return
    raise WriteItError(
        f"no pipeline '{name}' and no runs of it (pipelines: {', '.join(sorted(known)) or 'none'})"
    )
