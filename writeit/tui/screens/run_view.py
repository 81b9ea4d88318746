"""What the run screen says about where a run is, and what the writer can press next.

Everything here is read off the rulebook (`writeit.domain.rules`): its facts say where the step
is, its verdicts say which keys work, and `key` names each action's key as the active bindings
(with the writer's keymap) have it. Nothing here decides a rule.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text

from writeit.domain.budget import BudgetState
from writeit.domain.models import PipelineRun
from writeit.domain.rules import Action, Rules, StepView, run_state
from writeit.tui.text import RUN_STYLE, plain, short_id, topic

KeyName = Callable[[str], str | None]  # action name -> the key that does it now (None: no key)


def title_line(run: PipelineRun, streaming: bool, spent: BudgetState | None = None) -> Text:
    """`tech-article · LMDB · run 1a2b3c4d (branch of 5e6f7a8b at draft) · waiting for your pick`."""
    text = Text.assemble(plain(run.pipeline, "bold"), " · ", plain(topic(run)[:60], "italic"))
    text.append(f" · run {short_id(run.run_id)}", style="dim")
    if run.parent_run_id:
        where = f" (branch of {short_id(run.parent_run_id)} at {run.branch_point})"
        text.append(plain(where, "dim"))
    if run.archived:
        text.append(" · archived", style="italic")
    text.append(" · ")
    text.append(run_state(run, streaming), style=RUN_STYLE[run.status])
    totals = run.totals()
    if spent is not None and spent.budget_usd is not None:  # with its budget, live
        style = "bold yellow" if spent.reached else "dim"
        text.append(f" · {'≈' if streaming else ''}{spent.describe()}", style=style)
    elif spent is not None and streaming and (spent.spent_usd or spent.unpriced):
        text.append(f" · ≈{spent.spent_text()} so far", style="dim")
    elif totals.cost_usd or totals.unpriced:
        text.append(f" · {totals.describe()}", style="dim")
    return text


def _offer(verdict: Rules, key: KeyName, pairs: list[tuple[Action, str]]) -> str:
    """`e edit · f feedback` for the actions the rulebook allows and that have a key."""
    shown = []
    for action, words in pairs:
        name = key(action.value)
        if name and verdict.allows(action):
            shown.append(f"{name} {words}")
    return " · ".join(shown)


def pick_keys(verdict: Rules, key: KeyName) -> str:
    """`1-3` (or `1 3`) for the responses the rulebook lets the writer pick now."""
    names = sorted(n for i in verdict.pickable if (n := key(f"pick({i})")))  # screen order
    if not names:
        return ""
    digits = [int(n) for n in names if n.isdigit()]
    if len(names) > 2 and digits == list(range(digits[0], digits[0] + len(names))):
        return f"{names[0]}-{names[-1]}"
    return " ".join(names)


def _item_keys(verdict: Rules, key: KeyName) -> str:
    """On an item step with lists: numbers choose items of the highlighted pane, not panes."""
    most = max(verdict.items.values(), default=0)
    if not most or not verdict.pickable:
        return ""
    moves = "/".join(k for k in (key("move(-1)"), key("move(1)")) if k)
    numbers = "1" if most == 1 else f"1-{min(most, 9)}"
    # A pane without a list is item 1 of its own (the picker says "whole response").
    return f"Choose one item: {moves} move · {key('choose') or 'enter'} or {numbers} in the ▸ pane"


def guidance(verdict: Rules, description: str, key: KeyName) -> Text:
    """Two lines: the step and what it is for, then where it is and the keys that move on.

    The description comes from the pipeline file (shared, so untrusted): shown filtered.
    """
    facts = verdict.facts
    text = Text.assemble(
        plain(verdict.step, "bold"), plain(f" — {description}" if description else "", "dim")
    )
    text.append("\n")
    picks = pick_keys(verdict, key)
    redo = _offer(
        verdict,
        key,
        [(Action.EDIT, "edit"), (Action.FEEDBACK, "feedback"), (Action.REGENERATE, "regenerate")],
    )
    branch_note = " (continues in a new branch)" if facts.branches else ""
    view = facts.view
    if view is StepView.STREAMING:
        text.append(f"● {facts.streaming} of {facts.responses} streaming. ", style="bold cyan")
        text.append(_offer(verdict, key, [(Action.CANCEL, "cancels")]))
        if picks:
            text.append(f" · {picks} picks a finished one")
    elif view is StepView.COMPLETE:
        text.append("✓ Article complete. ", style="bold green")
        text.append(_offer(verdict, key, [(Action.EXPORT, "exports")]))
        if picks or redo:
            text.append(f" · {' · '.join(p for p in (picks and f'{picks} re-pick', redo) if p)}")
            text.append(branch_note, style="dim")
    elif view is StepView.DONE:
        how = "edited"
        if facts.picked is not None:  # named as its pane is numbered on screen (panes shuffle)
            how = f"picked response {key(f'pick({facts.picked})') or facts.picked + 1}"
        text.append(f"✓ Done ({how}). ", style="green")
        shown = " · ".join(p for p in (picks and f"{picks} re-pick", redo) if p)
        text.append(shown or _offer(verdict, key, [(Action.BRANCH, "branches from here")]))
        if shown:
            text.append(branch_note, style="dim")
    elif view is StepView.NOT_STARTED:
        text.append("This step has not started. ", style="yellow")
        text.append(_offer(verdict, key, [(Action.REGENERATE, "starts it")]))
    elif view is StepView.NOT_REACHED:
        text.append(f"Not reached yet: finish '{facts.waiting_on}' first. ", style="dim")
        text.append(_offer(verdict, key, [(Action.PREV_STEP, "goes back")]))
    elif view is StepView.CHOOSE:
        if facts.interrupted:
            text.append("Some responses were interrupted; their text is kept. ", style="yellow")
        if facts.truncated:
            text.append("Some stopped at the token limit. ", style="yellow")
        shown = _item_keys(verdict, key) or (picks and f"Pick one to continue: {picks}")
        text.append(shown, style="bold")
        if redo:
            text.append(f" · {redo}")
        text.append(branch_note, style="dim")
    else:
        text.append("No response has text to pick. ", style="yellow")
        text.append(redo)
    return text
