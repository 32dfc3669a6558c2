"""Shared fixtures and builders for the core tests.

Everything runs on a fixed clock: ``NOW`` (also the ``now`` fixture) and times built from it.

Database fixtures run on both backends: ``store`` and ``db_url`` are parametrized
``[sqlite]`` / ``[postgresql]``; ``pg_url`` is a fresh database on a throwaway PostgreSQL
server that the session starts itself (``initdb`` + ``pg_ctl``, see :class:`PgServer`).
Without the server binaries the PostgreSQL variants skip, saying how to get them; with
``CI=true`` they fail instead, so CI never passes without having run them.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from builders import NOW, WriteImport
from pg_support import BACKENDS, PG_HINT, PgServer, PgUnavailable
from syncwatch.db import Store

# Under CI the property tests draw the same examples every run: a submission lands or not on
# its code, not on the draw. Locally they explore afresh each run.
if os.environ.get("CI"):
    from hypothesis import settings

    settings.register_profile("ci", derandomize=True)
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def config_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The UI's preferences (``XDG_CONFIG_HOME``) in a folder of the test's own: a test that
    starts the UI from the command line never reads nor writes the user's."""
    home = tmp_path_factory.mktemp("config-home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The session's PostgreSQL server, started on first use and stopped at the end."""
    try:
        server = PgServer.start()
    except (PgUnavailable, OSError, subprocess.SubprocessError, sa.exc.SQLAlchemyError) as err:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and no PostgreSQL server: {err}\n{PG_HINT}", pytrace=False)
        pytest.skip(f"no PostgreSQL server ({str(err).splitlines()[0]}): {PG_HINT}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database (dropped after the test)."""
    name = pg_server.create_database()
    yield pg_server.url(name)
    pg_server.drop_database(name)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh, empty database of each backend (for subprocess tests too)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 't.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A store on a fresh database, on each backend (via ``db_url``).

    A test that is inherently SQLite-only narrows it explicitly, with the reason:
    ``@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)``.
    """
    s = Store.open(db_url)
    yield s
    s.close()


@pytest.fixture
def write_import(tmp_path: Path) -> WriteImport:
    """``write_import(records, name="import.json")`` writes an import file, returns its path.

    ``records`` is a list of integration records, or a whole document (a dict), or raw text.
    """

    def write(
        records: list[dict[str, Any]] | dict[str, Any] | str, name: str = "import.json"
    ) -> str:
        path = tmp_path / name
        if isinstance(records, str):
            path.write_text(records, encoding="utf-8")
        else:
            doc = records if isinstance(records, dict) else {"integrations": records}
            path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
        return str(path)

    return write
