"""The state history read as a stream: every write appends there (the evaluator, an action,
an import, the webhook receiver), and its id orders it (``seq``)."""

from __future__ import annotations

import sqlalchemy as sa

from syncwatch.db.records import integration_row
from syncwatch.db.store import Store
from syncwatch.db.tables import integrations, state_changes
from syncwatch.rows import Transition
from syncwatch.states import IntegrationState


def latest_seq(store: Store) -> int:
    """The id of the newest transition (0 when there is none)."""
    with store.read() as conn:
        return int(conn.execute(sa.select(sa.func.max(state_changes.c.id))).scalar() or 0)


def transitions_after(store: Store, seq: int, limit: int = 500) -> list[Transition]:
    """Transitions recorded after ``seq``, oldest first (one query).

    Each carries its ``seq`` and the integration as it is now (its names, and Kombo's API
    view as of now).
    """
    query = (
        sa.select(
            state_changes.c.id.label("h_id"),
            state_changes.c.from_state.label("h_from"),
            state_changes.c.to_state.label("h_to"),
            state_changes.c.at.label("h_at"),
            state_changes.c.reason.label("h_reason"),
            state_changes.c.correction.label("h_correction"),
            integrations,
        )
        .select_from(
            state_changes.join(integrations, integrations.c.id == state_changes.c.integration_id)
        )
        .where(state_changes.c.id > seq)
        .order_by(state_changes.c.id)
        .limit(limit)
    )
    with store.read() as conn:
        found = []
        for r in conn.execute(query):
            row = integration_row(r)
            found.append(
                Transition(
                    integration_id=row.id,
                    organization=row.organization,
                    tool=row.tool,
                    from_state=IntegrationState(r.h_from) if r.h_from else None,
                    to_state=IntegrationState(r.h_to),
                    at=r.h_at,
                    reason=r.h_reason,
                    category=row.category,
                    api=row.api,
                    seq=r.h_id,
                    correction=bool(r.h_correction),
                )
            )
        return found
