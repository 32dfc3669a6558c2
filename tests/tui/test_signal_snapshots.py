"""Snapshots of the attention signals: rows that changed state since the operator last
looked at them are marked •, and a burst of changes is told in one summary notification.

On the bundled sample at a fixed clock (as ``test_snapshots.py``): four active integrations
get a failed sync through Kombo's webhook, the next pass finds them failing. At 80x24,
160x45 and 220x60. Regenerate after an intended change of the look::

    uv run pytest tests/tui/test_signal_snapshots.py --snapshot-update
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pilot_support import settle
from textual.pilot import Pilot

from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.importer import load_sample
from syncwatch.kombo.apply import receive_event
from syncwatch.kombo.events import parse_event
from syncwatch.states import IntegrationState
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.widgets.integration_list import UNSEEN_MARK

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SIZES = {"small": (80, 24), "wide": (160, 45), "huge": (220, 60)}
CHANGED = 4

SnapCompare = Callable[..., bool]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "syncwatch.db")
    load_sample(s, NOW)
    yield s
    s.close()


def fail_some(store: Store) -> list[str]:
    """Four active production integrations (by organisation, then id) get a failed sync
    through Kombo's webhook; their ids."""
    active = sorted(
        (
            r
            for r in store.integrations()
            if r.state is IntegrationState.ACTIVE and r.environment == "production"
        ),
        key=lambda r: (r.organization, r.id),
    )[:CHANGED]
    ended = NOW - timedelta(minutes=1)
    for n, row in enumerate(active):
        data = {
            "sync_id": f"sync_burst_{n}",
            "sync_state": "FAILED",
            "sync_started_at": (ended - timedelta(minutes=5)).isoformat(),
            "sync_ended_at": ended.isoformat(),
            "sync_duration_seconds": 300,
            "integration_id": row.id,
            "integration_tool": row.tool,
            "integration_category": row.category,
            "end_user": {
                "organization_name": row.organization,
                "creator_email": None,
                "origin_id": None,
            },
        }
        body = json.dumps({"id": f"evt_burst_{n}", "type": "sync-finished", "data": data})
        receive_event(store, parse_event(body.encode()), body, NOW)
    return [r.id for r in active]


@pytest.mark.parametrize("size", sorted(SIZES))
def test_a_burst_marks_the_changed_rows_and_makes_one_summary(
    snap_compare: SnapCompare, store: Store, monkeypatch: pytest.MonkeyPatch, size: str
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    app = SyncwatchApp(store, FixedClock(NOW), live=False)
    app.PREBUILD_DETAIL_AFTER = None
    app.theme = "textual-dark"

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        changed = fail_some(store)
        app.action_refresh_now()
        await settle(pilot)
        assert all(app.rows[i].state is IntegrationState.SYNC_FAILING for i in changed)
        # The summary's words are pinned by test_attention.py; here, how it looks.
        lst = app.main.integration_list
        marked = [
            r.id for i, r in enumerate(lst.items) if lst.render_line(1 + i).text[1:2] == UNSEEN_MARK
        ]
        assert set(marked) <= set(changed)
        app.last_pass_at = NOW
        app.update_header()
        await pilot.wait_for_scheduled_animations()
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)
