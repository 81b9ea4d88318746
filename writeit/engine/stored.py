"""The exact pipeline and style a run was started with, as kept beside its events.

Runs are reproducible: `config:{pipeline}:{sha256}` and `primer:{style}:{sha256}` hold the text
they used, whatever has changed on disk since.
"""

from __future__ import annotations

import functools

from writeit.domain.errors import NotFound
from writeit.domain.models import PipelineRun
from writeit.domain.pipeline import LoadedPipeline, load_pipeline
from writeit.domain.style import StylePrimer, load_style
from writeit.storage import keys
from writeit.storage.store import Store


@functools.lru_cache(maxsize=64)
def _parsed_pipeline(label: str, source: str) -> LoadedPipeline:
    """A stored pipeline, parsed once per run: the result is frozen and depends only on its text.

    Parsing and validating the YAML costs ~3.5 ms, and the run screen asks for the same run's
    pipeline on every step switch and chrome update (bench/README.md, render keypresses).
    """
    return load_pipeline(label, source)


def stored_pipeline(store: Store, run: PipelineRun) -> LoadedPipeline:
    raw = store.get_raw(keys.config(run.pipeline, run.pipeline_sha))
    if raw is None:
        raise NotFound(f"the pipeline of run {run.run_id[:8]} is missing from the store")
    # keyed by the stored text, not the run: every run of a pipeline shares one parse (with
    # the run's id in the key, a long session kept a parsed copy, templates and all, per run)
    return _parsed_pipeline(f"<{run.pipeline} {run.pipeline_sha[:8]}>", raw.decode())


@functools.lru_cache(maxsize=16)
def _parsed_style(label: str, source: str) -> StylePrimer:
    """A stored style primer, parsed once: every step's prompt asks for it, and parsing its
    YAML cost ~17 ms a step (bench/search_bench.py spent half its run creation there)."""
    return load_style(label, source).primer


def stored_style(store: Store, run: PipelineRun) -> StylePrimer | None:
    if not run.style or not run.style_sha:
        return None
    raw = store.get_raw(keys.primer(run.style, run.style_sha))
    return _parsed_style(f"<style {run.style}>", raw.decode()) if raw else None


def stored_blobs(store: Store, run: PipelineRun) -> dict[bytes, bytes]:
    """The stored pipeline and style texts `run` refers to, by key (a merge copies them)."""
    wanted = [keys.config(run.pipeline, run.pipeline_sha)]
    if run.style and run.style_sha:
        wanted.append(keys.primer(run.style, run.style_sha))
    return {key: raw for key in wanted if (raw := store.get_raw(key)) is not None}
