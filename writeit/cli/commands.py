"""One function per command; each is a thin call into the engine, store or export."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from pathlib import Path

from writeit.cli.output import emit_json, note, run_row, say, show_run, table
from writeit.domain import catalog
from writeit.domain.errors import ValidationProblem, WriteItError
from writeit.domain.events import ResponseFinished
from writeit.domain.models import PipelineRun, StepState
from writeit.domain.pipeline import load_pipeline
from writeit.domain.status import ResponseStatus
from writeit.domain.style import load_style
from writeit.engine.engine import Engine
from writeit.engine.inputs import parse_input_pairs
from writeit.engine.workspace import default_home
from writeit.export.files import default_path, write_export
from writeit.export.shape import show_shape

Handler = Callable[[argparse.Namespace], int]


def home_of(args: argparse.Namespace) -> Path:
    home = getattr(args, "home", None)
    return Path(home).expanduser() if home else default_home()


def wants_json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "json", False))


def open_engine(args: argparse.Namespace) -> Engine:
    return Engine.open(home_of(args))


def choose(step: StepState, how: str) -> int:
    """The 0-based index `--pick` selects among a finished step's responses."""
    responses = step.ordered_responses()
    usable = [i for i, r in enumerate(responses) if r.usable]
    # Automatic picks take only complete answers, never the partial text of a failed stream.
    complete = [i for i in usable if responses[i].status is ResponseStatus.COMPLETED]
    if not (complete if how in ("first", "longest") else usable):
        reasons = "; ".join(f"{r.model_ref}: {r.error or r.status.value}" for r in responses)
        raise WriteItError(f"step '{step.name}': no response to pick ({reasons})")
    if how == "first":
        return complete[0]
    if how == "longest":
        return max(complete, key=lambda i: len(responses[i].content))
    if how.isdigit() and 1 <= int(how) <= len(responses):
        index = int(how) - 1
        if index not in usable:
            raise WriteItError(
                f"step '{step.name}': response {how} is {responses[index].status.value}"
            )
        return index
    raise WriteItError(f"--pick {how}: use a number from 1 to {len(responses)}, first or longest")


def cmd_run(args: argparse.Namespace) -> int:
    if args.pick not in ("first", "longest") and not args.pick.isdigit():
        raise WriteItError(f"--pick {args.pick}: use a number from 1, first or longest")
    engine = open_engine(args)
    try:
        run = engine.start_run(
            args.pipeline, parse_input_pairs(args.input), style=args.style, models=args.model
        )
        uses_offline = any(
            ref.startswith("offline:")
            for step in run.step_order
            for ref in engine.models_for(run, step)
        )
        if engine.offline_only and uses_offline:
            note("no API key set: running on the built-in offline models")
        note(f"run {run.run_id} ({run.pipeline})")
        engine.on_event.append(_progress)
        run = asyncio.run(_run_all(engine, run, args.pick))
        if wants_json(args):
            emit_json(show_shape(run, engine.store.children(run.run_id)))
        else:
            say(run.run_id)
        return 0
    finally:
        engine.close()


def _progress(event: object) -> None:
    if isinstance(event, ResponseFinished):
        detail = f" ({event.error})" if event.error else ""
        note(f"  {event.step}: {event.status.value}, {event.usage.output_tokens} tokens{detail}")


async def _run_all(engine: Engine, run: PipelineRun, how: str) -> PipelineRun:
    try:
        return await _run_steps(engine, run, how)
    finally:
        await engine.aclose()


async def _run_steps(engine: Engine, run: PipelineRun, how: str) -> PipelineRun:
    while run.status.value != "completed":
        step = run.current_step
        assert step is not None
        note(f"{step}: {', '.join(engine.models_for(run, step))}")
        run = await engine.run_step(run.run_id, step)
        try:
            index = choose(run.steps[step], how)
        except WriteItError as exc:
            engine.mark_error(run.run_id, str(exc))
            raise
        run = engine.load(engine.pick(run.run_id, index, step=step))
        note(f"{step}: picked {index + 1} ({run.steps[step].ordered_responses()[index].model_ref})")
    return run


def cmd_list(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    try:
        ids = engine.store.recent_run_ids(pipeline=args.pipeline)
        runs = [r for r in engine.store.run_snapshots(ids) if args.all or not r.archived]
        runs = runs[: max(0, args.limit)]
    finally:
        engine.close()
    if wants_json(args):
        emit_json([run_row(r) for r in runs])
        return 0
    if not runs:
        say("no runs yet: start one with `writeit run tech-article --input topic=...` or `writeit`")
        return 0
    rows = [
        [
            r.run_id[:8],
            r.pipeline,
            r.status.value,
            f"{r.created_at:%Y-%m-%d %H:%M}",
            f"{r.steps_done}/{len(r.step_order)}",
            (r.parent_run_id or "")[:8],
            (r.inputs.get("topic") or "")[:40],
        ]
        for r in runs
    ]
    table(rows, ["RUN", "PIPELINE", "STATUS", "CREATED", "STEPS", "PARENT", "TOPIC"])
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    try:
        run = engine.load(engine.resolve(args.run_id))
        children = engine.store.children(run.run_id)
    finally:
        engine.close()
    if wants_json(args):
        emit_json(show_shape(run, children))
    else:
        show_run(run, children)
    return 0


def cmd_branch(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    try:
        parent = engine.resolve(args.run_id)
        child = engine.branch(parent, args.from_step)
    finally:
        engine.close()
    if wants_json(args):
        emit_json({"run_id": child, "parent_run_id": parent, "branch_point": args.from_step})
    else:
        say(child)
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    try:
        run_id = engine.resolve(args.run_id)
        if args.at is not None:
            state = engine.store.state_at(run_id, args.at)
            if wants_json(args):
                emit_json({"at": args.at, "state": show_shape(state, [])})
            else:
                say(f"state of run {run_id} after event {args.at}:")
                show_run(state, [])
            return 0
        events = engine.store.events(run_id)
    finally:
        engine.close()
    if wants_json(args):
        emit_json([e.model_dump(mode="json") for e in events])
        return 0
    for e in events:
        say(f"{e.seq:>5}  {e.at:%H:%M:%S.%f}"[:-3] + f"  {e.type:<18} {_describe(e)}")
    return 0


def _describe(event: object) -> str:
    fields = ("step", "status", "index", "pipeline", "branch_point", "feedback")
    parts = [f"{f}={getattr(event, f)}" for f in fields if getattr(event, f, None) is not None]
    text = getattr(event, "text", None)
    if text:
        parts.append(f"+{len(text)} chars")
    return " ".join(parts)


def cmd_export(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    try:
        run = engine.load(engine.resolve(args.run_id))
        fmt = args.format or engine.config.export_format
        path = (
            Path(args.output) if args.output else default_path(engine.workspace.exports, run, fmt)
        )
        written = write_export(run, fmt, path)
    finally:
        engine.close()
    if wants_json(args):
        emit_json({"path": str(written), "format": fmt})
    else:
        say(str(written))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    results = []
    for file in args.files:
        try:
            _load_any(Path(file))
            results.append({"file": file, "ok": True, "problems": []})
        except ValidationProblem as exc:
            results.append({"file": file, "ok": False, "problems": exc.problems})
    if wants_json(args):
        emit_json(results)
    else:
        for r in results:
            if r["ok"]:
                say(f"{r['file']}: ok")
            for problem in r["problems"]:
                note(problem)
    return 0 if all(r["ok"] for r in results) else 1


def _load_any(path: Path) -> None:
    """Validate as a style if it looks like one (has `id`), else as a pipeline."""
    text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    is_style = any(line.startswith("id:") for line in text.splitlines())
    (load_style if is_style else load_pipeline)(path)


def cmd_pipelines(args: argparse.Namespace) -> int:
    cat = catalog.pipelines(home_of(args))
    items = [
        {
            "name": p.config.name,
            "description": p.config.description,
            "steps": p.config.step_names,
            "inputs": [i.name for i in p.config.inputs],
            "path": p.path,
        }
        for p in cat.items.values()
    ]
    return _catalog_out(args, items, cat.problems, ["name", "description"])


def cmd_styles(args: argparse.Namespace) -> int:
    cat = catalog.styles(home_of(args))
    items = [
        {
            "id": s.primer.id,
            "name": s.primer.name,
            "description": s.primer.description,
            "path": s.path,
        }
        for s in cat.items.values()
    ]
    return _catalog_out(args, items, cat.problems, ["id", "description"])


def _catalog_out(
    args: argparse.Namespace, items: list[dict], problems: list[str], cols: list[str]
) -> int:
    if wants_json(args):
        emit_json({"items": items, "problems": problems})
    else:
        table([[str(i[c]) for c in cols] for i in items], [c.upper() for c in cols])
        for p in problems:
            note(f"skipped: {p}")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    try:
        infos = engine.registry.describe()
        defaults = list(
            engine.config.default_models_for("") or engine.registry.env_default_models()
        )
    finally:
        engine.close()
    items = [
        {
            "provider": i.name,
            "kind": i.kind,
            "base_url": i.base_url,
            "credential": i.credential,
            "has_credentials": i.has_credentials,
        }
        for i in infos
    ]
    if wants_json(args):
        emit_json({"providers": items, "default_models": defaults})
        return 0
    rows = [
        [
            i["provider"],
            i["kind"],
            i["base_url"] or "-",
            _cred(i["credential"], i["has_credentials"]),
        ]
        for i in items
    ]
    table(rows, ["PROVIDER", "KIND", "BASE URL", "CREDENTIALS"])
    say("")
    say(f"default models: {', '.join(defaults)}")
    return 0


def _cred(variable: str | None, ok: bool) -> str:
    if variable is None:
        return "not needed"
    return f"{variable} set" if ok else f"{variable} not set"


def cmd_tui(args: argparse.Namespace) -> int:
    from writeit.tui.launch import launch

    return launch(args, home_of(args))


COMMANDS: dict[str | None, Handler] = {
    None: cmd_tui,
    "new": cmd_tui,
    "open": cmd_tui,
    "run": cmd_run,
    "list": cmd_list,
    "show": cmd_show,
    "branch": cmd_branch,
    "history": cmd_history,
    "export": cmd_export,
    "validate": cmd_validate,
    "pipelines": cmd_pipelines,
    "styles": cmd_styles,
    "models": cmd_models,
}


def dispatch(args: argparse.Namespace) -> int:
    return COMMANDS[args.command](args)
