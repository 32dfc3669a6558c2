"""Database failures said plainly: :class:`StoreError` and the wording of what a database or
its driver raises (never with a password in it)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc


class StoreError(Exception):
    """A foreseeable storage failure (corrupt, locked, unreachable database), said plainly."""


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
        raise StoreError(describe_db_error(err, url)) from None


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
