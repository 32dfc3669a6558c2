"""Snapshot tests of acknowledge and snooze (issue 15, item 2): the list's badges next to
the organisation with the preview's facts (160x45), and the acknowledge dialog at 80x24.

Deterministic as ``test_snapshots.py`` is (its helpers are used): the bundled sample on a
fixed clock, no live timer, no blinking cursor. Regenerate after an intended change::

    uv run pytest tests/tui/test_attention_snapshots.py --snapshot-update
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from test_snapshots import DB_NAME, NOW, SMALL, WIDE, failing_workday, prepare
from textual.pilot import Pilot

from syncwatch.ack_actions import acknowledge, snooze
from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.importer import load_sample
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.screens.attention import AckDialog

SnapCompare = Callable[..., bool]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    path = tmp_path / "sample" / DB_NAME
    path.parent.mkdir()
    s = Store.open(path)
    load_sample(s, NOW)
    s.close()
    copy = tmp_path / DB_NAME
    shutil.copyfile(path, copy)
    s = Store.open(copy)
    yield s
    s.close()


def make_app(store: Store, monkeypatch: pytest.MonkeyPatch) -> SyncwatchApp:
    monkeypatch.delenv("NO_COLOR", raising=False)
    app = SyncwatchApp(store, FixedClock(NOW), live=False)
    app.PREBUILD_DETAIL_AFTER = None
    app.theme = "textual-dark"
    return app


def test_acknowledged_and_snoozed_rows(
    snap_compare: SnapCompare, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = failing_workday(store)
    acknowledge(store, target, NOW, "alice", "[b]on it[/b]: Workday 503s")
    snooze(store, target, timedelta(hours=2), NOW, "bob")
    app = make_app(store, monkeypatch)

    async def select(pilot: Pilot[Any], app: SyncwatchApp) -> None:
        assert app.main.integration_list.select_id(target)

    assert snap_compare(app, terminal_size=WIDE, run_before=prepare(app, select))


def test_ack_dialog_at_80_columns(
    snap_compare: SnapCompare, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = failing_workday(store)
    acknowledge(store, target, NOW, "alice", "calling the customer")
    app = make_app(store, monkeypatch)

    async def open_dialog(pilot: Pilot[Any], app: SyncwatchApp) -> None:
        assert app.main.integration_list.select_id(target)
        await pilot.press("A")
        await pilot.pause()
        assert isinstance(app.screen, AckDialog)

    assert snap_compare(app, terminal_size=SMALL, run_before=prepare(app, open_dialog))
