"""An engine for `writeit run --estimate`, which must write nothing to the writer's home.

Estimates read earlier runs' output lengths from the store. A home that has no store yet has
none to read, and opening one would create it (an empty LMDB environment), so the estimate is
made over an empty store in a temporary directory, deleted afterwards. The home's config.yaml,
pipelines and styles are read as usual.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from writeit.engine.engine import Engine
from writeit.engine.workspace import Workspace
from writeit.storage.store import Store


@contextmanager
def estimating_engine(home: Path) -> Iterator[Engine]:
    """`Engine.open(home)` if the home has a store, else an engine over an empty scratch one."""
    if (Workspace(home).store_path / "data.mdb").exists():
        with Engine.open(home) as engine:
            yield engine
        return
    with (
        tempfile.TemporaryDirectory(prefix="writeit-estimate-") as scratch,
        Engine(home, store=Store(Path(scratch) / "writeit.lmdb")) as engine,
    ):
        yield engine
