"""The schema gate: where a database's schema stands, creating or upgrading it, and opening
a database (an engine whose schema is this version's).

A new database gets the schema on open; an older one is upgraded on open on SQLite and
refused with the command to run on PostgreSQL (an administrator picks the moment); one made
by a newer syncwatch is refused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

import syncwatch.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from syncwatch import migrations
from syncwatch.db.engine import database_url, new_engine, take_pg_write_lock
from syncwatch.db.errors import (
    StoreError,
    database_errors,
    describe_db_error,
    is_busy,
    redact_url,
)

#: How many times opening a SQLite file looks at its schema again when it finds it locked.
OPEN_ATTEMPTS = 5


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


def create_engine(url_or_path: str | Path) -> Engine:
    """An engine for a SQLite path or any SQLAlchemy URL, its schema ready for this version.

    A new database gets the schema; an older one is upgraded on SQLite and refused with the
    command to run on PostgreSQL (see :func:`prepare_schema`).
    """
    url = database_url(url_or_path)
    with database_errors(url):
        engine = new_engine(url)
        try:
            for attempt in range(1, OPEN_ATTEMPTS + 1):
                try:
                    prepare_schema(engine, url, upgrade=engine.dialect.name == "sqlite")
                    break
                except sa_exc.OperationalError as err:
                    # Another process is creating or upgrading the same SQLite file, or
                    # switching a new one to WAL (which SQLite refuses at once, without
                    # waiting busy_timeout, while another connection holds it): look again.
                    if engine.dialect.name != "sqlite" or not is_busy(err):
                        raise
                    if attempt == OPEN_ATTEMPTS:
                        raise
                    time.sleep(0.1 * attempt)
        except BaseException:
            engine.dispose()
            raise
    return engine


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
                take_pg_write_lock(conn)
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
    with database_errors(url):
        engine = new_engine(url)
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
    with database_errors(url):
        engine = new_engine(url)
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
