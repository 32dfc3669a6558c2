"""The tables, under their names: the SQLAlchemy ``Table`` of each model in
:mod:`syncwatch.models`, for building queries inside :mod:`syncwatch.db`."""

from __future__ import annotations

import sqlalchemy as sa

from syncwatch.models import (
    Attention,
    AuditEntry,
    Event,
    Integration,
    IntegrationIssue,
    LogEntry,
    StateChange,
    Sync,
    WebhookEvent,
)

__all__ = [
    "attention",
    "audit_entries",
    "events",
    "integrations",
    "issues",
    "log_entries",
    "state_changes",
    "syncs",
    "webhook_events",
]


def _table(model: type) -> sa.Table:
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    return table


integrations = _table(Integration)
syncs = _table(Sync)
log_entries = _table(LogEntry)
#: The state history: one row per transition (``seq`` is its id).
state_changes = _table(StateChange)
#: The audit log of operator actions.
audit_entries = _table(AuditEntry)
#: What engineering was notified of (a QA hold, invalid credentials, a purge).
events = _table(Event)
#: Kombo's webhooks, stored as received.
webhook_events = _table(WebhookEvent)
#: The issues Kombo raised (and resolved).
issues = _table(IntegrationIssue)
#: Who acknowledged an integration, and until when it is snoozed.
attention = _table(Attention)
