"""Errors a user can cause; the CLI prints them as one line and exits 1."""

from __future__ import annotations


class WriteItError(Exception):
    """A mistake the user can fix (bad input, unknown id, illegal action). Never a bug."""


class IllegalTransition(WriteItError):
    """A status change the state machine forbids; raised before anything is written."""


class NotFound(WriteItError):
    """An unknown run, pipeline, style, step, model or provider."""


class ValidationProblem(WriteItError):
    """One or more `file:line: message` problems found while loading a YAML file."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))
