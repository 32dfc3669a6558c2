"""The first released schema: what Store created at commit d575bf2.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Databases made by that version carry no ``alembic_version`` table; syncwatch recognises
them by their tables and stamps them 0001 before upgrading (see ``syncwatch.migrations``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# The DDL SQLModel emitted for ``str`` and aware ``datetime`` fields (AutoString, UTCDateTime).
TEXT = sa.String
TIME = sa.DateTime(timezone=True)


def _fk_integration() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["integration_id"], ["integration.id"])


def upgrade() -> None:
    op.create_table(
        "integration",
        sa.Column("id", TEXT(), nullable=False),
        sa.Column("tool", TEXT(), nullable=False),
        sa.Column("category", TEXT(), nullable=False),
        sa.Column("organization", TEXT(), nullable=False),
        sa.Column("environment", TEXT(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("filters_configured", sa.Boolean(), nullable=False),
        sa.Column("last_api_request_at", TIME, nullable=True),
        sa.Column("last_reactivated_at", TIME, nullable=True),
        sa.Column("credentials_updated_at", TIME, nullable=True),
        sa.Column("deleted_at", TIME, nullable=True),
        sa.Column("qa_status", TEXT(), nullable=True),
        sa.Column("credentials_invalid_at", TIME, nullable=True),
        sa.Column("disabled_reason", TEXT(), nullable=True),
        sa.Column("disabled_at", TIME, nullable=True),
        sa.Column("purged_at", TIME, nullable=True),
        sa.Column("state", TEXT(), nullable=True),
        sa.Column("state_reason", TEXT(), nullable=True),
        sa.Column("state_since", TIME, nullable=True),
        sa.Column("evaluated_at", TIME, nullable=True),
        sa.Column("last_sync_id", TEXT(), nullable=True),
        sa.Column("last_sync_state", TEXT(), nullable=True),
        sa.Column("last_sync_ended_at", TIME, nullable=True),
        sa.Column("last_sync_warnings", sa.Integer(), nullable=False),
        sa.Column("last_sync_errors", sa.Integer(), nullable=False),
        sa.Column("imported_facts", TEXT(), nullable=True),
        sa.Column("dirty", sa.Boolean(), nullable=False),
        sa.Column("next_due_at", TIME, nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_integration_due", "integration", ["dirty", "next_due_at"])
    op.create_index("ix_integration_revision", "integration", ["revision"])

    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", TEXT(), nullable=False),
        sa.Column("actor", TEXT(), nullable=False),
        sa.Column("action", TEXT(), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("state_before", TEXT(), nullable=True),
        sa.Column("state_after", TEXT(), nullable=True),
        _fk_integration(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_integration", "audit_entry", ["integration_id", "id"])

    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", TEXT(), nullable=False),
        sa.Column("kind", TEXT(), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("message", TEXT(), nullable=False),
        _fk_integration(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_event_integration", "event", ["integration_id", "id"])

    op.create_table(
        "state_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", TEXT(), nullable=False),
        sa.Column("from_state", TEXT(), nullable=True),
        sa.Column("to_state", TEXT(), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("reason", TEXT(), nullable=False),
        _fk_integration(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_state_change_integration", "state_change", ["integration_id", "id"])

    op.create_table(
        "sync",
        sa.Column("id", TEXT(), nullable=False),
        sa.Column("integration_id", TEXT(), nullable=False),
        sa.Column("type", TEXT(), nullable=False),
        sa.Column("state", TEXT(), nullable=False),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("ended_at", TIME, nullable=True),
        sa.Column("warnings", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("headline", TEXT(), nullable=True),
        _fk_integration(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sync_integration_ended", "sync", ["integration_id", "ended_at"])
    op.create_index("ix_sync_integration_started", "sync", ["integration_id", "started_at"])

    op.create_table(
        "log_entry",
        sa.Column("id", TEXT(), nullable=False),
        sa.Column("sync_id", TEXT(), nullable=False),
        sa.Column("integration_id", TEXT(), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("level", TEXT(), nullable=False),
        sa.Column("message", TEXT(), nullable=False),
        sa.Column("field", TEXT(), nullable=True),
        _fk_integration(),
        sa.ForeignKeyConstraint(["sync_id"], ["sync.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_log_integration_at", "log_entry", ["integration_id", "at"])
    op.create_index("ix_log_sync_at", "log_entry", ["sync_id", "at"])


def downgrade() -> None:
    for table in ("log_entry", "sync", "state_change", "event", "audit_entry", "integration"):
        op.drop_table(table)
