"""One function per command; each is a thin call into the public engine API.

The CLI imports `writeit.engine` (the package) and `writeit.domain` only, so every action it
offers is one the TUI, the tests and the benchmarks can make through the same calls.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from writeit.cli.args import home_of, wants_json
from writeit.cli.estimate import check_first_step, show_estimate, stopped_at_budget
from writeit.cli.leaderboard import show_leaderboard
from writeit.cli.output import emit_json, note, say, show_run, table
from writeit.domain.budget import OverBudget
from writeit.domain.errors import ValidationProblem, WriteItError
from writeit.domain.events import Event, ResponseFinished, ResponsePicked, StepStarted
from writeit.domain.models import PipelineRun
from writeit.domain.pipeline import load_pipeline
from writeit.domain.rules import run_state
from writeit.domain.style import load_style
from writeit.domain.yaml_source import read_yaml
from writeit.engine import (
    Engine,
    PickStrategy,
    estimating_engine,
    is_binary,
    parse_input_pairs,
    parse_model_specs,
)


def cmd_run(args: argparse.Namespace) -> int:
    # Everything the command line says is checked before the store is opened or a run exists.
    strategy = PickStrategy.parse(args.pick)
    inputs = parse_input_pairs(args.input)
    models = parse_model_specs(args.model)
    if args.estimate:  # before prepare_run: an estimate may leave required inputs out
        with estimating_engine(home_of(args)) as engine:  # writes nothing to a new home
            estimate = engine.estimate(args.pipeline, inputs, style=args.style, models=models)
            show_estimate(args, estimate, args.budget or engine.config.budget_usd)
        return 0
    with Engine.open(home_of(args)) as engine:
        plan = engine.prepare_run(args.pipeline, inputs, style=args.style, models=models)
        strategy.check_fanout(plan.fanout_sizes)
        budget = args.budget or engine.config.budget_usd
        if budget is not None:  # refused before a run exists; unknown prices named
            check_first_step(
                engine.estimate(plan.pipeline, plan.inputs, style=args.style, models=models),
                budget,
                args.over_budget,
            )
        uses_offline = any(
            ref.startswith("offline:") for refs in plan.models.values() for ref in refs
        )
        if engine.offline_only and uses_offline:
            note("no API key set: running on the built-in offline models")
        for warning in plan.warnings:
            note(f"warning: {warning}")
        run = engine.start_run(
            plan.pipeline, plan.inputs, style=args.style, models=models, budget_usd=budget
        )
        note(f"run {run.run_id} ({run.pipeline})")
        engine.subscribe(on_event=Progress().on_event)
        run = asyncio.run(_run_to_end(engine, run.run_id, strategy, args.over_budget, args.shuffle))
        if wants_json(args):
            emit_json(engine.describe(run) | {"state": engine.state_of(run)})
        else:
            say(run.run_id)
    return 0


async def _run_to_end(
    engine: Engine, run_id: str, strategy: PickStrategy, over_budget: bool, shuffle: bool
) -> PipelineRun:
    try:
        return await engine.run_to_end(run_id, strategy, over_budget=over_budget, shuffle=shuffle)
    except OverBudget as exc:  # the run exists by now: say where it waits and how to go on
        raise OverBudget(stopped_at_budget(str(exc), run_id)) from None
    finally:
        await engine.aclose()  # provider HTTP pools belong to this event loop


class Progress:
    """Tells a human on stderr what a headless run is doing, from the engine's events."""

    def __init__(self) -> None:
        self.models: dict[str, str] = {}  # response id -> provider:model

    def on_event(self, event: Event) -> None:
        if isinstance(event, StepStarted):
            self.models.update((r.response_id, f"{r.provider}:{r.model}") for r in event.responses)
            where = event.step if event.section is None else f"{event.step} §{event.section + 1}"
            note(f"{where}: {', '.join(self.models[r.response_id] for r in event.responses)}")
        elif isinstance(event, ResponseFinished):
            detail = f" ({event.error})" if event.error else ""
            note(
                f"  {event.step}: {event.status.value}, {event.usage.output_tokens} tokens{detail}"
            )
        elif isinstance(event, ResponsePicked):
            model = self.models.get(event.response_id, "?")
            where = event.step if event.section is None else f"{event.step} §{event.section + 1}"
            item = f", item {event.item + 1}" if event.item is not None else ""
            note(f"{where}: picked {event.index + 1}{item} ({model})")


def cmd_show(args: argparse.Namespace) -> int:
    with Engine.open(home_of(args)) as engine:
        run = engine.load(engine.resolve(args.run_id))
        state = engine.state_of(run)
        if wants_json(args):
            emit_json(engine.describe(run) | {"state": state})
            return 0
        children = engine.children(run.run_id)
    show_run(run, children, state)
    return 0


def cmd_branch(args: argparse.Namespace) -> int:
    with Engine.open(home_of(args)) as engine:
        parent = engine.resolve(args.run_id)
        child = engine.branch(parent, args.from_step)
    if wants_json(args):
        emit_json({"run_id": child, "parent_run_id": parent, "branch_point": args.from_step})
    else:
        say(child)
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    with Engine.open(home_of(args)) as engine:
        run_id = engine.resolve(args.run_id)
        if args.at is not None:
            state = engine.state_at(run_id, args.at)
            if wants_json(args):
                emit_json({"at": args.at, "state": engine.describe(state, lineage=False)})
            else:
                say(f"state of run {run_id} after event {args.at}:")
                show_run(state, [], run_state(state))
            return 0
        events = engine.history(run_id)
    if wants_json(args):
        emit_json([e.model_dump(mode="json") for e in events])
        return 0
    for e in events:
        say(f"{e.seq:>5}  {e.at:%H:%M:%S.%f}"[:-3] + f"  {e.type:<18} {_describe(e)}")
    return 0


def _describe(event: Event) -> str:
    fields = ("step", "status", "index", "pipeline", "branch_point", "feedback", "budget_usd")
    parts = [f"{f}={getattr(event, f)}" for f in fields if getattr(event, f, None) is not None]
    text = getattr(event, "text", None)
    if text:
        parts.append(f"+{len(text)} chars")
    return " ".join(parts)


def cmd_export(args: argparse.Namespace) -> int:
    fmt: str | None = args.format  # the parser allows only known formats
    history: bool = args.with_history
    with Engine.open(home_of(args)) as engine:
        run_id = engine.resolve(args.run_id)
        used = fmt or engine.config.export_format
        if args.output == "-":
            if not is_binary(used):
                sys.stdout.write(engine.export_text(run_id, used, with_history=history))
                return 0
            # A docx is a zip: into a pipe or file it is fine, on a terminal it is garbage.
            if sys.stdout.isatty():
                raise WriteItError(
                    f"{used} is binary: redirect stdout (> file.{used}) or use -o FILE"
                )
            sys.stdout.flush()
            sys.stdout.buffer.write(engine.export_bytes(run_id, used, with_history=history))
            sys.stdout.buffer.flush()
            return 0
        # A string, not a Path: `-o out/` must keep the slash that says "into this directory".
        written = engine.export(run_id, used, args.output, with_history=history)
    if wants_json(args):
        emit_json({"path": str(written), "format": used})
    else:
        say(str(written))
    return 0


def cmd_leaderboard(args: argparse.Namespace) -> int:
    with Engine.open(home_of(args)) as engine:
        return show_leaderboard(args, engine)


def cmd_doctor(args: argparse.Namespace) -> int:
    """One line per problem; exit 1 while any remain (a repair fixes derived keys only)."""
    with Engine.open(home_of(args)) as engine:
        report = engine.doctor(repair=args.repair)
    if wants_json(args):
        emit_json(report.as_json())
        return 0 if report.ok else 1
    for problem in report.problems:
        say(problem.line)
    fixed = len(report.problems) - len(report.remaining)
    summary = f"{report.runs} runs checked: "
    if not report.problems:
        summary += "no problems"
    else:
        left = len(report.remaining)
        summary += f"{left} problem{'' if left == 1 else 's'} left"
        summary += f", {fixed} repaired" if fixed else ""
        if report.remaining and not args.repair and any(p.repairable for p in report.remaining):
            summary += " (writeit doctor --repair rebuilds derived keys from the log)"
    note(summary)
    return 0 if report.ok else 1


def cmd_validate(args: argparse.Namespace) -> int:
    results: list[dict[str, Any]] = []
    for file in args.files:
        try:
            kind, name = _validate(Path(file))
            results.append({"file": file, "ok": True, "kind": kind, "name": name, "problems": []})
        except ValidationProblem as exc:
            results.append({"file": file, "ok": False, "problems": exc.problems})
    if wants_json(args):
        emit_json(results)
    else:
        for r in results:
            if r["ok"]:
                say(f"{r['file']}: ok ({r['kind']} '{r['name']}')")
            for problem in r["problems"]:
                note(problem)
    return 0 if all(r["ok"] for r in results) else 1


PIPELINE_KEYS = frozenset({"steps", "inputs", "defaults"})
STYLE_KEYS = frozenset({"id", "content", "voice_attributes", "example_openings", "guidelines"})


def _validate(path: Path) -> tuple[str, str]:
    """Validate `path` as what its top-level keys say it is: a pipeline has `steps:` (or
    `inputs:`), a style has `id:` or `content:`. Returns the kind and the file's name or id."""
    src = read_yaml(path)
    top = set(src.data) if isinstance(src.data, dict) else set()
    if top & PIPELINE_KEYS:
        return "pipeline", load_pipeline(path, src.text).config.name
    if top & STYLE_KEYS:
        return "style", load_style(path, src.text).primer.id
    raise ValidationProblem(
        [
            src.problem(
                (),
                "neither a pipeline (it would have `steps:`) nor a style "
                "(it would have `id:`, `name:` and `content:`)",
            )
        ]
    )


def cmd_pipelines(args: argparse.Namespace) -> int:
    with Engine.open(home_of(args)) as engine:
        cat = engine.pipelines()
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
    with Engine.open(home_of(args)) as engine:
        cat = engine.styles()
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
    args: argparse.Namespace, items: list[dict[str, Any]], problems: list[str], cols: list[str]
) -> int:
    if wants_json(args):
        emit_json({"items": items, "problems": problems})
    else:
        table([[str(i[c]) for c in cols] for i in items], [c.upper() for c in cols])
        for p in problems:
            note(f"skipped: {p}")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    """Providers, then every model a new run would use and each built-in default: whether its
    SDK marks it deprecated, its end of life, and its list price."""
    with Engine.open(home_of(args)) as engine:
        infos = engine.providers()
        defaults = engine.default_models()
        refs = list(dict.fromkeys([*defaults, *engine.builtin_defaults()]))
        statuses = engine.model_statuses(refs)
        lifecycles = [engine.lifecycle(s) for s in statuses]
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
    models = [
        {
            "model": s.ref,
            "default": s.ref in defaults,
            "deprecated": s.deprecated,
            "end_of_life": s.end_of_life.isoformat() if s.end_of_life else None,
            "retired": s.retired,
            "replacement": s.replacement,
            "lifecycle": life,
            "price": s.price.model_dump() if s.price else None,
            "price_source": s.price_source,
        }
        for s, life in zip(statuses, lifecycles, strict=True)
    ]
    if wants_json(args):
        emit_json({"providers": items, "default_models": defaults, "models": models})
        return 0
    rows = [
        [i.name, i.kind, i.base_url or "-", _cred(i.credential, i.has_credentials)] for i in infos
    ]
    table(rows, ["PROVIDER", "KIND", "BASE URL", "CREDENTIALS"])
    say("")
    table(
        [
            [s.ref + (" *" if s.ref in defaults else ""), life, s.price_summary()]
            for s, life in zip(statuses, lifecycles, strict=True)
        ],
        ["MODEL (* new runs use it)", "STATUS", "LIST PRICE"],
    )
    return 0


def _cred(variable: str | None, ok: bool) -> str:
    if variable is None:
        return "not needed"
    return f"{variable} set" if ok else f"{variable} not set"
