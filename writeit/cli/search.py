"""`writeit search`: find old runs by what they said. A thin call into the engine API."""

from __future__ import annotations

import argparse

from writeit.cli.args import home_of, wants_json
from writeit.cli.output import emit_json, note, say
from writeit.domain.errors import WriteItError
from writeit.engine import (
    Engine,
    SearchHit,
    SearchResults,
    rebuild_search_index,
    search_runs,
)


def cmd_search(args: argparse.Namespace) -> int:
    query = " ".join(args.query)
    if not query.strip() and not args.rebuild:
        raise WriteItError("give words to search for (or --rebuild to rebuild the index)")
    with Engine.open(home_of(args)) as engine:
        if args.rebuild:
            built = rebuild_search_index(engine)
            _skipped(built)
            if not query.strip():
                if wants_json(args):
                    emit_json({"rebuilt": built.indexed, "skipped": _skipped_shape(built)})
                else:
                    say(f"search index rebuilt from the log of {built.indexed} runs")
                return 0
        results = search_runs(engine, query, limit=args.limit)
    if wants_json(args):
        emit_json(
            {
                "query": results.query,
                "hits": [h.shape() for h in results.hits],
                "skipped": _skipped_shape(results),
            }
        )
        return 0
    _skipped(results)
    if not results.hits:
        say(f"no run mentions {query!r}")
    for hit in results.hits:
        say(f"{hit.run_id[:8]}  {hit.topic[:48]}  {hit.place}")
        say(f"    {_marked(hit)}")
    return 0


def _marked(hit: SearchHit) -> str:
    """The snippet with its matched words in «guillemets» (plain text survives any pipe)."""
    out, last = [], 0
    for start, end in hit.marks:
        out += [hit.snippet[last:start], "«", hit.snippet[start:end], "»"]
        last = end
    out.append(hit.snippet[last:])
    return "".join(out)


def _skipped(results: SearchResults) -> None:
    for run_id, why in results.skipped:
        note(f"skipped run {run_id[:8]}: {why}")


def _skipped_shape(results: SearchResults) -> list[dict[str, str]]:
    return [{"run_id": run_id, "why": why} for run_id, why in results.skipped]
