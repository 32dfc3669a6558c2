"""Builders shared by the core tests: the fixed clock and records for facts and import files.

Everything runs on a fixed clock: ``NOW`` (also the ``now`` fixture) and times built from it.
Test modules import these by name (``from builders import NOW, ago``); the module has a name
of its own because ``conftest`` is ambiguous once subdirectories have conftest files too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from syncwatch.clock import iso
from syncwatch.db import Store
from syncwatch.evaluator import IntegrationFacts, SyncFacts
from syncwatch.states import SyncState

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
