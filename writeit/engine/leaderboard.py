"""The leaderboard's data: every choice a writer made between models, read from the event logs.

A pick (`ResponsePicked`) is one choice among the candidates in the order they were shown. A
stitched edit whose provenance names paragraphs from two or more responses is a tie among them
(each shares the win), shown in the step's display order (`display_order`, the order the run
screen and the stitch screen use). An edit without provenance, or from one response only, says
nothing about models and is left out. A later pick on the same step's same candidates (the writer
changed their mind before moving on) replaces the earlier one.

The fit itself is pure (`writeit.domain.ratings`) and is imported only when a leaderboard is
asked for, never on start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from writeit.domain.compare import display_order
from writeit.domain.errors import WriteItError
from writeit.domain.events import Event, ResponsePicked, RunCreated, StepEdited, StepStarted

if TYPE_CHECKING:
    from writeit.domain.ratings import Choice, Leaderboard


def choices_in(events: Iterable[Event], step: str | None = None) -> list[Choice]:
    """The choices one run's log holds (of step `step` only, when given)."""
    from writeit.domain.ratings import Choice

    models: dict[str, str] = {}  # response id -> provider:model
    candidates: dict[str, list[str]] = {}  # step -> its current response ids
    found: dict[tuple[str, tuple[str, ...]], Choice] = {}
    for e in events:
        if isinstance(e, RunCreated):
            for copied in e.copied_steps:
                models.update((r.response_id, r.model_ref) for r in copied.responses.values())
                candidates[copied.name] = list(copied.response_ids)
        elif isinstance(e, StepStarted):
            models.update((r.response_id, f"{r.provider}:{r.model}") for r in e.responses)
            candidates[e.step] = [r.response_id for r in e.responses]
        elif step is not None and getattr(e, "step", step) != step:
            continue
        elif isinstance(e, ResponsePicked) and e.response_id in e.shown_order:
            shown = tuple(models.get(r, "?") for r in e.shown_order)
            winner = e.shown_order.index(e.response_id)
            found[(e.step, tuple(sorted(e.candidates)))] = Choice(shown, (winner,))
        elif isinstance(e, StepEdited):
            ids = candidates.get(e.step, [])
            taken = {p.response_id for p in e.provenance if p.response_id in ids}
            if len(taken) > 1:
                order = display_order(ids)
                shown = tuple(models.get(r, "?") for r in order)
                ties = tuple(i for i, r in enumerate(order) if r in taken)
                found[(e.step, tuple(sorted(ids)))] = Choice(shown, ties)
    return list(found.values())


def leaderboard(
    run_ids: Iterable[str], read: Callable[[str], list[Event]], step: str | None, bootstrap: int
) -> Leaderboard:
    """Fit the ratings to every choice in the logs of `run_ids` (a damaged log is skipped:
    `writeit doctor` reports it; one bad run must not hide every other run's picks)."""
    from writeit.domain.ratings import fit

    choices: list[Choice] = []
    for run_id in run_ids:
        try:
            events = read(run_id)
        except WriteItError:
            continue
        choices += choices_in(events, step)
    return fit(choices, bootstrap=bootstrap)
