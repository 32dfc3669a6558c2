"""The versioned schema of syncwatch's database, managed with Alembic.

Every revision is one file in ``versions/`` named ``NNNN_what_it_does.py`` whose
``revision`` is ``"NNNN"`` and whose ``down_revision`` is the previous number: the history is
a single line, and the highest number is the head. **Adding a revision is dropping such a
file into versions/** (and changing ``models.py`` to match); nothing else needs editing.
``tests/test_migrations.py`` checks the convention, that the head builds exactly the schema
``models.py`` declares, and that upgrading a filled database keeps every row.

- ``0001`` is the first released schema (what ``Store`` created at commit d575bf2). Databases
  made by that version have no ``alembic_version`` table; they are recognised by their
  tables and stamped ``0001`` before upgrading.
- ``0002`` adds Kombo's schema as of commit 67fe50f (webhook_event, integration_issue,
  sync.log_url, the integration's upstream columns). Later schema changes, Kombo's included,
  go in ``0003`` onwards.
- A new, empty database gets the head schema straight from ``models.py`` and is stamped
  with the head (Alembic's "create_all, then stamp" recipe: one step, and no Alembic import
  on the way, which keeps the command line quick to start).

When it runs (see :func:`syncwatch.db.schema.prepare_schema`): SQLite databases are upgraded on
open (one user, one file; the upgrade is a single transaction under the write lock). On
PostgreSQL, a shared team database, ``Store.open`` refuses an out-of-date schema and names
the command to run, ``syncwatch db upgrade --db URL``: an administrator picks the moment
(a backup first, older syncwatch processes stopped), rather than whoever updates their
syncwatch first. A schema newer than this syncwatch knows is refused on both.

Importing this module is cheap; Alembic itself is imported only to run a migration.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from alembic.config import Config

HERE = Path(__file__).resolve().parent
VERSIONS = HERE / "versions"

#: The first released schema: databases without ``alembic_version`` but with tables have it.
FIRST_RELEASE = "0001"

_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")

#: Alembic's own version table, as Alembic creates it (for stamping without importing it).
VERSION_TABLE = sa.Table(
    "alembic_version",
    sa.MetaData(),
    sa.Column("version_num", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


@cache
def known_revisions() -> tuple[str, ...]:
    """The revisions this syncwatch ships, oldest first (from the file names)."""
    found = sorted(m.group(1) for p in VERSIONS.iterdir() if (m := _REVISION_FILE.match(p.name)))
    return tuple(found)


def head() -> str:
    """The newest revision: the schema ``models.py`` declares."""
    return known_revisions()[-1]


def stored_revision(conn: Connection) -> str | None:
    """The revision stamped in the database, or ``None`` when it has no version table."""
    if not sa.inspect(conn).has_table(VERSION_TABLE.name):
        return None
    rows = [r[0] for r in conn.execute(sa.select(VERSION_TABLE.c.version_num))]
    if len(rows) != 1:
        raise ValueError(f"alembic_version holds {len(rows)} rows, expected one: {rows}")
    return str(rows[0])


def stamp(conn: Connection, revision: str) -> None:
    """Record ``revision`` as the database's schema version (creating the table if needed)."""
    VERSION_TABLE.create(conn, checkfirst=True)
    conn.execute(VERSION_TABLE.delete())
    conn.execute(VERSION_TABLE.insert().values(version_num=revision))


def alembic_config(conn: Connection | None = None) -> Config:
    """An Alembic ``Config`` for the shipped scripts; no ``alembic.ini`` is needed."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE))
    if conn is not None:
        config.attributes["connection"] = conn
    return config


def run_upgrade(conn: Connection, target: str = "head") -> None:
    """Run the migrations from the stamped revision to ``target`` on ``conn``.

    ``conn`` is inside the caller's transaction: the stamp and every step commit together.
    """
    from alembic import command

    command.upgrade(alembic_config(conn), target)
