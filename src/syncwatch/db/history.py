"""The state history's own reads and writes for its replay (``syncwatch.replay``): the
recorded entries a late sync makes the pass compare, and where syncs written since the last
evaluation belong (``integration.replay_from``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncwatch.db.tables import integrations, state_changes, syncs
from syncwatch.states import IntegrationState


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """One recorded entry of a state history, as a replay compares it."""

    seq: int
    from_state: IntegrationState | None
    to_state: IntegrationState
    at: datetime


def stored_history(
    conn: Connection, integration_ids: Sequence[str]
) -> dict[str, list[StoredEntry]]:
    """The recorded histories of these integrations, oldest first (one query)."""
    t = state_changes.c
    query = (
        sa.select(t.id, t.integration_id, t.from_state, t.to_state, t.at)
        .where(t.integration_id.in_(list(integration_ids)))
        .order_by(t.integration_id, t.id)
    )
    found: dict[str, list[StoredEntry]] = defaultdict(list)
    for r in conn.execute(query):
        found[r.integration_id].append(
            StoredEntry(
                r.id,
                IntegrationState(r.from_state) if r.from_state else None,
                IntegrationState(r.to_state),
                r.at,
            )
        )
    return found


def note_sync_ends(conn: Connection, sync_ids: Sequence[str]) -> None:
    """Remember, for the integrations these just-written syncs belong to, the earliest of
    their ends (``replay_from``): a sync that ended before the integration's last evaluation
    arrived late, and its next evaluation replays the history from there."""
    ids = list(dict.fromkeys(sync_ids))
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        earliest = (
            sa.select(sa.func.min(syncs.c.ended_at))
            .where(syncs.c.integration_id == integrations.c.id, syncs.c.id.in_(chunk))
            .correlate(integrations)
            .scalar_subquery()
        )
        current = integrations.c.replay_from
        conn.execute(
            integrations.update()
            .where(
                integrations.c.id.in_(
                    sa.select(syncs.c.integration_id).where(syncs.c.id.in_(chunk))
                )
            )
            .values(
                replay_from=sa.case(
                    (current.is_(None), earliest), (earliest < current, earliest), else_=current
                )
            )
        )
