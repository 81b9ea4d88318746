"""Write an export file (YAML, Markdown, HTML or docx), to the exports directory by default.

Every format is free of terminal control sequences: model text is untrusted, and an export is
often `cat`ed or piped, so the sequences are stripped here (the store keeps text as received).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml

from writeit.domain.errors import WriteItError
from writeit.domain.models import PipelineRun
from writeit.domain.redact import strip_control
from writeit.export.article import build_article, demote_headings
from writeit.export.pandoc import convert
from writeit.export.shape import export_shape

Format = Literal["yaml", "markdown", "html", "docx"]
SUFFIX: dict[str, str] = {"yaml": "yaml", "markdown": "md", "html": "html", "docx": "docx"}
BINARY: frozenset[str] = frozenset({"docx"})  # not text: never written to a terminal
UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class _LiteralDumper(yaml.SafeDumper):
    """Multi-line strings as `|` blocks so exported articles read naturally."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _str)


def to_yaml(run: PipelineRun) -> str:
    """The whole run (DESIGN.md, Export). It always carries every step, so `with_history`
    changes nothing here."""
    shape = _clean(export_shape(run))
    return yaml.dump(shape, Dumper=_LiteralDumper, sort_keys=False, allow_unicode=True)


def _clean(value: Any) -> Any:
    """Every string in an export shape without control sequences. YAML would escape them
    (`"\\e[2J"`), but whoever loads the file would get them back, raw."""
    if isinstance(value, str):
        return strip_control(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def to_markdown(run: PipelineRun, *, with_history: bool = False) -> str:
    """The publishable article (front matter, one H1, the text); the appendix of every step,
    with what each model wrote, only when asked for: readers of a post do not want it."""
    return build_article(run, history_appendix(run) if with_history else None).markdown()


def history_appendix(run: PipelineRun) -> str:
    """How the article was written, step by step: every response, which one was picked, the
    feedback and edits. Quoted text keeps its headings below H4 so the document keeps one H1."""
    shape = export_shape(run)
    lines = ["## Appendix: how this article was written", ""]
    lines += [_meta(shape), ""]
    for step in shape["steps"]:
        lines += [f"### Step: {step['name']} ({step['status']})", ""]
        if step["feedback"]:
            lines += [f"Feedback: {_one_line(step['feedback'])}", ""]
        groups = [("", step["responses"], step["selected"], None)]
        if step.get("sections"):  # a section step: each section's responses and pick
            groups = [
                (f"Section {k + 1} ({_one_line(sec['title'])}), ", sec["responses"],
                 sec["selected"], sec["feedback"])
                for k, sec in enumerate(step["sections"])
            ]  # fmt: skip
        for label, responses, selected, feedback in groups:
            if feedback:
                lines += [f"Feedback on {label.rstrip(', ')}: {_one_line(feedback)}", ""]
            for i, r in enumerate(responses):
                mark = " (picked)" if selected == i else ""
                response = f"response {i + 1}" if label else f"Response {i + 1}"
                lines += [f"#### {label}{response}: {r['provider']}:{r['model']}{mark}", ""]
                lines += [_quote(r["content"] or f"_({r['status']})_"), ""]
        if step["selected"] is None and step["content"] and not step.get("sections"):
            lines += ["#### Edited version (went forward)", "", _quote(step["content"]), ""]
            lines += _provenance(step.get("provenance", []))
    return strip_control("\n".join(lines).rstrip() + "\n")


def _provenance(sources: list[dict[str, Any]]) -> list[str]:
    """Where each paragraph of a stitched edit came from, one line per paragraph."""
    if not sources:
        return []
    lines = ["Paragraph sources:", ""]
    for i, s in enumerate(sources):
        if s["response_id"] is None:
            where = "written by the writer"
        else:
            where = f"{s['model']}, paragraph {s['paragraph'] + 1}"
            where += " (edited)" if s["edited"] else ""
        lines.append(f"{i + 1}. {where}")
    return [*lines, ""]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _meta(shape: dict[str, Any]) -> str:
    t = shape["totals"]
    cost = "unknown" if t["cost_usd"] is None else f"${t['cost_usd']:.4f}"
    parts = [
        f"- Run: `{shape['run_id']}` ({shape['pipeline']}, {shape['status']})",
        f"- Style: {shape['style'] or 'none'}",
        f"- Tokens: {t['input_tokens']} in, {t['output_tokens']} out; cost {cost}",
    ]
    if (b := shape.get("budget")) is not None:
        parts.append(
            f"- Budget: ${b['budget_usd']:.4f}; spent ${b['spent_usd']:.4f}, "
            f"remaining ${b['remaining_usd']:.4f}"
        )
    if shape["parent_run_id"]:
        parts.append(f"- Branched from `{shape['parent_run_id']}` at step {shape['branch_point']}")
    return "\n".join(parts)


def _quote(text: str) -> str:
    demoted = demote_headings(text, by=4)
    return "\n".join(f"> {line}" if line else ">" for line in demoted.splitlines())


def default_path(exports: Path, run: PipelineRun, fmt: Format) -> Path:
    """`exports/{pipeline}-{run_id[:8]}.{ext}`, with unsafe characters removed from the name."""
    name = UNSAFE.sub("-", run.pipeline).strip("-") or "run"
    return exports / f"{name}-{UNSAFE.sub('', run.run_id[:8])}.{SUFFIX[fmt]}"


def render(run: PipelineRun, fmt: Format, *, with_history: bool = False) -> bytes:
    """The export of `run` in `fmt`, as the bytes of the file (UTF-8 for the text formats)."""
    if fmt == "yaml":
        return to_yaml(run).encode("utf-8")
    if fmt == "markdown":
        return to_markdown(run, with_history=with_history).encode("utf-8")
    article = build_article(run, history_appendix(run) if with_history else None)
    return convert(article.markdown_without_title(), fmt)


def render_text(run: PipelineRun, fmt: Format, *, with_history: bool = False) -> str:
    """The export as text; a binary format (docx) is refused, since text would corrupt it."""
    if fmt in BINARY:
        raise WriteItError(f"{fmt} is a binary format: write it to a file (-o FILE)")
    return render(run, fmt, with_history=with_history).decode("utf-8")


def write_export(run: PipelineRun, fmt: Format, path: Path, *, with_history: bool = False) -> Path:
    """Write through a temporary file beside `path`, so a reader never sees half an export."""
    data = render(run, fmt, with_history=with_history)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        raise WriteItError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
