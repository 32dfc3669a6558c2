"""Pilot tests of the as-of screen: the fleet as the history records it at a past time,
read-only. The history here: the sample imported at NOW, Acme deactivated half an hour
later, Quill deleted a day later; the app's clock two hours after that. The screen is
opened by the app's ``as_of`` action, and by its key (@) on the list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pilot_support import notifications, run, settle
from textual.pilot import Pilot
from textual.widgets import Input, Static

from syncwatch.actions import Action, perform
from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.states import IntegrationState
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.screens.as_of import AsOfList, AsOfScreen
from syncwatch.tui.screens.main import MainScreen

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # the fixed clock of conftest.py
DEACTIVATED = NOW + timedelta(minutes=30)
DELETED = NOW + timedelta(days=1)
LATER = DELETED + timedelta(hours=2)


@pytest.fixture
def history(store: Store) -> Store:
    perform(store, Action.DEACTIVATE, "personio:acme", DEACTIVATED, actor="alice")
    perform(store, Action.DELETE, "ashby:quill", DELETED, actor="bob")
    return store


def make_app(store: Store) -> SyncwatchApp:
    app = SyncwatchApp(store, FixedClock(LATER), live=False)
    app.PREBUILD_DETAIL_AFTER = None
    return app


async def open_as_of(pilot: Pilot[Any]) -> AsOfScreen:
    await settle(pilot)
    pilot.app.action_as_of()
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AsOfScreen)
    return screen


def banner(screen: AsOfScreen) -> str:
    content = screen.query_one("#as-of-banner", Static).content
    return str(getattr(content, "plain", content))


def status(screen: AsOfScreen) -> str:
    content = screen.query_one("#as-of-status", Static).content
    return str(getattr(content, "plain", content))


def states(screen: AsOfScreen) -> dict[str, IntegrationState | None]:
    """The states of the rows the list shows (deleted ones hidden, as on the main list)."""
    return {r.id: r.state for r in screen.query_one(AsOfList).items}


async def test_it_opens_an_hour_back_marked_as_the_past(history: Store) -> None:
    app = make_app(history)
    async with run(app) as pilot:
        screen = await open_as_of(pilot)
        assert banner(screen).startswith("AS OF 2026-11-27 13:00 UTC - read-only")
        shown = states(screen)
        assert shown["personio:acme"] is IntegrationState.INACTIVE
        assert "ashby:quill" not in shown  # deleted by then: hidden, as on the list
        assert "deleted by then" in status(screen)
        await pilot.press("full_stop")
        assert states(screen)["ashby:quill"] is IntegrationState.DELETED


async def test_steps_change_the_rows_states_and_stop_at_the_ends(history: Store) -> None:
    app = make_app(history)
    async with run(app) as pilot:
        screen = await open_as_of(pilot)
        recorded = {r.id: history.history(r.id) for r in history.integrations()}
        await pilot.press("left_curly_bracket")  # a day back: NOW + 1 h
        await settle(pilot)
        assert banner(screen).startswith("AS OF 2026-11-26 13:00 UTC")
        shown = states(screen)
        assert shown["personio:acme"] is IntegrationState.INACTIVE
        assert shown["ashby:quill"] is IntegrationState.QUALITY_ASSURANCE  # not deleted yet
        await pilot.press("left_square_bracket")  # an hour back: before the deactivation
        await settle(pilot)
        assert banner(screen).startswith("AS OF 2026-11-26 12:00 UTC")
        assert states(screen)["personio:acme"] is IntegrationState.ACTIVE
        # The history starts when the first integration was created (2026-11-01 09:00):
        # a time before it stays at its start, and a step back from there goes nowhere.
        await pilot.press("t", *"2026-10-01T00:00Z", "enter")
        await settle(pilot)
        assert banner(screen).startswith("AS OF 2026-11-01 09:00 UTC")
        assert "the history starts at 2026-11-01 09:00 UTC" in status(screen)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert banner(screen).startswith("AS OF 2026-11-01 09:00 UTC")
        assert "the history starts at 2026-11-01 09:00 UTC" in status(screen)
        await pilot.press("right_curly_bracket")  # a day on from the start
        await settle(pilot)
        assert banner(screen).startswith("AS OF 2026-11-02 09:00 UTC")
        await pilot.press("t", *"2026-11-27T12:00Z", "enter")
        await settle(pilot)
        for _ in range(3):  # past now: stops at now
            await pilot.press("right_curly_bracket")
        await settle(pilot)
        assert banner(screen).startswith("AS OF 2026-11-27 14:00 UTC (now)")
        assert "past now" in status(screen)
        # Looking wrote nothing.
        assert {r.id: history.history(r.id) for r in history.integrations()} == recorded


async def test_a_typed_time(history: Store) -> None:
    app = make_app(history)
    async with run(app) as pilot:
        screen = await open_as_of(pilot)
        await pilot.press("t")
        field = screen.query_one("#as-of-time", Input)
        assert field.display and field.has_focus
        await pilot.press(*"2026-11-26T12:10Z", "enter")
        await settle(pilot)
        assert banner(screen).startswith("AS OF 2026-11-26 12:10 UTC")
        assert states(screen)["personio:acme"] is IntegrationState.ACTIVE
        await pilot.press("t", *"26h", "enter")  # how long ago
        await settle(pilot)
        assert banner(screen).startswith("AS OF 2026-11-26 12:00 UTC")
        await pilot.press("t", *"whenever", "enter")
        await settle(pilot)
        assert "is not a time" in status(screen)
        assert banner(screen).startswith("AS OF 2026-11-26 12:00 UTC")  # kept


async def test_operator_actions_are_refused_saying_why(history: Store) -> None:
    app = make_app(history)
    async with run(app) as pilot:
        screen = await open_as_of(pilot)
        before = {r.id: r.state for r in history.integrations()}
        for key in ("r", "x", "d", "c", "enter"):
            await pilot.press(key)
        await settle(pilot)
        assert isinstance(app.screen, AsOfScreen)  # no confirmation, no drill-down
        told = [n.message for n in notifications(app)]
        assert any(m.startswith("Reactivate is not available here") for m in told)
        assert any("Opening and marking are not available here" in m for m in told)
        assert all("read-only" in m for m in told[-5:])
        assert {r.id: r.state for r in history.integrations()} == before
        assert len(history.audit()) == 2
        # The palette's way in (the app's action) is refused too.
        app.action_op(Action.DEACTIVATE.value)
        await settle(pilot)
        assert {r.id: r.state for r in history.integrations()} == before
        assert screen is app.screen


async def test_at_opens_it_from_the_list_and_kombo_requests_are_refused_there(
    history: Store,
) -> None:
    app = make_app(history)
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("at")
        await settle(pilot)
        assert isinstance(app.screen, AsOfScreen)
        for key in ("L", "T"):
            await pilot.press(key)
        await settle(pilot)
        told = [n.message for n in notifications(app)]
        assert any(m.startswith("A reconnection link is not available here") for m in told)
        assert any(m.startswith("Triggering a sync is not available here") for m in told)
        assert len(history.audit()) == 2  # nothing asked of Kombo, nothing recorded


async def test_escape_leaves_for_the_live_list(history: Store) -> None:
    app = make_app(history)
    async with run(app) as pilot:
        await open_as_of(pilot)
        await pilot.press("t")
        await pilot.press("escape")  # first the time field
        assert isinstance(app.screen, AsOfScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)


def test_the_as_of_screen(
    snap_compare: Callable[..., bool], history: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    app = make_app(history)
    app.theme = "textual-dark"

    async def run_before(pilot: Pilot[Any]) -> None:
        await open_as_of(pilot)
        await pilot.press("left_curly_bracket")
        await settle(pilot)
        app.last_pass_at = LATER
        app.update_header()
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, terminal_size=(160, 30), run_before=run_before)
