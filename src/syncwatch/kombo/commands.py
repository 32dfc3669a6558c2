"""The ``receive``, ``events`` and ``watch`` commands (parsed in :mod:`syncwatch.cli`)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syncwatch.clock import Clock, iso

if TYPE_CHECKING:
    from syncwatch.store import Store

SECRET_ENV = "KOMBO_WEBHOOK_SECRET"


def _cli_error(message: str, code: int = 2) -> Exception:
    from syncwatch.cli import CliError

    return CliError(message, code)


def read_secret(secret_file: str | None) -> bytes:
    """The webhook secret from ``--secret-file`` or ``KOMBO_WEBHOOK_SECRET``; never an argument."""
    if secret_file:
        try:
            text = Path(secret_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            raise _cli_error(f"cannot read the secret file {secret_file}: {reason}") from None
        secret = text.strip()
        if not secret:
            raise _cli_error(f"the secret file {secret_file} is empty")
        return secret.encode("utf-8")
    secret = os.environ.get(SECRET_ENV, "").strip()
    if not secret:
        raise _cli_error(
            f"no webhook secret: set {SECRET_ENV} or pass --secret-file PATH "
            "(the secret Kombo shows in its dashboard's webhooks tab); "
            "refusing to accept unsigned webhooks"
        )
    return secret.encode("utf-8")


def _check_port(host: str, port: int) -> None:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise _cli_error(f"cannot listen on {host}: {err.strerror}") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(address)
        except OSError as err:
            raise _cli_error(f"cannot listen on {host}:{port}: {err.strerror}") from None


def cmd_receive(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """Serve the webhook endpoint until SIGINT/SIGTERM."""
    import logging

    from syncwatch.kombo.receiver import WEBHOOK_PATH, Receiver, make_server

    secret = read_secret(args.secret_file)
    _check_port(args.host, args.port)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s")
    receiver = Receiver(store, secret, clock, writer=args.writer)
    server = make_server(receiver, args.host, args.port)
    sys.stderr.write(
        f"syncwatch: receiving Kombo webhooks at http://{args.host}:{args.port}{WEBHOOK_PATH} "
        f"into {store.engine.url.render_as_string(hide_password=True)}\n"
    )
    # uvicorn shuts down gracefully on SIGINT/SIGTERM and then raises the signal again for
    # the handler that was there before; with this one, that ends in exit 0, not a kill.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: None)
    server.run()
    return 0


def cmd_events(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    if args.events_command == "replay":
        return _replay(store, args)
    return _list(store, args)


def _replay(store: Store, args: argparse.Namespace) -> int:
    from syncwatch.kombo.apply import replay
    from syncwatch.store import Store, database_url

    source_url = database_url(args.source)
    if source_url.startswith("sqlite"):
        path = source_url.split("///", 1)[-1]
        if not Path(path).is_file():
            raise _cli_error(f"--from: no database file at {path}")
    if source_url == store.engine.url.render_as_string(hide_password=False):
        raise _cli_error("--from names the target database itself; replay into another --db")
    source = Store.open(source_url)
    try:
        report = replay(source, store)
    finally:
        source.close()
    outcomes = ", ".join(f"{n} {k}" for k, n in sorted(report.outcomes.items())) or "none"
    sys.stdout.write(
        f"Replayed {report.replayed} event(s) ({outcomes}); {report.duplicates} already "
        f"present; {report.transitions} transition(s).\n"
    )
    for event_id in report.unreadable:
        sys.stderr.write(f"syncwatch: stored event {event_id!r} no longer parses; skipped\n")
    return 0


def _list(store: Store, args: argparse.Namespace) -> int:
    from syncwatch.kombo.apply import stored_events

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
        json.dump(docs, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    for e in events:
        sys.stdout.write(
            f"{iso(e.received_at)}  {e.id:<26} {e.type:<26} {e.outcome:<8} "
            f"{e.integration_id or '-'}\n"
        )
    if not events:
        sys.stdout.write("No webhook events stored.\n")
    return 0


def cmd_watch(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """Print transitions as they are recorded, until a signal or the reader goes away."""
    from syncwatch.kombo.watch import follow, transition_json, transition_text

    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for record in follow(store, args.since, stop, args.poll):
            if args.json:
                line = json.dumps(transition_json(record), ensure_ascii=False)
            else:
                line = transition_text(record)
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (| head, a closed pipe): done, quietly. Point stdout at
        # /dev/null so the interpreter's final flush does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 0
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return 0
