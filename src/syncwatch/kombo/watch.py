"""Transitions out: the state history as a stream, shaped like Kombo's events.

``syncwatch watch`` polls the state-history table by its id (every write appends there
whatever wrote it: the evaluator, an action, an import, the webhook receiver) and prints
each new transition, as text or as one JSON object per line shaped like Kombo's
``integration-state-changed`` webhook plus syncwatch's own ``status`` and ``reason``.
Each line carries ``seq``, the history id: ``watch --since SEQ`` resumes after it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from syncwatch.db import Store
from syncwatch.db.records import integration_row
from syncwatch.db.tables import integrations as I
from syncwatch.db.tables import state_changes as H
from syncwatch.evaluator import api_view
from syncwatch.rows import IntegrationRow, Transition
from syncwatch.states import IntegrationState

#: How often ``watch`` looks for new transitions, in seconds.
POLL_INTERVAL = 0.5


@dataclass(frozen=True, slots=True)
class TransitionRecord:
    """One stored transition, with the integration as it is now."""

    seq: int
    integration: IntegrationRow
    from_state: IntegrationState | None
    to_state: IntegrationState
    at: datetime
    reason: str


def latest_seq(store: Store) -> int:
    """The id of the newest transition (0 when there is none)."""
    with store.read() as conn:
        return int(conn.execute(sa.select(sa.func.max(H.c.id))).scalar() or 0)


def transitions_after(store: Store, seq: int, limit: int = 500) -> list[TransitionRecord]:
    """Transitions recorded after ``seq``, oldest first (one query)."""
    query = (
        sa.select(
            H.c.id.label("h_id"),
            H.c.from_state.label("h_from"),
            H.c.to_state.label("h_to"),
            H.c.at.label("h_at"),
            H.c.reason.label("h_reason"),
            I,
        )
        .select_from(H.join(I, I.c.id == H.c.integration_id))
        .where(H.c.id > seq)
        .order_by(H.c.id)
        .limit(limit)
    )
    with store.read() as conn:
        return [
            TransitionRecord(
                r.h_id,
                integration_row(r),
                IntegrationState(r.h_from) if r.h_from else None,
                IntegrationState(r.h_to),
                r.h_at,
                r.h_reason,
            )
            for r in conn.execute(query)
        ]


def follow(
    store: Store, since: int | None, stop: threading.Event, interval: float = POLL_INTERVAL
) -> Iterator[TransitionRecord]:
    """Yield transitions as they are recorded until ``stop`` is set.

    ``since=None`` starts with the transitions recorded from now on.
    """
    seq = latest_seq(store) if since is None else since
    while not stop.is_set():
        batch = transitions_after(store, seq)
        for record in batch:
            yield record
            seq = record.seq
        if len(batch) < 500:
            stop.wait(interval)


def as_transition(t: TransitionRecord) -> Transition:
    """The record as the evaluator reports transitions (its API view as of now)."""
    row = t.integration
    return Transition(
        integration_id=row.id,
        organization=row.organization,
        tool=row.tool,
        from_state=t.from_state,
        to_state=t.to_state,
        at=t.at,
        reason=t.reason,
        category=row.category,
        api=api_view(row.facts, has_finished_sync=row.last_sync_id is not None),
        seq=t.seq,
    )


def transition_json(t: TransitionRecord) -> dict[str, Any]:
    """Kombo's ``integration-state-changed`` shape plus ``status``, ``reason`` and ``seq``:
    the same lines the headless evaluator prints (one home: :mod:`syncwatch.service`)."""
    from syncwatch.service import transition_event

    return transition_event(as_transition(t))


def transition_text(t: TransitionRecord) -> str:
    """One line for a terminal or a log file (as the headless evaluator prints it)."""
    from syncwatch.service import transition_text as text

    return text(as_transition(t))
