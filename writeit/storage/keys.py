"""The store's hierarchical key scheme (DESIGN.md, Storage). Keys are UTF-8 strings."""

from __future__ import annotations

SCHEMA_VERSION = b"meta:schema_version"
SEQ_WIDTH = 12


def event(run_id: str, seq: int) -> bytes:
    return f"event:{run_id}:{seq:0{SEQ_WIDTH}d}".encode()


def event_prefix(run_id: str) -> bytes:
    return f"event:{run_id}:".encode()


def run(run_id: str) -> bytes:
    return f"run:{run_id}".encode()


def step(run_id: str, step_name: str) -> bytes:
    return f"step:{run_id}:{step_name}".encode()


def response(response_id: str) -> bytes:
    return f"response:{response_id}".encode()


def step_responses(run_id: str, step_name: str) -> bytes:
    return f"step_responses:{run_id}:{step_name}".encode()


def run_by_config(pipeline: str, created_at_iso: str, run_id: str) -> bytes:
    """A run among its pipeline's runs, by creation time; the id keeps two runs created in
    the same microsecond apart (schema 4: they shared one key, the later one hiding the other)."""
    return f"run_by_config:{pipeline}:{created_at_iso}:{run_id}".encode()


def pipeline_runs_prefix(pipeline: str) -> bytes:
    """What every `run_by_config` key of `pipeline`'s runs starts with."""
    return f"run_by_config:{pipeline}:".encode()


RUN_BY_CONFIG_PREFIX = b"run_by_config:"


def recent_runs(created_at_iso: str, run_id: str) -> bytes:
    return f"recent_runs:{created_at_iso}:{run_id}".encode()


RECENT_RUNS_PREFIX = b"recent_runs:"


def branch_parent(child_run_id: str) -> bytes:
    return f"branch_parent:{child_run_id}".encode()


def branch_children(parent_run_id: str) -> bytes:
    return f"branch_children:{parent_run_id}".encode()


CHILDREN_PREFIX = b"branch_children:"


def config(pipeline: str, sha256: str) -> bytes:
    return f"config:{pipeline}:{sha256}".encode()


def primer(style_id: str, sha256: str) -> bytes:
    return f"primer:{style_id}:{sha256}".encode()


def session(session_id: str) -> bytes:
    return f"session:{session_id}".encode()


SESSION_PREFIX = b"session:"


def active(run_id: str, response_id: str) -> bytes:
    """A response that is streaming right now, with the pid of the process streaming it.

    Lets a later open find responses a crash left `streaming` without scanning every run.
    """
    return f"active:{run_id}:{response_id}".encode()


ACTIVE_PREFIX = b"active:"


def damaged(run_id: str) -> bytes:
    """A run `writeit doctor` found damaged (its log unreadable), with the one-line reason.

    Lists read it to mark the run without replaying every log; doctor clears it once the run
    checks out. A note about the store, not an event: nothing of the run's history changes.
    """
    return f"damaged:{run_id}".encode()


DAMAGED_PREFIX = b"damaged:"


def run_id_prefix(prefix: str) -> bytes:
    return f"run:{prefix}".encode()
