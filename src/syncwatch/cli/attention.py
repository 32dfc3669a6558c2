"""``ack``, ``unack``, ``snooze`` and ``unsnooze``: who is on an integration, and silencing
its notifications for a while.

What they mean is in :mod:`syncwatch.attention` (and docs/ack.md); the checks and writes in
:mod:`syncwatch.ack_actions`. Exit codes as for the operator actions: 1 refused or an
unknown id, 2 bad usage (a bad duration or note) or a database that cannot be written.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from syncwatch.cli.actions import operator_of
from syncwatch.cli.common import out
from syncwatch.cli.errors import EXIT_OK, EXIT_REFUSED, CliError, err
from syncwatch.clock import Clock

if TYPE_CHECKING:
    from syncwatch.cli.args import Subcommands
    from syncwatch.db import Store
    from syncwatch.rows import IntegrationRow


def snooze_duration(text: str) -> timedelta:
    """The argparse type of ``snooze``'s DURATION: ``30m``, ``2h``, ``1d`` (1 minute to 7
    days), else a usage error naming what is wrong (exit 2)."""
    from syncwatch.attention import parse_snooze

    try:
        return parse_snooze(text)
    except ValueError as why:
        raise argparse.ArgumentTypeError(str(why)) from None


def add_attention_parsers(sub: Subcommands) -> None:
    """``ack ID [--note TEXT]``, ``unack ID``, ``snooze ID DURATION``, ``unsnooze ID``."""
    p = sub.add_parser(
        "ack",
        help="Acknowledge an integration: you are on it (silences it until it gets worse)",
        description="Record that you are on the integration, in the state it is in now, with "
        "an optional note. Everyone using the database sees who and since when; its "
        "notifications stay silent until its state gets worse than the state "
        "acknowledged. Audited. See docs/ack.md.",
    )
    p.add_argument("id", metavar="ID")
    p.add_argument("--note", metavar="TEXT", help="a short note (at most 500 characters)")
    p.set_defaults(run=cmd_ack)
    p = sub.add_parser("unack", help="Remove an integration's acknowledgement")
    p.add_argument("id", metavar="ID")
    p.set_defaults(run=cmd_unack)
    p = sub.add_parser(
        "snooze",
        help="Silence an integration's notifications for a while (30m, 2h, 1d)",
        description="Silence the integration's notifications (the UI's notices, watch's "
        "hooks) for DURATION from now: 1 minute to 7 days, e.g. 30m, 2h, 1d, 1d12h. "
        "Audited. See docs/ack.md.",
    )
    p.add_argument("id", metavar="ID")
    p.add_argument("duration", metavar="DURATION", type=snooze_duration)
    p.set_defaults(run=cmd_snooze)
    p = sub.add_parser("unsnooze", help="End an integration's snooze now")
    p.add_argument("id", metavar="ID")
    p.set_defaults(run=cmd_unsnooze)


def _name(row: IntegrationRow) -> str:
    from syncwatch.present import safe_text

    return f"{safe_text(row.organization)} ({safe_text(row.id)})"


def _run(
    command: str, call: Callable[[], tuple[IntegrationRow, datetime]]
) -> tuple[IntegrationRow, datetime] | None:
    """Run ``call``; ``None`` after saying why it was refused (exit 1); a database that
    cannot be written is a one-line error (exit 2)."""
    from syncwatch.actions import ActionRefused, UnknownIntegration
    from syncwatch.db import ClockBehind, ReadOnlyDatabase
    from syncwatch.present import safe_text

    try:
        return call()
    except UnknownIntegration as why:
        err(f"no integration with id {safe_text(why.integration_id)!r}")
        return None
    except ActionRefused as why:
        err(f"{command} refused: {safe_text(str(why))}")
        return None
    except (ReadOnlyDatabase, ClockBehind) as why:
        raise CliError(f"{command} refused: {why}; nothing changed") from None


def cmd_ack(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """Acknowledge one integration."""
    from syncwatch.ack_actions import acknowledge
    from syncwatch.attention import BadNote, check_note
    from syncwatch.present import safe_text

    actor = operator_of(args)
    try:
        note = check_note(args.note)
    except BadNote as why:
        raise CliError(f"ack --note: {why}; nothing changed") from None
    done = _run("ack", lambda: acknowledge(store, args.id, clock.now(), actor, note))
    if done is None:
        return EXIT_REFUSED
    row, _ = done
    state = row.state.label if row.state is not None else "(new)"
    said = f": {safe_text(note)}" if note else ""
    out(f"{_name(row)}: acknowledged by {safe_text(actor)} ({state}){said}.")
    out("Its notifications stay silent until its state gets worse.")
    return EXIT_OK


def cmd_unack(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """Remove one integration's acknowledgement."""
    from syncwatch.ack_actions import unacknowledge

    return _undo("unack", unacknowledge, store, clock, args, "acknowledgement removed.")


def cmd_snooze(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """Snooze one integration's notifications."""
    from syncwatch.ack_actions import snooze
    from syncwatch.present import fmt_duration, fmt_time

    actor = operator_of(args)
    duration: timedelta = args.duration
    done = _run("snooze", lambda: snooze(store, args.id, duration, clock.now(), actor))
    if done is None:
        return EXIT_REFUSED
    row, at = done
    until = at + duration
    out(
        f"{_name(row)}: notifications snoozed for {fmt_duration(duration)}, "
        f"until {fmt_time(until, at)} UTC."
    )
    return EXIT_OK


def cmd_unsnooze(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """End one integration's snooze."""
    from syncwatch.ack_actions import unsnooze

    said = "snooze ended; its notifications are back on."
    return _undo("unsnooze", unsnooze, store, clock, args, said)


def _undo(
    command: str,
    undo: Callable[[Store, str, datetime, str], tuple[IntegrationRow, datetime]],
    store: Store,
    clock: Clock,
    args: argparse.Namespace,
    said: str,
) -> int:
    """``unack`` and ``unsnooze``: run ``undo`` on the one integration, say ``said``."""
    actor = operator_of(args)
    done = _run(command, lambda: undo(store, args.id, clock.now(), actor))
    if done is None:
        return EXIT_REFUSED
    out(f"{_name(done[0])}: {said}")
    return EXIT_OK
