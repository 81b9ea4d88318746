"""Imports point down only (DESIGN.md, Layers), faces use the engine's one API, and the fast
paths stay free of heavy packages."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "writeit"

# The layers below the faces: which top-level writeit packages each may import.
# The engine writes exports (`Engine.export`), so it sits above `export` too.
BELOW = {
    "domain": {"domain"},
    "storage": {"domain", "storage"},
    "providers": {"domain", "providers"},
    "export": {"domain", "export"},
    "engine": {"domain", "storage", "providers", "export", "engine", "logs"},
}
# The faces import the engine package itself (its public names), the domain, and themselves.
# The CLI is also the entry point that starts the TUI (DESIGN puts it above both faces).
FACES = {
    "tui": {"writeit.engine"},
    "cli": {"writeit.engine", "writeit.tui.launch"},
}
# Names that are the engine's insides: a face holding an engine must not touch them.
INTERNAL = {"store", "registry", "workspace"}
ENGINE_NAMES = {"engine", "_engine"}


def imported_modules(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, dotted module) for every writeit import; `from writeit import x` counts as
    `writeit.x`, since x may be a module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "writeit":
                for alias in node.names:
                    if alias.name != "__version__":
                        yield node.lineno, f"writeit.{alias.name}"
            elif node.module.startswith("writeit."):
                yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("writeit."):
                    yield node.lineno, alias.name


def files(*parts: str) -> list[Path]:
    return sorted(p for part in parts for p in (ROOT / part).rglob("*.py"))


def where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


def face_allows(layer: str, module: str) -> bool:
    parts = module.split(".")
    if parts[1] in {layer, "domain"}:
        return True
    return module in FACES[layer]


@pytest.mark.parametrize("layer", sorted(BELOW))
def test_core_imports_point_down(layer: str) -> None:
    bad = [
        f"{where(path, line)} imports {module}"
        for path in files(f"writeit/{layer}")
        for line, module in imported_modules(ast.parse(path.read_text()))
        if module.split(".")[1] not in BELOW[layer]
    ]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("layer", sorted(FACES))
def test_faces_import_only_the_engine_package_and_domain(layer: str) -> None:
    bad = [
        f"{where(path, line)} imports {module} (use `from writeit.engine import ...`)"
        for path in files(f"writeit/{layer}")
        for line, module in imported_modules(ast.parse(path.read_text()))
        if not face_allows(layer, module)
    ]
    assert not bad, "\n".join(bad)


def reaches_into_engine(node: ast.AST) -> bool:
    """`engine.store`, `self.engine._x`, `self.wapp.engine.registry`, ...: the engine's
    insides rather than its API."""
    if not isinstance(node, ast.Attribute):
        return False
    holder = node.value
    named = (isinstance(holder, ast.Name) and holder.id in ENGINE_NAMES) or (
        isinstance(holder, ast.Attribute) and holder.attr in ENGINE_NAMES
    )
    private = node.attr.startswith("_") and not node.attr.startswith("__")
    return named and (node.attr in INTERNAL or private)


@pytest.mark.parametrize("part", ["writeit/tui", "writeit/cli", "bench"])
def test_faces_and_bench_do_not_reach_into_the_engine(part: str) -> None:
    bad = [
        f"{where(path, node.lineno)} uses {ast.unparse(node)}"
        for path in files(part)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and reaches_into_engine(node)
    ]
    assert not bad, "\n".join(bad)


def test_bench_uses_the_engine_package_not_its_modules() -> None:
    bad = [
        f"{where(path, line)} imports {module}"
        for path in files("bench")
        for line, module in imported_modules(ast.parse(path.read_text()))
        if module.startswith("writeit.engine.")
    ]
    assert not bad, "\n".join(bad)


def test_the_check_sees_what_it_must() -> None:
    """The AST rules themselves: each of these would slip through a check that is too loose."""
    snippets = [
        "engine.store.events(x)",
        "self.engine._registry",
        "self.wapp.engine.workspace.home",
        "app.engine._now()",
    ]
    for code in snippets:
        assert any(reaches_into_engine(n) for n in ast.walk(ast.parse(code))), code
    for code in ["engine.load(x)", "self.engine.config.keymap", "engine.__class__", "store._x"]:
        assert not any(reaches_into_engine(n) for n in ast.walk(ast.parse(code))), code
    tree = ast.parse("from writeit import logs\nimport writeit.storage.store\n")
    assert list(imported_modules(tree)) == [(1, "writeit.logs"), (2, "writeit.storage.store")]
    assert not face_allows("cli", "writeit.engine.engine")
    assert face_allows("cli", "writeit.engine") and face_allows("tui", "writeit.domain.rules")


def loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {m.split(".")[0] for m in out.split()}


def test_core_layers_do_not_import_textual_or_sdks() -> None:
    mods = loaded_after(
        "import writeit.domain.fold, writeit.storage.store, writeit.engine, writeit.export.files"
    )
    assert not mods & {"textual", "openai", "anthropic"}


def test_version_imports_nothing_heavy() -> None:
    mods = loaded_after(
        "import sys\nfrom writeit.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass"
    )
    assert not mods & {"textual", "openai", "anthropic", "pydantic", "lmdb"}


def test_cli_commands_import_no_textual() -> None:
    """Headless commands must not pay for Textual: only `writeit`, `new` and `open` draw."""
    mods = loaded_after("import writeit.cli.commands")
    assert not mods & {"textual", "openai", "anthropic"}
