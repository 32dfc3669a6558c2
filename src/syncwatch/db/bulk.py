"""The importer's load: the reads and writes of an import, and its bulk inserts.

:func:`import_load` opens the import's one write transaction and hands out an
:class:`ImportLoad`, which holds every statement an import runs (the importer itself builds
no SQL): the stored rows it merges with, bulk inserts, updates grouped by shape, the
recount of syncs that got new entries, and the evaluation of what changed.

Bulk inserts use the SQLite driver's ``executemany`` with plain tuples, or SQLAlchemy core
on every other database.

SQLAlchemy spends several microseconds per row turning each parameter dict into bound
values; for an import of hundreds of thousands of log entries that is most of the cost. On
SQLite the rows are instead handed to the driver as tuples whose values are already in the
form SQLAlchemy would have stored (times as ``YYYY-MM-DD HH:MM:SS.ffffff`` text in UTC),
so what lands in the file is byte-identical either way. That equivalence is checked, not
assumed: before a table takes the fast path, each column's own SQLAlchemy bind processor
is run on sample values and must agree with the fast conversion, else the core path is used.

A load that at least doubles a table also defers that table's secondary indexes on SQLite
(:func:`deferred_indexes`): dropped inside the import's transaction and built again at its
end, which sorts once instead of updating every index row by row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from syncwatch import limits, signatures
from syncwatch.db import tables
from syncwatch.db.history import note_sync_ends
from syncwatch.db.store import Store
from syncwatch.rows import PassResult

# Short names: the load's own variables are called integrations, syncs and logs.
integration_table = tables.integrations
sync_table = tables.syncs
log_table = tables.log_entries

__all__ = [
    "LOG_COLUMNS",
    "SYNC_COLUMNS",
    "BulkWriter",
    "ImportLoad",
    "LoadConflict",
    "Row",
    "deferred_indexes",
    "import_load",
    "should_defer",
    "sqlite_time",
    "utc_time",
]

Row = tuple[Any, ...]


def sqlite_time(t: datetime) -> str:
    """An aware time as SQLAlchemy stores it in SQLite: UTC, ``2026-11-18 14:30:33.000000``."""
    if t.utcoffset():
        t = t.astimezone(UTC)
    text = t.isoformat(" ")  # "2026-11-18 14:30:33[.ffffff]+00:00"
    return text[:26] if t.microsecond else text[:19] + ".000000"


def utc_time(t: datetime) -> datetime:
    """An aware time in UTC (what SQLAlchemy binds on every other database)."""
    return t.astimezone(UTC)


#: Values the fast path's conversions are checked against, per Python type of a column.
_SAMPLES: dict[type, tuple[Any, ...]] = {
    datetime: (
        datetime(2026, 11, 18, 14, 30, 33, tzinfo=UTC),
        datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime(2199, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime.fromisoformat("2026-03-29T02:30:00.5+05:45"),
    ),
    str: ("", "log line", "ümlaut ✖"),
    int: (0, 7, -3),
    bool: (True, False),
}


def _fast_value(value: Any) -> Any:
    return sqlite_time(value) if isinstance(value, datetime) else value


def _agrees(column: sa.Column[Any], dialect: sa.Dialect) -> bool:
    """Does the fast conversion store exactly what SQLAlchemy stores for this column?"""
    kind = column.type
    if isinstance(kind, sa.TypeDecorator):  # sqlmodel's AutoString, UTCDateTime
        kind = kind.impl_instance
    try:
        python_type = kind.python_type
    except NotImplementedError:
        return False
    samples = _SAMPLES.get(python_type)
    if samples is None:
        return False
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    for value in (*samples, None):
        stored = process(value) if process is not None else value
        fast = _fast_value(value)
        # bool: SQLAlchemy stores int 1/0, the driver binds True/False as 1/0.
        same = stored == fast and (type(stored) is type(fast) or isinstance(value, bool))
        if not same:
            return False
    return True


class BulkWriter:
    """Inserts many rows into a table inside the caller's transaction.

    Use :attr:`time` to put a time into a row: it gives the form the chosen path binds
    (stored text on SQLite's fast path, an aware UTC datetime elsewhere).
    """

    def __init__(self, conn: Connection, tables: Sequence[tuple[sa.Table, Sequence[str]]]) -> None:
        """Prepare to insert into each ``(table, columns)`` given; the fast path is taken
        only on SQLite and only if every one of them qualifies."""
        self.conn = conn
        self._plans: dict[tuple[str, tuple[str, ...]], tuple[str, Row]] = {}
        self.fast = conn.dialect.name == "sqlite"
        if self.fast:
            for table, columns in tables:
                plan = self._plan(table, tuple(columns))
                if plan is None:
                    self.fast = False
                    break
                self._plans[(table.name, tuple(columns))] = plan
        self.time: Callable[[datetime], Any] = sqlite_time if self.fast else utc_time

    def _plan(self, table: sa.Table, columns: tuple[str, ...]) -> tuple[str, Row] | None:
        """The driver-level INSERT for ``columns`` plus scalar defaults, or None for core."""
        dialect = self.conn.dialect
        plan: tuple[str, Row] | None = None
        given = [table.c[name] for name in columns]
        defaults: list[tuple[sa.Column[Any], Any]] = []
        usable = all(_agrees(c, dialect) for c in given)
        for column in table.columns:
            if column.name in columns or column.default is None:
                continue
            default = column.default
            if not (isinstance(default, sa.ColumnDefault) and default.is_scalar):
                usable = False  # a callable or SQL default: let SQLAlchemy run it
                break
            defaults.append((column, default.arg))
        if usable and all(_agrees(c, dialect) for c, _ in defaults):
            preparer = dialect.identifier_preparer
            names = [preparer.format_column(c) for c in given] + [
                preparer.format_column(c) for c, _ in defaults
            ]
            sql = (
                f"INSERT INTO {preparer.format_table(table)} ({', '.join(names)}) "
                f"VALUES ({', '.join('?' * len(names))})"
            )
            plan = (sql, tuple(_fast_value(v) for _, v in defaults))
        return plan

    def insert(self, table: sa.Table, columns: Sequence[str], rows: Sequence[Row]) -> None:
        """Insert ``rows`` (tuples in the order of ``columns``); other columns get defaults."""
        if not rows:
            return
        names = tuple(columns)
        if not self.fast:
            self.conn.execute(table.insert(), [dict(zip(names, row, strict=True)) for row in rows])
            return
        sql, defaults = self._plans[(table.name, names)]
        if defaults:
            rows = [row + defaults for row in rows]
        self.conn.exec_driver_sql(sql, list(rows))


#: A load defers a table's indexes only when it adds at least this many rows...
DEFER_MIN_ROWS = 10_000
#: ...and at least this many times the rows the table already has (its highest rowid, an
#: upper bound read from the index's last page: counting rows would read the whole table).
DEFER_MIN_RATIO = 1.0


def should_defer(conn: Connection, table: sa.Table, adding: int) -> bool:
    """Is dropping and rebuilding ``table``'s secondary indexes cheaper for this load?

    Rebuilding sorts every row of the table once; keeping them costs a B-tree insertion
    per new row and index (300,000 log entries into an empty table: about 0.9 s of 3.5 s
    with the indexes kept, 0.3 s to build them after). So it pays when the load is large
    and at least the size of what is stored. Only SQLite: dropping an index on PostgreSQL
    takes a lock that would block every reader of the table until the import commits,
    where SQLite's readers keep reading their snapshot, indexes included.
    """
    if conn.dialect.name != "sqlite" or adding < DEFER_MIN_ROWS or not table.indexes:
        return False
    stored = conn.exec_driver_sql(f'SELECT max(rowid) FROM "{table.name}"').scalar() or 0
    return adding >= DEFER_MIN_RATIO * stored


@contextmanager
def deferred_indexes(conn: Connection, tables: Sequence[sa.Table]) -> Iterator[None]:
    """Drop the secondary indexes of ``tables`` for the block, then create them again.

    Must run inside the caller's transaction: SQLite's DDL is transactional, so if the
    block raises, the rollback brings the indexes back with everything else (they are
    not rebuilt here, to not waste the time). Primary keys and unique constraints stay.
    """
    indexes = sorted((ix for t in tables for ix in t.indexes), key=lambda ix: str(ix.name))
    for index in indexes:
        index.drop(conn)
    yield
    for index in indexes:
        index.create(conn)


# --------------------------------------------------------------------------- the import's load

#: The columns of the sync rows an import inserts, in the order its rows hold them.
SYNC_COLUMNS = (
    "id",
    "integration_id",
    "type",
    "state",
    "started_at",
    "ended_at",
    "warnings",
    "errors",
    "headline",
    "signature",
)
#: The columns of the log rows an import inserts, in the order its rows hold them.
LOG_COLUMNS = ("id", "sync_id", "integration_id", "at", "level", "message", "field", "signature")

_CHUNK = 900  # stays under SQLite's oldest bound-parameter limit


def _chunks(items: Sequence[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), _CHUNK):
        yield list(items[i : i + _CHUNK])


class LoadConflict(Exception):
    """The database refused the load for a broken constraint; nothing was stored.

    The message is the database's own words.
    """


@contextmanager
def import_load(store: Store) -> Iterator[ImportLoad]:
    """The import's one write transaction (``store.write(bulk=True)``), as an
    :class:`ImportLoad`: committed when the block ends, rolled back if it raises.

    An integrity error is raised as :class:`LoadConflict`.
    """
    try:
        with store.write(bulk=True) as conn:
            yield ImportLoad(conn, store)
    except sa_exc.IntegrityError as err:  # pragma: no cover - reported as a whole
        raise LoadConflict(str(err.orig)) from None


class ImportLoad:
    """The statements of one import, inside its write transaction.

    Reads return plain dicts and sets; inserts take rows in the order of
    :data:`SYNC_COLUMNS` and :data:`LOG_COLUMNS`, with times in the form :attr:`fast`
    calls for (see :class:`BulkWriter`). Lists of ids are looked up in chunks, so a file
    of any size stays under the database's bound-parameter limit.
    """

    def __init__(self, conn: Connection, store: Store) -> None:
        """Wrap ``conn``, a write transaction of ``store``; no statement runs yet."""
        self._conn = conn
        self._store = store
        self._writer = BulkWriter(conn, [(sync_table, SYNC_COLUMNS), (log_table, LOG_COLUMNS)])
        #: Rows hold times as the text SQLite stores (the driver-level fast path), else
        #: aware UTC datetimes.
        self.fast = self._writer.fast

    # -- reads

    def integrations(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The stored integrations among ``ids``, each as a dict of its columns, by id."""
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(ids):
            for row in self._conn.execute(
                sa.select(integration_table).where(integration_table.c.id.in_(chunk))
            ):
                found[row.id] = dict(row._mapping)
        return found

    def syncs(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The stored syncs among ``ids`` (whoever owns them), by id: their
        ``integration_id``, ``type``, ``state``, ``started_at`` and ``ended_at``."""
        found: dict[str, dict[str, Any]] = {}
        # One statement with an expanding parameter: building an IN list of literals costs
        # SQLAlchemy a coercion per id (100,000 sync ids: 0.2 s).
        ids_param: sa.BindParameter[list[str]] = sa.bindparam("ids", expanding=True)
        stored_syncs = sa.select(
            sync_table.c.id,
            sync_table.c.integration_id,
            sync_table.c.type,
            sync_table.c.state,
            sync_table.c.started_at,
            sync_table.c.ended_at,
        ).where(sync_table.c.id.in_(ids_param))
        # (Into an empty sync table, as a first import, there is nothing to look up.)
        if self._conn.execute(sa.select(sync_table.c.id).limit(1)).first() is not None:
            for chunk in _chunks(ids):
                for row in self._conn.execute(stored_syncs, {"ids": chunk}):
                    found[row.id] = dict(row._mapping)
        return found

    def log_ids(self, sync_ids: Sequence[str]) -> dict[str, str]:
        """The stored log entries of these syncs: their ids, each with its sync's id."""
        ids_param: sa.BindParameter[list[str]] = sa.bindparam("ids", expanding=True)
        stored_logs = sa.select(log_table.c.id, log_table.c.sync_id).where(
            log_table.c.sync_id.in_(ids_param)
        )
        found: dict[str, str] = {}
        for chunk in _chunks(sync_ids):
            for lid, sid in self._conn.execute(stored_logs, {"ids": chunk}):
                found[lid] = sid
        return found

    def log_owners(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """The stored log entries among ``ids``: each id with its sync's and its
        integration's id. (Nothing is looked up in an empty table, as on a first import.)"""
        found: dict[str, tuple[str, str]] = {}
        if not ids or self._conn.execute(sa.select(log_table.c.id).limit(1)).first() is None:
            return found
        ids_param: sa.BindParameter[list[str]] = sa.bindparam("ids", expanding=True)
        owners = sa.select(log_table.c.id, log_table.c.sync_id, log_table.c.integration_id).where(
            log_table.c.id.in_(ids_param)
        )
        for chunk in _chunks(ids):
            for lid, sid, iid in self._conn.execute(owners, {"ids": chunk}):
                found[lid] = (sid, iid)
        return found

    def next_revision(self) -> int:
        """The revision number of this import's changes."""
        return self._store.next_revision(self._conn)

    # -- writes

    @contextmanager
    def indexes_deferred(self, syncs: int, logs: int) -> Iterator[None]:
        """Defer the sync and log tables' secondary indexes for the block where the load
        of ``syncs`` syncs and ``logs`` log entries pays for it (:func:`should_defer`):
        a load that at least doubles a table builds its indexes once, at the end."""
        conn = self._conn
        deferred = [
            t for t, n in ((sync_table, syncs), (log_table, logs)) if should_defer(conn, t, n)
        ]
        with deferred_indexes(conn, deferred):
            yield

    def insert(
        self, integrations: Sequence[dict[str, Any]], syncs: Sequence[Row], logs: Sequence[Row]
    ) -> None:
        """Insert new integrations (dicts of columns), syncs and log entries (rows)."""
        # Parents first: foreign keys are checked at the end of each statement.
        if integrations:
            self._conn.execute(integration_table.insert(), integrations)
        self._writer.insert(sync_table, SYNC_COLUMNS, syncs)
        self._writer.insert(log_table, LOG_COLUMNS, logs)

    def update_integrations(self, updates: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Set columns of stored integrations: ``(id, {column: value})`` each; one
        statement per set of columns changed."""
        by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for rid, values in updates:
            by_shape[tuple(sorted(values))].append(values | {"b_id": rid})
        for cols, rows in by_shape.items():
            self._conn.execute(
                integration_table.update()
                .where(integration_table.c.id == sa.bindparam("b_id"))
                .values({c: sa.bindparam(c) for c in cols}),
                rows,
            )

    def update_syncs(self, updates: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Set the ``type``, ``state``, ``started_at`` and ``ended_at`` of stored syncs:
        ``(id, {column: value})`` each, with all four columns."""
        if not updates:
            return
        self._conn.execute(
            sync_table.update()
            .where(sync_table.c.id == sa.bindparam("b_id"))
            .values(
                type=sa.bindparam("type"),
                state=sa.bindparam("state"),
                started_at=sa.bindparam("started_at"),
                ended_at=sa.bindparam("ended_at"),
            ),
            [values | {"b_id": sid} for sid, values in updates],
        )

    def recount(self, sync_ids: Sequence[str]) -> None:
        """Recompute the warning and error counts, the headline (the short form,
        :func:`syncwatch.limits.headline`, of the earliest error, else warning) and its
        line's signature of syncs that got new log entries."""

        def level_count(level: str) -> sa.ScalarSelect[Any]:
            return (
                sa.select(sa.func.count())
                .where(
                    log_table.c.sync_id == sync_table.c.id,
                    log_table.c.level == level,
                )
                .correlate(sync_table)
                .scalar_subquery()
            )

        for chunk in _chunks(sync_ids):
            headline = (
                sa.select(log_table.c.message)
                .where(
                    log_table.c.sync_id == sync_table.c.id,
                    log_table.c.level.in_(("ERROR", "WARNING")),
                )
                .order_by(
                    sa.case((log_table.c.level == "ERROR", 0), else_=1),
                    log_table.c.at,
                    log_table.c.id,
                )
                .limit(1)
                .correlate(sync_table)
                .scalar_subquery()
            )
            self._conn.execute(
                sync_table.update()
                .where(sync_table.c.id.in_(chunk))
                .values(
                    warnings=level_count("WARNING"), errors=level_count("ERROR"), headline=headline
                )
            )
            # The one-line short form is Python's (limits.headline), and so is the
            # signature, so both are applied to what SQL picked (the whole message): few
            # syncs are recounted.
            picked = self._conn.execute(
                sa.select(sync_table.c.id, sync_table.c.headline).where(
                    sync_table.c.id.in_(chunk), sync_table.c.headline.is_not(None)
                )
            ).all()
            fixes = [
                {
                    "b_id": sid,
                    "headline": limits.headline(text),
                    "signature": signatures.signature(text),
                }
                for sid, text in picked
            ]
            if fixes:
                self._conn.execute(
                    sync_table.update()
                    .where(sync_table.c.id == sa.bindparam("b_id"))
                    .values(headline=sa.bindparam("headline"), signature=sa.bindparam("signature")),
                    fixes,
                )

    def note_sync_ends(self, sync_ids: Sequence[str]) -> None:
        """Remember where these syncs (of integrations already evaluated) belong in their
        integrations' histories (:func:`syncwatch.db.history.note_sync_ends`)."""
        note_sync_ends(self._conn, sync_ids)

    def mark_changed(self, ids: Sequence[str], revision: int) -> None:
        """Mark stored integrations as changed at ``revision``: the evaluator looks again."""
        for chunk in _chunks(ids):
            self._conn.execute(
                integration_table.update()
                .where(integration_table.c.id.in_(chunk))
                .values(dirty=True, revision=revision)
            )

    def evaluate(self, ids: Sequence[str], now: datetime) -> PassResult:
        """Evaluate these integrations at ``now``, in this transaction."""
        return self._store.evaluate_ids(self._conn, ids, now)
