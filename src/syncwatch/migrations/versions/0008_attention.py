"""Acknowledge and snooze (issue 15): the ``attention`` table.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

One row per integration somebody acknowledged or snoozed (who, when, the note, the state
acknowledged; until when, who snoozed). A table of its own rather than columns of
``integration``: the list's fast reads and the evaluation pass do not read it. A database
upgraded to it has no row: nothing is acknowledged or snoozed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TEXT = sa.String
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "attention",
        sa.Column("integration_id", TEXT(), nullable=False),
        sa.Column("acked_by", TEXT(), nullable=True),
        sa.Column("acked_at", TIME, nullable=True),
        sa.Column("ack_note", TEXT(), nullable=True),
        sa.Column("ack_state", TEXT(), nullable=True),
        sa.Column("snoozed_until", TIME, nullable=True),
        sa.Column("snoozed_by", TEXT(), nullable=True),
        sa.Column("snoozed_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(["integration_id"], ["integration.id"]),
        sa.PrimaryKeyConstraint("integration_id"),
    )


def downgrade() -> None:
    op.drop_table("attention")
