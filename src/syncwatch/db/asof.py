"""The fleet as it was at a past time, read from the state history (:mod:`syncwatch.asof`).

The state at ``T`` is the ``to_state`` of an integration's latest history entry with
``at <= T``, ties broken by the entry's id (the one recorded later). That rule, and the
last sync and recent results at ``T``, are written once, as SQL text both backends run
(:data:`syncwatch.fastread.AS_OF_STATES` and its two siblings): the light read paths
(:mod:`syncwatch.fastread`, :mod:`syncwatch.pgread`) run the same statements with their
own drivers, so all three answer alike. Read-only: no pass runs, nothing is stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from syncwatch.asof import FleetAsOf, LastSyncAt, StateAt
from syncwatch.asof import fleet_as_of as build_fleet
from syncwatch.db.records import integration_row
from syncwatch.db.store import Store
from syncwatch.db.tables import integrations, state_changes
from syncwatch.fastread import AS_OF_LAST_SYNCS, AS_OF_RECENT, AS_OF_STATES, FIRST_HISTORY
from syncwatch.states import IntegrationState, SyncState
from syncwatch.trends import RECENT_SYNCS, RecentSync

__all__ = ["first_history_at", "fleet_as_of"]

#: The stored times' type (UTC, aware), for binding ``T`` and reading times back.
_TIME: Any = state_changes.c.at.type


def _text(sql: str, *times: str) -> sa.TextClause | sa.TextualSelect:
    """``sql`` with its first ``?`` bound to ``:at`` (a time) and a second to ``:limit``;
    ``times``: the result columns read back as stored times."""
    named = sql.replace("?", ":at", 1).replace("?", ":limit", 1)
    clause = sa.text(named).bindparams(sa.bindparam("at", type_=_TIME))
    if times:
        return clause.columns(**dict.fromkeys(times, _TIME))
    return clause


def first_history_at(store: Store) -> datetime | None:
    """When the state history starts (``None``: it is empty)."""
    with store.read() as conn:
        first: datetime | None = conn.execute(sa.text(FIRST_HISTORY).columns(at=_TIME)).scalar()
    return first


def fleet_as_of(store: Store, at: datetime) -> FleetAsOf:
    """Every integration as it was at ``at``, from the history: its state, the state's
    reason and since when, its last sync and recent results by then. An integration
    created after ``at``, or with no state recorded by then, is absent. One read
    transaction; nothing is evaluated or written."""
    with store.read() as conn:
        states = {
            r.integration_id: StateAt(IntegrationState(r.to_state), r.at, r.reason)
            for r in conn.execute(_text(AS_OF_STATES, "at"), {"at": at})
        }
        last = {
            r.integration_id: LastSyncAt(
                r.id, SyncState(r.state), r.ended_at, r.warnings or 0, r.errors or 0
            )
            for r in conn.execute(_text(AS_OF_LAST_SYNCS, "ended_at"), {"at": at})
        }
        recent: dict[str, list[RecentSync]] = {}
        read = conn.execute(
            _text(AS_OF_RECENT, "started_at", "ended_at"), {"at": at, "limit": RECENT_SYNCS}
        )
        for r in read:
            recent.setdefault(r.integration_id, []).append(
                RecentSync(r.id, SyncState(r.state), r.started_at, r.ended_at)
            )
        rows = [integration_row(r) for r in conn.execute(sa.select(integrations))]
    return build_fleet(at, rows, states, last, recent)
