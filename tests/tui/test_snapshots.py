"""Snapshot tests: how the terminal UI looks, screen by screen, on the bundled sample.

Deterministic by construction: a fixed clock (2026-11-26T12:00:00Z), the sample shifted to it,
a database file with a fixed name, no live timer (``live=False``), no timer building the
drill-down ahead, no blinking cursors, the header's "last pass" time pinned to the fixed clock,
and no sleeps: each step waits for the app's workers and messages.

The snapshots live in ``tests/tui/__snapshots__/test_snapshots/``. After an intended change of
the look, regenerate them and review the diff::

    uv run pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pilot_support import settle
from textual.pilot import Pilot
from textual.widgets import Input

from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.db.tables import integrations as I
from syncwatch.importer import load_sample
from syncwatch.kombo.apply import receive_event
from syncwatch.kombo.events import parse_event
from syncwatch.states import IntegrationState, SyncState
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.screens.confirm import ConfirmCredentials, ConfirmDelete
from syncwatch.tui.screens.detail import IntegrationScreen
from syncwatch.tui.screens.help import HelpScreen
from syncwatch.tui.screens.main import MainScreen
from syncwatch.tui.widgets.integration_list import IntegrationList

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WIDE = (160, 45)
SMALL = (80, 24)
DB_NAME = "syncwatch.db"

SnapCompare = Callable[..., bool]
Steps = Callable[[Pilot[Any], SyncwatchApp], Awaitable[None]]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample, loaded once at ``NOW``; each test works on its own copy."""
    path = tmp_path_factory.mktemp("sample") / DB_NAME
    store = Store.open(path)
    try:
        load_sample(store, NOW)
    finally:
        store.close()
    return path


@pytest.fixture
def store(sample_db: Path, tmp_path: Path) -> Iterator[Store]:
    copy = tmp_path / DB_NAME
    shutil.copyfile(sample_db, copy)
    s = Store.open(copy)
    yield s
    s.close()


@pytest.fixture
def make_app(store: Store, monkeypatch: pytest.MonkeyPatch) -> Callable[..., SyncwatchApp]:
    """The app on the fixed clock, live refresh off, in the default dark theme.

    The theme is set explicitly and NO_COLOR dropped, so the user's environment
    (``TEXTUAL_THEME``, ``NO_COLOR``) does not change the pictures.
    """
    monkeypatch.delenv("NO_COLOR", raising=False)

    def make(*, read_only: bool = False) -> SyncwatchApp:
        app = SyncwatchApp(store, FixedClock(NOW), live=False, read_only=read_only)
        # The drill-down is built when first opened, not by a timer half a second of wall
        # time after the list shows: which of the two came first depended on the machine.
        app.PREBUILD_DETAIL_AFTER = None
        app.theme = "textual-dark"
        return app

    return make


# --------------------------------------------------------------------------- helpers


async def open_drill_down(pilot: Pilot[Any], app: SyncwatchApp, target: str) -> IntegrationScreen:
    """Select ``target`` in the list, press enter and return the drill-down once settled."""
    assert app.main.integration_list.select_id(target)
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, IntegrationScreen)
    return screen


def freeze(app: SyncwatchApp) -> None:
    """Take wall-clock time and blinking out of the picture.

    The header says when the last evaluation pass ran, in real time: pin it to the fixed clock.
    """
    app.last_pass_at = NOW
    app.update_header()
    for screen in app.screen_stack:
        for field in screen.query(Input):
            field.cursor_blink = False


def prepare(app: SyncwatchApp, steps: Steps | None = None) -> Callable[[Pilot[Any]], Any]:
    """A ``run_before`` for ``snap_compare``: settle, run ``steps``, settle, freeze."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        if steps is not None:
            await steps(pilot, app)
            await settle(pilot)
        freeze(app)
        await pilot.wait_for_scheduled_animations()
        await settle(pilot)

    return run_before


def failing_workday(store: Store) -> str:
    """The Workday integration whose syncs are failing (found by state, not by id)."""
    failing = [
        r
        for r in store.integrations()
        if r.state is IntegrationState.SYNC_FAILING and r.tool == "workday"
    ]
    assert failing, "the sample has no failing Workday integration"
    return failing[0].id


# --------------------------------------------------------------------------- snapshots


def test_main_screen(snap_compare: SnapCompare, make_app: Callable[..., SyncwatchApp]) -> None:
    app = make_app()

    async def check(pilot: Pilot[Any], app: SyncwatchApp) -> None:
        assert isinstance(app.screen, MainScreen)
        assert len(app.rows) > 50

    assert snap_compare(app, terminal_size=WIDE, run_before=prepare(app, check))


def test_drill_down_shows_the_failing_sync_log(
    snap_compare: SnapCompare, make_app: Callable[..., SyncwatchApp], store: Store
) -> None:
    app = make_app()
    target = failing_workday(store)

    async def open_it(pilot: Pilot[Any], app: SyncwatchApp) -> None:
        screen = await open_drill_down(pilot, app, target)
        assert screen.integration_id == target
        selected = next(s for s in screen.syncs if s.id == screen.sync_id)
        assert selected.state is SyncState.FAILED
        assert any(e.level == "ERROR" for e in screen.visible_logs())

    assert snap_compare(app, terminal_size=WIDE, run_before=prepare(app, open_it))


def test_delete_confirmation(
    snap_compare: SnapCompare, make_app: Callable[..., SyncwatchApp]
) -> None:
    app = make_app()

    async def delete(pilot: Pilot[Any], app: SyncwatchApp) -> None:
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDelete)

    assert snap_compare(app, terminal_size=WIDE, run_before=prepare(app, delete))


def test_credentials_confirmation_at_80_columns(
    snap_compare: SnapCompare, make_app: Callable[..., SyncwatchApp], store: Store
) -> None:
    """``c`` on a Workday integration failing because the tool is down: the dialog says it
    is not about authentication, what updating would do, and fits 80x24."""
    app = make_app()
    target = failing_workday(store)

    async def update(pilot: Pilot[Any], app: SyncwatchApp) -> None:
        assert app.main.query_one(IntegrationList).select_id(target)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmCredentials)

    assert snap_compare(app, terminal_size=SMALL, run_before=prepare(app, update))


def test_help_screen(snap_compare: SnapCompare, make_app: Callable[..., SyncwatchApp]) -> None:
    app = make_app()

    async def help_(pilot: Pilot[Any], app: SyncwatchApp) -> None:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)

    assert snap_compare(app, terminal_size=WIDE, run_before=prepare(app, help_))


def test_read_only_greys_out_actions(
    snap_compare: SnapCompare, make_app: Callable[..., SyncwatchApp]
) -> None:
    app = make_app(read_only=True)

    async def check(pilot: Pilot[Any], app: SyncwatchApp) -> None:
        assert app.check_action("op", ("delete",)) is None

    assert snap_compare(app, terminal_size=WIDE, run_before=prepare(app, check))


def test_small_terminal(snap_compare: SnapCompare, make_app: Callable[..., SyncwatchApp]) -> None:
    app = make_app()
    assert snap_compare(app, terminal_size=SMALL, run_before=prepare(app))


def test_light_theme(snap_compare: SnapCompare, make_app: Callable[..., SyncwatchApp]) -> None:
    app = make_app()

    async def light(pilot: Pilot[Any], app: SyncwatchApp) -> None:
        app.theme = "textual-light"

    assert snap_compare(app, terminal_size=WIDE, run_before=prepare(app, light))


def test_drill_down_with_kombo_issues_gone_and_a_log_link(
    snap_compare: SnapCompare, make_app: Callable[..., SyncwatchApp], store: Store
) -> None:
    """What Kombo reported: an open and a resolved issue (markdown shown as written), a
    failed sync with its log link, and a pull that found the integration gone."""
    target = failing_workday(store)
    row = store.get(target)
    assert row is not None
    ref = {
        "id": target,
        "tool": row.tool,
        "category": row.category,
        "end_user": {
            "organization_name": row.organization,
            "creator_email": None,
            "origin_id": None,
        },
    }

    def receive(event_id: str, kind: str, data: dict[str, Any]) -> None:
        body = json.dumps({"id": event_id, "type": kind, "data": data})
        receive_event(store, parse_event(body.encode()), body, NOW)

    def issue(
        issue_id: str, status: str, title: str, message: str, first: str, resolved: str | None
    ) -> None:
        data = {
            "change": "raised" if status == "OPEN" else "resolved",
            "issue": {
                "id": issue_id, "type": "integration.sync_failed", "title": title,
                "status": status, "markdown_message": message,
                "first_observed_at": first, "resolved_at": resolved,
            },
            "integration": ref,
        }  # fmt: skip
        receive(f"evt_{issue_id}_{status}", "issue-status-changed", data)

    issue(
        "iss_old", "RESOLVED", "Rate limited by Workday",
        "Kombo was **rate limited**; it retried and caught up.",
        "2026-11-24T08:00:00Z", "2026-11-24T09:30:00Z",
    )  # fmt: skip
    issue(
        "iss_down", "OPEN", "Workday API unavailable",
        "Workday answers `503` to every request. Check [Workday's status page](https://status.workday.com).",
        "2026-11-26T10:00:00Z", None,
    )  # fmt: skip
    receive(
        "evt_sync",
        "sync-finished",
        {
            "sync_id": "sync_kombo_0001", "sync_state": "FAILED",
            "sync_started_at": "2026-11-26T11:00:00Z", "sync_ended_at": "2026-11-26T11:04:00Z",
            "sync_duration_seconds": 240, "integration_id": target,
            "integration_tool": row.tool, "integration_category": row.category,
            "end_user": ref["end_user"],
            "log_url": "https://app.kombo.dev/env/production/logs/sync_kombo_0001",
        },
    )  # fmt: skip
    with store.write() as conn:  # what a pull answered 404 stores
        conn.execute(
            I.update()
            .where(I.c.id == target)
            .values(upstream_gone_at=NOW, revision=store.next_revision(conn))
        )
    app = make_app()

    async def open_it(pilot: Pilot[Any], app: SyncwatchApp) -> None:
        screen = await open_drill_down(pilot, app, target)
        assert screen.sync_id == "sync_kombo_0001"
        assert [i.id for i in screen.issues] == ["iss_down", "iss_old"]

    assert snap_compare(app, terminal_size=WIDE, run_before=prepare(app, open_it))
