"""The ``syncwatch`` command: argument parsing and printing only.

:mod:`~syncwatch.cli.parser` builds the parser from each subject's module (``data``,
``integrations``, ``demo``, ``kombo``, ``actions``, ``tui``), each holding its commands;
:mod:`~syncwatch.cli.errors` holds the exit codes and turns foreseeable failures into
messages; :mod:`~syncwatch.cli.common` opens the database and writes to the terminal. A
command imports what it needs when it runs, so ``syncwatch --help`` stays light.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from syncwatch.cli.common import Command, default_db_path, make_clock, open_store
from syncwatch.cli.data import cmd_db
from syncwatch.cli.demo import demo_database
from syncwatch.cli.errors import CliError, exit_code
from syncwatch.cli.parser import build_parser

if TYPE_CHECKING:
    from syncwatch.db import Store

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    store: Store | None = None
    try:
        if args.db is not None and not args.db.strip():
            # Given, but empty (an unset shell variable): not the default database.
            raise CliError(
                "--db is empty: give a SQLite file path or a database URL, or leave --db out "
                "to use SYNCWATCH_DB or the default database"
            )
        clock = make_clock(args.now)
        if args.command == "demo":
            args.db = demo_database(args.db)
        if args.command == "db":
            return cmd_db(args)
        if not (args.db or os.environ.get("SYNCWATCH_DB")):
            # The default database's folder is syncwatch's own: made on first use (a folder
            # named by --db or SYNCWATCH_DB must exist: a typo would look like an empty fleet).
            folder = default_db_path().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise CliError(f"cannot make the folder {folder}: {error.strerror}") from None
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
