"""Database failures said plainly: :class:`StoreError` and the wording of what a database or
its driver raises (never with a password in it)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc


class StoreError(Exception):
    """A foreseeable storage failure (corrupt, locked, unreachable database), said plainly."""


class ReadOnlyDatabase(StoreError):
    """The database can be read but not written: a read-only SQLite file or directory, a
    PostgreSQL role without write privileges (42501) or a read-only transaction or server
    (25006). Reads still work; ``list`` and ``show`` evaluate in memory."""


class ClockBehind(StoreError):
    """``now`` is earlier than the last stored evaluation by more than the tolerance: storing
    anything at that time would write history out of order, so nothing is stored."""

    def __init__(self, now: datetime, last: datetime) -> None:
        self.now = now
        self.last = last
        super().__init__(
            f"the time {_iso(now)} is {_span(last - now)} before the last stored evaluation "
            f"({_iso(last)}); nothing is stored at an earlier time, so the history never "
            "runs backwards (check the clock or --now / SYNCWATCH_NOW)"
        )


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _span(d: timedelta) -> str:
    secs = int(d.total_seconds())
    days, rem = divmod(secs, 86400)
    hours, rem = divmod(rem, 3600)
    mins, s = divmod(rem, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours)
    parts += [f"{mins} min"] * bool(mins) + [f"{s} s"] * bool(s and not days)
    return " ".join(parts) or "0 s"


#: PostgreSQL's SQLSTATEs for "you may not write": insufficient privilege, read-only
#: transaction (also a hot standby, or default_transaction_read_only).
_PG_READ_ONLY_STATES = frozenset({"42501", "25006"})


def is_read_only(err: BaseException) -> bool:
    """Whether a database error says the database cannot be written (never a lock)."""
    orig = getattr(err, "orig", None) or err
    if str(getattr(orig, "sqlite_errorname", "")).startswith("SQLITE_READONLY"):
        return True
    if getattr(orig, "sqlstate", None) in _PG_READ_ONLY_STATES:
        return True
    return "readonly database" in str(orig)


def store_error(err: BaseException, url: str = "") -> StoreError:
    """The :class:`StoreError` for what a database or its driver raised: a
    :class:`ReadOnlyDatabase` when it refused a write, said plainly either way."""
    if is_read_only(err):
        where = f" {redact_url(url)}" if url else ""
        text = str(getattr(err, "orig", None) or err).strip()
        password = _password(url)
        if password:
            text = text.replace(password, "***")
        detail = text.splitlines()[0] if text else type(err).__name__
        return ReadOnlyDatabase(
            f"the database{where} is read-only for this user ({detail}): nothing can be stored"
        )
    return StoreError(describe_db_error(err, url))


def is_busy(err: sa_exc.OperationalError) -> bool:
    """Whether SQLite (or its driver) said the database is locked or busy."""
    text = str(err.orig)
    return "locked" in text or "busy" in text


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """Turn what a database or its driver raises into a :class:`StoreError`, said plainly."""
    try:
        yield
    except StoreError:
        raise
    except ImportError as err:
        raise StoreError(
            f"the database driver for {redact_url(url)} is not installed ({err.name}); "
            "syncwatch ships psycopg 3 for PostgreSQL: use a postgresql+psycopg:// URL"
        ) from None
    except (sa_exc.SQLAlchemyError, OSError, ValueError) as err:
        raise store_error(err, url) from None


def describe_db_error(err: BaseException, url: str = "") -> str:
    """A one-line explanation of a database failure, fit for a user (never a password)."""
    text = str(getattr(err, "orig", None) or err)
    password = _password(url)
    if password:
        text = text.replace(password, "***")
    where = f" ({redact_url(url)})" if url else ""
    first = text.strip().splitlines()[0] if text.strip() else type(err).__name__
    if "file is not a database" in text or "malformed" in text:
        return f"the database file is corrupt or not a syncwatch database{where}: {text}"
    if "locked" in text or "busy" in text:
        return f"the database is locked by another process{where}; try again shortly"
    if "unable to open" in text:
        return f"cannot open the database{where}: {text}"
    # PostgreSQL (libpq's messages, as psycopg passes them on).
    if "password authentication failed" in text or "no password supplied" in text:
        return (
            f"PostgreSQL refused the login{where}: wrong user or password; "
            "check the user and password in the URL"
        )
    if re.search(r'role ".*" does not exist', text):
        return f"PostgreSQL refused the login{where}: {_libpq_detail(text)}; check the user"
    if re.search(r'database ".*" does not exist', text):
        return (
            f"the PostgreSQL database does not exist{where}: {_libpq_detail(text)}; "
            "create it (createdb NAME) or fix the URL"
        )
    if "no pg_hba.conf entry" in text:
        return (
            f"the PostgreSQL server does not accept this connection{where} (pg_hba.conf): "
            f"{_libpq_detail(text)}"
        )
    if (
        "Connection refused" in text
        or "could not connect" in text
        or "timeout expired" in text
        or "No route to host" in text
        or "could not translate host name" in text
        or "failed to resolve host" in text
        or "Name or service not known" in text
    ):
        return (
            f"cannot reach the PostgreSQL database server{where}: is it running and accepting "
            f"connections on that host and port? ({_libpq_detail(text)})"
        )
    return f"database error{where}: {first}"


def _password(url: str) -> str | None:
    try:
        return sa.engine.make_url(url).password if url else None
    except Exception:
        return None


def _libpq_detail(text: str) -> str:
    """The informative part of a libpq message: after its last ``FATAL:`` or ``failed:``."""
    line = " ".join(part.strip() for part in text.strip().splitlines() if part.strip())
    for marker in ("FATAL:", "failed:"):
        if marker in line:
            line = line.rsplit(marker, 1)[1].strip()
            break
    return line


def redact_url(url: str) -> str:
    """A database URL without its password."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url
