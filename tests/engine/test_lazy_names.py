"""`writeit.engine` loads each public name's module on first use; every name must still resolve."""

from __future__ import annotations

import subprocess
import sys

import pytest

import writeit.engine


def test_every_public_name_resolves_and_nothing_else_does() -> None:
    for name in writeit.engine.__all__:
        assert getattr(writeit.engine, name) is not None, name
    with pytest.raises(AttributeError, match="NoSuchName"):
        getattr(writeit.engine, "NoSuchName")  # noqa: B009


def test_importing_the_package_loads_no_engine_module() -> None:
    code = "import sys, writeit.engine\nprint(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert "writeit.engine.engine" not in loaded and "pydantic" not in loaded
