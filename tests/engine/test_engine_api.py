"""The engine's public API: pages of runs, archiving, families, exports, clock, subscriptions,
the context manager, and changing the past (which always continues in a branch)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from writeit.domain.events import Event, ResponsePicked, ResponseTextAppended, RunCreated
from writeit.domain.status import RunStatus, StepStatus
from writeit.engine import Archived, Engine, PickStrategy, RunQuery

FIRST = PickStrategy.parse("first")


async def finished_run(engine: Engine, topic: str = "tea") -> str:
    run = engine.start_run("blog-post", {"topic": topic})
    return (await engine.run_to_end(run.run_id, FIRST)).run_id


def ids(engine: Engine, **query: object) -> list[str]:
    return [r.run_id for r in engine.runs(RunQuery(**query)).runs]  # type: ignore[arg-type]


def history_dump(engine: Engine, run_id: str) -> list[dict[str, object]]:
    return [e.model_dump() for e in engine.history(run_id)]


# -- runs(RunQuery) ----------------------------------------------------------------------------


def test_runs_page_newest_first_and_continue_from_next_offset(engine: Engine) -> None:
    started = [engine.start_run("blog-post", {"topic": f"topic {i}"}).run_id for i in range(7)]
    newest_first = list(reversed(started))
    assert ids(engine) == newest_first

    seen: list[str] = []
    query = RunQuery(limit=3)
    pages = 0
    while True:
        page = engine.runs(query)
        pages += 1
        assert len(page.runs) <= 3
        seen += [r.run_id for r in page.runs]
        if page.exhausted:
            break
        query = RunQuery(limit=3, offset=page.next_offset)
    assert seen == newest_first and pages == 3
    assert engine.runs(RunQuery(offset=7)).runs == []


def test_runs_filter_by_text_and_pipeline(engine: Engine) -> None:
    tea = engine.start_run("blog-post", {"topic": "Green TEA"}).run_id
    coffee = engine.start_run("blog-post", {"topic": "coffee"}).run_id
    lmdb = engine.start_run("tech-article", {"topic": "LMDB"}).run_id
    assert ids(engine, text="tea") == [tea]  # case-insensitive, over the inputs
    assert ids(engine, text=coffee[:8]) == [coffee]  # and over the run id
    assert ids(engine, pipeline="tech-article") == [lmdb]
    assert ids(engine, pipeline="blog-post") == [coffee, tea]
    assert ids(engine, pipeline="blog-post", text="coffee") == [coffee]
    assert ids(engine, text="nothing like this") == []


def test_archived_runs_hide_only_also_and_unarchive(engine: Engine) -> None:
    kept = engine.start_run("blog-post", {"topic": "kept"}).run_id
    hidden = engine.start_run("blog-post", {"topic": "hidden"}).run_id
    engine.archive(hidden)
    assert engine.load(hidden).archived
    assert ids(engine) == [kept]
    assert ids(engine, archived=Archived.HIDE) == [kept]
    assert ids(engine, archived=Archived.ONLY) == [hidden]
    assert ids(engine, archived=Archived.ALSO) == [hidden, kept]
    assert engine.history(hidden)[0].type == "run_created"  # the log is kept

    engine.unarchive(hidden)
    assert not engine.load(hidden).archived
    assert ids(engine) == [hidden, kept]
    assert ids(engine, archived=Archived.ONLY) == []


def test_a_scan_limit_stops_early_and_says_where(engine: Engine) -> None:
    for i in range(5):
        engine.start_run("blog-post", {"topic": f"t{i}"})
    page = engine.runs(RunQuery(text="no match", scan_limit=1))
    assert page.runs == []
    # Pages scan in chunks; a scan that stopped early is not exhausted, one that ended is.
    assert engine.runs(RunQuery(text="no match")).exhausted


# -- family ------------------------------------------------------------------------------------


async def test_family_is_the_same_from_every_member(engine: Engine) -> None:
    root = await finished_run(engine)
    child = engine.branch(root, "draft")
    grandchild = engine.branch(child, "ideas")
    sibling = engine.branch(root, "polish")
    for member in (root, child, grandchild, sibling):
        family = engine.family(member)
        assert family.root == root
        assert family.children == {
            root: [child, sibling],
            child: [grandchild],
            grandchild: [],
            sibling: [],
        }
        assert set(family.runs) == {root, child, grandchild, sibling}
        assert family.runs[grandchild].parent_run_id == child
    lonely = engine.start_run("blog-post", {"topic": "alone"}).run_id
    assert engine.family(lonely).children == {lonely: []}


# -- export ------------------------------------------------------------------------------------


async def test_export_to_a_directory_a_file_or_the_default_place(
    engine: Engine, tmp_path: Path
) -> None:
    run_id = await finished_run(engine)
    article = engine.load(run_id).article or ""
    assert article

    default = engine.export(run_id, "markdown")
    assert default == engine.home / "exports" / f"blog-post-{run_id[:8]}.md"
    assert article in default.read_text(encoding="utf-8")
    assert default.read_text(encoding="utf-8") == engine.export_text(run_id, "markdown")

    folder = tmp_path / "out"
    folder.mkdir()
    into = engine.export(run_id, "yaml", to=folder)
    assert into == folder / f"blog-post-{run_id[:8]}.yaml"
    assert yaml.safe_load(into.read_text(encoding="utf-8"))["article"] == article

    named = engine.export(run_id, "markdown", to=tmp_path / "mine.md")
    assert named == tmp_path / "mine.md" and article in named.read_text(encoding="utf-8")


# -- context manager, clock, subscribe ---------------------------------------------------------


async def test_the_context_manager_closes_the_store(home: Path) -> None:
    with Engine.open(home) as engine:
        run_id = engine.start_run("blog-post", {"topic": "tea"}).run_id
    # LMDB refuses to open an environment twice in one process: this works only if it closed.
    with Engine.open(home) as again:
        assert again.load(run_id).inputs["topic"] == "tea"


def ticking(start: datetime) -> tuple[Callable[[], datetime], list[datetime]]:
    """A clock that moves one second per reading, and every time it gave out."""
    given: list[datetime] = []

    def clock() -> datetime:
        given.append(start + timedelta(seconds=len(given)))
        return given[-1]

    return clock, given


async def test_every_event_takes_its_time_from_the_injected_clock(home: Path) -> None:
    clock, given = ticking(datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC))
    with Engine.open(home, clock=clock) as engine:
        run = engine.start_run("blog-post", {"topic": "tea"})
        assert run.created_at == given[0]
        run_id = (await engine.run_to_end(run.run_id, FIRST)).run_id
        engine.branch(run_id, "draft")
        engine.remember_session("s", run_id)
        events = engine.history(run_id)
        kinds = {e.type for e in events}
        assert {"run_created", "step_started", "response_finished", "response_picked"} <= kinds
        assert all(e.at in given for e in events), [e.at for e in events if e.at not in given]
        child = engine.family(run_id).children[run_id][0]
        assert all(e.at in given for e in engine.history(child))
        assert engine.last_session_run() == run_id


async def test_subscribe_sees_every_event_and_token_until_unsubscribed(engine: Engine) -> None:
    events: list[Event] = []
    tokens: list[tuple[object, ...]] = []
    unsubscribe = engine.subscribe(
        on_event=events.append, on_delta=lambda *args: tokens.append(args)
    )
    run = engine.start_run("blog-post", {"topic": "tea"})
    await engine.run_step(run.run_id)
    engine.pick(run.run_id, 0)
    stored = engine.history(run.run_id)
    assert [e.model_dump() for e in events] == [e.model_dump() for e in stored]
    assert isinstance(events[0], RunCreated) and isinstance(events[-1], ResponsePicked)
    assert tokens, "no streamed token reached on_delta"
    unsubscribe()
    unsubscribe()  # twice is harmless
    seen = len(events), len(tokens)
    await engine.run_step(run.run_id)
    assert (len(events), len(tokens)) == seen


async def test_listeners_only_see_what_was_stored(engine: Engine) -> None:
    events: list[Event] = []
    engine.subscribe(on_event=events.append)
    run = engine.start_run("blog-post", {"topic": "tea"})
    with pytest.raises(Exception, match="not started"):
        engine.pick(run.run_id, 0)
    assert [e.type for e in events] == ["run_created"]


# -- changing the past -------------------------------------------------------------------------


def past_changes() -> Iterator[tuple[str, Callable[[Engine, str], object]]]:
    yield "pick", lambda e, r: e.pick(r, 1, step="ideas")
    yield "edit", lambda e, r: e.edit(r, "1. **My own idea**", step="ideas")
    yield (
        "feedback",
        lambda e, r: asyncio.ensure_future(e.regenerate(r, step="ideas", feedback="funnier")),
    )
    yield "regenerate", lambda e, r: asyncio.ensure_future(e.regenerate(r, step="ideas"))


@pytest.mark.parametrize("change", [name for name, _ in past_changes()])
@pytest.mark.parametrize("finished", [False, True], ids=["draft-started", "completed"])
async def test_changing_a_past_step_continues_in_a_branch(
    engine: Engine, change: str, finished: bool
) -> None:
    run = engine.start_run("blog-post", {"topic": "tea"})
    if finished:
        run_id = (await engine.run_to_end(run.run_id, FIRST)).run_id
    else:
        run_id = run.run_id
        await engine.run_step(run_id)
        engine.pick(run_id, 0)
        await engine.run_step(run_id)  # `draft` started: `ideas` is the past
    before = history_dump(engine, run_id)
    state_before = engine.load(run_id).model_dump()

    act = dict(past_changes())[change]
    result = act(engine, run_id)
    if isinstance(result, asyncio.Future):
        result = (await result).run_id
    assert isinstance(result, str) and result != run_id
    branch = engine.load(result)

    assert history_dump(engine, run_id) == before, "the original run's log changed"
    assert engine.load(run_id).model_dump() == state_before
    assert branch.parent_run_id == run_id and branch.branch_point == "ideas"
    assert engine.children(run_id) == [result]
    assert branch.steps["draft"].status is StepStatus.PENDING
    assert branch.steps["draft"].response_ids == []
    ideas, old = branch.steps["ideas"], engine.load(run_id).steps["ideas"]
    if change == "pick":
        assert ideas.selected == 1 and ideas.content == old.ordered_responses()[1].content
        assert ideas.response_ids == old.response_ids  # the same responses, picked differently
    elif change == "edit":
        assert ideas.content == "1. **My own idea**" and ideas.selected is None
    else:
        assert ideas.attempt == old.attempt + 1
        assert set(ideas.response_ids).isdisjoint(old.response_ids)
        assert ideas.feedback == ("funnier" if change == "feedback" else None)
    assert engine.replay(result).model_dump() == branch.model_dump()


async def test_a_pick_on_a_failed_run_resumes_it(engine: Engine) -> None:
    """A run marked `error` (say, `writeit run` found nothing complete to pick) can still be
    finished by the writer: the rulebook allows the pick, so the engine must accept it."""
    run = engine.start_run("blog-post", {"topic": "tea"})
    for step in run.step_order:
        await engine.run_step(run.run_id)
        if step != run.step_order[-1]:
            engine.pick(run.run_id, 0)
    engine.mark_error(run.run_id, "nothing complete to pick")
    stopped = engine.load(run.run_id)
    assert stopped.status is RunStatus.ERROR
    assert engine.rules(stopped).allows("pick", 0)
    engine.pick(run.run_id, 0)
    done = engine.load(run.run_id)
    assert done.status is RunStatus.COMPLETED and done.article
    assert engine.replay(run.run_id).model_dump() == done.model_dump()


async def test_streamed_text_arrives_as_events_in_order(engine: Engine) -> None:
    run = engine.start_run("blog-post", {"topic": "tea"})
    state = await engine.run_step(run.run_id)
    texts = [e for e in engine.history(run.run_id) if isinstance(e, ResponseTextAppended)]
    for response in state.steps["ideas"].ordered_responses():
        mine = "".join(e.text for e in texts if e.response_id == response.response_id)
        assert response.raw_output.startswith(mine)
