"""Import: the JSON schema, validation with JSON paths, and an atomic, idempotent upsert.

A file with any invalid record imports nothing; several files are imported all or nothing
together. Log text is redacted before it is stored.
"""

from __future__ import annotations

import gc
import hashlib
import json
import marshal
import multiprocessing as mp
import sys
import threading
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any, NotRequired, cast

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    with_config,
)
from typing_extensions import TypedDict

from syncwatch.clock import EARLIEST, LATEST, check_range
from syncwatch.db.bulk import (
    LOG_COLUMNS,
    ImportLoad,
    LoadConflict,
    Row,
    import_load,
    utc_time,
)
from syncwatch.redact import redact
from syncwatch.rows import PassResult
from syncwatch.states import (
    Category,
    Environment,
    LogLevel,
    QaStatus,
    SyncState,
    SyncType,
)
from syncwatch.store import Store

# --------------------------------------------------------------------------- the schema


#: A time with a zone, in syncwatch's range, converted to UTC.
Instant = Annotated[AwareDatetime, AfterValidator(check_range)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LogIn(_Record):
    """One log entry of a sync."""

    id: str | None = Field(default=None, min_length=1)
    at: Instant
    level: LogLevel
    message: str
    field: str | None = None


class SyncIn(_Record):
    """One sync with its log entries."""

    id: str = Field(min_length=1)
    type: SyncType = SyncType.DELTA
    state: SyncState
    started_at: Instant
    ended_at: Instant | None = Field(default=None, validate_default=True)
    logs: list[LogIn] = Field(default_factory=list)

    @field_validator("ended_at")
    @classmethod
    def _ended_after_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        state = info.data.get("state")
        started = info.data.get("started_at")
        if value is None:
            if state is not None and state is not SyncState.RUNNING:
                raise ValueError(f"ended_at is required for a {state.value} sync")
            return None
        if started is not None and value < started:
            raise ValueError(
                f"ended_at {value.isoformat()} is before started_at {started.isoformat()}"
            )
        return value


class IntegrationIn(_Record):
    """One integration record."""

    id: str = Field(min_length=1)
    tool: str = Field(min_length=1)
    category: Category
    organization: str = Field(min_length=1)
    environment: Environment = Environment.PRODUCTION
    created_at: Instant
    filters_configured: bool = False
    enabled: bool = True
    last_api_request_at: Instant | None = None
    credentials_updated_at: Instant | None = None
    qa_status: QaStatus | None = None
    deleted_at: Instant | None = None
    syncs: list[SyncIn] = Field(default_factory=list)


# The same schema for files, as TypedDicts: pydantic-core validates them straight from the
# JSON bytes into plain dicts, with no Python call per value. (The models above build an
# object and run a Python validator per record and per time: a third of an import's time.)
# A key present in a dict is a field the file gave. Times are range-checked and converted to
# UTC, and a sync's ended_at checked, by _check_records, which names the same JSON paths.
_FILE_CONFIG = ConfigDict(extra="forbid", str_strip_whitespace=True)


@with_config(_FILE_CONFIG)
class LogDoc(TypedDict):
    """One log entry as read from a file."""

    id: NotRequired[Annotated[str | None, Field(min_length=1)]]
    at: AwareDatetime
    level: LogLevel
    message: str
    field: NotRequired[str | None]


@with_config(_FILE_CONFIG)
class SyncDoc(TypedDict):
    """One sync as read from a file."""

    id: Annotated[str, Field(min_length=1)]
    type: NotRequired[SyncType]
    state: SyncState
    started_at: AwareDatetime
    ended_at: NotRequired[AwareDatetime | None]
    logs: NotRequired[list[LogDoc]]


@with_config(_FILE_CONFIG)
class IntegrationDoc(TypedDict):
    """One integration record as read from a file."""

    id: Annotated[str, Field(min_length=1)]
    tool: Annotated[str, Field(min_length=1)]
    category: Category
    organization: Annotated[str, Field(min_length=1)]
    environment: NotRequired[Environment]
    created_at: AwareDatetime
    filters_configured: NotRequired[bool]
    enabled: NotRequired[bool]
    last_api_request_at: NotRequired[AwareDatetime | None]
    credentials_updated_at: NotRequired[AwareDatetime | None]
    qa_status: NotRequired[QaStatus | None]
    deleted_at: NotRequired[AwareDatetime | None]
    syncs: NotRequired[list[SyncDoc]]


@with_config(ConfigDict(extra="forbid"))
class ImportDoc(TypedDict):
    """The top level of an import file."""

    integrations: list[IntegrationDoc]


@cache
def _file_validator() -> TypeAdapter[ImportDoc]:
    return TypeAdapter(ImportDoc)


#: Integration fields an import may set; a field left out keeps its stored value.
_FACT_FIELDS = (
    "tool",
    "category",
    "organization",
    "environment",
    "created_at",
    "filters_configured",
    "enabled",
    "last_api_request_at",
    "credentials_updated_at",
    "qa_status",
    "deleted_at",
)
_DEFAULTS: dict[str, Any] = {
    "environment": Environment.PRODUCTION.value,
    "filters_configured": False,
    "enabled": True,
    "last_api_request_at": None,
    "credentials_updated_at": None,
    "qa_status": None,
    "deleted_at": None,
}


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an import file."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: {self.message}"


class ImportRejected(Exception):
    """The import was refused; nothing was imported."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def json_path(loc: Iterable[int | str]) -> str:
    """``('integrations', 3, 'syncs', 0, 'state')`` -> ``integrations[3].syncs[0].state``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _problems_from(err: ValidationError, file: str, limit: int = 20) -> list[Problem]:
    problems = []
    for item in err.errors(include_url=False)[:limit]:
        message = item["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        if item["type"] == "extra_forbidden":
            message = "unknown field (check its spelling)"
        elif item["type"] == "missing":
            message = "required field is missing"
        elif item["type"] == "timezone_aware":
            message = f"time {item.get('input')!r} must carry a time zone (Z or +01:00)"
        problems.append(Problem(file, json_path(item["loc"]), message))
    extra = err.error_count() - limit
    if extra > 0:
        problems.append(Problem(file, "", f"... and {extra} more problems"))
    return problems


# --------------------------------------------------------------------------- parsing

#: A validated integration record: an :class:`IntegrationDoc` (times in UTC) as a dict.
Record = dict[str, Any]

_TIME_FIELDS = ("created_at", "last_api_request_at", "credentials_updated_at", "deleted_at")


@dataclass(slots=True)
class ParsedFile:
    """A validated import file: records read from a file (dicts, see :class:`IntegrationDoc`)
    or built in code (:class:`IntegrationIn`; the demo engine does)."""

    name: str
    integrations: Sequence[Record | IntegrationIn]


class _Problems:
    """Problems found walking the validated records, capped like pydantic's."""

    def __init__(self, file: str, limit: int = 20) -> None:
        self.file = file
        self.limit = limit
        self.found: list[Problem] = []
        self.count = 0

    def add(self, path: str, message: str) -> None:
        self.count += 1
        if self.count <= self.limit:
            self.found.append(Problem(self.file, path, message))

    def raise_if_any(self) -> None:
        if self.count:
            extra = self.count - self.limit
            if extra > 0:
                self.found.append(Problem(self.file, "", f"... and {extra} more problems"))
            raise ImportRejected(self.found)


def _utc_time(value: datetime, path: str, problems: _Problems) -> datetime:
    """``value`` in UTC, or a problem at ``path`` if it lies outside 1970-2199."""
    try:
        if EARLIEST <= value < LATEST:
            return value if not value.utcoffset() else value.astimezone(UTC)
    except OverflowError:  # pragma: no cover - check_range says it plainly below
        pass
    try:
        return check_range(value)
    except ValueError as err:
        problems.add(path, str(err))
        return value


def _check_records(records: list[Record], name: str) -> None:
    """Check what the schema cannot: time ranges, a sync's end, unique ids. Converts every
    time to UTC in place; raises :class:`ImportRejected` naming each problem's JSON path."""
    problems = _Problems(name)
    # This runs for every time of every entry, so the common case is made cheap: pydantic
    # shares one tzinfo object per offset, and a time in UTC in 1971-2198 needs no closer
    # look. Only other times reach settle() (and only they format their JSON path).
    utc_tz: object = None

    def settle(t: datetime, path: str) -> datetime:
        nonlocal utc_tz
        if not t.utcoffset() and 1970 < t.year < 2199:
            utc_tz = t.tzinfo
            return t
        return _utc_time(t, path, problems)

    seen: dict[str, int] = {}
    sync_seen: dict[str, tuple[int, int]] = {}
    for i, rec in enumerate(records):
        for key in _TIME_FIELDS:
            value = rec.get(key)
            if value is not None:
                rec[key] = settle(value, f"integrations[{i}].{key}")
        rid = rec["id"]
        if rid in seen:
            problems.add(
                f"integrations[{i}].id",
                f"duplicate integration id {rid!r} (also integrations[{seen[rid]}])",
            )
        else:
            seen[rid] = i
        for j, sync in enumerate(rec.get("syncs", ())):
            started = sync["started_at"]
            if started.tzinfo is not utc_tz or not 1970 < started.year < 2199:
                started = sync["started_at"] = settle(
                    started, f"integrations[{i}].syncs[{j}].started_at"
                )
            ended = sync.get("ended_at")
            if ended is None:
                state = sync["state"]
                if state is not SyncState.RUNNING:
                    problems.add(
                        f"integrations[{i}].syncs[{j}].ended_at",
                        f"ended_at is required for a {state} sync",
                    )
            else:
                if ended.tzinfo is not utc_tz or not 1970 < ended.year < 2199:
                    ended = sync["ended_at"] = settle(
                        ended, f"integrations[{i}].syncs[{j}].ended_at"
                    )
                if ended < started:
                    problems.add(
                        f"integrations[{i}].syncs[{j}].ended_at",
                        f"ended_at {ended.isoformat()} is before started_at {started.isoformat()}",
                    )
            sid = sync["id"]
            if sid in sync_seen:
                problems.add(
                    f"integrations[{i}].syncs[{j}].id",
                    "duplicate sync id {!r} (also integrations[{}].syncs[{}])".format(
                        sid, *sync_seen[sid]
                    ),
                )
            else:
                sync_seen[sid] = (i, j)
            for k, log in enumerate(sync.get("logs", ())):
                at = log["at"]
                if at.tzinfo is not utc_tz or not 1970 < at.year < 2199:
                    log["at"] = settle(at, f"integrations[{i}].syncs[{j}].logs[{k}].at")
    problems.raise_if_any()


def parse_bytes(data: bytes | str, name: str) -> ParsedFile:
    """Validate one file's content; raise :class:`ImportRejected` naming what is wrong."""
    try:
        doc = _file_validator().validate_json(data)
    except ValidationError as err:
        raise ImportRejected(_problems_from(err, name)) from None
    records = cast(list[Record], doc["integrations"])
    _check_records(records, name)
    return ParsedFile(name, records)


def read_file(path: str) -> ParsedFile:
    """Read and validate one file (``-`` is standard input)."""
    name = "<stdin>" if path == "-" else path
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except FileNotFoundError:
        raise ImportRejected([Problem(name, "", "no such file")]) from None
    except IsADirectoryError:
        raise ImportRejected([Problem(name, "", "is a directory, not a JSON file")]) from None
    except OSError as err:
        raise ImportRejected([Problem(name, "", f"cannot read: {err.strerror}")]) from None
    return parse_bytes(data, name)


def _as_record(rec: Record | IntegrationIn) -> Record:
    """A record built in code as the dict a file would give (only the fields it set)."""
    if isinstance(rec, BaseModel):
        return rec.model_dump(exclude_unset=True)
    return rec


def _records_of(pf: ParsedFile, shift: timedelta | None) -> list[Record]:
    """A file's records as the import stores them (the worker builds them the same way)."""
    records = [_as_record(r) for r in pf.integrations]
    if shift:
        shift_times(records, shift)
    return records


def shift_times(records: Iterable[Record], delta: timedelta) -> None:
    """Move every time in the records by ``delta`` (to make the bundled sample look live)."""
    for rec in records:
        for name in _TIME_FIELDS:
            value = rec.get(name)
            if value is not None:
                rec[name] = value + delta
        for sync in rec.get("syncs", ()):
            sync["started_at"] += delta
            if sync.get("ended_at") is not None:
                sync["ended_at"] += delta
            for log in sync.get("logs", ()):
                log["at"] += delta


def newest_sync_end(records: Iterable[Record | IntegrationIn]) -> datetime | None:
    """The latest ``ended_at`` of any sync in the records."""
    ends = [
        s["ended_at"]
        for r in map(_as_record, records)
        for s in r.get("syncs", ())
        if s.get("ended_at") is not None
    ]
    return max(ends) if ends else None


# --------------------------------------------------------------------------- the upsert


@dataclass(slots=True)
class ImportReport:
    """What an import did."""

    files: list[str] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_deleted: list[str] = field(default_factory=list)
    syncs_added: int = 0
    syncs_updated: int = 0
    logs_added: int = 0
    evaluation: PassResult = field(default_factory=PassResult)


def _value(value: Any) -> Any:
    """A parsed value as it is stored: UTC times, enum values."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if hasattr(value, "value"):
        return value.value
    return value


_UNSEEN = object()


def _source_json(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


def _dump(values: dict[str, Any]) -> str:
    return json.dumps(values, sort_keys=True, separators=(",", ":"))


def log_id(
    sync_id: str, at: datetime, level: str, field: str | None, message: str, occurrence: int
) -> str:
    """The id of a log entry that has none in the file, derived from its content.

    The same line imported twice gets the same id, so it is never duplicated; the
    occurrence number (counting every entry of the sync with the same time, level, field
    and redacted message) keeps identical lines within one sync apart. Stored ids depend on
    this exact recipe: changing it would duplicate every id-less entry on re-import.
    """
    key = "\x1f".join(
        (
            sync_id,
            at.astimezone(UTC).isoformat(),
            str(level),
            field or "",
            message,
            str(occurrence),
        )
    )
    return hashlib.blake2b(key.encode(), digest_size=12).hexdigest()


def import_files(
    store: Store,
    paths: Sequence[str],
    now: datetime,
    *,
    shift: timedelta | None = None,
) -> ImportReport:
    """Validate every file, then import them all in one transaction, or nothing."""
    with _gc_paused(), preparation_worker(store, paths, shift) as worker:
        parsed: list[ParsedFile] = []
        problems: list[Problem] = []
        for path in paths:
            try:
                parsed.append(read_file(path))
            except ImportRejected as err:
                problems.extend(err.problems)
        if problems:
            raise ImportRejected(problems)
        return import_parsed(store, parsed, now, shift=shift, worker=worker)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: an import allocates millions of objects that live
    until it ends, and collecting them over and over cost a third of the parse time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_parsed(
    store: Store,
    parsed: Sequence[ParsedFile],
    now: datetime,
    *,
    shift: timedelta | None = None,
    worker: PreparationWorker | None = None,
) -> ImportReport:
    """Upsert validated files atomically and evaluate what changed at ``now``.

    ``worker``: one started by :func:`preparation_worker` on the same files and shift,
    to share the preparation of log rows with.
    """
    records: list[tuple[str, int, Record]] = []
    seen: dict[str, str] = {}
    problems: list[Problem] = []
    sync_seen: dict[str, str] = {}
    for pf in parsed:
        for i, rec in enumerate(_records_of(pf, shift)):
            rid = rec["id"]
            if rid in seen and seen[rid] != pf.name:
                problems.append(
                    Problem(pf.name, f"integrations[{i}].id", f"{rid!r} is also in {seen[rid]}")
                )
            seen[rid] = pf.name
            records.append((pf.name, i, rec))
            for j, sync in enumerate(rec.get("syncs", ())):
                here = f"integrations[{i}].syncs[{j}]"
                other = sync_seen.setdefault(sync["id"], f"{pf.name}: {here}")
                if not other.startswith(f"{pf.name}: "):
                    problems.append(
                        Problem(pf.name, f"{here}.id", f"sync id {sync['id']!r} is also in {other}")
                    )
    if problems:
        raise ImportRejected(problems)
    report = ImportReport(files=[p.name for p in parsed])
    try:
        with import_load(store) as load:
            _upsert(load, records, report, now, worker)
    except LoadConflict as err:  # pragma: no cover - reported as a whole
        files = ", ".join(report.files)
        raise ImportRejected([Problem(files, "", f"conflict: {err}")]) from None
    return report


#: Enum members as the plain strings that are stored (and bound fastest).
_PLAIN: dict[str, str] = {m: m.value for e in (LogLevel, SyncState, SyncType) for m in e}


#: One sync ready to store: its row (in the order of SYNC_COLUMNS, with the counts and
#: headline of its log entries) and its log entries' rows (in the order of LOG_COLUMNS);
#: times in the form the BulkWriter binds.
PreparedSync = tuple[Row, list[Row]]

#: Log rows gathered before they are written (a flush also lets a worker run ahead).
_FLUSH_ROWS = 20_000


def _headline_key(row: Row, at: int = LOG_COLUMNS.index("at")) -> tuple[Any, str]:
    return (row[at], row[0])


def _counts(rows: list[Row]) -> tuple[int, int, str | None]:
    """Warnings, errors and the headline (the earliest error, else warning) of log rows."""
    level, message = LOG_COLUMNS.index("level"), LOG_COLUMNS.index("message")
    errors = [r for r in rows if r[level] == "ERROR"]
    warnings = [r for r in rows if r[level] == "WARNING"]
    picked = errors or warnings
    headline = min(picked, key=_headline_key)[message] if picked else None
    return len(warnings), len(errors), headline


def _unseen(rows: list[Row], seen: set[str]) -> list[Row]:
    """The rows whose id is not in ``seen`` (first occurrence only); adds their ids."""
    out = []
    for row in rows:
        if row[0] not in seen:
            seen.add(row[0])
            out.append(row)
    return out


def _utc_text(t: datetime) -> str:
    """:func:`syncwatch.db.bulk.sqlite_time` of a time already in UTC, at two thirds of the cost."""
    day, clock = t.date().isoformat(), t.time().isoformat()
    return f"{day} {clock}" if t.microsecond else f"{day} {clock}.000000"


def prepare_record(
    rec: Record, fast: bool, redacted: dict[str, str] | None = None
) -> list[PreparedSync]:
    """Redact, identify and format the log entries of one record's syncs (no database).

    ``fast``: times as the text SQLite stores (see :func:`syncwatch.db.bulk.sqlite_time`),
    else aware UTC datetimes. Every time in ``rec`` is already UTC. ``redacted`` remembers
    messages already redacted, across calls: sync logs repeat the same lines (in the
    importer benchmark's file, 300,000 entries hold 114,000 distinct messages), and a
    lookup is cheaper than a scan.
    """
    rid = rec["id"]
    levels = _PLAIN
    blake2b = hashlib.blake2b
    stored_time = _utc_text if fast else utc_time
    memo: dict[str, str] = {} if redacted is None else redacted
    out: list[PreparedSync] = []
    for sync in rec.get("syncs", ()):
        sid = sync["id"]
        rows: list[Row] = []
        warnings = errors = 0
        # The headline candidates, as (at, id, message).
        first_error: tuple[datetime, str, str] | None = None
        first_warning: tuple[datetime, str, str] | None = None
        occurrences: dict[tuple[Any, ...], int] = {}
        for log in sync.get("logs", ()):
            at = log["at"]
            level = levels[log["level"]]
            text = log["message"]
            message = memo.get(text)
            if message is None:
                message = memo[text] = redact(text)
            fld = log.get("field")
            content = (at, level, fld, message)
            n = occurrences[content] = occurrences.get(content, 0) + 1
            # at.isoformat() is "<day>T<time>+00:00" (UTC), but costs 1.5x as much:
            # pydantic's tzinfo is asked for the offset on every call.
            day, clock = at.date().isoformat(), at.time().isoformat()
            lid = log.get("id")
            if not lid:
                # log_id(), inlined: this runs once per entry.
                key = "\x1f".join((sid, f"{day}T{clock}+00:00", level, fld or "", message, str(n)))
                lid = blake2b(key.encode(), digest_size=12).hexdigest()
            if fast:  # sqlite_time(), inlined
                stored: Any = f"{day} {clock}" if at.microsecond else f"{day} {clock}.000000"
            else:
                stored = at
            row = (lid, sid, rid, stored, level, message, fld)
            rows.append(row)
            if level == "INFO":
                continue
            if level == "ERROR":
                errors += 1
                if first_error is None or (at, lid) < first_error[:2]:
                    first_error = (at, lid, message)
            else:
                warnings += 1
                if first_warning is None or (at, lid) < first_warning[:2]:
                    first_warning = (at, lid, message)
        first = first_error or first_warning
        ended = sync.get("ended_at")
        sync_row = (
            sid,
            rid,
            _PLAIN[sync.get("type", SyncType.DELTA)],
            _PLAIN[sync["state"]],
            stored_time(sync["started_at"]),
            None if ended is None else stored_time(ended),
            warnings,
            errors,
            first[2] if first else None,
        )
        out.append((sync_row, rows))
    return out


def prepared_logs(
    records: Sequence[Record], fast: bool, worker: PreparationWorker | None = None
) -> Generator[list[PreparedSync]]:
    """:func:`prepare_record` for each record, in order, shared with ``worker`` if given
    (on the SQLite fast path: the worker's rows hold text times)."""
    if worker is not None and fast:
        yield from worker.prepared(records)
        return
    redacted: dict[str, str] = {}
    for rec in records:
        yield prepare_record(rec, fast, redacted)


def _can_fork() -> bool:
    # Forking a process that runs other threads can copy a lock some thread held: only a
    # single-threaded process (the command line) forks.
    return "fork" in mp.get_all_start_methods() and threading.active_count() == 1


#: Imports of at least this many bytes of files share the preparation of log rows with
#: a worker process (about 30,000 log entries).
PARALLEL_MIN_BYTES = 5_000_000
#: How many log entries' worth of records the worker claims at a time (one lock each).
_CLAIM_LOGS = 500
#: bounds[1] until the importing process knows how many records there are.
_NO_END_YET = 2**62


@contextmanager
def preparation_worker(
    store: Store, paths: Sequence[str], shift: timedelta | None
) -> Iterator[PreparationWorker | None]:
    """A :class:`PreparationWorker` for a large import of ``paths`` into a SQLite store
    (None otherwise), stopped when the block ends."""
    worker = None
    if store.is_sqlite and _can_fork():
        try:
            size = sum(Path(p).stat().st_size for p in paths)
        except OSError:
            size = 0  # read_file reports it
        if size >= PARALLEL_MIN_BYTES:
            worker = PreparationWorker(paths, shift)
    try:
        yield worker
    finally:
        if worker is not None:
            worker.close()


class PreparationWorker:
    """A forked process that prepares the log rows of an import on the other core.

    It is forked before the files are parsed and parses them itself, at the same time as
    the importing process does: the two never share the records' memory (a fork after the
    parse had both processes copy most of it, page by page, as they touched it), and the
    worker has rows ready when the writing starts. Both sides parse the same bytes with
    the same code, so record ``i`` is the same record on both.

    The work is then shared from both ends (:meth:`prepared`): the worker takes records
    from the front, the importing process, which writes to the database meanwhile, takes
    them from the back whenever it would otherwise wait. Which side is faster depends on
    the machine and the file; taking work from both ends balances it without a guess.
    The ends are indexes in shared memory under a lock: ``bounds[0]`` is the next record
    the worker takes, ``bounds[1]`` one past the last it may take. Whatever the worker
    does not deliver (it failed, or the files did not parse), the importing process
    prepares itself.
    """

    def __init__(self, paths: Sequence[str], shift: timedelta | None) -> None:
        ctx = mp.get_context("fork")
        self._bounds = ctx.RawArray("q", [0, _NO_END_YET])
        self._lock = ctx.Lock()
        self._receiver, sender = ctx.Pipe(duplex=False)
        self._process = ctx.Process(
            target=_worker,
            args=(list(paths), shift, self._bounds, self._lock, sender),
            daemon=True,
        )
        self._process.start()
        sender.close()

    def close(self) -> None:
        self._receiver.close()
        if self._process.is_alive():
            self._process.kill()
        self._process.join()

    def prepared(self, records: Sequence[Record]) -> Generator[list[PreparedSync]]:
        """Prepared records in order; records taken from the back wait for their turn.

        The worker sends what it prepared in order, in batches of about _FLUSH_ROWS
        entries, then an empty message.
        """
        bounds, lock, receiver = self._bounds, self._lock, self._receiver
        with lock:
            bounds[1] = len(records)
        redacted: dict[str, str] = {}
        from_worker: deque[list[PreparedSync]] = deque()
        from_back: dict[int, list[PreparedSync]] = {}
        worker_done = False
        for k in range(len(records)):
            while True:
                if from_worker:
                    yield from_worker.popleft()
                    break
                if k in from_back:
                    yield from_back.pop(k)
                    break
                if worker_done:
                    # The worker stopped before record k: it failed; prepare the rest here.
                    yield prepare_record(records[k], True, redacted)
                    break
                if not receiver.poll():
                    # Nothing has arrived: take the last record nobody has taken, if any.
                    # (Records at or past bounds[1] are this side's: k is below it.)
                    with lock:
                        free = bounds[1] > bounds[0]
                        if free:
                            bounds[1] -= 1
                        taken = bounds[1]
                    if free:
                        from_back[taken] = prepare_record(records[taken], True, redacted)
                        continue
                try:
                    data = receiver.recv_bytes()  # waits only when nothing is left to take
                except (EOFError, OSError):
                    data = b""  # the worker died
                if data:
                    from_worker.extend(marshal.loads(data))
                else:
                    worker_done = True


def _worker(paths: list[str], shift: timedelta | None, bounds: Any, lock: Any, sender: Any) -> None:
    """In the forked worker: parse the files as :func:`import_parsed` sees them, then
    prepare records from the front until it meets the records the parent took from the
    back, sending batches of about _FLUSH_ROWS entries, then an empty message.

    Batches travel as ``marshal`` data (rows hold only str, int and None on the fast path):
    it loads several times faster than pickle, and loading is on the writing process's path.
    """
    try:
        records = [rec for path in paths for rec in _records_of(read_file(path), shift)]
        sizes = [sum(len(s.get("logs", ())) for s in r.get("syncs", ())) for r in records]
        redacted: dict[str, str] = {}
        batch: list[list[PreparedSync]] = []
        rows = 0
        size = _FLUSH_ROWS // 10  # a small first batch: the parent may be waiting for it
        while True:
            with lock:
                start = end = bounds[0]
                last = min(bounds[1], len(records))
                claimed = 0
                while end < last and (end == start or claimed < _CLAIM_LOGS):
                    claimed += sizes[end]
                    end += 1
                bounds[0] = end
            if start == end:
                break
            for i in range(start, end):
                batch.append(prepare_record(records[i], True, redacted))
            rows += claimed
            if rows >= size:
                sender.send_bytes(marshal.dumps(batch))
                batch, rows, size = [], 0, _FLUSH_ROWS
        if batch:
            sender.send_bytes(marshal.dumps(batch))
        sender.send_bytes(b"")
    except Exception:  # the parent sees the pipe close and prepares the rest itself
        pass
    finally:
        sender.close()


def _upsert(
    load: ImportLoad,
    records: list[tuple[str, int, Record]],
    report: ImportReport,
    now: datetime,
    worker: PreparationWorker | None = None,
) -> None:
    existing = load.integrations([rec["id"] for _, _, rec in records])
    # Syncs already stored under the file's sync ids (whoever owns them), and their log ids:
    # work in proportion to the file, not to the stored history.
    sync_ids = [s["id"] for _, _, rec in records for s in rec.get("syncs", ())]
    old_syncs = load.syncs(sync_ids)
    old_logs = load.log_ids(list(old_syncs))

    # A sync id that belongs to another integration is a conflict, named by its path.
    problems = [
        Problem(
            name,
            f"integrations[{i}].syncs[{j}].id",
            f"sync id {s['id']!r} already belongs to integration "
            f"{old_syncs[s['id']]['integration_id']!r}",
        )
        for name, i, rec in records
        for j, s in enumerate(rec.get("syncs", ()))
        if s["id"] in old_syncs and old_syncs[s["id"]]["integration_id"] != rec["id"]
    ]
    if problems:
        raise ImportRejected(problems)

    revision = load.next_revision()
    new_integrations: list[dict[str, Any]] = []
    fact_updates: list[tuple[str, dict[str, Any]]] = []
    new_syncs: list[Row] = []
    sync_updates: list[tuple[str, dict[str, Any]]] = []
    new_logs: list[Row] = []
    recount: set[str] = set()
    touched: set[str] = set()

    def flush() -> None:
        load.insert(new_integrations, new_syncs, new_logs)
        report.logs_added += len(new_logs)
        new_integrations.clear()
        new_syncs.clear()
        new_logs.clear()

    log_count = sum(len(s.get("logs", ())) for _, _, rec in records for s in rec.get("syncs", ()))
    with (
        load.indexes_deferred(len(sync_ids), log_count),
        closing(prepared_logs([rec for _, _, rec in records], load.fast, worker)) as prepared,
    ):
        for (_name, _i, rec), record_logs in zip(records, prepared, strict=True):
            rid = rec["id"]
            old = existing.get(rid)
            if old is not None and old["deleted_at"] is not None:
                report.skipped_deleted.append(rid)
                continue
            given = {name: _value(rec[name]) for name in _FACT_FIELDS if name in rec}
            source = _source_json(given)
            if old is None:
                fresh: dict[str, Any] = {"id": rid, **_DEFAULTS, **given}
                fresh.update(dirty=True, revision=revision, imported_facts=_dump(source))
                new_integrations.append(fresh)
                report.added += 1
                touched.add(rid)
            else:
                before = json.loads(old["imported_facts"] or "{}")
                # A field changes only where the source changed it since the last import (or was
                # never imported and differs): what the evaluator or an operator decided stays.
                changes = {
                    name: value
                    for name, value in given.items()
                    if value != old[name] and before.get(name, _UNSEEN) != source[name]
                }
                merged = before | source
                if changes:
                    fact_updates.append((rid, changes | {"imported_facts": _dump(merged)}))
                    touched.add(rid)
                elif merged != before:
                    # Nothing visible changes; remember what the source says for next time.
                    fact_updates.append((rid, {"imported_facts": _dump(merged)}))

            # Entries stored already (or given twice in this import) are not added again.
            syncs = rec.get("syncs", ())
            log_ids = [row[0] for _, rows in record_logs for row in rows]
            clean = old_logs.isdisjoint(log_ids) and len(set(log_ids)) == len(log_ids)
            if clean:
                old_logs.update(log_ids)
                if old_syncs.keys().isdisjoint(row[0] for row, _ in record_logs):
                    # The common case, in bulk: only new syncs, only new entries.
                    new_syncs.extend(row for row, _ in record_logs)
                    for _, rows in record_logs:
                        new_logs.extend(rows)
                    if record_logs:
                        report.syncs_added += len(record_logs)
                        touched.add(rid)
                    syncs, record_logs = (), []
            for sync, (sync_row, rows) in zip(syncs, record_logs, strict=True):
                sid = sync["id"]
                if not clean:
                    kept = _unseen(rows, old_logs)
                    if len(kept) != len(rows):
                        rows = kept
                        sync_row = sync_row[:6] + _counts(rows)
                new_logs.extend(rows)
                prior = old_syncs.get(sid)
                if prior is None:
                    new_syncs.append(sync_row)
                    report.syncs_added += 1
                    touched.add(rid)
                else:
                    changes = {
                        name: _value(sync[name])
                        for name in ("type", "state", "started_at", "ended_at")
                        if name in sync and _value(sync[name]) != prior[name]
                    }
                    if changes:
                        sync_updates.append(
                            (
                                sid,
                                {
                                    "type": changes.get("type", prior["type"]),
                                    "state": changes.get("state", prior["state"]),
                                    "started_at": changes.get("started_at", prior["started_at"]),
                                    "ended_at": changes.get("ended_at", prior["ended_at"]),
                                },
                            )
                        )
                        report.syncs_updated += 1
                        touched.add(rid)
                    if rows:
                        recount.add(sid)
                        touched.add(rid)
            if old is not None and rid not in touched:
                report.unchanged += 1
            elif old is not None:
                report.updated += 1
            if len(new_logs) >= _FLUSH_ROWS:
                flush()
        flush()

    load.update_integrations(fact_updates)
    load.update_syncs(sync_updates)
    if recount:
        load.recount(sorted(recount))
    load.mark_changed(sorted(t for t in touched if t in existing), revision)
    if touched:
        report.evaluation = load.evaluate(sorted(touched), now)


def load_sample(store: Store, now: datetime, path: Path | None = None) -> ImportReport:
    """Fill a database with the bundled sample, shifted so its newest sync is minutes old."""
    sample = path or sample_path()
    pf = parse_bytes(sample.read_bytes(), str(sample))
    newest = newest_sync_end(pf.integrations)
    shift = (now - timedelta(minutes=3) - newest) if newest else timedelta(0)
    return import_parsed(store, [pf], now, shift=shift)


def sample_path() -> Path:
    """The bundled sample data (in the wheel, or at the top of a source checkout)."""
    here = Path(__file__).resolve().parent
    for candidate in (
        here / "sample_data" / "integrations.json",
        here.parents[1] / "sample_data" / "integrations.json",
    ):
        if candidate.exists():
            return candidate
    raise FileNotFoundError("the bundled sample data (sample_data/integrations.json) is missing")
