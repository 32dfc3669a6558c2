"""The database package: the only place that imports SQLAlchemy or SQLModel or builds a
query (besides :mod:`syncwatch.models`, the schema, and :mod:`syncwatch.migrations`).

Where things are:

- :mod:`~syncwatch.db.errors`: :class:`StoreError` and the wording of database failures;
- :mod:`~syncwatch.db.engine`: URLs, engines (SQLite's pragmas), the write lock;
- :mod:`~syncwatch.db.schema`: the schema gate (create, upgrade, refuse) and opening;
- :mod:`~syncwatch.db.tables`: the tables under their names;
- :mod:`~syncwatch.db.records`: result rows into :mod:`syncwatch.rows` types;
- :mod:`~syncwatch.db.evaluation`: the set-based evaluation pass and the revision counter;
- :mod:`~syncwatch.db.store`: :class:`Store`, the handle and the named reads;
- :mod:`~syncwatch.db.actions`: an operator action's writes (``apply_action``);
- :mod:`~syncwatch.db.kombo`: Kombo's webhooks, issues, upstream facts and list marks;
- :mod:`~syncwatch.db.transitions`: the state history as a stream.

Imports point one way: ``errors`` <- ``engine`` <- ``schema`` <- ``store`` <- the rest;
``tables`` and ``records`` below ``evaluation``. Callers outside get a unit of work from
``Store.read()`` / ``Store.write()`` and pass it, unopened, to the named reads and writes.
"""

from sqlalchemy.engine import Connection

from syncwatch.db.engine import database_url
from syncwatch.db.errors import (
    ClockBehind,
    ReadOnlyDatabase,
    StoreError,
    describe_db_error,
    redact_url,
)
from syncwatch.db.schema import SchemaStatus, schema_status, upgrade_schema
from syncwatch.db.store import Store

__all__ = [
    "ClockBehind",
    "Connection",
    "ReadOnlyDatabase",
    "SchemaStatus",
    "Store",
    "StoreError",
    "database_url",
    "describe_db_error",
    "redact_url",
    "schema_status",
    "upgrade_schema",
]
