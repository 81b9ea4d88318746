"""Entry point: parse, dispatch, and turn user errors into one line on stderr (exit 1)."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

from writeit.cli.parser import build_parser

if TYPE_CHECKING:
    import logging

# Records go to the `writeit` logger's file once an engine has opened (WriteIt's log setup);
# the CLI names only the logger, so it needs nothing of the package beyond the engine API.
LOGGER = "writeit.cli"

Handler = Callable[[argparse.Namespace], int]
# Each command's module is imported only when that command runs: `writeit list` and the TUI's
# first frame must not wait for what other commands import (domain models, estimates, the
# leaderboard, exports). "module:function"; None is plain `writeit`.
ROUTES: dict[str | None, str] = {
    None: "writeit.cli.main:cmd_tui",
    "new": "writeit.cli.main:cmd_tui",
    "open": "writeit.cli.main:cmd_tui",
    "list": "writeit.cli.listing:cmd_list",
    "run": "writeit.cli.commands:cmd_run",
    "show": "writeit.cli.commands:cmd_show",
    "branch": "writeit.cli.commands:cmd_branch",
    "history": "writeit.cli.commands:cmd_history",
    "export": "writeit.cli.commands:cmd_export",
    "doctor": "writeit.cli.commands:cmd_doctor",
    "validate": "writeit.cli.commands:cmd_validate",
    "pipelines": "writeit.cli.commands:cmd_pipelines",
    "styles": "writeit.cli.commands:cmd_styles",
    "models": "writeit.cli.commands:cmd_models",
    "leaderboard": "writeit.cli.commands:cmd_leaderboard",
    "search": "writeit.cli.search:cmd_search",
    "import": "writeit.cli.merge:cmd_import",
}


def handler(command: str | None) -> Handler:
    module, _, name = ROUTES[command].partition(":")
    return cast(Handler, getattr(importlib.import_module(module), name))


def cmd_tui(args: argparse.Namespace) -> int:
    """`writeit`, `new`, `open`: the launcher checks what `run` checks before the first frame."""
    from writeit.cli.args import home_of
    from writeit.tui.launch import launch  # Textual loads only for the commands that draw

    return launch(args, home_of(args))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from writeit.domain.errors import WriteItError

    try:
        return handler(args.command)(args)
    except WriteItError as exc:
        _logger().warning("writeit %s: %s", args.command, exc)
        from writeit.domain.redact import strip_control  # errors may quote model/server text

        first, *rest = strip_control(str(exc)).splitlines() or ["error"]
        print(f"writeit: error: {first}", file=sys.stderr)
        for line in rest:
            print(f"  {line}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("writeit: interrupted (everything streamed so far is saved)", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception:
        _logger().error("writeit %s: crashed", args.command, exc_info=True)
        raise


def _logger() -> logging.Logger:
    """The CLI's logger, imported only when there is something to log (`list` never does)."""
    import logging

    log = logging.getLogger(LOGGER)
    if not log.handlers:
        log.addHandler(logging.NullHandler())  # before an engine configured logging: discard
    return log
