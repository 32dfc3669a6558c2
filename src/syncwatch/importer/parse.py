"""Reading import files (a path, or ``-`` for standard input) and validating them:
the schema, then what it cannot say (time ranges, a sync's end, unique ids), every
problem named by file and JSON path. Also the record-level helpers the import shares:
records built in code as the dicts a file gives, and time shifting.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from syncwatch.clock import EARLIEST, LATEST, check_range
from syncwatch.importer.errors import ImportRejected, Problem, json_path
from syncwatch.importer.schema import IntegrationIn, Record, file_validator
from syncwatch.limits import NAME_LIMIT
from syncwatch.states import SyncState

_TIME_FIELDS = ("created_at", "last_api_request_at", "credentials_updated_at", "deleted_at")


@dataclass(slots=True)
class ParsedFile:
    """A validated import file: records read from a file (dicts, see :class:`IntegrationDoc`)
    or built in code (:class:`IntegrationIn`; the demo engine does)."""

    name: str
    integrations: Sequence[Record | IntegrationIn]


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
        doc = file_validator().validate_json(data)
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
