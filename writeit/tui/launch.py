"""`writeit`, `writeit new`, `writeit open`: turn the command line into the app's first screen."""

from __future__ import annotations

import argparse
from pathlib import Path

from writeit.engine.engine import Engine
from writeit.engine.inputs import parse_input_pairs
from writeit.tui.app import Start, create_app
from writeit.tui.screens.new_run import Prefill


def start_from(args: argparse.Namespace, engine: Engine) -> Start:
    """What to open; an unknown run id is a user error before any screen is drawn."""
    if args.command == "open":
        return Start(run_id=engine.resolve(args.run_id))
    if args.command == "new":
        return Start(
            prefill=Prefill(
                pipeline=args.pipeline,
                inputs=parse_input_pairs(args.input),
                style=args.style,
                models=list(args.model),
                autostart=True,
            )
        )
    return Start()


def launch(args: argparse.Namespace, home: Path) -> int:
    engine = Engine.open(home)
    try:
        app = create_app(home, engine, start_from(args, engine))
        app.run()
        return app.return_code or 0
    finally:
        engine.close()
