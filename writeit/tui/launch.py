"""`writeit`, `writeit new`, `writeit open`: turn the command line into the app's first screen.

Everything a user could get wrong on the command line or in config.yaml is checked here, before
the first frame, and reported as one line: the same checks `writeit run` makes (through the
engine), plus what only the TUI knows (keymap actions, themes).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from writeit.domain.errors import WriteItError
from writeit.engine import Engine, parse_input_pairs, parse_model_specs
from writeit.tui.app import Start, WriteItApp, create_app
from writeit.tui.screens.dialogs import ConfirmDialog, ExportDialog, TextDialog
from writeit.tui.screens.help import HelpScreen
from writeit.tui.screens.history import HistoryScreen
from writeit.tui.screens.home import HomeScreen
from writeit.tui.screens.new_run import NewRunScreen, Prefill
from writeit.tui.screens.run import RunScreen
from writeit.tui.screens.tree import TreeScreen

SCREENS: tuple[type[App[None]] | type[object], ...] = (
    WriteItApp,
    HomeScreen,
    NewRunScreen,
    RunScreen,
    TreeScreen,
    HistoryScreen,
    HelpScreen,
    ConfirmDialog,
    TextDialog,
    ExportDialog,
)


def keymap_actions() -> set[str]:
    """Every binding id a `keymap:` entry in config.yaml may remap."""
    ids = set()
    for owner in SCREENS:
        for binding in Binding.make_bindings(getattr(owner, "BINDINGS", [])):
            if binding.id:
                ids.add(binding.id)
    return ids


def check_preferences(engine: Engine, app: WriteItApp) -> None:
    """Unknown keymap actions and themes are config errors naming the key."""
    known = keymap_actions()
    for action in engine.config.keymap:
        if action not in known:
            raise WriteItError(
                f"config.yaml: keymap.{action}: unknown action (known: {', '.join(sorted(known))})"
            )
    theme = engine.config.theme
    if theme and theme not in app.available_themes:
        themes = ", ".join(sorted(app.available_themes))
        raise WriteItError(f"config.yaml: theme: unknown theme '{theme}' (available: {themes})")


def start_from(args: argparse.Namespace, engine: Engine) -> Start:
    """What to open; an unknown run id or a run `writeit run` would refuse fails here."""
    if args.command == "open":
        return Start(run_id=engine.resolve(args.run_id))
    if args.command == "new":
        prefill = Prefill(
            pipeline=args.pipeline,
            inputs=parse_input_pairs(args.input),
            style=args.style,
            models=parse_model_specs(args.model),
            autostart=True,
            budget=args.budget,
        )
        engine.prepare_run(
            prefill.pipeline or "tech-article",
            prefill.inputs,
            style=prefill.style,
            models=prefill.models,
            partial=True,  # a missing required input is asked for in the form
        )
        return Start(prefill=prefill)
    return Start()


def launch(args: argparse.Namespace, home: Path) -> int:
    with Engine.open(home) as engine:
        app = create_app(home, engine, start_from(args, engine))
        check_preferences(engine, app)
        app.run()
        return app.return_code or 0
