"""Asking Kombo for a reconnection link or a sync, and recording that it was asked.

Both go: the integration (unknown: :class:`~syncwatch.actions.UnknownIntegration`), the one
check of :mod:`syncwatch.upstream_requests` (refused:
:class:`~syncwatch.actions.ActionRefused`, Kombo not asked), whether the database can take
the audit entry (:class:`~syncwatch.db.ReadOnlyDatabase`, ``ClockBehind``: Kombo not asked),
then Kombo (:class:`KomboRemote`: refused, failed or timed out, it raises
:class:`~syncwatch.actions.ActionRefused` with Kombo's reason and nothing is recorded), then
one audit entry (:func:`syncwatch.db.actions.record_request`). The command line
(``relink-link``, ``trigger-sync``) and the UI's gateway call these.
"""

from __future__ import annotations

from datetime import datetime

from syncwatch.actions import ActionRefused, RemoteRefused, UnknownIntegration
from syncwatch.clock import to_utc
from syncwatch.db import Store
from syncwatch.db.actions import record_request
from syncwatch.kombo.remote import KomboRemote
from syncwatch.redact import redact
from syncwatch.rows import IntegrationRow
from syncwatch.upstream_requests import (
    AUDIT_NAMES,
    LinkType,
    ReconnectionLink,
    SyncTriggered,
    SyncType,
    why_no_link,
    why_no_sync,
)

__all__ = ["create_reconnection_link", "trigger_sync"]


def _allowed(why: str | None) -> None:
    if why is not None:
        raise ActionRefused(why)


def _row(store: Store, integration_id: str) -> IntegrationRow:
    row = store.get(integration_id)
    if row is None:
        raise UnknownIntegration(integration_id)
    return row


def create_reconnection_link(
    store: Store,
    remote: KomboRemote,
    integration_id: str,
    link_type: LinkType,
    now: datetime,
    actor: str,
) -> ReconnectionLink:
    """A reconnection link for the integration, made by Kombo, and audited as made by
    ``actor`` (its type in the action's name; the URL is not stored anywhere)."""
    now = to_utc(now)
    who = redact(actor)
    row = _row(store, integration_id)
    _allowed(why_no_link(row, now))
    store.check_writable(now)
    try:
        url = remote.create_reconnection_link(row, link_type)
    except RemoteRefused as err:
        raise ActionRefused(str(err)) from None
    at = record_request(store, row.id, AUDIT_NAMES[link_type], now=now, actor=who)
    return ReconnectionLink(row.id, link_type, at or now, url)


def trigger_sync(
    store: Store,
    remote: KomboRemote,
    integration_id: str,
    sync_type: SyncType,
    now: datetime,
    actor: str,
) -> SyncTriggered:
    """Ask Kombo to sync the integration now, and audit it as asked by ``actor``."""
    now = to_utc(now)
    who = redact(actor)
    row = _row(store, integration_id)
    _allowed(why_no_sync(row, now))
    store.check_writable(now)
    try:
        ran, queued, sync_id = remote.trigger_sync(row, sync_type)
    except RemoteRefused as err:
        raise ActionRefused(str(err)) from None
    at = record_request(store, row.id, AUDIT_NAMES[sync_type], now=now, actor=who)
    return SyncTriggered(row.id, sync_type, ran, queued, sync_id, at or now)
