"""The activity feed's reads: state transitions (``state_change``) and operator actions
(``audit_entry``) across the fleet, newest first, filtered, a page at a time.

One query per table, each already in the feed's order (time, then id, newest first) and cut
at the page size, then merged (:func:`syncwatch.feed.merge_newest_first`): two queries a
page, whatever the fleet's size. Paging is by keyset: a page starts strictly after the
previous one's last entry (:class:`~syncwatch.feed.FeedCursor`), so no offset is scanned.
The event table's notices are not read: every notice but the purge's repeats a transition
of the same time (a QA hold, credentials invalid), and a purge is shown by ``show``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncwatch.db.store import Store
from syncwatch.db.tables import audit_entries, integrations, state_changes
from syncwatch.feed import (
    FeedCursor,
    FeedEntry,
    FeedKind,
    FeedQuery,
    action_label,
    merge_newest_first,
)
from syncwatch.states import IntegrationState

__all__ = ["activity", "latest_ids", "newer_than"]


def activity(store: Store, query: FeedQuery) -> list[FeedEntry]:
    """One page of the feed: at most ``query.limit`` entries, newest first, after
    ``query.after`` when given."""
    with store.read() as conn:
        pages = [
            _read(conn, kind, query)
            for kind in (FeedKind.TRANSITION, FeedKind.ACTION)
            if query.wants(kind)
        ]
    return merge_newest_first(pages, query.limit)


def latest_ids(store: Store) -> tuple[int, int]:
    """The newest transition's and action's ids (0 when none): where ``--follow`` starts."""
    with store.read() as conn:
        seq = conn.execute(sa.select(sa.func.max(state_changes.c.id))).scalar()
        audit = conn.execute(sa.select(sa.func.max(audit_entries.c.id))).scalar()
    return int(seq or 0), int(audit or 0)


def newer_than(
    store: Store, query: FeedQuery, seen: tuple[int, int], limit: int = 500
) -> tuple[list[FeedEntry], tuple[int, int]]:
    """What was recorded after the ids ``seen`` (as :func:`latest_ids` gives them) that
    matches ``query``, oldest first (the order ``--follow`` prints in), and the ids seen
    now. By id, not by time: an entry recorded now may be dated in the past (a late sync),
    and it is still news."""
    seq, audit = seen
    found: list[FeedEntry] = []
    with store.read() as conn:
        for kind, table, last in (
            (FeedKind.TRANSITION, state_changes, seq),
            (FeedKind.ACTION, audit_entries, audit),
        ):
            newest = conn.execute(sa.select(sa.func.max(table.c.id))).scalar()
            newest = int(newest or 0)
            if newest <= last:
                continue
            if query.wants(kind):
                select = (
                    _select(kind, query)
                    .where(table.c.id > last, table.c.id <= newest)
                    .order_by(table.c.id)
                    .limit(limit)
                )
                read = [_entry(kind, r) for r in conn.execute(select)]
                found += read
                if len(read) == limit:
                    newest = read[-1].id  # the rest at the next look
            if kind is FeedKind.TRANSITION:
                seq = newest
            else:
                audit = newest
    found.sort(key=FeedEntry.sort_key)
    return found, (seq, audit)


# --------------------------------------------------------------------------- the queries


def _read(conn: Connection, kind: FeedKind, query: FeedQuery) -> list[FeedEntry]:
    table = state_changes if kind is FeedKind.TRANSITION else audit_entries
    select = _select(kind, query)
    if query.after is not None:
        select = select.where(_older_than(table, kind, query.after))
    select = select.order_by(
        table.c.at.desc(), table.c.integration_id.desc(), table.c.id.desc()
    ).limit(query.limit)
    return [_entry(kind, r) for r in conn.execute(select)]


def _select(kind: FeedKind, query: FeedQuery) -> sa.Select[Any]:
    """The entries of one kind matching ``query``'s filters, with the integration's names."""
    i = integrations.c
    if kind is FeedKind.TRANSITION:
        t = state_changes.c
        columns = [
            t.id,
            t.at,
            t.integration_id,
            t.from_state.label("before"),
            t.to_state.label("after"),
            t.reason,
            sa.null().label("action"),
            sa.null().label("actor"),
            sa.null().label("db_role"),
            t.correction,
        ]
        table = state_changes
    else:
        a = audit_entries.c
        columns = [
            a.id,
            a.at,
            a.integration_id,
            a.state_before.label("before"),
            a.state_after.label("after"),
            sa.literal("").label("reason"),
            a.action,
            a.actor,
            a.db_role,
            sa.false().label("correction"),
        ]
        table = audit_entries
    select = sa.select(*columns, i.organization, i.tool).select_from(
        table.join(integrations, integrations.c.id == table.c.integration_id)
    )
    after = table.c.to_state if kind is FeedKind.TRANSITION else table.c.state_after
    if query.states:
        select = select.where(after.in_(sorted(s.value for s in query.states)))
    if query.tools:
        select = select.where(sa.func.lower(i.tool).in_(sorted(t.lower() for t in query.tools)))
    if query.organizations:
        select = select.where(sa.or_(*(_contains(i.organization, o) for o in query.organizations)))
    if query.actors and kind is FeedKind.ACTION:
        select = select.where(
            sa.func.lower(audit_entries.c.actor).in_(sorted(a.lower() for a in query.actors))
        )
    if query.since is not None:
        select = select.where(table.c.at >= query.since)
    if query.integration_id is not None:
        select = select.where(table.c.integration_id == query.integration_id)
    for word in query.words:
        fields = [table.c.integration_id, i.organization, i.tool, after]
        if kind is FeedKind.TRANSITION:
            fields += [state_changes.c.reason, state_changes.c.from_state]
        else:
            fields += [audit_entries.c.actor, audit_entries.c.action, audit_entries.c.state_before]
        found = [_contains(f, word) for f in fields]
        titled = _actions_titled(word)
        if titled and kind is FeedKind.ACTION:
            found.append(audit_entries.c.action.in_(titled))
        select = select.where(sa.or_(*found))
    return select


def _actions_titled(word: str) -> list[str]:
    """The actions whose title contains ``word`` (``credentials`` finds
    ``update-credentials``, ``from qa`` nothing: one word at a time)."""
    from syncwatch.actions import Action
    from syncwatch.upstream_requests import AUDIT_NAMES

    names = [*(a.value for a in Action), *AUDIT_NAMES.values()]
    return [name for name in names if word in action_label(name).casefold()]


def _contains(column: Any, text: str) -> sa.ColumnElement[bool]:
    """``column`` contains ``text``, case aside, with ``%`` and ``_`` taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return sa.func.lower(column).like(f"%{escaped}%", escape="\\")


def _older_than(table: sa.Table, kind: FeedKind, cursor: FeedCursor) -> sa.ColumnElement[bool]:
    """This table's entries that come after ``cursor`` in the feed's order (older): by
    time, then integration id, then kind, then id, each descending."""
    at, iid, row_id = table.c.at, table.c.integration_id, table.c.id
    same_integration: sa.ColumnElement[bool]
    if cursor.kind.rank > kind.rank:
        same_integration = sa.true()  # this kind comes after the cursor's
    elif cursor.kind.rank < kind.rank:
        same_integration = sa.false()
    else:
        same_integration = row_id < cursor.id
    return sa.or_(
        at < cursor.at,
        sa.and_(
            at == cursor.at,
            sa.or_(
                iid < cursor.integration_id, sa.and_(iid == cursor.integration_id, same_integration)
            ),
        ),
    )


def _entry(kind: FeedKind, r: Any) -> FeedEntry:
    return FeedEntry(
        kind=kind,
        id=int(r.id),
        at=r.at,
        integration_id=r.integration_id,
        organization=r.organization,
        tool=r.tool,
        from_state=IntegrationState(r.before) if r.before else None,
        to_state=IntegrationState(r.after) if r.after else None,
        reason=r.reason or "",
        action=r.action,
        actor=r.actor,
        db_role=r.db_role,
        correction=bool(r.correction),
    )
