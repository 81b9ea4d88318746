"""Find pipelines and styles: `$WRITEIT_HOME/pipelines/` first, then the shipped ones.

A broken file is reported and skipped; it never hides the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from writeit.domain.errors import NotFound, ValidationProblem
from writeit.domain.pipeline import LoadedPipeline, load_pipeline
from writeit.domain.style import LoadedStyle, load_style

SHIPPED = Path(__file__).resolve().parent.parent

T = TypeVar("T", LoadedPipeline, LoadedStyle)


@dataclass
class Catalog(Generic[T]):
    items: dict[str, T] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _scan(dirs: Iterable[Path], loader: Callable[[Path], T], key: Callable[[T], str]) -> Catalog[T]:
    cat: Catalog[T] = Catalog()
    for d in dirs:
        if not d.is_dir():
            continue
        for path in sorted(d.glob("*.y*ml")):
            try:
                item = loader(path)
            except ValidationProblem as exc:
                cat.problems.extend(exc.problems)
                continue
            cat.items.setdefault(key(item), item)
    return cat


def pipeline_dirs(home: Path) -> list[Path]:
    return [home / "pipelines", SHIPPED / "pipelines"]


def style_dirs(home: Path) -> list[Path]:
    return [home / "styles", SHIPPED / "styles"]


def pipelines(home: Path) -> Catalog[LoadedPipeline]:
    return _scan(pipeline_dirs(home), load_pipeline, lambda p: p.config.name)


def styles(home: Path) -> Catalog[LoadedStyle]:
    return _scan(style_dirs(home), load_style, lambda s: s.primer.id)


def find_pipeline(home: Path, name: str) -> LoadedPipeline:
    """A pipeline by name, or by path when `name` is a YAML file."""
    if name.endswith((".yaml", ".yml")) or "/" in name:
        return load_pipeline(Path(name))
    cat = pipelines(home)
    if name in cat.items:
        return cat.items[name]
    known = ", ".join(sorted(cat.items)) or "none"
    raise NotFound(f"unknown pipeline '{name}' (available: {known})")


def find_style(home: Path, style_id: str) -> LoadedStyle:
    cat = styles(home)
    if style_id in cat.items:
        return cat.items[style_id]
    known = ", ".join(sorted(cat.items)) or "none"
    raise NotFound(f"unknown style '{style_id}' (available: {known})")
