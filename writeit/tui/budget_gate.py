"""Before a step streams in the TUI: its estimate, and the budget's question when it may not fit.

The engine refuses a step whose upper estimate would cross what remains of the run's budget;
the TUI asks first instead. Yes raises the budget to what was spent plus the step's upper
estimate (a `BudgetSet` event, so the run's log says who allowed what) and starts the step; no
leaves it unstarted, with its key still there to start it later. The streams still stop when
the spent reaches the (raised) budget.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from textual.screen import Screen

from writeit.domain.budget import check_step
from writeit.domain.errors import WriteItError
from writeit.domain.estimate import round_up
from writeit.engine import Engine
from writeit.tui.screens.dialogs import ConfirmDialog


class GateApp(Protocol):
    engine: Engine

    def notify(self, message: str, *, title: str = ..., timeout: float | None = ...) -> None: ...

    async def push_screen_wait(self, screen: Screen[bool]) -> bool | None: ...


async def approve_step(app: GateApp, run_id: str, step: str, section: int | None = None) -> bool:
    """Show what `step` (or its `section` alone) may cost; when it may cross the budget, ask.
    True: stream it now. Must run in a worker (it waits for the writer's answer)."""
    engine = app.engine
    try:  # history and prices are read off the UI thread
        estimate = await asyncio.to_thread(engine.estimate_step, run_id, step, section)
        state = await asyncio.to_thread(engine.budget, run_id)
    except WriteItError:
        return True  # the engine will say what is wrong when the step starts
    if estimate.high_usd or estimate.unpriced:  # a free step (offline models) needs no notice
        app.notify(estimate.describe(), title="Estimate", timeout=6)
    reason = check_step(state, estimate)
    if reason is None:
        return True
    # What was spent plus the step's upper estimate, rounded up to four decimals, and $0.0001
    # more; rounded again so the budget recorded is the one shown (not 0.032400000000000005).
    raised = round(round_up(state.spent_usd + estimate.high_usd) + 0.0001, 4)
    yes = await app.push_screen_wait(
        ConfirmDialog(
            f"Raise the budget to ${raised:.4f} and start '{step}'?",
            f"{reason[0].upper()}{reason[1:]}. Yes raises the budget and starts the step; "
            "no leaves it unstarted (its key starts it later).",
        )
    )
    if not yes:
        return False
    engine.set_budget(run_id, raised)
    return True
