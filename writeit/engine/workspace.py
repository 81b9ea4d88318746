"""Where a writer's data lives: `$WRITEIT_HOME` (store, config, exports, logs)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def default_home() -> Path:
    """`$WRITEIT_HOME`, else the platform's user data directory for writeit."""
    env = os.environ.get("WRITEIT_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path  # not needed when $WRITEIT_HOME says (~5 ms)

    return user_data_path("writeit", appauthor=False)


@dataclass(frozen=True)
class Workspace:
    home: Path

    @property
    def store_path(self) -> Path:
        return self.home / "writeit.lmdb"

    @property
    def config_path(self) -> Path:
        return self.home / "config.yaml"

    @property
    def exports(self) -> Path:
        return self.home / "exports"

    @property
    def logs(self) -> Path:
        return self.home / "logs"
