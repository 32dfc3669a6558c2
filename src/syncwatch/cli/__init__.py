"""The ``syncwatch`` command: argument parsing and printing only.

:mod:`~syncwatch.cli.parser` builds the parser from each subject's module (``data``,
``integrations``, ``demo``, ``kombo``, ``actions``, ``tui``), each holding its commands;
:mod:`~syncwatch.cli.errors` holds the exit codes and turns foreseeable failures into
messages; :mod:`~syncwatch.cli.common` opens the database and writes to the terminal. A
command imports what it needs when it runs, so ``syncwatch --help`` stays light (no
SQLAlchemy, SQLModel, pydantic, Textual or Rich: ``tests/test_cli_imports.py``).

``list``, ``show`` and ``logs`` also name a ``fast`` function: what they print read with
:mod:`syncwatch.fastread` (``sqlite3`` alone; on PostgreSQL :mod:`syncwatch.pgread`,
psycopg alone) when that is the same answer, which :func:`_from_stored_rows` decides;
otherwise they run on ``Store`` with the pass.
"""

from __future__ import annotations

import argparse
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from syncwatch.cli.common import Command, Printer, default_db_path, make_clock, open_store
from syncwatch.cli.config import cmd_config
from syncwatch.cli.data import cmd_db
from syncwatch.cli.demo import demo_database
from syncwatch.cli.errors import CliError, exit_code
from syncwatch.cli.parser import build_parser
from syncwatch.clock import Clock

if TYPE_CHECKING:
    from syncwatch.db import Store

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    store: Store | None = None
    #: A demo's temporary database folder, removed at the end.
    temporary: Path | None = None
    try:
        if args.db is not None and not args.db.strip():
            # Given, but empty (an unset shell variable): not the default database.
            raise CliError(
                "--db is empty: give a SQLite file path or a database URL, or leave --db out "
                "to use SYNCWATCH_DB or the default database"
            )
        clock = make_clock(args.now)
        if args.command == "demo":
            args.db, temporary = demo_database(args.db, headless=args.headless)
        if args.command == "db":
            return cmd_db(args)
        if args.command == "config":
            return cmd_config(args)
        if not (args.db or os.environ.get("SYNCWATCH_DB")):
            # The default database's folder is syncwatch's own: made on first use (a folder
            # named by --db or SYNCWATCH_DB must exist: a typo would look like an empty fleet).
            folder = default_db_path().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise CliError(f"cannot make the folder {folder}: {error.strerror}") from None
        if args.command == "serve":
            from syncwatch.cli.serve import cmd_serve

            return cmd_serve(clock, args)
        if args.command is None:
            # The UI: rows read with sqlite3 first, the store opened after the first paint.
            from syncwatch.cli.tui import launch_tui

            return launch_tui(clock, args)
        if getattr(args, "as_of", None) is not None:
            # ``list --as-of`` and ``show --as-of``: answered from the history, read-only.
            from syncwatch.cli.asof import as_of_commands

            args.run, args.fast = as_of_commands(args.command)
        fast = _from_stored_rows(args, clock)
        if fast is not None:
            return fast()
        store = open_store(args.db, clock)
        run: Command = args.run
        return run(store, clock, args)
    except (Exception, KeyboardInterrupt) as error:
        code = exit_code(error)
        if code is None:
            raise
        return code
    finally:
        if store is not None:
            store.close()
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


def _from_stored_rows(args: argparse.Namespace, clock: Clock) -> Printer | None:
    """What a reading command prints, read with the standard library alone
    (:mod:`syncwatch.fastread`), or ``None``: then it runs as it always did, on ``Store``.

    Taken only when the answer is the same either way: the database is an existing SQLite
    file, or a PostgreSQL database, at this syncwatch's schema head (anything else,
    ``Store`` creates, upgrades or refuses), and for ``list`` and ``show`` a pass at
    ``now`` has nothing to do and ``now`` is not behind the last stored evaluation (else
    the pass runs, and stores, or says why not). Nothing here writes; any failure to read
    falls back to ``Store``, which reports it in its words. The reads happen in one read
    transaction, before anything is printed.
    """
    command = getattr(args, "fast", None)
    if command is None:
        return None
    from syncwatch.cli.tui import open_fast_reader

    target = args.db or os.environ.get("SYNCWATCH_DB") or default_db_path()
    # No waiting for a lock: Store waits (and says "locked" when it gives up).
    opened = open_fast_reader(target, timeout=0)
    if opened is None:
        return None
    reader, read_error = opened
    try:
        with reader, reader.snapshot():
            now = clock.now()
            # An as-of read answers from the history: it never evaluates.
            evaluates = getattr(args, "as_of", None) is None
            if evaluates and getattr(args, "fast_evaluates", True):
                if reader.work_due(now):
                    return None
                last = reader.last_evaluated_at()
                if last is not None and now < last:
                    return None
            printer: Printer = command(reader, now, args)
            return printer
    except (read_error, ValueError):
        return None  # Store reads it again, and fails (or not) as it always did
