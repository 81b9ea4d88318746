"""One exported step made into events again, or into the state a branch copies (`reimport`).

A step picked whole, an item step (the pick names the item, which the fold checks against the
response's own list) and a section step (its plan, one round per section, each section's
feedback and pick, then the writer's edit of the whole text if the assembled picks are not what
went forward) are rebuilt from what the export shows, in an order the fold accepts. A section
step's title is the first level-1 heading of its source step's text, as when it was planned.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from writeit.domain.events import (
    Event,
    FeedbackGiven,
    ResponseFinished,
    ResponsePicked,
    ResponseStub,
    SectionPlan,
    SectionsPlanned,
    StepEdited,
    StepStarted,
)
from writeit.domain.models import AIResponse, SectionState, StepState, TokenUsage
from writeit.domain.outline import assemble
from writeit.domain.provenance import ParagraphSource
from writeit.domain.status import ResponseStatus, StepStatus

INTERRUPTED = "interrupted: it was still streaming when the run was exported"

Shape = dict[str, Any]


def step_events(run_id: str, step: Shape, at: datetime, title: str | None) -> list[Event]:
    """The events after which the fold holds `step` as exported (`title`: a section step's)."""
    name = str(step["name"])
    sections = list(step.get("sections") or [])
    if sections:
        out: list[Event] = [
            SectionsPlanned(
                run_id=run_id,
                at=at,
                step=name,
                sections=[
                    SectionPlan(title=str(s["title"]), notes=str(s["notes"])) for s in sections
                ],
                title=title,
            )
        ]
        for i in _started_order(step, sections):
            out += _round(run_id, name, sections[i]["responses"], at, section=i)
    elif step.get("responses"):
        out = _round(run_id, name, step["responses"], at, section=None)
    else:
        return []
    if step.get("feedback"):
        out.append(FeedbackGiven(run_id=run_id, at=at, step=name, feedback=str(step["feedback"])))
    for i, s in enumerate(sections):
        if s.get("feedback"):
            out.append(
                FeedbackGiven(
                    run_id=run_id, at=at, step=name, feedback=str(s["feedback"]), section=i
                )
            )
    return out + _outcome(run_id, step, sections, at, title)


def copied_step(
    step: Shape, at: datetime, known: dict[str, AIResponse], title: str | None
) -> StepState:
    """A step a branch carries from its parent: the parent's responses when they are here,
    else as the export shows them."""
    responses = [
        known.get(str(r["response_id"])) or _response(r, at) for r in step.get("responses") or []
    ]
    sections = [
        SectionState(
            title=str(s["title"]),
            notes=str(s["notes"]),
            response_ids=[str(r["response_id"]) for r in s.get("responses") or []],
            selected=s.get("selected"),
            content=s.get("content"),
            feedback=s.get("feedback"),
            attempt=1 if s.get("responses") else 0,
        )
        for s in step.get("sections") or []
    ]
    return StepState(
        name=str(step["name"]),
        status=StepStatus(step["status"]),
        response_ids=[r.response_id for r in responses],
        responses={r.response_id: r for r in responses},
        selected=step.get("selected"),
        feedback=step.get("feedback"),
        content=step.get("content"),
        provenance=_provenance(step),
        attempt=1 if responses or sections else 0,
        item=step.get("item"),
        title=title if sections else None,
        sections=sections,
    )


def carries(step: Shape, known: dict[str, AIResponse]) -> bool:
    """Whether a branch carried this step (its branch point) with the parent's responses: a
    pick or edit of a step whose later steps had started branches that way."""
    return any(str(r["response_id"]) in known for r in step.get("responses") or [])


def carried_step(
    step: Shape, at: datetime, known: dict[str, AIResponse], title: str | None
) -> StepState:
    """The branch point's step as the branch that carried it began: running, the parent's
    responses and the feedback kept, nothing picked yet (sections the branch streamed again
    start empty). The responses are the parent's own, stored once by id, so never rebuilt."""
    state = copied_step(step, at, known, title)
    state.status = StepStatus.RUNNING
    state.selected = state.item = state.content = None
    state.provenance = []
    state.response_ids = [r for r in state.response_ids if r in known]
    state.responses = {r: state.responses[r] for r in state.response_ids}
    for section in state.sections:
        section.selected = section.content = None
        if not all(r in known for r in section.response_ids):
            section.response_ids, section.attempt = [], 0
    return state


def carried_events(
    run_id: str, step: Shape, at: datetime, known: dict[str, AIResponse], title: str | None
) -> list[Event]:
    """What the branch did on the step it carried (`carried_step`): the sections it streamed
    again, then the picks or the edit."""
    name = str(step["name"])
    sections = list(step.get("sections") or [])
    out: list[Event] = []
    for i in _started_order(step, sections):
        responses = sections[i]["responses"]
        if not all(str(r["response_id"]) in known for r in responses):
            out += _round(run_id, name, responses, at, section=i)
    return out + _outcome(run_id, step, sections, at, title)


def _started_order(step: Shape, sections: list[Shape]) -> list[int]:
    """The sections with responses, in the order their rounds started: the step lists its
    responses by round, and a section regenerated later comes after the others."""
    place = {str(r["response_id"]): n for n, r in enumerate(step.get("responses") or [])}
    started = [i for i, s in enumerate(sections) if s.get("responses")]
    return sorted(
        started, key=lambda i: place.get(str(sections[i]["responses"][0]["response_id"]), i)
    )


def _round(
    run_id: str, name: str, responses: list[Shape], at: datetime, section: int | None
) -> list[Event]:
    out: list[Event] = [
        StepStarted(
            run_id=run_id,
            at=at,
            step=name,
            prompt="",
            responses=[
                ResponseStub(
                    response_id=str(r["response_id"]),
                    provider=str(r["provider"]),
                    model=str(r["model"]),
                )
                for r in responses
            ],
            section=section,
        )
    ]
    for r in responses:
        status = ResponseStatus(r["status"])
        streaming = status is ResponseStatus.STREAMING
        out.append(
            ResponseFinished(
                run_id=run_id,
                at=at,
                step=name,
                response_id=str(r["response_id"]),
                status=ResponseStatus.INTERRUPTED if streaming else status,
                text=str(r.get("content") or ""),
                reasoning=str(r.get("reasoning") or ""),
                finish_reason=r.get("finish_reason"),
                error=INTERRUPTED if streaming else r.get("error"),
                usage=TokenUsage.model_validate(r.get("usage") or {}),
                time_to_first_token_s=r.get("time_to_first_token_s"),
                processing_time_s=r.get("processing_time_s"),
                cancel_reason=r.get("cancel_reason"),
            )
        )
    return out


def _outcome(
    run_id: str, step: Shape, sections: list[Shape], at: datetime, title: str | None
) -> list[Event]:
    """The picks, and the edit when what went forward is neither a pick nor the picks."""
    name = str(step["name"])
    out: list[Event] = [
        _pick(run_id, name, s["responses"], int(s["selected"]), at, section=i)
        for i, s in enumerate(sections)
        if s.get("selected") is not None
    ]
    if not sections and step.get("selected") is not None:
        item = step.get("item")
        pick = _pick(run_id, name, step["responses"], int(step["selected"]), at, section=None)
        return [pick.model_copy(update={"item": None if item is None else int(item)})]
    if StepStatus(step["status"]) is not StepStatus.COMPLETED:
        return out
    picks = [(str(s["title"]), s.get("content")) for s in sections]
    complete = bool(sections) and all(c is not None for _, c in picks)
    if complete and assemble(title, [(t, str(c)) for t, c in picks]) == step.get("content"):
        return out
    edit = StepEdited(
        run_id=run_id, at=at, step=name, content=str(step["content"]), provenance=_provenance(step)
    )
    return [*out, edit]


def _pick(
    run_id: str, name: str, responses: list[Shape], index: int, at: datetime, section: int | None
) -> ResponsePicked:
    ids = [str(r["response_id"]) for r in responses]
    return ResponsePicked(
        run_id=run_id,
        at=at,
        step=name,
        response_id=ids[index],
        index=index,
        candidates=ids,
        shown_order=ids,
        section=section,
    )


def _provenance(step: Shape) -> list[ParagraphSource]:
    return [ParagraphSource.model_validate(p) for p in step.get("provenance") or []]


def _response(r: Shape, at: datetime) -> AIResponse:
    return AIResponse(
        response_id=str(r["response_id"]),
        provider=str(r["provider"]),
        model=str(r["model"]),
        prompt_used="",
        raw_output=str(r.get("content") or ""),
        content=str(r.get("content") or ""),
        status=ResponseStatus(r["status"]),
        finish_reason=r.get("finish_reason"),
        error=r.get("error"),
        cancel_reason=r.get("cancel_reason"),
        reasoning=str(r.get("reasoning") or ""),
        created_at=at,
        usage=TokenUsage.model_validate(r.get("usage") or {}),
        time_to_first_token_s=r.get("time_to_first_token_s"),
        processing_time_s=r.get("processing_time_s"),
    )
