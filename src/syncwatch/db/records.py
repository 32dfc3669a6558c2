"""Result rows turned into the plain row types of :mod:`syncwatch.rows`."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy.engine import Row

from syncwatch.evaluator import SyncFacts
from syncwatch.rows import (
    AuditRow,
    EventRow,
    HistoryRow,
    IntegrationRow,
    IssueRow,
    LogRow,
    StoredEvent,
    SyncRow,
)
from syncwatch.states import IntegrationState, QaStatus, SyncState


def integration_row(row: Row[Any]) -> IntegrationRow:
    """An integration from a row holding (at least) every column of the integration table."""
    m = row._mapping
    return IntegrationRow(
        id=m["id"],
        tool=m["tool"],
        category=m["category"],
        organization=m["organization"],
        environment=m["environment"],
        created_at=m["created_at"],
        enabled=bool(m["enabled"]),
        filters_configured=bool(m["filters_configured"]),
        qa_status=QaStatus(m["qa_status"]) if m["qa_status"] else None,
        credentials_invalid_at=m["credentials_invalid_at"],
        credentials_updated_at=m["credentials_updated_at"],
        last_api_request_at=m["last_api_request_at"],
        last_reactivated_at=m["last_reactivated_at"],
        disabled_reason=m["disabled_reason"],
        disabled_at=m["disabled_at"],
        deleted_at=m["deleted_at"],
        purged_at=m["purged_at"],
        state=IntegrationState(m["state"]) if m["state"] else None,
        state_reason=m["state_reason"],
        state_since=m["state_since"],
        evaluated_at=m["evaluated_at"],
        last_sync_id=m["last_sync_id"],
        last_sync_state=SyncState(m["last_sync_state"]) if m["last_sync_state"] else None,
        last_sync_ended_at=m["last_sync_ended_at"],
        last_sync_warnings=m["last_sync_warnings"] or 0,
        last_sync_errors=m["last_sync_errors"] or 0,
        next_due_at=m["next_due_at"],
        dirty=bool(m["dirty"]),
        revision=m["revision"] or 0,
    )


def sync_facts(r: Row[Any]) -> SyncFacts:
    """What the evaluator reads of a sync."""
    return SyncFacts(
        r.id,
        SyncState(r.state),
        r.started_at,
        r.ended_at,
        r.warnings,
        r.errors,
        r.headline,
    )


def _fields(r: Row[Any], cls: Any) -> dict[str, Any]:
    """The columns of ``r`` named like the fields of the dataclass ``cls``."""
    return {f.name: getattr(r, f.name) for f in dataclasses.fields(cls)}


def sync_row(r: Row[Any]) -> SyncRow:
    """A sync as the drill-down and ``show`` list it."""
    return SyncRow(**{**_fields(r, SyncRow), "state": SyncState(r.state)})


def log_row(r: Row[Any]) -> LogRow:
    """One log line."""
    return LogRow(r.id, r.sync_id, r.integration_id, r.at, r.level, r.message, r.field)


def history_row(r: Row[Any]) -> HistoryRow:
    """One entry of the state history."""
    return HistoryRow(
        IntegrationState(r.from_state) if r.from_state else None,
        IntegrationState(r.to_state),
        r.at,
        r.reason,
        bool(getattr(r, "correction", False)),
        getattr(r, "recorded_at", None),
    )


def audit_row(r: Row[Any]) -> AuditRow:
    """One entry of the audit log."""
    return AuditRow(
        r.integration_id, r.actor, r.action, r.at, r.state_before, r.state_after, r.db_role
    )


def event_row(r: Row[Any]) -> EventRow:
    """One event engineering was notified of."""
    return EventRow(r.integration_id, r.kind, r.at, r.message)


def issue_row(r: Row[Any]) -> IssueRow:
    """One Kombo issue."""
    return IssueRow(**_fields(r, IssueRow))


def stored_event(r: Row[Any]) -> StoredEvent:
    """One stored Kombo webhook."""
    return StoredEvent(r.id, r.seq, r.type, r.received_at, r.body, r.outcome, r.integration_id)
