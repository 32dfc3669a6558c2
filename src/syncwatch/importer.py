"""Import: the JSON schema, validation with JSON paths, and an atomic, idempotent upsert.

A file with any invalid record imports nothing; several files are imported all or nothing
together. Log text is redacted before it is stored.
"""

from __future__ import annotations

import gc
import hashlib
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from syncwatch.clock import check_range
from syncwatch.redact import redact
from syncwatch.states import (
    Category,
    Environment,
    LogLevel,
    QaStatus,
    SyncState,
    SyncType,
)
from syncwatch.store import I, L, PassResult, S, Store

_CHUNK = 900  # stays under SQLite's oldest bound-parameter limit


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


class ImportFile(BaseModel):
    """The top level of an import file."""

    model_config = ConfigDict(extra="forbid")

    integrations: list[IntegrationIn]


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


@dataclass(slots=True)
class ParsedFile:
    """A validated import file."""

    name: str
    integrations: list[IntegrationIn]


def parse_bytes(data: bytes | str, name: str) -> ParsedFile:
    """Validate one file's content; raise :class:`ImportRejected` naming what is wrong."""
    try:
        doc = ImportFile.model_validate_json(data)
    except ValidationError as err:
        raise ImportRejected(_problems_from(err, name)) from None
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    sync_seen: dict[str, str] = {}
    for i, rec in enumerate(doc.integrations):
        if rec.id in seen:
            problems.append(
                Problem(
                    name,
                    f"integrations[{i}].id",
                    f"duplicate integration id {rec.id!r} (also integrations[{seen[rec.id]}])",
                )
            )
        seen.setdefault(rec.id, i)
        for j, sync in enumerate(rec.syncs):
            here = f"integrations[{i}].syncs[{j}]"
            if sync.id in sync_seen:
                problems.append(
                    Problem(
                        name,
                        f"{here}.id",
                        f"duplicate sync id {sync.id!r} (also {sync_seen[sync.id]})",
                    )
                )
            sync_seen.setdefault(sync.id, here)
    if problems:
        raise ImportRejected(problems)
    return ParsedFile(name, doc.integrations)


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


def shift_times(records: list[IntegrationIn], delta: timedelta) -> None:
    """Move every time in the records by ``delta`` (to make the bundled sample look live)."""
    for rec in records:
        for name in ("created_at", "last_api_request_at", "credentials_updated_at", "deleted_at"):
            value = getattr(rec, name)
            if value is not None:
                setattr(rec, name, value + delta)
        for sync in rec.syncs:
            sync.started_at += delta
            if sync.ended_at is not None:
                sync.ended_at += delta
            for log in sync.logs:
                log.at += delta


def newest_sync_end(records: Iterable[IntegrationIn]) -> datetime | None:
    """The latest ``ended_at`` of any sync in the records."""
    ends = [s.ended_at for r in records for s in r.syncs if s.ended_at is not None]
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


def _utc(t: datetime | None) -> datetime | None:
    return t.astimezone(UTC) if t is not None else None


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


def log_id(sync_id: str, log: LogIn, message: str, occurrence: int) -> str:
    """A log entry's id: given in the file, else derived from its content.

    The same line imported twice gets the same id, so it is never duplicated; the
    occurrence number keeps identical lines within one sync apart.
    """
    if log.id:
        return log.id
    key = "\x1f".join(
        (
            sync_id,
            log.at.astimezone(UTC).isoformat(),
            log.level.value,
            log.field or "",
            message,
            str(occurrence),
        )
    )
    return hashlib.blake2b(key.encode(), digest_size=12).hexdigest()


def _sync_counts(logs: Sequence[dict[str, Any]]) -> tuple[int, int, str | None]:
    warnings = sum(1 for x in logs if x["level"] == "WARNING")
    errors = sum(1 for x in logs if x["level"] == "ERROR")
    headline = None
    for level in ("ERROR", "WARNING"):
        picked = [x for x in logs if x["level"] == level]
        if picked:
            headline = min(picked, key=lambda x: (x["at"], x["id"]))["message"]
            break
    return warnings, errors, headline


def _chunks(items: Sequence[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), _CHUNK):
        yield list(items[i : i + _CHUNK])


def import_files(
    store: Store,
    paths: Sequence[str],
    now: datetime,
    *,
    shift: timedelta | None = None,
) -> ImportReport:
    """Validate every file, then import them all in one transaction, or nothing."""
    with _gc_paused():
        parsed: list[ParsedFile] = []
        problems: list[Problem] = []
        for path in paths:
            try:
                parsed.append(read_file(path))
            except ImportRejected as err:
                problems.extend(err.problems)
        if problems:
            raise ImportRejected(problems)
        return import_parsed(store, parsed, now, shift=shift)


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
) -> ImportReport:
    """Upsert validated files atomically and evaluate what changed at ``now``."""
    records: list[tuple[str, int, IntegrationIn]] = []
    seen: dict[str, str] = {}
    problems: list[Problem] = []
    sync_seen: dict[str, str] = {}
    for pf in parsed:
        if shift:
            shift_times(pf.integrations, shift)
        for i, rec in enumerate(pf.integrations):
            if rec.id in seen and seen[rec.id] != pf.name:
                problems.append(
                    Problem(
                        pf.name, f"integrations[{i}].id", f"{rec.id!r} is also in {seen[rec.id]}"
                    )
                )
            seen[rec.id] = pf.name
            records.append((pf.name, i, rec))
            for j, sync in enumerate(rec.syncs):
                here = f"integrations[{i}].syncs[{j}]"
                other = sync_seen.setdefault(sync.id, f"{pf.name}: {here}")
                if not other.startswith(f"{pf.name}: "):
                    problems.append(
                        Problem(pf.name, f"{here}.id", f"sync id {sync.id!r} is also in {other}")
                    )
    if problems:
        raise ImportRejected(problems)
    report = ImportReport(files=[p.name for p in parsed])
    try:
        with store.write() as conn:
            _upsert(conn, store, records, report, now)
    except sa_exc.IntegrityError as err:  # pragma: no cover - reported as a whole
        files = ", ".join(report.files)
        raise ImportRejected([Problem(files, "", f"conflict: {err.orig}")]) from None
    return report


def _upsert(
    conn: Connection,
    store: Store,
    records: list[tuple[str, int, IntegrationIn]],
    report: ImportReport,
    now: datetime,
) -> None:
    ids = [rec.id for _, _, rec in records]
    existing: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        for row in conn.execute(sa.select(I).where(I.c.id.in_(chunk))):
            existing[row.id] = dict(row._mapping)

    # Syncs already stored under the file's sync ids (whoever owns them), and their log ids:
    # work in proportion to the file, not to the stored history.
    old_syncs: dict[str, dict[str, Any]] = {}
    old_logs: set[str] = set()
    sync_ids = [s.id for _, _, rec in records for s in rec.syncs]
    for chunk in _chunks(sync_ids):
        for row in conn.execute(
            sa.select(
                S.c.id, S.c.integration_id, S.c.type, S.c.state, S.c.started_at, S.c.ended_at
            ).where(S.c.id.in_(chunk))
        ):
            old_syncs[row.id] = dict(row._mapping)
    for chunk in _chunks(list(old_syncs)):
        for (lid,) in conn.execute(sa.select(L.c.id).where(L.c.sync_id.in_(chunk))):
            old_logs.add(lid)

    # A sync id that belongs to another integration is a conflict, named by its path.
    problems = [
        Problem(
            name,
            f"integrations[{i}].syncs[{j}].id",
            f"sync id {s.id!r} already belongs to integration "
            f"{old_syncs[s.id]['integration_id']!r}",
        )
        for name, i, rec in records
        for j, s in enumerate(rec.syncs)
        if s.id in old_syncs and old_syncs[s.id]["integration_id"] != rec.id
    ]
    if problems:
        raise ImportRejected(problems)

    revision = store.next_revision(conn)
    new_integrations: list[dict[str, Any]] = []
    fact_updates: list[dict[str, Any]] = []
    new_syncs: list[dict[str, Any]] = []
    sync_updates: list[dict[str, Any]] = []
    new_logs: list[dict[str, Any]] = []
    recount: set[str] = set()
    touched: set[str] = set()

    for _name, _i, rec in records:
        old = existing.get(rec.id)
        if old is not None and old["deleted_at"] is not None:
            report.skipped_deleted.append(rec.id)
            continue
        given = {
            name: _value(getattr(rec, name))
            for name in _FACT_FIELDS
            if name in rec.model_fields_set
        }
        source = _source_json(given)
        if old is None:
            fresh: dict[str, Any] = {"id": rec.id, **_DEFAULTS, **given}
            fresh.update(dirty=True, revision=revision, imported_facts=_dump(source))
            new_integrations.append(fresh)
            report.added += 1
            touched.add(rec.id)
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
                fact_updates.append(changes | {"b_id": rec.id, "imported_facts": _dump(merged)})
                touched.add(rec.id)
            elif merged != before:
                # Nothing visible changes; remember what the source says for next time.
                fact_updates.append({"b_id": rec.id, "imported_facts": _dump(merged)})

        for sync in rec.syncs:
            logs: list[dict[str, Any]] = []
            occurrences: Counter[tuple[Any, ...]] = Counter()
            for log in sync.logs:
                message = redact(log.message)
                key = (log.at, log.level, log.field, message)
                occurrences[key] += 1
                lid = log_id(sync.id, log, message, occurrences[key])
                if lid in old_logs:
                    continue
                old_logs.add(lid)
                logs.append(
                    {
                        "id": lid,
                        "sync_id": sync.id,
                        "integration_id": rec.id,
                        "at": log.at.astimezone(UTC),
                        "level": log.level.value,
                        "message": message,
                        "field": log.field,
                    }
                )
            prior = old_syncs.get(sync.id)
            if prior is None:
                warnings, errors, headline = _sync_counts(logs)
                new_syncs.append(
                    {
                        "id": sync.id,
                        "integration_id": rec.id,
                        "type": sync.type.value,
                        "state": sync.state.value,
                        "started_at": sync.started_at.astimezone(UTC),
                        "ended_at": _utc(sync.ended_at),
                        "warnings": warnings,
                        "errors": errors,
                        "headline": headline,
                    }
                )
                report.syncs_added += 1
                touched.add(rec.id)
            else:
                given_sync = sync.model_fields_set
                changes = {
                    name: _value(getattr(sync, name))
                    for name in ("type", "state", "started_at", "ended_at")
                    if name in given_sync and _value(getattr(sync, name)) != prior[name]
                }
                if changes:
                    sync_updates.append(
                        {
                            "b_id": sync.id,
                            "type": changes.get("type", prior["type"]),
                            "state": changes.get("state", prior["state"]),
                            "started_at": changes.get("started_at", prior["started_at"]),
                            "ended_at": changes.get("ended_at", prior["ended_at"]),
                        }
                    )
                    report.syncs_updated += 1
                    touched.add(rec.id)
                if logs:
                    recount.add(sync.id)
                    touched.add(rec.id)
            new_logs.extend(logs)
        if old is not None and rec.id not in touched:
            report.unchanged += 1
        elif old is not None:
            report.updated += 1

    if new_integrations:
        conn.execute(I.insert(), new_integrations)
    if fact_updates:
        # Group by the set of changed columns: one executemany per shape.
        by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for upd in fact_updates:
            by_shape[tuple(sorted(k for k in upd if k != "b_id"))].append(upd)
        for cols, rows in by_shape.items():
            conn.execute(
                I.update()
                .where(I.c.id == sa.bindparam("b_id"))
                .values({c: sa.bindparam(c) for c in cols}),
                rows,
            )
    if new_syncs:
        conn.execute(S.insert(), new_syncs)
    if sync_updates:
        conn.execute(
            S.update()
            .where(S.c.id == sa.bindparam("b_id"))
            .values(
                type=sa.bindparam("type"),
                state=sa.bindparam("state"),
                started_at=sa.bindparam("started_at"),
                ended_at=sa.bindparam("ended_at"),
            ),
            sync_updates,
        )
    if new_logs:
        conn.execute(L.insert(), new_logs)
        report.logs_added = len(new_logs)
    if recount:
        _recount(conn, sorted(recount))
    changed_existing = sorted(t for t in touched if t in existing)
    for chunk in _chunks(changed_existing):
        conn.execute(I.update().where(I.c.id.in_(chunk)).values(dirty=True, revision=revision))
    if touched:
        report.evaluation = store.evaluate_ids(conn, sorted(touched), now)


def _recount(conn: Connection, sync_ids: list[str]) -> None:
    """Recompute warning/error counts and the headline of syncs that got new log entries."""

    def level_count(level: str) -> sa.ScalarSelect[Any]:
        return (
            sa.select(sa.func.count())
            .where(L.c.sync_id == S.c.id, L.c.level == level)
            .correlate(S)
            .scalar_subquery()
        )

    for chunk in _chunks(sync_ids):
        headline = (
            sa.select(L.c.message)
            .where(L.c.sync_id == S.c.id, L.c.level.in_(("ERROR", "WARNING")))
            .order_by(sa.case((L.c.level == "ERROR", 0), else_=1), L.c.at, L.c.id)
            .limit(1)
            .correlate(S)
            .scalar_subquery()
        )
        conn.execute(
            S.update()
            .where(S.c.id.in_(chunk))
            .values(warnings=level_count("WARNING"), errors=level_count("ERROR"), headline=headline)
        )


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
