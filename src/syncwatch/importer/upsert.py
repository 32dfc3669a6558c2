"""The upsert: merge validated records into the store in one transaction, count what
happened, and evaluate what changed. Every statement runs through
:class:`syncwatch.db.bulk.ImportLoad`; this module builds no SQL.

A file with any invalid record imports nothing; several files are imported all or nothing
together. Fields are merged so that what the evaluator or an operator decided stays.
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from syncwatch.db import Store
from syncwatch.db.bulk import LOG_COLUMNS, ImportLoad, LoadConflict, Row, import_load
from syncwatch.importer import prepare
from syncwatch.importer.errors import ImportRejected, Problem
from syncwatch.importer.parse import ParsedFile, read_file, records_of
from syncwatch.importer.prepare import PreparationWorker, preparation_worker, prepared_logs
from syncwatch.importer.schema import Record
from syncwatch.limits import MESSAGE_LIMIT, headline
from syncwatch.redact import redact
from syncwatch.rows import PassResult
from syncwatch.states import Environment

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
#: The integration's free-text fields (the others are enums, booleans and times).
_TEXT_FIELDS = ("tool", "organization")
_DEFAULTS: dict[str, Any] = {
    "environment": Environment.PRODUCTION.value,
    "filters_configured": False,
    "enabled": True,
    "last_api_request_at": None,
    "credentials_updated_at": None,
    "qa_status": None,
    "deleted_at": None,
}


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
    #: Log entries added whose message was longer than MESSAGE_LIMIT and was cut.
    messages_cut: int = 0
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


def import_files(
    store: Store,
    paths: Sequence[str],
    now: datetime,
    *,
    shift: timedelta | None = None,
) -> ImportReport:
    """Validate every file, then import them all in one transaction, or nothing."""
    same = _same_files(paths)
    if same:
        raise ImportRejected(same)
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


def _same_files(paths: Sequence[str]) -> list[Problem]:
    """A file given twice, under any spelling (``a.json ./a.json``, a link to it): refused,
    rather than imported once, because the second name may be a slip for another file."""
    problems: list[Problem] = []
    first: dict[object, tuple[int, str]] = {}
    for n, path in enumerate(paths, 1):
        key: object
        if path == "-":
            key = "-"
        else:
            try:
                st = os.stat(path)
                key = (st.st_dev, st.st_ino)
            except OSError:
                key = os.path.abspath(path)  # read_file says what is wrong with it
        if key in first:
            m, name = first[key]
            what = "standard input" if path == "-" else "the same file"
            problems.append(
                Problem(
                    "<stdin>" if path == "-" else path,
                    "",
                    f"{what} as argument {m} ({name!r}): give each file once",
                )
            )
        else:
            first[key] = (n, path)
    return problems


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
    # Log ids the files give: id -> (file, JSON path, sync id). (Each file's own were
    # checked when it was parsed.)
    log_ids: dict[str, tuple[str, str, str]] = {}
    for pf in parsed:
        for lid, (path, sid) in pf.log_ids.items():
            first = log_ids.setdefault(lid, (pf.name, path, sid))
            if first[0] != pf.name:
                problems.append(
                    Problem(
                        pf.name, f"{path}.id", f"log id {lid!r} is also {first[0]}: {first[1]}.id"
                    )
                )
        for i, rec in enumerate(records_of(pf, shift)):
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
            _upsert(load, records, log_ids, report, now, worker)
    except LoadConflict as err:  # pragma: no cover - reported as a whole
        files = ", ".join(report.files)
        raise ImportRejected([Problem(files, "", f"conflict: {err}")]) from None
    return report


def _taken(place: tuple[str, str, str], lid: str, sync_id: str, owner: str) -> Problem:
    file, path, _ = place
    return Problem(
        file,
        f"{path}.id",
        f"log id {lid!r} already belongs to sync {sync_id!r} of integration {owner!r}",
    )


def _headline_key(row: Row, at: int = LOG_COLUMNS.index("at")) -> tuple[Any, str]:
    return (row[at], row[0])


def _counts(rows: list[Row]) -> tuple[int, int, str | None, str | None]:
    """Warnings, errors, the headline (the earliest error, else warning) of log rows and
    that line's signature."""
    level, message = LOG_COLUMNS.index("level"), LOG_COLUMNS.index("message")
    sig = LOG_COLUMNS.index("signature")
    errors = [r for r in rows if r[level] == "ERROR"]
    warnings = [r for r in rows if r[level] == "WARNING"]
    picked = errors or warnings
    if not picked:
        return len(warnings), len(errors), None, None
    first = min(picked, key=_headline_key)
    return len(warnings), len(errors), headline(first[message]), first[sig]


def _unseen(rows: list[Row], seen: set[str]) -> list[Row]:
    """The rows whose id is not in ``seen`` (first occurrence only); adds their ids."""
    out = []
    for row in rows:
        if row[0] not in seen:
            seen.add(row[0])
            out.append(row)
    return out


def _upsert(
    load: ImportLoad,
    records: list[tuple[str, int, Record]],
    given_log_ids: dict[str, tuple[str, str, str]],
    report: ImportReport,
    now: datetime,
    worker: PreparationWorker | None = None,
) -> None:
    existing = load.integrations([rec["id"] for _, _, rec in records])
    # Syncs already stored under the file's sync ids (whoever owns them), and their log ids:
    # work in proportion to the file, not to the stored history.
    sync_ids = [s["id"] for _, _, rec in records for s in rec.get("syncs", ())]
    old_syncs = load.syncs(sync_ids)
    stored_logs = load.log_ids(list(old_syncs))
    old_logs = set(stored_logs)

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
    # A log id stored under another sync than the file's (of this integration or another):
    # named by its path, not left to the database's "UNIQUE constraint failed".
    elsewhere: list[str] = []
    for lid, (_, _, sid) in given_log_ids.items():
        stored_sid = stored_logs.get(lid)
        if stored_sid is None:
            elsewhere.append(lid)
        elif stored_sid != sid:
            owner = old_syncs[stored_sid]["integration_id"]
            problems.append(_taken(given_log_ids[lid], lid, stored_sid, owner))
    for lid, (stored_sid, owner) in load.log_owners(elsewhere).items():
        problems.append(_taken(given_log_ids[lid], lid, stored_sid, owner))
    if problems:
        raise ImportRejected(problems)

    revision = load.next_revision()
    message = LOG_COLUMNS.index("message")
    new_integrations: list[dict[str, Any]] = []
    fact_updates: list[tuple[str, dict[str, Any]]] = []
    new_syncs: list[Row] = []
    sync_updates: list[tuple[str, dict[str, Any]]] = []
    new_logs: list[Row] = []
    recount: set[str] = set()
    touched: set[str] = set()
    arrived: list[str] = []

    def flush() -> None:
        load.insert(new_integrations, new_syncs, new_logs)
        report.logs_added += len(new_logs)
        # A cut message is MESSAGE_LIMIT characters plus the marker that says so.
        report.messages_cut += sum(len(row[message]) > MESSAGE_LIMIT for row in new_logs)
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
            # A deletion dated after now is not one yet: the import still applies to it.
            if old is not None and old["deleted_at"] is not None and old["deleted_at"] <= now:
                report.skipped_deleted.append(rid)
                continue
            given = {name: _value(rec[name]) for name in _FACT_FIELDS if name in rec}
            for name in _TEXT_FIELDS:  # stored and shown: never with a secret in it
                if name in given:
                    given[name] = redact(given[name])
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
                    if old is not None:
                        arrived.extend(row[0] for row, _ in record_logs)
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
                    if old is not None:
                        arrived.append(sid)
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
                        arrived.append(sid)
                    if rows:
                        recount.add(sid)
                        touched.add(rid)
            if old is not None and rid not in touched:
                report.unchanged += 1
            elif old is not None:
                report.updated += 1
            if len(new_logs) >= prepare.FLUSH_ROWS:  # read here: one setting for both sides
                flush()
        flush()

    load.update_integrations(fact_updates)
    load.update_syncs(sync_updates)
    if recount:
        load.recount(sorted(recount))
    if arrived:
        # Syncs of integrations already evaluated: one that ended before that evaluation
        # arrived late, and the history is replayed from where it belongs.
        load.note_sync_ends(arrived)
    load.mark_changed(sorted(t for t in touched if t in existing), revision)
    if touched:
        report.evaluation = load.evaluate(sorted(touched), now)
