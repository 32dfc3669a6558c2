"""The ``syncwatch`` command line's parser: the global options, then each subject's
commands (each subject's module adds its own), in the order ``--help`` lists them."""

from __future__ import annotations

import argparse
from datetime import datetime

from syncwatch.cli import actions, data, demo, integrations, kombo, tui
from syncwatch.cli.args import Parser
from syncwatch.clock import parse_instant


def _instant_arg(text: str) -> datetime:
    try:
        return parse_instant(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def build_parser() -> argparse.ArgumentParser:
    """The command line; each parsed command carries the function that runs it (``run``)."""
    parser = Parser(
        prog="syncwatch",
        description="Watch and operate third-party integrations. "
        "Without a command, opens the terminal UI.",
        epilog="Times are UTC. Exit codes: 0 ok, 1 refused action or unknown id, "
        "2 bad usage, invalid input or unusable database.",
    )
    parser.add_argument(
        "--db",
        metavar="URL_OR_PATH",
        help="SQLite file or SQLAlchemy URL (env SYNCWATCH_DB; default: the sample database "
        "in your data directory)",
    )
    parser.add_argument(
        "--now",
        metavar="ISO8601",
        type=_instant_arg,
        help="evaluate and act at this time instead of the clock (env SYNCWATCH_NOW)",
    )
    tui.add_options(parser)
    # Without a command: the terminal UI.
    parser.set_defaults(run=tui.cmd_tui)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    data.add_parsers(sub)  # import, evaluate, evaluator
    integrations.add_parsers(sub)  # list, show, logs
    demo.add_parser(sub)
    kombo.add_parsers(sub)  # receive, events, watch, pull
    data.add_db_parser(sub)  # listed after the Kombo commands, as it always was
    actions.add_parsers(sub)
    return parser
