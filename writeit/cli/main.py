"""Entry point: parse, dispatch, and turn user errors into one line on stderr (exit 1)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from writeit.cli.parser import build_parser

# Records go to the `writeit` logger's file once an engine has opened (WriteIt's log setup);
# the CLI names only the logger, so it needs nothing of the package beyond the engine API.
LOGGER = "writeit.cli"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import logging  # after parsing: --version stays instant

    from writeit.domain.errors import WriteItError

    log = logging.getLogger(LOGGER)
    if not log.handlers:
        log.addHandler(logging.NullHandler())  # before an engine configured logging: discard
    try:
        from writeit.cli.commands import dispatch

        return dispatch(args)
    except WriteItError as exc:
        log.warning("writeit %s: %s", args.command, exc)
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
        log.error("writeit %s: crashed", args.command, exc_info=True)
        raise
