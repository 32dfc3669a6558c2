"""The UI's first screen on PostgreSQL: real rows before anything heavy is imported.

As ``tests/test_tui_imports.py`` does for SQLite, with the same fresh-interpreter probe
(``tests/first_screen.py``). A database the fast path cannot
serve (behind the head, not syncwatch's) takes the usual path: the store opens it first and
says in one line why it cannot. Needs the test PostgreSQL server (``tests/conftest.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from builders import NOW
from first_screen import ORM, first_screen, heavy_imports
from syncwatch.db import Store
from syncwatch.importer import load_sample
from syncwatch.rows import IntegrationRow


@pytest.fixture
def sample_pg(pg_url: str) -> str:
    store = Store.open(pg_url)
    try:
        load_sample(store, NOW)
    finally:
        store.close()
    return pg_url


def _worst_first(row: IntegrationRow) -> tuple[int, str, str]:
    return (-(row.state.severity if row.state else 0), row.organization.casefold(), row.id)


def test_the_first_screen_on_postgresql_shows_the_stores_rows_without_the_orm(
    tmp_path: Path, sample_pg: str
) -> None:
    store = Store.open(sample_pg)
    try:
        rows = [r for r in sorted(store.integrations(), key=_worst_first) if not r.deleted]
    finally:
        store.close()
    expected = [r.id for r in rows]
    data = first_screen(tmp_path, sample_pg)
    assert data["ids"] == expected and len(expected) == 60  # the sample but its deleted ones
    screen = data["screen"]
    assert (
        isinstance(screen, str) and rows[0].organization.split()[0] in screen
    )  # drawn, not only held
    modules = data["modules"]
    assert heavy_imports(modules, ORM) == []
    assert "psycopg" in modules  # read with the driver itself


def _run_ui(db: str) -> subprocess.CompletedProcess[str]:
    """``syncwatch --db DB`` with no terminal: a refusal comes before the UI starts."""
    return subprocess.run(
        [sys.executable, "-m", "syncwatch", "--db", db],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "TERM": "dumb"},
    )


def test_a_postgresql_database_behind_the_head_takes_the_store_path(sample_pg: str) -> None:
    engine = sa.create_engine(sample_pg)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    finally:
        engine.dispose()
    done = _run_ui(sample_pg)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "db upgrade" in lines[0], done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_a_foreign_postgresql_database_takes_the_store_path(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE payroll (id text PRIMARY KEY)"))
    finally:
        engine.dispose()
    done = _run_ui(pg_url)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stdout == ""
