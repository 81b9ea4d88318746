"""Where an export goes: a named file, into a directory, or the default path under exports/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from writeit.domain.errors import WriteItError
from writeit.domain.models import PipelineRun
from writeit.export.files import BINARY, Format, default_path, render, render_text, write_export
from writeit.export.shape import show_shape

FORMATS: tuple[Format, ...] = ("yaml", "markdown", "html", "docx")


def check_format(fmt: str) -> Format:
    for known in FORMATS:
        if fmt == known:
            return known
    raise WriteItError(f"unknown export format '{fmt}' (use {', '.join(FORMATS)})")


def is_binary(fmt: str) -> bool:
    """True for formats that are not text (docx): a face must not print them to a terminal."""
    return check_format(fmt) in BINARY


def write_to(
    run: PipelineRun, fmt: str, to: Path | str | None, exports: Path, *, with_history: bool = False
) -> Path:
    """Write `run` as `fmt`. `to` may be a file, a directory (existing, or named with a
    trailing `/`), or None for the default file name in `exports`.

    `to` may be a string because `Path("out/")` drops the slash that says "a directory".
    """
    checked = check_format(fmt)
    if to is None:
        target = default_path(exports, run, checked)
    else:
        target = Path(to).expanduser()
        if target.is_dir() or str(to).endswith(("/", "\\")):
            target = default_path(target, run, checked)
    return write_export(run, checked, target, with_history=with_history)


def export_text(run: PipelineRun, fmt: str, *, with_history: bool = False) -> str:
    return render_text(run, check_format(fmt), with_history=with_history)


def export_bytes(run: PipelineRun, fmt: str, *, with_history: bool = False) -> bytes:
    return render(run, check_format(fmt), with_history=with_history)


def run_shape(run: PipelineRun, children: list[str]) -> dict[str, Any]:
    """The export shape of `run` plus its current step, children and archived flag."""
    return show_shape(run, children)
