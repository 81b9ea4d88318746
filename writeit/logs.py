"""Structured logs: JSON lines in `$WRITEIT_HOME/logs/writeit.log`, small and rotated, no secrets.

Every record is one JSON object per line: `ts`, `level`, `logger`, `msg`, then its fields (run_id,
step, ...). A filter on the handler replaces the value of every credential the environment holds
(`writeit.domain.redact.secret_values`) with `***` in the message, the fields and any traceback,
so nothing logged can carry an API key. Logging never writes to the terminal (the TUI owns it)
and never fails an action: a log that cannot be written is dropped.

`configure()` is called when an engine opens; until then the `writeit` logger discards records.
Several processes may append to the same file; rotation is per process and best effort.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
from collections.abc import Iterable
from datetime import UTC, datetime
from io import TextIOWrapper
from pathlib import Path
from typing import Any

from writeit.domain.events import (
    BudgetSet,
    Event,
    FeedbackGiven,
    ResponseFinished,
    ResponsePicked,
    RunArchived,
    RunCreated,
    RunStatusChanged,
    StepEdited,
    StepStarted,
)
from writeit.domain.models import PipelineRun
from writeit.domain.redact import redact
from writeit.domain.status import ResponseStatus

LOGGER = "writeit"
FILE_NAME = "writeit.log"
MAX_BYTES = 512 * 1024
BACKUPS = 2

log = logging.getLogger(LOGGER)
log.addHandler(logging.NullHandler())  # unconfigured: discard, never fall back to stderr

_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


def _scrub(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, list | tuple):
        return [_scrub(v, secrets) for v in value]
    if isinstance(value, dict):
        return {_scrub(k, secrets): _scrub(v, secrets) for k, v in value.items()}
    return value


class RedactSecrets(logging.Filter):
    """Replace secret values in a record's message, fields and traceback before it is written."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted(set(secrets), key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _RECORD_FIELDS:
                setattr(record, key, _scrub(value, self.secrets))
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        out.update((k, v) for k, v in vars(record).items() if k not in _RECORD_FIELDS)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exc"] = record.exc_text
        return json.dumps(out, ensure_ascii=False, default=str)


class _QuietRotatingHandler(logging.handlers.RotatingFileHandler):
    def handleError(self, record: logging.LogRecord) -> None:
        """A full disk or a vanished directory must not print to the terminal or fail a run."""

    def _open(self) -> TextIOWrapper:
        """The directory is made with the first record, so a command that logs nothing
        (`list`, `run --estimate`) leaves no empty `logs/` behind in the home."""
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()


_handler: _QuietRotatingHandler | None = None


def configure(directory: Path, secrets: Iterable[str]) -> Path | None:
    """Log to `directory/writeit.log` with `secrets` redacted; returns the file, None if unusable.

    Calling it again for the same directory only updates the secrets.
    """
    global _handler
    path = (directory / FILE_NAME).absolute()
    if _handler is not None and Path(_handler.baseFilename) == path:
        for f in _handler.filters:
            if isinstance(f, RedactSecrets):
                f.secrets = RedactSecrets(secrets).secrets
        return path
    if _handler is not None:
        log.removeHandler(_handler)
        _handler.close()
        _handler = None
    if directory.exists() and not directory.is_dir():
        return None
    handler = _QuietRotatingHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
    )
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactSecrets(secrets))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    _handler = handler
    return path


def shutdown() -> None:
    """Close the log file (tests, and processes that open many homes)."""
    global _handler
    if _handler is not None:
        log.removeHandler(_handler)
        _handler.close()
        _handler = None


def event(e: Event) -> None:
    """One line for each event that matters to someone reading the log later."""
    base: dict[str, Any] = {"run_id": e.run_id, "seq": e.seq, "event": e.type}
    if isinstance(e, RunCreated):
        if e.parent_run_id:
            log.info(
                "branch created",
                extra=base | {"parent_run_id": e.parent_run_id, "branch_point": e.branch_point},
            )
        else:
            log.info("run started", extra=base | {"pipeline": e.pipeline, "style": e.style})
    elif isinstance(e, StepStarted):
        models = [f"{r.provider}:{r.model}" for r in e.responses]
        log.info("step started", extra=base | {"step": e.step, "models": models})
    elif isinstance(e, ResponseFinished):
        fields = base | {
            "step": e.step,
            "response_id": e.response_id,
            "status": e.status.value,
            "output_tokens": e.usage.output_tokens,
            "processing_time_s": e.processing_time_s,
            "attempts": e.attempts,
        }
        if e.status is ResponseStatus.COMPLETED:
            log.info("response finished", extra=fields)
        else:
            log.warning("response %s: %s", e.status.value, e.error or "", extra=fields)
    elif isinstance(e, ResponsePicked):
        extra = base | {"step": e.step, "response_id": e.response_id, "index": e.index}
        log.info("response picked", extra=extra)
    elif isinstance(e, StepEdited):
        log.info("step edited", extra=base | {"step": e.step, "chars": len(e.content)})
    elif isinstance(e, FeedbackGiven):
        log.info("feedback given", extra=base | {"step": e.step, "chars": len(e.feedback)})
    elif isinstance(e, RunStatusChanged):
        level = logging.WARNING if e.error else logging.INFO
        log.log(level, "run %s", e.status.value, extra=base | {"error": e.error})
    elif isinstance(e, RunArchived):
        log.info("run archived", extra=base)
    elif isinstance(e, BudgetSet):
        log.info("budget set", extra=base | {"budget_usd": e.budget_usd})


def step_finished(run: PipelineRun, step: str) -> None:
    statuses = [r.status.value for r in run.steps[step].ordered_responses()]
    log.info("step finished", extra={"run_id": run.run_id, "step": step, "statuses": statuses})


def error(message: str, *, exc_info: bool = False) -> None:
    """A user error the CLI reported, or (exc_info) a crash."""
    (log.error if exc_info else log.warning)(message, exc_info=exc_info)
