"""Kombo's reads and writes: stored webhooks, the integration and sync rows a webhook or a
pull changes, Kombo's issues, what is known of each integration upstream, and the marks the
list shows.

How an event or a pull answer maps to facts is decided in :mod:`syncwatch.kombo`; the
functions taking a ``conn`` run inside the caller's write transaction (``Store.write()``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from syncwatch.db.history import note_sync_ends
from syncwatch.db.records import issue_row, stored_event
from syncwatch.db.store import Store
from syncwatch.db.tables import integrations, issues, syncs, webhook_events
from syncwatch.rows import IssueRow, KomboMark, StoredEvent, UpstreamInfo

#: Ids per ``IN (...)`` list (well under every backend's limit on bound parameters).
_CHUNK = 900

# --------------------------------------------------------------------------- webhooks


def event_stored(store: Store, event_id: str) -> bool:
    """Whether a webhook with this id is stored already (a redelivery)."""
    query = sa.select(webhook_events.c.outcome).where(webhook_events.c.id == event_id)
    with store.read() as conn:
        return conn.execute(query).first() is not None


def next_event_seq(conn: Connection) -> int:
    """The receive order number of the next stored webhook."""
    return int(conn.execute(sa.select(sa.func.max(webhook_events.c.seq))).scalar() or 0) + 1


def insert_event(
    conn: Connection,
    *,
    event_id: str,
    seq: int,
    type: str,
    received_at: datetime,
    body: str,
    outcome: str,
    integration_id: str | None,
) -> bool:
    """Store one webhook; ``False`` (and nothing stored) when its id is stored already.

    The key decides, in a savepoint: a concurrent delivery of the same id waits here and
    fails, so an event is applied at most once.
    """
    try:
        with conn.begin_nested():
            conn.execute(
                webhook_events.insert().values(
                    id=event_id,
                    seq=seq,
                    type=type,
                    received_at=received_at,
                    body=body,
                    outcome=outcome,
                    integration_id=integration_id,
                )
            )
    except sa_exc.IntegrityError:
        return False
    return True


def set_event_outcome(conn: Connection, event_id: str, outcome: str) -> None:
    """Record what applying a stored webhook did."""
    conn.execute(
        webhook_events.update().where(webhook_events.c.id == event_id).values(outcome=outcome)
    )


def stored_events(store: Store, *, after_seq: int = 0, batch: int = 500) -> Iterator[StoredEvent]:
    """Every stored event in the order received, read in batches."""
    last = after_seq
    while True:
        with store.read() as conn:
            rows = conn.execute(
                sa.select(webhook_events)
                .where(webhook_events.c.seq > last)
                .order_by(webhook_events.c.seq, webhook_events.c.id)
                .limit(batch)
            ).all()
        for r in rows:
            yield stored_event(r)
        if len(rows) < batch:
            return
        last = rows[-1].seq


def event_counts(store: Store) -> dict[str, int]:
    """Stored events per outcome."""
    with store.read() as conn:
        rows = conn.execute(
            sa.select(webhook_events.c.outcome, sa.func.count()).group_by(webhook_events.c.outcome)
        )
        return {str(outcome): int(n) for outcome, n in rows}


def stored_event_ids(store: Store) -> Sequence[str]:
    """Every stored event id (tests and the benchmark check exactly-once with it)."""
    query = sa.select(webhook_events.c.id).order_by(webhook_events.c.seq, webhook_events.c.id)
    with store.read() as conn:
        return [r[0] for r in conn.execute(query)]


# --------------------------------------------------------------------------- integrations


def integration_values(conn: Connection, integration_id: str) -> dict[str, Any] | None:
    """Every column of one integration, by name (``None`` when the id is unknown)."""
    query = sa.select(integrations).where(integrations.c.id == integration_id)
    row = conn.execute(query).first()
    return dict(row._mapping) if row is not None else None


def insert_integration(conn: Connection, values: Mapping[str, Any]) -> None:
    """Create an integration, unless one with its id exists by now (then leave that one)."""
    try:
        with conn.begin_nested():
            conn.execute(integrations.insert().values(**values))
    except sa_exc.IntegrityError:
        pass  # created by a concurrent event for the same integration: use theirs


def update_integration(conn: Connection, integration_id: str, values: Mapping[str, Any]) -> None:
    """Change these columns of one integration."""
    conn.execute(integrations.update().where(integrations.c.id == integration_id).values(**values))


def mark_dirty(conn: Connection, integration_ids: Sequence[str], revision: int) -> None:
    """Mark integrations changed: for the evaluator (dirty) and the change feed (revision)."""
    conn.execute(
        integrations.update()
        .where(integrations.c.id.in_(list(integration_ids)))
        .values(dirty=True, revision=revision)
    )


def undeleted_ids(
    store: Store, ids: Iterable[str] | None = None, now: datetime | None = None
) -> list[str]:
    """The ids of the integrations not deleted (of ``ids``, or all), in id order; with
    ``now``, also those whose deletion is dated after it (not one yet)."""
    alive: sa.ColumnElement[bool] = integrations.c.deleted_at.is_(None)
    if now is not None:
        alive = sa.or_(alive, integrations.c.deleted_at > now)
    query = sa.select(integrations.c.id).where(alive).order_by(integrations.c.id)
    if ids is not None:
        query = query.where(integrations.c.id.in_(list(ids)))
    with store.read() as conn:
        return [r.id for r in conn.execute(query)]


def integration_columns(
    conn: Connection, ids: Sequence[str], columns: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """These columns of these integrations, by id (unknown ids are left out)."""
    query = sa.select(*(integrations.c[c] for c in columns)).where(integrations.c.id.in_(list(ids)))
    return {r.id: dict(r._mapping) for r in conn.execute(query)}


def mark_checked(conn: Connection, integration_ids: Sequence[str], at: datetime) -> None:
    """Record a successful pull of these integrations' details at ``at``."""
    conn.execute(
        integrations.update()
        .where(integrations.c.id.in_(list(integration_ids)))
        .values(upstream_checked_at=at)
    )


def upstream_info(store: Store, ids: Iterable[str] | None = None) -> dict[str, UpstreamInfo]:
    """Kombo's side of these integrations (all with ``ids=None``), in one query."""
    query = sa.select(
        integrations.c.id,
        integrations.c.upstream_status,
        integrations.c.upstream_checked_at,
        integrations.c.upstream_gone_at,
    )
    if ids is not None:
        query = query.where(integrations.c.id.in_(list(ids)))
    # An id not found (added since the caller's read) reads as "nothing known".
    info: dict[str, UpstreamInfo] = defaultdict(lambda: UpstreamInfo(None, None, None))
    with store.read() as conn:
        for r in conn.execute(query):
            info[r.id] = UpstreamInfo(r.upstream_status, r.upstream_checked_at, r.upstream_gone_at)
    return info


# --------------------------------------------------------------------------- syncs


def find_sync(conn: Connection, sync_id: str) -> dict[str, Any] | None:
    """Every column of one sync, by name (``None`` when the id is unknown)."""
    row = conn.execute(sa.select(syncs).where(syncs.c.id == sync_id)).first()
    return dict(row._mapping) if row is not None else None


def insert_sync(conn: Connection, values: Mapping[str, Any]) -> None:
    """Store a new sync."""
    conn.execute(syncs.insert().values(**values))
    note_sync_ends(conn, [values["id"]])


def update_sync(conn: Connection, sync_id: str, values: Mapping[str, Any]) -> None:
    """Change these columns of one sync."""
    conn.execute(syncs.update().where(syncs.c.id == sync_id).values(**values))
    note_sync_ends(conn, [sync_id])


# --------------------------------------------------------------------------- issues


def find_issue(conn: Connection, issue_id: str) -> dict[str, Any] | None:
    """Every column of one Kombo issue, by name (``None`` when the id is unknown)."""
    row = conn.execute(sa.select(issues).where(issues.c.id == issue_id)).first()
    return dict(row._mapping) if row is not None else None


def insert_issue(conn: Connection, values: Mapping[str, Any]) -> None:
    """Store a new Kombo issue."""
    conn.execute(issues.insert().values(**values))


def update_issue(conn: Connection, issue_id: str, values: Mapping[str, Any]) -> None:
    """Change these columns of one Kombo issue."""
    conn.execute(issues.update().where(issues.c.id == issue_id).values(**values))


def integration_issues(store: Store, integration_id: str) -> list[IssueRow]:
    """An integration's Kombo issues: open ones first, then resolved; newest first in each."""
    query = (
        sa.select(issues)
        .where(issues.c.integration_id == integration_id)
        .order_by(
            sa.case((issues.c.status == "OPEN", 0), else_=1),
            issues.c.first_observed_at.desc(),
            issues.c.id,
        )
    )
    with store.read() as conn:
        return [issue_row(r) for r in conn.execute(query)]


# --------------------------------------------------------------------------- the list's marks


def kombo_marks(store: Store, ids: Sequence[str] | None) -> dict[str, KomboMark]:
    """What the list and the preview mark about Kombo's side: gone upstream (a pull was
    answered 404) and how many Kombo issues are open.

    The marks of ``ids`` (every id given gets one, maybe empty), or with ``ids=None`` those
    of every integration that has something to mark. Loaded in the evaluation worker with
    the rows: for every integration on the first load, then only for the rows a pass or an
    action changed (a pull that finds an integration gone and an issue event both bump the
    integration's revision, so they arrive as changed rows). Two set-based queries either way.
    """
    gone: dict[str, datetime] = {}
    counts: dict[str, int] = {}
    count_query = (
        sa.select(issues.c.integration_id, sa.func.count())
        .where(issues.c.status == "OPEN", issues.c.integration_id.is_not(None))
        .group_by(issues.c.integration_id)
    )
    if ids is None:
        # Only the gone ones (upstream_info of all would build a row per integration:
        # half a second at 100,000).
        gone_query = sa.select(integrations.c.id, integrations.c.upstream_gone_at).where(
            integrations.c.upstream_gone_at.is_not(None)
        )
        with store.read() as conn:
            gone.update((r[0], r[1]) for r in conn.execute(gone_query))
            counts.update((r[0], r[1]) for r in conn.execute(count_query))
        return {iid: KomboMark(counts.get(iid, 0), gone.get(iid)) for iid in gone.keys() | counts}
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        for iid, info in upstream_info(store, chunk).items():
            if info.gone_at is not None:
                gone[iid] = info.gone_at
        with store.read() as conn:
            query = count_query.where(issues.c.integration_id.in_(chunk))
            counts.update((r[0], r[1]) for r in conn.execute(query))
    return {iid: KomboMark(counts.get(iid, 0), gone.get(iid)) for iid in ids}
