"""Engines and the write lock: database URLs, SQLite's pragmas, PostgreSQL's connection
options, and the lock every writer takes first.

Opening a database (an engine whose schema is ready) is :func:`syncwatch.db.schema.create_engine`:
it needs the schema gate, which needs this module.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from syncwatch.db.errors import StoreError, is_busy

#: Every syncwatch writer on a PostgreSQL database takes this transaction-level advisory
#: lock first (an arbitrary constant: the ASCII bytes of "syncwatc" as a 64-bit key).
WRITE_LOCK_KEY = 0x73796E6377617463
#: How long a PostgreSQL writer waits for the lock before giving up, in seconds.
PG_LOCK_TIMEOUT_S = 20
#: How many ``BEGIN IMMEDIATE`` waits (``busy_timeout`` each) a SQLite writer makes.
WRITE_LOCK_ATTEMPTS = 2


def database_url(url_or_path: str | Path) -> str:
    """Turn a file path into a SQLite URL; leave SQLAlchemy URLs as they are.

    An empty path and ``:memory:`` are refused (:func:`sqlite_path` says why).
    """
    text = str(url_or_path)
    if not text.strip():
        raise StoreError("no database given: the path or URL is empty")
    if "://" in text:
        return text
    if text == ":memory:":
        raise StoreError(_IN_MEMORY)
    return f"sqlite:///{Path(text).expanduser().resolve()}"


_IN_MEMORY = (
    "an in-memory SQLite database is refused: it would vanish when this command ends, "
    "taking everything it stored with it; give a file path"
)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (``None`` for another database); an in-memory one is refused.

    Every syncwatch command is a process of its own, so an in-memory database would be empty
    at each start and lost at each end; and ``:memory:`` taken as a path would be a file of
    that name in the current folder.
    """
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if (
        database in ("", ":memory:")
        or database.startswith("file::memory:")
        or parsed.query.get("mode") == "memory"
    ):
        raise StoreError(_IN_MEMORY)
    return Path(database)


def read_only_uri(path: Path) -> str | None:
    """The ``file:`` URI to open an existing SQLite file this user may not write, else ``None``.

    A file we may not write (mode 444), or one in a folder we may not write (SQLite must
    create ``-wal``/``-shm`` beside it), is opened read-only so that reading still works
    (``list`` and ``show`` evaluate in memory then and say nothing was stored). In a folder
    we may not write, SQLite cannot make the ``-shm`` a WAL reader needs: without one the
    file is opened ``immutable`` (nobody can be writing it through WAL then either).
    """
    if not path.is_file():
        return None
    folder_writable = os.access(path.parent, os.W_OK)
    if os.access(path, os.W_OK) and folder_writable:
        return None
    uri = f"file:{quote(str(path))}?mode=ro"
    shm = path.with_name(path.name + "-shm")
    if not folder_writable and not shm.exists():
        uri += "&immutable=1"
    return uri


#: SQLite's page cache per connection (negative: KiB), and during a bulk import.
CACHE_KIB: Final = -8192
BULK_CACHE_KIB: Final = -65536


def _configure_sqlite(engine: Engine, *, read_only: bool = False) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy's begin event issue BEGIN, so writers can ask for IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 10000")
        cur.execute("PRAGMA foreign_keys = ON")
        # 8 MiB of pages per connection; an import or a pass with work takes 64 MiB for
        # its transaction (Store.write). At 64 MiB for every connection, the app's reads
        # after a pass at 100,000 integrations held 50 MB of pages on top of the rows.
        cur.execute(f"PRAGMA cache_size = {CACHE_KIB}")
        if not read_only:  # both would write the file; a read-only one is read as it is
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute("PRAGMA journal_mode = WAL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def new_engine(url: str) -> Engine:
    """An engine for ``url`` set up the way syncwatch needs it; the schema is not looked at.

    SQLite: WAL, foreign keys, and ``BEGIN`` left to the writers (so they can ask for
    ``IMMEDIATE``); a file this user may not write is opened read-only
    (:func:`read_only_uri`); the file's folder is never created (a typo in it would otherwise look
    like an empty fleet), and opening it switches the file to WAL: look at a file first
    (:func:`syncwatch.db.schema.check_target`). PostgreSQL: JIT off, connections pinged.
    """
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        uri = read_only_uri(path) if path is not None else None
        if uri is None:
            engine = sa.create_engine(url, connect_args={"timeout": 10})
        else:
            engine = sa.create_engine(
                url,
                creator=lambda: sqlite3.connect(uri, uri=True, timeout=10, check_same_thread=False),
            )
        _configure_sqlite(engine, read_only=uri is not None)
        return engine
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql") and "options" not in sa.engine.make_url(url).query:
        # JIT-compiling syncwatch's short index-driven queries costs more than it saves
        # (0.5 s of a full pass over 10,000 integrations went to compiling).
        connect_args["options"] = "-c jit=off"
    return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def take_pg_write_lock(conn: Connection) -> None:
    """Wait (up to :data:`PG_LOCK_TIMEOUT_S`) for PostgreSQL's write lock in this transaction."""
    conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{PG_LOCK_TIMEOUT_S}s'")
    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(WRITE_LOCK_KEY)))


def begin_write(conn: Connection) -> sa.RootTransaction:
    """Begin a transaction that holds the write lock, waiting (boundedly) for it.

    On SQLite ``conn`` must ask for ``BEGIN IMMEDIATE`` (the ``sqlite_begin`` execution
    option); on PostgreSQL the lock is the advisory lock every writer takes.
    """
    if conn.dialect.name == "sqlite":
        # BEGIN IMMEDIATE already waits busy_timeout; a few more tries ride out a long
        # import or full pass before the user is told the database is busy.
        for attempt in range(1, WRITE_LOCK_ATTEMPTS + 1):
            try:
                return conn.begin()
            except sa_exc.OperationalError as err:
                if not is_busy(err):
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
            take_pg_write_lock(conn)
        except sa_exc.OperationalError as err:
            trans.rollback()
            if "lock timeout" in str(err.orig):
                raise StoreError(
                    "the database is locked: another syncwatch process held its write "
                    f"lock for {PG_LOCK_TIMEOUT_S} s; try again shortly"
                ) from None
            raise
    return trans
