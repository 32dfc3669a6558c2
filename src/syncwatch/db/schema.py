"""The schema gate: where a database's schema stands, creating or upgrading it, and opening
a database (an engine whose schema is this version's).

A new database gets the schema on open; an older one is upgraded on open on SQLite and
refused with the command to run on PostgreSQL (an administrator picks the moment); one made
by a newer syncwatch is refused. So is one that is not syncwatch's at all (another program's
tables, a file that is not SQLite, a folder that does not exist): :func:`check_target` looks
at a SQLite file read-only before anything opens it the ordinary way, which would switch it
to WAL; PostgreSQL's tables are looked at before anything is created.
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

import syncwatch.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from syncwatch import migrations
from syncwatch.db.engine import database_url, new_engine, sqlite_path, take_pg_write_lock
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

    #: ``empty`` (no tables at all), ``unversioned`` (the first release's tables, not
    #: stamped), ``current``, ``behind`` (an older revision), ``newer`` (unknown to us) or
    #: ``foreign`` (another program's tables, none of syncwatch's: never touched).
    state: str
    #: The stamped revision (``None`` when empty or unversioned).
    revision: str | None
    head: str
    #: ``foreign``: the tables (and views) found, sorted.
    others: tuple[str, ...] = ()

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
        check_target(url)
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
        inspector = sa.inspect(conn)
        tables = set(inspector.get_table_names()) | set(inspector.get_view_names())
        if _is_foreign(tables, revision):
            return SchemaStatus("foreign", None, head, tuple(sorted(tables)))
        state = "unversioned" if tables & _FIRST_RELEASE_TABLES else "empty"
    elif _is_foreign(set(), revision):
        state = "foreign"
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
#: How syncwatch's revisions are named (another program's Alembic uses hex hashes).
_OUR_REVISION = re.compile(r"\d{4}")


def _is_foreign(tables: set[str], revision: str | None) -> bool:
    """Whether these tables are another program's: some, but no syncwatch table and no
    syncwatch revision (an ``alembic_version`` of another program's Alembic is not ours)."""
    if revision is not None:
        return _OUR_REVISION.fullmatch(revision) is None
    return bool(tables) and not tables & _FIRST_RELEASE_TABLES


def _found(status: SchemaStatus) -> str:
    shown = ", ".join(_printable(name) for name in status.others[:5])
    more = f" and {len(status.others) - 5} more" if len(status.others) > 5 else ""
    if status.revision is not None and not status.others:
        return f"another program's schema revision {_printable(status.revision)}"
    return f"it holds other tables: {shown}{more}; none of syncwatch's"


def _printable(name: str) -> str:
    """A name from someone else's database, with its control and invisible characters
    escaped (it goes to a terminal inside an error message)."""
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in name)


def _refuse(status: SchemaStatus, url: str) -> None:
    """Refuse a schema made by a newer syncwatch, or another program's tables."""
    if status.state == "newer":
        raise StoreError(
            f"the database {redact_url(url)} has schema revision {status.revision}, which "
            f"this syncwatch does not know (its newest is {status.head}): a newer syncwatch "
            "upgraded it; use that version"
        )
    if status.state == "foreign":
        raise StoreError(_not_ours(_where(url), _found(status)))


def _not_ours(where: str, found: str) -> str:
    return (
        f"{where} is not a syncwatch database ({found}): syncwatch leaves it as it is; "
        "give --db a new file or an empty database"
    )


def _where(url: str) -> str:
    path = sqlite_path(url)
    return str(path) if path is not None else redact_url(url)


#: The first 16 bytes of every SQLite 3 database file.
_SQLITE_HEADER = b"SQLite format 3\x00"


def check_target(url: str) -> None:
    """Refuse, before anything opens or writes it, a target that is not syncwatch's to use.

    Refused: an in-memory SQLite database; a path in a folder that does not exist (never
    created: a typo would look like an empty fleet); a folder; a file that is not SQLite; a
    SQLite file of another program (see :func:`_is_foreign`). The file is only read, through a
    read-only connection that creates no ``-wal`` or ``-shm`` file beside it. Accepted: a new
    path in an existing folder, a 0-byte file (SQLite's empty database) and syncwatch's own
    databases. Another database (PostgreSQL) is looked at by :func:`prepare_schema`.
    """
    path = sqlite_path(url)
    if path is None:
        return
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a database file; give --db a file path")
    if not path.exists():
        folder = path.parent
        if not folder.exists():
            raise StoreError(
                f"the folder {folder} does not exist; syncwatch does not create it (a typo "
                "would look like an empty fleet): create it first, or correct the path"
            )
        if not folder.is_dir():
            raise StoreError(f"{folder} is not a folder, so {path.name} cannot be made in it")
        return  # a new database, made on open
    with path.open("rb") as file:
        header = file.read(len(_SQLITE_HEADER))
    if not header:
        return  # 0 bytes: SQLite's empty database
    if header != _SQLITE_HEADER:
        raise StoreError(
            f"{path} is not a database: it is not a SQLite file; syncwatch leaves it as it "
            "is: give --db a new file or a syncwatch database"
        )
    tables, revision = _sqlite_schema(path, url)
    if _is_foreign(tables, revision):
        others = tuple(sorted(tables - {migrations.VERSION_TABLE.name}))
        status = SchemaStatus("foreign", revision, migrations.head(), others)
        raise StoreError(_not_ours(str(path), _found(status)))


def _sqlite_schema(path: Path, url: str) -> tuple[set[str], str | None]:
    """The tables and views of a SQLite file and its stamped revision, read without a write.

    ``immutable`` when no ``-wal`` or ``-journal`` file is beside it (the file is then
    whole, and a read-only connection to a WAL file would otherwise leave a ``-wal`` and a
    ``-shm`` behind); else an ordinary read-only connection, which uses the files there.
    """
    in_use = any(Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-journal"))
    uri = path.resolve().as_uri() + ("?mode=ro" if in_use else "?mode=ro&immutable=1")
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=10)
        try:
            rows = conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            ).fetchall()
            tables = {str(r[0]) for r in rows}
            revision = None
            if migrations.VERSION_TABLE.name in tables:
                found = conn.execute("SELECT version_num FROM alembic_version").fetchall()
                revision = str(found[0][0]) if len(found) == 1 else None
        finally:
            conn.close()
    except sqlite3.Error as err:
        raise StoreError(describe_db_error(err, url)) from None
    return tables, revision


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
    _refuse(status, url)
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
    """Create or upgrade the schema in one transaction, under the writers' lock.

    On SQLite the text a migration replaces is zeroed in the file (``secure_delete``, which
    not every SQLite build turns on by default) and the write-ahead log emptied after it.
    """
    with engine.connect() as conn:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            secure_delete = _pragma(conn, "secure_delete")
            _pragma(conn, "secure_delete = 1")
        with conn.begin():
            if engine.dialect.name == "postgresql":
                # Serialized with every writer and with another process opening it too.
                take_pg_write_lock(conn)
            status = _schema_status(conn)  # again: another process may have done it
            _refuse(status, url)
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
        if sqlite:
            # A migration may rewrite text (0003 scrubs secrets from stored text): until a
            # checkpoint the old pages stay in the database file and the new ones in the
            # -wal, for as long as a process keeps the database open (the UI, for hours).
            _pragma(conn, "wal_checkpoint(TRUNCATE)")
            _pragma(conn, f"secure_delete = {int(secure_delete)}")
    return status


def _pragma(conn: Connection, pragma: str) -> Any:
    """Run a SQLite pragma outside any transaction (on the driver's connection: SQLAlchemy's
    would begin one first); return its first value."""
    driver = conn.connection.dbapi_connection
    assert driver is not None
    row = driver.cursor().execute(f"PRAGMA {pragma}").fetchone()
    return None if row is None else row[0]


def schema_status(url_or_path: str | Path) -> SchemaStatus:
    """Where the database's schema stands (``syncwatch db current``); changes nothing."""
    url = database_url(url_or_path)
    with database_errors(url):
        path = sqlite_path(url)
        if path is not None and not path.exists():
            raise StoreError(f"no database at {path}")
        check_target(url)
        engine = new_engine(url)
        try:
            with engine.connect() as conn:
                status = _schema_status(conn)
        finally:
            engine.dispose()
    if status.state == "foreign":
        _refuse(status, url)  # not a revision to describe: the same refusal as opening it
    return status


def upgrade_schema(url_or_path: str | Path) -> tuple[SchemaStatus, SchemaStatus]:
    """Create or upgrade the schema to this version's head (``syncwatch db upgrade``).

    Returns the status before and after.
    """
    url = database_url(url_or_path)
    with database_errors(url):
        check_target(url)
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
