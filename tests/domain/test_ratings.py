"""The leaderboard's fit: known closed-form results, and a simulated writer with a known bias."""

from __future__ import annotations

import math
import random

import pytest

from writeit.domain.ratings import ELO, Choice, Leaderboard, fit

TRUE = {"m1": 1090.0, "m2": 1030.0, "m3": 980.0, "m4": 900.0}  # mean 1000
BIAS = -43.0  # Elo per slot to the right, as basemode-loom measured for human picks


def simulate(n: int, rng: random.Random) -> list[Choice]:
    """A writer who picks by softmax of strength plus the slot's pull, panes shuffled."""
    out = []
    for _ in range(n):
        shown = list(TRUE)
        rng.shuffle(shown)
        weights = [math.exp((TRUE[m] + BIAS * s) / ELO) for s, m in enumerate(shown)]
        out.append(Choice(tuple(shown), (rng.choices(range(len(shown)), weights)[0],)))
    return out


def spearman(board: Leaderboard) -> float:
    fitted = [r.model for r in board.ratings]
    truth = sorted(TRUE, key=lambda m: -TRUE[m])
    d2 = sum((fitted.index(m) - truth.index(m)) ** 2 for m in TRUE)
    n = len(TRUE)
    return 1 - 6 * d2 / (n * (n * n - 1))


def test_two_models_match_the_closed_form_bradley_terry_answer() -> None:
    # A beat B 30 times in 40, each side shown left half the time: P = 3/4, so 400*log10(3).
    choices = [Choice(("A", "B"), (0,))] * 15 + [Choice(("B", "A"), (1,))] * 15
    choices += [Choice(("A", "B"), (1,))] * 5 + [Choice(("B", "A"), (0,))] * 5
    board = fit(choices, bootstrap=0)
    gap = board.ratings[0].elo - board.ratings[1].elo
    assert board.ratings[0].model == "A"
    assert gap == pytest.approx(400 * math.log10(3), abs=2)  # the weak prior pulls ~1 Elo
    assert abs(board.slots[1].elo) < 1  # no slot effect in balanced data
    assert (board.ratings[0].shown, board.ratings[0].wins) == (40, 30)


def test_a_tie_shares_the_win_and_degenerate_input_gives_an_empty_board() -> None:
    tie = fit([Choice(("A", "B"), (0, 1))] * 10, bootstrap=0)
    assert tie.ratings[0].elo == pytest.approx(tie.ratings[1].elo, abs=1e-6)
    assert tie.ratings[0].wins == 5
    assert fit([]).ratings == [] and fit([Choice(("A",), (0,))]).picks == 0
    one = fit([Choice(("A", "B"), (0,))], bootstrap=20)  # separable: finite thanks to the prior
    assert one.ratings[0].model == "A" and math.isfinite(one.ratings[0].elo)


def test_simulated_writer_ranks_models_and_finds_the_position_bias() -> None:
    board = fit(simulate(2000, random.Random(7)), bootstrap=60)
    assert spearman(board) >= 0.9
    assert board.per_slot == pytest.approx(BIAS, abs=15)
    assert board.per_slot_low < BIAS < board.per_slot_high
    assert board.picks == 2000 and [s.slot for s in board.slots] == [0, 1, 2, 3]


@pytest.mark.slow
def test_intervals_cover_the_true_ratings_at_about_their_nominal_rate() -> None:
    covered = total = 0
    for k in range(25):
        board = fit(simulate(2000, random.Random(1000 + k)), bootstrap=100, seed=k)
        assert spearman(board) >= 0.9
        assert board.per_slot == pytest.approx(BIAS, abs=15)
        for r in board.ratings:
            covered += r.low <= TRUE[r.model] <= r.high
            total += 1
    assert 0.85 <= covered / total <= 1.0, covered / total  # nominal 95%, 100 intervals
