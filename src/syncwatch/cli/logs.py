"""``logs``: an integration's log entries, newest first, from the store or from the stored
rows read with ``sqlite3``/psycopg alone (``logs`` never runs a pass)."""

from __future__ import annotations

import argparse
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from syncwatch.cli.common import Printer, console, out_json, require
from syncwatch.cli.errors import EXIT_OK, EXIT_REFUSED, CliError
from syncwatch.clock import Clock
from syncwatch.states import LogLevel

if TYPE_CHECKING:
    from syncwatch.db import Store
    from syncwatch.fastread import FastReader
    from syncwatch.rows import LogRow

_LEVELS_AT_LEAST = {
    LogLevel.INFO: ("INFO", "WARNING", "ERROR"),
    LogLevel.WARNING: ("WARNING", "ERROR"),
    LogLevel.ERROR: ("ERROR",),
}
_LEVEL_STYLE = {"ERROR": "red", "WARNING": "yellow", "INFO": ""}


def cmd_logs(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """An integration's log entries, newest first."""
    return _read_logs(store, args)()


def fast_logs(reader: FastReader, now: datetime, args: argparse.Namespace) -> Printer:
    """``logs`` read with the standard library (``logs`` never runs a pass)."""
    return _read_logs(reader, args)


def _read_logs(source: Store | FastReader, args: argparse.Namespace) -> Printer:
    require(source, args.id)
    if args.sync and not source.sync_belongs(args.id, args.sync):
        raise CliError(f"integration {args.id!r} has no sync {args.sync!r}", EXIT_REFUSED)
    levels = _LEVELS_AT_LEAST[args.level] if args.level else None
    logs = source.logs(args.id, sync_id=args.sync, levels=levels, limit=args.limit)
    return partial(_print_logs, logs, args)


def _print_logs(logs: list[LogRow], args: argparse.Namespace) -> int:
    from syncwatch.present import iso

    if args.json:
        out_json(
            [
                {
                    "sync_id": e.sync_id,
                    "at": iso(e.at),
                    "level": e.level,
                    "message": e.message,
                    "field": e.field,
                }
                for e in logs
            ]
        )
        return EXIT_OK
    from rich.text import Text

    from syncwatch.present import fmt_time, safe_text

    terminal = console(soft_wrap=True)
    for e in logs:
        line = Text(f"{fmt_time(e.at)}  {safe_text(e.sync_id)}  ")
        line.append(f"{e.level:<7}", style=_LEVEL_STYLE.get(e.level, ""))
        line.append(f"  {safe_text(e.message)}")
        if e.field:
            line.append(f"  [{safe_text(e.field)}]", style="dim")
        terminal.print(line)
    if not logs:
        terminal.print("No log entries.")
    return EXIT_OK
