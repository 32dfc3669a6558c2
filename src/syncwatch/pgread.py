"""The list's read path on PostgreSQL with psycopg alone (no SQLAlchemy, SQLModel, pydantic).

The PostgreSQL twin of :mod:`syncwatch.fastread`: :class:`PgReader` answers every read of
:class:`~syncwatch.fastread.FastReader` (it is one, so the first screen, the app's
background load and the ``list``/``show``/``logs`` printers take it as they are) from a
PostgreSQL database at this syncwatch's schema head, with the same
:class:`~syncwatch.rows.IntegrationRow` records the ORM path returns, field for field.
``import psycopg`` costs about 0.2 s here; SQLAlchemy, SQLModel and pydantic about 1 s.

It serves only what it can serve exactly, and says so by :meth:`PgReader.open` returning
``None`` (the caller then takes the ORM path, which upgrades, refuses or reports the
database in its own words): a ``postgresql+psycopg://`` URL (the driver ``Store`` uses,
read into the same connection parameters as SQLAlchemy reads it) whose database is stamped
with this syncwatch's head revision and has every column read here. The connection is
read-only (``default_transaction_read_only``) and in autocommit: it never writes, and a
read holds no transaction open between statements.

How the ORM path reads the schema's times on PostgreSQL (``timestamp with time zone``,
SQLModel's ``UTCDateTime``): psycopg returns them in the session's time zone and
``UTCDateTime`` converts them to UTC. This reader sets the session's time zone to UTC, so
psycopg returns them in UTC already (``tzinfo=datetime.UTC``, the same object).

It is long because it is a whole read path: every read ``FastReader`` answers has its
PostgreSQL SQL and row building here (``tests/test_pgread.py`` fails when one is missing),
beside the URL parsing that must agree with SQLAlchemy's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Final
from urllib.parse import parse_qsl, unquote

import psycopg

from syncwatch.asof import FleetAsOf, LastSyncAt, StateAt, fleet_as_of
from syncwatch.attention import NO_ATTENTION, AttentionMark, mark_of
from syncwatch.fastread import (
    AS_OF_LAST_SYNCS,
    AS_OF_RECENT,
    AS_OF_STATES,
    FIRST_HISTORY,
    INTEGRATION_COLUMNS,
    ORDERS,
    STATES,
    STRIP_TEXTS,
    FastReader,
    RowBuilder,
    batches_with_strips,
    list_order,
    schema_head,
    strips_of_text,
    worst_states,
)
from syncwatch.rows import (
    AuditRow,
    HistoryRow,
    IntegrationRow,
    IssueRow,
    KomboMark,
    LogRow,
    SyncRow,
    UpstreamInfo,
)
from syncwatch.states import IntegrationState, SyncState
from syncwatch.trends import (
    NO_RECENT,
    RECENT_SYNCS,
    RecentResults,
    RecentSync,
    ResultStrip,
    recent_results,
)

__all__ = ["PgReader", "connect_args"]

#: The URL schemes read here: the driver ``Store`` opens PostgreSQL with. (A bare
#: ``postgresql://`` means psycopg2 to SQLAlchemy: left to the ORM path, which says so.)
SCHEMES: Final = ("postgresql+psycopg",)

#: SQLAlchemy's URL pattern (``sqlalchemy.engine.url._parse_url``), so that a URL names the
#: same server, user and database here as it does to ``Store``.
_URL: Final = re.compile(
    r"""
        (?P<name>[\w\+]+)://
        (?:
            (?P<username>[^:/]*)
            (?::(?P<password>[^@]*))?
        @)?
        (?:
            (?:
                \[(?P<ipv6host>[^/\?]+)\] |
                (?P<ipv4host>[^/:\?]+)
            )?
            (?::(?P<port>[^/\?]*))?
        )?
        (?:/(?P<database>[^\?]*))?
        (?:\?(?P<query>.*))?
    """,
    re.X,
)

_COLUMN_LIST: Final = ", ".join(INTEGRATION_COLUMNS)
_SELECT: Final = f"SELECT {_COLUMN_LIST} FROM integration"
_KEYS: Final = "SELECT state, organization, id FROM integration"
_COUNTS: Final = "SELECT state, count(*) FROM integration"
#: ``fastread.ROWS_WITH_STRIPS`` in PostgreSQL's words (the join's order said, not implied).
_ROWS_WITH_STRIPS: Final = (
    f"SELECT {_COLUMN_LIST}, (SELECT string_agg(CAST(state AS TEXT), ',' ORDER BY"
    " started_at DESC, id DESC) FROM (SELECT state, started_at, id FROM sync"
    " WHERE sync.integration_id = integration.id ORDER BY started_at DESC, id DESC"
    " LIMIT %s) AS recent) FROM integration"
)
#: As ``fastread``'s probe (and ``syncwatch.db.evaluation.needs_evaluation``).
_WORK_DUE: Final = (
    "SELECT EXISTS (SELECT 1 FROM integration WHERE dirty)"
    " OR EXISTS (SELECT 1 FROM integration WHERE NOT dirty AND next_due_at <= %s)"
    " OR EXISTS (SELECT 1 FROM integration WHERE state IS NULL)"
)
_SYNCS: Final = (
    "SELECT id, integration_id, type, state, started_at, ended_at, warnings, errors,"
    " headline, log_url FROM sync WHERE integration_id = %s"
    " ORDER BY started_at DESC, id DESC"
)
_HISTORY: Final = (
    "SELECT from_state, to_state, at, reason, correction, recorded_at FROM state_change"
    " WHERE integration_id = %s ORDER BY id"
)
_AUDIT: Final = (
    "SELECT integration_id, actor, action, at, state_before, state_after, db_role"
    " FROM audit_entry"
    " WHERE integration_id = %s ORDER BY id"
)
_ATTENTION: Final = (
    "SELECT acked_by, acked_at, ack_note, ack_state, snoozed_until, snoozed_by, snoozed_at"
    " FROM attention WHERE integration_id = %s"
)
_ATTENTION_ALL: Final = (
    "SELECT integration_id, acked_by, acked_at, ack_note, ack_state, snoozed_until,"
    " snoozed_by, snoozed_at FROM attention"
)
_ISSUES: Final = (
    "SELECT id, integration_id, type, title, status, message, first_observed_at,"
    " resolved_at, updated_at FROM integration_issue WHERE integration_id = %s"
    " ORDER BY CASE WHEN status = 'OPEN' THEN 0 ELSE 1 END, first_observed_at DESC, id"
)
_LOGS: Final = "SELECT id, sync_id, integration_id, at, level, message, field FROM log_entry"
_UPSTREAM: Final = (
    "SELECT id, upstream_status, upstream_checked_at, upstream_gone_at FROM integration"
)
_OPEN_ISSUES: Final = (
    "SELECT integration_id, count(*) FROM integration_issue"
    " WHERE status = 'OPEN' AND integration_id IS NOT NULL"
)
#: Each integration's last syncs, newest first; ``{where}`` is empty or an id filter.
_RECENT: Final = (
    "SELECT integration_id, id, state, started_at, ended_at FROM ("
    "SELECT integration_id, id, state, started_at, ended_at, row_number() OVER ("
    "PARTITION BY integration_id ORDER BY started_at DESC, id DESC) AS n FROM sync{where}"
    ") AS recent WHERE n <= %s"
)
#: Checked when a reader opens, in one round trip (planning them checks every table and
#: column they name; ``LIMIT 0`` reads no row).
_CHECKS: Final = "; ".join(
    f"{sql.replace('%s', 'NULL')} LIMIT 0"
    for sql in (
        _SELECT,
        _UPSTREAM,
        f"{_OPEN_ISSUES} GROUP BY integration_id",
        _SYNCS,
        _HISTORY,
        _AUDIT,
        _ATTENTION,
        _ISSUES,
        _LOGS,
        _RECENT.format(where=""),
        AS_OF_STATES.replace("?", "%s"),
        AS_OF_LAST_SYNCS.replace("?", "%s"),
        AS_OF_RECENT.replace("?", "%s"),
    )
)

#: The list's default order (as ``fastread``'s): worst state first, organisation
#: casefolded, then id.
_SEVERITY: Final[dict[str | None, int]] = {s.value: -s.severity for s in IntegrationState}


# --------------------------------------------------------------------------- locating


def connect_args(target: str | Path) -> dict[str, Any] | None:
    """The ``psycopg.connect`` keywords for ``target`` as ``Store`` would connect, or
    ``None`` when this module does not read it (another database or driver, several hosts
    or repeated options: the ORM path takes those).

    Read as SQLAlchemy's psycopg dialect reads the URL: user, password and database
    percent-decoded, the query's options passed on as libpq parameters, and JIT off unless
    the URL sets ``options`` itself (``syncwatch.db.engine.new_engine``).
    """
    match = _URL.fullmatch(str(target))
    if match is None or match["name"] not in SCHEMES:
        return None
    args: dict[str, Any] = {}
    host = match["ipv4host"] or match["ipv6host"]
    if host:
        args["host"] = host
    if match["port"]:
        if not match["port"].isdigit():
            return None  # SQLAlchemy refuses it: let it say so
        args["port"] = int(match["port"])
    for part, key in (("username", "user"), ("password", "password"), ("database", "dbname")):
        if match[part]:
            args[key] = unquote(match[part])
    query = parse_qsl(match["query"] or "", keep_blank_values=True)
    names = [name for name, _ in query]
    if len(set(names)) != len(names) or {"host", "port"} & set(names):
        return None  # several hosts: SQLAlchemy rewrites them
    args.update(query)
    if "options" not in args:
        args["options"] = "-c jit=off"
    return args


# --------------------------------------------------------------------------- the reader


class PgReader(FastReader):
    """Read-only access to a PostgreSQL database at this syncwatch's schema head.

    A :class:`~syncwatch.fastread.FastReader` in every read it offers (each one is
    answered here: ``tests/test_pgread.py`` checks that none is left to the SQLite code).
    Open it with :meth:`open`; ``None`` means "take the ORM path". One connection; psycopg
    serialises its use across threads.
    """

    read_error: ClassVar[type[Exception]] = psycopg.Error

    def __init__(self, conn: psycopg.Connection[tuple[Any, ...]], target: str) -> None:
        # Not FastReader.__init__: there is no SQLite connection (nor file) here.
        self._pg = conn
        self.target = target
        self._rows = RowBuilder(text_times=False)
        self._in_snapshot = False

    # -- opening ------------------------------------------------------------------------

    @classmethod
    def open(cls, target: str | Path, *, timeout: float = 5.0) -> PgReader | None:
        """A reader on the PostgreSQL URL ``target``, or ``None`` unless it is one this
        module reads (:func:`connect_args`), the server answers, and the database is
        stamped with this syncwatch's head revision and has every column read here.

        ``timeout`` is accepted for :class:`FastReader`'s sake; a PostgreSQL read waits
        for no lock. The connection waits as libpq (and so ``Store``) would.
        """
        del timeout
        args = connect_args(target)
        head = schema_head()
        if args is None or head is None:
            return None
        try:
            conn = psycopg.connect(autocommit=True, **args)
        except (psycopg.Error, ValueError, OSError):
            return None  # Store connects again and says why it cannot
        try:
            # Times in UTC (as UTCDateTime returns them); nothing written by mistake.
            conn.execute("SET TIME ZONE 'UTC'; SET default_transaction_read_only = on")
            if not _at_head(conn, head):
                conn.close()
                return None
        except (psycopg.Error, ValueError):
            conn.close()
            return None
        return cls(conn, str(target))

    def close(self) -> None:
        self._pg.close()

    # -- reads --------------------------------------------------------------------------

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._pg.execute(sql, params).fetchall()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self._pg.execute(sql, params).fetchone()
        assert row is not None
        return row[0]

    def work_due(self, now: datetime) -> bool:
        """Whether an evaluation pass at ``now`` would evaluate anything."""
        return bool(self._one(_WORK_DUE, (now,)))

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """The reads inside see one committed state of the database (one repeatable-read
        transaction)."""
        with self._transaction():
            yield

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self._in_snapshot:
            yield
            return
        self._pg.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        self._in_snapshot = True
        try:
            yield
        finally:
            self._in_snapshot = False
            self._pg.execute("COMMIT")

    def last_evaluated_at(self) -> datetime | None:
        """The time of the latest stored evaluation, ``None`` before the first one."""
        last: datetime | None = self._one("SELECT max(evaluated_at) FROM integration")
        return last

    def revision(self) -> int:
        """The latest revision (as ``Store.revision``)."""
        return int(self._one("SELECT max(revision) FROM integration") or 0)

    def count(self, *, include_deleted: bool = True) -> int:
        """How many integrations there are."""
        sql = "SELECT count(*) FROM integration"
        if not include_deleted:
            sql += " WHERE deleted_at IS NULL"
        return int(self._one(sql))

    def iter_integrations(
        self,
        *,
        batch: int = 2000,
        include_deleted: bool = True,
        since_revision: int | None = None,
        order: str = "id",
    ) -> Iterator[list[IntegrationRow]]:
        """The integrations in lists of up to ``batch``, ordered by id or as the list shows
        them (``order="list"``: the sort keys of every row are read and sorted here, then
        the rows batch by batch), all from one committed state (one transaction, held until
        the iterator is exhausted or closed)."""
        if batch < 1:
            raise ValueError("batch must be at least 1")
        _check_order(order)
        with self._transaction():
            if order == "id":
                sql, params = _query(_SELECT, include_deleted, since_revision)
                with self._pg.cursor(name="syncwatch_rows") as cur:  # a server-side cursor
                    cur.execute(sql + " ORDER BY id", params)
                    while chunk := cur.fetchmany(batch):
                        yield self._rows.rows(chunk)
                return
            sql, params = _query(_KEYS, include_deleted, since_revision)
            sort_key = list_order(_SEVERITY)
            # As FastReader: the first batch from the worst states' keys alone.
            count_sql, _ = _query(_COUNTS, include_deleted, since_revision)
            states = worst_states(self._all(f"{count_sql} GROUP BY state", params), batch)
            head: list[tuple[Any, ...]] = []
            if states is not None:
                where = "AND" if " WHERE " in sql else "WHERE"
                some = self._all(f"{sql} {where} state = ANY(%s)", (*params, states))
                head = sorted(some, key=sort_key)[:batch]
                yield self._by_id([k[2] for k in head])
            keys = self._all(sql, params)
            keys.sort(key=sort_key)
            for start in range(len(head), len(keys), batch):
                yield self._by_id([k[2] for k in keys[start : start + batch]])

    def iter_with_strips(
        self, sizes: Iterable[int], limit: int = RECENT_SYNCS
    ) -> Iterator[tuple[list[IntegrationRow], dict[str, ResultStrip]]]:
        """Every integration with its strip, in the table's own order (as
        ``FastReader.iter_with_strips``; a server-side cursor in one transaction)."""
        with self._transaction(), self._pg.cursor(name="syncwatch_strips") as cur:
            cur.execute(_ROWS_WITH_STRIPS, (limit,))
            yield from batches_with_strips(cur.fetchmany, self._rows, sizes)

    def _by_id(self, wanted: list[str]) -> list[IntegrationRow]:
        """The integrations with these ids, in this order."""
        found = {row[0]: row for row in self._all(f"{_SELECT} WHERE id = ANY(%s)", (wanted,))}
        return self._rows.rows(found[iid] for iid in wanted if iid in found)

    def integrations(
        self,
        *,
        include_deleted: bool = True,
        since_revision: int | None = None,
        order: str = "id",
    ) -> list[IntegrationRow]:
        """All integrations (or those changed after ``since_revision``), ordered by id (the
        database's collation, as ``Store.integrations``) or as the list shows them."""
        _check_order(order)
        sql, params = _query(_SELECT, include_deleted, since_revision)
        rows = self._rows.rows(self._all(sql + " ORDER BY id", params))
        if order == "list":
            rows.sort(key=_worst_first)
        return rows

    def get(self, integration_id: str) -> IntegrationRow | None:
        """One integration, or ``None`` if the id is unknown."""
        rows = self._rows.rows(self._all(f"{_SELECT} WHERE id = %s", (integration_id,)))
        return rows[0] if rows else None

    def kombo_marks(self, ids: Sequence[str] | None = None) -> dict[str, KomboMark]:
        """What the list marks about Kombo's side (as ``syncwatch.db.kombo.kombo_marks``)."""
        gone: dict[str, datetime] = {}
        counts: dict[str, int] = {}
        if ids is None:
            gone.update(
                self._all(
                    "SELECT id, upstream_gone_at FROM integration"
                    " WHERE upstream_gone_at IS NOT NULL"
                )
            )
            counts.update(self._all(f"{_OPEN_ISSUES} GROUP BY integration_id"))
            return {
                iid: KomboMark(counts.get(iid, 0), gone.get(iid)) for iid in gone.keys() | counts
            }
        wanted = list(ids)
        gone.update(
            self._all(
                "SELECT id, upstream_gone_at FROM integration"
                " WHERE id = ANY(%s) AND upstream_gone_at IS NOT NULL",
                (wanted,),
            )
        )
        counts.update(
            self._all(
                f"{_OPEN_ISSUES} AND integration_id = ANY(%s) GROUP BY integration_id", (wanted,)
            )
        )
        return {iid: KomboMark(counts.get(iid, 0), gone.get(iid)) for iid in ids}

    def upstream_info(self, ids: Iterable[str] | None = None) -> dict[str, UpstreamInfo]:
        """Kombo's side of these integrations (all with ``None``); an unknown id reads as
        "nothing known"."""
        info: dict[str, UpstreamInfo] = _Unknown()
        if ids is None:
            found = self._all(_UPSTREAM)
        else:
            found = self._all(f"{_UPSTREAM} WHERE id = ANY(%s)", (list(ids),))
        for iid, status, checked, gone in found:
            info[iid] = UpstreamInfo(status, checked, gone)
        return info

    def syncs(self, integration_id: str, limit: int | None = None) -> list[SyncRow]:
        """An integration's syncs, newest first (as ``Store.syncs``)."""
        sql, params = _limited(_SYNCS, (integration_id,), limit)
        return [
            SyncRow(id_, iid, type_, SyncState(state), *rest)
            for id_, iid, type_, state, *rest in self._all(sql, params)
        ]

    def recent_results(
        self, ids: Sequence[str] | None = None, limit: int = RECENT_SYNCS
    ) -> dict[str, RecentResults]:
        """Each integration's strip of last syncs (as ``FastReader.recent_results``): of
        ``ids`` (every id gets one, maybe empty), or with ``None`` of every integration
        that has a sync."""
        if ids is None:
            rows = self._all(_RECENT.format(where=""), (limit,))
        else:
            rows = self._all(
                _RECENT.format(where=" WHERE integration_id = ANY(%s)"), (list(ids), limit)
            )
        found: dict[str, list[RecentSync]] = {}
        for iid, sid, state, started, ended in rows:
            found.setdefault(iid, []).append(RecentSync(sid, SyncState(state), started, ended))
        out = {iid: recent_results(strip, limit) for iid, strip in found.items()}
        if ids is not None:
            for iid in ids:
                out.setdefault(iid, NO_RECENT)
        return out

    def result_strips(
        self, ids: Sequence[str], limit: int = RECENT_SYNCS
    ) -> dict[str, ResultStrip]:
        """What the list draws of each of ``ids``' last syncs (as
        ``FastReader.result_strips``)."""
        joined = "string_agg(CAST(state AS TEXT), ',' ORDER BY n DESC)"
        where = " WHERE integration_id = ANY(?)"
        sql = _pg(STRIP_TEXTS.format(joined=joined, ordered="", where=where))
        return strips_of_text(ids, self._all(sql, (list(ids), limit)))

    def history(self, integration_id: str) -> list[HistoryRow]:
        """An integration's state history, oldest first (as ``Store.history``)."""
        return [
            HistoryRow(
                STATES[before],
                IntegrationState(after),
                at,
                reason,
                bool(correction),
                recorded,
            )
            for before, after, at, reason, correction, recorded in self._all(
                _HISTORY, (integration_id,)
            )
        ]

    def audit(self, integration_id: str) -> list[AuditRow]:
        """An integration's audit log, oldest first (as ``Store.audit``)."""
        return [AuditRow(*row) for row in self._all(_AUDIT, (integration_id,))]

    def attention_marks(self) -> dict[str, AttentionMark]:
        """Every acknowledgement and snooze (as ``syncwatch.db.attention.attention_marks``)."""
        found = {row[0]: mark_of(*row[1:]) for row in self._all(_ATTENTION_ALL)}
        return {iid: mark for iid, mark in found.items() if not mark.empty}

    def attention(self, integration_id: str) -> AttentionMark:
        """An integration's acknowledgement and snooze (as ``syncwatch.db.attention``)."""
        rows = self._all(_ATTENTION, (integration_id,))
        return mark_of(*rows[0]) if rows else NO_ATTENTION

    def issues(self, integration_id: str) -> list[IssueRow]:
        """An integration's Kombo issues, open ones first, newest first in each."""
        return [IssueRow(*row) for row in self._all(_ISSUES, (integration_id,))]

    def logs(
        self,
        integration_id: str,
        *,
        sync_id: str | None = None,
        levels: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[LogRow]:
        """Log entries, newest first (as ``Store.logs``)."""
        params: list[Any]
        if sync_id is not None:
            sql, params = f"{_LOGS} WHERE sync_id = %s", [sync_id]
        else:
            sql, params = f"{_LOGS} WHERE integration_id = %s", [integration_id]
        if levels:
            sql += " AND level = ANY(%s)"
            params.append(list(levels))
        sql, all_params = _limited(sql + " ORDER BY at DESC, id DESC", tuple(params), limit)
        return [LogRow(*row) for row in self._all(sql, all_params)]

    def first_history_at(self) -> datetime | None:
        """When the state history starts (``None``: it is empty)."""
        first: datetime | None = self._one(FIRST_HISTORY)
        return first

    def fleet_as_of(self, at: datetime) -> FleetAsOf:
        """The fleet as it was at ``at`` (as ``FastReader.fleet_as_of``: the same
        statements), from one committed state."""
        with self._transaction():
            states = {
                iid: StateAt(IntegrationState(state), since, reason)
                for iid, state, since, reason in self._all(_pg(AS_OF_STATES), (at,))
            }
            last = {
                iid: LastSyncAt(sid, SyncState(state), ended, warnings or 0, errors or 0)
                for iid, sid, state, ended, warnings, errors in self._all(
                    _pg(AS_OF_LAST_SYNCS), (at,)
                )
            }
            recent: dict[str, list[RecentSync]] = {}
            for iid, sid, state, started, ended in self._all(_pg(AS_OF_RECENT), (at, RECENT_SYNCS)):
                recent.setdefault(iid, []).append(RecentSync(sid, SyncState(state), started, ended))
            rows = self.integrations()
        return fleet_as_of(at, rows, states, last, recent)

    def sync_belongs(self, integration_id: str, sync_id: str) -> bool:
        """Whether ``sync_id`` is one of this integration's syncs."""
        found = self._all(
            "SELECT 1 FROM sync WHERE id = %s AND integration_id = %s", (sync_id, integration_id)
        )
        return bool(found)


class _Unknown(dict[str, UpstreamInfo]):
    def __missing__(self, key: str) -> UpstreamInfo:
        value = self[key] = UpstreamInfo(None, None, None)
        return value


def _at_head(conn: psycopg.Connection[tuple[Any, ...]], head: str) -> bool:
    """Whether the database is stamped ``head`` and has every column read here (each
    statement is planned, not run: no row is read). Raises ``psycopg.Error`` when it
    cannot be told (no ``alembic_version`` table: a database syncwatch did not make)."""
    stamped = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    if stamped != [(head,)]:
        return False
    conn.execute(_CHECKS)
    return True


def _check_order(order: str) -> None:
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}, not {order!r}")


def _query(
    select: str, include_deleted: bool, since_revision: int | None
) -> tuple[str, tuple[Any, ...]]:
    where: list[str] = []
    params: tuple[Any, ...] = ()
    if not include_deleted:
        where.append("deleted_at IS NULL")
    if since_revision is not None:
        where.append("revision > %s")
        params = (since_revision,)
    return (f"{select} WHERE {' AND '.join(where)}" if where else select), params


def _limited(sql: str, params: tuple[Any, ...], limit: int | None) -> tuple[str, tuple[Any, ...]]:
    return (sql, params) if limit is None else (f"{sql} LIMIT %s", (*params, limit))


def _pg(sql: str) -> str:
    """``fastread``'s statement with psycopg's placeholders."""
    return sql.replace("?", "%s")


def _worst_first(row: IntegrationRow) -> tuple[int, str, str]:
    return (-(row.state.severity if row.state else 0), row.organization.casefold(), row.id)
