"""Reading integrations: ``list`` and ``show`` (and the parsers of ``logs``, whose
command is :mod:`syncwatch.cli.logs`)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from syncwatch.attention import NO_ATTENTION, AttentionMark
from syncwatch.cli.common import Printer, console, out_json, require, state_text
from syncwatch.cli.errors import EXIT_OK
from syncwatch.clock import Clock
from syncwatch.clock import iso as iso_time
from syncwatch.states import STATES_BY_SEVERITY, IntegrationState, LogLevel

if TYPE_CHECKING:
    from rich.text import Text

    from syncwatch.cli.args import Subcommands
    from syncwatch.db import Store
    from syncwatch.fastread import FastReader
    from syncwatch.rows import (
        AuditRow,
        HistoryRow,
        IntegrationRow,
        IssueRow,
        SyncRow,
        UpstreamInfo,
    )
    from syncwatch.trends import RecentResults


# --------------------------------------------------------------------------- parsing


def _state_arg(text: str) -> IntegrationState:
    key = text.strip().upper().replace("-", "_")
    try:
        return IntegrationState(key)
    except ValueError:
        names = ", ".join(s.value for s in IntegrationState)
        raise argparse.ArgumentTypeError(f"unknown state {text!r} (one of {names})") from None


def _level_arg(text: str) -> LogLevel:
    try:
        return LogLevel(text.strip().upper())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"unknown level {text!r} (one of INFO, WARNING, ERROR)"
        ) from None


def add_integration_parsers(sub: Subcommands) -> None:
    """``list``, ``show`` and ``logs``."""
    p = sub.add_parser("list", help="integrations with their state")
    p.add_argument(
        "--status",
        action="append",
        type=_state_arg,
        default=[],
        metavar="S",
        help="only this state (repeatable)",
    )
    p.add_argument("--all", action="store_true", help="include deleted integrations")
    p.add_argument("--json", action="store_true", help="print one JSON array")
    _as_of_option(p)
    p.set_defaults(run=cmd_list, fast=fast_list)

    p = sub.add_parser("show", help="one integration: facts, reason, history, syncs")
    p.add_argument("id")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _as_of_option(p)
    p.set_defaults(run=cmd_show, fast=fast_show)

    p = sub.add_parser("logs", help="log entries, newest first")
    p.add_argument("id")
    p.add_argument("--sync", metavar="SYNC_ID", help="only this sync's entries")
    p.add_argument(
        "--level",
        type=_level_arg,
        metavar="L",
        help="this level and worse (INFO, WARNING, ERROR)",
    )
    p.add_argument("--limit", type=int, default=None, help="at most this many entries")
    p.add_argument("--json", action="store_true", help="print one JSON array")
    # ``logs`` never runs a pass: read with the standard library whenever the file allows.
    from syncwatch.cli.logs import cmd_logs, fast_logs

    p.set_defaults(run=cmd_logs, fast=fast_logs, fast_evaluates=False)


def _as_of_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--as-of",
        metavar="TIME",
        help="as the history records it at TIME (ISO 8601 with a zone, or 2h, 1d ago); "
        "read-only, nothing is evaluated (see docs/fleet.md)",
    )
    # Given, the command is the as-of one (syncwatch.cli.asof, chosen by main).


# --------------------------------------------------------------------------- JSON


def integration_json(row: IntegrationRow) -> dict[str, Any]:
    """The stable JSON shape of an integration (``list --json``, the start of ``show --json``)."""
    from syncwatch.present import iso

    api = row.api
    return {
        "id": row.id,
        "tool": row.tool,
        "category": row.category,
        "organization": row.organization,
        "environment": row.environment,
        "status": row.state.value if row.state else None,
        "status_label": row.state.label if row.state else None,
        "api_status": api.status.value if api else None,
        "setup_status": api.setup_status.value if api else None,
        "qa_status": api.qa_status.value if api else None,
        "status_reason": row.state_reason,
        "status_since": iso(row.state_since),
        "last_sync_state": row.last_sync_state.value if row.last_sync_state else None,
        "last_sync_ended_at": iso(row.last_sync_ended_at),
        "last_sync_warnings": row.last_sync_warnings,
        "last_sync_errors": row.last_sync_errors,
        "enabled": row.enabled,
        "filters_configured": row.filters_configured,
        "credentials_invalid": row.credentials_invalid_at is not None,
        "created_at": iso(row.created_at),
        "last_api_request_at": iso(row.last_api_request_at),
        "credentials_updated_at": iso(row.credentials_updated_at),
        "deleted_at": iso(row.deleted_at),
    }


def trend_json(row: IntegrationRow, recent: RecentResults) -> dict[str, Any]:
    """What ``list --json`` and ``show --json`` add about trends: the last syncs' results
    (oldest first, and as the strip of glyphs) and the change a rule brings next, if any."""
    from syncwatch.trends import NO_CHANGE_JSON, next_change

    change = next_change(row)
    return {
        "recent_results": recent.json(),
        "recent_strip": recent.glyphs,
        **(change.json() if change is not None else NO_CHANGE_JSON),
    }


# --------------------------------------------------------------------------- list


def evaluated_rows(
    store: Store,
    now: datetime,
    *,
    include_deleted: bool = True,
    only: IntegrationRow | None = None,
) -> list[IntegrationRow]:
    """The integrations (or ``only`` one) as a pass at ``now`` leaves them.

    The pass is stored when it can be; on a read-only database, or at a time before the
    last stored evaluation, it runs in memory and stderr says that nothing was stored and
    why (the answer is the same either way).
    """
    from syncwatch.cli.errors import err

    result = store.evaluate_for_reading(now)
    if not result.stored:
        err(
            f"note: showing the states as evaluated at {iso_time(now)}, but nothing was "
            f"stored: {result.not_stored}"
        )
    if only is not None:
        stored = store.get(only.id)
        return result.current([stored if stored is not None else only])
    rows = result.current(store.integrations())
    return rows if include_deleted else [r for r in rows if not r.deleted]


def _sort_key(row: IntegrationRow) -> tuple[int, str, str]:
    severity = row.state.severity if row.state else 0
    return (-severity, row.organization.lower(), row.id)


def cmd_list(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """Integrations with their state, worst first."""
    from syncwatch.db.attention import attention_marks
    from syncwatch.db.kombo import upstream_info
    from syncwatch.db.trends import recent_results

    now = clock.now()
    rows = evaluated_rows(store, now, include_deleted=_deleted_too(args))
    marks = attention_marks(store) if args.json else {}
    return _print_list(rows, upstream_info(store), recent_results(store), now, args, marks)


def fast_list(reader: FastReader, now: datetime, args: argparse.Namespace) -> Printer:
    """``list`` from the stored rows when a pass at ``now`` has nothing to do (what
    :func:`cmd_list` prints then, byte for byte, without loading the evaluation)."""
    rows = reader.integrations()
    if not _deleted_too(args):
        rows = [r for r in rows if not r.deleted]
    upstream = reader.upstream_info()
    marks = reader.attention_marks() if args.json else {}
    return partial(_print_list, rows, upstream, reader.recent_results(), now, args, marks)


def _deleted_too(args: argparse.Namespace) -> bool:
    return bool(args.all or IntegrationState.DELETED in args.status)


def _print_list(
    rows: list[IntegrationRow],
    upstream: Mapping[str, UpstreamInfo],
    recent: Mapping[str, RecentResults],
    now: datetime,
    args: argparse.Namespace,
    attention: Mapping[str, AttentionMark],
) -> int:
    from syncwatch.present import attention_json
    from syncwatch.trends import NO_RECENT, next_change

    if args.status:
        wanted = set(args.status)
        rows = [r for r in rows if r.state in wanted]
    rows.sort(key=_sort_key)
    if args.json:
        out_json(
            [
                {
                    **integration_json(r),
                    **upstream[r.id].json(),
                    **trend_json(r, recent.get(r.id, NO_RECENT)),
                    **attention_json(attention.get(r.id), r.state, now),
                }
                for r in rows
            ]
        )
        return EXIT_OK
    from rich.table import Table
    from rich.text import Text

    from syncwatch.present import fmt_ago, safe_text

    table = Table(box=None, pad_edge=False, header_style="bold")
    columns = (
        "STATE", "ID", "ORGANIZATION", "TOOL", "CAT", "ENV", "LAST SYNC", "W/E", "SINCE",
        "RECENT", "NEXT",
    )  # fmt: skip
    for col in columns:
        table.add_column(col, no_wrap=True, overflow="ellipsis")
    for r in rows:
        last = (
            f"{r.last_sync_state.value.lower()} {fmt_ago(r.last_sync_ended_at, now)}"
            if r.last_sync_state
            else "-"
        )
        gone = upstream[r.id].gone and not r.deleted
        table.add_row(
            state_text(r.state),
            Text.assemble(safe_text(r.id), ("  [gone from Kombo]", "bold red") if gone else ""),
            # Text from data goes in as plain Text: a str cell would be read as markup.
            Text(safe_text(r.organization)),
            Text(safe_text(r.tool)),
            Text(safe_text(r.category)),
            "dev" if r.environment == "development" else "prod",
            last,
            f"{r.last_sync_warnings}/{r.last_sync_errors}",
            fmt_ago(r.state_since, now),
            strip_text(recent.get(r.id, NO_RECENT)),
            change.short(now) if (change := next_change(r)) is not None else "",
        )
    terminal = console()
    terminal.print(table)
    counts = dict.fromkeys(STATES_BY_SEVERITY, 0)
    for r in rows:
        if r.state:
            counts[r.state] += 1
    summary = ", ".join(f"{n} {s.label.lower()}" for s, n in counts.items() if n)
    gone_count = sum(1 for r in rows if upstream[r.id].gone and not r.deleted)
    if gone_count:
        summary += f"; {gone_count} gone from Kombo (404: see syncwatch show ID)"
    terminal.print(f"{len(rows)} integration(s): {summary or 'none'}", highlight=False)
    return EXIT_OK


def strip_text(recent: RecentResults) -> Text:
    """The strip of recent results, each glyph in its state's plain colour."""
    from rich.text import Text

    text = Text()
    for glyph, state in recent.cells():
        text.append(glyph, style=state.info.plain_colour if state is not None else "grey50")
    return text


# --------------------------------------------------------------------------- show


@dataclass(frozen=True, slots=True)
class _Shown:
    """What ``show`` reads about one integration, once, for either form."""

    row: IntegrationRow
    next_step: str
    history: list[HistoryRow]
    syncs: list[SyncRow]
    issues: list[IssueRow]
    upstream: UpstreamInfo
    #: Read for ``--json`` only.
    audit: list[AuditRow]
    #: Who acknowledged it, whether it is snoozed.
    attention: AttentionMark = NO_ATTENTION


def cmd_show(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """One integration: why it is in its state, its facts, history, Kombo's side, syncs."""
    from syncwatch.db.attention import attention_marks
    from syncwatch.db.kombo import integration_issues, upstream_info

    now = clock.now()
    (row,) = evaluated_rows(store, now, only=require(store, args.id))
    shown = _Shown(
        row=row,
        next_step=_next_step(row),
        history=store.history(row.id),
        syncs=store.syncs(row.id),
        issues=integration_issues(store, row.id),
        upstream=upstream_info(store, [row.id])[row.id],
        audit=store.audit(row.id),
        attention=attention_marks(store, [row.id]).get(row.id, NO_ATTENTION),
    )
    return _print_shown(shown, now, args)


def fast_show(reader: FastReader, now: datetime, args: argparse.Namespace) -> Printer:
    """``show`` from the stored rows when a pass at ``now`` has nothing to do (what
    :func:`cmd_show` prints then, byte for byte, without loading the evaluation)."""
    row = require(reader, args.id)
    shown = _Shown(
        row=row,
        next_step=_next_step(row),
        history=reader.history(row.id),
        syncs=reader.syncs(row.id),
        issues=reader.issues(row.id),
        upstream=reader.upstream_info([row.id])[row.id],
        audit=reader.audit(row.id),
        attention=reader.attention(row.id),
    )
    return partial(_print_shown, shown, now, args)


def _next_step(row: IntegrationRow) -> str:
    """The next step shown for the row's state, naming its command ("" before the first
    evaluation)."""
    from syncwatch.actions import next_step

    return "" if row.state is None else next_step(row.state, row.id)


def _recent_of(shown: _Shown) -> RecentResults:
    """The strip of the syncs ``show`` read anyway."""
    from syncwatch.trends import RecentSync, recent_results

    return recent_results(RecentSync(s.id, s.state, s.started_at, s.ended_at) for s in shown.syncs)


def _print_shown(shown: _Shown, now: datetime, args: argparse.Namespace) -> int:
    if args.json:
        out_json(_show_json(shown, now))
    else:
        _print_show(shown, now)
    return EXIT_OK


def _show_json(shown: _Shown, now: datetime) -> dict[str, Any]:
    from syncwatch.feed import attributed_history
    from syncwatch.present import attention_json, iso
    from syncwatch.trends import WINDOWS, timeline

    row = shown.row
    doc = {**integration_json(row), **shown.upstream.json(), **trend_json(row, _recent_of(shown))}
    doc["next_step"] = shown.next_step
    doc.update(attention_json(shown.attention, row.state, now))
    timelines = {name: timeline(shown.history, now, span) for name, span in WINDOWS.items()}
    availability = {name: tl.json()["availability"] for name, tl in timelines.items()}
    doc["availability"] = availability
    doc["timeline"] = {name: tl.json() for name, tl in timelines.items()}
    # Each transition with the operator action that caused it, if one did (who and what).
    causes = {
        id(item.change): item.action
        for item in attributed_history(shown.history, shown.audit)
        if item.change is not None and item.action is not None
    }
    doc["history"] = [
        {
            "from": h.from_state.value if h.from_state else None,
            "to": h.to_state.value,
            "at": iso(h.at),
            "reason": h.reason,
            "action": causes[id(h)].action if id(h) in causes else None,
            "actor": causes[id(h)].actor if id(h) in causes else None,
        }
        for h in shown.history
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
            "log_url": s.log_url,
        }
        for s in shown.syncs
    ]
    doc["audit"] = [
        {
            "actor": a.actor,
            "action": a.action,
            "at": iso(a.at),
            "state_before": a.state_before,
            "state_after": a.state_after,
            "db_role": a.db_role,
        }
        for a in shown.audit
    ]
    doc["issues"] = [
        {
            "id": i.id,
            "type": i.type,
            "title": i.title,
            "status": i.status,
            "message": i.message,
            "first_observed_at": iso(i.first_observed_at),
            "resolved_at": iso(i.resolved_at),
        }
        for i in shown.issues
    ]
    return doc


#: The syncs ``show`` lists (``--json`` has them all).
_SYNCS_SHOWN = 20


def _print_show(shown: _Shown, now: datetime) -> None:
    from rich.text import Text

    from syncwatch.feed import action_label, actor_text, attributed_history
    from syncwatch.present import (
        fmt_duration,
        fmt_time,
        gone_warning,
        integration_facts,
        kombo_status_text,
        pulled_text,
        safe_text,
    )
    from syncwatch.rows import KomboMark

    row, upstream, issues, syncs = shown.row, shown.upstream, shown.issues, shown.syncs
    terminal = console(soft_wrap=True)
    title = Text()
    title.append_text(state_text(row.state))
    title.append(f"  {safe_text(row.organization)}", style="bold")
    title.append(f"  {safe_text(row.id)}")
    # Tool, category and environment: what the drill-down shows under its title.
    title.append(f"  ·  {safe_text(row.tool)} · {safe_text(row.category)} · {row.environment}")
    terminal.print(title)
    terminal.print(Text(f"  {safe_text(row.state_reason or '')}"))
    if upstream.gone_at is not None and not row.deleted:
        warning = gone_warning(upstream.gone_at, row.id)
        terminal.print(Text(f"  {safe_text(warning)}", style="bold red"))
    terminal.print(Text(f"  Next step: {safe_text(shown.next_step)}"))
    n_open = sum(1 for i in issues if i.open)
    mark = KomboMark(open_issues=n_open, gone_at=upstream.gone_at)
    # The facts in the drill-down's order and words; Kombo's open issues are listed below.
    facts = integration_facts(row, now, kombo=mark, kombo_hint="(below)", attention=shown.attention)
    for fact in facts:
        terminal.print(Text(f"  {fact.name:<20} {safe_text(fact.value)}"))
    if upstream.status or upstream.checked_at:
        # What the last pull saw, as the drill-down's Kombo part says it.
        line = Text("Kombo", style="bold")
        line.append(f" {safe_text(kombo_status_text(upstream.status))}")
        line.append(pulled_text(upstream.checked_at, now))
        terminal.print(line)
    terminal.print(Text("History", style="bold"))
    for item in attributed_history(shown.history, shown.audit):
        by = f" (by {actor_text(item.actor, item.db_role)})" if item.action is not None else ""
        h = item.change
        if h is None:
            assert item.action is not None
            what = action_label(item.action.action)
            terminal.print(Text(f"  {fmt_time(item.at)}  {what}{by}, no change of state"))
            continue
        before = h.from_state.label if h.from_state else "(new)"
        terminal.print(
            Text(f"  {fmt_time(h.at)}  {before} -> {h.to_state.label}: {safe_text(h.reason)}{by}")
        )
    _print_trends(terminal, shown, now)
    if issues:
        terminal.print(
            Text(f"Kombo issues ({n_open} open, {len(issues) - n_open} resolved)", style="bold")
        )
        for i in issues:
            when = f"since {fmt_time(i.first_observed_at, now)}"
            if i.resolved_at:
                when += f", resolved {fmt_time(i.resolved_at, now)}"
            terminal.print(Text(f"  {i.status:<8} {safe_text(i.title)} ({when})"))
            if i.open and i.message:
                first_line = safe_text(i.message.splitlines()[0])
                terminal.print(Text(f"           {first_line}", style="dim"))
    terminal.print(Text(f"Syncs ({len(syncs)}, newest first)", style="bold"))
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


#: Cells of the timeline ``show`` prints (one per 3 hours of the 7 days).
_TIMELINE_CELLS = 56


def _print_trends(terminal: Any, shown: _Shown, now: datetime) -> None:
    """The recent results, the coming rule and the 7-day timeline with its availability."""
    from rich.text import Text

    from syncwatch.present import fmt_time
    from syncwatch.trends import WINDOWS, availability_text, next_change, timeline

    row = shown.row
    recent = _recent_of(shown)
    terminal.print(Text("Trends", style="bold"))
    if recent.syncs:
        line = Text(f"  {'Recent syncs':<20} ")
        line.append_text(strip_text(recent))
        line.append("  (oldest first)", style="dim")
        terminal.print(line)
    change = next_change(row)
    if change is not None:
        terminal.print(Text(f"  {'Coming':<20} {change.text(now)} ({fmt_time(change.at, now)})"))
    tl = timeline(shown.history, now, WINDOWS["7d"])
    line = Text(f"  {'Last 7 days':<20} ")
    for state, marked in tl.cells(_TIMELINE_CELLS):
        if state is None:
            line.append("·", style="dim")
        else:
            style = state.info.plain_colour + (" underline" if marked else "")
            line.append(state.glyph, style=style)
    terminal.print(line)
    terminal.print(Text(f"  {'':<20} {availability_text(tl, '7d')}"))
