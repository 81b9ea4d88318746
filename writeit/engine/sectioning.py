"""Section steps (`for_each: sections of STEP`): the events and streams of one round.

A round starts with `SectionsPlanned` (the sections of the source step's text as it stands, so
editing the outline before drafting changes what is drafted), then one `StepStarted` per section
with that section's own prompt. Every section's responses stream together in one fan-out, so
the providers' concurrency limits are the only thing that serialises them. Regenerating one
section is a round of that section alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

from writeit.domain.errors import WriteItError
from writeit.domain.events import ResponseStub, SectionPlan, SectionsPlanned, StepStarted
from writeit.domain.fold import apply
from writeit.domain.models import PipelineRun
from writeit.domain.outline import no_sections, outline_title, parse_sections
from writeit.domain.pipeline import PipelineConfig
from writeit.domain.style import StylePrimer
from writeit.engine.fanout import StreamJob
from writeit.engine.prompts import section_prompt
from writeit.engine.requests import step_requests

Clock = Callable[[], datetime]


def plan_event(
    run: PipelineRun, pipeline: PipelineConfig, step: str, at: datetime
) -> SectionsPlanned:
    """The sections of the source step's text now; refused when it has none to draft."""
    source = pipeline.step(step).sections_of
    assert source is not None
    text = run.steps[source].content or ""
    sections = parse_sections(text)
    if not sections:
        raise WriteItError(no_sections(step, source))
    return SectionsPlanned(
        run_id=run.run_id,
        at=at,
        step=step,
        sections=[SectionPlan(title=s.title, notes=s.notes) for s in sections],
        title=outline_title(text),
    )


def section_round(
    probe: PipelineRun,
    pipeline: PipelineConfig,
    style: StylePrimer | None,
    step: str,
    refs: list[str],
    sections: Iterable[int],
    now: Clock,
    pid: int,
) -> tuple[list[StepStarted], list[StreamJob]]:
    """A `StepStarted` and the stream jobs for each of `sections` of `probe` (a copy of the run
    with the round planned; each start is applied to it so the next section sees it)."""
    per_model = pipeline.responses_for(pipeline.step(step))
    events: list[StepStarted] = []
    jobs: list[StreamJob] = []
    for index in sections:
        prompt = section_prompt(probe, pipeline, style, step, index)
        stubs = [
            ResponseStub(response_id=str(uuid.uuid4()), provider=p, model=m)
            for ref in refs
            for p, m in [ref.split(":", 1)]
            for _ in range(per_model)
        ]
        attempt = probe.steps[step].sections[index].attempt
        event = StepStarted(
            run_id=probe.run_id,
            at=now(),
            step=step,
            prompt=prompt,
            responses=stubs,
            owner_pid=pid,
            section=index,
        )
        requests = step_requests(probe, pipeline, step, stubs, prompt, attempt=attempt)
        jobs += [
            StreamJob(run_id=probe.run_id, step=step, response_id=s.response_id, request=r)
            for s, r in zip(stubs, requests, strict=True)
        ]
        apply(probe, event)
        events.append(event)
    return events, jobs
