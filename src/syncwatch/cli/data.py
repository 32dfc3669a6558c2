"""Getting data in and keeping states current: ``import``, ``evaluate``, ``evaluator`` and
the schema (``db current``, ``db upgrade``)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from syncwatch.cli.args import Parser, positive_float
from syncwatch.cli.common import default_db_path, out, out_json, print_transitions
from syncwatch.cli.errors import EXIT_OK, CliError
from syncwatch.clock import Clock

if TYPE_CHECKING:
    from syncwatch.cli.args import Subcommands
    from syncwatch.db import Store


def add_data_parsers(sub: Subcommands) -> None:
    """``import``, ``evaluate`` and ``evaluator``."""
    p = sub.add_parser("import", help="import JSON files (- = stdin)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(run=cmd_import)

    p = sub.add_parser("evaluate", help="run one evaluator pass and print the transitions")
    p.add_argument("--full", action="store_true", help="re-evaluate every integration")
    p.add_argument("--json", action="store_true", help="print transitions as a JSON array")
    p.set_defaults(run=cmd_evaluate)

    p = sub.add_parser(
        "evaluator",
        help="run evaluation passes in a loop until stopped (the headless evaluator)",
        description="Runs an evaluation pass every --interval seconds and prints each "
        "transition on one line, until SIGINT or SIGTERM (exit 0). A pass that fails is "
        "retried with a growing wait; after --max-failures consecutive failures it exits 2.",
    )
    p.add_argument(
        "--interval",
        dest="evaluator_interval",
        type=positive_float,
        default=None,
        metavar="SECONDS",
        help="seconds between passes (default: the global --interval, 5)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument(
        "--on-transition",
        metavar="CMD",
        help="shell command run per transition, with its JSON on stdin",
    )
    p.add_argument(
        "--hook-timeout",
        type=positive_float,
        default=10.0,
        metavar="SECONDS",
        help="kill an --on-transition command after this long (default 10)",
    )
    p.add_argument(
        "--max-failures",
        type=int,
        default=10,
        metavar="N",
        help="give up after N consecutive failed passes (default 10; 0: never)",
    )
    p.set_defaults(run=cmd_evaluator)


def add_db_parser(sub: Subcommands) -> None:
    """``db current`` and ``db upgrade``."""
    p = sub.add_parser(
        "db",
        help="the database schema: its revision, upgrading it",
        description="The schema is versioned (Alembic revisions shipped with syncwatch). "
        "SQLite databases are upgraded when opened; a PostgreSQL database is upgraded only "
        "by `db upgrade`, so an administrator picks the moment (see the README).",
    )
    db_sub = p.add_subparsers(
        dest="db_command", metavar="SUBCOMMAND", parser_class=Parser, required=True
    )
    db_sub.add_parser("current", help="print the database's schema revision")
    db_sub.add_parser("upgrade", help="create the schema, or upgrade it to this version's")


def cmd_import(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """Import the files, say what changed, and print the transitions it caused."""
    from syncwatch.importer import import_files
    from syncwatch.present import safe_text

    report = import_files(store, args.files, clock.now())
    out(
        f"Imported {len(report.files)} file(s): {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged; {report.syncs_added} syncs added, "
        f"{report.syncs_updated} updated; {report.logs_added} log entries added."
    )
    if report.messages_cut:
        from syncwatch.limits import MESSAGE_LIMIT

        n = report.messages_cut
        out(
            f"{n} {'message' if n == 1 else 'messages'} cut: longer than {MESSAGE_LIMIT:,} "
            "characters, the start is kept and its end says how long it was."
        )
    for iid in report.skipped_deleted:
        out(f"Skipped {safe_text(iid)}: it is deleted, and an import never undoes a deletion.")
    print_transitions(report.evaluation.transitions)
    return EXIT_OK


def cmd_evaluate(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """One evaluation pass; print its transitions."""
    from syncwatch.db import ClockBehind, ReadOnlyDatabase
    from syncwatch.present import transition_json

    try:
        result = store.evaluate_pass(clock.now(), full=args.full)
    except (ReadOnlyDatabase, ClockBehind) as why:
        raise CliError(f"evaluate stored nothing: {why}") from None
    if args.json:
        out_json([transition_json(t) for t in result.transitions])
        return EXIT_OK
    print_transitions(result.transitions)
    n = len(result.transitions)
    out(f"Evaluated {result.evaluated} integration(s); {n} transition(s).")
    return EXIT_OK


def cmd_evaluator(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """The headless evaluator: passes in a loop until stopped."""
    from syncwatch.headless import run_evaluator

    if args.max_failures < 0:
        raise CliError("--max-failures must be 0 (never give up) or more")
    return run_evaluator(
        store,
        clock,
        interval=args.evaluator_interval or args.interval,
        as_json=args.json,
        on_transition=args.on_transition,
        hook_timeout=args.hook_timeout,
        max_failures=args.max_failures,
        out=sys.stdout,
        err=sys.stderr,
    )


def cmd_db(args: argparse.Namespace) -> int:
    """``db current`` and ``db upgrade``: they never open the store, which would refuse a
    PostgreSQL schema that needs upgrading."""
    from syncwatch.db import database_url, redact_url, schema_status, upgrade_schema
    from syncwatch.migrations import FIRST_RELEASE

    target = args.db or os.environ.get("SYNCWATCH_DB") or ""
    if not target and not default_db_path().exists():
        # Not created here: the first ordinary use creates it and fills it with the sample.
        raise CliError(f"no database yet at {default_db_path()}; syncwatch creates it on first use")
    target = target or str(default_db_path())
    where = redact_url(database_url(target))
    if args.db_command == "current":
        out(f"{where}: {schema_status(target).describe()}")
        return EXIT_OK
    before, after = upgrade_schema(target)
    if before.state == "current":
        done = f"already at {after.revision} (head), nothing to do"
    elif before.state == "empty":
        done = f"created the schema at {after.revision} (head)"
    elif before.state == "unversioned":
        done = f"stamped unversioned (first release) {FIRST_RELEASE}, upgraded to {after.revision}"
    else:
        done = f"upgraded from {before.revision} to {after.revision} (head)"
    out(f"{where}: {done}")
    return EXIT_OK
