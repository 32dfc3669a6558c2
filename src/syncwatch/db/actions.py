"""The writes of an operator action: the facts it changes, the syncs a deletion cancels,
the re-evaluation and the audit entries, in one write transaction.

Whether an action is allowed, and what it changes, is decided in :mod:`syncwatch.actions`;
this module only reads and writes what it is told to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

import syncwatch.db.evaluation as evaluation
from syncwatch.db.store import Store
from syncwatch.db.tables import audit_entries, integrations, syncs
from syncwatch.rows import IntegrationRow, Transition
from syncwatch.states import SyncState


@dataclass(frozen=True, slots=True)
class Applied:
    """One integration an action changed: as it was, as it is now, and its transition."""

    before: IntegrationRow
    after: IntegrationRow
    transition: Transition | None


@dataclass(slots=True)
class ActionWrite:
    """What :func:`apply_action` did, integration by integration, in the order given."""

    applied: list[Applied] = field(default_factory=list)
    #: (id, why not), for the integrations ``check`` refused: left unchanged.
    refused: list[tuple[str, str]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    #: The time the action was applied at (see :func:`apply_action`).
    at: datetime | None = None


def apply_action(
    store: Store,
    action: str,
    integration_ids: Sequence[str],
    *,
    check: Callable[[IntegrationRow, datetime], str | None],
    values: Callable[[datetime], Mapping[str, Any]],
    cancel_running: bool,
    now: datetime,
    actor: str,
) -> ActionWrite:
    """Apply one action to several integrations in one write transaction, and audit it.

    The action's time is ``now``, or the last stored evaluation's when ``now`` is a little
    behind it (:meth:`Store.write_time`; further behind, :class:`ClockBehind` and nothing
    changes). Each integration (duplicates count once) is read inside the transaction and
    passed to ``check`` with that time, which returns why the action is not allowed for it
    (then it is left unchanged) or ``None``. The allowed ones get ``values(time)``, are
    marked dirty with a new revision, lose their running syncs when ``cancel_running`` (a
    deletion), are re-evaluated at that time, and get one audit entry each (``action`` by
    ``actor``, and on PostgreSQL the database role that wrote it: :func:`database_role`).
    """
    done = ActionWrite()
    with store.write() as conn:
        now = store.write_time(conn, now)
        done.at = now
        rows: dict[str, IntegrationRow] = {}
        for iid in dict.fromkeys(integration_ids):
            row = store.get(iid, conn)
            if row is None:
                done.unknown.append(iid)
                continue
            problem = check(row, now)
            if problem is not None:
                done.refused.append((iid, problem))
                continue
            rows[iid] = row
        if not rows:
            return done
        revision = evaluation.next_revision(conn)
        conn.execute(
            integrations.update()
            .where(integrations.c.id.in_(list(rows)))
            .values(**values(now), dirty=True, revision=revision)
        )
        if cancel_running:
            cancel_running_syncs(conn, list(rows), now)
        result = store.evaluate_ids(conn, list(rows), now)
        by_id = {t.integration_id: t for t in result.transitions}
        role = database_role(conn)
        audit = []
        for iid, before in rows.items():
            after = store.get(iid, conn)
            assert after is not None and after.state is not None
            done.applied.append(Applied(before, after, by_id.get(iid)))
            audit.append(
                {
                    "integration_id": iid,
                    "actor": actor,
                    "action": action,
                    "at": now,
                    "state_before": before.state.value if before.state else None,
                    "state_after": after.state.value,
                    "db_role": role,
                }
            )
        conn.execute(audit_entries.insert(), audit)
    return done


def database_role(conn: Connection) -> str | None:
    """The role this connection acts as on PostgreSQL (``current_user``: after ``SET ROLE``,
    the role set), else ``None`` (SQLite has no roles)."""
    if conn.dialect.name != "postgresql":
        return None
    role = conn.execute(sa.select(sa.func.current_user())).scalar()
    return None if role is None else str(role)


def cancel_running_syncs(conn: Connection, integration_ids: Sequence[str], at: datetime) -> None:
    """End the running syncs of these integrations as cancelled at ``at``.

    A deleted integration syncs no more: a sync still running would otherwise show as
    running until the purge (imports skip deleted integrations).
    """
    conn.execute(
        syncs.update()
        .where(
            syncs.c.integration_id.in_(list(integration_ids)),
            syncs.c.state == SyncState.RUNNING.value,
        )
        .values(state=SyncState.CANCELLED.value, ended_at=at)
    )


def record_request(
    store: Store, integration_id: str, action: str, *, now: datetime, actor: str
) -> datetime | None:
    """Audit a request made of Kombo that changes no fact here (a reconnection link, a
    sync): one audit entry, ``action`` by ``actor``, the integration's state as both before
    and after. Nothing is marked dirty and nothing is re-evaluated. Returns the time it was
    recorded at (see :meth:`Store.write_time`), or ``None`` if the integration is gone."""
    with store.write() as conn:
        at = store.write_time(conn, now)
        row = store.get(integration_id, conn)
        if row is None:
            return None
        audit_unchanged(conn, row, action, actor, at)
    return at


def audit_unchanged(
    conn: Connection, row: IntegrationRow, action: str, actor: str, at: datetime
) -> None:
    """One audit entry for ``action`` by ``actor`` on ``row`` that changes none of its facts
    (a request of Kombo, an acknowledgement, a snooze): its state before and after alike."""
    state = row.state.value if row.state is not None else None
    conn.execute(
        audit_entries.insert().values(
            integration_id=row.id,
            actor=actor,
            action=action,
            at=at,
            state_before=state,
            state_after=state,
            db_role=database_role(conn),
        )
    )
