"""Alembic's environment for syncwatch: runs on the connection syncwatch hands it.

syncwatch runs migrations programmatically (see :mod:`syncwatch.migrations`), passing an open
connection, already inside the transaction that holds the write lock, in
``config.attributes["connection"]``; no ``alembic.ini`` is involved.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import syncwatch.models  # noqa: F401  (registers the tables on SQLModel.metadata)


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "syncwatch's migrations run through `syncwatch db upgrade` "
            "(or syncwatch.migrations.upgrade), which passes the connection"
        )
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        # SQLite alters tables by copying them; batch mode does that for us.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("syncwatch's migrations run online only (`syncwatch db upgrade`)")
run_migrations_online()
