"""Acknowledgements and snoozes: the ``attention`` table's reads and writes, each write
audited in the same transaction.

What they mean is decided in :mod:`syncwatch.attention`; whether a write is allowed is
decided by the caller's ``check`` (run inside the write transaction on the row as stored).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncwatch.attention import AttentionMark, mark_of
from syncwatch.db.actions import audit_unchanged
from syncwatch.db.store import Store
from syncwatch.db.tables import attention
from syncwatch.rows import IntegrationRow

__all__ = ["attention_marks", "write_attention"]

#: Ids per ``IN (...)`` list (well under every backend's limit on bound parameters).
_CHUNK = 900

_ACK = ("acked_by", "acked_at", "ack_note", "ack_state")
_SNOOZE = ("snoozed_until", "snoozed_by", "snoozed_at")


def _mark(r: Any) -> AttentionMark:
    return mark_of(*(getattr(r, c) for c in (*_ACK, *_SNOOZE)))


def attention_marks(store: Store, ids: Sequence[str] | None = None) -> dict[str, AttentionMark]:
    """The acknowledgements and snoozes of ``ids`` (those with none are left out), or with
    ``ids=None`` of every integration that has one. One query per 900 ids.

    Snoozes that ended are returned too: whether one still holds depends on the time asked
    (:func:`syncwatch.attention.snoozed`).
    """
    query = sa.select(attention)
    found: dict[str, AttentionMark] = {}
    with store.read() as conn:
        if ids is None:
            found.update((r.integration_id, _mark(r)) for r in conn.execute(query))
        else:
            for start in range(0, len(ids), _CHUNK):
                chunk = list(ids[start : start + _CHUNK])
                rows = conn.execute(query.where(attention.c.integration_id.in_(chunk)))
                found.update((r.integration_id, _mark(r)) for r in rows)
    return {iid: mark for iid, mark in found.items() if not mark.empty}


def write_attention(
    store: Store,
    integration_id: str,
    action: str,
    *,
    check: Callable[[IntegrationRow, AttentionMark, datetime], str | None],
    values: Callable[[IntegrationRow, datetime], Mapping[str, Any]],
    now: datetime,
    actor: str,
) -> tuple[IntegrationRow | None, str | None, datetime]:
    """Set the attention columns ``values(row, time)`` of one integration and audit it as
    ``action`` by ``actor``, in one write transaction.

    ``check(row, mark, time)`` says why not (then nothing changes). A row left with neither
    an acknowledgement nor a snooze is deleted. Returns (the integration or ``None`` when
    the id is unknown, why not or ``None``, the time written at: see
    :meth:`Store.write_time`).
    """
    with store.write() as conn:
        at = store.write_time(conn, now)
        row = store.get(integration_id, conn)
        if row is None:
            return None, None, at
        mark = _read(conn, integration_id)
        problem = check(row, mark, at)
        if problem is not None:
            return row, problem, at
        _upsert(conn, integration_id, dict(values(row, at)))
        audit_unchanged(conn, row, action, actor, at)
    return row, None, at


def _read(conn: Connection, integration_id: str) -> AttentionMark:
    r = conn.execute(
        sa.select(attention).where(attention.c.integration_id == integration_id)
    ).first()
    return AttentionMark() if r is None else _mark(r)


def _upsert(conn: Connection, integration_id: str, values: dict[str, Any]) -> None:
    """Write ``values`` over the stored row (made if missing; deleted if left empty)."""
    where = attention.c.integration_id == integration_id
    current = conn.execute(sa.select(attention).where(where)).first()
    merged: dict[str, Any] = {c: None for c in (*_ACK, *_SNOOZE)}
    if current is not None:
        merged.update({c: getattr(current, c) for c in merged})
    merged.update(values)
    if merged["acked_by"] is None and merged["snoozed_until"] is None:
        conn.execute(attention.delete().where(where))
    elif current is None:
        conn.execute(attention.insert().values(integration_id=integration_id, **merged))
    else:
        conn.execute(attention.update().where(where).values(**merged))
