"""The argument parser: every command of DESIGN.md with `--home` and `--json`."""

from __future__ import annotations

import argparse

from writeit import __version__

EPILOG = """\
Data lives in $WRITEIT_HOME (default: your user data directory); --home overrides it.
With no API key set, WriteIt runs on its built-in offline models (offline:writer, offline:editor).
Run ids may be abbreviated to any unique prefix of at least 6 characters.
Exit codes: 0 ok, 1 user error, 2 usage error."""


def _positive(text: str) -> int:
    """An argparse type: a whole number from 1 (a usage error, exit 2, otherwise)."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number from 1")
    return int(text)


def _usd(text: str) -> float:
    """An argparse type: a positive amount of US dollars (`0.50`, `$2`)."""
    try:
        value = float(text.strip().lstrip("$"))
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"'{text}' is not a positive amount of USD")
    return value


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--home", metavar="DIR", default=argparse.SUPPRESS, help="data directory ($WRITEIT_HOME)"
    )
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
    )
    return common


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("pipeline", help="pipeline name (see `writeit pipelines`) or a YAML file")
    p.add_argument(
        "--input", "-i", action="append", default=[], metavar="K=V", help="an input value (repeat)"
    )
    p.add_argument("--style", metavar="ID", help="style primer (see `writeit styles`)")
    p.add_argument(
        "--model",
        "-m",
        action="append",
        default=[],
        metavar="[STEP=]PROVIDER:MODEL,...",
        help="models for a step (or every step), e.g. draft=openai:gpt-4o-mini,offline:writer",
    )
    p.add_argument(
        "--budget",
        type=_usd,
        metavar="USD",
        help="the run's spending limit in USD (default: budget_usd in config.yaml); a step "
        "that may cross what remains is refused, streams stop when it is reached",
    )


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="writeit",
        description="Write articles with several language models side by side.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"writeit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_, description=help_, parents=[common])

    p = add("new", "open the TUI straight into a new run")
    _run_options(p)

    p = add("open", "open the TUI on a run")
    p.add_argument("run_id")

    p = add("run", "run every step headless, picking automatically; prints the run id")
    _run_options(p)
    p.add_argument(
        "--pick",
        default="first",
        metavar="N|first|longest",
        help="which response to pick at each step: the Nth (from 1), the first that completed "
        "(in model order), or the longest (default: first)",
    )
    p.add_argument(
        "--estimate",
        action="store_true",
        help="print what each step would cost per model (a range; ≈ input tokens counted "
        "locally, output from earlier runs or up to max_tokens) and write nothing",
    )
    p.add_argument(
        "--over-budget",
        action="store_true",
        help="start steps whose upper estimate crosses what remains of the budget (streams "
        "still stop when the budget is reached)",
    )
    p.add_argument(
        "--shuffle",
        action="store_true",
        help="show each step's responses in the TUI's shuffled order: --pick N counts in it and "
        "picks record it, so scripted evaluations feed `writeit leaderboard` honestly",
    )

    p = add("list", "runs, newest first")
    p.add_argument("--pipeline", metavar="P", help="only runs of this pipeline")
    p.add_argument("--all", action="store_true", help="include archived runs")
    p.add_argument("--limit", type=_positive, default=50, help="at most this many (default 50)")

    p = add("show", "the state of a run: steps, responses, selection, lineage")
    p.add_argument("run_id")

    p = add("branch", "start a new run branched from a step of an existing run")
    p.add_argument("run_id")
    p.add_argument("--from", dest="from_step", required=True, metavar="STEP")

    p = add("history", "the event log of a run")
    p.add_argument("run_id")
    p.add_argument("--at", type=int, metavar="N", help="show the state after event N instead")

    p = add("export", "export a run as YAML, Markdown, HTML or Word (docx)")
    p.add_argument("run_id")
    p.add_argument(
        "--format",
        "-f",
        choices=["yaml", "markdown", "html", "docx"],
        help="default: from config, else yaml; html and docx need pip install 'writeit[publish]'",
    )
    p.add_argument(
        "--with-history",
        action="store_true",
        help="add the appendix of every step and response (markdown, html, docx; "
        "yaml always has them)",
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE|DIR/|-",
        help="a file, a directory (the default file name inside it), or - for stdout "
        "(docx only when stdout is not a terminal) "
        "(default: $WRITEIT_HOME/exports/{pipeline}-{run_id[:8]}.{ext})",
    )

    p = add("doctor", "check every run: events dense and readable, derived keys == a replay")
    p.add_argument(
        "--repair",
        action="store_true",
        help="rebuild derived keys (snapshots, indexes) from the log; events are never touched",
    )

    p = add("validate", "check pipeline and style files")
    p.add_argument("files", nargs="+", metavar="FILE")

    p = add("leaderboard", "model ratings from your picks (Bradley-Terry, position bias per slot)")
    p.add_argument("--step", metavar="S", help="only picks made on steps named S")
    p.add_argument("--pipeline", metavar="P", help="only picks in runs of pipeline P")

    p = add("search", "find runs by what they say: topics, inputs, responses, edits, feedback")
    p.add_argument(
        "query",
        nargs="*",
        metavar="WORD",
        help="every word must appear (word stems match: 'streams' finds 'streaming'); "
        "a trailing * matches a prefix",
    )
    p.add_argument("--limit", type=_positive, default=20, help="at most this many (default 20)")
    p.add_argument(
        "--rebuild",
        action="store_true",
        help="rebuild the index ($WRITEIT_HOME/search.sqlite) from every run's log first",
    )

    p = add(
        "import",
        "recreate a run from a YAML export, or merge the runs of another WriteIt home",
    )
    p.add_argument("file", nargs="?", metavar="FILE.yaml", help="a `writeit export` YAML file")
    p.add_argument(
        "--store",
        metavar="OTHER_HOME",
        help="merge every run of that home by run id and event seq: safe to repeat; a run "
        "that changed on both sides is left alone and the other side added as a branch",
    )

    add("pipelines", "pipelines you can run")
    add("styles", "style primers you can use")
    add("models", "configured providers, their credentials, and the default models")
    return parser
