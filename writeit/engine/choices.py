"""The events a writer's choice on a step makes: a pick, an edit, feedback.

Each builder returns a `Build`: given the run the choice lands in (this run, or the branch the
rulebook says it continues in) and the step, the event to append. `branching.plan` calls it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from writeit.domain.events import FeedbackGiven, ResponsePicked, StepEdited
from writeit.domain.models import PipelineRun
from writeit.domain.provenance import ParagraphSource
from writeit.engine.branching import Build

Clock = Callable[[], datetime]


def pick(index: int, shown_order: list[str] | None, now: Clock) -> Build:
    """Pick response `index` (0-based, in the step's order), recording every candidate and the
    order they were shown in (so preferences can be measured without position bias)."""

    def build(run: PipelineRun, name: str) -> ResponsePicked:
        ids = run.steps[name].response_ids
        return ResponsePicked(
            run_id=run.run_id,
            at=now(),
            step=name,
            response_id=ids[index],
            index=index,
            candidates=list(ids),
            shown_order=list(shown_order or ids),
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


def feedback(text: str | None, now: Clock) -> Build:
    """Feedback to add to the step's prompt on its next round (none: regenerate as it was)."""

    def build(run: PipelineRun, name: str) -> FeedbackGiven | None:
        if text is None or not text.strip():
            return None
        return FeedbackGiven(run_id=run.run_id, at=now(), step=name, feedback=text)

    return build
