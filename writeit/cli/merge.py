"""`writeit import`: a run from a YAML export, or every run of another WriteIt home merged in.
A thin call into the engine API, like every command."""

from __future__ import annotations

import argparse
from pathlib import Path

from writeit.cli.args import home_of, wants_json
from writeit.cli.output import emit_json, say
from writeit.domain.errors import WriteItError
from writeit.engine import Engine, import_export, merge_store, open_other_home


def cmd_import(args: argparse.Namespace) -> int:
    if (args.file is None) == (args.store is None):
        raise WriteItError("give either an export FILE.yaml or --store OTHER_HOME")
    home = home_of(args)
    if args.file is not None:
        with Engine.open(home) as engine:
            report = import_export(engine, Path(args.file).expanduser())
    else:
        # The other home first: the engine opened last keeps WriteIt's log in its home.
        other = Path(args.store).expanduser()
        with open_other_home(other, home) as source, Engine.open(home) as engine:
            report = merge_store(engine, source)
    if wants_json(args):
        emit_json(report.shape())
    else:
        for line in report.lines():
            say(line)
    return 0
