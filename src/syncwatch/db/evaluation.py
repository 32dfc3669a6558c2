"""The set-based evaluation pass: which integrations need evaluating, just the syncs the rules
can see (a constant number of queries, whatever the number of integrations), the pure
evaluator on each, and writing back only what changed. Also the store-wide revision that
orders the change feed, and the purge of a deleted integration's data.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles

from syncwatch.db.errors import ClockBehind
from syncwatch.db.history import StoredEntry, stored_history
from syncwatch.db.records import integration_row, sync_facts
from syncwatch.db.tables import events, integrations, log_entries, state_changes, syncs
from syncwatch.evaluator import Evaluation, SyncFacts, evaluate
from syncwatch.replay import replay, replay_start
from syncwatch.rows import EventRow, IntegrationRow, PassResult, Transition
from syncwatch.states import FINISHED_SYNC_STATES, QaStatus, SyncState

#: Sync states that end a run of authentication failures.
NON_AUTH_FINISHED = tuple(
    s for s in FINISHED_SYNC_STATES if s != SyncState.AUTHENTICATION_FAILED.value
)

#: Earlier than any stored time.
BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)

#: A writer whose ``now`` is behind the last stored evaluation by at most this much (two
#: hosts whose clocks differ a little) evaluates at that evaluation's time instead; one
#: further behind stores nothing (:class:`~syncwatch.db.errors.ClockBehind`).
CLOCK_TOLERANCE = timedelta(minutes=1)


class no_index(sa.sql.expression.ColumnElement[Any]):
    """``+column`` on SQLite, SQLite's documented way to keep a term from driving an index;
    the plain column elsewhere."""

    inherit_cache = True

    def __init__(self, column: sa.ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type


@compiles(no_index)
def _compileno_index(element: no_index, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column, **kw))


@compiles(no_index, "sqlite")
def _compileno_index_sqlite(element: no_index, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.column, **kw))


#: What engineering is told for each event the evaluator raises.
EVENT_MESSAGES = {
    "qa_hold": "First sync had issues: held for quality assurance; engineering notified.",
    "credentials_invalid": "Credentials invalid after 72 h of authentication failures; "
    "syncs paused.",
    "disabled_for_inactivity": "Disabled: no API request for 14 days.",
    "purged": "Syncs and log entries purged 14 days after deletion.",
}


def next_revision(conn: Connection) -> int:
    """The revision number for the changes of this write transaction."""
    current = conn.execute(sa.select(sa.func.max(integrations.c.revision))).scalar()
    return int(current or 0) + 1


def latest_revision(conn: Connection) -> int:
    """The latest revision: changes with a higher one have not happened yet."""
    return int(conn.execute(sa.select(sa.func.max(integrations.c.revision))).scalar() or 0)


def last_evaluated_at(conn: Connection) -> datetime | None:
    """The time of the latest stored evaluation (``None`` before the first one)."""
    query = sa.select(sa.func.max(integrations.c.evaluated_at))
    last: datetime | None = conn.execute(query).scalar()
    return last


def write_time(conn: Connection, now: datetime) -> datetime:
    """The time a write transaction at ``now`` evaluates and acts at.

    ``now`` itself, unless the store has already evaluated at a later time: then, within
    :data:`CLOCK_TOLERANCE`, that later time (so two writers with slightly different clocks
    never write history out of order); beyond it, :class:`ClockBehind` (nothing is stored:
    a state history that ran backwards would show a flap that never happened). Call it
    inside the write transaction, which holds the write lock.
    """
    last = last_evaluated_at(conn)
    if last is None or now >= last:
        return now
    if last - now <= CLOCK_TOLERANCE:
        return last
    raise ClockBehind(now, last)


def needs_evaluation(now: datetime, full: bool) -> sa.ColumnElement[bool]:
    """The integrations a pass at ``now`` evaluates (all of them with ``full``): new ones,
    dirty ones (new syncs, an operator action) and those whose next deadline has come."""
    if full:
        return sa.true()
    return sa.or_(
        integrations.c.dirty.is_(True),
        integrations.c.next_due_at <= now,
        integrations.c.state.is_(None),
    )


def any_due(conn: Connection, due: sa.ColumnElement[bool]) -> bool:
    """Whether any integration is ``due`` (one cheap indexed read)."""
    query = sa.select(integrations.c.id).where(due).limit(1)
    return conn.execute(query).first() is not None


def ids_due(ids: Sequence[str]) -> sa.ColumnElement[bool]:
    """The integrations with these ids."""
    return integrations.c.id.in_(list(ids))


def evaluate_where(
    conn: Connection, due: sa.ColumnElement[bool], now: datetime, *, store: bool = True
) -> PassResult:
    """Evaluate the integrations ``due`` selects, inside the caller's write transaction.

    Reads them and just the syncs the rules can see (a constant number of queries), runs
    the pure evaluator on each, and writes back only what changed: the integration's
    stored values, its state history, the events engineering is told of, and purges.

    The history is replayed (:func:`syncwatch.replay.replay`) from where it stands to
    ``now``, so each transition is recorded at the instant it happened by the rules; after
    a sync that arrived late, what the rules now say otherwise is rewritten and flagged as
    a correction (``docs/rules.md``, "History"). Events keep ``now``.

    With ``store=False`` (any transaction, read-only too) nothing is written: the result's
    ``rows`` hold the integrations as evaluated, its transitions and events what would have
    been stored.
    """
    found = conn.execute(sa.select(integrations).where(due)).all()
    rows = [integration_row(r) for r in found]
    late_from: dict[str, datetime | None] = {r.id: r.replay_from for r in found}
    result = PassResult(evaluated=len(rows), at=now, stored=store)
    if not rows:
        return result
    seen = syncs_for_evaluation(conn, due, now)
    starts = {row.id: replay_start(row.facts, late_from[row.id], row.evaluated_at) for row in rows}
    # A sync arrived late: the history recorded after where it belongs is read, and what
    # the rules now say otherwise is rewritten (one query for all such integrations).
    rewound = [
        row.id
        for row in rows
        if row.state is not None
        and row.evaluated_at is not None
        and (late := late_from[row.id]) is not None
        and late < row.evaluated_at
    ]
    recorded = stored_history(conn, rewound) if rewound else {}
    revision = next_revision(conn)
    updates: list[dict[str, Any]] = []
    clears: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    superseded: list[int] = []
    notices: list[dict[str, Any]] = []
    for row in rows:
        syncs_seen = seen.get(row.id, ())
        ev = evaluate(row.facts, syncs_seen, now)
        start = starts[row.id]
        facts = row.facts
        since = row.state_since
        old: list[StoredEntry] = []
        if row.id in recorded:
            entries = recorded[row.id]
            # What was recorded at `start` or later is replayed again.
            before = [e for e in entries if e.at < start]
            if before:
                facts = dataclasses.replace(facts, state=before[-1].to_state)
                since = before[-1].at
            elif entries:
                # Nothing recorded as early as that (a history from before revision 0007):
                # the replay starts at its first entry.
                start, facts, since = (
                    entries[0].at,
                    dataclasses.replace(facts, state=entries[0].to_state),
                    entries[0].at,
                )
                before = entries[:1]
            old = entries[len(before) :]
        steps = replay(facts, syncs_seen, start, now, final=ev)
        # The part of the recorded history the replay agrees with stays as it is.
        kept = 0
        while (
            kept < len(old)
            and kept < len(steps)
            and (old[kept].from_state, old[kept].to_state, old[kept].at)
            == (steps[kept].from_state, steps[kept].to_state, steps[kept].at)
        ):
            kept += 1
        dropped = old[kept:]
        steps = steps[kept:]
        # A correction rewrites what the history already said: it replaces recorded
        # entries, or it is dated before the last evaluation (a period already told) and is
        # not the step into a state the integration did not show before: that is news,
        # however late it arrived (a webhook after a pass).
        rewrites = bool(dropped)
        told = row.evaluated_at if row.state is not None else None
        news = steps[-1] if steps and steps[-1].to_state is not row.state else None
        superseded.extend(e.seq for e in dropped)
        if steps:
            since = steps[-1].at
        elif dropped:
            since = old[kept - 1].at if kept else since
        elif kept:
            since = old[kept - 1].at
        values = stored_values(ev, row, now, since)
        if values is None:
            if row.dirty or row.next_due_at != ev.next_due_at or late_from[row.id] is not None:
                clears.append({"b_id": row.id, "next_due_at": ev.next_due_at})
            if not dropped:
                continue
        else:
            if not store:
                result.rows[row.id] = evaluated_row(row, ev, now, since)
            values["b_id"] = row.id
            values["revision"] = revision
            updates.append(values)
        for step in steps:
            correction = rewrites or (step is not news and told is not None and step.at < told)
            history.append(
                {
                    "integration_id": row.id,
                    "from_state": step.from_state.value if step.from_state else None,
                    "to_state": step.to_state.value,
                    "at": step.at,
                    "reason": step.reason,
                    "recorded_at": now,
                    "correction": correction,
                }
            )
            result.transitions.append(
                Transition(
                    row.id,
                    row.organization,
                    row.tool,
                    step.from_state,
                    step.to_state,
                    step.at,
                    step.reason,
                    row.category,
                    ev.api,
                    correction=correction,
                )
            )
        for kind in ev.events:
            notices.append(
                {
                    "integration_id": row.id,
                    "kind": kind,
                    "at": now,
                    "message": EVENT_MESSAGES[kind],
                }
            )
            result.events.append(EventRow(row.id, kind, now, EVENT_MESSAGES[kind]))
        if ev.purge_due:
            result.purged.append(row.id)
    if not store:
        return result
    if result.purged:
        purge(conn, result.purged)
    if updates:
        conn.execute(
            integrations.update().where(integrations.c.id == sa.bindparam("b_id")),
            updates,
        )
    if clears:
        conn.execute(
            integrations.update()
            .where(integrations.c.id == sa.bindparam("b_id"))
            .values(dirty=False, next_due_at=sa.bindparam("next_due_at"), replay_from=None),
            clears,
        )
    if superseded:
        conn.execute(state_changes.delete().where(state_changes.c.id.in_(superseded)))
    if history:
        # Writers hold the write lock, so this transaction's entries are the ones after
        # the highest id, numbered in the order they were inserted: one query names them.
        last = conn.execute(sa.select(sa.func.max(state_changes.c.id))).scalar() or 0
        conn.execute(state_changes.insert(), history)
        seqs: dict[str, list[int]] = defaultdict(list)
        for r in conn.execute(
            sa.select(state_changes.c.integration_id, state_changes.c.id)
            .where(state_changes.c.id > last)
            .order_by(state_changes.c.id)
        ):
            seqs[r.integration_id].append(r.id)
        numbered: list[Transition] = []
        for t in result.transitions:
            ids = seqs.get(t.integration_id)
            numbered.append(dataclasses.replace(t, seq=ids.pop(0) if ids else None))
        result.transitions = numbered
    if notices:
        conn.execute(events.insert(), notices)
    result.revision = revision if updates else revision - 1
    return result


def syncs_for_evaluation(
    conn: Connection, due: sa.ColumnElement[bool], now: datetime
) -> dict[str, list[SyncFacts]]:
    """Just the syncs the rules can see, for every integration that is due.

    The evaluator needs the first finished sync (the QA rule), the last one (shown), and
    the counted syncs from the last one that was not an authentication failure onward
    (the last counted sync and the trailing run of authentication failures). Syncs ending
    after ``now`` come along too, so their end becomes a deadline. Three queries, each
    driven by the ``(integration_id, ended_at | started_at)`` indexes.
    """
    s2 = syncs.alias("s2")
    counted = sa.or_(
        integrations.c.credentials_updated_at.is_(None),
        s2.c.started_at >= integrations.c.credentials_updated_at,
    )
    # ORDER BY ... LIMIT 1 rather than max(): SQLite walks the index backwards and stops
    # at the first match, which is nearly always the newest sync.
    boundary = (
        sa.select(s2.c.ended_at)
        .where(
            s2.c.integration_id == integrations.c.id,
            s2.c.state.in_(NON_AUTH_FINISHED),
            s2.c.ended_at <= now,
            counted,
        )
        .order_by(s2.c.ended_at.desc())
        .limit(1)
        .correlate(integrations)
        .scalar_subquery()
    )
    # Without such a sync, every counted sync started at or after the credentials update,
    # and a sync still to finish ends after `now`: the earlier of the two bounds both.
    epoch = integrations.c.credentials_updated_at
    time_type = integrations.c.created_at.type
    lower_now = sa.func.coalesce(
        boundary,
        sa.case(
            (epoch.is_(None), sa.literal(BEGINNING, time_type)),
            (epoch < now, epoch),
            else_=sa.literal(now, time_type),
        ),
    )
    # The replay (syncwatch.replay) also steps through every sync that ended since where
    # it starts, and needs at its start the syncs from the last one that was not an
    # authentication failure (counted or not): never evaluated, from the beginning.
    replayed = integrations.c.replay_from
    start = sa.case(
        (integrations.c.evaluated_at.is_(None), sa.literal(BEGINNING, time_type)),
        (
            sa.and_(replayed.is_not(None), replayed < integrations.c.evaluated_at),
            replayed,
        ),
        else_=integrations.c.evaluated_at,
    )
    at_start = (
        sa.select(s2.c.ended_at)
        .where(
            s2.c.integration_id == integrations.c.id,
            s2.c.state.in_(NON_AUTH_FINISHED),
            s2.c.ended_at <= start,
        )
        .order_by(s2.c.ended_at.desc())
        .limit(1)
        .correlate(integrations)
        .scalar_subquery()
    )
    lower_start = sa.func.coalesce(at_start, sa.literal(BEGINNING, time_type))
    lower = sa.case((lower_start < lower_now, lower_start), else_=lower_now)
    cols = (
        syncs.c.integration_id,
        syncs.c.id,
        syncs.c.state,
        syncs.c.started_at,
        syncs.c.ended_at,
        syncs.c.warnings,
        syncs.c.errors,
        syncs.c.headline,
    )
    # `+integration.id` keeps SQLite from scanning every sync and looking each one's
    # integration up: it starts from the due integrations and seeks the index instead.
    tail = (
        sa.select(*cols)
        .select_from(
            integrations.join(syncs, syncs.c.integration_id == no_index(integrations.c.id))
        )
        .where(due, syncs.c.state.in_(FINISHED_SYNC_STATES), syncs.c.ended_at >= lower)
    )
    if conn.dialect.name != "sqlite":
        # PostgreSQL would hash-join every sync and run the `lower` subquery once per
        # sync (10x slower on a full pass); LATERAL seeks the index once per integration.
        s3 = syncs.alias("s3")
        seek = (
            sa.select(*(s3.c[c.name] for c in cols))
            .where(
                s3.c.integration_id == integrations.c.id,
                s3.c.state.in_(FINISHED_SYNC_STATES),
                s3.c.ended_at >= lower,
            )
            .offset(0)  # PostgreSQL's fence: keeps the subquery from being flattened
            .correlate(integrations)
            .lateral("tail")
        )
        tail = (
            sa.select(*(seek.c[c.name] for c in cols))
            .select_from(integrations.join(seek, sa.true()))
            .where(due)
        )

    def one_sync(
        order: Sequence[sa.ColumnElement[Any]], ended: sa.ColumnElement[Any]
    ) -> sa.Select[Any]:
        pick = (
            sa.select(s2.c.id)
            .where(
                s2.c.integration_id == integrations.c.id,
                s2.c.state.in_(FINISHED_SYNC_STATES),
                ended <= now,
            )
            .order_by(*order)
            .limit(1)
            .correlate(integrations)
            .scalar_subquery()
        )
        return sa.select(*cols).select_from(integrations.join(syncs, syncs.c.id == pick)).where(due)

    # The first sync matters until QA is decided, and to explain a QA hold; walking the
    # started_at index (not ended_at) stops at the first finished sync.
    first = one_sync((s2.c.started_at, s2.c.ended_at, s2.c.id), no_index(s2.c.ended_at)).where(
        sa.or_(
            integrations.c.qa_status.is_(None), integrations.c.qa_status != QaStatus.PASSED.value
        )
    )
    # Without a credentials update every finished sync counts, so the tail holds the last.
    last = one_sync(
        (s2.c.ended_at.desc(), s2.c.started_at.desc(), s2.c.id.desc()), s2.c.ended_at
    ).where(integrations.c.credentials_updated_at.is_not(None))

    found: dict[str, dict[str, SyncFacts]] = defaultdict(dict)
    for query in (tail, first, last):
        for r in conn.execute(query):
            found[r.integration_id][r.id] = sync_facts(r)
    return {k: list(v.values()) for k, v in found.items()}


def stored_values(
    ev: Evaluation, row: IntegrationRow, now: datetime, since: datetime | None
) -> dict[str, Any] | None:
    """The integration columns this evaluation changes, or ``None`` if it changes none.
    ``since`` is when the state shown began (the replay's last transition)."""
    f = ev.facts
    last = ev.last_sync
    values: dict[str, Any] = {
        "qa_status": f.qa_status.value if f.qa_status else None,
        "credentials_invalid_at": f.credentials_invalid_at,
        "enabled": f.enabled,
        "disabled_reason": f.disabled_reason,
        "disabled_at": f.disabled_at,
        "purged_at": f.purged_at,
        "state": ev.state.value,
        "state_reason": ev.reason,
        "state_since": since,
        "last_sync_id": last.id if last else None,
        "last_sync_state": last.state.value if last else None,
        "last_sync_ended_at": last.ended_at if last else None,
        "last_sync_warnings": last.warnings if last else 0,
        "last_sync_errors": last.errors if last else 0,
    }
    current = {
        "qa_status": row.qa_status.value if row.qa_status else None,
        "credentials_invalid_at": row.credentials_invalid_at,
        "enabled": row.enabled,
        "disabled_reason": row.disabled_reason,
        "disabled_at": row.disabled_at,
        "purged_at": row.purged_at,
        "state": row.state.value if row.state else None,
        "state_reason": row.state_reason,
        "state_since": row.state_since,
        "last_sync_id": row.last_sync_id,
        "last_sync_state": row.last_sync_state.value if row.last_sync_state else None,
        "last_sync_ended_at": row.last_sync_ended_at,
        "last_sync_warnings": row.last_sync_warnings,
        "last_sync_errors": row.last_sync_errors,
    }
    if values == current:
        return None
    values["evaluated_at"] = now
    values["dirty"] = False
    values["next_due_at"] = ev.next_due_at
    values["replay_from"] = None
    return values


def evaluated_row(
    row: IntegrationRow, ev: Evaluation, now: datetime, since: datetime | None
) -> IntegrationRow:
    """``row`` as it reads once ``ev`` (at ``now``) is stored: what :func:`stored_values`
    writes, for a pass that stores nothing (a read-only database, a clock behind)."""
    f = ev.facts
    last = ev.last_sync
    return dataclasses.replace(
        row,
        qa_status=f.qa_status,
        credentials_invalid_at=f.credentials_invalid_at,
        enabled=f.enabled,
        disabled_reason=f.disabled_reason,
        disabled_at=f.disabled_at,
        purged_at=f.purged_at,
        state=ev.state,
        state_reason=ev.reason,
        state_since=since,
        evaluated_at=now,
        last_sync_id=last.id if last else None,
        last_sync_state=last.state if last else None,
        last_sync_ended_at=last.ended_at if last else None,
        last_sync_warnings=last.warnings if last else 0,
        last_sync_errors=last.errors if last else 0,
        next_due_at=ev.next_due_at,
        dirty=False,
    )


def purge(conn: Connection, integration_ids: Sequence[str]) -> None:
    """Delete the syncs and log entries of these integrations (the tombstone stays)."""
    ids = list(integration_ids)
    conn.execute(log_entries.delete().where(log_entries.c.integration_id.in_(ids)))
    conn.execute(syncs.delete().where(syncs.c.integration_id.in_(ids)))
