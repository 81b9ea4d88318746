"""The events a writer's choice on a step makes: a pick, an edit, feedback.

Each builder returns a `Build`: given the run the choice lands in (this run, or the branch the
rulebook says it continues in) and the step, the event to append. `branching.plan` calls it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from writeit.domain.events import FeedbackGiven, ResponsePicked, StepEdited
from writeit.domain.models import PipelineRun
from writeit.domain.outline import parse_items
from writeit.domain.provenance import ParagraphSource
from writeit.engine.branching import Build

Clock = Callable[[], datetime]


def pick(
    index: int,
    shown_order: list[str] | None,
    now: Clock,
    *,
    item: int | None = None,
    section: int | None = None,
) -> Build:
    """Pick response `index` (0-based, in the step's order), recording every candidate and the
    order they were shown in (so preferences can be measured without position bias).

    `item`: the chosen item of that response's list (its text goes forward). On a section step
    `index` counts within `section` (default: the first section still open)."""

    def build(run: PipelineRun, name: str) -> ResponsePicked:
        step = run.steps[name]
        where = section
        if step.sections and where is None:
            where = next((i for i, s in enumerate(step.sections) if not s.picked), 0)
        ids = step.sections[where].response_ids if where is not None else step.response_ids
        chosen = step.responses[ids[index]]
        items = [parse_items(step.responses[r].content) for r in ids] if item is not None else []
        return ResponsePicked(
            run_id=run.run_id,
            at=now(),
            step=name,
            response_id=chosen.response_id,
            index=index,
            candidates=list(ids),
            shown_order=list(shown_order or ids),
            item=item,
            item_text=items[index][item] if item is not None else None,
            items_shown=[len(i) for i in items],
            section=where,
        )

    return build


def edit(
    content: str,
    sources: list[str] | None,
    now: Clock,
    provenance: list[ParagraphSource] | None = None,
) -> Build:
    """The writer's own (or merged) text goes forward instead of a pick; a stitch's
    `provenance` says, paragraph by paragraph, which response and model it came from."""

    def build(run: PipelineRun, name: str) -> StepEdited:
        return StepEdited(
            run_id=run.run_id,
            at=now(),
            step=name,
            content=content,
            sources=sources or [],
            provenance=provenance or [],
        )

    return build


def feedback(text: str | None, now: Clock, section: int | None = None) -> Build:
    """Feedback to add to the step's (or one section's) prompt on its next round (none:
    regenerate as it was)."""

    def build(run: PipelineRun, name: str) -> FeedbackGiven | None:
        if text is None or not text.strip():
            return None
        return FeedbackGiven(run_id=run.run_id, at=now(), step=name, feedback=text, section=section)

    return build
