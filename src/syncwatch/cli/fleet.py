"""The fleet: ``fleet`` (counts per state by tool or organisation, with the outages) and
``errors`` (warning and error lines counted by signature, worst first)."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from syncwatch.cli.common import console, out_json
from syncwatch.cli.errors import EXIT_OK
from syncwatch.clock import Clock

if TYPE_CHECKING:
    from collections.abc import Callable

    from syncwatch.cli.args import Subcommands
    from syncwatch.db import Store
    from syncwatch.fastread import FastReader
    from syncwatch.fleet import FleetGroup, GroupBy
    from syncwatch.outages import Outage
    from syncwatch.signatures import SignatureCount

#: ``errors --since``: a second to ten years.
SINCE_RANGE = (timedelta(seconds=1), timedelta(days=3660))


def _since_arg(text: str) -> timedelta:
    from syncwatch.demo import parse_duration  # the package loads the engine only on use

    try:
        value = parse_duration(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    low, high = SINCE_RANGE
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{text!r} is out of range (1s to 3660d)")
    return value


def add_fleet_parsers(sub: Subcommands) -> None:
    """``fleet`` and ``errors``."""
    p = sub.add_parser("fleet", help="the fleet by tool or organisation, with the outages")
    p.add_argument(
        "--by",
        choices=("tool", "organization"),
        default="tool",
        help="group by tool (the default) or by organisation",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=cmd_fleet, fast=fast_fleet)

    p = sub.add_parser("errors", help="warning and error lines by signature, worst first")
    p.add_argument(
        "--since",
        type=_since_arg,
        metavar="DURATION",
        help="only lines of the last DURATION (e.g. 1h, 2d, 1w; default: all stored)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON array")
    p.set_defaults(run=cmd_errors, fast=fast_errors)


# --------------------------------------------------------------------------- reading


def fleet_view(store: Store, now: datetime, by: GroupBy) -> tuple[list[FleetGroup], list[Outage]]:
    """The roll-up and the outages as a pass at ``now`` leaves the fleet (the pass is
    stored when it can be; else, as ``list`` does, it is laid over the stored rows and
    stderr says nothing was stored)."""
    from syncwatch.db import fleet as reads
    from syncwatch.fleet import rollup
    from syncwatch.outages import enabled_by_tool, failing_from_rows, find_outages

    result = store.evaluate_for_reading(now)
    if result.stored:
        groups = rollup(reads.state_counts(store, by))
        failing, enabled = reads.failing_integrations(store)
        return groups, find_outages(failing, enabled, now)
    from syncwatch.cli.errors import err
    from syncwatch.clock import iso

    err(
        f"note: showing the states as evaluated at {iso(now)}, but nothing was stored: "
        f"{result.not_stored}"
    )
    rows = [r for r in result.current(store.integrations())]
    groups = rollup((getattr(r, by.value), r.state, 1) for r in rows)
    sync_ids = [r.last_sync_id for r in rows if r.last_sync_id is not None]
    failing = failing_from_rows(rows, reads.last_sync_signatures(store, sync_ids))
    return groups, find_outages(failing, enabled_by_tool(rows), now)


# --------------------------------------------------------------------------- fleet


def group_json(group: FleetGroup) -> dict[str, Any]:
    """The stable JSON shape of one group of ``fleet --json``."""
    return {
        "key": group.key,
        "total": group.total,
        "worst": group.worst.value,
        "needs_attention": group.needs_attention,
        "states": {s.value: n for s, n in group.counts},
    }


def outage_json(outage: Outage, now: datetime) -> dict[str, Any]:
    """The stable JSON shape of one outage."""
    from syncwatch.present import iso

    return {
        "tool": outage.tool,
        "failing": outage.failing,
        "enabled": outage.enabled,
        "since": iso(outage.since),
        "last_failed_at": iso(outage.last_failed_at),
        "signature": outage.signature,
        "summary": outage.summary,
        "text": outage.text(now),
        "integrations": list(outage.integration_ids),
    }


def cmd_fleet(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """The fleet rolled up by tool or organisation, worst first, then the outages."""
    from syncwatch.fleet import GroupBy

    now = clock.now()
    groups, outages = fleet_view(store, now, GroupBy(args.by))
    return _print_fleet(groups, outages, now, args)


def _fleet_reader(reader: FastReader) -> Any:
    """A :class:`~syncwatch.fleetread.FleetReader` on the file ``reader`` reads, or None."""
    from syncwatch.fleetread import FleetReader

    return FleetReader.open(reader.path, timeout=0)


def fast_fleet(
    reader: FastReader, now: datetime, args: argparse.Namespace
) -> Callable[[], int] | None:
    """``fleet`` from the stored rows when a pass at ``now`` has nothing to do (what
    :func:`cmd_fleet` prints then, without loading SQLAlchemy); None: take the Store path."""
    from functools import partial

    from syncwatch.fleet import GroupBy, rollup
    from syncwatch.outages import find_outages

    fleet = _fleet_reader(reader)
    if fleet is None:
        return None
    with fleet, fleet.snapshot():
        groups = rollup(fleet.state_counts(GroupBy(args.by)))
        failing, enabled = fleet.failing_integrations()
    return partial(_print_fleet, groups, find_outages(failing, enabled, now), now, args)


def _print_fleet(
    groups: list[FleetGroup], outages: list[Outage], now: datetime, args: argparse.Namespace
) -> int:
    from syncwatch.fleet import GroupBy

    by = GroupBy(args.by)
    if args.json:
        out_json(
            {
                "by": by.value,
                "groups": [group_json(g) for g in groups],
                "outages": [outage_json(o, now) for o in outages],
            }
        )
        return EXIT_OK
    from rich.table import Table
    from rich.text import Text

    from syncwatch.present import safe_text

    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in (by.value.upper(), "WORST", "STATES"):
        table.add_column(col, no_wrap=True, overflow="ellipsis")
    for g in groups:
        worst_n = g.counts[0][1]
        states = Text()
        for i, (state, n) in enumerate(g.counts):
            if i:
                states.append("  ")
            states.append(f"{state.glyph} {n} {state.label}", style=state.info.plain_colour)
        table.add_row(
            Text(safe_text(g.key)),
            Text(
                f"{worst_n}/{g.total} {g.worst.glyph} {g.worst.label}",
                style=g.worst.info.plain_colour,
            ),
            states,
        )
    terminal = console()
    terminal.print(table)
    total = sum(g.total for g in groups)
    terminal.print(f"{len(groups)} group(s), {total} integration(s)", highlight=False)
    if not outages:
        terminal.print("No outage.", highlight=False)
    for o in outages:
        terminal.print(Text("⚡ Outage: " + safe_text(o.text(now)), style="bold red"))
    return EXIT_OK


# --------------------------------------------------------------------------- errors


def signature_json(s: SignatureCount) -> dict[str, Any]:
    """The stable JSON shape of one signature of ``errors --json``."""
    from syncwatch.present import iso

    return {
        "signature": s.signature,
        "level": s.level,
        "lines": s.lines,
        "integrations": s.integrations,
        "first_seen": iso(s.first_seen),
        "last_seen": iso(s.last_seen),
    }


def cmd_errors(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """Warning and error lines counted by signature, worst first."""
    from syncwatch.db.fleet import error_signatures

    now = clock.now()
    # A pass first, as list does: a purge due now removes lines; deletions count.
    store.evaluate_for_reading(now)
    since = now - args.since if args.since is not None else None
    return _print_errors(error_signatures(store, since), now, args)


def fast_errors(
    reader: FastReader, now: datetime, args: argparse.Namespace
) -> Callable[[], int] | None:
    """``errors`` from the stored rows when a pass at ``now`` has nothing to do (what
    :func:`cmd_errors` prints then, without loading SQLAlchemy); None: take the Store path."""
    from functools import partial

    fleet = _fleet_reader(reader)
    if fleet is None:
        return None
    since = now - args.since if args.since is not None else None
    with fleet:
        found = fleet.error_signatures(since)
    return partial(_print_errors, found, now, args)


def _print_errors(found: list[SignatureCount], now: datetime, args: argparse.Namespace) -> int:
    if args.json:
        out_json([signature_json(s) for s in found])
        return EXIT_OK
    from rich.table import Table
    from rich.text import Text

    from syncwatch.present import fmt_ago, safe_text

    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("LEVEL", "INTEGRATIONS", "LINES", "LAST SEEN", "FIRST SEEN", "SIGNATURE"):
        table.add_column(col, no_wrap=col != "SIGNATURE", overflow="fold")
    for s in found:
        table.add_row(
            Text(s.level, style="red" if s.level == "ERROR" else "yellow"),
            f"{s.integrations:,}",
            f"{s.lines:,}",
            fmt_ago(s.last_seen, now),
            fmt_ago(s.first_seen, now),
            Text(safe_text(s.signature)),
        )
    terminal = console()
    terminal.print(table)
    window = f" in the last {args_since_text(args.since)}" if args.since is not None else ""
    terminal.print(f"{len(found)} signature(s){window}", highlight=False)
    return EXIT_OK


def args_since_text(since: timedelta) -> str:
    """``--since`` as it reads: ``2 d``, ``1 h``."""
    from syncwatch.timefmt import fmt_duration

    return fmt_duration(since)
