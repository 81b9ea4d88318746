"""The leaderboard's fit: 2,000 picks among 4 models shown in shuffled order (issue 12).

A simulated writer picks by softmax of each model's strength plus the pull of its pane slot
(-43 Elo per slot to the right, as basemode-loom measured). `leaderboard.fit_2000_picks_ms` is
the median time of the whole fit: maximum likelihood plus 200 bootstrap refits for the 95%
intervals, which `writeit leaderboard` and the TUI's screen (off the UI thread) wait for. The
details say how well it recovered the truth.
"""

from __future__ import annotations

import math
import random
import time
from typing import Any

from bench.common import log, median, rnd

TRUE = {"m1": 1090.0, "m2": 1030.0, "m3": 980.0, "m4": 900.0}
BIAS = -43.0
MODE_SETTINGS = {"tiny": {"picks": 200, "reps": 1}, "quick": {"picks": 2000, "reps": 3}}
MODE_SETTINGS["full"] = {"picks": 2000, "reps": 7}


def run(mode: str) -> dict[str, Any]:
    from writeit.domain.ratings import ELO, Choice, fit

    s = MODE_SETTINGS[mode]
    rng = random.Random(12)
    choices = []
    for _ in range(s["picks"]):
        shown = list(TRUE)
        rng.shuffle(shown)
        weights = [math.exp((TRUE[m] + BIAS * i) / ELO) for i, m in enumerate(shown)]
        choices.append(Choice(tuple(shown), (rng.choices(range(4), weights)[0],)))
    times = []
    for _ in range(s["reps"]):
        start = time.perf_counter()
        board = fit(choices)
        times.append((time.perf_counter() - start) * 1000)
    log(f"leaderboard: {s['picks']} picks fitted in {median(times):.0f} ms")
    errors = {r.model: round(r.elo - TRUE[r.model], 1) for r in board.ratings}
    return {
        "leaderboard.fit_2000_picks_ms": rnd(median(times), 1),
        "details": {
            "leaderboard.picks": s["picks"],
            "leaderboard.elo_error_by_model": errors,
            "leaderboard.per_slot_elo": rnd(board.per_slot, 1),
            "leaderboard.per_slot_true": BIAS,
        },
    }
