"""SQLModel tables, nothing else. Every stored time is timezone-aware UTC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, false, text
from sqlmodel import Field, SQLModel


class Integration(SQLModel, table=True):
    """An integration: its facts, the sticky facts the evaluator sets, and its shown state."""

    __tablename__ = "integration"
    __table_args__ = (
        Index("ix_integration_due", "dirty", "next_due_at"),
        Index("ix_integration_revision", "revision"),
    )

    id: str = Field(primary_key=True)
    tool: str
    category: str
    organization: str
    environment: str = "production"
    created_at: datetime

    enabled: bool = True
    filters_configured: bool = False
    last_api_request_at: datetime | None = None
    last_reactivated_at: datetime | None = None
    credentials_updated_at: datetime | None = None
    deleted_at: datetime | None = None

    # Sticky facts, set by the evaluator and kept until an operator acts.
    qa_status: str | None = None
    credentials_invalid_at: datetime | None = None
    disabled_reason: str | None = None
    disabled_at: datetime | None = None
    purged_at: datetime | None = None

    # The state shown, as of the last evaluation.
    state: str | None = None
    state_reason: str | None = None
    state_since: datetime | None = None
    evaluated_at: datetime | None = None

    # The last finished sync, kept here so the list needs no join.
    last_sync_id: str | None = None
    last_sync_state: str | None = None
    last_sync_ended_at: datetime | None = None
    last_sync_warnings: int = 0
    last_sync_errors: int = 0

    #: The fact fields as the last import gave them (JSON): a re-import changes only what
    #: changed at the source, never what the evaluator or an operator decided since.
    imported_facts: str | None = None

    # Incremental evaluation: re-evaluate when dirty or when the next deadline has come.
    dirty: bool = True
    next_due_at: datetime | None = None
    #: The earliest end of the syncs written since the last evaluation: the next replay of
    #: the history starts there when it is before the last evaluation (a late sync).
    replay_from: datetime | None = None
    # The change feed: the store-wide revision of the last visible change to this row.
    revision: int = 0

    # Kombo: what Kombo last reported (webhooks and `pull`).
    #: ``updated_at`` of the newest applied integration-state-changed event: older ones are
    #: stale and never roll the facts back.
    kombo_updated_at: datetime | None = None
    #: ACTIVE | INVALID | INACTIVE, as Kombo last reported it.
    upstream_status: str | None = None
    #: The last successful pull of this integration's details.
    upstream_checked_at: datetime | None = None
    #: When a pull was answered 404: the integration is gone upstream.
    upstream_gone_at: datetime | None = None


class Sync(SQLModel, table=True):
    """One sync run of an integration, with counts of its warnings and errors."""

    __tablename__ = "sync"
    __table_args__ = (
        Index("ix_sync_integration_ended", "integration_id", "ended_at"),
        Index("ix_sync_integration_started", "integration_id", "started_at"),
    )

    id: str = Field(primary_key=True)
    integration_id: str = Field(foreign_key="integration.id")
    type: str = "DELTA"
    state: str
    started_at: datetime
    ended_at: datetime | None = None
    warnings: int = 0
    errors: int = 0
    #: The first error (else warning) message: what the reason quotes.
    headline: str | None = None
    #: Kombo's page with this sync's logs (from the sync-finished webhook), redacted.
    log_url: str | None = None
    #: The signature (:func:`syncwatch.signatures.signature`) of the headline's log line:
    #: what the outage rule compares across a tool's integrations.
    signature: str | None = None


class LogEntry(SQLModel, table=True):
    """One line of a sync's log. The message is redacted before it is stored."""

    __tablename__ = "log_entry"
    __table_args__ = (
        Index("ix_log_sync_at", "sync_id", "at"),
        Index("ix_log_integration_at", "integration_id", "at"),
        # The fleet's errors by signature: warnings and errors only (INFO lines have none).
        Index(
            "ix_log_signature",
            "signature",
            "level",
            "integration_id",
            "at",
            sqlite_where=text("signature IS NOT NULL"),
            postgresql_where=text("signature IS NOT NULL"),
        ),
    )

    #: Given in the file, or derived from the entry's content (see the importer).
    id: str = Field(primary_key=True)
    sync_id: str = Field(foreign_key="sync.id")
    integration_id: str = Field(foreign_key="integration.id")
    at: datetime
    level: str
    message: str
    field: str | None = None
    #: The message's signature (:func:`syncwatch.signatures.signature`) for warnings and
    #: errors; ``None`` for INFO lines.
    signature: str | None = None


class StateChange(SQLModel, table=True):
    """One entry of an integration's state history."""

    __tablename__ = "state_change"
    __table_args__ = (
        Index("ix_state_change_integration", "integration_id", "id"),
        # The fleet's activity feed reads the newest first across integrations.
        Index("ix_state_change_at", "at", "integration_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    integration_id: str = Field(foreign_key="integration.id")
    from_state: str | None = None
    to_state: str
    #: When it happened by the rules (a sync's end, a mark, an action).
    at: datetime
    reason: str
    #: When syncwatch learned of it (the evaluation that recorded it): later than ``at`` for
    #: data that arrived late.
    recorded_at: datetime
    #: It rewrote history recorded before (a sync arrived late and the rules now say
    #: otherwise): not news.
    correction: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class AuditEntry(SQLModel, table=True):
    """One operator action: who, what, when, and the state before and after."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_integration", "integration_id", "id"),
        # The activity feed reads newest first, across the fleet.
        Index("ix_audit_at", "at", "integration_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    integration_id: str = Field(foreign_key="integration.id")
    #: Who acted: ``--operator``, else ``SYNCWATCH_OPERATOR``, else the login name.
    actor: str
    action: str
    at: datetime
    state_before: str | None = None
    state_after: str | None = None
    #: The database role that wrote it (PostgreSQL's ``current_user``; None on SQLite and
    #: for entries recorded before revision 0006).
    db_role: str | None = None


class Event(SQLModel, table=True):
    """Something engineering is told about (a QA hold, invalid credentials, a purge)."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_integration", "integration_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    integration_id: str = Field(foreign_key="integration.id")
    kind: str
    at: datetime
    message: str


class WebhookEvent(SQLModel, table=True):
    """One accepted Kombo webhook, stored as received, for audit and replay."""

    __tablename__ = "webhook_event"
    __table_args__ = (Index("ix_webhook_event_seq", "seq"),)

    #: Kombo's event id: a redelivery of the same id is acknowledged and applied once.
    id: str = Field(primary_key=True)
    #: The order events were received in (replay applies them in this order; times can tie).
    seq: int = Field(default=0)
    type: str
    received_at: datetime
    #: The request body as received (UTF-8); see the README on what is redacted.
    body: str
    #: applied | ignored (unknown type, nothing to do) | stale (older than what we have).
    outcome: str
    integration_id: str | None = Field(default=None, index=True)


class IntegrationIssue(SQLModel, table=True):
    """An issue Kombo raised (and maybe resolved) for an integration, or environment-wide."""

    __tablename__ = "integration_issue"

    id: str = Field(primary_key=True)
    #: ``None`` for an environment-wide issue.
    integration_id: str | None = Field(default=None, index=True)
    type: str
    title: str
    #: OPEN | RESOLVED
    status: str
    #: What is wrong and how to fix it (markdown), redacted.
    message: str
    first_observed_at: datetime
    resolved_at: datetime | None = None
    updated_at: datetime


class Attention(SQLModel, table=True):
    """Who is on an integration (an acknowledgement) and whether its notifications are
    snoozed: a table of its own, so the list's fast reads of ``integration`` do not change.

    At most one row per integration; a row with neither an acknowledgement nor a snooze is
    deleted. The rules (what silences a notification, when an acknowledgement is stale) are
    in :mod:`syncwatch.attention`.
    """

    __tablename__ = "attention"

    integration_id: str = Field(foreign_key="integration.id", primary_key=True)
    acked_by: str | None = None
    acked_at: datetime | None = None
    #: The operator's note ("on it, waiting for the customer"), scrubbed and length-limited.
    ack_note: str | None = None
    #: The state acknowledged: a state worse than it makes the acknowledgement stale.
    ack_state: str | None = None
    snoozed_until: datetime | None = None
    snoozed_by: str | None = None
    snoozed_at: datetime | None = None
