"""The rulebook (`writeit.domain.rules`) over every combination of run, step and response status.

States are built as the fold leaves them (steps before the current one done, steps after it
pending, a completed current step only as the last step of a completed run), for every run
status, every position of the viewed step (earlier than, at or later than the current step),
every status of the viewed step, every pair of response outcomes, and whether this process
streams. Each answer is checked against the rules stated independently here.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from writeit.domain.models import AIResponse, PipelineRun, StepState
from writeit.domain.rules import CHANGES, Action, Rules, StepView, rules, run_state
from writeit.domain.status import ResponseStatus, RunStatus, StepStatus

AT = datetime(2026, 1, 1, tzinfo=UTC)
STEPS = ["angles", "outline", "draft"]
CURRENT = 1  # the current step is `outline`: `angles` is earlier, `draft` later


@dataclass(frozen=True)
class Kind:
    """One response outcome: its status and whether it holds any text."""

    status: ResponseStatus
    text: bool

    @property
    def usable(self) -> bool:
        return self.status is not ResponseStatus.STREAMING and self.text

    def __str__(self) -> str:
        return f"{self.status.value}{'' if self.text else '-empty'}"


KINDS = [Kind(s, t) for s in ResponseStatus for t in (True, False)]
FINISHED = [k for k in KINDS if k.status is not ResponseStatus.STREAMING]
PAIRS = list(itertools.product(KINDS, repeat=2))
FINISHED_PAIRS = list(itertools.product(FINISHED, repeat=2))


def response(step: str, i: int, kind: Kind) -> AIResponse:
    return AIResponse(
        response_id=f"{step}-{i}",
        provider="offline",
        model=("writer", "editor")[i],
        prompt_used="p",
        raw_output="Some **text**" if kind.text else "",
        content="Some **text**" if kind.text else "",
        status=kind.status,
        created_at=AT,
    )


def step_state(
    name: str, status: StepStatus, kinds: tuple[Kind, ...] = (), edited: bool = False
) -> StepState:
    responses = [response(name, i, k) for i, k in enumerate(kinds)]
    selected: int | None = None
    content: str | None = None
    if status is StepStatus.COMPLETED:
        usable = [i for i, k in enumerate(kinds) if k.usable]
        if edited or not usable:
            content = "The writer's own text"
        else:
            selected, content = usable[0], responses[usable[0]].content
    return StepState(
        name=name,
        status=status,
        prompt="p" if kinds else None,
        response_ids=[r.response_id for r in responses],
        responses={r.response_id: r for r in responses},
        selected=selected,
        content=content,
        attempt=1 if kinds else 0,
    )


def done(name: str) -> StepState:
    both = (Kind(ResponseStatus.COMPLETED, True),) * 2
    return step_state(name, StepStatus.COMPLETED, both)


def make_run(status: RunStatus, steps: list[StepState], current: str) -> PipelineRun:
    return PipelineRun(
        run_id="run-1",
        pipeline="tech-article",
        pipeline_sha="0" * 64,
        created_at=AT,
        current_step=current,
        status=status,
        steps={s.name: s for s in steps},
        step_order=[s.name for s in steps],
    )


@dataclass(frozen=True)
class Case:
    run: PipelineRun
    viewed: str
    streaming: bool

    def __str__(self) -> str:
        step = self.run.steps[self.viewed]
        kinds = ",".join(
            str(r.status.value) + ("" if r.content else "-empty") for r in step.ordered_responses()
        )
        return (
            f"run {self.run.status.value}, current {self.run.current_step}, viewing "
            f"{self.viewed} ({step.status.value} [{kinds}]), streaming={self.streaming}"
        )


def viewed_states() -> Iterator[tuple[StepStatus, tuple[Kind, ...]]]:
    """Every status a current step can have, with every pair of response outcomes."""
    yield StepStatus.PENDING, ()
    yield StepStatus.SKIPPED, ()
    for pair in PAIRS:
        yield StepStatus.RUNNING, pair


def done_states(name: str) -> Iterator[StepState]:
    """A done step with every pair of finished responses, picked (when one has text) or edited."""
    for pair in FINISHED_PAIRS:
        for edited in (False, True):
            if edited or any(k.usable for k in pair):
                yield step_state(name, StepStatus.COMPLETED, pair, edited)


# The current steps an earlier step is viewed beside: not started, streaming, responses in.
BESIDE = [
    (StepStatus.PENDING, ()),
    (StepStatus.SKIPPED, ()),
    (
        StepStatus.RUNNING,
        (Kind(ResponseStatus.STREAMING, True), Kind(ResponseStatus.FAILED, False)),
    ),
    (
        StepStatus.RUNNING,
        (Kind(ResponseStatus.COMPLETED, True), Kind(ResponseStatus.CANCELLED, True)),
    ),
]


def cases() -> Iterator[Case]:
    """Every consistent state, viewed from each position, streaming or not."""
    for run_status, streaming in itertools.product(RunStatus, (False, True)):
        if run_status is RunStatus.COMPLETED:
            if streaming:
                continue  # nothing streams in a completed run
            for position in range(len(STEPS)):
                for viewed in done_states(STEPS[position]):
                    steps = [done(n) for n in STEPS]
                    steps[position] = viewed
                    yield Case(make_run(run_status, steps, STEPS[-1]), STEPS[position], False)
            continue
        later = step_state(STEPS[2], StepStatus.PENDING)
        # The viewed step is the current step `outline`, or the later `draft`.
        for current_status, kinds in viewed_states():
            if run_status is RunStatus.INITIALIZING and current_status is StepStatus.RUNNING:
                continue  # starting a step makes the run running
            current = step_state(STEPS[1], current_status, kinds)
            run = make_run(run_status, [done(STEPS[0]), current, later], STEPS[CURRENT])
            yield Case(run, STEPS[1], streaming)
            yield Case(run, STEPS[2], streaming)
        # The viewed step is the earlier `angles`, done in every way.
        for current_status, kinds in BESIDE:
            if run_status is RunStatus.INITIALIZING and current_status is StepStatus.RUNNING:
                continue
            current = step_state(STEPS[1], current_status, kinds)
            for earlier in done_states(STEPS[0]):
                run = make_run(run_status, [earlier, current, later], STEPS[CURRENT])
                yield Case(run, STEPS[0], streaming)


ALL = list(cases())


# -- the rules, stated independently of rules.py -----------------------------------------------


def first_unfinished_before(run: PipelineRun, name: str) -> str | None:
    for n in run.step_order[: run.step_order.index(name)]:
        if run.steps[n].status not in (StepStatus.COMPLETED, StepStatus.SKIPPED):
            return n
    return None


def check(case: Case, verdict: Rules) -> None:
    run, name, streaming = case.run, case.viewed, case.streaming
    step = run.steps[name]
    responses = step.ordered_responses()
    blocked = first_unfinished_before(run, name)
    step_streams = any(r.status is ResponseStatus.STREAMING for r in responses)
    other_process = step_streams and not streaming
    busy = streaming or step_streams
    anything_streams = streaming or any(s.streaming for s in run.steps.values())
    later_started = any(
        run.steps[n].status is not StepStatus.PENDING
        for n in run.step_order[run.step_order.index(name) + 1 :]
    )

    assert verdict.step == name
    # Every refused action says why, in words.
    for action in Action:
        reason = verdict.why_not(action)
        assert reason is None or reason.strip(), action
        assert verdict.allows(action) is (reason is None)
    assert verdict.why_not("fly") == "unknown action 'fly'"

    # Cancel: exactly while this process streams.
    assert verdict.allows(Action.CANCEL) is streaming

    # Pick response i: finished with text, not blocked, nobody else streams it, and (while
    # this process streams) only on the step it streams.
    for i in range(len(responses) + 2):
        ok = (
            i < len(responses)
            and responses[i].finished
            and bool(responses[i].content.strip())
            and blocked is None
            and not other_process
            and not (streaming and name != run.current_step)
        )
        reason = verdict.why_not(Action.PICK, i)
        assert (reason is None) is ok, f"pick {i + 1}: {reason}"
        assert reason is None or reason.strip()
        assert (i in verdict.pickable) is ok
    assert verdict.allows(Action.PICK) is bool(verdict.pickable)
    assert verdict.cancel_first is (busy and bool(verdict.pickable))
    if other_process:
        assert "another WriteIt process" in (verdict.why_not(Action.PICK) or "")

    # Edit, feedback and regenerate: never while the step (or this process) streams.
    for action in (Action.EDIT, Action.FEEDBACK, Action.REGENERATE):
        reason = verdict.why_not(action)
        if blocked is not None:
            assert reason is not None and blocked in reason, (action, reason)
        elif busy:
            assert reason is not None and "streaming" in reason, (action, reason)
    editable = (step.status is StepStatus.COMPLETED and step.content is not None) or any(
        r.finished and r.content.strip() for r in responses
    )
    free = blocked is None and not busy
    assert verdict.allows(Action.EDIT) is (free and editable)
    has_responses = not (step.status is StepStatus.PENDING and step.attempt == 0)
    assert verdict.allows(Action.FEEDBACK) is (free and has_responses)
    assert verdict.allows(Action.REGENERATE) is free

    # Branch: not while anything streams, nor from a step whose earlier steps are unfinished.
    assert verdict.allows(Action.BRANCH) is (not anything_streams and blocked is None)
    if anything_streams:
        assert "streaming" in (verdict.why_not(Action.BRANCH) or "")

    # Changing a step whose later steps started (or a completed run) continues in a branch.
    changes_past = run.status is RunStatus.COMPLETED or later_started
    assert verdict.facts.branches is changes_past
    for action in CHANGES:
        assert verdict.continues_in_branch(action) is (changes_past and verdict.allows(action))

    # Moving between steps, and what is always possible.
    assert verdict.allows(Action.PREV_STEP) is (name != run.step_order[0])
    assert verdict.allows(Action.NEXT_STEP) is (name != run.step_order[-1])
    for action in (Action.EXPORT, Action.TREE, Action.HISTORY):
        assert verdict.allows(action)
    # A step with neither items nor sections offers no moving between them nor accept-all.
    assert not verdict.allows(Action.MOVE) and not verdict.allows(Action.ACCEPT_ALL)

    # The facts the guidance line shows.
    facts = verdict.facts
    assert facts.responses == len(responses)
    assert facts.streaming == sum(1 for r in responses if r.status is ResponseStatus.STREAMING)
    assert facts.waiting_on == blocked
    assert facts.interrupted is any(r.status is ResponseStatus.INTERRUPTED for r in responses)
    assert facts.truncated is any(r.status is ResponseStatus.TRUNCATED for r in responses)
    if step.status is StepStatus.COMPLETED:
        assert facts.picked == step.selected and facts.edited is (step.selected is None)
        assert facts.view in (StepView.DONE, StepView.COMPLETE)
    else:
        assert facts.picked is None and not facts.edited
    if blocked is not None and step.status is StepStatus.PENDING:
        assert facts.view is StepView.NOT_REACHED
    elif step_streams:
        assert facts.view is StepView.STREAMING


def test_the_table_covers_every_combination() -> None:
    seen = {(c.run.status, c.streaming, position(c), c.run.steps[c.viewed].status) for c in ALL}
    for run_status in RunStatus:
        for streaming in (False, True):
            if run_status is RunStatus.COMPLETED and streaming:
                continue
            places = ("earlier", "current", "later")
            if run_status is RunStatus.COMPLETED:
                places = ("earlier", "current")  # the last step is the current one
            for where in places:
                assert any(k[:3] == (run_status, streaming, where) for k in seen), (
                    run_status,
                    streaming,
                    where,
                )
    viewed_statuses = {k[3] for k in seen}
    assert viewed_statuses == set(StepStatus)
    kinds = {
        (r.status, bool(r.content)) for c in ALL for r in c.run.steps[c.viewed].ordered_responses()
    }
    assert kinds == {(k.status, k.text) for k in KINDS}
    assert len(ALL) > 5000


def position(case: Case) -> str:
    index = case.run.step_order.index(case.viewed)
    current = case.run.step_order.index(case.run.current_step or "")
    return "earlier" if index < current else "current" if index == current else "later"


@pytest.mark.parametrize(
    ("run_status", "streaming"),
    [(r, s) for r in RunStatus for s in (False, True) if not (r is RunStatus.COMPLETED and s)],
    ids=str,
)
def test_rulebook_table(run_status: RunStatus, streaming: bool) -> None:
    chosen = [c for c in ALL if c.run.status is run_status and c.streaming is streaming]
    assert chosen
    for case in chosen:
        try:
            check(case, rules(case.run, case.viewed, case.streaming))
        except AssertionError as exc:
            raise AssertionError(f"{case}: {exc}") from exc


def test_viewed_defaults_to_the_current_step() -> None:
    run = make_run(
        RunStatus.RUNNING,
        [
            done(STEPS[0]),
            step_state(STEPS[1], StepStatus.PENDING),
            step_state(STEPS[2], StepStatus.PENDING),
        ],
        STEPS[1],
    )
    assert rules(run).step == STEPS[1]
    assert rules(run).facts.view is StepView.NOT_STARTED


def test_a_run_that_streams_shows_streaming_before_its_first_token() -> None:
    run = make_run(
        RunStatus.RUNNING,
        [
            done(STEPS[0]),
            step_state(STEPS[1], StepStatus.PENDING),
            step_state(STEPS[2], StepStatus.PENDING),
        ],
        STEPS[1],
    )
    assert rules(run, streaming=True).facts.view is StepView.STREAMING


@pytest.mark.parametrize(
    ("run_status", "current", "kinds", "streaming", "word"),
    [
        (RunStatus.COMPLETED, StepStatus.COMPLETED, "cc", False, "completed"),
        (RunStatus.ERROR, StepStatus.RUNNING, "ff", False, "error"),
        (RunStatus.RUNNING, StepStatus.RUNNING, "sc", False, "streaming"),
        (RunStatus.RUNNING, StepStatus.PENDING, "", True, "streaming"),
        (RunStatus.RUNNING, StepStatus.RUNNING, "cf", False, "waiting for your pick"),
        (RunStatus.RUNNING, StepStatus.RUNNING, "ff", False, "needs a regenerate"),
        (RunStatus.RUNNING, StepStatus.PENDING, "", False, "ready: outline next"),
        (RunStatus.INITIALIZING, StepStatus.PENDING, "", False, "ready: outline next"),
        (RunStatus.PAUSED, StepStatus.RUNNING, "cc", False, "waiting for your pick"),
    ],
)
def test_run_state_words(
    run_status: RunStatus, current: StepStatus, kinds: str, streaming: bool, word: str
) -> None:
    letters = {
        "c": Kind(ResponseStatus.COMPLETED, True),
        "f": Kind(ResponseStatus.FAILED, False),
        "s": Kind(ResponseStatus.STREAMING, True),
    }
    pair = tuple(letters[k] for k in kinds)
    if run_status is RunStatus.COMPLETED:
        run = make_run(run_status, [done(n) for n in STEPS], STEPS[-1])
    else:
        steps = [
            done(STEPS[0]),
            step_state(STEPS[1], current, pair),
            step_state(STEPS[2], StepStatus.PENDING),
        ]
        run = make_run(run_status, steps, STEPS[1])
    assert run_state(run, streaming) == word


# -- item steps and section steps -------------------------------------------------------------

ITEM_TEXT = "Angles:\n\n1. **One** first\n2. **Two** second\n3. Three\n"


def section_step(kinds: list[tuple[Kind, ...]], picked: list[bool]) -> StepState:
    """A running section step: section i holds responses of `kinds[i]`, chosen if `picked[i]`."""
    from writeit.domain.models import SectionState

    responses: list[AIResponse] = []
    sections = []
    for i, (pair, chosen) in enumerate(zip(kinds, picked, strict=True)):
        own = [response(f"draft-s{i}", j, k) for j, k in enumerate(pair)]
        responses += own
        usable = [j for j, k in enumerate(pair) if k.usable]
        sections.append(
            SectionState(
                title=f"Section {i + 1}",
                response_ids=[r.response_id for r in own],
                selected=usable[0] if chosen and usable else None,
                content=own[usable[0]].content if chosen and usable else None,
                attempt=1,
            )
        )
    return StepState(
        name="draft",
        status=StepStatus.RUNNING,
        response_ids=[r.response_id for r in responses],
        responses={r.response_id: r for r in responses},
        sections=sections,
        attempt=1,
    )


SECTION_KINDS = [Kind(ResponseStatus.COMPLETED, True), Kind(ResponseStatus.STREAMING, True)]
SECTION_KINDS += [Kind(ResponseStatus.FAILED, False), Kind(ResponseStatus.TRUNCATED, True)]


def section_cases() -> Iterator[tuple[PipelineRun, int, bool]]:
    for a, b in itertools.product(itertools.product(SECTION_KINDS, repeat=2), repeat=2):
        for picked in itertools.product((False, True), repeat=2):
            if any(
                p and not any(k.usable for k in ks) for p, ks in zip(picked, (a, b), strict=True)
            ):
                continue  # a section is chosen only from a response with text
            step = section_step([a, b], list(picked))
            run = make_run(RunStatus.RUNNING, [done("angles"), done("outline"), step], "draft")
            for section, streaming in itertools.product((0, 1), (False, True)):
                yield run, section, streaming


def test_section_rulebook_table() -> None:
    """Picks count within the viewed section; accept-all needs an open section with a
    completed response and nothing streaming; moving between sections is always possible."""
    count = 0
    for run, section, streaming in section_cases():
        step = run.steps["draft"]
        verdict = rules(run, "draft", streaming, section=section)
        own = step.section_responses(section)
        busy = streaming or step.streaming
        own_streams = any(not r.finished for r in own)  # only these hold the section's pick
        assert verdict.section == section
        assert verdict.allows(Action.MOVE)
        want = [i for i, r in enumerate(own) if r.usable] if (streaming or not own_streams) else []
        assert list(verdict.pickable) == want, (section, streaming)
        assert verdict.cancel_first is (own_streams and bool(want))
        if not busy and not all(sec.picked for sec in step.sections):
            reason = verdict.why_not(Action.EDIT) or ""
            has_text = any(r.usable for r in step.responses.values())
            assert ("pick every section first" if has_text else "no text") in reason
        open_completed = any(
            not s.picked
            and any(r.status is ResponseStatus.COMPLETED for r in step.section_responses(i))
            for i, s in enumerate(step.sections)
        )
        accept = not busy and open_completed
        assert verdict.allows(Action.ACCEPT_ALL) is accept, (section, streaming)
        assert verdict.why_not(Action.ACCEPT_ALL) is None or verdict.why_not(Action.ACCEPT_ALL)
        count += 1
    assert count > 200


def test_a_section_step_defaults_to_its_first_open_section() -> None:
    done_pair = (Kind(ResponseStatus.COMPLETED, True),) * 2
    step = section_step([done_pair, done_pair, done_pair], [True, False, False])
    run = make_run(RunStatus.RUNNING, [done("angles"), done("outline"), step], "draft")
    assert rules(run, "draft").section == 1


def test_item_picks_name_an_item_the_response_lists() -> None:
    outline = step_state("outline", StepStatus.RUNNING, (Kind(ResponseStatus.COMPLETED, True),) * 2)
    outline.responses["outline-0"].content = ITEM_TEXT
    run = make_run(
        RunStatus.RUNNING,
        [done("angles"), outline, step_state("draft", StepStatus.PENDING)],
        "outline",
    )
    verdict = rules(run, "outline", item_step=True)
    assert verdict.items == {0: 3, 1: 0}
    assert verdict.allows(Action.MOVE)
    assert verdict.allows(Action.PICK, 0, 2)
    assert verdict.why_not(Action.PICK, 0, 3) == "response 1 has no item 4 (it lists 3)"
    assert "no list" in (verdict.why_not(Action.PICK, 1, 0) or "")
    assert verdict.allows(Action.PICK, 1)  # a response without a list is picked whole
    plain = rules(run, "outline")
    assert plain.items == {} and "no items" in (plain.why_not(Action.MOVE) or "")
    assert not plain.allows(Action.ACCEPT_ALL)
