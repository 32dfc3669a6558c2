"""What an operator may ask Kombo for besides the operator actions: a reconnection link for
the customer, and a sync now. Pure: which integrations each is for (the one check, called by
the command line and the UI alike), the names they are audited under, how they read, and
Kombo's own advice about triggering syncs.

Neither changes a fact in syncwatch: a link lets the customer give new credentials (Kombo
then reports the integration valid again, by webhook or ``pull``), and a sync's result
arrives as any other sync does. Each request Kombo accepted is recorded in the audit log
(who, when, the state it was in) under the names of :data:`AUDIT_NAMES`; the link itself
is never stored (see :class:`ReconnectionLink`). The calls are in
:mod:`syncwatch.kombo.requests`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from syncwatch.rows import IntegrationRow
from syncwatch.states import IntegrationState

__all__ = [
    "AUDIT_NAMES",
    "SYNC_ADVICE",
    "LinkType",
    "ReconnectionLink",
    "SyncTriggered",
    "SyncType",
    "request_expiry",
    "request_label",
    "why_no_link",
    "why_no_sync",
]


class LinkType(StrEnum):
    """Kombo's two kinds of reconnection link (``link_type`` of ``create_reconnection_link``)."""

    #: For Kombo Connect's embedded flow in one's own app; valid one hour.
    EMBEDDED = "EMBEDDED"
    #: To send to the customer by hand (mail, chat); valid one year.
    MAGIC_LINK = "MAGIC_LINK"

    @property
    def validity(self) -> timedelta:
        """How long Kombo keeps the link valid (its API documentation; the answer does not
        say)."""
        return timedelta(hours=1) if self is LinkType.EMBEDDED else timedelta(days=365)

    @property
    def label(self) -> str:
        return "embedded link" if self is LinkType.EMBEDDED else "magic link"

    @property
    def validity_text(self) -> str:
        return "1 hour" if self is LinkType.EMBEDDED else "1 year"


class SyncType(StrEnum):
    """The kind of sync to trigger (``type`` of ``trigger_sync``)."""

    FULL = "FULL"
    DELTA = "DELTA"


#: The audit log's action names of the requests (``audit_entry.action``): the kind of link
#: or sync is in the name, so the audit says what was asked without a column of its own.
AUDIT_NAMES: dict[LinkType | SyncType, str] = {
    LinkType.EMBEDDED: "relink-link-embedded",
    LinkType.MAGIC_LINK: "relink-link-magic",
    SyncType.FULL: "trigger-sync-full",
    SyncType.DELTA: "trigger-sync-delta",
}
_BY_NAME = {name: kind for kind, name in AUDIT_NAMES.items()}
_LABELS: dict[LinkType | SyncType, str] = {
    LinkType.EMBEDDED: "Reconnection link (embedded, valid 1 hour)",
    LinkType.MAGIC_LINK: "Reconnection link (magic link, valid 1 year)",
    SyncType.FULL: "Trigger sync (full)",
    SyncType.DELTA: "Trigger sync (delta)",
}

#: Kombo's advice on ``trigger_sync`` (its API documentation and the SDK's docstring say:
#: "it is **not** necessary nor recommended to call this endpoint periodically on your side.
#: Kombo already performs periodic syncs for you and you should only trigger syncs yourself
#: in special cases"), in one line.
SYNC_ADVICE = (
    "Kombo syncs every integration periodically on its own; trigger a sync only for a "
    "reason (after fixing credentials, permissions or filters), never on a schedule."
)

#: The states a reconnection link is for: the credentials no longer authenticate.
LINK_STATES = frozenset(
    {IntegrationState.AUTHENTICATION_FAILING, IntegrationState.CREDENTIALS_INVALID}
)


def request_label(action: str) -> str | None:
    """How an audited request reads (``Trigger sync (full)``), or ``None`` when ``action``
    is not one of :data:`AUDIT_NAMES`."""
    kind = _BY_NAME.get(action)
    return None if kind is None else _LABELS[kind]


def request_expiry(action: str, at: datetime) -> datetime | None:
    """When the link an audited request created stops working (``None``: not a link)."""
    kind = _BY_NAME.get(action)
    return at + kind.validity if isinstance(kind, LinkType) else None


def _name(row: IntegrationRow) -> str:
    return f"{row.organization} ({row.id})"


def _deleted(row: IntegrationRow, now: datetime | None) -> bool:
    return row.facts.deleted_by(now) if now is not None else row.deleted


def _credentials_failing(row: IntegrationRow) -> bool:
    """Whether the credentials do not work (:func:`syncwatch.actions.credentials_failing`)."""
    from syncwatch.actions import credentials_failing

    return credentials_failing(row)


def why_no_link(row: IntegrationRow, now: datetime | None = None) -> str | None:
    """Why a reconnection link is not for ``row`` (one line), or ``None`` when it is: an
    integration whose credentials do not work (failing authentication, invalid, also when
    another state shows first such as a QA hold or Inactive), and not deleted."""
    if _deleted(row, now):
        return f"{_name(row)} is deleted; Kombo has no integration to reconnect."
    if _credentials_failing(row):
        return None
    shown = row.state.label if row.state is not None else "not evaluated yet"
    return (
        f"{_name(row)} is {shown}, not failing authentication: a reconnection link is for "
        "credentials that no longer work."
    )


def why_no_sync(row: IntegrationRow, now: datetime | None = None) -> str | None:
    """Why a sync cannot be triggered for ``row`` (one line), or ``None`` when it can: not
    deleted, enabled, and its credentials not invalid (Kombo pauses its syncs then)."""
    if _deleted(row, now):
        return f"{_name(row)} is deleted; it syncs no more."
    if not row.enabled:
        return f"{_name(row)} is inactive; reactivate it first (syncwatch reactivate {row.id})."
    if row.credentials_invalid_at is not None:
        return (
            f"{_name(row)} has invalid credentials, so its syncs are paused; send a "
            f"reconnection link (syncwatch relink-link {row.id} --magic) or update them first."
        )
    return None


@dataclass(frozen=True, slots=True)
class ReconnectionLink:
    """A link Kombo created. The URL lets whoever holds it give the integration new
    credentials (a magic link for a year): it is shown or copied once and never stored,
    logged or kept in ``repr``."""

    integration_id: str
    link_type: LinkType
    created_at: datetime
    url: str = field(repr=False)

    @property
    def expires_at(self) -> datetime:
        return self.created_at + self.link_type.validity


@dataclass(frozen=True, slots=True)
class SyncTriggered:
    """What Kombo said to a sync trigger."""

    integration_id: str
    requested: SyncType
    #: The type Kombo will run: may differ (no delta syncs for this tool, or one running).
    type: SyncType
    #: A sync of that type was already running or queued: no new one was made.
    already_queued: bool
    sync_id: str
    at: datetime
