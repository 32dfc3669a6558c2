"""``syncwatch activity``: the fleet's recent state transitions and operator actions (who did
what), newest first, filtered, a page at a time, or followed as they are recorded.

Not ``events``: that name is the stored Kombo webhooks' (``syncwatch events list``). The
entries and their order are :mod:`syncwatch.feed`'s; the reads :mod:`syncwatch.db.feed`'s.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from syncwatch.cli.args import positive_float
from syncwatch.cli.errors import EXIT_OK, CliError, err
from syncwatch.clock import Clock

if TYPE_CHECKING:
    from syncwatch.cli.args import Subcommands
    from syncwatch.db import Store
    from syncwatch.feed import FeedEntry, FeedQuery


def add_activity_parser(sub: Subcommands) -> None:
    """``activity``."""
    p = sub.add_parser(
        "activity",
        help="recent state transitions and operator actions across the fleet (who did what)",
        description="The fleet's state transitions and operator actions, newest first: "
        "when, which integration, what changed and why, and who acted (actions only). "
        "Filters combine (each given one must match; a repeated one matches any of its "
        "values). Not to be confused with 'events', the stored Kombo webhooks. --json "
        "prints one object per line (as 'watch' does), each with a 'cursor'; a full page "
        "says on stderr how to get the next one (--before). --follow prints the page oldest "
        "first, then each new entry as it is recorded, until SIGINT/SIGTERM.",
    )
    p.add_argument(
        "--state",
        action="append",
        default=[],
        metavar="STATE",
        help="transitions into STATE, actions that left it in STATE (name or label: "
        "sync_failing, failing)",
    )
    p.add_argument("--tool", action="append", default=[], metavar="TOOL", help="this tool")
    p.add_argument(
        "--org",
        "--organization",
        dest="org",
        action="append",
        default=[],
        metavar="TEXT",
        help="organisations containing TEXT (case aside)",
    )
    p.add_argument("--actor", action="append", default=[], metavar="NAME", help="actions by NAME")
    p.add_argument(
        "--kind",
        action="append",
        default=[],
        choices=("transition", "action"),
        help="only transitions, or only operator actions",
    )
    p.add_argument(
        "--since",
        metavar="DURATION_OR_TIME",
        help="only entries since then: 90m, 2h, 3d, 1w before now, or an ISO 8601 time",
    )
    p.add_argument("--id", dest="integration_id", metavar="ID", help="only this integration")
    p.add_argument(
        "--limit", type=int, default=50, metavar="N", help="entries per page (default 50)"
    )
    p.add_argument(
        "--before",
        metavar="CURSOR",
        help="the page after the entry with this cursor (from the previous page)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument(
        "--follow", action="store_true", help="keep printing new entries as they are recorded"
    )
    p.add_argument(
        "--poll",
        type=positive_float,
        default=1.0,
        metavar="SECONDS",
        help="--follow: how often to look for new entries (default 1)",
    )
    p.set_defaults(run=cmd_activity)


def feed_query(args: argparse.Namespace, now: datetime) -> FeedQuery:
    """The query the options ask for; a bad value is a one-line usage error."""
    from syncwatch.feed import FeedCursor, FeedKind, FeedQuery, parse_since, parse_state

    try:
        states = frozenset(parse_state(s) for s in args.state)
        since = parse_since(args.since, now) if args.since else None
        after = FeedCursor.parse(args.before) if args.before else None
    except ValueError as why:
        raise CliError(str(why)) from None
    return FeedQuery(
        states=states,
        tools=frozenset(args.tool),
        organizations=tuple(args.org),
        actors=frozenset(args.actor),
        kinds=frozenset(FeedKind(k) for k in args.kind),
        since=since,
        integration_id=args.integration_id,
        limit=args.limit,
        after=after,
    )


def cmd_activity(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """Print one page of the feed, or follow it."""
    from syncwatch.db.feed import activity, latest_ids

    now = clock.now()
    query = feed_query(args, now)
    # What has come due by now is recorded first, as `list` and `show` do (in memory only
    # on a read-only database: then it is not in the feed yet).
    result = store.evaluate_for_reading(now)
    if not result.stored:
        err(f"note: transitions due by now are not recorded: {result.not_stored}")
    seen = latest_ids(store) if args.follow else (0, 0)
    page = activity(store, query)
    if args.follow:
        _print(reversed(page), args, now)
        return _follow(store, clock, query, seen, args)
    _print(page, args, now)
    if not page and not args.json:
        sys.stdout.write("No activity matches.\n")
    if len(page) == query.limit:
        err(f"{len(page)} shown; older ones: --before {page[-1].cursor.token}")
    return EXIT_OK


def _print(entries: Iterable[FeedEntry], args: argparse.Namespace, now: datetime) -> None:
    for entry in entries:
        sys.stdout.write((_json_line(entry) if args.json else entry_line(entry, now)) + "\n")
    sys.stdout.flush()


def _json_line(entry: FeedEntry) -> str:
    import json

    from syncwatch.feed import entry_json

    # One line, exact, and ASCII-escaped: nothing in it a terminal would act on (as
    # `events list` prints its JSON).
    return json.dumps(entry_json(entry), ensure_ascii=True)


def entry_line(entry: FeedEntry, now: datetime) -> str:
    """One entry as the command prints it: when, kind, which integration, what, and why
    (a transition) or who (an action). Data goes through ``safe_text``."""
    from syncwatch.feed import FeedKind, actor_text, what_text
    from syncwatch.present import fmt_time, safe_text, shown_reason

    head = (
        f"{fmt_time(entry.at, now)}  {entry.kind.value:<10}  {safe_text(entry.integration_id)}"
        f"  {safe_text(entry.organization)} ({safe_text(entry.tool)})  {what_text(entry)}"
    )
    if entry.kind is FeedKind.TRANSITION:
        return f"{head}: {shown_reason(entry.reason)}"
    return f"{head} by {actor_text(entry.actor, entry.db_role)}"


def _follow(
    store: Store, clock: Clock, query: FeedQuery, seen: tuple[int, int], args: argparse.Namespace
) -> int:
    """Print what is recorded from now on, until SIGINT/SIGTERM or the reader goes away."""
    import signal
    import threading
    from dataclasses import replace

    from syncwatch.db.feed import newer_than

    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    # New entries are news whatever their time: no --since, no page.
    watching = replace(query, since=None, after=None)
    try:
        while not stop.is_set():
            found, seen = newer_than(store, watching, seen)
            _print(found, args, clock.now())
            if not found:
                stop.wait(args.poll)
    except BrokenPipeError:
        # The reader went away (| head): done, quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return EXIT_OK
