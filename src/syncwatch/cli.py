"""The ``syncwatch`` command: argument parsing and printing only.

Exit codes: 0 success; 1 a refused action or an unknown id; 2 bad usage, invalid input or an
unusable database. Every message for a foreseeable error goes to stderr without a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from syncwatch.clock import Clock, FixedClock, SystemClock, iso, parse_instant
from syncwatch.states import STATES_BY_SEVERITY, IntegrationState, LogLevel

if TYPE_CHECKING:
    from syncwatch.rows import IntegrationRow
    from syncwatch.store import Store

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2

_ACTIONS = (
    "reactivate",
    "deactivate",
    "release-qa",
    "update-credentials",
    "configure-filters",
    "delete",
)


class CliError(Exception):
    """A foreseeable failure with its exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------- parsing


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"syncwatch: error: {message}\n")


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


def _instant_arg(text: str) -> datetime:
    try:
        return parse_instant(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _duration_arg(text: str) -> timedelta:
    from syncwatch.demo import parse_duration

    try:
        return parse_duration(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("the interval must be more than 0 seconds")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line: its commands in the README, the rules they apply in docs/rules.md."""
    parser = _Parser(
        prog="syncwatch",
        description="Watch and operate third-party integrations. "
        "Without a command, opens the terminal UI.",
        epilog="Times are UTC. Exit codes: 0 ok, 1 refused action or unknown id, "
        "2 bad usage, invalid input or unusable database.",
    )
    parser.add_argument(
        "--db",
        metavar="URL_OR_PATH",
        help="SQLite file or SQLAlchemy URL (env SYNCWATCH_DB; default: the sample database "
        "in your data directory)",
    )
    parser.add_argument(
        "--now",
        metavar="ISO8601",
        type=_instant_arg,
        help="evaluate and act at this time instead of the clock (env SYNCWATCH_NOW)",
    )
    parser.add_argument(
        "--interval",
        type=_positive_float,
        default=5.0,
        metavar="SECONDS",
        help="UI: seconds between background evaluation passes (default 5)",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="UI: disable every operator action (for demos and shared databases)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("import", help="import JSON files (- = stdin)")
    p.add_argument("files", nargs="+", metavar="FILE")

    p = sub.add_parser("evaluate", help="run one evaluator pass and print the transitions")
    p.add_argument("--full", action="store_true", help="re-evaluate every integration")
    p.add_argument("--json", action="store_true", help="print transitions as a JSON array")

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
        type=_positive_float,
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
        type=_positive_float,
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

    p = sub.add_parser("show", help="one integration: facts, reason, history, syncs")
    p.add_argument("id")
    p.add_argument("--json", action="store_true", help="print one JSON object")

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

    p = sub.add_parser(
        "demo",
        help="a simulated sync engine on a fast clock (opens the UI, or --headless)",
        description="Runs a simulated sync engine against a database (a fresh temporary one "
        "unless --db is given) on a clock that runs --speed times faster than real time; the "
        "real evaluator and UI show what happens.",
    )
    p.add_argument(
        "--scenario",
        choices=("tour", "incident", "steady"),
        default="tour",
        help="tour: all nine states in a few minutes; incident: an outage and a bad "
        "credentials rotation; steady: a mostly healthy fleet (default: tour)",
    )
    p.add_argument(
        "--speed",
        type=_positive_float,
        default=3600.0,
        help="simulated seconds per real second (default 3600: one hour a second)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed, same run)")
    p.add_argument(
        "--headless", action="store_true", help="run engine and evaluator without the UI"
    )
    p.add_argument(
        "--until",
        type=_duration_arg,
        metavar="DURATION",
        help="headless: stop at this simulated time after the start, e.g. 5d or 36h "
        "(default: long enough for the scenario)",
    )
    p.add_argument(
        "--step",
        type=_duration_arg,
        default=None,
        metavar="DURATION",
        help="headless: simulated time per engine step (default 15m; 1h for steady)",
    )
    p.add_argument("--json", action="store_true", help="headless: print a JSON summary")

    p = sub.add_parser(
        "receive",
        # No abbreviations: "--secret VALUE" must not pass for "--secret-file".
        allow_abbrev=False,
        help="serve an HTTP endpoint for Kombo's webhooks",
        description="Receives Kombo's signed webhooks at POST /webhooks/kombo, stores each "
        "event and applies it to the facts. The secret comes from KOMBO_WEBHOOK_SECRET or "
        "--secret-file, never from an argument; without one the command refuses to start.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8787, help="port to listen on (default 8787)")
    p.add_argument("--secret-file", metavar="PATH", help="file holding the webhook secret")
    p.add_argument(
        "--writer",
        choices=("single", "threadpool"),
        default="single",
        help="run database writes on one writer thread (default) or Starlette's thread pool",
    )

    p = sub.add_parser("events", help="stored Kombo webhook events: list, replay")
    events_sub = p.add_subparsers(
        dest="events_command", metavar="SUBCOMMAND", parser_class=_Parser, required=True
    )
    q = events_sub.add_parser("list", help="stored events, in the order received")
    q.add_argument("--limit", type=int, default=None, help="only the last N events")
    q.add_argument("--json", action="store_true", help="print one JSON array")
    q = events_sub.add_parser(
        "replay",
        help="re-apply the events stored in another database to this one (--db)",
        description="Re-applies every event stored in --from, in the order received and as "
        "of the time each was received, to the database given by --db (a fresh one gives "
        "the same facts as the source). Events already present are skipped.",
    )
    q.add_argument("--from", dest="source", required=True, metavar="DB_URL_OR_PATH")

    p = sub.add_parser(
        "watch",
        help="print state transitions as they are recorded (for alerting)",
        description="Prints each state transition as it is recorded, until SIGINT/SIGTERM "
        "or until the reader goes away. --json prints one object per line, shaped like "
        "Kombo's integration-state-changed webhook plus status and reason.",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument(
        "--since",
        type=int,
        default=None,
        metavar="SEQ",
        help="start after the transition numbered SEQ (each line's seq; default: from now on)",
    )
    p.add_argument(
        "--poll",
        type=_positive_float,
        default=0.5,
        metavar="SECONDS",
        help="how often to look for new transitions (default 0.5)",
    )

    p = sub.add_parser(
        "pull",
        help="refresh every integration from the Kombo API (needs KOMBO_API_KEY)",
        description="Asks Kombo for the details of every known, undeleted integration "
        "(bounded concurrency; 429 and 5xx retried with backoff, Retry-After honoured), "
        "applies what it reports (enabled, credentials invalid, filters configured) and "
        "prints what changed. A 404 marks an integration as gone upstream. The API key "
        "comes from KOMBO_API_KEY only. Exit 1 if any integration could not be refreshed, "
        "2 if Kombo rejected the key.",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--server",
        choices=("eu", "us", "ca"),
        help="Kombo's region (env KOMBO_SERVER; default eu)",
    )
    where.add_argument(
        "--server-url", metavar="URL", help="Kombo's API base URL (env KOMBO_SERVER_URL)"
    )
    p.add_argument(
        "--concurrency",
        type=int,
        default=8,
        metavar="N",
        help="requests in flight at most (1-64, default 8)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")

    p = sub.add_parser(
        "db",
        help="the database schema: its revision, upgrading it",
        description="The schema is versioned (Alembic revisions shipped with syncwatch). "
        "SQLite databases are upgraded when opened; a PostgreSQL database is upgraded only "
        "by `db upgrade`, so an administrator picks the moment (see the README).",
    )
    db_sub = p.add_subparsers(
        dest="db_command", metavar="SUBCOMMAND", parser_class=_Parser, required=True
    )
    db_sub.add_parser("current", help="print the database's schema revision")
    db_sub.add_parser("upgrade", help="create the schema, or upgrade it to this version's")

    for name in _ACTIONS:
        from syncwatch.actions import Action  # cheap: no database imports

        action = Action(name)
        p = sub.add_parser(name, help=action.description)
        p.add_argument("ids", nargs="+", metavar="ID")
        if name == "delete":
            p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        if name in ("reactivate", "deactivate", "delete"):
            p.add_argument(
                "--local",
                action="store_true",
                help="change only syncwatch, not Kombo, even with SYNCWATCH_KOMBO_REMOTE=1",
            )
    return parser


# --------------------------------------------------------------------------- context


def default_db_path() -> Path:
    """The SQLite file used when neither --db nor SYNCWATCH_DB is given."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("syncwatch", appauthor=False)) / "syncwatch.db"


def open_store(db: str | None, clock: Clock) -> Store:
    """Open the database; on first use the default one is filled with the sample data."""
    from syncwatch.importer import load_sample
    from syncwatch.store import Store

    target = db or os.environ.get("SYNCWATCH_DB") or None
    if target:
        return Store.open(target)
    path = default_db_path()
    fresh = not path.exists()
    store = Store.open(path)
    if fresh:
        try:
            load_sample(store, clock.now())
        except BaseException:
            store.close()
            path.unlink(missing_ok=True)
            raise
    return store


def make_clock(now: datetime | None) -> Clock:
    if now is not None:
        return FixedClock(now)
    env = os.environ.get("SYNCWATCH_NOW")
    if env:
        try:
            return FixedClock(parse_instant(env))
        except ValueError as err:
            raise CliError(f"SYNCWATCH_NOW: {err}") from None
    return SystemClock()


# --------------------------------------------------------------------------- output


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(f"syncwatch: {text}\n")


def _json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def integration_json(row: IntegrationRow) -> dict[str, Any]:
    """The stable JSON shape of an integration (``list --json``)."""
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


def _console(*, soft_wrap: bool = False) -> Any:
    from rich.console import Console

    # Piped output is not cut to 80 columns: scripts and pagers get whole lines.
    width = None if sys.stdout.isatty() else 250
    return Console(highlight=False, soft_wrap=soft_wrap, width=width)


def _state_text(state: IntegrationState | None) -> Any:
    from rich.text import Text

    if state is None:
        return Text("?")
    return Text(f"{state.glyph} {state.label}", style=state.info.plain_colour)


def _sort_key(row: IntegrationRow) -> tuple[int, str, str]:
    severity = row.state.severity if row.state else 0
    return (-severity, row.organization.lower(), row.id)


# --------------------------------------------------------------------------- commands


def cmd_import(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    from syncwatch.importer import import_files

    report = import_files(store, args.files, clock.now())
    _out(
        f"Imported {len(report.files)} file(s): {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged; {report.syncs_added} syncs added, "
        f"{report.syncs_updated} updated; {report.logs_added} log entries added."
    )
    for iid in report.skipped_deleted:
        _out(f"Skipped {iid}: it is deleted, and an import never undoes a deletion.")
    _print_transitions(report.evaluation.transitions)
    return EXIT_OK


def _print_transitions(transitions: Sequence[Any]) -> None:
    for t in transitions:
        before = t.from_state.value if t.from_state else "(new)"
        _out(f"{t.integration_id}  {before} -> {t.to_state.value}  {t.reason}")


def cmd_evaluate(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    result = store.evaluate_pass(clock.now(), full=args.full)
    if args.json:
        _json(
            [
                {
                    "id": t.integration_id,
                    "organization": t.organization,
                    "tool": t.tool,
                    "from": t.from_state.value if t.from_state else None,
                    "to": t.to_state.value,
                    "at": iso(t.at),
                    "reason": t.reason,
                }
                for t in result.transitions
            ]
        )
        return EXIT_OK
    _print_transitions(result.transitions)
    n = len(result.transitions)
    _out(f"Evaluated {result.evaluated} integration(s); {n} transition(s).")
    return EXIT_OK


def cmd_list(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    from rich.table import Table
    from rich.text import Text

    from syncwatch.kombo.pull import upstream_info
    from syncwatch.present import fmt_ago

    now = clock.now()
    store.evaluate_pass(now)
    rows = store.integrations(include_deleted=args.all or IntegrationState.DELETED in args.status)
    if args.status:
        wanted = set(args.status)
        rows = [r for r in rows if r.state in wanted]
    rows.sort(key=_sort_key)
    upstream = upstream_info(store)
    if args.json:
        _json([{**integration_json(r), **upstream[r.id].json()} for r in rows])
        return EXIT_OK
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("STATE", "ID", "ORGANIZATION", "TOOL", "CAT", "ENV", "LAST SYNC", "W/E", "SINCE"):
        table.add_column(col, no_wrap=True, overflow="ellipsis")
    for r in rows:
        last = (
            f"{r.last_sync_state.value.lower()} {fmt_ago(r.last_sync_ended_at, now)}"
            if r.last_sync_state
            else "-"
        )
        gone = upstream[r.id].gone and not r.deleted
        table.add_row(
            _state_text(r.state),
            Text.assemble(r.id, ("  [gone from Kombo]", "bold red") if gone else ""),
            r.organization,
            r.tool,
            r.category,
            "dev" if r.environment == "development" else "prod",
            last,
            f"{r.last_sync_warnings}/{r.last_sync_errors}",
            fmt_ago(r.state_since, now),
        )
    console = _console()
    console.print(table)
    counts = {s: 0 for s in STATES_BY_SEVERITY}
    for r in rows:
        if r.state:
            counts[r.state] += 1
    summary = ", ".join(f"{n} {s.label.lower()}" for s, n in counts.items() if n)
    gone_count = sum(1 for r in rows if upstream[r.id].gone and not r.deleted)
    if gone_count:
        summary += f"; {gone_count} gone from Kombo (404: see syncwatch show ID)"
    console.print(f"{len(rows)} integration(s): {summary or 'none'}", highlight=False)
    return EXIT_OK


def _require(store: Store, integration_id: str) -> IntegrationRow:
    row = store.get(integration_id)
    if row is None:
        raise CliError(f"no integration with id {integration_id!r}", EXIT_REFUSED)
    return row


def cmd_show(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    from rich.text import Text

    from syncwatch.actions import next_step
    from syncwatch.kombo.apply import integration_issues
    from syncwatch.kombo.pull import upstream_info
    from syncwatch.present import fmt_ago, fmt_duration, fmt_time

    now = clock.now()
    _require(store, args.id)
    store.evaluate_pass(now)
    row = _require(store, args.id)
    history = store.history(row.id)
    syncs = store.syncs(row.id)
    issues = integration_issues(store, row.id)
    step = next_step(row.state, row.id) if row.state else ""
    upstream = upstream_info(store, [row.id])[row.id]
    if args.json:
        doc = {**integration_json(row), **upstream.json()}
        doc["next_step"] = step
        doc["history"] = [
            {
                "from": h.from_state.value if h.from_state else None,
                "to": h.to_state.value,
                "at": iso(h.at),
                "reason": h.reason,
            }
            for h in history
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
            for s in syncs
        ]
        doc["audit"] = [
            {
                "actor": a.actor,
                "action": a.action,
                "at": iso(a.at),
                "state_before": a.state_before,
                "state_after": a.state_after,
            }
            for a in store.audit(row.id)
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
            for i in issues
        ]
        _json(doc)
        return EXIT_OK
    console = _console(soft_wrap=True)
    title = Text()
    title.append_text(_state_text(row.state))
    title.append(f"  {row.organization}", style="bold")
    title.append(f"  {row.id}")
    console.print(title)
    console.print(Text(f"  {row.state_reason or ''}"))
    if upstream.gone_at is not None and not row.deleted:
        console.print(
            Text(
                f"  Kombo no longer knows this integration (404 at {fmt_time(upstream.gone_at)})"
                ": deleted there, or another region or API key. Delete it here with "
                f"syncwatch delete {row.id} --local.",
                style="bold red",
            )
        )
    console.print(Text(f"  Next step: {step}"))
    api = row.api
    facts = [
        ("tool", f"{row.tool} ({row.category}, {row.environment})"),
        ("created", fmt_time(row.created_at, now)),
        ("enabled", "yes" if row.enabled else f"no ({row.disabled_reason or 'disabled'})"),
        ("filters", "configured" if row.filters_configured else "not configured"),
        (
            "api view",
            f"status {api.status}, setup {api.setup_status}, qa {api.qa_status}"
            if api
            else "none (deleted: the API answers 404)",
        ),
        ("last API request", fmt_ago(row.last_api_request_at, now)),
        ("credentials updated", fmt_time(row.credentials_updated_at, now)),
        ("in this state since", f"{fmt_time(row.state_since)} ({fmt_ago(row.state_since, now)})"),
    ]
    if upstream.status or upstream.checked_at:
        checked = f", pulled {fmt_ago(upstream.checked_at, now)}" if upstream.checked_at else ""
        facts.append(("kombo", f"status {upstream.status or 'unknown'}{checked}"))
    if row.deleted_at:
        facts.append(("deleted", fmt_time(row.deleted_at, now)))
    for key, value in facts:
        console.print(Text(f"  {key:<20} {value}"))
    console.print(Text("History", style="bold"))
    for h in history:
        before = h.from_state.label if h.from_state else "(new)"
        console.print(Text(f"  {fmt_time(h.at)}  {before} -> {h.to_state.label}: {h.reason}"))
    if issues:
        n_open = sum(1 for i in issues if i.open)
        console.print(
            Text(f"Kombo issues ({n_open} open, {len(issues) - n_open} resolved)", style="bold")
        )
        for i in issues:
            when = f"since {fmt_time(i.first_observed_at, now)}"
            if i.resolved_at:
                when += f", resolved {fmt_time(i.resolved_at, now)}"
            console.print(Text(f"  {i.status:<8} {i.title} ({when})"))
            if i.open and i.message:
                console.print(Text(f"           {i.message.splitlines()[0]}", style="dim"))
    console.print(Text(f"Syncs ({len(syncs)}, newest first)", style="bold"))
    for s in syncs[:20]:
        took = fmt_duration(s.ended_at - s.started_at) if s.ended_at else "running"
        console.print(
            Text(
                f"  {s.id:<24} {s.type:<5} {s.state.value:<21} {fmt_time(s.started_at)}  "
                f"{took:<10} {s.warnings} warnings, {s.errors} errors"
            )
        )
    if len(syncs) > 20:
        console.print(Text(f"  ... {len(syncs) - 20} older syncs (use --json for all)"))
    return EXIT_OK


_LEVELS_AT_LEAST = {
    LogLevel.INFO: ("INFO", "WARNING", "ERROR"),
    LogLevel.WARNING: ("WARNING", "ERROR"),
    LogLevel.ERROR: ("ERROR",),
}


def cmd_logs(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    from rich.text import Text

    from syncwatch.present import fmt_time

    _require(store, args.id)
    if args.sync and not store.sync_belongs(args.id, args.sync):
        raise CliError(f"integration {args.id!r} has no sync {args.sync!r}", EXIT_REFUSED)
    levels = _LEVELS_AT_LEAST[args.level] if args.level else None
    logs = store.logs(args.id, sync_id=args.sync, levels=levels, limit=args.limit)
    if args.json:
        _json(
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
    console = _console(soft_wrap=True)
    style = {"ERROR": "red", "WARNING": "yellow", "INFO": ""}
    for e in logs:
        line = Text(f"{fmt_time(e.at)}  {e.sync_id}  ")
        line.append(f"{e.level:<7}", style=style.get(e.level, ""))
        line.append(f"  {e.message}")
        if e.field:
            line.append(f"  [{e.field}]", style="dim")
        console.print(line)
    if not logs:
        console.print("No log entries.")
    return EXIT_OK


def cmd_action(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    from syncwatch.actions import Action, perform_many

    action = Action(args.command)
    remote = _remote_for(action, args)
    try:
        if action is Action.DELETE and not args.yes:
            rows = [_require(store, iid) for iid in args.ids]
            if not sys.stdin.isatty():
                raise CliError("delete needs confirmation: pass --yes to delete without asking")
            names = ", ".join(f"{r.organization} ({r.id})" for r in rows)
            where = " in syncwatch and in Kombo" if remote else ""
            sys.stderr.write(
                f"Delete {names}{where}? Its syncs and logs are purged 14 days later; "
                "deletion is final. Type 'yes' to confirm: "
            )
            sys.stderr.flush()
            if sys.stdin.readline().strip().lower() not in ("y", "yes"):
                _err("delete cancelled; nothing changed")
                return EXIT_REFUSED
        results, refusals, unknown = perform_many(
            store, action, args.ids, clock.now(), remote=remote
        )
    finally:
        if remote is not None:
            remote.close()
    for r in results:
        before = r.state_before.label if r.state_before else "(new)"
        _out(f"{r.integration_id}: {action.label}: {before} -> {r.state_after.label}. {r.reason}")
    for iid in unknown:
        _err(f"no integration with id {iid!r}")
    for refusal in refusals:
        _err(f"{action.value} refused: {refusal.message}")
    return EXIT_REFUSED if unknown or refusals else EXIT_OK


def _remote_for(action: Any, args: argparse.Namespace) -> Any:
    """The Kombo side of ``action`` when remote actions are on (and not ``--local``)."""
    from syncwatch.kombo.remote import (
        ENV_API_KEY,
        ENV_REMOTE,
        REMOTE_ACTIONS,
        KomboConfigError,
        remote_from_env,
    )

    if action not in REMOTE_ACTIONS or getattr(args, "local", False):
        return None
    try:
        remote = remote_from_env(os.environ)
    except KomboConfigError as err:
        raise CliError(str(err)) from None
    if remote is None and os.environ.get(ENV_API_KEY):
        _err(
            f"note: {ENV_API_KEY} is set but remote actions are off, so Kombo is not changed "
            f"(set {ENV_REMOTE}=1 to {action.value} in Kombo too)"
        )
    return remote


def cmd_pull(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    from syncwatch.kombo.pull import MAX_CONCURRENCY, pull
    from syncwatch.kombo.remote import KomboConfigError, KomboSettings

    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        raise CliError(f"--concurrency must be 1 to {MAX_CONCURRENCY}, not {args.concurrency}")
    try:
        settings = KomboSettings.from_env(
            os.environ, server=args.server, server_url=args.server_url
        )
    except KomboConfigError as err:
        raise CliError(str(err)) from None
    report = pull(store, settings, clock.now(), concurrency=args.concurrency)
    counts = report.counts
    if args.json:
        _json(report.json())
    else:
        for item in report.items:
            if item.outcome == "unchanged":
                continue
            head = f"{item.integration_id}  {item.organization}"
            if item.outcome == "failed":
                _out(f"{head}: failed: {item.error}")
            elif item.outcome == "skipped":
                _out(f"{head}: skipped: {item.error}")
            elif item.outcome == "gone" and not item.changes:
                _out(f"{head}: still gone from Kombo (404)")
            else:
                _out(head)
                for c in item.changes:
                    _out(f"  {c.label:<20} {_pulled(c.before)} -> {_pulled(c.after)}")
        n = report.retries
        retried = f" ({n} {'retry' if n == 1 else 'retries'})" if n else ""
        _out(
            f"Pulled {len(report.items)} integration(s) from {report.server}{retried}: "
            + ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
            + "."
        )
    if report.aborted:
        _err(f"pull stopped: {report.aborted}")
        return EXIT_USAGE
    return EXIT_REFUSED if counts["failed"] else EXIT_OK


def _pulled(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, IntegrationState):
        return value.label
    return "-" if value is None else str(value)


def cmd_demo(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    from syncwatch.demo import DEFAULT_UNTIL, DemoEngine, run_headless

    start = clock.now()
    if args.headless:
        until = args.until or DEFAULT_UNTIL[args.scenario]
        try:
            # No --step: the demo's own rule for it, the one the UI uses too.
            result = run_headless(
                store,
                scenario=args.scenario,
                seed=args.seed,
                start=start,
                until=until,
                step=args.step,
            )
        except ValueError as err:
            raise CliError(str(err)) from None
        reached = sorted(result.states_reached, key=lambda s: s.severity)
        if args.json:
            _json(
                {
                    "scenario": result.scenario,
                    "seed": result.seed,
                    "start": iso(result.start),
                    "end": iso(result.end),
                    "database": store.engine.url.render_as_string(hide_password=True),
                    "integrations": result.integrations,
                    "syncs_finished": result.syncs_finished,
                    "transitions": len(result.transitions),
                    "states_reached": [s.value for s in reached],
                    "final_states": {s.value: n for s, n in result.final_states.items()},
                }
            )
            return EXIT_OK
        _print_transitions(result.transitions)
        _out(
            f"Simulated {args.scenario} (seed {args.seed}) from {iso(result.start)} to "
            f"{iso(result.end)}: {result.integrations} integrations, "
            f"{result.syncs_finished} syncs, {len(result.transitions)} transitions."
        )
        _out("States reached: " + ", ".join(s.value for s in reached))
        _out(f"Database: {store.engine.url.render_as_string(hide_password=True)}")
        return EXIT_OK
    from syncwatch.clock import SimulatedClock
    from syncwatch.tui.app import run_app

    engine = DemoEngine(store, scenario=args.scenario, seed=args.seed, start=start)
    try:
        engine.setup()
    except ValueError as err:
        raise CliError(str(err)) from None
    sim = SimulatedClock(start, speed=args.speed)
    return run_app(store, sim, interval=1.0, read_only=args.read_only, demo=engine)


def cmd_evaluator(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    from syncwatch.service import run_evaluator

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


def cmd_tui(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    from syncwatch.tui.app import run_app

    return run_app(store, clock, interval=args.interval, read_only=args.read_only)


def _kombo_command(name: str, store: Store, clock: Clock, args: argparse.Namespace) -> int:
    from syncwatch.kombo import commands

    command: _Command = getattr(commands, name)
    return command(store, clock, args)


def cmd_db(args: argparse.Namespace) -> int:
    """``db current`` and ``db upgrade``: they never open the store, which would refuse a
    PostgreSQL schema that needs upgrading."""
    from syncwatch.migrations import FIRST_RELEASE
    from syncwatch.store import database_url, redact_url, schema_status, upgrade_schema

    target = args.db or os.environ.get("SYNCWATCH_DB") or ""
    if not target and not default_db_path().exists():
        # Not created here: the first ordinary use creates it and fills it with the sample.
        raise CliError(f"no database yet at {default_db_path()}; syncwatch creates it on first use")
    target = target or str(default_db_path())
    where = redact_url(database_url(target))
    if args.db_command == "current":
        print(f"{where}: {schema_status(target).describe()}")
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
    print(f"{where}: {done}")
    return EXIT_OK


_Command = Callable[["Store", Clock, argparse.Namespace], int]
_COMMANDS: dict[str | None, _Command] = {
    None: cmd_tui,
    "receive": lambda *a: _kombo_command("cmd_receive", *a),
    "events": lambda *a: _kombo_command("cmd_events", *a),
    "watch": lambda *a: _kombo_command("cmd_watch", *a),
    "import": cmd_import,
    "evaluate": cmd_evaluate,
    "list": cmd_list,
    "show": cmd_show,
    "logs": cmd_logs,
    "pull": cmd_pull,
    "demo": cmd_demo,
    "evaluator": cmd_evaluator,
    **dict.fromkeys(_ACTIONS, cmd_action),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    from syncwatch.actions import ActionRefused, UnknownIntegration
    from syncwatch.importer import ImportRejected
    from syncwatch.store import StoreError

    args = build_parser().parse_args(argv)
    store = None
    try:
        clock = make_clock(args.now)
        if args.command == "demo" and not (args.db or os.environ.get("SYNCWATCH_DB")):
            # A demo never writes into the user's database: a fresh one per run.
            args.db = str(Path(tempfile.mkdtemp(prefix="syncwatch-demo-")) / "demo.db")
        if args.command == "db":
            return cmd_db(args)
        store = open_store(args.db, clock)
        return _COMMANDS[args.command](store, clock, args)
    except CliError as err:
        _err(str(err))
        return err.code
    except ImportRejected as err:
        _err("import rejected, nothing was imported:")
        for problem in err.problems:
            sys.stderr.write(f"  {problem}\n")
        return EXIT_USAGE
    except StoreError as err:
        _err(str(err))
        return EXIT_USAGE
    except UnknownIntegration as err:
        _err(str(err))
        return EXIT_REFUSED
    except ActionRefused as err:
        _err(str(err))
        return EXIT_REFUSED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (| head): not an error worth a traceback.
        sys.stderr.close()
        return EXIT_OK
    finally:
        if store is not None:
            store.close()
