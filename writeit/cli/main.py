"""Entry point: parse, dispatch, and turn user errors into one line on stderr (exit 1)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from writeit.cli.parser import build_parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from writeit.domain.errors import WriteItError  # after parsing: --version stays instant

    try:
        from writeit.cli.commands import dispatch

        return dispatch(args)
    except WriteItError as exc:
        from writeit import logs

        logs.error(f"writeit {args.command}: {exc}")
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
        from writeit import logs

        logs.error(f"writeit {args.command}: crashed", exc_info=True)
        raise
