"""The ``serve`` command: the UI, or the demo, in a browser (textual-serve; the ``serve``
extra). Parsing and the start-up checks here; the server is :mod:`syncwatch.serve`,
imported only when the command runs (``--help`` stays light)."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from syncwatch.cli.demo import SCENARIOS
from syncwatch.cli.errors import EXIT_OK, CliError
from syncwatch.clock import Clock

if TYPE_CHECKING:
    from syncwatch.cli.args import Subcommands

#: How to get the ``serve`` extra, for the message when it is missing.
_EXTRA_HINT = (
    "syncwatch serve needs the serve extra (textual-serve): run it as "
    "`uv run --extra serve syncwatch serve ...`, or install `syncwatch[serve]`"
)


def add_serve_parser(sub: Subcommands) -> None:
    """``serve`` and its options."""
    p = sub.add_parser(
        "serve",
        help="the UI (or the demo) in a browser; read-only unless --allow-actions",
        description="Serves the UI to browsers with textual-serve: each visitor gets the "
        "UI in a process of their own, on the same database as every command (--db, "
        "SYNCWATCH_DB), or with --demo their own simulated run on a fresh temporary "
        "database. Read-only unless --allow-actions. Listens on loopback unless --host says "
        "otherwise: textual-serve has no authentication, so anything else belongs behind a "
        "reverse proxy that has (docs/serve.md).",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="the address browsers use, when it is not http://HOST:PORT (behind a reverse "
        "proxy: https://syncwatch.example.com)",
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="each visitor gets the demo on a fresh temporary database (removed when the "
        "session ends)",
    )
    p.add_argument(
        "--scenario",
        choices=SCENARIOS,
        help="with --demo: the demo's scenario (default: tour)",
    )
    p.add_argument(
        "--allow-actions",
        action="store_true",
        help="let visitors take operator actions (default: read-only, every action refused)",
    )
    p.add_argument(
        "--max-visitors",
        type=int,
        default=8,
        metavar="N",
        help="visitors at once, each a process (default 8); more are asked to come back later",
    )
    p.add_argument(
        "--idle-timeout",
        type=int,
        default=1800,
        metavar="SECONDS",
        help="close a session without input for this long (default 1800; 0: never, for a "
        "wall display)",
    )


def cmd_serve(clock: Clock, args: argparse.Namespace) -> int:
    """Check what can be checked before listening, then serve until SIGINT or SIGTERM."""
    if args.scenario is not None and not args.demo:
        raise CliError("--scenario is for --demo: serve --demo --scenario " + args.scenario)
    if args.demo and args.db:
        raise CliError(
            "serve --demo gives every visitor a fresh temporary database: leave --db out"
        )
    if args.public_url is not None and not args.public_url.startswith(("http://", "https://")):
        raise CliError(f"--public-url must start with http:// or https://, not {args.public_url!r}")
    if args.read_only and args.allow_actions:
        raise CliError("--read-only and --allow-actions contradict each other: give one")
    try:
        import textual_serve  # noqa: F401  (the check that the extra is installed)
    except ImportError:
        raise CliError(_EXTRA_HINT) from None
    from syncwatch.cli.actions import operator_of
    from syncwatch.clock import iso
    from syncwatch.serve import ServeOptions, SyncwatchServer

    operator_of(args)  # a bad SYNCWATCH_OPERATOR is said now, not by every visitor
    if not args.demo:
        # The database is opened (created, upgraded or refused) once, here: a refusal is one
        # line now, not a failed session for every visitor.
        from syncwatch.cli.common import open_store

        open_store(args.db, clock).close()
    options = ServeOptions(
        demo=args.demo,
        scenario=args.scenario or "tour",
        allow_actions=args.allow_actions,
        db=args.db,
        interval=args.interval,
        now=iso(args.now) if args.now is not None else None,
        operator=args.operator,
        max_visitors=args.max_visitors,
        idle_timeout=args.idle_timeout,
    )
    server = SyncwatchServer(options, host=args.host, port=args.port, public_url=args.public_url)
    try:
        server.serve()
    except OSError as error:
        why = os.strerror(error.errno) if error.errno else str(error)
        raise CliError(f"cannot listen on {args.host} port {args.port}: {why}") from None
    return EXIT_OK
