"""The Kombo commands: ``receive`` (its webhooks), ``events`` (the stored ones), ``watch``
(transitions out, for alerting) and ``pull`` (its API)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syncwatch.cli.args import Parser, positive_float
from syncwatch.cli.common import out, out_json
from syncwatch.cli.errors import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, CliError, err
from syncwatch.clock import Clock
from syncwatch.states import IntegrationState

if TYPE_CHECKING:
    from syncwatch.cli.args import Subcommands
    from syncwatch.db import Store
    from syncwatch.rows import Transition

SECRET_ENV = "KOMBO_WEBHOOK_SECRET"


# --------------------------------------------------------------------------- parsing


def add_kombo_parsers(sub: Subcommands) -> None:
    """``receive``, ``events``, ``watch`` and ``pull``."""
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
    p.add_argument(
        "--body-timeout",
        type=positive_float,
        metavar="SECONDS",
        help="seconds a request's body may take to arrive before the answer is 408 (default 10)",
    )
    p.set_defaults(run=cmd_receive)

    p = sub.add_parser("events", help="stored Kombo webhook events: list, replay")
    events_sub = p.add_subparsers(
        dest="events_command", metavar="SUBCOMMAND", parser_class=Parser, required=True
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
    p.set_defaults(run=cmd_events)

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
        type=positive_float,
        default=0.5,
        metavar="SECONDS",
        help="how often to look for new transitions (default 0.5)",
    )
    p.add_argument(
        "--skip-silenced",
        action="store_true",
        help="leave out the transitions of integrations that are snoozed, or acknowledged "
        "and no worse than the state acknowledged (as the UI's notices do; see docs/ack.md)",
    )
    p.set_defaults(run=cmd_watch)

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
    p.set_defaults(run=cmd_pull)


# --------------------------------------------------------------------------- receive


def read_secret(secret_file: str | None) -> bytes:
    """The webhook secret from ``--secret-file`` or ``KOMBO_WEBHOOK_SECRET``; never an argument."""
    if secret_file:
        try:
            text = Path(secret_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            raise CliError(f"cannot read the secret file {secret_file}: {reason}") from None
        secret = text.strip()
        if not secret:
            raise CliError(f"the secret file {secret_file} is empty")
        return secret.encode("utf-8")
    secret = os.environ.get(SECRET_ENV, "").strip()
    if not secret:
        raise CliError(
            f"no webhook secret: set {SECRET_ENV} or pass --secret-file PATH "
            "(the secret Kombo shows in its dashboard's webhooks tab); "
            "refusing to accept unsigned webhooks"
        )
    return secret.encode("utf-8")


def _check_port(host: str, port: int) -> None:
    """Fail now, with a message, if ``host:port`` cannot be listened on."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise CliError(f"cannot listen on {host}: {error.strerror}") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(address)
        except OSError as error:
            raise CliError(f"cannot listen on {host}:{port}: {error.strerror}") from None


def cmd_receive(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """Serve the webhook endpoint until SIGINT/SIGTERM."""
    import logging
    import signal

    from syncwatch.kombo.receiver import WEBHOOK_PATH, Receiver, make_server

    secret = read_secret(args.secret_file)
    _check_port(args.host, args.port)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s")
    timeout = {} if args.body_timeout is None else {"body_timeout": args.body_timeout}
    receiver = Receiver(store, secret, clock, writer=args.writer, **timeout)
    server = make_server(receiver, args.host, args.port)
    err(
        f"receiving Kombo webhooks at http://{args.host}:{args.port}{WEBHOOK_PATH} "
        f"into {store.engine.url.render_as_string(hide_password=True)}"
    )
    # uvicorn shuts down gracefully on SIGINT/SIGTERM and then raises the signal again for
    # the handler that was there before; with this one, that ends in exit 0, not a kill.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: None)
    server.run()
    return EXIT_OK


# --------------------------------------------------------------------------- events


def cmd_events(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """``events list`` and ``events replay``."""
    if args.events_command == "replay":
        return _replay(store, args)
    return _list_events(store, args)


def _replay(store: Store, args: argparse.Namespace) -> int:
    from syncwatch.db import Store, database_url
    from syncwatch.kombo.apply import replay

    source_url = database_url(args.source)
    if source_url.startswith("sqlite"):
        path = source_url.split("///", 1)[-1]
        if not Path(path).is_file():
            raise CliError(f"--from: no database file at {path}")
    if source_url == store.engine.url.render_as_string(hide_password=False):
        raise CliError("--from names the target database itself; replay into another --db")
    source = Store.open(source_url)
    try:
        report = replay(source, store)
    finally:
        source.close()
    outcomes = ", ".join(f"{n} {k}" for k, n in sorted(report.outcomes.items())) or "none"
    out(
        f"Replayed {report.replayed} event(s) ({outcomes}); {report.duplicates} already "
        f"present; {report.transitions} transition(s)."
    )
    for event_id in report.unreadable:
        err(f"stored event {event_id!r} no longer parses; skipped")
    return EXIT_OK


def _list_events(store: Store, args: argparse.Namespace) -> int:
    import json

    from syncwatch.db.kombo import stored_events
    from syncwatch.present import iso, safe_text

    events = list(stored_events(store))
    if args.limit is not None:
        events = events[-args.limit :] if args.limit > 0 else []
    if args.json:
        docs: list[dict[str, Any]] = [
            {
                "id": e.id,
                "seq": e.seq,
                "type": e.type,
                "received_at": iso(e.received_at),
                "outcome": e.outcome,
                "integration_id": e.integration_id,
            }
            for e in events
        ]
        # ASCII-escaped, unlike the other commands' JSON: as this command always printed it.
        json.dump(docs, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    for e in events:
        out(
            f"{iso(e.received_at)}  {safe_text(e.id):<26} {safe_text(e.type):<26} "
            f"{e.outcome:<8} {safe_text(e.integration_id or '-')}"
        )
    if not events:
        out("No webhook events stored.")
    return EXIT_OK


# --------------------------------------------------------------------------- watch


def cmd_watch(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """Print transitions as they are recorded, until a signal or the reader goes away."""
    import json
    import signal
    import threading

    from syncwatch.present import safe_text
    from syncwatch.transitions import follow, transition_text
    from syncwatch.transitions import transition_event as webhook_json

    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for record in follow(store, args.since, stop, args.poll):
            if args.skip_silenced and _silenced(store, record, clock):
                continue
            if args.json:
                line = json.dumps(webhook_json(record), ensure_ascii=False)
            else:
                line = safe_text(transition_text(record))
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (| head, a closed pipe): done, quietly. Point stdout at
        # /dev/null so the interpreter's final flush does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_OK
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return EXIT_OK


def _silenced(store: Store, record: Transition, clock: Clock) -> bool:
    """Whether ``record`` is silenced now (:func:`syncwatch.attention.silenced`): its
    integration's acknowledgement and snooze are read as they are now (one query)."""
    from syncwatch.attention import silenced
    from syncwatch.db.attention import attention_marks

    mark = attention_marks(store, [record.integration_id]).get(record.integration_id)
    if mark is None:
        return False
    return silenced(mark.ack, mark.snooze, record.from_state, record.to_state, clock.now())


# --------------------------------------------------------------------------- pull


def cmd_pull(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """Refresh every integration from Kombo's API; print what changed."""
    from syncwatch.kombo.pull import MAX_CONCURRENCY, pull
    from syncwatch.kombo.remote import KomboConfigError, KomboSettings
    from syncwatch.present import safe_text, transition_json

    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        raise CliError(f"--concurrency must be 1 to {MAX_CONCURRENCY}, not {args.concurrency}")
    try:
        settings = KomboSettings.from_env(
            os.environ, server=args.server, server_url=args.server_url
        )
    except KomboConfigError as error:
        raise CliError(str(error)) from None
    report = pull(store, settings, clock.now(), concurrency=args.concurrency)
    counts = report.counts
    if args.json:
        # Transitions in their one JSON shape, the one ``evaluate --json`` prints.
        transitions = [transition_json(t) for t in report.transitions]
        out_json({**report.json(), "transitions": transitions})
    else:
        for item in report.items:
            if item.outcome == "unchanged":
                continue
            head = f"{safe_text(item.integration_id)}  {safe_text(item.organization)}"
            if item.outcome == "failed":
                out(f"{head}: failed: {safe_text(str(item.error))}")
            elif item.outcome == "skipped":
                out(f"{head}: skipped: {safe_text(str(item.error))}")
            elif item.outcome == "gone" and not item.changes:
                out(f"{head}: still gone from Kombo (404)")
            else:
                out(head)
                for c in item.changes:
                    out(f"  {c.label:<20} {_pulled(c.before)} -> {_pulled(c.after)}")
        n = report.retries
        retried = f" ({n} {'retry' if n == 1 else 'retries'})" if n else ""
        out(
            f"Pulled {len(report.items)} integration(s) from {report.server}{retried}: "
            + ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
            + "."
        )
    if report.aborted:
        err(f"pull stopped: {report.aborted}")
        return EXIT_USAGE
    return EXIT_REFUSED if counts["failed"] else EXIT_OK


def _pulled(value: Any) -> str:
    """A value ``pull`` changed, in words."""
    from syncwatch.present import safe_text

    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, IntegrationState):
        return value.label
    return "-" if value is None else safe_text(str(value))
