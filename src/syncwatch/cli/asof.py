"""``list --as-of TIME`` and ``show --as-of TIME``: the fleet (or one integration) as it was
at a past time, from the state history (:mod:`syncwatch.asof`).

Read-only: no evaluation pass runs and nothing is stored, on every read path (the light
one, :mod:`syncwatch.fastread` / :mod:`syncwatch.pgread`, or ``Store``). Every answer says
it is a view of the past: the text starts with ``As of 2026-11-05 14:00 UTC``, the JSON
carries ``as_of``. A time in the future or before the first history entry is refused
(exit 2).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from syncwatch.cli.common import Printer, console, out_json, require, state_text
from syncwatch.cli.errors import EXIT_OK, EXIT_USAGE, CliError
from syncwatch.clock import Clock
from syncwatch.states import STATES_BY_SEVERITY, IntegrationState

if TYPE_CHECKING:
    from syncwatch.asof import FleetAsOf
    from syncwatch.db import Store
    from syncwatch.fastread import FastReader
    from syncwatch.rows import HistoryRow, IntegrationRow, SyncRow
    from syncwatch.trends import RecentResults

__all__ = [
    "as_of_commands",
    "as_of_time",
    "cmd_list_as_of",
    "cmd_show_as_of",
    "fast_list_as_of",
    "fast_show_as_of",
]

#: ``show --as-of`` lists this many syncs (``--json`` has them all).
_SYNCS_SHOWN = 20


def as_of_time(text: str, now: datetime, first: datetime | None) -> datetime:
    """``--as-of`` read at ``now`` and checked against the history's start (``first``), or
    a one-line refusal (exit 2)."""
    from syncwatch.asof import AsOfError, check_as_of, parse_as_of

    try:
        at = parse_as_of(text, now)
        check_as_of(at, now, first)
    except AsOfError as err:
        raise CliError(f"--as-of: {err}", EXIT_USAGE) from None
    return at


def as_of_commands(command: str) -> tuple[Any, Any]:
    """The ``run`` and ``fast`` functions of ``list --as-of`` or ``show --as-of``."""
    if command == "show":
        return cmd_show_as_of, fast_show_as_of
    return cmd_list_as_of, fast_list_as_of


# --------------------------------------------------------------------------- list


def cmd_list_as_of(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """``list --as-of`` on ``Store``: no pass runs."""
    from syncwatch.db.asof import first_history_at, fleet_as_of

    now = clock.now()
    at = as_of_time(args.as_of, now, first_history_at(store))
    return _print_list(fleet_as_of(store, at), args)


def fast_list_as_of(reader: FastReader, now: datetime, args: argparse.Namespace) -> Printer:
    """``list --as-of`` on the light read path (what :func:`cmd_list_as_of` prints)."""
    at = as_of_time(args.as_of, now, reader.first_history_at())
    return partial(_print_list, reader.fleet_as_of(at), args)


def _sort_key(row: IntegrationRow) -> tuple[int, str, str]:
    severity = row.state.severity if row.state else 0
    return (-severity, row.organization.lower(), row.id)


def _as_of_json(row: IntegrationRow, recent: RecentResults | None) -> dict[str, Any]:
    """``list --json``'s shape for a row as of a past time: what the history does not
    record is ``null`` (:data:`syncwatch.asof.UNRECORDED_FIELDS`), no rule is coming."""
    from syncwatch.asof import UNRECORDED_FIELDS
    from syncwatch.cli.integrations import integration_json
    from syncwatch.trends import NO_RECENT

    doc = integration_json(row)
    doc["recent_results"] = (recent or NO_RECENT).json()
    doc["recent_strip"] = (recent or NO_RECENT).glyphs
    doc.update(dict.fromkeys(UNRECORDED_FIELDS))
    return doc


def _print_list(fleet: FleetAsOf, args: argparse.Namespace) -> int:
    from syncwatch.asof import as_of_label
    from syncwatch.clock import iso

    rows = fleet.rows
    if not (args.all or IntegrationState.DELETED in args.status):
        rows = [r for r in rows if not r.deleted]
    if args.status:
        wanted = set(args.status)
        rows = [r for r in rows if r.state in wanted]
    rows.sort(key=_sort_key)
    if args.json:
        out_json(
            {
                "as_of": iso(fleet.at),
                "integrations": [_as_of_json(r, fleet.recent.get(r.id)) for r in rows],
                "not_yet_recorded": fleet.unrecorded,
            }
        )
        return EXIT_OK
    from rich.table import Table
    from rich.text import Text

    from syncwatch.cli.integrations import strip_text
    from syncwatch.present import fmt_ago, safe_text
    from syncwatch.trends import NO_RECENT

    at = fleet.at
    terminal = console()
    terminal.print(_banner(at))
    table = Table(box=None, pad_edge=False, header_style="bold")
    columns = (
        "STATE", "ID", "ORGANIZATION", "TOOL", "CAT", "ENV", "LAST SYNC", "W/E", "SINCE", "RECENT",
    )  # fmt: skip
    for col in columns:
        table.add_column(col, no_wrap=True, overflow="ellipsis")
    for r in rows:
        last = (
            f"{r.last_sync_state.value.lower()} {fmt_ago(r.last_sync_ended_at, at)}"
            if r.last_sync_state
            else "-"
        )
        table.add_row(
            state_text(r.state),
            Text(safe_text(r.id)),
            Text(safe_text(r.organization)),
            Text(safe_text(r.tool)),
            Text(safe_text(r.category)),
            "dev" if r.environment == "development" else "prod",
            last,
            f"{r.last_sync_warnings}/{r.last_sync_errors}",
            fmt_ago(r.state_since, at),
            strip_text(fleet.recent.get(r.id, NO_RECENT)),
        )
    terminal.print(table)
    counts = dict.fromkeys(STATES_BY_SEVERITY, 0)
    for r in rows:
        if r.state:
            counts[r.state] += 1
    summary = ", ".join(f"{n} {s.label.lower()}" for s, n in counts.items() if n)
    line = f"{len(rows)} integration(s) as of {as_of_label(at)}: {summary or 'none'}"
    if fleet.unrecorded:
        line += f"; {fleet.unrecorded} more existed but had no state recorded yet"
    terminal.print(line, highlight=False)
    return EXIT_OK


def _banner(at: datetime) -> Any:
    from rich.text import Text

    from syncwatch.asof import as_of_label

    return Text(
        f"As of {as_of_label(at)}: the fleet as the history records it then "
        "(read-only; times are relative to then)",
        style="bold reverse",
    )


# --------------------------------------------------------------------------- show


def cmd_show_as_of(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """``show --as-of`` on ``Store``: no pass runs."""
    from syncwatch.db.asof import first_history_at

    now = clock.now()
    row = require(store, args.id)
    at = as_of_time(args.as_of, now, first_history_at(store))
    return _print_show(row, store.history(row.id), store.syncs(row.id), at, args)


def fast_show_as_of(reader: FastReader, now: datetime, args: argparse.Namespace) -> Printer:
    """``show --as-of`` on the light read path."""
    row = require(reader, args.id)
    at = as_of_time(args.as_of, now, reader.first_history_at())
    return partial(_print_show, row, reader.history(row.id), reader.syncs(row.id), at, args)


def _print_show(
    stored: IntegrationRow,
    history: list[HistoryRow],
    syncs: list[SyncRow],
    at: datetime,
    args: argparse.Namespace,
) -> int:
    from syncwatch.asof import as_of_label, integration_as_of, syncs_as_of
    from syncwatch.clock import iso

    row = integration_as_of(stored, history, syncs, at)
    if row is None:
        why = "was created later" if stored.created_at > at else "had no state recorded yet"
        raise CliError(
            f"{stored.id!r} {why} at {as_of_label(at)}: nothing to show as of then",
            EXIT_USAGE,
        )
    past = [h for h in history if h.at <= at]
    shown_syncs = syncs_as_of(syncs, at)
    recent = _recent(shown_syncs)
    if args.json:
        doc = {"as_of": iso(at), **_as_of_json(row, recent)}
        doc["history"] = [
            {
                "from": h.from_state.value if h.from_state else None,
                "to": h.to_state.value,
                "at": iso(h.at),
                "reason": h.reason,
            }
            for h in past
        ]
        doc["syncs"] = [
            {
                "id": s.id,
                "type": s.type,
                "state": s.state.value,
                "started_at": iso(s.started_at),
                "ended_at": iso(s.ended_at),
                "warnings": s.warnings,
                "errors": s.errors,
            }
            for s in shown_syncs
        ]
        out_json(doc)
        return EXIT_OK
    _print_show_text(row, past, shown_syncs, recent, at)
    return EXIT_OK


def _recent(syncs: list[SyncRow]) -> RecentResults:
    from syncwatch.trends import RecentSync, recent_results

    return recent_results(RecentSync(s.id, s.state, s.started_at, s.ended_at) for s in syncs)


def _print_show_text(
    row: IntegrationRow,
    history: list[HistoryRow],
    syncs: list[SyncRow],
    recent: RecentResults,
    at: datetime,
) -> None:
    from rich.text import Text

    from syncwatch.cli.integrations import strip_text
    from syncwatch.present import fmt_ago, fmt_duration, fmt_time, safe_text

    terminal = console(soft_wrap=True)
    terminal.print(_banner(at))
    title = Text()
    title.append_text(state_text(row.state))
    title.append(f"  {safe_text(row.organization)}", style="bold")
    title.append(f"  {safe_text(row.id)}")
    title.append(f"  ·  {safe_text(row.tool)} · {safe_text(row.category)} · {row.environment}")
    terminal.print(title)
    terminal.print(Text(f"  {safe_text(row.state_reason or '')}"))
    facts: Mapping[str, str] = {
        "In state since": f"{fmt_time(row.state_since, at)} ({fmt_ago(row.state_since, at)})",
        "Last sync": (
            f"{row.last_sync_state.value.lower()} {fmt_ago(row.last_sync_ended_at, at)}, "
            f"{row.last_sync_warnings} warnings, {row.last_sync_errors} errors"
            if row.last_sync_state
            else "none finished by then"
        ),
        "Deleted": fmt_time(row.deleted_at, at) if row.deleted_at else "no",
    }
    for name, value in facts.items():
        terminal.print(Text(f"  {name:<20} {value}"))
    if recent.syncs:
        line = Text(f"  {'Recent syncs':<20} ")
        line.append_text(strip_text(recent))
        line.append("  (oldest first)", style="dim")
        terminal.print(line)
    terminal.print(Text("History (up to then)", style="bold"))
    for h in history:
        before = h.from_state.label if h.from_state else "(new)"
        terminal.print(
            Text(f"  {fmt_time(h.at)}  {before} -> {h.to_state.label}: {safe_text(h.reason)}")
        )
    terminal.print(Text(f"Syncs started by then ({len(syncs)}, newest first)", style="bold"))
    for s in syncs[:_SYNCS_SHOWN]:
        took = fmt_duration(s.ended_at - s.started_at) if s.ended_at else "running"
        terminal.print(
            Text(
                f"  {safe_text(s.id):<24} {s.type:<5} {s.state.value:<21} "
                f"{fmt_time(s.started_at)}  {took:<10} {s.warnings} warnings, {s.errors} errors"
            )
        )
    if len(syncs) > _SYNCS_SHOWN:
        terminal.print(Text(f"  ... {len(syncs) - _SYNCS_SHOWN} older syncs (use --json for all)"))
