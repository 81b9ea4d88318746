"""Imports point down only, and the fast paths stay free of heavy packages."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "writeit"
ALLOWED = {
    "domain": {"domain"},
    "storage": {"domain", "storage"},
    "providers": {"domain", "providers"},
    "export": {"domain", "export"},
    "engine": {"domain", "storage", "providers", "engine", "logs"},
    "tui": {"domain", "storage", "providers", "engine", "export", "tui", "logs"},
    "cli": {"domain", "storage", "providers", "engine", "export", "tui", "cli", "logs"},
}


def writeit_imports(path: Path) -> set[str]:
    """Top-level writeit subpackages a module imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "writeit" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_imports_point_down(layer: str) -> None:
    for path in (PACKAGE / layer).rglob("*.py"):
        bad = writeit_imports(path) - ALLOWED[layer] - {"__init__"}
        assert not bad, f"{path.relative_to(PACKAGE)} imports writeit.{bad}"


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
        "import writeit.domain.fold, writeit.storage.store, writeit.engine.engine, writeit.export.files"
    )
    assert not mods & {"textual", "openai", "anthropic"}


def test_version_imports_nothing_heavy() -> None:
    mods = loaded_after(
        "import sys\nfrom writeit.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass"
    )
    assert not mods & {"textual", "openai", "anthropic", "pydantic", "lmdb"}
