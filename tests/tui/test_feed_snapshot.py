"""Snapshot of the activity feed (``w``) on the bundled sample, loaded an hour before the
fixed clock, with two operator actions half an hour later: the actions and the transitions
they caused on top, then the first evaluations of the import.

Deterministic as ``test_snapshots.py`` is: a fixed clock, the sample shifted to it, no live
timer, no blinking cursor, the header's last-pass time pinned. Regenerate after an intended
change of the look with ``uv run pytest tests/tui/test_feed_snapshot.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pilot_support import settle
from textual.pilot import Pilot
from textual.widgets import Input

from syncwatch.actions import Action, perform
from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.importer import load_sample
from syncwatch.states import IntegrationState
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.screens.feed import FeedScreen

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WIDE = (160, 45)


def test_the_activity_feed(
    snap_compare: Callable[..., bool], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    store = Store.open(tmp_path / "syncwatch.db")
    load_sample(store, NOW - timedelta(hours=1))
    rows = sorted(store.integrations(), key=lambda r: r.id)
    failing = next(r.id for r in rows if r.state is IntegrationState.SYNC_FAILING)
    held = next(r.id for r in rows if r.state is IntegrationState.QUALITY_ASSURANCE)
    acted = NOW - timedelta(minutes=30)
    perform(store, Action.DEACTIVATE, failing, acted, actor="alice")
    perform(store, Action.RELEASE_QA, held, acted, actor="bob [on-call]")
    app = SyncwatchApp(store, FixedClock(NOW), live=False)
    app.PREBUILD_DETAIL_AFTER = None
    app.theme = "textual-dark"

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, FeedScreen)
        app.last_pass_at = NOW
        app.update_header()
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=WIDE, run_before=run_before)
    finally:
        store.close()
