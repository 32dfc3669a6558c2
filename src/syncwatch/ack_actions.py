"""Acknowledge, unacknowledge, snooze and unsnooze one integration: the checks, the write
and its audit entry. The command line and the UI's gateway call these; the rules are in
:mod:`syncwatch.attention`, the SQL in :mod:`syncwatch.db.attention`.

Each raises :class:`~syncwatch.actions.UnknownIntegration` for an unknown id and
:class:`~syncwatch.actions.ActionRefused` (nothing changed) when not allowed: a deleted
integration, ``unack`` of one nobody acknowledged, ``unsnooze`` of one not snoozed. A
read-only database raises what every write raises (:class:`~syncwatch.db.ReadOnlyDatabase`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from syncwatch.actions import ActionRefused, UnknownIntegration
from syncwatch.attention import AttentionMark, check_note, check_snooze, snoozed
from syncwatch.clock import to_utc
from syncwatch.rows import IntegrationRow
from syncwatch.timefmt import fmt_time

if TYPE_CHECKING:
    from syncwatch.db import Store

__all__ = ["AUDIT_LABELS", "acknowledge", "snooze", "unacknowledge", "unsnooze"]

#: The audit log's names of these actions, and how they read in the activity feed.
AUDIT_LABELS = {
    "ack": "Acknowledge",
    "unack": "Remove acknowledgement",
    "snooze": "Snooze",
    "unsnooze": "Unsnooze",
}


def _deleted(row: IntegrationRow, at: datetime) -> str | None:
    if row.facts.deleted_by(at) and row.deleted_at is not None:
        return (
            f"{row.organization} ({row.id}) was deleted {fmt_time(row.deleted_at)}; "
            "there is nothing to acknowledge or snooze."
        )
    return None


def _write(
    store: Store,
    integration_id: str,
    action: str,
    now: datetime,
    actor: str,
    check: Any,
    values: Any,
) -> tuple[IntegrationRow, datetime]:
    from syncwatch.db.attention import write_attention
    from syncwatch.redact import redact

    row, problem, at = write_attention(
        store,
        integration_id,
        action,
        check=check,
        values=values,
        now=to_utc(now),
        actor=redact(actor),
    )
    if row is None:
        raise UnknownIntegration(integration_id)
    if problem is not None:
        raise ActionRefused(problem)
    return row, at


def acknowledge(
    store: Store, integration_id: str, now: datetime, actor: str, note: str | None = None
) -> tuple[IntegrationRow, datetime]:
    """Record that ``actor`` is on the integration, in the state it is in now (replacing an
    earlier acknowledgement). Raises :class:`~syncwatch.attention.BadNote` before anything
    is written. Returns the integration and the time recorded."""
    from syncwatch.redact import redact

    text = check_note(note)
    stored_note = redact(text) if text is not None else None

    def values(row: IntegrationRow, at: datetime) -> dict[str, Any]:
        return {
            "acked_by": redact(actor),
            "acked_at": at,
            "ack_note": stored_note,
            "ack_state": row.state.value if row.state is not None else "ACTIVE",
        }

    return _write(
        store,
        integration_id,
        "ack",
        now,
        actor,
        lambda row, mark, at: _deleted(row, at),
        values,
    )


def unacknowledge(
    store: Store, integration_id: str, now: datetime, actor: str
) -> tuple[IntegrationRow, datetime]:
    """Remove the integration's acknowledgement (refused when there is none)."""

    def check(row: IntegrationRow, mark: AttentionMark, at: datetime) -> str | None:
        if mark.ack is None:
            return f"{row.organization} ({row.id}) is not acknowledged."
        return None

    return _write(
        store,
        integration_id,
        "unack",
        now,
        actor,
        check,
        lambda row, at: {"acked_by": None, "acked_at": None, "ack_note": None, "ack_state": None},
    )


def snooze(
    store: Store, integration_id: str, duration: timedelta, now: datetime, actor: str
) -> tuple[IntegrationRow, datetime]:
    """Silence the integration's notifications for ``duration`` from now (replacing an
    earlier snooze). ``ValueError`` for a duration out of range, before anything is
    written. Returns the integration and the time recorded (the snooze ends ``duration``
    after it)."""
    from syncwatch.redact import redact

    check_snooze(duration)
    return _write(
        store,
        integration_id,
        "snooze",
        now,
        actor,
        lambda row, mark, at: _deleted(row, at),
        lambda row, at: {
            "snoozed_until": at + duration,
            "snoozed_by": redact(actor),
            "snoozed_at": at,
        },
    )


def unsnooze(
    store: Store, integration_id: str, now: datetime, actor: str
) -> tuple[IntegrationRow, datetime]:
    """End the integration's snooze now (refused when it is not snoozed)."""

    def check(row: IntegrationRow, mark: AttentionMark, at: datetime) -> str | None:
        if not snoozed(mark.snooze, at):
            return f"{row.organization} ({row.id}) is not snoozed."
        return None

    return _write(
        store,
        integration_id,
        "unsnooze",
        now,
        actor,
        check,
        lambda row, at: {"snoozed_until": None, "snoozed_by": None, "snoozed_at": None},
    )
