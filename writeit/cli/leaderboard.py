"""`writeit leaderboard`: model ratings from the writer's picks, with the position bias beside."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from writeit.cli.output import emit_json, note, say, table
from writeit.engine import Engine

if TYPE_CHECKING:
    from writeit.domain.ratings import Leaderboard


def leaderboard_json(board: Leaderboard) -> dict[str, Any]:
    """The leaderboard for scripts: Elo with 95% intervals, counts, and every slot's pull."""
    return {
        "picks": board.picks,
        "caution": board.caution,
        "models": [
            {
                "model": r.model,
                "elo": round(r.elo, 1),
                "ci95": [round(r.low, 1), round(r.high, 1)],
                "shown": r.shown,
                "wins": round(r.wins, 2),
            }
            for r in board.ratings
        ],
        "position_bias": {
            "elo_per_slot": round(board.per_slot, 1),
            "ci95": [round(board.per_slot_low, 1), round(board.per_slot_high, 1)],
            "slots": [
                {
                    "slot": s.slot + 1,
                    "elo": round(s.elo, 1),
                    "ci95": [round(s.low, 1), round(s.high, 1)],
                }
                for s in board.slots
            ],
        },
    }


def show_leaderboard(args: argparse.Namespace, engine: Engine) -> int:
    """Print the leaderboard as a table (or JSON), with the position bias under it."""
    board = engine.leaderboard(step=args.step, pipeline=args.pipeline)
    if getattr(args, "json", False):
        emit_json(leaderboard_json(board))
        return 0
    if not board.ratings:
        note("no picks between two or more models yet: pick in the TUI or `writeit run --shuffle`")
        return 0
    rows = [
        [
            str(i + 1),
            r.model,
            f"{r.elo:.0f}",
            f"{r.low:.0f}-{r.high:.0f}",
            str(r.shown),
            f"{r.wins:g}",
        ]
        for i, r in enumerate(board.ratings)
    ]
    table(rows, ["#", "model", "Elo", "95% CI", "shown", "wins"])
    say()
    pulls = ", ".join(f"slot {s.slot + 1} {s.elo:+.0f}" for s in board.slots[1:])
    say(
        f"{board.counted}. Position bias: {board.per_slot:+.0f} Elo per slot to the right "
        f"(95% CI {board.per_slot_low:+.0f} to {board.per_slot_high:+.0f}; {pulls})"
    )
    if board.caution:
        say(board.caution)
    return 0
