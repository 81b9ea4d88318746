"""The engine runs pipelines: fan-out, streaming into events, selection, branching.

This package's names are WriteIt's one API: the TUI, the CLI, the tests and the benchmarks
import them from here (`from writeit.engine import Engine, RunQuery`) and never reach into the
modules behind them, the store or the provider registry.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from writeit.engine.doctor import DoctorReport, Problem
    from writeit.engine.engine import Engine
    from writeit.engine.estimating import estimating_engine
    from writeit.engine.exporting import FORMATS, check_format, is_binary
    from writeit.engine.headless import PickStrategy
    from writeit.engine.importing import ImportReport, merge_store
    from writeit.engine.inputs import parse_input_pairs
    from writeit.engine.listing import RunRow, run_rows
    from writeit.engine.models import ALL_STEPS, parse_model_specs
    from writeit.engine.pages import Archived, Family, RunPage, RunQuery
    from writeit.engine.reimport import import_export, open_other_home
    from writeit.engine.search import (
        SearchHit,
        SearchResults,
        rebuild_search_index,
        search_runs,
        update_search_index,
    )
    from writeit.engine.starting import DEFAULT_STYLE, RunPlan
    from writeit.engine.workspace import default_home
    from writeit.providers.lifecycle import ModelStatus

# Each name loads its module on first use (PEP 562): `writeit list` and `--version` must not pay
# for pydantic, the SDK wiring or the leaderboard they never touch (bench: startup, cli.list).
_HOMES = {
    "DoctorReport": "writeit.engine.doctor",
    "Problem": "writeit.engine.doctor",
    "Engine": "writeit.engine.engine",
    "estimating_engine": "writeit.engine.estimating",
    "FORMATS": "writeit.engine.exporting",
    "check_format": "writeit.engine.exporting",
    "is_binary": "writeit.engine.exporting",
    "PickStrategy": "writeit.engine.headless",
    "ImportReport": "writeit.engine.importing",
    "merge_store": "writeit.engine.importing",
    "parse_input_pairs": "writeit.engine.inputs",
    "RunRow": "writeit.engine.listing",
    "run_rows": "writeit.engine.listing",
    "ALL_STEPS": "writeit.engine.models",
    "parse_model_specs": "writeit.engine.models",
    "Archived": "writeit.engine.pages",
    "Family": "writeit.engine.pages",
    "RunPage": "writeit.engine.pages",
    "RunQuery": "writeit.engine.pages",
    "import_export": "writeit.engine.reimport",
    "open_other_home": "writeit.engine.reimport",
    "SearchHit": "writeit.engine.search",
    "SearchResults": "writeit.engine.search",
    "rebuild_search_index": "writeit.engine.search",
    "search_runs": "writeit.engine.search",
    "update_search_index": "writeit.engine.search",
    "DEFAULT_STYLE": "writeit.engine.starting",
    "RunPlan": "writeit.engine.starting",
    "default_home": "writeit.engine.workspace",
    "ModelStatus": "writeit.providers.lifecycle",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value


__all__ = [
    "ALL_STEPS",
    "DEFAULT_STYLE",
    "FORMATS",
    "Archived",
    "DoctorReport",
    "Engine",
    "Family",
    "ImportReport",
    "ModelStatus",
    "PickStrategy",
    "Problem",
    "RunPage",
    "RunPlan",
    "RunQuery",
    "RunRow",
    "SearchHit",
    "SearchResults",
    "check_format",
    "default_home",
    "estimating_engine",
    "import_export",
    "is_binary",
    "merge_store",
    "open_other_home",
    "parse_input_pairs",
    "parse_model_specs",
    "rebuild_search_index",
    "run_rows",
    "search_runs",
    "update_search_index",
]
