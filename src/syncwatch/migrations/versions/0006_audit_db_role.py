"""Who did what (issue 14): audit_entry.db_role, and an index for the activity feed.

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-28

``db_role`` is the database role that recorded an operator action (PostgreSQL's
``current_user``; on a shared team database several people may share one login name but not
one role, or the other way round). It is nullable: SQLite has no roles, and the entries
recorded before this revision keep ``NULL`` (nobody knows the role now). ``ix_audit_at`` lets
``syncwatch activity`` and the feed screen read the newest actions first without a sort.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_entry") as batch:
        batch.add_column(sa.Column("db_role", sa.String(), nullable=True))
    op.create_index("ix_audit_at", "audit_entry", ["at", "integration_id", "id"])
    # The activity feed pages the state history newest first across the fleet.
    op.create_index("ix_state_change_at", "state_change", ["at", "integration_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_state_change_at", table_name="state_change")
    op.drop_index("ix_audit_at", table_name="audit_entry")
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_column("db_role")
