"""Kombo (issue 6): webhook_event, integration_issue, sync.log_url, the upstream columns.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

The schema of commit 67fe50f. Every new column is nullable, so existing rows need no value.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TEXT = sa.String
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("integration") as batch:
        batch.add_column(sa.Column("kombo_updated_at", TIME, nullable=True))
        batch.add_column(sa.Column("upstream_status", TEXT(), nullable=True))
        batch.add_column(sa.Column("upstream_checked_at", TIME, nullable=True))
        batch.add_column(sa.Column("upstream_gone_at", TIME, nullable=True))
    with op.batch_alter_table("sync") as batch:
        batch.add_column(sa.Column("log_url", TEXT(), nullable=True))

    op.create_table(
        "webhook_event",
        sa.Column("id", TEXT(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", TEXT(), nullable=False),
        sa.Column("received_at", TIME, nullable=False),
        sa.Column("body", TEXT(), nullable=False),
        sa.Column("outcome", TEXT(), nullable=False),
        sa.Column("integration_id", TEXT(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhook_event_integration_id", "webhook_event", ["integration_id"])
    op.create_index("ix_webhook_event_seq", "webhook_event", ["seq"])

    op.create_table(
        "integration_issue",
        sa.Column("id", TEXT(), nullable=False),
        sa.Column("integration_id", TEXT(), nullable=True),
        sa.Column("type", TEXT(), nullable=False),
        sa.Column("title", TEXT(), nullable=False),
        sa.Column("status", TEXT(), nullable=False),
        sa.Column("message", TEXT(), nullable=False),
        sa.Column("first_observed_at", TIME, nullable=False),
        sa.Column("resolved_at", TIME, nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_integration_issue_integration_id", "integration_issue", ["integration_id"])


def downgrade() -> None:
    op.drop_table("integration_issue")
    op.drop_table("webhook_event")
    with op.batch_alter_table("sync") as batch:
        batch.drop_column("log_url")
    with op.batch_alter_table("integration") as batch:
        for column in (
            "upstream_gone_at",
            "upstream_checked_at",
            "upstream_status",
            "kombo_updated_at",
        ):
            batch.drop_column(column)
