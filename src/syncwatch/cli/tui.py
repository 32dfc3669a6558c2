"""Starting the terminal UI: what ``syncwatch`` does without a command."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from syncwatch.cli.args import positive_float
from syncwatch.clock import Clock

if TYPE_CHECKING:
    from syncwatch.db import Store


def add_tui_options(parser: argparse.ArgumentParser) -> None:
    """The UI's global options (``--interval``, ``--read-only``)."""
    parser.add_argument(
        "--interval",
        type=positive_float,
        default=5.0,
        metavar="SECONDS",
        help="UI: seconds between background evaluation passes (default 5)",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="UI: disable every operator action (for demos and shared databases)",
    )


def cmd_tui(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """Open the terminal UI."""
    from syncwatch.tui.app import run_app

    return run_app(store, clock, interval=args.interval, read_only=args.read_only)
