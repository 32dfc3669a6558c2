"""What ``--db`` may point at: a file that is not syncwatch's is refused and left untouched.

A SQLite file of another program (a ``users`` table, none of syncwatch's), a text or JSON
file, a directory, a folder that does not exist, an empty ``--db`` and ``:memory:`` are each
refused with one clear line (exit 2) and leave every byte, the modification time, the journal
mode and the folder's listing as they were. What is syncwatch's still opens: a new path in an
existing folder (how a user starts), an empty (0-byte) file, and a database at an older
schema, which is upgraded as before; after that upgrade the write-ahead log holds none of the
text the migration rewrote.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from syncwatch import migrations
from syncwatch.cli import main
from syncwatch.db import Store, schema_status
from syncwatch.db.engine import new_engine

#: Commands that open the database given by --db; each must refuse a file that is not ours.
OPENING_COMMANDS = [
    ["list"],
    ["evaluate"],
    ["import", "-"],
    ["db", "current"],
    ["db", "upgrade"],
]


@dataclass(frozen=True)
class Snapshot:
    """Everything a refused command could have changed about a file and its folder."""

    content: bytes
    mtime_ns: int
    listing: tuple[str, ...]

    @classmethod
    def of(cls, path: Path) -> Snapshot:
        return cls(
            path.read_bytes(),
            path.stat().st_mtime_ns,
            tuple(sorted(p.name for p in path.parent.iterdir())),
        )


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No SYNCWATCH_DB from the user's shell; the default database under tmp_path."""
    monkeypatch.delenv("SYNCWATCH_DB", raising=False)
    monkeypatch.delenv("SYNCWATCH_NOW", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "data"))
    monkeypatch.chdir(tmp_path)
    yield


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``syncwatch ARGS`` in this process: (exit code, stdout, stderr)."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def other_programs_sqlite(path: Path, *, journal: str = "delete") -> None:
    """A SQLite database another program made: a ``users`` table, in ``journal`` mode."""
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode = {journal}")
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO users (name) VALUES ('ada'), ('grace')")
    conn.commit()
    conn.close()


def journal_mode_in_header(path: Path) -> str:
    """The journal mode the file itself records (bytes 18-19: 1 rollback, 2 WAL)."""
    header = path.read_bytes()[:100]
    return {(1, 1): "rollback", (2, 2): "wal"}[(header[18], header[19])]


def tables_of(path: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


# --------------------------------------------------------------------------- refused


@pytest.mark.parametrize("command", OPENING_COMMANDS, ids=" ".join)
def test_another_programs_sqlite_file_is_refused_and_left_byte_for_byte(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    db = tmp_path / "app.db"
    other_programs_sqlite(db)
    before = Snapshot.of(db)
    assert journal_mode_in_header(db) == "rollback"
    monkeypatch.setattr("sys.stdin", open(os.devnull))  # noqa: SIM115 (import -)

    code, out, err = run(capsys, "--db", str(db), *command)

    assert code == 2, (out, err)
    assert "not a syncwatch database" in err, err
    assert "users" in err, err  # says what it found
    assert len(err.strip().splitlines()) == 1, err
    assert Snapshot.of(db) == before  # no table, no journal switch, no -wal/-shm left
    assert journal_mode_in_header(db) == "rollback"
    assert tables_of(db) == {"users"}


def test_another_programs_wal_database_is_refused_and_left_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "app.db"
    other_programs_sqlite(db, journal="wal")
    before = Snapshot.of(db)

    code, _out, err = run(capsys, "--db", str(db), "list")

    assert code == 2
    assert "not a syncwatch database" in err, err
    assert Snapshot.of(db) == before  # not even a -wal or -shm file beside it
    assert tables_of(db) == {"users"}


def test_another_programs_alembic_database_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An alembic_version table is not enough: its revision must be one of syncwatch's."""
    db = tmp_path / "app.db"
    other_programs_sqlite(db)
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
    conn.execute("INSERT INTO alembic_version VALUES ('ae1027a6acf')")
    conn.commit()
    conn.close()
    before = Snapshot.of(db)

    code, _out, err = run(capsys, "--db", str(db), "list")

    assert code == 2
    assert "not a syncwatch database" in err, err
    assert Snapshot.of(db) == before


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.txt", b"these are my notes, not a database\n"),
        ("fleet.json", b'{"integrations": []}\n'),
        ("tiny.db", b"SQLite"),  # shorter than a header
    ],
)
@pytest.mark.parametrize("command", OPENING_COMMANDS, ids=" ".join)
def test_a_file_that_is_not_sqlite_is_refused_untouched(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    content: bytes,
    command: list[str],
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    before = Snapshot.of(path)
    monkeypatch.setattr("sys.stdin", open(os.devnull))  # noqa: SIM115 (import -)

    code, out, err = run(capsys, "--db", str(path), *command)

    assert code == 2, (out, err)
    assert "not a database" in err, err
    assert name in err, err
    assert Snapshot.of(path) == before


@pytest.mark.parametrize("command", [["list"], ["db", "upgrade"]], ids=" ".join)
def test_a_folder_that_does_not_exist_is_an_error_and_is_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    target = tmp_path / "typo-dir" / "deeper" / "fleet.db"

    code, _out, err = run(capsys, "--db", str(target), *command)

    assert code == 2
    assert "does not exist" in err, err
    assert str(tmp_path / "typo-dir" / "deeper") in err, err
    assert not (tmp_path / "typo-dir").exists()


def test_a_path_under_a_file_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "plain").write_text("x")
    code, _out, err = run(capsys, "--db", str(tmp_path / "plain" / "fleet.db"), "list")
    assert code == 2
    assert "not a folder" in err, err
    assert (tmp_path / "plain").read_text() == "x"


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_db_option_is_an_error_not_the_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    code, out, err = run(capsys, "--db", value, "list")
    assert code == 2, (out, err)
    assert "--db" in err and "empty" in err, err
    assert out == ""
    assert not (tmp_path / "home").exists()  # the default database was not made instead


def test_an_empty_syncwatch_db_variable_means_unset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNCWATCH_DB= (set but empty, as shells and CI templates leave it) is the default."""
    monkeypatch.setenv("SYNCWATCH_DB", "")
    code, out, err = run(capsys, "--now", "2026-11-26T12:00:00Z", "list", "--json")
    assert code == 0, err
    assert (tmp_path / "home" / "data" / "syncwatch" / "syncwatch.db").is_file()
    assert out.startswith("[")


@pytest.mark.parametrize(
    "target", [":memory:", "sqlite://", "sqlite:///:memory:", "sqlite+pysqlite:///:memory:"]
)
def test_memory_is_refused_and_no_file_of_that_name_is_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    code, _out, err = run(capsys, "--db", target, "list")
    assert code == 2
    assert "in-memory" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no ":memory:" file (cwd)


def test_a_directory_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "fleet.db"
    folder.mkdir()
    code, _out, err = run(capsys, "--db", str(folder), "list")
    assert code == 2
    assert "is a folder" in err, err
    assert list(folder.iterdir()) == []


# --------------------------------------------------------------------------- accepted


def test_a_new_path_in_an_existing_folder_creates_a_fresh_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "fleet.db"
    code, out, err = run(capsys, "--db", str(db), "list", "--json")
    assert (code, out.strip()) == (0, "[]"), err
    assert schema_status(db).state == "current"


def test_an_empty_file_becomes_a_fresh_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 0-byte file (``mktemp``, ``touch``) is what SQLite calls an empty database."""
    db = tmp_path / "fleet.db"
    db.touch()
    code, out, err = run(capsys, "--db", str(db), "list", "--json")
    assert (code, out.strip()) == (0, "[]"), err
    assert schema_status(db).state == "current"


def test_the_default_database_folder_is_still_created_on_first_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--now", "2026-11-26T12:00:00Z", "list", "--json")
    assert code == 0, err
    assert (tmp_path / "home" / "data" / "syncwatch" / "syncwatch.db").is_file()
    assert len(out) > 100  # the sample was loaded


def test_store_open_refuses_another_programs_file_too(tmp_path: Path) -> None:
    """The rule lives in the database layer, not only in the command line."""
    from syncwatch.db import StoreError

    db = tmp_path / "app.db"
    other_programs_sqlite(db)
    before = Snapshot.of(db)
    with pytest.raises(StoreError, match="not a syncwatch database"):
        Store.open(db)
    assert Snapshot.of(db) == before


# --------------------------------------------------------------------------- PostgreSQL


def test_a_postgresql_database_of_another_program_is_refused(
    pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = sa.create_engine(pg_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE users (id SERIAL PRIMARY KEY, name TEXT)")
        for command in (["list"], ["db", "upgrade"], ["db", "current"]):
            code, _out, err = run(capsys, "--db", pg_url, *command)
            assert code == 2, err
            assert "not a syncwatch database" in err, err
            assert sa.engine.make_url(pg_url).password not in err
        with engine.connect() as conn:
            assert sa.inspect(conn).get_table_names() == ["users"]
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- after a migration


SECRET = "Bearer-s3cr3t-token-that-migration-0003-scrubs"


def test_text_a_migration_rewrites_does_not_linger_in_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration that scrubs a secret from stored text (as 0003 will): once the database is
    open, the secret is in neither the database file nor its write-ahead log."""
    db = tmp_path / "fleet.db"
    url = f"sqlite:///{db}"
    engine = new_engine(url)
    try:
        with engine.begin() as conn:
            migrations.run_upgrade(conn, migrations.FIRST_RELEASE)  # an older schema
            table = sa.Table("integration", sa.MetaData(), autoload_with=conn)
            row: dict[str, object] = {
                "id": "personio:a",
                "tool": "personio",
                "category": "HRIS",
                "organization": f"org {SECRET} org",
                "environment": "production",
                "created_at": datetime(2026, 11, 1, tzinfo=UTC),
            }
            for column in table.columns:  # every other required column: false or zero
                if not column.nullable and column.name not in row:
                    row[column.name] = 0
            conn.execute(table.insert().values(row))
    finally:
        engine.dispose()
    assert schema_status(db).state == "behind"
    assert SECRET.encode() in db.read_bytes()

    real_upgrade = migrations.run_upgrade

    def upgrade_and_scrub(conn: sa.Connection, target: str = "head") -> None:
        real_upgrade(conn, target)
        conn.exec_driver_sql(
            "UPDATE integration SET organization = replace(organization, ?, '[redacted]')",
            (SECRET,),
        )

    monkeypatch.setattr(migrations, "run_upgrade", upgrade_and_scrub)
    store = Store.open(db)  # upgraded here; the store stays open, as the UI's does for hours
    try:
        assert store.get("personio:a") is not None
        for path in (db, Path(f"{db}-wal")):
            if path.exists():
                assert SECRET.encode() not in path.read_bytes(), path.name
    finally:
        store.close()
