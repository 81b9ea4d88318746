"""A YAML export made into a run's events again (`writeit import FILE.yaml`).

The export (DESIGN.md, Export) holds each step's current responses, pick or edited content and
feedback, so the run is rebuilt as: `run_created` (steps before a branch point copied, as a
branch has them, and the branch point too when the branch carried its parent's responses there),
its budget and models, then per step `step_started` (a section step: its plan and one round per
section), one `response_finished` per response with its text, usage and timings, the feedback,
and the pick (of an item, of each section) or the edit; then the run's status (`reimport_steps`
builds each step). Exporting the imported run gives the same file. What an export does not hold
is not invented: prompts are empty, every event is dated at the run's creation, earlier attempts of a step are absent, a
response exported mid-stream is `interrupted`, and the pipeline and style are this home's
installed ones of the same name (the run stores them, as any run does).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import yaml

from writeit.domain.catalog import find_pipeline, find_style
from writeit.domain.errors import NotFound, WriteItError
from writeit.domain.events import BudgetSet, Event, RunCreated, RunStatusChanged
from writeit.domain.fold import fold
from writeit.domain.models import AIResponse
from writeit.domain.outline import outline_title
from writeit.domain.pipeline import PipelineConfig
from writeit.domain.status import RunStatus
from writeit.engine.engine import Engine
from writeit.engine.importing import ImportReport, LogWriter, merge_run
from writeit.engine.reimport_steps import (
    carried_events,
    carried_step,
    carries,
    copied_step,
    step_events,
)
from writeit.engine.workspace import Workspace
from writeit.storage import keys


class ExportImporter(LogWriter, Protocol):
    """The engine, as an import sees it: it can also export and find what is installed."""

    @property
    def home(self) -> Path: ...
    def export_text(self, run_id: str, fmt: str | None = None) -> str: ...


def import_export(engine: ExportImporter, path: Path) -> ImportReport:
    """Recreate the run exported in `path`; the same file again changes nothing, and a run of
    the same id that differs here is left alone, the file's run imported beside it as a branch."""
    data = read_export(path)
    events, blobs = export_events(data, engine.home, _parent_responses(engine, data))
    report = ImportReport()
    run_id = events[0].run_id
    try:
        here = yaml.load(engine.export_text(run_id, "yaml"), Loader=LOADER)
    except NotFound:
        here = None
    if here == data:
        report.unchanged.append(run_id)
        return report
    merge_run(engine, events, blobs, report, branch_salt=f"yaml:{path.name}")
    parent = data.get("parent_run_id")
    if isinstance(parent, str) and not _is_here(engine, parent) and report.added:
        report.notes.append(
            f"its parent run {parent[:8]} is not here. Import a family parent first (or merge "
            "the whole home): a branch can share responses with its parent, and the parent "
            "imported after it would store them again, which writeit doctor reports"
        )
    return report


def _is_here(engine: ExportImporter, run_id: str) -> bool:
    try:
        engine.load(run_id)
    except WriteItError:
        return False
    return True


def open_other_home(path: Path, home: Path) -> Engine:
    """An engine over another WriteIt home to merge from (`import --store`). Nothing is changed
    there: responses a crash left streaming are not recovered, and such runs are skipped."""
    other = Workspace(path)
    if not other.store_path.is_dir():
        raise WriteItError(f"{path} is not a WriteIt home (it has no {other.store_path.name})")
    if path.resolve() == home.resolve():
        raise WriteItError(f"{path} is this home; --store names another one")
    return Engine(path)


# libyaml's safe loader when PyYAML has it: the same data, ten times faster on a long export.
LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
WANTED = "import takes the YAML export (writeit export RUN_ID --format yaml)"


def read_export(path: Path) -> dict[str, Any]:
    """The export in `path`; a file that is not one (the Markdown or docx export of a run is
    the likeliest) is one line that says which file import wants."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WriteItError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise WriteItError(f"{path} is not YAML (not even text); {WANTED}") from None
    if text.startswith("---\n") and "\nrun_id: " in text.split("\n---", 1)[0]:
        raise WriteItError(f"{path} is not YAML but a Markdown export; {WANTED}")
    try:
        data = yaml.load(text, Loader=LOADER)
    except yaml.YAMLError as exc:
        raise WriteItError(f"{path} is not YAML ({str(exc).splitlines()[0]}); {WANTED}") from None
    if not isinstance(data, dict) or data.get("writeit_export") != 1:
        raise WriteItError(
            f"{path} is not a WriteIt YAML export (no 'writeit_export: 1'); {WANTED}"
        )
    return data


def _parent_responses(engine: ExportImporter, data: dict[str, Any]) -> dict[str, AIResponse]:
    """The responses of the export's parent run, if it is here: a branch's copied steps hold
    the parent's own responses (stored once, by id), so they must be the same, field for field."""
    parent = data.get("parent_run_id")
    if not isinstance(parent, str):
        return {}
    try:
        run = engine.load(parent)
    except WriteItError:
        return {}
    return {rid: r for step in run.steps.values() for rid, r in step.responses.items()}


def export_events(
    data: dict[str, Any], home: Path, known: dict[str, AIResponse] | None = None
) -> tuple[list[Event], dict[bytes, bytes]]:
    """The events that rebuild the exported run, and the pipeline and style texts it uses;
    `known` are responses already here that copied steps must reuse (the parent's)."""
    try:
        events, blobs = _events(data, home, known or {})
        fold(events)  # refuse here, before anything is written, what the log would refuse
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise WriteItError(f"the export is incomplete or malformed ({exc!r})") from None
    except WriteItError as exc:
        raise WriteItError(f"the export cannot be made into a run: {exc}") from None
    return [e.model_copy(update={"seq": i}) for i, e in enumerate(events)], blobs


def _events(
    data: dict[str, Any], home: Path, known: dict[str, AIResponse]
) -> tuple[list[Event], dict[bytes, bytes]]:
    run_id = str(data["run_id"])
    at = datetime.fromisoformat(str(data["created_at"]))
    pipeline = find_pipeline(home, str(data["pipeline"]))
    steps = list(data["steps"])
    names = [str(s["name"]) for s in steps]
    installed = [s.name for s in pipeline.config.steps]
    if names != installed:
        raise WriteItError(
            f"its steps ({', '.join(names)}) are not those of pipeline "
            f"'{pipeline.config.name}' here ({', '.join(installed)})"
        )
    blobs = {keys.config(pipeline.config.name, pipeline.sha256): pipeline.source.encode()}
    style_sha = None
    if data.get("style"):
        try:
            style = find_style(home, str(data["style"]))
            style_sha = style.sha256
            blobs[keys.primer(style.primer.id, style.sha256)] = style.source.encode()
        except NotFound:
            pass  # the run keeps the style's name; without its text it runs unstyled here
    point = data.get("branch_point")
    titles = _section_titles(pipeline.config, steps)
    copied = names.index(point) if point in names else 0
    carry = point in names and carries(steps[copied], known)
    kept = [copied_step(s, at, known, titles[n]) for n, s in enumerate(steps[:copied])]
    if carry:
        kept.append(carried_step(steps[copied], at, known, titles[copied]))
    events: list[Event] = [
        RunCreated(
            run_id=run_id,
            at=at,
            pipeline=pipeline.config.name,
            pipeline_sha=pipeline.sha256,
            step_names=names,
            inputs={str(k): str(v) for k, v in (data.get("inputs") or {}).items()},
            style=data.get("style"),
            style_sha=style_sha,
            parent_run_id=data.get("parent_run_id"),
            branch_point=point,
            model_overrides={
                str(k): [str(m) for m in v] for k, v in (data.get("models") or {}).items()
            },
            copied_steps=kept,
        )
    ]
    if carry:
        events.append(RunStatusChanged(run_id=run_id, at=at, status=RunStatus.RUNNING))
    if isinstance(data.get("budget"), dict) and data["budget"].get("budget_usd") is not None:
        events.append(BudgetSet(run_id=run_id, at=at, budget_usd=data["budget"]["budget_usd"]))
    if carry:
        events += carried_events(run_id, steps[copied], at, known, titles[copied])
    for n, step in enumerate(steps[len(kept) :], start=len(kept)):
        events += step_events(run_id, step, at, titles[n])
    status = RunStatus(data["status"])
    state = fold(events)
    if state is not None and state.status is not status and status is not RunStatus.COMPLETED:
        events.append(RunStatusChanged(run_id=run_id, at=at, status=status))
    return events, blobs


def _section_titles(pipeline: PipelineConfig, steps: list[dict[str, Any]]) -> list[str | None]:
    """Each section step's title, as planning it found it: the first level-1 heading of its
    source step's text (which cannot change once the section step has started)."""
    content = {str(s["name"]): s.get("content") for s in steps}
    out: list[str | None] = []
    for s in steps:
        source = pipeline.step(str(s["name"])).sections_of
        text = content.get(source) if source else None
        out.append(outline_title(str(text)) if text and s.get("sections") else None)
    return out
