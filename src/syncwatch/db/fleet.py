"""The fleet's reads: counts per state by tool or organisation, what the outage rule
looks at, and the warning and error lines counted by signature.

Each is one or two set-based queries. The signature counts read the partial index
``ix_log_signature`` (warnings and errors only, by signature, level, integration and
time), so they cost the number of warning and error lines, not of all lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from syncwatch.clock import to_utc
from syncwatch.db.store import Store
from syncwatch.db.tables import integrations, log_entries, syncs
from syncwatch.fleet import GroupBy
from syncwatch.outages import FAILING_STATES, FailingIntegration
from syncwatch.signatures import SignatureCount
from syncwatch.states import IntegrationState

__all__ = [
    "error_signatures",
    "failing_integrations",
    "last_sync_signatures",
    "signature_integrations",
    "state_counts",
]

_GONE = (IntegrationState.DELETED.value, IntegrationState.INACTIVE.value)
_CHUNK = 900


def _utc(t: datetime) -> datetime:
    return to_utc(t)


def state_counts(store: Store, by: GroupBy) -> list[tuple[str, IntegrationState | None, int]]:
    """How many integrations of each tool (or organisation) are in each stored state."""
    key = integrations.c[by.value]
    query = sa.select(key, integrations.c.state, sa.func.count()).group_by(
        key, integrations.c.state
    )
    with store.read() as conn:
        return [
            (k, IntegrationState(s) if s is not None else None, n)
            for k, s, n in conn.execute(query)
        ]


def failing_integrations(store: Store) -> tuple[list[FailingIntegration], dict[str, int]]:
    """What the outage rule judges, as stored: the enabled integrations whose state is
    failing, each with its last sync's signature; and how many enabled (not deleted)
    integrations each tool has."""
    i = integrations
    enabled_query = (
        sa.select(i.c.tool, sa.func.count())
        .where(i.c.state.is_not(None), i.c.state.not_in(_GONE))
        .group_by(i.c.tool)
    )
    failing_query = (
        sa.select(i.c.id, i.c.tool, syncs.c.signature, i.c.last_sync_ended_at, i.c.state_since)
        .select_from(i.outerjoin(syncs, syncs.c.id == i.c.last_sync_id))
        .where(i.c.state.in_([s.value for s in FAILING_STATES]))
        .where(i.c.last_sync_ended_at.is_not(None))
    )
    with store.read() as conn:
        enabled = {tool: n for tool, n in conn.execute(enabled_query)}
        failing = [
            FailingIntegration(iid, tool, sig, _utc(ended), _utc(since) if since else None)
            for iid, tool, sig, ended, since in conn.execute(failing_query)
        ]
    return failing, enabled


def last_sync_signatures(store: Store, sync_ids: Sequence[str]) -> dict[str, str | None]:
    """The stored signature of each of these syncs, by id."""
    found: dict[str, str | None] = {}
    with store.read() as conn:
        for start in range(0, len(sync_ids), _CHUNK):
            chunk = list(sync_ids[start : start + _CHUNK])
            query = sa.select(syncs.c.id, syncs.c.signature).where(syncs.c.id.in_(chunk))
            found.update((sid, sig) for sid, sig in conn.execute(query))
    return found


def _signed_lines(since: datetime | None) -> list[sa.ColumnElement[bool]]:
    log = log_entries
    deleted = sa.select(integrations.c.id).where(
        integrations.c.state == IntegrationState.DELETED.value
    )
    where: list[sa.ColumnElement[bool]] = [
        log.c.signature.is_not(None),
        log.c.integration_id.not_in(deleted),
    ]
    if since is not None:
        where.append(log.c.at >= _utc(since))
    return where


def error_signatures(store: Store, since: datetime | None = None) -> list[SignatureCount]:
    """The warning and error lines (at or after ``since``) counted by signature and level,
    worst first: errors before warnings, then by integrations affected, then by lines.
    Deleted integrations' lines are left out."""
    log = log_entries
    query = (
        sa.select(
            log.c.signature,
            log.c.level,
            sa.func.count(),
            sa.func.count(sa.distinct(log.c.integration_id)),
            sa.func.min(log.c.at),
            sa.func.max(log.c.at),
        )
        .where(*_signed_lines(since))
        .group_by(log.c.signature, log.c.level)
    )
    with store.read() as conn:
        found = [
            SignatureCount(sig, level, lines, hit, _utc(first), _utc(last))
            for sig, level, lines, hit, first, last in conn.execute(query)
        ]
    found.sort(key=SignatureCount.worst_first)
    return found


def signature_integrations(
    store: Store, signature: str, level: str, since: datetime | None = None
) -> list[str]:
    """The ids of the integrations with a ``level`` line of this signature (at or after
    ``since``), deleted ones left out, sorted."""
    log = log_entries
    query = (
        sa.select(log.c.integration_id)
        .where(*_signed_lines(since), log.c.signature == signature, log.c.level == level)
        .distinct()
    )
    with store.read() as conn:
        return sorted(r[0] for r in conn.execute(query))
