"""Starting the terminal UI: what ``syncwatch`` does without a command.

:func:`launch_tui` shows real rows before anything heavy is imported: a SQLite file at this
syncwatch's schema head is read with the standard library's ``sqlite3``
(:class:`~syncwatch.fastread.FastReader`: the first screenful, the count and the Kombo
marks), a PostgreSQL database at the head with psycopg alone
(:class:`~syncwatch.pgread.PgReader`, the same reads); the app starts with them, and the
store (SQLAlchemy, SQLModel, pydantic) is opened by the app's first worker after the first
paint. Anything else (a database to create, upgrade or refuse, another driver's URL, a
server that does not answer, a default database still to be filled with the sample) takes
the usual path: the store is opened first, so a refusal is a one-line error before the UI.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syncwatch.cli.args import positive_float
from syncwatch.cli.errors import CliError
from syncwatch.clock import Clock

if TYPE_CHECKING:
    from syncwatch.db import Store
    from syncwatch.fastread import FastReader


def add_tui_options(parser: argparse.ArgumentParser) -> None:
    """The UI's global options (``--interval``, ``--read-only``, ``--bell``, ``--theme``)."""
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
    parser.add_argument(
        "--bell",
        action="store_true",
        help="UI: ring the terminal's bell when an integration gets worse",
    )
    parser.add_argument(
        "--theme",
        metavar="NAME",
        help="UI: the colour theme for this run (e.g. textual-dark, nord, catppuccin-latte; "
        "default: the one you chose last, see `syncwatch config`)",
    )


def ui_preferences(args: argparse.Namespace) -> dict[str, Any]:
    """What :func:`~syncwatch.tui.app.run_app` needs of the preferences: the file's path
    and ``--theme`` (checked: an unknown name is a usage error listing the names). Imports
    Textual's theme list only when ``--theme`` is given, just before the UI imports it."""
    from syncwatch.preferences import default_path

    theme: str | None = getattr(args, "theme", None)
    if theme is not None:
        from textual.theme import BUILTIN_THEMES

        if theme not in BUILTIN_THEMES:
            names = ", ".join(sorted(BUILTIN_THEMES))
            raise CliError(f"--theme: unknown theme {theme!r}; the themes are: {names}")
    return {"preferences_path": default_path(), "theme": theme}


def cmd_tui(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """Open the terminal UI on an open store."""
    from syncwatch.cli.actions import operator_of
    from syncwatch.tui.app import run_app

    return run_app(
        store,
        clock,
        interval=args.interval,
        read_only=args.read_only,
        bell=args.bell,
        actor=operator_of(args),
        **ui_preferences(args),
    )


def ui_target(db: str | None) -> str | Path:
    """The database the UI opens: ``--db``, else ``SYNCWATCH_DB``, else the default file
    (as :func:`syncwatch.cli.common.open_store` chooses)."""
    from syncwatch.cli.common import default_db_path

    return db or os.environ.get("SYNCWATCH_DB") or default_db_path()


class _OpenStore:
    """Opens the store when the app's first worker needs it, and remembers it to close."""

    def __init__(self, target: str | Path) -> None:
        self.target = target
        self.store: Store | None = None

    def __call__(self) -> Store:
        from syncwatch.db import Store

        self.store = Store.open(self.target)
        return self.store


def launch_tui(clock: Clock, args: argparse.Namespace, *, headless: bool = False) -> int:
    """Open the terminal UI on ``args.db`` without a store opened beforehand (the command
    line's entry for the UI; ``headless``: no terminal, for tests). The operator the UI's
    actions are recorded as is settled first: a bad ``SYNCWATCH_OPERATOR`` is a one-line
    error before any UI."""
    from syncwatch.cli.actions import operator_of

    actor = operator_of(args)
    ui_preferences(args)  # a bad --theme: a one-line error before anything is opened
    target = ui_target(args.db)
    opened = open_fast_reader(target, fleet=True)
    if opened is None:
        return _launch_with_store(clock, args, headless=headless, actor=actor)
    reader, read_error = opened
    from syncwatch.tui.app import run_app
    from syncwatch.tui.preload import read_first_screen

    opener = _OpenStore(target)
    try:
        try:
            preload = read_first_screen(reader)
        except read_error:
            # Unreadable after all (damaged, locked for long, the server gone): the store
            # says what it is.
            reader.close()
            return _launch_with_store(clock, args, headless=headless, actor=actor)
        except BaseException:
            reader.close()
            raise
        return run_app(
            opener,
            clock,
            interval=args.interval,
            read_only=args.read_only,
            bell=args.bell,
            headless=headless,
            preload=preload,
            actor=actor,
            **ui_preferences(args),
        )
    finally:
        if opener.store is not None:
            opener.store.close()


def open_fast_reader(
    target: str | Path, *, timeout: float = 5.0, fleet: bool = False
) -> tuple[FastReader, type[Exception]] | None:
    """A reader of ``target``'s stored rows without the database package
    (:class:`~syncwatch.fastread.FastReader`, or :class:`~syncwatch.pgread.PgReader` for a
    PostgreSQL URL), and the error its reads raise; ``None``: take the usual path (see
    their ``open``). psycopg is imported only for a PostgreSQL URL; ``timeout``: how long a
    SQLite reader waits for a lock; ``fleet``: on SQLite, a
    :class:`~syncwatch.fleetread.FleetReader` (the UI keeps it after the load for the passes
    with nothing to do)."""
    if str(target).startswith("postgresql"):
        import psycopg

        from syncwatch.pgread import PgReader

        pg = PgReader.open(target)
        return None if pg is None else (pg, psycopg.Error)
    from syncwatch.fastread import FastReader

    kind = FastReader
    if fleet:
        from syncwatch.fleetread import FleetReader

        kind = FleetReader
    reader = kind.open(target, timeout=timeout)
    return None if reader is None else (reader, sqlite3.Error)


def _launch_with_store(
    clock: Clock, args: argparse.Namespace, *, headless: bool, actor: str
) -> int:
    """The usual path: open (create, upgrade or refuse) the store, then the UI."""
    from syncwatch.cli.common import open_store
    from syncwatch.tui.app import run_app

    store = open_store(args.db, clock)
    try:
        return run_app(
            store,
            clock,
            interval=args.interval,
            read_only=args.read_only,
            bell=args.bell,
            headless=headless,
            actor=actor,
            **ui_preferences(args),
        )
    finally:
        store.close()
