"""Read a YAML file keeping the line of every node, so errors can say `file:line: message`."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from writeit.domain.errors import ValidationProblem

Path_ = tuple[str | int, ...]

MAX_FILE_BYTES = 1024 * 1024  # pipelines, styles and config are a few KB; more is not one of ours
FILE_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def read_regular_file(path: Path | str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; anything else is a problem line.

    Pipelines are shared, so `pipelines/` may hold what no one meant to read: a FIFO (reading
    blocks forever), a link to `/dev/zero` (never ends) or a huge file (template checks and
    every run slow down). The file is opened without blocking and judged by `fstat` on that
    same descriptor, so it cannot be swapped between the check and the read.
    """
    name = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ValidationProblem([f"{name}:1: cannot read file: {exc.strerror}"]) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = FILE_KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise ValidationProblem([f"{name}:1: {kind}, not a regular file"])
        if info.st_size > limit:
            raise ValidationProblem(
                [f"{name}:1: {info.st_size} bytes, larger than the {limit}-byte limit"]
            )
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
        if len(data) > limit:  # grew after fstat
            raise ValidationProblem([f"{name}:1: larger than the {limit}-byte limit"])
        return data
    except OSError as exc:
        raise ValidationProblem([f"{name}:1: cannot read file: {exc.strerror}"]) from None
    finally:
        os.close(fd)


@dataclass
class YamlSource:
    """Parsed YAML plus where each value came from."""

    path: str
    text: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    block_offsets: dict[Path_, int] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def line_of(self, loc: Path_) -> int:
        """1-based line of the value at `loc`, or of its nearest ancestor that has one."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return 1

    def problem(self, loc: Path_, message: str) -> str:
        return f"{self.path}:{self.line_of(loc)}: {message}"

    def pydantic_problems(self, err: ValidationError) -> list[str]:
        out = []
        errors = err.errors()
        failed = [tuple(e["loc"]) for e in errors]
        for e in errors:
            loc = tuple(p for p in e["loc"] if isinstance(p, str | int))
            if e["type"] == "too_short" and any(
                f[: len(e["loc"])] == tuple(e["loc"]) and len(f) > len(e["loc"]) for f in failed
            ):
                continue  # "at least 2 items after validation": an item failed, said already
            where = ".".join(str(p) for p in loc if not _is_union_tag(p))
            msg = e["msg"]
            if e["type"] == "extra_forbidden":
                msg = f"unknown field '{loc[-1]}'"
                where = ".".join(str(p) for p in loc[:-1])
            elif e["type"] == "missing":
                msg = f"missing required field '{loc[-1]}'"
                where = ".".join(str(p) for p in loc[:-1])
            prefix = f"{where}: " if where else ""
            out.append(f"{self.path}:{self.line_of(loc)}: {prefix}{msg}")
        return out


M = TypeVar("M", bound=BaseModel)


def validate_mapping(src: YamlSource, model: type[M], what: str) -> M:
    """Validate a YAML mapping as `model`; problems carry the file and line of the field."""
    if not isinstance(src.data, dict):
        raise ValidationProblem([src.problem((), f"{what} must be a mapping of fields")])
    try:
        return model.model_validate(src.data)
    except ValidationError as exc:
        raise ValidationProblem(src.pydantic_problems(exc)) from None


def _is_union_tag(p: str | int) -> bool:
    return isinstance(p, str) and ("[" in p or p.startswith("function-"))


def read_yaml(path: Path | str, text: str | None = None) -> YamlSource:
    """Parse a YAML file (or `text` on its behalf); raises ValidationProblem on I/O/syntax errors."""
    name = str(path)
    if text is None:
        raw = read_regular_file(path)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationProblem([f"{name}:1: not UTF-8 text (byte {exc.start})"]) from None
    if not text.strip():
        raise ValidationProblem([f"{name}:1: file is empty"])
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ValidationProblem([f"{name}:{line}: YAML syntax error: {problem}"]) from None
    except RecursionError:
        raise ValidationProblem([f"{name}:1: YAML nests too deeply"]) from None
    src = YamlSource(path=name, text=text, data=data)
    if node is not None:
        _index(node, (), src, set())
    return src


def _index(node: yaml.Node, loc: Path_, src: YamlSource, seen: set[int]) -> None:
    src.lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        src.block_offsets[loc] = node.start_mark.line + 2
    elif isinstance(node, yaml.ScalarNode):
        src.block_offsets[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.CollectionNode):
        # An alias is the anchored node itself: index it once, or an alias bomb ("billion
        # laughs") makes this walk visit every one of its exponentially many paths.
        if id(node) in seen:
            return
        seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                _index(value, (*loc, key.value), src, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*loc, i), src, seen)
