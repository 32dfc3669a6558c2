"""The list's read path on the standard library alone: a SQLite file read with ``sqlite3``.

Importing SQLAlchemy, SQLModel and pydantic (what :mod:`syncwatch.db` needs) takes about a
second on a small machine; the first screen and a ``list`` that finds nothing to evaluate
need only the stored rows. :class:`FastReader` reads them straight from the file into the
same :class:`~syncwatch.rows.IntegrationRow` records the ORM path returns, field for field.

It serves only what it can serve exactly, and says so by :meth:`FastReader.open` returning
``None`` (the caller then takes the ORM path, which also creates, upgrades or refuses a
database): a path or ``sqlite:///`` URL naming an existing SQLite file whose schema is
stamped with this syncwatch's head revision. The file is opened read-only
(``file:...?mode=ro``): the fast path never writes, upgrades or creates a database, and
the database file's bytes and mtime stay as they were. One thing SQLite does itself: a
reader of a WAL database (syncwatch's are) needs the ``-shm`` index and ``-wal`` file, so
when no other connection has them open it creates them (32 KiB and empty), and a
read-only connection cannot remove them when it closes. They hold no change; the next
``Store`` reuses them and removes them when it closes. (``immutable=1`` would avoid them,
but would also ignore a writer's commits still in the WAL: not an option for the reads.
It is used for a first look at a file without a ``-wal``, where everything committed is
in the file itself: another program's database is refused with nothing made beside it.)

Nothing here imports SQLAlchemy, SQLModel, pydantic or Textual, directly or not
(``tests/test_fastread.py`` checks it in a fresh interpreter).

How SQLAlchemy stores the schema's times on SQLite (SQLModel's ``UTCDateTime`` over
``DateTime``): UTC text ``YYYY-MM-DD HH:MM:SS.ffffff`` without an offset, read back with
``datetime.fromisoformat`` and given ``tzinfo=UTC``. This module reads and compares them
the same way.

Why the module is long: it is one read path whose pieces must agree with each other and
with the ORM path (the schema gate, the time format, the row builder's 29 columns spelled
out in its hot loop, the work-due probe, the Kombo marks); split up, each piece would
have to restate what the others assume.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields, make_dataclass
from datetime import UTC, datetime
from functools import cache
from operator import attrgetter
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Final
from urllib.parse import quote, unquote

from syncwatch.asof import FleetAsOf, LastSyncAt, StateAt, fleet_as_of
from syncwatch.attention import NO_ATTENTION, AttentionMark, mark_of
from syncwatch.rows import (
    AuditRow,
    HistoryRow,
    IntegrationRow,
    IssueRow,
    KomboMark,
    LogRow,
    SyncRow,
    UpstreamInfo,
)
from syncwatch.states import IntegrationState, QaStatus, SyncState
from syncwatch.trends import (
    NO_RECENT,
    RECENT_SYNCS,
    RecentResults,
    RecentSync,
    ResultStrip,
    recent_results,
    strip_of,
)

__all__ = [
    "AS_OF_LAST_SYNCS",
    "AS_OF_RECENT",
    "AS_OF_STATES",
    "FIRST_HISTORY",
    "INTEGRATION_COLUMNS",
    "ORDERS",
    "ROWS_WITH_STRIPS",
    "STRIP_STATES",
    "FastReader",
    "batches_with_strips",
    "head_of",
    "schema_head",
    "sqlite_path",
    "sqlite_time",
    "strips_of_text",
]

#: Where the migration scripts are (read as text: importing them would import Alembic).
VERSIONS: Final = Path(__file__).resolve().parent / "migrations" / "versions"

_REVISION = re.compile(r"""^revision\s*(?::[^=\n]*)?=\s*["']([^"']+)["']\s*$""", re.M)
_DOWN_REVISION = re.compile(
    r"""^down_revision\s*(?::[^=\n]*)?=\s*(?:None|["']([^"']+)["'])\s*$""", re.M
)

#: The first 16 bytes of every SQLite database file.
_SQLITE_HEADER: Final = b"SQLite format 3\x00"

#: The integration columns an :class:`IntegrationRow` holds, in the order of its fields.
INTEGRATION_COLUMNS: Final = (
    "id",
    "tool",
    "category",
    "organization",
    "environment",
    "created_at",
    "enabled",
    "filters_configured",
    "qa_status",
    "credentials_invalid_at",
    "credentials_updated_at",
    "last_api_request_at",
    "last_reactivated_at",
    "disabled_reason",
    "disabled_at",
    "deleted_at",
    "purged_at",
    "state",
    "state_reason",
    "state_since",
    "evaluated_at",
    "last_sync_id",
    "last_sync_state",
    "last_sync_ended_at",
    "last_sync_warnings",
    "last_sync_errors",
    "next_due_at",
    "dirty",
    "revision",
)
_COLUMN_LIST: Final = ", ".join(INTEGRATION_COLUMNS)
_SELECT: Final = f"SELECT {_COLUMN_LIST} FROM integration"
#: What the list's order needs of every row (``order="list"``).
_KEYS: Final = "SELECT rowid, state, organization, id FROM integration"
#: Integrations per stored state (for the list's first batch).
_COUNTS: Final = "SELECT state, count(*) FROM integration"

#: Whether an evaluation pass at ``?`` has work: the same three conditions as
#: ``syncwatch.db.evaluation.needs_evaluation`` (dirty, next deadline come, never
#: evaluated). The first two are seeks of ``ix_integration_due (dirty, next_due_at)``;
#: ``state IS NULL`` has no index and is reached only when neither found anything.
_WORK_DUE: Final = (
    "SELECT EXISTS (SELECT 1 FROM integration WHERE dirty = 1)"
    " OR EXISTS (SELECT 1 FROM integration WHERE dirty = 0 AND next_due_at <= ?)"
    " OR EXISTS (SELECT 1 FROM integration WHERE state IS NULL)"
)

#: What ``show`` and ``logs`` read of one integration, in the orders ``Store`` reads them
#: (``Store.syncs``, ``Store.history``, ``Store.audit``, ``Store.logs`` and
#: ``syncwatch.db.kombo.integration_issues``); times are converted by :func:`_time`.
_SYNCS: Final = (
    "SELECT id, integration_id, type, state, started_at, ended_at, warnings, errors,"
    " headline, log_url FROM sync WHERE integration_id = ?"
    " ORDER BY started_at DESC, id DESC"
)
_HISTORY: Final = (
    "SELECT from_state, to_state, at, reason, correction, recorded_at FROM state_change"
    " WHERE integration_id = ? ORDER BY id"
)
_AUDIT: Final = (
    "SELECT integration_id, actor, action, at, state_before, state_after, db_role"
    " FROM audit_entry"
    " WHERE integration_id = ? ORDER BY id"
)
#: An integration's acknowledgement and snooze (``syncwatch.db.attention``).
_ATTENTION: Final = (
    "SELECT acked_by, acked_at, ack_note, ack_state, snoozed_until, snoozed_by, snoozed_at"
    " FROM attention WHERE integration_id = ?"
)
_ATTENTION_ALL: Final = (
    "SELECT integration_id, acked_by, acked_at, ack_note, ack_state, snoozed_until,"
    " snoozed_by, snoozed_at FROM attention"
)
_ISSUES: Final = (
    "SELECT id, integration_id, type, title, status, message, first_observed_at,"
    " resolved_at, updated_at FROM integration_issue WHERE integration_id = ?"
    " ORDER BY CASE WHEN status = 'OPEN' THEN 0 ELSE 1 END, first_observed_at DESC, id"
)
_LOGS: Final = "SELECT id, sync_id, integration_id, at, level, message, field FROM log_entry"
#: Each integration's last syncs, newest first (as ``syncwatch.db.trends.recent_results``);
#: ``{where}`` is empty or an ``integration_id IN (...)`` filter, ``?`` (last) the limit.
_RECENT: Final = (
    "SELECT integration_id, id, state, started_at, ended_at FROM ("
    "SELECT integration_id, id, state, started_at, ended_at, row_number() OVER ("
    "PARTITION BY integration_id ORDER BY started_at DESC, id DESC) AS n FROM sync{where}"
    ") WHERE n <= ?"
)
#: What the list draws of the same strips: the results alone, ``n`` = 1 the newest (no ids,
#: no times: at 100,000 integrations reading those and building their objects was most of
#: the time the background load took). ``fastread`` and ``pgread`` run this same text.
STRIP_STATES: Final = (
    "SELECT integration_id, state, n FROM ("
    "SELECT integration_id, state, row_number() OVER ("
    "PARTITION BY integration_id ORDER BY started_at DESC, id DESC) AS n FROM sync{where}"
    ") AS recent WHERE n <= ?"
)
#: The same strips as one text per integration, the states oldest first, comma-separated:
#: the database joins them (``{joined}``: :data:`SQLITE_JOINED` or PostgreSQL's
#: ``string_agg``), so Python handles one row per integration, not one per sync, and
#: builds each distinct strip once (``strips_of_text``). 100,000 integrations: the
#: list's background load.
STRIP_TEXTS: Final = (
    "SELECT integration_id, {joined} FROM (" + STRIP_STATES + "{ordered}) AS strips"
    " GROUP BY integration_id"
)
#: SQLite joins in the order the rows come, which the inner ORDER BY sets.
SQLITE_JOINED: Final = "group_concat(state, ',')"
SQLITE_ORDERED: Final = " ORDER BY integration_id, n DESC"
#: Every integration with its strip, in the table's own order: one scan, each row's last
#: syncs sought by ``ix_sync_integration_started`` (a correlated subquery, run inside
#: SQLite with Python's lock released), their results joined newest first (``?``: how
#: many). At 100,000 integrations this reads rows and strips in about 1 s; the list's order
#: plus strips by ``IN (...)`` batches took 2.6 s (benchmarks/tui.py's database).
ROWS_WITH_STRIPS: Final = (
    f"SELECT {_COLUMN_LIST}, (SELECT group_concat(state, ',') FROM"
    " (SELECT state FROM sync WHERE sync.integration_id = integration.id"
    " ORDER BY started_at DESC, id DESC LIMIT ?)) FROM integration"
)
#: The fleet as it was (:mod:`syncwatch.asof`), for a time ``?``: each integration's latest
#: history entry by then (ties: the larger id), its last finished sync ended by then (as
#: the evaluator's "last sync": latest end, then start, then id), and its last syncs started
#: by then (``?`` last: how many). The same text serves PostgreSQL (``syncwatch.pgread``)
#: and ``Store`` (``syncwatch.db.asof``). The first two seek each integration's entries
#: (``ix_state_change_integration``, ``ix_sync_integration_ended``) rather than rank the
#: whole table with a window: 0.4 s instead of 1.2 s, 0.1 s instead of 0.7 s at 10,000
#: integrations with 200,000 transitions and 200,000 syncs (``benchmarks/as_of.py``).
AS_OF_STATES: Final = (
    "SELECT c.integration_id, c.to_state, c.at, c.reason FROM integration AS i"
    " JOIN state_change AS c ON c.id = (SELECT l.id FROM state_change AS l"
    " WHERE l.integration_id = i.id AND l.at <= ? ORDER BY l.at DESC, l.id DESC LIMIT 1)"
)
AS_OF_LAST_SYNCS: Final = (
    "SELECT s.integration_id, s.id, s.state, s.ended_at, s.warnings, s.errors"
    " FROM integration AS i JOIN sync AS s ON s.id = (SELECT l.id FROM sync AS l"
    " WHERE l.integration_id = i.id AND l.ended_at <= ?"
    " AND l.state NOT IN ('RUNNING', 'CANCELLED')"
    " ORDER BY l.ended_at DESC, l.started_at DESC, l.id DESC LIMIT 1)"
)
AS_OF_RECENT: Final = (
    "SELECT integration_id, id, state, started_at, ended_at FROM ("
    "SELECT integration_id, id, state, started_at, ended_at, row_number() OVER ("
    "PARTITION BY integration_id ORDER BY started_at DESC, id DESC) AS n"
    " FROM sync WHERE started_at <= ?) AS recent WHERE n <= ?"
)
#: The first history entry's time: no fleet is shown as of an earlier one.
FIRST_HISTORY: Final = "SELECT min(at) AS at FROM state_change"
#: Checked when a reader opens (compiling them checks every table and column they name).
_DETAIL_READS: Final = (
    _SYNCS.replace("?", "NULL") + " LIMIT 0",
    _HISTORY.replace("?", "NULL") + " LIMIT 0",
    _AUDIT.replace("?", "NULL") + " LIMIT 0",
    _ISSUES.replace("?", "NULL") + " LIMIT 0",
    _ATTENTION.replace("?", "NULL") + " LIMIT 0",
    f"{_LOGS} LIMIT 0",
    _RECENT.format(where="").replace("?", "0"),
    AS_OF_STATES.replace("?", "NULL"),
    AS_OF_LAST_SYNCS.replace("?", "NULL"),
    AS_OF_RECENT.replace("?", "0"),
)

#: Rows per fetch of the background load (:func:`batches_with_strips`).
_FETCH: Final = 500
#: Ids per ``IN (...)`` list (SQLite's default limit on bound parameters is 32766).
_CHUNK: Final = 900

#: The orders :meth:`FastReader.iter_integrations` reads in: ``id`` (``Store.integrations``)
#: and ``list`` (the list's default: worst state first, organisation casefolded, id).
ORDERS: Final = ("id", "list")


# --------------------------------------------------------------------------- locating


def sqlite_path(target: str | Path) -> Path | None:
    """The SQLite file a ``--db`` target names, or ``None`` when it names something else.

    Spelled as :func:`syncwatch.db.engine.database_url` reads it: a path (``~`` expanded),
    or a URL. Only ``sqlite:///`` URLs without query options are taken; an in-memory
    database, PostgreSQL or options the fast path would ignore give ``None``.
    """
    text = str(target)
    if "://" not in text:
        return Path(text).expanduser().resolve()
    scheme, _, rest = text.partition("://")
    if scheme not in ("sqlite", "sqlite+pysqlite") or not rest.startswith("/"):
        return None
    path = unquote(rest[1:])  # SQLAlchemy unquotes the database part too
    if not path or path == ":memory:" or "?" in rest or path.startswith("file:"):
        return None
    return Path(path).resolve()


@cache
def schema_head() -> str | None:
    """This syncwatch's schema head (see :func:`head_of`), read once."""
    return head_of(VERSIONS)


def head_of(versions: Path) -> str | None:
    """The head revision of the migration scripts in ``versions``, or ``None`` when it
    cannot be told (no scripts, a script this parser does not understand, a merge or a
    branch): then the fast path is not taken.

    The revision ids are parsed from the scripts' ``revision = "..."`` and
    ``down_revision = "..."`` lines (importing them would import Alembic); the head is the
    one revision no other revision names as its ``down_revision``.
    """
    down_of: dict[str, str | None] = {}
    try:
        scripts = sorted(versions.glob("*.py"))
        for script in scripts:
            text = script.read_text(encoding="utf-8")
            rev = _REVISION.findall(text)
            if not rev:
                continue  # not a revision (e.g. __init__.py)
            down = _DOWN_REVISION.findall(text)
            if len(rev) != 1 or len(down) != 1 or rev[0] in down_of:
                return None
            down_of[rev[0]] = down[0] or None
    except OSError:
        return None
    named = set(down_of.values())
    heads = [r for r in down_of if r not in named]
    if len(heads) != 1 or not all(d is None or d in down_of for d in named):
        return None
    return heads[0]


def sqlite_time(t: datetime) -> str:
    """An aware time as SQLAlchemy stores it in SQLite: UTC ``2026-11-18 14:30:33.000000``
    (the same text as ``syncwatch.db.bulk.sqlite_time``)."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{t.isoformat()} has no time zone")
    if t.utcoffset():
        t = t.astimezone(UTC)
    text = t.isoformat(" ")
    return text[:26] if t.microsecond else text[:19] + ".000000"


# --------------------------------------------------------------------------- conversions


def _parse_time(text: str) -> datetime:
    """Stored time text to an aware UTC datetime, as SQLAlchemy and ``UTCDateTime`` read it
    (``fromisoformat``, then UTC given to a naive value, converted for an aware one)."""
    try:
        # SQLAlchemy's own text has no offset: appending one is one C call, 8x quicker
        # than fromisoformat(...).replace(tzinfo=UTC) (whose keyword call dominates).
        return datetime.fromisoformat(text + "+00:00")
    except ValueError:
        parsed = datetime.fromisoformat(text)  # an offset already, or not a time at all
    if parsed.utcoffset() is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _time(text: str | None) -> datetime | None:
    return None if text is None else _parse_time(text)


class _Times(dict[Any, Any]):
    """Stored time text to datetimes, each distinct text parsed once (``None`` stays None).

    For the columns many rows share: every row of one pass has the same ``evaluated_at``
    and most the same ``state_since``; one object per distinct text saves its parse and
    48 bytes a row. Columns whose values are nearly all distinct (``created_at``, the last
    API request, the last sync's end) are parsed directly: a memo of them would only cost
    memory (its keys stay alive: ~100 bytes a row).
    """

    def __init__(self) -> None:
        super().__init__({None: None})

    def __missing__(self, key: str) -> datetime:
        value = self[key] = _parse_time(key)
        return value


class _Enum(dict[Any, Any]):
    """Stored text to an enum member, as ``Enum(text) if text else None`` reads it."""

    def __init__(self, enum: type[Any]) -> None:
        super().__init__({None: None, "": None, **{m.value: m for m in enum}})
        self.enum = enum

    def __missing__(self, key: str) -> Any:
        return self.enum(key)  # raises ValueError for an unknown value, as the ORM path does


class _Shared(dict[Any, Any]):
    """One string object per distinct text (tool, category, state reason, ...)."""

    def __missing__(self, key: str) -> str:
        self[key] = key
        return key


STATES: Final = _Enum(IntegrationState)
QA: Final = _Enum(QaStatus)
SYNC_STATES: Final = _Enum(SyncState)


@cache
def _unfrozen_twin() -> Any:
    """A class to build rows quickly in, or ``None`` (then rows are built as they are).

    ``IntegrationRow`` is a frozen dataclass: its ``__init__`` sets each of its 29 fields
    with a call to ``object.__setattr__`` (about 3 us a row, most of a row's cost). The
    twin is the same dataclass, not frozen, with the same slots; a row is built as a twin
    (plain attribute stores, about 0.4 us) and then made an ``IntegrationRow`` by
    assigning ``__class__``, which Python allows between classes of the same layout (and
    refuses with ``TypeError`` otherwise). The result is an ``IntegrationRow`` in every
    respect; should the classes ever differ, the check below gives ``None``.
    """
    names = IntegrationRow.__slots__
    hints = {f.name: f.type for f in fields(IntegrationRow)}
    try:
        twin: Any = make_dataclass(
            "_IntegrationRowTwin",
            [(n, hints[n]) for n in names],
            slots=True,
            eq=False,
            repr=False,
            match_args=False,
        )
        probe_values: tuple[Any, ...] = tuple(range(len(names)))
        probe = twin(*probe_values)
        probe.__class__ = IntegrationRow
        if twin.__slots__ != names or probe != IntegrationRow(*probe_values):
            return None
    except (TypeError, KeyError):
        return None
    return twin


class RowBuilder:
    """Turns result tuples into :class:`IntegrationRow` records, sharing repeated values.

    One builder for both fast read paths: SQLite returns times as stored text
    (``text_times=True``: parsed here, the repeated ones once each), psycopg returns them
    as datetimes already (``text_times=False``: only shared). Everything else (enum
    members, shared strings, building through the unfrozen twin) is the same code.
    """

    __slots__ = ("shared", "text_times", "times")

    def __init__(self, *, text_times: bool = True) -> None:
        self.text_times = text_times
        self.times: dict[Any, Any] = _Times() if text_times else _Shared({None: None})
        self.shared = _Shared()

    def rows(self, tuples: Iterable[tuple[Any, ...]]) -> list[IntegrationRow]:
        times = self.times
        shared = self.shared
        states = STATES
        qa = QA
        sync_states = SYNC_STATES
        parse = datetime.fromisoformat
        slow = _time
        text_times = self.text_times
        twin = _unfrozen_twin()
        swap = twin is not None
        new = twin if swap else IntegrationRow
        row_class = IntegrationRow
        out: list[Any] = []
        append = out.append
        created: Any
        api: Any
        ended: Any
        for (
            id_,
            tool,
            category,
            organization,
            environment,
            created_at,
            enabled,
            filters_configured,
            qa_status,
            credentials_invalid_at,
            credentials_updated_at,
            last_api_request_at,
            last_reactivated_at,
            disabled_reason,
            disabled_at,
            deleted_at,
            purged_at,
            state,
            state_reason,
            state_since,
            evaluated_at,
            last_sync_id,
            last_sync_state,
            last_sync_ended_at,
            last_sync_warnings,
            last_sync_errors,
            next_due_at,
            dirty,
            revision,
        ) in tuples:
            if not text_times:
                created, api, ended = created_at, last_api_request_at, last_sync_ended_at
            else:
                # The mostly distinct times: parsed directly (the common text first).
                try:
                    created = parse(created_at + "+00:00")
                    api = (
                        None
                        if last_api_request_at is None
                        else parse(last_api_request_at + "+00:00")
                    )
                    ended = (
                        None if last_sync_ended_at is None else parse(last_sync_ended_at + "+00:00")
                    )
                except (TypeError, ValueError):
                    created, api, ended = (
                        slow(created_at),
                        slow(last_api_request_at),
                        slow(last_sync_ended_at),
                    )
            row = new(
                id_,
                shared[tool],
                shared[category],
                shared[organization],
                shared[environment],
                created,
                bool(enabled),
                bool(filters_configured),
                qa[qa_status],
                times[credentials_invalid_at],
                times[credentials_updated_at],
                api,
                times[last_reactivated_at],
                disabled_reason if disabled_reason is None else shared[disabled_reason],
                times[disabled_at],
                times[deleted_at],
                times[purged_at],
                states[state],
                state_reason if state_reason is None else shared[state_reason],
                times[state_since],
                times[evaluated_at],
                last_sync_id,
                sync_states[last_sync_state],
                ended,
                last_sync_warnings or 0,
                last_sync_errors or 0,
                times[next_due_at],
                bool(dirty),
                revision or 0,
            )
            if swap:
                row.__class__ = row_class
            append(row)
        return out


# --------------------------------------------------------------------------- the reader


class FastReader:
    """Read-only access to a SQLite database at this syncwatch's schema head, for the list.

    Open it with :meth:`open`; ``None`` means "take the ORM path". One connection, used by
    one thread at a time (it may be handed to another thread). Each read is one statement,
    so it sees one committed state of the database; two reads may see two.
    """

    #: What its reads raise when the database cannot be read (for callers that fall back).
    read_error: ClassVar[type[Exception]] = sqlite3.Error

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._builder = RowBuilder()

    # -- opening ------------------------------------------------------------------------

    @classmethod
    def open(cls, target: str | Path, *, timeout: float = 5.0) -> FastReader | None:
        """A reader on ``target`` (a path or ``sqlite:///`` URL), or ``None`` unless it is an
        existing SQLite file stamped with this syncwatch's head revision (then the caller
        opens it with ``Store``, which creates, upgrades or refuses it as it does today).

        ``timeout``: how long to wait, in seconds, when the file is locked (a rollback
        journal being written, WAL recovery); never wanted in practice with WAL.
        """
        path = sqlite_path(target)
        head = schema_head()
        if path is None or head is None:
            return None
        try:
            with path.open("rb") as f:
                if f.read(16) != _SQLITE_HEADER:
                    return None
        except OSError:  # missing, a directory, unreadable
            return None
        uri = f"file:{quote(str(path))}?mode=ro"
        # Without a -wal beside it, everything committed is in the file itself, and a
        # read-only connection would create a -wal and a -shm it cannot remove: first a
        # look at the file alone (immutable: no lock, nothing made beside it), so that
        # another program's database is refused untouched. The connection looks again.
        wal = path.with_name(f"{path.name}-wal")
        if not wal.exists() and not _opens_at_head(f"{uri}&immutable=1", head, timeout):
            return None
        try:
            conn = sqlite3.connect(
                uri, uri=True, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error:
            return None
        try:
            if not _at_head(conn, head):
                conn.close()
                return None
        except sqlite3.Error:
            conn.close()
            return None
        return cls(conn, path)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> FastReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- reads --------------------------------------------------------------------------

    def work_due(self, now: datetime) -> bool:
        """Whether an evaluation pass at ``now`` would evaluate anything: an integration is
        dirty, its next deadline is at or before ``now``, or it was never evaluated."""
        row = self._conn.execute(_WORK_DUE, (sqlite_time(now),)).fetchone()
        return bool(row[0])

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """The reads inside see one committed state of the database (one read transaction).

        Not around :meth:`iter_integrations` with ``order="list"``, which holds its own.
        """
        self._conn.execute("BEGIN")
        try:
            yield
        finally:
            self._conn.execute("COMMIT")

    def last_evaluated_at(self) -> datetime | None:
        """The time of the latest stored evaluation, ``None`` before the first one (as
        ``syncwatch.db.evaluation.last_evaluated_at``): a pass at an earlier time stores
        nothing, so a reader must take the ORM path then."""
        row = self._conn.execute("SELECT max(evaluated_at) FROM integration").fetchone()
        return _time(row[0])

    def revision(self) -> int:
        """The latest revision (as ``Store.revision``)."""
        row = self._conn.execute("SELECT max(revision) FROM integration").fetchone()
        return int(row[0] or 0)

    def count(self, *, include_deleted: bool = True) -> int:
        """How many integrations there are (to say "loading n of N")."""
        sql = "SELECT count(*) FROM integration"
        if not include_deleted:
            sql += " WHERE deleted_at IS NULL"
        return int(self._conn.execute(sql).fetchone()[0])

    def iter_integrations(
        self,
        *,
        batch: int = 2000,
        include_deleted: bool = True,
        since_revision: int | None = None,
        order: str = "id",
    ) -> Iterator[list[IntegrationRow]]:
        """The integrations in lists of up to ``batch``: ordered by id (``order="id"``, as
        ``Store.integrations``) or as the list shows them by default (``order="list"``:
        worst state first, then organisation casefolded, then id), so the first batch is
        the first screen. Every batch comes from one read transaction (one committed
        state), held until the iterator is exhausted or closed.

        ``order="list"`` reads the sort keys of every row first (four columns), sorts them
        here, then reads the rows batch by batch by rowid: the first screen costs the keys,
        not every row.
        """
        if batch < 1:
            raise ValueError("batch must be at least 1")
        _check_order(order)
        conn = self._conn
        if order == "id":
            sql, params = _integrations_query(include_deleted, since_revision, "id")
            cur = conn.execute(sql, params)
            try:
                while chunk := cur.fetchmany(batch):
                    yield self._builder.rows(chunk)
            finally:
                cur.close()
            return
        keys_sql, params = _integrations_query(include_deleted, since_revision, None, _KEYS)
        sort_key = list_order(_SEVERITY_TEXT)
        conn.execute("BEGIN")  # one snapshot for the keys and every batch
        try:
            # The first batch from the worst states alone: a count per state says which
            # states hold a batch, and only their rows' keys are read and sorted, so the
            # first screen does not wait for every row's. The order is total (ids are
            # unique): this batch is exactly the first of the full sort the rest come from.
            count_sql, _ = _integrations_query(include_deleted, since_revision, None, _COUNTS)
            counts = conn.execute(f"{count_sql} GROUP BY state", params).fetchall()
            states = worst_states(counts, batch)
            head: list[tuple[Any, ...]] = []
            if states is not None:
                where = "AND" if " WHERE " in keys_sql else "WHERE"
                marks = ", ".join("?" * len(states))
                some_sql = f"{keys_sql} {where} state IN ({marks})"
                head = sorted(conn.execute(some_sql, (*params, *states)), key=sort_key)[:batch]
                yield self._rows_by_rowid([k[0] for k in head], batch)
            keys = conn.execute(keys_sql, params).fetchall()
            keys.sort(key=sort_key)
            for start in range(len(head), len(keys), batch):
                yield self._rows_by_rowid([k[0] for k in keys[start : start + batch]], batch)
        finally:
            conn.execute("COMMIT")

    def _rows_by_rowid(self, wanted: list[int], batch: int) -> list[IntegrationRow]:
        """The rows with these rowids, in this order."""
        step = min(batch, _CHUNK)
        found: dict[int, tuple[Any, ...]] = {}
        for part in range(0, len(wanted), step):
            ids = wanted[part : part + step]
            marks = ", ".join("?" * len(ids))
            cur = self._conn.execute(
                f"SELECT rowid, {_COLUMN_LIST} FROM integration WHERE rowid IN ({marks})", ids
            )
            found.update((r[0], r[1:]) for r in cur)
        return self._builder.rows(found[rowid] for rowid in wanted)

    def iter_with_strips(
        self, sizes: Iterable[int], limit: int = RECENT_SYNCS
    ) -> Iterator[tuple[list[IntegrationRow], dict[str, ResultStrip]]]:
        """Every integration (deleted ones too) with the strip the list draws of it, in
        the table's own order (the list sorts what arrives), in batches of ``sizes`` (the
        last size repeats). One statement: one committed state, held until the iterator is
        exhausted or closed."""
        cur = self._conn.execute(ROWS_WITH_STRIPS, (limit,))
        try:
            yield from batches_with_strips(cur.fetchmany, self._builder, sizes)
        finally:
            cur.close()

    def integrations(
        self,
        *,
        include_deleted: bool = True,
        since_revision: int | None = None,
        order: str = "id",
    ) -> list[IntegrationRow]:
        """All integrations (or those changed after ``since_revision``), as
        ``Store.integrations`` returns them (ordered by id unless ``order="list"``).

        Read in the table's own order and sorted here: ``ORDER BY id`` would walk the id
        index and look every row up in the table (a third slower at 10,000 rows), and
        Python orders strings as SQLite's ``BINARY`` collation does (by code point).
        """
        _check_order(order)
        sql, params = _integrations_query(include_deleted, since_revision, None)
        rows = self._builder.rows(self._conn.execute(sql, params))
        rows.sort(key=_ID if order == "id" else _worst_first)
        return rows

    def get(self, integration_id: str) -> IntegrationRow | None:
        """One integration, or ``None`` if the id is unknown (as ``Store.get``)."""
        cur = self._conn.execute(f"{_SELECT} WHERE id = ?", (integration_id,))
        rows = self._builder.rows(cur)
        return rows[0] if rows else None

    def kombo_marks(self, ids: Sequence[str] | None = None) -> dict[str, KomboMark]:
        """What the list marks about Kombo's side, as ``syncwatch.db.kombo.kombo_marks``:
        for ``ids`` (every id gets a mark, maybe empty), or with ``None`` for every
        integration that has something to mark."""
        times = self._builder.times
        gone: dict[str, datetime] = {}
        counts: dict[str, int] = {}
        count_sql = (
            "SELECT integration_id, count(*) FROM integration_issue"
            " WHERE status = 'OPEN' AND integration_id IS NOT NULL"
        )
        if ids is None:
            for iid, at in self._conn.execute(
                "SELECT id, upstream_gone_at FROM integration WHERE upstream_gone_at IS NOT NULL"
            ):
                gone[iid] = times[at]
            counts.update(self._conn.execute(count_sql + " GROUP BY integration_id"))
            return {
                iid: KomboMark(counts.get(iid, 0), gone.get(iid)) for iid in gone.keys() | counts
            }
        for chunk in _chunks(ids):
            marks = ", ".join("?" * len(chunk))
            for iid, at in self._conn.execute(
                f"SELECT id, upstream_gone_at FROM integration WHERE id IN ({marks})"
                " AND upstream_gone_at IS NOT NULL",
                chunk,
            ):
                gone[iid] = times[at]
            counts.update(
                self._conn.execute(
                    f"{count_sql} AND integration_id IN ({marks}) GROUP BY integration_id",
                    chunk,
                )
            )
        return {iid: KomboMark(counts.get(iid, 0), gone.get(iid)) for iid in ids}

    def upstream_info(self, ids: Iterable[str] | None = None) -> dict[str, UpstreamInfo]:
        """Kombo's side of these integrations (all with ``None``), as
        ``syncwatch.db.kombo.upstream_info`` (an unknown id reads as "nothing known")."""
        times = self._builder.times
        info: dict[str, UpstreamInfo] = _Unknown()
        sql = "SELECT id, upstream_status, upstream_checked_at, upstream_gone_at FROM integration"
        queries: list[tuple[str, Sequence[str]]] = []
        if ids is None:
            queries.append((sql, ()))
        else:
            for chunk in _chunks(list(ids)):
                queries.append((f"{sql} WHERE id IN ({', '.join('?' * len(chunk))})", chunk))
        for query, params in queries:
            for iid, status, checked, gone in self._conn.execute(query, params):
                info[iid] = UpstreamInfo(status, times[checked], times[gone])
        return info

    def syncs(self, integration_id: str, limit: int | None = None) -> list[SyncRow]:
        """An integration's syncs, newest first (as ``Store.syncs``)."""
        sql, params = _limited(_SYNCS, (integration_id,), limit)
        return [
            SyncRow(
                id_,
                iid,
                type_,
                SyncState(state),
                _parse_time(started),
                _time(ended),
                warnings,
                errors,
                headline,
                log_url,
            )
            for (
                id_,
                iid,
                type_,
                state,
                started,
                ended,
                warnings,
                errors,
                headline,
                log_url,
            ) in self._conn.execute(sql, params)
        ]

    def recent_results(
        self, ids: Sequence[str] | None = None, limit: int = RECENT_SYNCS
    ) -> dict[str, RecentResults]:
        """Each integration's strip of last syncs, as ``syncwatch.db.trends.recent_results``:
        of ``ids`` (every id gets one, maybe empty), or with ``None`` of every integration
        that has a sync."""
        found: dict[str, list[RecentSync]] = {}
        sync_states = SYNC_STATES
        queries: list[tuple[str, Sequence[Any]]] = []
        if ids is None:
            queries.append((_RECENT.format(where=""), (limit,)))
        else:
            for chunk in _chunks(list(ids)):
                where = f" WHERE integration_id IN ({', '.join('?' * len(chunk))})"
                queries.append((_RECENT.format(where=where), (*chunk, limit)))
        for sql, params in queries:
            for iid, sid, state, started, ended in self._conn.execute(sql, params):
                found.setdefault(iid, []).append(
                    RecentSync(sid, sync_states[state], _parse_time(started), _time(ended))
                )
        out = {iid: recent_results(rows, limit) for iid, rows in found.items()}
        if ids is not None:
            for iid in ids:
                out.setdefault(iid, NO_RECENT)
        return out

    def result_strips(
        self, ids: Sequence[str], limit: int = RECENT_SYNCS
    ) -> dict[str, ResultStrip]:
        """What the list draws of each of ``ids``' last syncs (every id gets one, maybe
        empty): their results alone, as shared :class:`~syncwatch.trends.ResultStrip`
        objects (what :meth:`recent_results` gives, without the ids and times)."""
        rows: list[tuple[Any, ...]] = []
        for chunk in _chunks(list(ids)):
            where = f" WHERE integration_id IN ({', '.join('?' * len(chunk))})"
            sql = STRIP_TEXTS.format(joined=SQLITE_JOINED, ordered=SQLITE_ORDERED, where=where)
            rows += self._conn.execute(sql, (*chunk, limit))
        return strips_of_text(ids, rows)

    def history(self, integration_id: str) -> list[HistoryRow]:
        """An integration's state history, oldest first (as ``Store.history``)."""
        return [
            HistoryRow(
                STATES[before],
                IntegrationState(after),
                _parse_time(at),
                reason,
                bool(correction),
                _time(recorded),
            )
            for before, after, at, reason, correction, recorded in self._conn.execute(
                _HISTORY, (integration_id,)
            )
        ]

    def audit(self, integration_id: str) -> list[AuditRow]:
        """An integration's audit log, oldest first (as ``Store.audit``)."""
        return [
            AuditRow(iid, actor, action, _parse_time(at), before, after, role)
            for iid, actor, action, at, before, after, role in self._conn.execute(
                _AUDIT, (integration_id,)
            )
        ]

    def attention_marks(self) -> dict[str, AttentionMark]:
        """Every acknowledgement and snooze (as ``syncwatch.db.attention.attention_marks``)."""
        found = {}
        for iid, by, at, note, state, until, snoozed_by, snoozed_at in self._conn.execute(
            _ATTENTION_ALL
        ):
            found[iid] = mark_of(
                by, _time(at), note, state, _time(until), snoozed_by, _time(snoozed_at)
            )
        return {iid: mark for iid, mark in found.items() if not mark.empty}

    def attention(self, integration_id: str) -> AttentionMark:
        """An integration's acknowledgement and snooze (as ``syncwatch.db.attention``)."""
        for by, at, note, state, until, snoozed_by, snoozed_at in self._conn.execute(
            _ATTENTION, (integration_id,)
        ):
            return mark_of(by, _time(at), note, state, _time(until), snoozed_by, _time(snoozed_at))
        return NO_ATTENTION

    def issues(self, integration_id: str) -> list[IssueRow]:
        """An integration's Kombo issues, open ones first, newest first in each (as
        ``syncwatch.db.kombo.integration_issues``)."""
        return [
            IssueRow(
                id_,
                iid,
                type_,
                title,
                status,
                message,
                _parse_time(first),
                _time(resolved),
                _parse_time(updated),
            )
            for (
                id_,
                iid,
                type_,
                title,
                status,
                message,
                first,
                resolved,
                updated,
            ) in self._conn.execute(_ISSUES, (integration_id,))
        ]

    def logs(
        self,
        integration_id: str,
        *,
        sync_id: str | None = None,
        levels: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[LogRow]:
        """Log entries, newest first (as ``Store.logs``)."""
        params: list[Any]
        if sync_id is not None:
            sql, params = f"{_LOGS} WHERE sync_id = ?", [sync_id]
        else:
            sql, params = f"{_LOGS} WHERE integration_id = ?", [integration_id]
        if levels:
            sql += f" AND level IN ({', '.join('?' * len(levels))})"
            params += list(levels)
        sql, all_params = _limited(sql + " ORDER BY at DESC, id DESC", tuple(params), limit)
        return [
            LogRow(id_, sid, iid, _parse_time(at), level, message, field)
            for id_, sid, iid, at, level, message, field in self._conn.execute(sql, all_params)
        ]

    def first_history_at(self) -> datetime | None:
        """When the state history starts (``None``: it is empty), as
        ``syncwatch.db.asof.first_history_at``."""
        return _time(self._conn.execute(FIRST_HISTORY).fetchone()[0])

    def fleet_as_of(self, at: datetime) -> FleetAsOf:
        """The fleet as it was at ``at``, from the history (as
        ``syncwatch.db.asof.fleet_as_of``; see :mod:`syncwatch.asof`). Three reads and the
        rows: inside :meth:`snapshot` they see one committed state."""
        conn = self._conn
        t = sqlite_time(at)
        states = {
            iid: StateAt(IntegrationState(state), _parse_time(since), reason)
            for iid, state, since, reason in conn.execute(AS_OF_STATES, (t,))
        }
        last = {
            iid: LastSyncAt(sid, SyncState(state), _parse_time(ended), warnings or 0, errors or 0)
            for iid, sid, state, ended, warnings, errors in conn.execute(AS_OF_LAST_SYNCS, (t,))
        }
        recent: dict[str, list[RecentSync]] = {}
        for iid, sid, state, started, ended in conn.execute(AS_OF_RECENT, (t, RECENT_SYNCS)):
            recent.setdefault(iid, []).append(
                RecentSync(sid, SYNC_STATES[state], _parse_time(started), _time(ended))
            )
        return fleet_as_of(at, self.integrations(), states, last, recent)

    def sync_belongs(self, integration_id: str, sync_id: str) -> bool:
        """Whether ``sync_id`` is one of this integration's syncs (as ``Store.sync_belongs``)."""
        found = self._conn.execute(
            "SELECT 1 FROM sync WHERE id = ? AND integration_id = ?", (sync_id, integration_id)
        ).fetchone()
        return found is not None


def _limited(sql: str, params: tuple[Any, ...], limit: int | None) -> tuple[str, tuple[Any, ...]]:
    return (sql, params) if limit is None else (f"{sql} LIMIT ?", (*params, limit))


class _Unknown(dict[str, UpstreamInfo]):
    def __missing__(self, key: str) -> UpstreamInfo:
        value = self[key] = UpstreamInfo(None, None, None)
        return value


def strips_of_text(ids: Sequence[str], rows: Iterable[tuple[str, str]]) -> dict[str, ResultStrip]:
    """The strips of ``ids`` from :data:`STRIP_TEXTS`' rows (both read paths): each
    distinct text is parsed once."""
    parsed: dict[str, ResultStrip] = {}
    found: dict[str, ResultStrip] = {}
    sync_states = SYNC_STATES
    for iid, text in rows:
        strip = parsed.get(text)
        if strip is None:
            strip = strip_of(tuple(sync_states[s] for s in text.split(",")))
            parsed[text] = strip
        found[iid] = strip
    empty = strip_of(())
    return {iid: found.get(iid, empty) for iid in ids}


def batches_with_strips(
    fetch: Callable[[int], list[Any]], builder: RowBuilder, sizes: Iterable[int]
) -> Iterator[tuple[list[IntegrationRow], dict[str, ResultStrip]]]:
    """Rows of :data:`ROWS_WITH_STRIPS` (both read paths) in batches of ``sizes`` (the last
    repeats), as rows and their strips. Each batch is fetched a few hundred rows at a
    time: the result tuples of a whole batch, alive at once, left the memory they freed
    scattered between the rows kept (55 MB more at 100,000 integrations)."""
    strips = _NewestFirst()
    size = 1
    wanted = iter(sizes)
    more = True
    while more:
        size = next(wanted, size)
        rows: list[IntegrationRow] = []
        found: dict[str, ResultStrip] = {}
        while len(rows) < size:
            chunk = fetch(min(_FETCH, size - len(rows)))
            if not chunk:
                more = False
                break
            rows += builder.rows(t[:-1] for t in chunk)
            found.update((t[0], strips[t[-1]]) for t in chunk)
        if rows:
            yield rows, found


class _NewestFirst(dict[Any, ResultStrip]):
    """A strip as :data:`ROWS_WITH_STRIPS` joins it (newest result first; ``None``: no
    syncs) to its shared :class:`ResultStrip`, each distinct text parsed once."""

    def __missing__(self, text: str | None) -> ResultStrip:
        states = () if text is None else tuple(SYNC_STATES[s] for s in text.split(","))
        strip = self[text] = strip_of(states[::-1])
        return strip


def _chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _opens_at_head(uri: str, head: str, timeout: float) -> bool:
    """Whether the database at ``uri`` opens and is at ``head`` (see :func:`_at_head`)."""
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    except sqlite3.Error:
        return False
    try:
        return _at_head(conn, head)
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def _at_head(conn: sqlite3.Connection, head: str) -> bool:
    """Whether the database is stamped ``head`` and has the columns this module reads.

    Raises ``sqlite3.Error`` for a file SQLite cannot read (not a database, encrypted).
    """
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    ).fetchone()
    if found is None:
        return False
    stamped = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    if stamped != [(head,)]:
        return False
    # Compiling the statements checks every table and column they name; EXPLAIN compiles
    # without running (a `LIMIT 0` does not stop a window or an aggregate over a subquery
    # from reading every row: at 100,000 integrations the as-of and strip reads took 3.7 s).
    for sql in (
        f"{_SELECT} LIMIT 0",
        f"{_KEYS} LIMIT 0",  # a rowid table (order="list" reads rows by rowid)
        "SELECT upstream_status, upstream_checked_at, upstream_gone_at FROM integration LIMIT 0",
        "SELECT integration_id, status FROM integration_issue LIMIT 0",
        *_DETAIL_READS,
    ):
        conn.execute(f"EXPLAIN {sql}").fetchall()
    return True


def _check_order(order: str) -> None:
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}, not {order!r}")


def worst_states(counts: Iterable[tuple[str | None, int]], batch: int) -> list[str] | None:
    """Of ``counts`` (integrations per stored state), the worst states that together hold at
    least ``batch`` rows, to read the list's first batch from them alone; ``None`` when
    that would be every row anyway, or would include rows not evaluated yet (no state to
    select them by)."""
    by_severity: dict[int, list[tuple[str | None, int]]] = {}
    for state, n in counts:
        by_severity.setdefault(_SEVERITY_TEXT.get(state, 0), []).append((state, n))
    chosen: list[str] = []
    held = 0
    levels = sorted(by_severity)
    for i, level in enumerate(levels):
        for state, n in by_severity[level]:
            if state is None:
                return None
            chosen.append(state)
            held += n
        if held >= batch:
            return chosen if i < len(levels) - 1 else None
    return None


def list_order(
    severity: dict[str | None, int],
) -> Callable[[tuple[Any, ...]], tuple[int, str, str]]:
    """The list's order on ``(…, state, organization, id)`` key tuples (the last three)."""

    def key(k: tuple[Any, ...]) -> tuple[int, str, str]:
        return (severity.get(k[-3], 0), k[-2].casefold(), k[-1])

    return key


def _integrations_query(
    include_deleted: bool, since_revision: int | None, order_by: str | None, select: str = _SELECT
) -> tuple[str, tuple[Any, ...]]:
    """The integrations query; ``order_by=None``: in the table's own order."""
    where: list[str] = []
    params: tuple[Any, ...] = ()
    if not include_deleted:
        where.append("deleted_at IS NULL")
    if since_revision is not None:
        where.append("revision > ?")
        params = (since_revision,)
    sql = select
    if where:
        sql += " WHERE " + " AND ".join(where)
    return (sql if order_by is None else f"{sql} ORDER BY {order_by}"), params


_ID: Final = attrgetter("id")
#: The list's default order (``syncwatch.tui.widgets.integration_list``), as a sort key.
#: The same by stored text.
_SEVERITY_TEXT: Final[dict[str | None, int]] = {s.value: -s.severity for s in IntegrationState}
_SEVERITY: Final[dict[IntegrationState | None, int]] = {
    None: 0,
    **{s: -s.severity for s in IntegrationState},
}


def _worst_first(row: IntegrationRow) -> tuple[int, str, str]:
    return (_SEVERITY[row.state], row.organization.casefold(), row.id)
