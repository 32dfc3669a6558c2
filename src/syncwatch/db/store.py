"""The store: the handle on a database (its units of work, read and write) and the named
reads and writes the rest of syncwatch calls.

A write unit of work on SQLite starts with ``BEGIN IMMEDIATE`` so that an evaluation pass
and an import never interleave; readers are never blocked (WAL).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

import syncwatch.db.evaluation as evaluation
import syncwatch.db.tables as tables
from syncwatch.clock import to_utc
from syncwatch.db.engine import BULK_CACHE_KIB, CACHE_KIB, begin_write
from syncwatch.db.errors import ClockBehind, ReadOnlyDatabase, store_error
from syncwatch.db.records import (
    audit_row,
    event_row,
    history_row,
    integration_row,
    log_row,
    sync_row,
)
from syncwatch.db.schema import create_engine
from syncwatch.rows import (
    AuditRow,
    EventRow,
    HistoryRow,
    IntegrationRow,
    LogRow,
    PassResult,
    SyncRow,
)


class Store:
    """The database behind syncwatch."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"

    @classmethod
    def open(cls, url_or_path: str | Path) -> Store:
        """Open (and create if needed) the database at a path or URL."""
        return cls(create_engine(url_or_path))

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    # -- transactions -----------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only unit of work."""
        try:
            with self.engine.connect() as conn, conn.begin():
                yield conn
        except sa_exc.SQLAlchemyError as err:
            raise store_error(err) from None

    @contextmanager
    def write(self, *, bulk: bool = False, large: bool = False) -> Iterator[Connection]:
        """A write unit of work, holding the database's write lock from its start.

        Every writer (evaluation pass, action, import) takes the same lock first, so write
        transactions run one at a time and each one reads what the previous one committed:
        a pass never writes back facts an action changed after the pass read them. SQLite's
        lock is ``BEGIN IMMEDIATE`` (waiting ``busy_timeout``, then retried); PostgreSQL's is
        a transaction-level advisory lock (waiting up to ``lock_timeout``). Both are released
        by the commit or rollback, or by the server when the process dies.

        ``bulk=True`` is for the importer, which inserts only rows whose parents it has
        inserted or checked in the same transaction: on SQLite it skips the per-row foreign
        key lookups (two per log entry, a tenth of a large import's time). ``large=True``
        (and ``bulk``): a transaction that may read much of the database (an import, an
        evaluation pass with work) gets a 64 MiB SQLite page cache, given back after it;
        other connections keep 8 MiB (the app's memory). SQLite only honours the foreign
        key switch outside a transaction, so both are set on the raw connection around it.
        """
        try:
            with self.engine.connect() as conn:
                raw: Any = None
                if self.is_sqlite:
                    conn = conn.execution_options(sqlite_begin="IMMEDIATE")
                    if bulk or large:
                        raw = conn.connection.driver_connection
                        raw.execute(f"PRAGMA cache_size = {BULK_CACHE_KIB}")
                    if bulk:
                        raw.execute("PRAGMA foreign_keys = OFF")
                try:
                    with begin_write(conn):
                        yield conn
                finally:
                    if raw is not None:
                        if bulk:
                            raw.execute("PRAGMA foreign_keys = ON")
                        raw.execute(f"PRAGMA cache_size = {CACHE_KIB}")
        except sa_exc.SQLAlchemyError as err:
            raise store_error(err) from None

    @staticmethod
    def next_revision(conn: Connection) -> int:
        """The revision number for the changes of this write transaction."""
        return evaluation.next_revision(conn)

    # -- reads ------------------------------------------------------------------------

    def revision(self) -> int:
        """The latest revision: changes with a higher one have not happened yet."""
        with self.read() as conn:
            return evaluation.latest_revision(conn)

    def integrations(
        self, *, include_deleted: bool = True, since_revision: int | None = None
    ) -> list[IntegrationRow]:
        """All integrations (or those changed after ``since_revision``), ordered by id."""
        query = sa.select(tables.integrations).order_by(tables.integrations.c.id)
        if not include_deleted:
            # As IntegrationRow.deleted: a deletion dated after the last evaluation is to come.
            t = tables.integrations.c
            query = query.where(
                sa.or_(
                    t.deleted_at.is_(None),
                    sa.and_(t.evaluated_at.is_not(None), t.deleted_at > t.evaluated_at),
                )
            )
        if since_revision is not None:
            query = query.where(tables.integrations.c.revision > since_revision)
        with self.read() as conn:
            return [integration_row(r) for r in conn.execute(query)]

    def get(self, integration_id: str, conn: Connection | None = None) -> IntegrationRow | None:
        """One integration, or ``None`` if the id is unknown (in ``conn``'s unit of work)."""
        query = sa.select(tables.integrations).where(tables.integrations.c.id == integration_id)
        if conn is not None:
            row = conn.execute(query).first()
        else:
            with self.read() as own:
                row = own.execute(query).first()
        return integration_row(row) if row is not None else None

    def syncs(self, integration_id: str, limit: int | None = None) -> list[SyncRow]:
        """An integration's syncs, newest first (running ones on top)."""
        query = (
            sa.select(tables.syncs)
            .where(tables.syncs.c.integration_id == integration_id)
            .order_by(tables.syncs.c.started_at.desc(), tables.syncs.c.id.desc())
        )
        if limit is not None:
            query = query.limit(limit)
        with self.read() as conn:
            return [sync_row(r) for r in conn.execute(query)]

    def logs(
        self,
        integration_id: str,
        *,
        sync_id: str | None = None,
        levels: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[LogRow]:
        """Log entries, newest first."""
        query = sa.select(tables.log_entries)
        if sync_id is not None:
            query = query.where(tables.log_entries.c.sync_id == sync_id)
        else:
            query = query.where(tables.log_entries.c.integration_id == integration_id)
        if levels:
            query = query.where(tables.log_entries.c.level.in_(list(levels)))
        query = query.order_by(tables.log_entries.c.at.desc(), tables.log_entries.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self.read() as conn:
            return [log_row(r) for r in conn.execute(query)]

    def sync_belongs(self, integration_id: str, sync_id: str) -> bool:
        """Whether ``sync_id`` is one of this integration's syncs."""
        with self.read() as conn:
            found = conn.execute(
                sa.select(tables.syncs.c.id).where(
                    tables.syncs.c.id == sync_id, tables.syncs.c.integration_id == integration_id
                )
            ).first()
        return found is not None

    def history(self, integration_id: str) -> list[HistoryRow]:
        """An integration's state history, oldest first."""
        with self.read() as conn:
            rows = conn.execute(
                sa.select(tables.state_changes)
                .where(tables.state_changes.c.integration_id == integration_id)
                .order_by(tables.state_changes.c.id)
            )
            return [history_row(r) for r in rows]

    def audit(self, integration_id: str | None = None) -> list[AuditRow]:
        """The audit log of operator actions, oldest first."""
        query = sa.select(tables.audit_entries).order_by(tables.audit_entries.c.id)
        if integration_id is not None:
            query = query.where(tables.audit_entries.c.integration_id == integration_id)
        with self.read() as conn:
            return [audit_row(r) for r in conn.execute(query)]

    def events(self, integration_id: str | None = None) -> list[EventRow]:
        """Events engineering was notified of, oldest first."""
        query = sa.select(tables.events).order_by(tables.events.c.id)
        if integration_id is not None:
            query = query.where(tables.events.c.integration_id == integration_id)
        with self.read() as conn:
            return [event_row(r) for r in conn.execute(query)]

    def counts(self) -> dict[str, int]:
        """Row counts per table (for ``show`` and tests)."""
        with self.read() as conn:
            return {
                name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() or 0)
                for name, t in (
                    ("integrations", tables.integrations),
                    ("syncs", tables.syncs),
                    ("log_entries", tables.log_entries),
                    ("history", tables.state_changes),
                    ("audit", tables.audit_entries),
                    ("events", tables.events),
                )
            }

    # -- the evaluation pass (syncwatch.db.evaluation) --------------------------------

    def evaluate_pass(self, now: datetime, *, full: bool = False) -> PassResult:
        """Evaluate every integration that needs it (all of them with ``full``).

        An integration needs evaluation when it is new, got new syncs or an operator acted
        on it (``dirty``), or a time-based rule has come due (``next_due_at``). The pass makes
        a constant number of queries, whatever the number of integrations.
        """
        now = to_utc(now)
        if not full:
            # A cheap read first: a pass with nothing to do never takes the write lock.
            with self.read() as conn:
                if not evaluation.any_due(conn, evaluation.needs_evaluation(now, full)):
                    return PassResult()
        with self.write(large=True) as conn:
            # Behind the last stored evaluation: at its time (within the tolerance), or
            # ClockBehind, which stores nothing.
            at = evaluation.write_time(conn, now)
            return evaluation.evaluate_where(conn, evaluation.needs_evaluation(at, full), at)

    def evaluate_for_reading(self, now: datetime, *, full: bool = False) -> PassResult:
        """:meth:`evaluate_pass` for a command that reads (``list``, ``show``, the UI's load).

        When the pass cannot be stored, because the database is read-only
        (:class:`ReadOnlyDatabase`) or ``now`` is behind the last stored evaluation
        (:class:`ClockBehind`), it runs in memory at ``now`` instead: the result is not
        ``stored``, ``not_stored`` says why, and ``rows`` holds the integrations as evaluated
        (``result.current(rows)`` lays them over stored rows).
        """
        now = to_utc(now)
        behind: ClockBehind | ReadOnlyDatabase | None = None
        with self.read() as conn:
            try:
                evaluation.write_time(conn, now)
            except ClockBehind as why:
                behind = why
        if behind is None:
            try:
                return self.evaluate_pass(now, full=full)
            except (ReadOnlyDatabase, ClockBehind) as why:
                behind = why
        # Behind the last stored evaluation, every stored state may be from after `now`:
        # evaluate them all. Read-only, only what a pass would have stored is out of date.
        full = full or isinstance(behind, ClockBehind)
        with self.read() as conn:
            due = evaluation.needs_evaluation(now, full)
            result = evaluation.evaluate_where(conn, due, now, store=False)
        result.not_stored = str(behind)
        return result

    def write_time(self, conn: Connection, now: datetime) -> datetime:
        """The time a write at ``now`` acts at, in the caller's write transaction: see
        :func:`syncwatch.db.evaluation.write_time` (raises :class:`ClockBehind`)."""
        return evaluation.write_time(conn, to_utc(now))

    def check_writable(self, now: datetime) -> datetime:
        """Raise :class:`ReadOnlyDatabase` or :class:`ClockBehind` if a write at ``now`` would
        fail, before anything irreversible happens elsewhere (a Kombo call); return the time
        the write would act at. Changes nothing."""
        with self.write() as conn:
            at = evaluation.write_time(conn, to_utc(now))
            # Matches no row: PostgreSQL still checks the privilege and the read-only mode.
            conn.execute(tables.integrations.update().where(sa.false()).values(dirty=True))
        return at

    def evaluate_ids(self, conn: Connection, ids: Sequence[str], now: datetime) -> PassResult:
        """Evaluate the given integrations inside the caller's write transaction.

        At ``now``, or at the last stored evaluation's time when ``now`` is behind it (an
        import, a webhook or a pull whose clock is behind another writer's): the history
        never runs backwards.
        """
        now = to_utc(now)
        last = evaluation.last_evaluated_at(conn)
        at = last if last is not None and last > now else now
        return evaluation.evaluate_where(conn, evaluation.ids_due(ids), at)
