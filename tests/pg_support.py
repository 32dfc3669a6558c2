"""A throwaway PostgreSQL server for the tests (``initdb`` + ``pg_ctl``, see :class:`PgServer`).

Kept out of conftest.py so test modules can import it by a name of their own.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

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
