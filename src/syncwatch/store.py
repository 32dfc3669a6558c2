"""Storage: engine setup, set-based queries, applying evaluations, and the change feed.

Reads and writes go through :class:`Store`. A write transaction on SQLite starts with
``BEGIN IMMEDIATE`` so that an evaluation pass and an import never interleave; readers are
never blocked (WAL).
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.ext.compiler import compiles
from sqlmodel import SQLModel

from syncwatch import migrations
from syncwatch.clock import to_utc
from syncwatch.evaluator import (
    Evaluation,
    SyncFacts,
    evaluate,
)
from syncwatch.models import AuditEntry, Event, Integration, LogEntry, StateChange, Sync
from syncwatch.rows import (
    AuditRow,
    EventRow,
    HistoryRow,
    IntegrationRow,
    LogRow,
    PassResult,
    SyncRow,
    Transition,
)
from syncwatch.states import (
    FINISHED_SYNC_STATES,
    IntegrationState,
    QaStatus,
    SyncState,
)

I = Integration.__table__  # type: ignore[attr-defined]  # noqa: E741
S = Sync.__table__  # type: ignore[attr-defined]
L = LogEntry.__table__  # type: ignore[attr-defined]
H = StateChange.__table__  # type: ignore[attr-defined]
A = AuditEntry.__table__  # type: ignore[attr-defined]
E = Event.__table__  # type: ignore[attr-defined]

#: Sync states that end a run of authentication failures.
_NON_AUTH_FINISHED = tuple(
    s for s in FINISHED_SYNC_STATES if s != SyncState.AUTHENTICATION_FAILED.value
)


#: Earlier than any stored time.
_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)


class StoreError(Exception):
    """A foreseeable storage failure (corrupt, locked, unreachable database), said plainly."""


#: Every syncwatch writer on a PostgreSQL database takes this transaction-level advisory
#: lock first (an arbitrary constant: the ASCII bytes of "syncwatc" as a 64-bit key).
WRITE_LOCK_KEY = 0x73796E6377617463
#: How long a PostgreSQL writer waits for the lock before giving up, in seconds.
PG_LOCK_TIMEOUT_S = 20
#: How many ``BEGIN IMMEDIATE`` waits (``busy_timeout`` each) a SQLite writer makes.
WRITE_LOCK_ATTEMPTS = 2
#: How many times opening a SQLite file looks at its schema again when it finds it locked.
OPEN_ATTEMPTS = 5


def _is_busy(err: sa_exc.OperationalError) -> bool:
    text = str(err.orig)
    return "locked" in text or "busy" in text


# --------------------------------------------------------------------------- engine


class _no_index(sa.sql.expression.ColumnElement[Any]):
    """``+column`` on SQLite, SQLite's documented way to keep a term from driving an index;
    the plain column elsewhere."""

    inherit_cache = True

    def __init__(self, column: sa.ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type


@compiles(_no_index)
def _compile_no_index(element: _no_index, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column, **kw))


@compiles(_no_index, "sqlite")
def _compile_no_index_sqlite(element: _no_index, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.column, **kw))


def database_url(url_or_path: str | Path) -> str:
    """Turn a file path into a SQLite URL; leave SQLAlchemy URLs as they are."""
    text = str(url_or_path)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def _configure_sqlite(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy's begin event issue BEGIN, so writers can ask for IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 10000")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA cache_size = -65536")  # 64 MiB: bulk imports of 100k+ rows
        cur.execute("PRAGMA journal_mode = WAL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def _new_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 10})
        _configure_sqlite(engine)
        return engine
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql") and "options" not in sa.engine.make_url(url).query:
        # JIT-compiling syncwatch's short index-driven queries costs more than it saves
        # (0.5 s of a full pass over 10,000 integrations went to compiling).
        connect_args["options"] = "-c jit=off"
    return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)


@contextmanager
def _database_errors(url: str) -> Iterator[None]:
    """Turn what a database or its driver raises into a :class:`StoreError`, said plainly."""
    try:
        yield
    except StoreError:
        raise
    except ImportError as err:
        raise StoreError(
            f"the database driver for {redact_url(url)} is not installed ({err.name}); "
            "syncwatch ships psycopg 3 for PostgreSQL: use a postgresql+psycopg:// URL"
        ) from None
    except (sa_exc.SQLAlchemyError, OSError, ValueError) as err:
        raise StoreError(describe_db_error(err, url)) from None


def create_engine(url_or_path: str | Path) -> Engine:
    """An engine for a SQLite path or any SQLAlchemy URL, its schema ready for this version.

    A new database gets the schema; an older one is upgraded on SQLite and refused with the
    command to run on PostgreSQL (see :func:`prepare_schema`).
    """
    url = database_url(url_or_path)
    with _database_errors(url):
        engine = _new_engine(url)
        try:
            for attempt in range(1, OPEN_ATTEMPTS + 1):
                try:
                    prepare_schema(engine, url, upgrade=engine.dialect.name == "sqlite")
                    break
                except sa_exc.OperationalError as err:
                    # Another process is creating or upgrading the same SQLite file, or
                    # switching a new one to WAL (which SQLite refuses at once, without
                    # waiting busy_timeout, while another connection holds it): look again.
                    if engine.dialect.name != "sqlite" or not _is_busy(err):
                        raise
                    if attempt == OPEN_ATTEMPTS:
                        raise
                    time.sleep(0.1 * attempt)
        except BaseException:
            engine.dispose()
            raise
    return engine


# --------------------------------------------------------------------------- schema versions


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    """Where a database's schema stands against the revisions this syncwatch ships."""

    #: ``empty`` (no syncwatch tables), ``unversioned`` (the first release's tables, not
    #: stamped), ``current``, ``behind`` (an older revision) or ``newer`` (unknown to us).
    state: str
    #: The stamped revision (``None`` when empty or unversioned).
    revision: str | None
    head: str

    def describe(self) -> str:
        """One line for ``syncwatch db current``."""
        if self.state == "current":
            return f"{self.revision} (head)"
        if self.state == "behind":
            return f"{self.revision} (behind: head is {self.head}; run syncwatch db upgrade)"
        if self.state == "newer":
            return (
                f"{self.revision} (newer than this syncwatch, whose head is {self.head}: "
                "made by a newer syncwatch)"
            )
        if self.state == "unversioned":
            return (
                "none: the first released schema, unversioned (syncwatch db upgrade stamps "
                f"it {migrations.FIRST_RELEASE} and upgrades it to {self.head})"
            )
        return f"none: an empty database (opening or upgrading it creates schema {self.head})"


def _schema_status(conn: Connection) -> SchemaStatus:
    head = migrations.head()
    revision = migrations.stored_revision(conn)
    if revision is None:
        tables = set(sa.inspect(conn).get_table_names())
        state = "unversioned" if tables & _FIRST_RELEASE_TABLES else "empty"
    elif revision == head:
        state = "current"
    elif revision in migrations.known_revisions():
        state = "behind"
    else:
        state = "newer"
    return SchemaStatus(state, revision, head)


#: The tables of the first release: a database with any of them and no version is one.
_FIRST_RELEASE_TABLES = frozenset(
    {"integration", "sync", "log_entry", "state_change", "audit_entry", "event"}
)


def _refuse_newer(status: SchemaStatus, url: str) -> None:
    if status.state == "newer":
        raise StoreError(
            f"the database {redact_url(url)} has schema revision {status.revision}, which "
            f"this syncwatch does not know (its newest is {status.head}): a newer syncwatch "
            "upgraded it; use that version"
        )


def prepare_schema(engine: Engine, url: str, *, upgrade: bool) -> SchemaStatus:
    """Make sure the schema is this version's; return where it stood before.

    Up to date: one cheap read, nothing else. Empty: the schema is created and stamped.
    Older (or the unversioned first release): upgraded when ``upgrade`` (SQLite, on open;
    ``syncwatch db upgrade``), else refused with the command to run (PostgreSQL on open: a
    team database is upgraded when an administrator decides). Newer: refused.
    """
    with engine.connect() as conn:
        status = _schema_status(conn)
        conn.rollback()
    if status.state == "current":
        return status
    _refuse_newer(status, url)
    if status.state != "empty" and not upgrade:
        was = status.revision or "the first release's (unversioned)"
        raise StoreError(
            f"the database {redact_url(url)} has schema {was}; this syncwatch needs "
            f"{status.head}. A PostgreSQL database is not upgraded on open, so that an "
            "administrator picks the moment (after a backup, with older syncwatch processes "
            f"stopped): run `syncwatch db upgrade --db {redact_url(url)}` "
            "(with the real password, or SYNCWATCH_DB set)"
        )
    return _migrate(engine, url)


def _migrate(engine: Engine, url: str) -> SchemaStatus:
    """Create or upgrade the schema in one transaction, under the writers' lock."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            if engine.dialect.name == "postgresql":
                # Serialized with every writer and with another process opening it too.
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{PG_LOCK_TIMEOUT_S}s'")
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(WRITE_LOCK_KEY)))
            status = _schema_status(conn)  # again: another process may have done it
            _refuse_newer(status, url)
            if status.state == "empty":
                SQLModel.metadata.create_all(conn)
                migrations.stamp(conn, status.head)
            elif status.state == "behind":
                migrations.run_upgrade(conn)
            elif status.state == "unversioned":
                migrations.stamp(conn, migrations.FIRST_RELEASE)
                try:
                    migrations.run_upgrade(conn)
                except sa_exc.SQLAlchemyError as err:
                    # Tables by those names, but not the first release's: refuse, unchanged.
                    raise StoreError(
                        f"the database {redact_url(url)} was made by another version of "
                        f"syncwatch (not its first released schema: {describe_db_error(err)}); "
                        "use a new --db file"
                    ) from None
                _check_schema(conn, url)
    return status


def schema_status(url_or_path: str | Path) -> SchemaStatus:
    """Where the database's schema stands (``syncwatch db current``); changes nothing."""
    url = database_url(url_or_path)
    if url.startswith("sqlite:///") and not Path(url.split("///", 1)[1]).exists():
        raise StoreError(f"no database at {url.split('///', 1)[1]}")
    with _database_errors(url):
        engine = _new_engine(url)
        try:
            with engine.connect() as conn:
                return _schema_status(conn)
        finally:
            engine.dispose()


def upgrade_schema(url_or_path: str | Path) -> tuple[SchemaStatus, SchemaStatus]:
    """Create or upgrade the schema to this version's head (``syncwatch db upgrade``).

    Returns the status before and after.
    """
    url = database_url(url_or_path)
    with _database_errors(url):
        engine = _new_engine(url)
        try:
            before = prepare_schema(engine, url, upgrade=True)
            with engine.connect() as conn:
                return before, _schema_status(conn)
        finally:
            engine.dispose()


def _check_schema(conn: Connection, url: str) -> None:
    """Refuse a database whose tables lack columns this version needs, saying so.

    Run after stamping an unversioned database: one made before the first release (or by
    hand) is not the first released schema, whatever its tables are called.
    """
    inspector = sa.inspect(conn)
    tables = set(inspector.get_table_names())
    for table in SQLModel.metadata.sorted_tables:
        have = (
            {c["name"] for c in inspector.get_columns(table.name)}
            if table.name in tables
            else set()
        )
        missing = [c.name for c in table.columns if c.name not in have]
        if missing:
            lacks = "the table" if not have else ", ".join(missing)
            raise StoreError(
                f"the database {redact_url(url)} was made by another version of syncwatch "
                f"(table {table.name} lacks {lacks}); use a new --db file"
            )


def describe_db_error(err: BaseException, url: str = "") -> str:
    """A one-line explanation of a database failure, fit for a user (never a password)."""
    text = str(getattr(err, "orig", None) or err)
    password = _password(url)
    if password:
        text = text.replace(password, "***")
    where = f" ({redact_url(url)})" if url else ""
    first = text.strip().splitlines()[0] if text.strip() else type(err).__name__
    if "file is not a database" in text or "malformed" in text:
        return f"the database file is corrupt or not a syncwatch database{where}: {text}"
    if "locked" in text or "busy" in text:
        return f"the database is locked by another process{where}; try again shortly"
    if "unable to open" in text:
        return f"cannot open the database{where}: {text}"
    # PostgreSQL (libpq's messages, as psycopg passes them on).
    if "password authentication failed" in text or "no password supplied" in text:
        return (
            f"PostgreSQL refused the login{where}: wrong user or password; "
            "check the user and password in the URL"
        )
    if re.search(r'role ".*" does not exist', text):
        return f"PostgreSQL refused the login{where}: {_libpq_detail(text)}; check the user"
    if re.search(r'database ".*" does not exist', text):
        return (
            f"the PostgreSQL database does not exist{where}: {_libpq_detail(text)}; "
            "create it (createdb NAME) or fix the URL"
        )
    if "no pg_hba.conf entry" in text:
        return (
            f"the PostgreSQL server does not accept this connection{where} (pg_hba.conf): "
            f"{_libpq_detail(text)}"
        )
    if (
        "Connection refused" in text
        or "could not connect" in text
        or "timeout expired" in text
        or "No route to host" in text
        or "could not translate host name" in text
        or "failed to resolve host" in text
        or "Name or service not known" in text
    ):
        return (
            f"cannot reach the PostgreSQL database server{where}: is it running and accepting "
            f"connections on that host and port? ({_libpq_detail(text)})"
        )
    return f"database error{where}: {first}"


def _password(url: str) -> str | None:
    try:
        return sa.engine.make_url(url).password if url else None
    except Exception:
        return None


def _libpq_detail(text: str) -> str:
    """The informative part of a libpq message: after its last ``FATAL:`` or ``failed:``."""
    line = " ".join(part.strip() for part in text.strip().splitlines() if part.strip())
    for marker in ("FATAL:", "failed:"):
        if marker in line:
            line = line.rsplit(marker, 1)[1].strip()
            break
    return line


def redact_url(url: str) -> str:
    """A database URL without its password."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


# --------------------------------------------------------------------------- read models


def _row_to_integration(row: Row[Any]) -> IntegrationRow:
    m = row._mapping
    return IntegrationRow(
        id=m["id"],
        tool=m["tool"],
        category=m["category"],
        organization=m["organization"],
        environment=m["environment"],
        created_at=m["created_at"],
        enabled=bool(m["enabled"]),
        filters_configured=bool(m["filters_configured"]),
        qa_status=QaStatus(m["qa_status"]) if m["qa_status"] else None,
        credentials_invalid_at=m["credentials_invalid_at"],
        credentials_updated_at=m["credentials_updated_at"],
        last_api_request_at=m["last_api_request_at"],
        last_reactivated_at=m["last_reactivated_at"],
        disabled_reason=m["disabled_reason"],
        disabled_at=m["disabled_at"],
        deleted_at=m["deleted_at"],
        purged_at=m["purged_at"],
        state=IntegrationState(m["state"]) if m["state"] else None,
        state_reason=m["state_reason"],
        state_since=m["state_since"],
        evaluated_at=m["evaluated_at"],
        last_sync_id=m["last_sync_id"],
        last_sync_state=SyncState(m["last_sync_state"]) if m["last_sync_state"] else None,
        last_sync_ended_at=m["last_sync_ended_at"],
        last_sync_warnings=m["last_sync_warnings"] or 0,
        last_sync_errors=m["last_sync_errors"] or 0,
        next_due_at=m["next_due_at"],
        dirty=bool(m["dirty"]),
        revision=m["revision"] or 0,
    )


_EVENT_MESSAGES = {
    "qa_hold": "First sync had issues: held for quality assurance; engineering notified.",
    "credentials_invalid": "Credentials invalid after 72 h of authentication failures; "
    "syncs paused.",
    "disabled_for_inactivity": "Disabled: no API request for 14 days.",
    "purged": "Syncs and log entries purged 14 days after deletion.",
}


# --------------------------------------------------------------------------- the store


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
        self.engine.dispose()

    # -- transactions -----------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only unit of work."""
        try:
            with self.engine.connect() as conn, conn.begin():
                yield conn
        except sa_exc.SQLAlchemyError as err:
            raise StoreError(describe_db_error(err)) from None

    @contextmanager
    def write(self, *, bulk: bool = False) -> Iterator[Connection]:
        """A write unit of work, holding the database's write lock from its start.

        Every writer (evaluation pass, action, import) takes the same lock first, so write
        transactions run one at a time and each one reads what the previous one committed:
        a pass never writes back facts an action changed after the pass read them. SQLite's
        lock is ``BEGIN IMMEDIATE`` (waiting ``busy_timeout``, then retried); PostgreSQL's is
        a transaction-level advisory lock (waiting up to ``lock_timeout``). Both are released
        by the commit or rollback, or by the server when the process dies.

        ``bulk=True`` is for the importer, which inserts only rows whose parents it has
        inserted or checked in the same transaction: on SQLite it skips the per-row foreign
        key lookups (two per log entry, a tenth of a large import's time). SQLite only honours
        the switch outside a transaction, so it is flipped on the raw connection around it.
        """
        try:
            with self.engine.connect() as conn:
                raw: Any = None
                if self.is_sqlite:
                    conn = conn.execution_options(sqlite_begin="IMMEDIATE")
                    if bulk:
                        raw = conn.connection.driver_connection
                        raw.execute("PRAGMA foreign_keys = OFF")
                try:
                    with self._begin_write(conn):
                        yield conn
                finally:
                    if raw is not None:
                        raw.execute("PRAGMA foreign_keys = ON")
        except sa_exc.SQLAlchemyError as err:
            raise StoreError(describe_db_error(err)) from None

    def _begin_write(self, conn: Connection) -> sa.RootTransaction:
        """Begin a transaction that holds the write lock, waiting (boundedly) for it."""
        if self.is_sqlite:
            # BEGIN IMMEDIATE already waits busy_timeout; a few more tries ride out a long
            # import or full pass before the user is told the database is busy.
            for attempt in range(1, WRITE_LOCK_ATTEMPTS + 1):
                try:
                    return conn.begin()
                except sa_exc.OperationalError as err:
                    if not _is_busy(err):
                        raise
                    if attempt == WRITE_LOCK_ATTEMPTS:
                        raise StoreError(
                            "the database is locked: another syncwatch process held its write "
                            f"lock through {WRITE_LOCK_ATTEMPTS} busy timeouts; try again shortly"
                        ) from None
                    time.sleep(0.05 * attempt)
        trans = conn.begin()
        if conn.dialect.name == "postgresql":
            try:
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{PG_LOCK_TIMEOUT_S}s'")
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(WRITE_LOCK_KEY)))
            except sa_exc.OperationalError as err:
                trans.rollback()
                if "lock timeout" in str(err.orig):
                    raise StoreError(
                        "the database is locked: another syncwatch process held its write "
                        f"lock for {PG_LOCK_TIMEOUT_S} s; try again shortly"
                    ) from None
                raise
        return trans

    @staticmethod
    def next_revision(conn: Connection) -> int:
        """The revision number for the changes of this write transaction."""
        current = conn.execute(sa.select(sa.func.max(I.c.revision))).scalar()
        return int(current or 0) + 1

    # -- reads ------------------------------------------------------------------------

    def revision(self) -> int:
        """The latest revision: changes with a higher one have not happened yet."""
        with self.read() as conn:
            return int(conn.execute(sa.select(sa.func.max(I.c.revision))).scalar() or 0)

    def integrations(
        self, *, include_deleted: bool = True, since_revision: int | None = None
    ) -> list[IntegrationRow]:
        """All integrations (or those changed after ``since_revision``), ordered by id."""
        query = sa.select(I).order_by(I.c.id)
        if not include_deleted:
            query = query.where(I.c.deleted_at.is_(None))
        if since_revision is not None:
            query = query.where(I.c.revision > since_revision)
        with self.read() as conn:
            return [_row_to_integration(r) for r in conn.execute(query)]

    def get(self, integration_id: str, conn: Connection | None = None) -> IntegrationRow | None:
        """One integration, or ``None`` if the id is unknown."""
        query = sa.select(I).where(I.c.id == integration_id)
        if conn is not None:
            row = conn.execute(query).first()
        else:
            with self.read() as own:
                row = own.execute(query).first()
        return _row_to_integration(row) if row is not None else None

    def syncs(self, integration_id: str, limit: int | None = None) -> list[SyncRow]:
        """An integration's syncs, newest first (running ones on top)."""
        query = (
            sa.select(S)
            .where(S.c.integration_id == integration_id)
            .order_by(S.c.started_at.desc(), S.c.id.desc())
        )
        if limit is not None:
            query = query.limit(limit)
        with self.read() as conn:
            return [
                SyncRow(
                    r.id,
                    r.integration_id,
                    r.type,
                    SyncState(r.state),
                    r.started_at,
                    r.ended_at,
                    r.warnings,
                    r.errors,
                    r.headline,
                    r.log_url,
                )
                for r in conn.execute(query)
            ]

    def logs(
        self,
        integration_id: str,
        *,
        sync_id: str | None = None,
        levels: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[LogRow]:
        """Log entries, newest first."""
        query = sa.select(L)
        if sync_id is not None:
            query = query.where(L.c.sync_id == sync_id)
        else:
            query = query.where(L.c.integration_id == integration_id)
        if levels:
            query = query.where(L.c.level.in_(list(levels)))
        query = query.order_by(L.c.at.desc(), L.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self.read() as conn:
            return [
                LogRow(r.id, r.sync_id, r.integration_id, r.at, r.level, r.message, r.field)
                for r in conn.execute(query)
            ]

    def sync_belongs(self, integration_id: str, sync_id: str) -> bool:
        with self.read() as conn:
            found = conn.execute(
                sa.select(S.c.id).where(S.c.id == sync_id, S.c.integration_id == integration_id)
            ).first()
        return found is not None

    def history(self, integration_id: str) -> list[HistoryRow]:
        """An integration's state history, oldest first."""
        with self.read() as conn:
            rows = conn.execute(
                sa.select(H).where(H.c.integration_id == integration_id).order_by(H.c.id)
            )
            return [
                HistoryRow(
                    IntegrationState(r.from_state) if r.from_state else None,
                    IntegrationState(r.to_state),
                    r.at,
                    r.reason,
                )
                for r in rows
            ]

    def audit(self, integration_id: str | None = None) -> list[AuditRow]:
        """The audit log of operator actions, oldest first."""
        query = sa.select(A).order_by(A.c.id)
        if integration_id is not None:
            query = query.where(A.c.integration_id == integration_id)
        with self.read() as conn:
            return [
                AuditRow(r.integration_id, r.actor, r.action, r.at, r.state_before, r.state_after)
                for r in conn.execute(query)
            ]

    def events(self, integration_id: str | None = None) -> list[EventRow]:
        """Events engineering was notified of, oldest first."""
        query = sa.select(E).order_by(E.c.id)
        if integration_id is not None:
            query = query.where(E.c.integration_id == integration_id)
        with self.read() as conn:
            rows = conn.execute(query)
            return [EventRow(r.integration_id, r.kind, r.at, r.message) for r in rows]

    def counts(self) -> dict[str, int]:
        """Row counts per table (for ``show`` and tests)."""
        with self.read() as conn:
            return {
                name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() or 0)
                for name, t in (
                    ("integrations", I),
                    ("syncs", S),
                    ("log_entries", L),
                    ("history", H),
                    ("audit", A),
                    ("events", E),
                )
            }

    # -- the evaluation pass ----------------------------------------------------------

    def evaluate_pass(self, now: datetime, *, full: bool = False) -> PassResult:
        """Evaluate every integration that needs it (all of them with ``full``).

        An integration needs evaluation when it is new, got new syncs or an operator acted
        on it (``dirty``), or a time-based rule has come due (``next_due_at``). The pass makes
        a constant number of queries, whatever the number of integrations.
        """
        now = to_utc(now)
        due = self._needs_evaluation(now, full)
        if not full:
            # A cheap read first: a pass with nothing to do never takes the write lock.
            with self.read() as conn:
                if conn.execute(sa.select(I.c.id).where(due).limit(1)).first() is None:
                    return PassResult()
        with self.write() as conn:
            return self._evaluate_where(conn, due, now)

    def evaluate_ids(self, conn: Connection, ids: Sequence[str], now: datetime) -> PassResult:
        """Evaluate the given integrations inside the caller's write transaction."""
        return self._evaluate_where(conn, I.c.id.in_(list(ids)), to_utc(now))

    @staticmethod
    def _needs_evaluation(now: datetime, full: bool) -> sa.ColumnElement[bool]:
        if full:
            return sa.true()
        return sa.or_(
            I.c.dirty.is_(True),
            I.c.next_due_at <= now,
            I.c.state.is_(None),
        )

    def _evaluate_where(
        self, conn: Connection, due: sa.ColumnElement[bool], now: datetime
    ) -> PassResult:
        rows = [_row_to_integration(r) for r in conn.execute(sa.select(I).where(due))]
        result = PassResult(evaluated=len(rows))
        if not rows:
            return result
        syncs = self._syncs_for_evaluation(conn, due, now)
        revision = self.next_revision(conn)
        updates: list[dict[str, Any]] = []
        clears: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for row in rows:
            ev = evaluate(row.facts, syncs.get(row.id, ()), now)
            values = _stored_values(ev, row, now)
            if values is None:
                if row.dirty or row.next_due_at != ev.next_due_at:
                    clears.append({"b_id": row.id, "next_due_at": ev.next_due_at})
                continue
            values["b_id"] = row.id
            values["revision"] = revision
            updates.append(values)
            if ev.changed:
                history.append(
                    {
                        "integration_id": row.id,
                        "from_state": row.state.value if row.state else None,
                        "to_state": ev.state.value,
                        "at": now,
                        "reason": ev.reason,
                    }
                )
                result.transitions.append(
                    Transition(
                        row.id,
                        row.organization,
                        row.tool,
                        row.state,
                        ev.state,
                        now,
                        ev.reason,
                        row.category,
                        ev.api,
                    )
                )
            for kind in ev.events:
                events.append(
                    {
                        "integration_id": row.id,
                        "kind": kind,
                        "at": now,
                        "message": _EVENT_MESSAGES[kind],
                    }
                )
                result.events.append(EventRow(row.id, kind, now, _EVENT_MESSAGES[kind]))
            if ev.purge_due:
                result.purged.append(row.id)
        if result.purged:
            purge(conn, result.purged)
        if updates:
            conn.execute(
                I.update().where(I.c.id == sa.bindparam("b_id")),
                updates,
            )
        if clears:
            conn.execute(
                I.update()
                .where(I.c.id == sa.bindparam("b_id"))
                .values(dirty=False, next_due_at=sa.bindparam("next_due_at")),
                clears,
            )
        if history:
            # Writers hold the write lock, so this transaction's entries are the ones after
            # the highest id: one query names them, however many were inserted.
            last = conn.execute(sa.select(sa.func.max(H.c.id))).scalar() or 0
            conn.execute(H.insert(), history)
            seqs: dict[str, int] = {
                r.integration_id: r.id
                for r in conn.execute(sa.select(H.c.integration_id, H.c.id).where(H.c.id > last))
            }
            result.transitions = [
                dataclasses.replace(t, seq=seqs.get(t.integration_id)) for t in result.transitions
            ]
        if events:
            conn.execute(E.insert(), events)
        result.revision = revision if updates else revision - 1
        return result

    def _syncs_for_evaluation(
        self, conn: Connection, due: sa.ColumnElement[bool], now: datetime
    ) -> dict[str, list[SyncFacts]]:
        """Just the syncs the rules can see, for every integration that is due.

        The evaluator needs the first finished sync (the QA rule), the last one (shown), and
        the counted syncs from the last one that was not an authentication failure onward
        (the last counted sync and the trailing run of authentication failures). Syncs ending
        after ``now`` come along too, so their end becomes a deadline. Three queries, each
        driven by the ``(integration_id, ended_at | started_at)`` indexes.
        """
        s2 = S.alias("s2")
        counted = sa.or_(
            I.c.credentials_updated_at.is_(None),
            s2.c.started_at >= I.c.credentials_updated_at,
        )
        # ORDER BY ... LIMIT 1 rather than max(): SQLite walks the index backwards and stops
        # at the first match, which is nearly always the newest sync.
        boundary = (
            sa.select(s2.c.ended_at)
            .where(
                s2.c.integration_id == I.c.id,
                s2.c.state.in_(_NON_AUTH_FINISHED),
                s2.c.ended_at <= now,
                counted,
            )
            .order_by(s2.c.ended_at.desc())
            .limit(1)
            .correlate(I)
            .scalar_subquery()
        )
        # Without such a sync, every counted sync started at or after the credentials update,
        # and a sync still to finish ends after `now`: the earlier of the two bounds both.
        epoch = I.c.credentials_updated_at
        lower = sa.func.coalesce(
            boundary,
            sa.case(
                (epoch.is_(None), sa.literal(_BEGINNING, I.c.created_at.type)),
                (epoch < now, epoch),
                else_=sa.literal(now, I.c.created_at.type),
            ),
        )
        cols = (
            S.c.integration_id,
            S.c.id,
            S.c.state,
            S.c.started_at,
            S.c.ended_at,
            S.c.warnings,
            S.c.errors,
            S.c.headline,
        )
        # `+integration.id` keeps SQLite from scanning every sync and looking each one's
        # integration up: it starts from the due integrations and seeks the index instead.
        tail = (
            sa.select(*cols)
            .select_from(I.join(S, S.c.integration_id == _no_index(I.c.id)))
            .where(due, S.c.state.in_(FINISHED_SYNC_STATES), S.c.ended_at >= lower)
        )
        if not self.is_sqlite:
            # PostgreSQL would hash-join every sync and run the `lower` subquery once per
            # sync (10x slower on a full pass); LATERAL seeks the index once per integration.
            s3 = S.alias("s3")
            seek = (
                sa.select(*(s3.c[c.name] for c in cols))
                .where(
                    s3.c.integration_id == I.c.id,
                    s3.c.state.in_(FINISHED_SYNC_STATES),
                    s3.c.ended_at >= lower,
                )
                .offset(0)  # PostgreSQL's fence: keeps the subquery from being flattened
                .correlate(I)
                .lateral("tail")
            )
            tail = (
                sa.select(*(seek.c[c.name] for c in cols))
                .select_from(I.join(seek, sa.true()))
                .where(due)
            )

        def one_sync(
            order: Sequence[sa.ColumnElement[Any]], ended: sa.ColumnElement[Any]
        ) -> sa.Select[Any]:
            pick = (
                sa.select(s2.c.id)
                .where(
                    s2.c.integration_id == I.c.id,
                    s2.c.state.in_(FINISHED_SYNC_STATES),
                    ended <= now,
                )
                .order_by(*order)
                .limit(1)
                .correlate(I)
                .scalar_subquery()
            )
            return sa.select(*cols).select_from(I.join(S, S.c.id == pick)).where(due)

        # The first sync matters until QA is decided, and to explain a QA hold; walking the
        # started_at index (not ended_at) stops at the first finished sync.
        first = one_sync((s2.c.started_at, s2.c.ended_at, s2.c.id), _no_index(s2.c.ended_at)).where(
            sa.or_(I.c.qa_status.is_(None), I.c.qa_status != QaStatus.PASSED.value)
        )
        # Without a credentials update every finished sync counts, so the tail holds the last.
        last = one_sync(
            (s2.c.ended_at.desc(), s2.c.started_at.desc(), s2.c.id.desc()), s2.c.ended_at
        ).where(I.c.credentials_updated_at.is_not(None))

        found: dict[str, dict[str, SyncFacts]] = defaultdict(dict)
        for query in (tail, first, last):
            for r in conn.execute(query):
                found[r.integration_id][r.id] = SyncFacts(
                    r.id,
                    SyncState(r.state),
                    r.started_at,
                    r.ended_at,
                    r.warnings,
                    r.errors,
                    r.headline,
                )
        return {k: list(v.values()) for k, v in found.items()}

    def evaluate_naive(self, now: datetime) -> PassResult:
        """A full pass that loads each integration's syncs with its own query.

        The baseline the benchmark compares the set-based pass against; not used otherwise.
        """
        now = to_utc(now)
        with self.write() as conn:
            rows = [_row_to_integration(r) for r in conn.execute(sa.select(I))]
            result = PassResult(evaluated=len(rows))
            for row in rows:
                syncs = [
                    SyncFacts(
                        r.id,
                        SyncState(r.state),
                        r.started_at,
                        r.ended_at,
                        r.warnings,
                        r.errors,
                        r.headline,
                    )
                    for r in conn.execute(sa.select(S).where(S.c.integration_id == row.id))
                ]
                ev = evaluate(row.facts, syncs, now)
                if ev.changed:
                    result.transitions.append(
                        Transition(
                            row.id,
                            row.organization,
                            row.tool,
                            row.state,
                            ev.state,
                            now,
                            ev.reason,
                        )
                    )
            return result


def _stored_values(ev: Evaluation, row: IntegrationRow, now: datetime) -> dict[str, Any] | None:
    """The integration columns this evaluation changes, or ``None`` if it changes none."""
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
        "state_since": now if ev.changed else row.state_since,
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
    return values


def purge(conn: Connection, integration_ids: Sequence[str]) -> None:
    """Delete the syncs and log entries of these integrations (the tombstone stays)."""
    ids = list(integration_ids)
    conn.execute(L.delete().where(L.c.integration_id.in_(ids)))
    conn.execute(S.delete().where(S.c.integration_id.in_(ids)))
