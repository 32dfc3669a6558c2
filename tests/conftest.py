"""Shared fixtures and builders for the core tests.

Everything runs on a fixed clock: ``NOW`` (also the ``now`` fixture) and times built from it.

Database fixtures run on both backends: ``store`` and ``db_url`` are parametrized
``[sqlite]`` / ``[postgresql]``; ``pg_url`` is a fresh database on a throwaway PostgreSQL
server that the session starts itself (``initdb`` + ``pg_ctl``, see :class:`PgServer`).
Without the server binaries the PostgreSQL variants skip, saying how to get them; with
``CI=true`` they fail instead, so CI never passes without having run them.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from syncwatch.clock import iso
from syncwatch.evaluator import IntegrationFacts, SyncFacts
from syncwatch.states import SyncState
from syncwatch.store import Store

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def ago(**delta: float) -> datetime:
    """``NOW`` minus a duration: ``ago(hours=3)``."""
    return NOW - timedelta(**delta)


# --------------------------------------------------------------------------- evaluator facts


def make_facts(**overrides: Any) -> IntegrationFacts:
    """A healthy production integration (filters configured, enabled), created 30 days ago."""
    values: dict[str, Any] = {
        "id": "personio:acme",
        "created_at": ago(days=30),
        "filters_configured": True,
    }
    values.update(overrides)
    return IntegrationFacts(**values)


def make_sync(
    id: str,
    state: SyncState | str,
    started_at: datetime,
    ended_at: datetime | None = None,
    **extra: Any,
) -> SyncFacts:
    """A sync; a finished one without ``ended_at`` ends 30 minutes after it started."""
    state = SyncState(state)
    if ended_at is None and state is not SyncState.RUNNING:
        ended_at = started_at + timedelta(minutes=30)
    return SyncFacts(id, state, started_at, ended_at, **extra)


# --------------------------------------------------------------------------- import files


def integration_record(id: str = "personio:acme", **fields: Any) -> dict[str, Any]:
    """An import record with the required fields; ``fields`` override or add (times as str)."""
    record: dict[str, Any] = {
        "id": id,
        "tool": id.split(":", 1)[0],
        "category": "HRIS",
        "organization": "Acme GmbH",
        "created_at": iso(ago(days=30)),
    }
    record.update({k: iso(v) if isinstance(v, datetime) else v for k, v in fields.items()})
    return record


def sync_record(
    id: str,
    state: str,
    started_at: datetime,
    ended_at: datetime | None = None,
    logs: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """An import sync; a finished one without ``ended_at`` ends 30 minutes after it started."""
    if ended_at is None and state != "RUNNING":
        ended_at = started_at + timedelta(minutes=30)
    record: dict[str, Any] = {"id": id, "state": state, "started_at": iso(started_at)}
    if ended_at is not None:
        record["ended_at"] = iso(ended_at)
    if logs is not None:
        record["logs"] = logs
    record.update(fields)
    return record


def log_record(at: datetime, level: str, message: str, **fields: Any) -> dict[str, Any]:
    return {"at": iso(at), "level": level, "message": message, **fields}


WriteImport = Callable[..., str]


def db_snapshot(store: Store) -> dict[str, Any]:
    """Everything a user can read back from the database, to compare before and after."""
    rows = store.integrations()
    return {
        "counts": store.counts(),
        "revision": store.revision(),
        "integrations": rows,
        "syncs": {r.id: store.syncs(r.id) for r in rows},
        "logs": {r.id: store.logs(r.id) for r in rows},
        "history": {r.id: store.history(r.id) for r in rows},
        "events": store.events(),
        "audit": store.audit(),
    }


@pytest.fixture
def now() -> datetime:
    return NOW


# --------------------------------------------------------------------------- PostgreSQL server

PG_HINT = (
    "PostgreSQL tests need the server binaries initdb and pg_ctl: "
    "apt-get install postgresql (they are looked for on PATH and in /usr/lib/postgresql/*/bin)"
)
BACKENDS = ["sqlite", "postgresql"]
_PG_PREFIX = "syncwatch-pg-"


class PgUnavailable(Exception):
    """The throwaway PostgreSQL server cannot be started here."""


def _pg_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl: ``SYNCWATCH_TEST_PG_BINDIR`` if set, else
    PATH, else the newest of Debian's ``/usr/lib/postgresql/*/bin``."""
    if chosen := os.environ.get("SYNCWATCH_TEST_PG_BINDIR"):
        found = (Path(chosen) / "initdb").exists() and (Path(chosen) / "pg_ctl").exists()
        return Path(chosen) if found else None
    on_path = shutil.which("initdb"), shutil.which("pg_ctl")
    if on_path[0] and on_path[1]:
        return Path(on_path[0]).resolve().parent
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    for bindir in sorted(versions, key=lambda d: int(Path(d).parent.name or 0), reverse=True):
        if (Path(bindir) / "initdb").exists() and (Path(bindir) / "pg_ctl").exists():
            return Path(bindir)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PgServer:
    """A throwaway PostgreSQL server in a temp dir, on a free loopback port.

    initdb refuses to run as root, so as root the server runs as the ``postgres`` user (or
    ``nobody``) through ``runuser``. The superuser ``syncwatch`` logs in with a password over
    TCP (so authentication failures can be tested); fsync is off: nothing here must survive.
    """

    root: Path
    bindir: Path
    port: int
    password: str
    run_as: list[str]
    admin: sa.Engine | None = None
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    user = "syncwatch"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str, password: str | None = None) -> str:
        pw = self.password if password is None else password
        return f"postgresql+psycopg://{self.user}:{pw}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        cmd = [*self.run_as, str(self.bindir / args[0]), *args[1:]]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise PgUnavailable(
                f"{' '.join(args[:1])} failed ({done.returncode}): "
                f"{(done.stderr or done.stdout).strip()}\n{tail}"
            )

    @classmethod
    def start(cls) -> PgServer:
        bindir = _pg_bindir()
        if bindir is None:
            raise PgUnavailable("initdb/pg_ctl not found")
        run_as: list[str] = []
        owner: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            for name in ("postgres", "nobody"):
                try:
                    owner = pwd.getpwnam(name)
                    break
                except KeyError:
                    continue
            runuser = shutil.which("runuser")
            if owner is None or runuser is None:
                raise PgUnavailable("running as root without runuser or an unprivileged user")
            run_as = [runuser, "-u", owner.pw_name, "--"]
        cls.stop_orphans(bindir, run_as)
        root = Path(tempfile.mkdtemp(prefix=_PG_PREFIX))
        password = secrets.token_hex(12)
        server = cls(root, bindir, 0, password, run_as)
        try:
            (root / "owner").write_text(f"{os.getpid()}\n")
            (root / "pw").write_text(password + "\n")
            if owner is not None:
                for path in (root, root / "pw"):
                    os.chown(path, owner.pw_uid, owner.pw_gid)
            server._run(
                "initdb",
                "-D", str(server.data),
                "-U", cls.user,
                f"--pwfile={root / 'pw'}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E", "UTF8",
                "--no-sync",
                "--no-instructions",
            )  # fmt: skip
            for _attempt in range(3):  # another run may grab the port between probe and bind
                server.port = _free_port()
                options = (
                    f"-c listen_addresses=127.0.0.1 -p {server.port} -k {root} "
                    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                    "-c max_connections=200"
                )
                try:
                    server._run(
                        "pg_ctl", "-D", str(server.data), "-l", str(root / "server.log"),
                        "-w", "-t", "30", "-o", options, "start",
                    )  # fmt: skip
                    break
                except PgUnavailable:
                    if _attempt == 2:
                        raise
            server.admin = sa.create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
        except BaseException:
            server.stop()
            raise
        return server

    @classmethod
    def stop_orphans(cls, bindir: Path, run_as: list[str]) -> None:
        """Stop the servers of test sessions that were killed before they could (SIGKILL,
        a CI time-out): each server's directory names the process that owns it."""
        for root in Path(tempfile.gettempdir()).glob(f"{_PG_PREFIX}*"):
            try:
                owner = int((root / "owner").read_text())
            except (OSError, ValueError):
                continue  # not ours, or still being set up
            try:
                os.kill(owner, 0)
                continue  # its session is still running
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
            cls(root, bindir, 0, "", run_as).stop()

    def stop(self) -> None:
        """Stop the server (immediately: its data is thrown away) and remove its files."""
        if self.admin is not None:
            self.admin.dispose()
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(PgUnavailable, subprocess.TimeoutExpired):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self) -> str:
        """A fresh, empty database; returns its name."""
        assert self.admin is not None
        name = f"t{os.getpid()}_{next(self.counter)}"
        with self.admin.connect() as conn:
            # FILE_COPY: with fsync off its checkpoint is cheap, and it beats WAL_LOG here.
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" STRATEGY FILE_COPY')
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, closing whatever connections a test left open to it."""
        assert self.admin is not None
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
