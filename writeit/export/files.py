"""Write an export file: YAML or Markdown, to a path inside the exports directory by default."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml

from writeit.domain.errors import WriteItError
from writeit.domain.models import PipelineRun
from writeit.export.shape import export_shape

Format = Literal["yaml", "markdown"]
SUFFIX: dict[str, str] = {"yaml": "yaml", "markdown": "md"}
UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class _LiteralDumper(yaml.SafeDumper):
    """Multi-line strings as `|` blocks so exported articles read naturally."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _str)


def to_yaml(run: PipelineRun) -> str:
    return yaml.dump(export_shape(run), Dumper=_LiteralDumper, sort_keys=False, allow_unicode=True)


def to_markdown(run: PipelineRun) -> str:
    """The article first, then an appendix of every step: prompt-free, what each model wrote."""
    shape = export_shape(run)
    title = run.inputs.get("topic") or run.pipeline
    lines = [f"# {title}", ""]
    lines += [shape["article"] or "_(no article yet: the run has not reached its last step)_", ""]
    lines += ["---", "", "## Appendix: how this article was written", ""]
    lines += [_meta(shape), ""]
    for step in shape["steps"]:
        lines += [f"### Step: {step['name']} ({step['status']})", ""]
        if step["feedback"]:
            lines += [f"Feedback: {step['feedback']}", ""]
        for i, r in enumerate(step["responses"]):
            mark = " (picked)" if step["selected"] == i else ""
            lines += [f"#### Response {i + 1}: {r['provider']}:{r['model']}{mark}", ""]
            lines += [_quote(r["content"] or f"_({r['status']})_"), ""]
        if step["selected"] is None and step["content"]:
            lines += ["#### Edited version (went forward)", "", _quote(step["content"]), ""]
    return "\n".join(lines).rstrip() + "\n"


def _meta(shape: dict[str, Any]) -> str:
    t = shape["totals"]
    cost = "unknown" if t["cost_usd"] is None else f"${t['cost_usd']:.4f}"
    parts = [
        f"- Run: `{shape['run_id']}` ({shape['pipeline']}, {shape['status']})",
        f"- Style: {shape['style'] or 'none'}",
        f"- Tokens: {t['input_tokens']} in, {t['output_tokens']} out; cost {cost}",
    ]
    if shape["parent_run_id"]:
        parts.append(f"- Branched from `{shape['parent_run_id']}` at step {shape['branch_point']}")
    return "\n".join(parts)


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def default_path(exports: Path, run: PipelineRun, fmt: Format) -> Path:
    """`exports/{pipeline}-{run_id[:8]}.{ext}`, with unsafe characters removed from the name."""
    name = UNSAFE.sub("-", run.pipeline).strip("-") or "run"
    return exports / f"{name}-{UNSAFE.sub('', run.run_id[:8])}.{SUFFIX[fmt]}"


def render(run: PipelineRun, fmt: Format) -> str:
    """The export of `run` as text in `fmt`."""
    return to_yaml(run) if fmt == "yaml" else to_markdown(run)


def write_export(run: PipelineRun, fmt: Format, path: Path) -> Path:
    text = render(run, fmt)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise WriteItError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
