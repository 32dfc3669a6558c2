"""The ``syncwatch`` command line's parser: the global options, then each subject's
commands (each subject's module adds its own), in the order ``--help`` lists them."""

from __future__ import annotations

import argparse
from datetime import datetime

from syncwatch.cli.actions import add_action_parsers, add_operator_option
from syncwatch.cli.activity import add_activity_parser
from syncwatch.cli.args import Parser
from syncwatch.cli.attention import add_attention_parsers
from syncwatch.cli.config import add_config_parser
from syncwatch.cli.data import add_data_parsers, add_db_parser
from syncwatch.cli.demo import add_demo_parser
from syncwatch.cli.fleet import add_fleet_parsers
from syncwatch.cli.integrations import add_integration_parsers
from syncwatch.cli.kombo import add_kombo_parsers
from syncwatch.cli.kombo_requests import add_request_parsers
from syncwatch.cli.serve import add_serve_parser
from syncwatch.cli.tui import add_tui_options, cmd_tui
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
    add_operator_option(parser)
    add_tui_options(parser)
    # Without a command: the terminal UI.
    parser.set_defaults(run=cmd_tui)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    add_data_parsers(sub)  # import, evaluate, evaluator
    add_integration_parsers(sub)  # list, show, logs
    add_fleet_parsers(sub)  # fleet, errors
    add_demo_parser(sub)
    add_serve_parser(sub)  # serve: the UI or the demo in a browser
    add_kombo_parsers(sub)  # receive, events, watch, pull
    add_db_parser(sub)  # listed after the Kombo commands, as it always was
    add_action_parsers(sub)
    add_request_parsers(sub)  # relink-link, trigger-sync: asked of Kombo
    add_attention_parsers(sub)  # ack, unack, snooze, unsnooze
    add_activity_parser(sub)  # activity: the fleet's recent transitions and actions
    add_config_parser(sub)  # config: the UI's remembered preferences
    return parser
