"""The engine runs pipelines: fan-out, streaming into events, selection, branching.

This package's names are WriteIt's one API: the TUI, the CLI, the tests and the benchmarks
import them from here (`from writeit.engine import Engine, RunQuery`) and never reach into the
modules behind them, the store or the provider registry.
"""

from writeit.engine.doctor import DoctorReport, Problem
from writeit.engine.engine import Engine
from writeit.engine.exporting import FORMATS, check_format, is_binary
from writeit.engine.headless import PickStrategy
from writeit.engine.importing import ImportReport, merge_store
from writeit.engine.inputs import parse_input_pairs
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
    "SearchHit",
    "SearchResults",
    "check_format",
    "default_home",
    "import_export",
    "is_binary",
    "merge_store",
    "open_other_home",
    "parse_input_pairs",
    "parse_model_specs",
    "rebuild_search_index",
    "search_runs",
    "update_search_index",
]
