"""Snapshots of the recent-results strip with its countdown, and of the drill-down's timeline.

Hand-made data on a fixed clock (see ``trend_support``). Regenerate after an intended change::

    uv run pytest tests/tui/test_trends_snapshots.py --snapshot-update
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pilot_support import settle
from textual.pilot import Pilot
from trend_support import FLAKY, NOW, ListApp, build_flaky_db, list_rows

from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.tui.app import SyncwatchApp

SnapCompare = Callable[..., bool]


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)


def test_the_strip_flapping_outage_and_countdown(snap_compare: SnapCompare) -> None:
    rows, recent = list_rows()
    app = ListApp(rows, recent)
    app.theme = "textual-dark"
    assert snap_compare(app, terminal_size=(170, 6))


def test_the_drill_down_timeline(snap_compare: SnapCompare, tmp_path: Path) -> None:
    path = tmp_path / "flaky.db"
    build_flaky_db(path)
    store = Store.open(path)
    try:
        app = SyncwatchApp(store, FixedClock(NOW), live=False)
        app.PREBUILD_DETAIL_AFTER = None
        app.theme = "textual-dark"

        async def run_before(pilot: Pilot[Any]) -> None:
            await settle(pilot)
            assert app.main.integration_list.select_id(FLAKY)
            await pilot.press("enter")
            await settle(pilot)
            app.last_pass_at = NOW  # the header's "last pass" in wall time: pinned
            app.update_header()
            await settle(pilot)

        assert snap_compare(app, terminal_size=(160, 45), run_before=run_before)
    finally:
        store.close()
