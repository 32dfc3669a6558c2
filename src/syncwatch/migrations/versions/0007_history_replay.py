"""History true to the data (issue 14): when a transition was learned, corrections, late syncs.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

A transition's ``at`` is now when it happened by the rules (a sync's end, the 72-hour mark,
...), which for data that arrives late is earlier than when syncwatch learned of it:
``state_change.recorded_at`` is the latter. ``state_change.correction`` marks an entry that
rewrote history already recorded (a sync arrived late and the rules now say otherwise), so a
``watch`` consumer can tell a correction from news. ``integration.replay_from`` is the
earliest end of the syncs written since the integration's last evaluation: where its next
replay begins when that is before the last evaluation.

Entries recorded before this revision are left as they are: ``recorded_at`` = ``at``, not a
correction.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("state_change") as batch:
        batch.add_column(sa.Column("recorded_at", TIME, nullable=True))
        batch.add_column(
            sa.Column("correction", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    state_change = sa.table("state_change", sa.column("at", TIME), sa.column("recorded_at", TIME))
    op.execute(state_change.update().values(recorded_at=state_change.c.at))
    with op.batch_alter_table("state_change") as batch:
        batch.alter_column("recorded_at", existing_type=TIME, nullable=False)
    with op.batch_alter_table("integration") as batch:
        batch.add_column(sa.Column("replay_from", TIME, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("integration") as batch:
        batch.drop_column("replay_from")
    with op.batch_alter_table("state_change") as batch:
        batch.drop_column("correction")
        batch.drop_column("recorded_at")
