"""Data for the trend tests (``from trend_support import ...``): a database whose state
history has real times, and rows with strips for the list."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from row_support import row
from textual.app import App, ComposeResult

from syncwatch.clock import iso
from syncwatch.db import Store
from syncwatch.importer import import_parsed, parse_bytes
from syncwatch.rows import IntegrationRow
from syncwatch.states import IntegrationState, SyncState
from syncwatch.trends import RecentResults, RecentSync
from syncwatch.tui.widgets.integration_list import IntegrationList

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
FLAKY = "workday:flaky"


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


def _import(store: Store, at: datetime, syncs: list[dict[str, Any]]) -> None:
    record = {
        "id": FLAKY,
        "tool": "workday",
        "category": "HRIS",
        "organization": "Flaky Corp",
        "created_at": iso(ago(days=5, hours=1)),
        "filters_configured": True,
        "syncs": syncs,
    }
    doc = json.dumps({"integrations": [record]})
    import_parsed(store, [parse_bytes(doc, "flaky.json")], at)


def _sync(sid: str, state: str, end: datetime) -> dict[str, Any]:
    start = end - timedelta(minutes=30)
    return {"id": sid, "state": state, "started_at": iso(start), "ended_at": iso(end)}


def build_flaky_db(path: Path) -> None:
    """One Workday integration: created 5 d 1 h ago (active, nothing synced yet), its sync
    failed 2 days ago and succeeded again a day ago. Each step is imported and evaluated at
    the time it happened, so its history entries carry those times."""
    store = Store.open(path)
    try:
        _import(store, ago(days=5, hours=1), [])
        _import(store, ago(days=5), [_sync("s1", "SUCCEEDED", ago(days=5))])
        _import(store, ago(days=2), [_sync("s2", "FAILED", ago(days=2))])
        _import(store, ago(days=1), [_sync("s3", "SUCCEEDED", ago(days=1))])
    finally:
        store.close()


def strip_of(*states: SyncState) -> RecentResults:
    n = len(states)
    return RecentResults(
        tuple(
            RecentSync(f"s{i}", st, ago(hours=3 * (n - i)), ago(hours=3 * (n - i) - 1))
            for i, st in enumerate(states)
        )
    )


S = SyncState
FLAPPING = strip_of(S.SUCCEEDED, S.FAILED, S.SUCCEEDED, S.FAILED, S.SUCCEEDED, S.FAILED)
OUTAGE = strip_of(S.SUCCEEDED, S.SUCCEEDED, S.FAILED, S.FAILED, S.FAILED, S.TIMED_OUT)
AUTH = strip_of(S.SUCCEEDED, S.AUTHENTICATION_FAILED, S.AUTHENTICATION_FAILED)


def list_rows() -> tuple[list[IntegrationRow], dict[str, RecentResults]]:
    """Three rows: flapping, an outage since 9 hours, authentication failing with the 72-hour
    mark 1 d 10 h away."""
    rows = [
        row(
            "lever:flap",
            IntegrationState.SYNC_FAILING,
            organization="Flap Ltd",
            state_since=ago(hours=3),
            last_sync_state=SyncState.FAILED,
            last_sync_ended_at=ago(hours=2),
        ),
        row(
            "workday:down",
            IntegrationState.SYNC_FAILING,
            organization="Down Inc",
            state_since=ago(hours=9),
            last_sync_state=SyncState.TIMED_OUT,
            last_sync_ended_at=ago(hours=2),
        ),
        row(
            "personio:auth",
            IntegrationState.AUTHENTICATION_FAILING,
            organization="Auth GmbH",
            state_since=ago(hours=38),
            next_due_at=NOW + timedelta(days=1, hours=10),
            last_sync_state=SyncState.AUTHENTICATION_FAILED,
            last_sync_ended_at=ago(hours=2),
        ),
    ]
    recent = {"lever:flap": FLAPPING, "workday:down": OUTAGE, "personio:auth": AUTH}
    return rows, recent


class ListApp(App[None]):
    """The integration list alone, fed the way the main screen feeds it."""

    def __init__(self, rows: list[IntegrationRow], recent: dict[str, RecentResults]) -> None:
        super().__init__()
        self.rows = rows
        #: What the list draws of each strip (the main screen hands it the model's map,
        #: updated in place the same way).
        self.recent = {iid: results.strip for iid, results in recent.items()}

    def compose(self) -> ComposeResult:
        yield IntegrationList(id="integrations")

    def on_mount(self) -> None:
        lst = self.query_one(IntegrationList)
        lst.now = NOW
        lst.recent = self.recent
        lst.set_rows(self.rows)
        lst.focus()
