"""``relink-link`` and ``trigger-sync``: asking Kombo for a reconnection link or a sync.

Both need remote actions on (``SYNCWATCH_KOMBO_REMOTE=1`` and ``KOMBO_API_KEY``): they have
no local meaning. Which integrations each is for is decided in
:mod:`syncwatch.upstream_requests`; the calls and the audit entry in
:mod:`syncwatch.kombo.requests`. Exit codes as for the operator actions: 1 refused (by the
check or by Kombo) or an unknown id, 2 for remote actions off or misconfigured.
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from syncwatch.cli.actions import operator_of
from syncwatch.cli.common import out
from syncwatch.cli.errors import EXIT_OK, EXIT_REFUSED, CliError, err
from syncwatch.clock import Clock
from syncwatch.upstream_requests import SYNC_ADVICE  # light: --help shows it

if TYPE_CHECKING:
    from syncwatch.cli.args import Subcommands
    from syncwatch.db import Store
    from syncwatch.kombo.remote import KomboRemote


def add_request_parsers(sub: Subcommands) -> None:
    """``relink-link ID [--magic]`` and ``trigger-sync ID [--full]``."""
    p = sub.add_parser(
        "relink-link",
        help="Ask Kombo for a reconnection link (integrations failing authentication)",
        description="Ask Kombo for a link the customer opens to give the integration new "
        "credentials, and print it (stdout holds the link alone). Only for an integration "
        "failing authentication or with invalid credentials. Recorded in the audit log "
        "(who, when, the kind of link); the link itself is never stored. Needs "
        "SYNCWATCH_KOMBO_REMOTE=1 and KOMBO_API_KEY.",
    )
    p.add_argument("id", metavar="ID")
    p.add_argument(
        "--magic",
        action="store_true",
        help="a magic link to send to the customer, valid 1 year (default: an embedded "
        "link for Kombo Connect in your app, valid 1 hour)",
    )
    p.set_defaults(run=cmd_relink_link)
    p = sub.add_parser(
        "trigger-sync",
        help="Ask Kombo to sync an integration now (after a fix)",
        description="Ask Kombo to sync the integration now (a delta sync unless --full). "
        f"{SYNC_ADVICE} Refused for deleted, inactive and invalid-credentials integrations. "
        "Recorded in the audit log. Needs SYNCWATCH_KOMBO_REMOTE=1 and KOMBO_API_KEY.",
    )
    p.add_argument("id", metavar="ID")
    p.add_argument("--full", action="store_true", help="a full sync (default: delta)")
    p.set_defaults(run=cmd_trigger_sync)


def _remote(command: str) -> KomboRemote:
    """The Kombo client, or a one-line usage error saying what to set (exit 2)."""
    from syncwatch.kombo.remote import (
        ENV_API_KEY,
        ENV_REMOTE,
        KomboConfigError,
        remote_from_env,
    )

    try:
        remote = remote_from_env(os.environ)
    except KomboConfigError as error:
        raise CliError(f"{command}: {error}") from None
    if remote is None:
        raise CliError(
            f"{command} asks Kombo, and remote actions are off: set {ENV_REMOTE}=1 and "
            f"{ENV_API_KEY} (see docs/kombo.md)"
        )
    return remote


def cmd_relink_link(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """Print a new reconnection link (stdout: the link alone; what it is on stderr)."""
    from syncwatch.actions import ActionRefused
    from syncwatch.clock import iso
    from syncwatch.kombo.requests import create_reconnection_link
    from syncwatch.present import safe_text
    from syncwatch.upstream_requests import LinkType

    actor = operator_of(args)
    link_type = LinkType.MAGIC_LINK if args.magic else LinkType.EMBEDDED
    remote = _remote("relink-link")
    try:
        link = create_reconnection_link(store, remote, args.id, link_type, clock.now(), actor)
    except ActionRefused as why:
        err(f"relink-link refused: {safe_text(str(why))}")
        return EXIT_REFUSED
    finally:
        remote.close()
    row = store.get(link.integration_id)
    name = f"{safe_text(row.organization)} ({safe_text(row.id)})" if row else link.integration_id
    use = (
        "send it to the customer"
        if link_type is LinkType.MAGIC_LINK
        else "open it with Kombo Connect in your app"
    )
    err(
        f"{link_type.label} for {name}, valid {link_type.validity_text} "
        f"(until {iso(link.expires_at)}); {use}. Anyone holding it can reconnect the "
        "integration: syncwatch does not keep it."
    )
    out(safe_text(link.url))
    return EXIT_OK


def cmd_trigger_sync(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """Ask Kombo for a sync; say what it will run, and its advice."""
    from syncwatch.actions import ActionRefused
    from syncwatch.kombo.requests import trigger_sync
    from syncwatch.present import safe_text
    from syncwatch.upstream_requests import SyncType

    actor = operator_of(args)
    asked = SyncType.FULL if args.full else SyncType.DELTA
    remote = _remote("trigger-sync")
    try:
        done = trigger_sync(store, remote, args.id, asked, clock.now(), actor)
    except ActionRefused as why:
        err(f"trigger-sync refused: {safe_text(str(why))}")
        return EXIT_REFUSED
    finally:
        remote.close()
    row = store.get(done.integration_id)
    name = f"{safe_text(row.organization)} ({safe_text(row.id)})" if row else done.integration_id
    kind = done.type.value.lower()
    sync = safe_text(done.sync_id)
    if done.already_queued:
        text = (
            f"{name}: a {kind} sync was already queued or running ({sync}); Kombo made no new one."
        )
    else:
        text = f"{name}: Kombo queued a {kind} sync ({sync})."
    if done.type is not done.requested:
        text += f" ({done.requested.value.lower()} was asked; Kombo chose {kind}.)"
    out(text)
    out(f"Kombo's advice: {SYNC_ADVICE}")
    return EXIT_OK
