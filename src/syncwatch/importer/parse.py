"""Reading import files (a path, or ``-`` for standard input) and validating them:
the schema, then what it cannot say (time ranges, a sync's end, unique ids), every
problem named by file and JSON path. Also the record-level helpers the import shares:
records built in code as the dicts a file gives, and time shifting.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from syncwatch.clock import EARLIEST, LATEST, check_range
from syncwatch.importer.errors import ImportRejected, Problem, json_path
from syncwatch.importer.schema import IntegrationIn, Record, file_validator
from syncwatch.limits import NAME_LIMIT
from syncwatch.redact import redact
from syncwatch.states import SyncState

_TIME_FIELDS = ("created_at", "last_api_request_at", "credentials_updated_at", "deleted_at")


#: Where a log id of a file is: its JSON path and its sync's id.
LogPlace = tuple[str, str]


@dataclass(slots=True)
class ParsedFile:
    """A validated import file: records read from a file (dicts, see :class:`IntegrationDoc`)
    or built in code (:class:`IntegrationIn`; the demo engine does).

    ``log_ids``: every log id the file gives, with its place (records built in code give
    none): the import checks them against the other files and the stored entries.
    """

    name: str
    integrations: Sequence[Record | IntegrationIn]
    log_ids: dict[str, LogPlace] = field(default_factory=dict)


#: Error types of a time that is not an ISO 8601 string (a number, digits, another form).
_NOT_ISO = frozenset(
    {"string_type", "string_pattern_mismatch", "datetime_parsing", "datetime_type"}
)
#: Error types of a boolean that is not JSON true or false.
_NOT_BOOL = frozenset({"bool_type", "bool_parsing"})


def _shown(value: object, limit: int = 60) -> str:
    """A value from the file as JSON, shortened: for error messages."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):  # pragma: no cover - values come from JSON
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _message(item: ErrorDetails) -> str:
    """What is wrong, in the import format's words."""
    kind, loc, value = item["type"], item["loc"], item.get("input")
    key = loc[-1] if loc else ""
    is_time = isinstance(key, str) and (key == "at" or key.endswith("_at"))
    if kind == "extra_forbidden":
        return "unknown field (check its spelling)"
    if kind == "missing":
        return "required field is missing"
    if kind == "timezone_aware":
        return f"time {value!r} must carry a time zone (Z or +01:00)"
    if is_time and kind in _NOT_ISO:
        return (
            f"{_shown(value)} is not a time: write an ISO 8601 string with a zone, "
            '"2026-11-01T09:00:00Z" (a number is not read as a Unix time)'
        )
    if kind in _NOT_BOOL:
        return f"{_shown(value)} is not a boolean: write true or false (JSON, unquoted)"
    if kind == "string_too_long":
        length = len(value) if isinstance(value, str) else 0
        return f"{length:,} characters: longer than the {NAME_LIMIT:,}-character limit for names"
    message = item["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return message


def _problems_from(err: ValidationError, file: str, limit: int = 20) -> list[Problem]:
    problems = []
    for item in err.errors(include_url=False)[:limit]:
        problems.append(Problem(file, json_path(item["loc"]), _message(item)))
    extra = err.error_count() - limit
    if extra > 0:
        problems.append(Problem(file, "", f"... and {extra} more problems"))
    return problems


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


#: Ids are stored and matched exactly, so one cannot be redacted: it is refused. (The
#: message does not repeat the id: it would print the secret.)
_SECRET_ID = (
    "the id contains what looks like a secret (a token, key or password); ids are kept "
    "exactly as given, never redacted, so it is refused"
)


def _log_content(log: Record) -> tuple[object, ...]:
    return (log["at"], log["level"], log["message"], log.get("field"))


def _check_records(records: list[Record], name: str) -> dict[str, LogPlace]:
    """Check what the schema cannot: time ranges, a sync's end, a deletion not before the
    creation, unique ids. Converts every time to UTC in place; raises
    :class:`ImportRejected` naming each problem's JSON path. Returns the file's log ids.

    A log id given twice is an error naming both places, unless both are in the same sync
    and agree in every field: that is one entry given twice (pages of an export that
    overlap), and it is stored once.
    """
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
    log_seen: dict[str, tuple[int, int, int]] = {}
    for i, rec in enumerate(records):
        for key in _TIME_FIELDS:
            value = rec.get(key)
            if value is not None:
                rec[key] = settle(value, f"integrations[{i}].{key}")
        deleted = rec.get("deleted_at")
        if deleted is not None and deleted < rec["created_at"]:
            # Refused, not kept: the purge (14 days after the deletion) would remove the
            # integration's syncs and logs at once, on a date that cannot be right.
            problems.add(
                f"integrations[{i}].deleted_at",
                f"deleted_at {deleted.isoformat()} is before created_at "
                f"{rec['created_at'].isoformat()}",
            )
        rid = rec["id"]
        if redact(rid) != rid:
            problems.add(f"integrations[{i}].id", _SECRET_ID)
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
            if redact(sid) != sid:
                problems.add(f"integrations[{i}].syncs[{j}].id", _SECRET_ID)
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
                lid = log.get("id")
                if lid is None:
                    continue
                if redact(lid) != lid:
                    problems.add(f"integrations[{i}].syncs[{j}].logs[{k}].id", _SECRET_ID)
                first = log_seen.setdefault(lid, (i, j, k))
                if first == (i, j, k):
                    continue
                fi, fj, fk = first
                where = f"integrations[{fi}].syncs[{fj}].logs[{fk}]"
                if (fi, fj) != (i, j):
                    problems.add(
                        f"integrations[{i}].syncs[{j}].logs[{k}].id",
                        f"log id {lid!r} is also {where}.id, in another sync",
                    )
                elif _log_content(records[fi]["syncs"][fj]["logs"][fk]) != _log_content(log):
                    problems.add(
                        f"integrations[{i}].syncs[{j}].logs[{k}].id",
                        f"log id {lid!r} is also {where}.id, and the two entries differ",
                    )
    problems.raise_if_any()
    return {
        lid: (
            f"integrations[{i}].syncs[{j}].logs[{k}]",
            records[i]["syncs"][j]["id"],
        )
        for lid, (i, j, k) in log_seen.items()
    }


#: Byte order marks of encodings that are not UTF-8 (UTF-32 first: it starts like UTF-16).
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
_UTF8_BOM = b"\xef\xbb\xbf"


def _wide_encoding(data: bytes) -> str | None:
    """``"UTF-16"`` or ``"UTF-32"`` if the bytes are plainly in one (by its byte order mark,
    or the zero bytes around the first character, which in JSON is ASCII), else None."""
    for bom, encoding in _WIDE_BOMS:
        if data.startswith(bom):
            return encoding
    head = data[:4]
    if len(head) == 4:
        if head[:3] == b"\0\0\0" or head[1:] == b"\0\0\0":
            return "UTF-32"
        if (head[0] == 0) != (head[1] == 0):
            return "UTF-16"
    return None


def _encoding_problem(data: bytes | str, name: str) -> Problem | None:
    """What is wrong with the file's encoding, if that is why it does not parse."""
    if isinstance(data, str):
        return None
    wide = _wide_encoding(data)
    if wide is not None:
        return Problem(name, "", f"the file is {wide}; syncwatch reads UTF-8 (save it as UTF-8)")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        return Problem(
            name,
            "",
            f"not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start:,}); "
            "syncwatch reads UTF-8 (save it as UTF-8)",
        )
    return None


def parse_bytes(data: bytes | str, name: str) -> ParsedFile:
    """Validate one file's content; raise :class:`ImportRejected` naming what is wrong.

    A UTF-8 byte order mark is skipped (Windows tools write one); a file in another
    encoding is refused naming it.
    """
    if isinstance(data, str):
        data = data.removeprefix("\ufeff")
    elif data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    if isinstance(data, bytes) and not data.isascii():
        # pydantic-core reads bytes that are not UTF-8 inside a string as U+FFFD: the file
        # would lose its text without a word. (isascii() costs next to nothing; only a
        # file with other characters is decoded to check.)
        encoding = _encoding_problem(data, name)
        if encoding is not None:
            raise ImportRejected([encoding])
    try:
        doc = file_validator().validate_json(data)
    except ValidationError as err:
        if isinstance(data, bytes) and data.isascii():
            encoding = _encoding_problem(data[:4], name)  # UTF-16 of ASCII text, say
            if encoding is not None:
                raise ImportRejected([encoding]) from None
        raise ImportRejected(_problems_from(err, name)) from None
    records = cast(list[Record], doc["integrations"])
    log_ids = _check_records(records, name)
    return ParsedFile(name, records, log_ids)


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


def as_record(rec: Record | IntegrationIn) -> Record:
    """A record built in code as the dict a file would give (only the fields it set)."""
    if isinstance(rec, BaseModel):
        return rec.model_dump(exclude_unset=True)
    return rec


def records_of(pf: ParsedFile, shift: timedelta | None) -> list[Record]:
    """A file's records as the import stores them (the worker builds them the same way)."""
    records = [as_record(r) for r in pf.integrations]
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
        for r in map(as_record, records)
        for s in r.get("syncs", ())
        if s.get("ended_at") is not None
    ]
    return max(ends) if ends else None
