"""Issue 12, finding 9 (read-only): ``list`` and ``show`` run a pass first, so on a
read-only SQLite file or a PostgreSQL role that may only SELECT they failed with "attempt to
write a readonly database". They now evaluate in memory at ``now``, print the answer and say
on stderr that nothing was stored and why; ``evaluate`` and the actions fail with one line,
exit 2, and change nothing.

SQLite runs the command in a subprocess without write permission: as root (who ignores file
modes) without the capabilities that bypass them (``setpriv``), else as the user.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from builders import NOW, WriteImport, ago, db_snapshot, integration_record, sync_record
from pg_support import PgServer
from syncwatch.cli import main
from syncwatch.clock import iso
from syncwatch.db import ReadOnlyDatabase, Store
from syncwatch.importer import import_files

IID = "personio:ro"
#: The pass at LATER has something to store: the sync running at NOW ended in between.
LATER = NOW + timedelta(hours=2)


def _fill(store: Store, write_import: WriteImport) -> None:
    record = integration_record(
        IID,
        filters_configured=True,
        qa_status="PASSED",
        syncs=[
            sync_record("ro_1", "SUCCEEDED", ago(hours=3)),
            sync_record("ro_2", "FAILED", NOW - timedelta(minutes=10), NOW + timedelta(hours=1)),
        ],
    )
    import_files(store, [write_import([record])], NOW)
    row = store.get(IID)
    assert row is not None and row.state is not None and row.state.value == "ACTIVE"


# --------------------------------------------------------------------------- SQLite

_DROP_CAPS = [
    "setpriv",
    "--bounding-set=-dac_override,-dac_read_search",
    "--inh-caps=-dac_override,-dac_read_search",
    "--",
]


def _unprivileged() -> list[str]:
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: file modes would not apply")
    return _DROP_CAPS


def _cli(db: Path, now: datetime, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "syncwatch", "--db", str(db), "--now", iso(now) or "", *args]
    done = subprocess.run(
        [*_unprivileged(), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "NO_COLOR": "1", "TERM": "dumb"},
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        # Not data: the readers' shared index, and the empty log a WAL reader may create.
        if not p.name.endswith("-shm") and p.stat().st_size
    }


@pytest.fixture
def read_only_file(tmp_path: Path, write_import: WriteImport) -> Iterator[Path]:
    """A database file with mode 444 in a writable folder."""
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "ro.db"
    store = Store.open(db)
    try:
        _fill(store, write_import)
    finally:
        store.close()
    db.chmod(0o444)
    yield db
    db.chmod(0o644)


@pytest.fixture
def read_only_folder(tmp_path: Path, write_import: WriteImport) -> Iterator[Path]:
    """A writable database file in a folder that is not writable."""
    folder = tmp_path / "rodir"
    folder.mkdir()
    db = folder / "ro.db"
    store = Store.open(db)
    try:
        _fill(store, write_import)
    finally:
        store.close()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    yield db
    folder.chmod(0o755)


def _reads_work_and_store_nothing(db: Path) -> None:
    before = _digest(db.parent)
    listed = _cli(db, LATER, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert (row["id"], row["status"]) == (IID, "SYNC_FAILING")  # as evaluated at LATER
    assert "nothing was stored" in listed.stderr and "read-only" in listed.stderr
    assert listed.stderr.count("\n") == 1

    shown = _cli(db, LATER, "show", IID)
    assert shown.returncode == 0, shown.stderr
    assert "Failing" in shown.stdout
    assert "nothing was stored" in shown.stderr
    assert _digest(db.parent) == before


def _writes_fail_in_one_line(db: Path) -> None:
    before = _digest(db.parent)
    for args, says in (
        (["evaluate"], "syncwatch: evaluate stored nothing: the database"),
        (["deactivate", IID], "syncwatch: deactivate refused: the database"),
        (["ack", IID, "--note", "on it"], "syncwatch: ack refused: the database"),
        (["snooze", IID, "2h"], "syncwatch: snooze refused: the database"),
    ):
        done = _cli(db, LATER, *args)
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith(says), done.stderr
        assert "read-only" in done.stderr and done.stderr.count("\n") == 1
        assert done.stdout == ""
    assert _digest(db.parent) == before


def test_list_and_show_work_on_a_read_only_file(read_only_file: Path) -> None:
    _reads_work_and_store_nothing(read_only_file)


def test_evaluate_and_actions_fail_plainly_on_a_read_only_file(read_only_file: Path) -> None:
    _writes_fail_in_one_line(read_only_file)


def test_list_and_show_work_in_a_read_only_folder(read_only_folder: Path) -> None:
    _reads_work_and_store_nothing(read_only_folder)
    _writes_fail_in_one_line(read_only_folder)


# --------------------------------------------------------------------------- PostgreSQL

_ROLE_SETUP = {
    # A role that may only SELECT: PostgreSQL refuses writes with 42501.
    "select-only": [
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
    ],
    # A role whose transactions are read-only (as on a hot standby): 25006.
    "read-only-transactions": [
        "GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}",
        "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}",
        "ALTER ROLE {role} SET default_transaction_read_only = on",
    ],
}


@pytest.fixture(params=sorted(_ROLE_SETUP))
def pg_reader(
    request: pytest.FixtureRequest, pg_server: PgServer, pg_url: str, write_import: WriteImport
) -> Iterator[str]:
    """The URL of a filled database, for a role that cannot write to it."""
    store = Store.open(pg_url)
    try:
        _fill(store, write_import)
    finally:
        store.close()
    role = f"reader_{request.param.replace('-', '_')}_{os.getpid()}"
    password = "Reader-pw-1"
    database = pg_url.rsplit("/", 1)[1]
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
            conn.exec_driver_sql(f'GRANT CONNECT ON DATABASE "{database}" TO {role}')
            conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {role}")
            for statement in _ROLE_SETUP[request.param]:
                conn.exec_driver_sql(statement.format(role=role))
        yield pg_url.replace(f"{pg_server.user}:{pg_server.password}@", f"{role}:{password}@")
        with admin.connect() as conn:
            conn.exec_driver_sql(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"
            )
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")
    finally:
        admin.dispose()


def _snapshot(url: str) -> object:
    store = Store.open(url)
    try:
        return db_snapshot(store)
    finally:
        store.close()


def test_postgresql_reader_can_list_and_show_and_nothing_is_stored(
    pg_reader: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(pg_reader)
    assert main(["--db", pg_reader, "--now", iso(LATER) or "", "list", "--json"]) == 0
    out, err = capsys.readouterr()
    (row,) = json.loads(out)
    assert row["status"] == "SYNC_FAILING"
    assert "nothing was stored" in err and "read-only" in err
    assert main(["--db", pg_reader, "--now", iso(LATER) or "", "show", IID, "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["status"] == "SYNC_FAILING"
    assert "nothing was stored" in err
    assert _snapshot(pg_reader) == before


def test_postgresql_reader_gets_one_line_for_evaluate_and_actions(
    pg_reader: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(pg_reader)
    for args, says in (
        (["evaluate"], "syncwatch: evaluate stored nothing: the database"),
        (["deactivate", IID], "syncwatch: deactivate refused: the database"),
        (["ack", IID, "--note", "on it"], "syncwatch: ack refused: the database"),
        (["snooze", IID, "2h"], "syncwatch: snooze refused: the database"),
    ):
        assert main(["--db", pg_reader, "--now", iso(LATER) or "", *args]) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert err.startswith(says) and "read-only" in err and err.count("\n") == 1, err
    assert _snapshot(pg_reader) == before


def test_postgresql_refusals_are_one_error_type(pg_reader: str) -> None:
    store = Store.open(pg_reader)
    try:
        with pytest.raises(ReadOnlyDatabase):
            store.evaluate_pass(LATER)
        with pytest.raises(ReadOnlyDatabase):
            store.check_writable(LATER)
    finally:
        store.close()
