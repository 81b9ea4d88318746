"""Where an export goes: a named file, into a directory, or the default path under exports/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from writeit.domain.errors import WriteItError
from writeit.domain.models import PipelineRun
from writeit.export.files import Format, default_path, render, write_export
from writeit.export.shape import show_shape

FORMATS: tuple[Format, ...] = ("yaml", "markdown")


def check_format(fmt: str) -> Format:
    for known in FORMATS:
        if fmt == known:
            return known
    raise WriteItError(f"unknown export format '{fmt}' (use {' or '.join(FORMATS)})")


def write_to(run: PipelineRun, fmt: str, to: Path | str | None, exports: Path) -> Path:
    """Write `run` as `fmt`. `to` may be a file, a directory (existing, or named with a
    trailing `/`), or None for the default file name in `exports`.

    `to` may be a string because `Path("out/")` drops the slash that says "a directory".
    """
    checked = check_format(fmt)
    if to is None:
        return write_export(run, checked, default_path(exports, run, checked))
    target = Path(to).expanduser()
    if target.is_dir() or str(to).endswith(("/", "\\")):
        return write_export(run, checked, default_path(target, run, checked))
    return write_export(run, checked, target)


def export_text(run: PipelineRun, fmt: str) -> str:
    return render(run, check_format(fmt))


def run_shape(run: PipelineRun, children: list[str]) -> dict[str, Any]:
    """The export shape of `run` plus its current step, children and archived flag."""
    return show_shape(run, children)
