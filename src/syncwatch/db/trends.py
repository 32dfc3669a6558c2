"""The reads behind the trends (:mod:`syncwatch.trends`): each integration's last syncs, for
many integrations in one query per chunk of ids (one query for all of them).

The state history the timeline needs is the one :meth:`Store.history` reads (the drill-down
and ``show`` load it anyway).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from syncwatch.db.store import Store
from syncwatch.db.tables import syncs
from syncwatch.states import SyncState
from syncwatch.trends import RECENT_SYNCS, RecentResults, RecentSync

#: Ids per ``IN (...)`` list (well under every backend's limit on bound parameters).
_CHUNK = 900


def _last_syncs(limit: int, ids: Sequence[str] | None) -> sa.Select[Any]:
    """The last ``limit`` syncs of each integration (of ``ids``, or all), by start: newest
    first per integration, as ``Store.syncs`` orders them (ties: larger id first)."""
    rank = (
        sa.func.row_number()
        .over(
            partition_by=syncs.c.integration_id,
            order_by=(syncs.c.started_at.desc(), syncs.c.id.desc()),
        )
        .label("n")
    )
    inner = sa.select(
        syncs.c.integration_id,
        syncs.c.id,
        syncs.c.state,
        syncs.c.started_at,
        syncs.c.ended_at,
        rank,
    )
    if ids is not None:
        inner = inner.where(syncs.c.integration_id.in_(ids))
    ranked = inner.subquery()
    return sa.select(
        ranked.c.integration_id,
        ranked.c.id,
        ranked.c.state,
        ranked.c.started_at,
        ranked.c.ended_at,
    ).where(ranked.c.n <= limit)


def recent_results(
    store: Store, ids: Sequence[str] | None = None, limit: int = RECENT_SYNCS
) -> dict[str, RecentResults]:
    """The strip of each integration: of ``ids`` (every id gets one, maybe empty), or with
    ``None`` of every integration that has a sync."""
    found: dict[str, list[RecentSync]] = {}
    queries = (
        [_last_syncs(limit, None)]
        if ids is None
        else [_last_syncs(limit, list(ids[i : i + _CHUNK])) for i in range(0, len(ids), _CHUNK)]
    )
    with store.read() as conn:
        for query in queries:
            for iid, sid, state, started, ended in conn.execute(query):
                found.setdefault(iid, []).append(RecentSync(sid, SyncState(state), started, ended))
    out = {iid: _strip(rows) for iid, rows in found.items()}
    if ids is not None:
        for iid in ids:
            out.setdefault(iid, RecentResults())
    return out


def _strip(rows: list[RecentSync]) -> RecentResults:
    """Oldest first, in the order ``Store.syncs`` gives reversed."""
    rows.sort(key=lambda s: (s.started_at, s.id))
    return RecentResults(tuple(rows))
