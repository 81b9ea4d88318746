"""The export shape of a run (DESIGN.md, Export); `show --json` uses it too."""

from __future__ import annotations

from typing import Any

from writeit.domain.budget import budget_state
from writeit.domain.models import AIResponse, PipelineRun, StepState

EXPORT_VERSION = 1


def _usage(r: AIResponse) -> dict[str, Any]:
    u = r.usage
    out: dict[str, Any] = {
        "input_tokens": u.input_tokens,
        "output_tokens": u.output_tokens,
        "total_tokens": u.total_tokens,
        "cost_usd": u.cost_usd,
    }
    for name in ("reasoning_tokens", "cache_read_tokens", "cache_write_tokens"):
        if value := getattr(u, name):
            out[name] = value
    if u.estimated:
        out["estimated"] = True
    return out


def response_shape(r: AIResponse) -> dict[str, Any]:
    out: dict[str, Any] = {
        "response_id": r.response_id,
        "provider": r.provider,
        "model": r.model,
        "status": r.status.value,
        "finish_reason": r.finish_reason,
        "content": r.content,
        "usage": _usage(r),
        "time_to_first_token_s": r.time_to_first_token_s,
        "processing_time_s": r.processing_time_s,
    }
    if r.reasoning:  # kept with the response, never in content or the article
        out["reasoning"] = r.reasoning
    if r.error:
        out["error"] = r.error
    if r.cancel_reason:
        out["cancel_reason"] = r.cancel_reason
    return out


def cost_totals(run: PipelineRun) -> dict[str, Any]:
    """The known part of the run's cost, how many responses used tokens at an unknown price,
    and whether any figure in it is an estimate: one unpriced response must not hide the rest."""
    totals = run.totals()
    out: dict[str, Any] = {"cost_usd": totals.cost_usd, "unpriced": totals.unpriced}
    if totals.estimated:
        out["estimated"] = True
    return out


def step_shape(step: StepState) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": step.name,
        "status": step.status.value,
        "selected": step.selected,
        "feedback": step.feedback,
        "content": step.content,
        "responses": [response_shape(r) for r in step.ordered_responses()],
    }
    if step.provenance:  # a stitched edit: where each paragraph of `content` came from
        out["provenance"] = [p.model_dump() for p in step.provenance]
    if step.item is not None:  # an item step: which item of the picked response went forward
        out["item"] = step.item
    if step.sections:  # a section step: every section with its own responses and pick
        out["sections"] = [
            {
                "title": s.title,
                "notes": s.notes,
                "selected": s.selected,
                "feedback": s.feedback,
                "content": s.content,
                "responses": [response_shape(r) for r in step.section_responses(i)],
            }
            for i, s in enumerate(step.sections)
        ]
    return out


def export_shape(run: PipelineRun) -> dict[str, Any]:
    totals = run.totals()
    shape = {
        "writeit_export": EXPORT_VERSION,
        "run_id": run.run_id,
        "pipeline": run.pipeline,
        "parent_run_id": run.parent_run_id,
        "branch_point": run.branch_point,
        "status": run.status.value,
        "created_at": run.created_at.isoformat(),
        "inputs": dict(run.inputs),
        "style": run.style,
        "steps": [step_shape(s) for s in run.ordered_steps()],
        "article": run.article,
        "totals": {
            "input_tokens": totals.input_tokens,
            "output_tokens": totals.output_tokens,
            **cost_totals(run),
        },
    }
    if run.budget_usd is not None:  # budget, spent and remaining, when a budget was set
        shape["budget"] = budget_state(run).as_json()
    if run.model_overrides:  # models chosen at the start (`--model`), per step or "*": every step
        shape["models"] = {step: list(refs) for step, refs in run.model_overrides.items()}
    return shape


def show_shape(run: PipelineRun, children: list[str]) -> dict[str, Any]:
    """`show --json`: the export shape plus where the run is and its branches."""
    shape = export_shape(run)
    shape["current_step"] = run.current_step
    shape["children"] = children
    shape["archived"] = run.archived
    return shape
