"""Error signatures (issue 14): ``log_entry.signature`` and ``sync.signature``, filled in.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-05

Every warning and error line gets the signature of its (stored, already redacted) message
(:func:`syncwatch.signatures.signature`, as this syncwatch computes it), and every sync
with a headline the signature of its headline's line (the earliest error, else warning,
as the importer picks it); a sync whose lines are gone (purged) gets the signature of its
headline. INFO lines and syncs without a headline keep ``NULL``. The index on the
signature covers only the lines that have one, and is built after the backfill (one sort
instead of an update per row).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from syncwatch.signatures import signature

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

#: Rows read and written per round of the backfill.
PAGE = 5_000
#: Distinct messages remembered (lines repeat; a huge set is not kept).
MEMO_SIZE = 100_000

_NOT_NULL = sa.text("signature IS NOT NULL")


def _memo() -> Any:
    seen: dict[str, str | None] = {}

    def of(text: str) -> str | None:
        got = seen.get(text, "")
        if got == "":
            got = signature(text)
            if len(seen) < MEMO_SIZE:
                seen[text] = got
        return got

    return of


def _backfill_logs(conn: sa.Connection) -> None:
    log = sa.table(
        "log_entry",
        sa.column("id"),
        sa.column("level"),
        sa.column("message"),
        sa.column("signature"),
    )
    update = (
        log.update().where(log.c.id == sa.bindparam("_id")).values(signature=sa.bindparam("_s"))
    )
    of = _memo()
    last: Any = None
    while True:
        query = (
            sa.select(log.c.id, log.c.message)
            .where(log.c.level.in_(("WARNING", "ERROR")))
            .order_by(log.c.id)
            .limit(PAGE)
        )
        if last is not None:
            query = query.where(log.c.id > last)
        rows = conn.execute(query).all()
        if not rows:
            return
        writes = [{"_id": lid, "_s": of(message)} for lid, message in rows]
        conn.execute(update, writes)
        last = rows[-1][0]


def _backfill_syncs(conn: sa.Connection) -> None:
    sync = sa.table("sync", sa.column("id"), sa.column("headline"), sa.column("signature"))
    log = sa.table(
        "log_entry",
        sa.column("id"),
        sa.column("sync_id"),
        sa.column("level"),
        sa.column("at"),
        sa.column("signature"),
    )
    headline_line = (
        sa.select(log.c.signature)
        .where(log.c.sync_id == sync.c.id, log.c.level.in_(("ERROR", "WARNING")))
        .order_by(sa.case((log.c.level == "ERROR", 0), else_=1), log.c.at, log.c.id)
        .limit(1)
        .correlate(sync)
        .scalar_subquery()
    )
    conn.execute(sync.update().where(sync.c.headline.is_not(None)).values(signature=headline_line))
    # A headline whose lines are gone (purged): its own signature.
    rest = conn.execute(
        sa.select(sync.c.id, sync.c.headline).where(
            sync.c.headline.is_not(None), sync.c.signature.is_(None)
        )
    ).all()
    if rest:
        conn.execute(
            sync.update()
            .where(sync.c.id == sa.bindparam("_id"))
            .values(signature=sa.bindparam("_s")),
            [{"_id": sid, "_s": signature(text)} for sid, text in rest],
        )


def upgrade() -> None:
    with op.batch_alter_table("log_entry") as batch:
        batch.add_column(sa.Column("signature", sa.String(), nullable=True))
    with op.batch_alter_table("sync") as batch:
        batch.add_column(sa.Column("signature", sa.String(), nullable=True))
    conn = op.get_bind()
    _backfill_logs(conn)
    _backfill_syncs(conn)
    op.create_index(
        "ix_log_signature",
        "log_entry",
        ["signature", "level", "integration_id", "at"],
        sqlite_where=_NOT_NULL,
        postgresql_where=_NOT_NULL,
    )


def downgrade() -> None:
    op.drop_index("ix_log_signature", table_name="log_entry")
    with op.batch_alter_table("sync") as batch:
        batch.drop_column("signature")
    with op.batch_alter_table("log_entry") as batch:
        batch.drop_column("signature")
