"""Pilot tests of the activity feed (``w``) and of who the UI's actions are recorded as
(fixed clock, no live timer, no sleeps: each step waits for the workers)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pilot_support import run, settle
from textual.pilot import Pilot
from textual.widgets import Input, Static

from syncwatch.actions import Action, perform
from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.feed import DEFAULT_PAGE, FeedKind
from syncwatch.states import IntegrationState
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.screens.feed import FeedList, FeedScreen
from syncwatch.tui.screens.main import MainScreen
from syncwatch.tui.widgets.integration_list import IntegrationList

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # the fixed clock of conftest.py


def make_app(store: Store, clock: FixedClock, **kwargs: object) -> SyncwatchApp:
    return SyncwatchApp(store, clock, live=False, **kwargs)  # type: ignore[arg-type]


async def open_feed(pilot: Pilot[object]) -> FeedScreen:
    await settle(pilot)
    await pilot.press("w")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, FeedScreen)
    return screen


def shown(screen: FeedScreen) -> list[tuple[str, str, str | None]]:
    return [(e.kind.value, e.integration_id, e.actor) for e in screen.query_one(FeedList).items]


def status(screen: FeedScreen) -> str:
    line = screen.query_one("#feed-status", Static).content
    return str(getattr(line, "plain", line))


async def type_filter(pilot: Pilot[object], text: str) -> None:
    await pilot.press("slash")
    field = pilot.app.screen.query_one("#feed-filter", Input)
    field.value = ""
    await pilot.press(*text)
    await settle(pilot)


async def test_an_action_in_the_ui_is_recorded_as_the_apps_operator(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock, actor="carol")
    async with run(app) as pilot:
        await settle(pilot)
        assert app.main.query_one(IntegrationList).select_id("greenhouse:orchid")
        await pilot.press("x")
        await settle(pilot)
        feed = await open_feed(pilot)
        # Newest first: the transition the action caused above the action (both at the
        # fixed clock's time), then its history at the times it happened.
        orchid = [
            e for e in feed.query_one(FeedList).items if e.integration_id == "greenhouse:orchid"
        ]
        assert [(e.kind, e.to_state, e.actor) for e in orchid] == [
            (FeedKind.TRANSITION, IntegrationState.INACTIVE, None),
            (FeedKind.ACTION, IntegrationState.INACTIVE, "carol"),
            (FeedKind.TRANSITION, IntegrationState.SYNC_FAILING, None),
            (FeedKind.TRANSITION, IntegrationState.ACTIVE, None),
        ]
        assert orchid[0].at == orchid[1].at == NOW > orchid[2].at > orchid[3].at
    assert [(a.action, a.actor) for a in store.audit("greenhouse:orchid")] == [
        ("deactivate", "carol")
    ]


async def test_without_a_name_the_ui_records_syncwatch_operator(
    store: Store, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNCWATCH_OPERATOR", "night-shift")
    app = make_app(store, clock)
    async with run(app) as pilot:
        await settle(pilot)
        assert app.main.query_one(IntegrationList).select_id("personio:acme")
        await pilot.press("x")
        await settle(pilot)
    assert [a.actor for a in store.audit("personio:acme")] == ["night-shift"]


async def test_the_filter_narrows_as_you_type_and_says_what_it_cannot_read(
    store: Store, clock: FixedClock
) -> None:
    perform(store, Action.DEACTIVATE, "personio:acme", NOW, actor="alice")
    perform(store, Action.DEACTIVATE, "greenhouse:orchid", NOW, actor="bob")
    app = make_app(store, clock)
    async with run(app) as pilot:
        feed = await open_feed(pilot)
        everything = shown(feed)
        assert len(everything) > 4
        await type_filter(pilot, "actor:bob")
        assert shown(feed) == [("action", "greenhouse:orchid", "bob")]
        await type_filter(pilot, "vantage")
        assert {iid for _, iid, _ in shown(feed)} == {"hibob:vantage"}
        await type_filter(pilot, "vantage state:nonsense")
        assert "unknown state 'nonsense'" in status(feed)
        assert {iid for _, iid, _ in shown(feed)} == {"hibob:vantage"}  # left as it was
        # Escape clears the filter (the whole feed again), then goes back to the list.
        await pilot.press("escape")
        await settle(pilot)
        assert shown(feed) == everything
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)


async def test_enter_shows_the_entrys_integration_in_the_list_even_when_filtered_out(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app) as pilot:
        await settle(pilot)
        the_list = app.main.query_one(IntegrationList)
        the_list.filter_text = "acme"  # hides the deleted lever:foxglove twice over
        await pilot.pause()
        feed = await open_feed(pilot)
        await type_filter(pilot, "foxglove")
        await pilot.press("enter")  # keeps the filter, focus back on the feed
        await pilot.press("enter")  # jumps
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert feed not in app.screen_stack
        assert the_list.cursor_row is not None
        assert the_list.cursor_row.id == "lever:foxglove"
        assert the_list.filter_text == ""


async def test_m_loads_the_next_page_of_older_entries(store: Store, clock: FixedClock) -> None:
    for _ in range(DEFAULT_PAGE // 2):
        perform(store, Action.DEACTIVATE, "personio:acme", NOW, actor="alice")
        perform(store, Action.REACTIVATE, "personio:acme", NOW, actor="alice")
    app = make_app(store, clock)
    async with run(app) as pilot:
        feed = await open_feed(pilot)
        first = list(feed.query_one(FeedList).items)
        assert len(first) == DEFAULT_PAGE
        assert "m: older" in status(feed)
        await pilot.press("m")
        await settle(pilot)
        items = list(feed.query_one(FeedList).items)
        assert items[:DEFAULT_PAGE] == first
        assert len(items) == DEFAULT_PAGE * 2
        keys = [e.sort_key() for e in items]
        assert keys == sorted(keys, reverse=True) and len(set(keys)) == len(keys)


async def test_the_feed_shows_what_a_pass_brings(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app) as pilot:
        feed = await open_feed(pilot)
        before = len(feed.query_one(FeedList).items)
        # Another process acts (the CLI, a teammate): the next pass brings it.
        perform(store, Action.RELEASE_QA, "ashby:quill", NOW, actor="teammate")
        app.action_refresh_now()
        await settle(pilot)
        await settle(pilot)
        items = [e for e in feed.query_one(FeedList).items if e.integration_id == "ashby:quill"]
        assert len(feed.query_one(FeedList).items) == before + 2
        assert (items[0].kind, items[0].to_state) == (
            FeedKind.TRANSITION,
            IntegrationState.SYNC_HAS_WARNINGS,
        )
        assert (items[1].kind, items[1].actor) == (FeedKind.ACTION, "teammate")
        assert items[0].at == items[1].at == NOW
