"""The demo tells its story (issue 15, item 11): a caption when each scripted event
happens, the operator's scripted actions saying so, an end card; ``+`` and ``-`` step the
simulated clock through round speeds (a minute, ten minutes, an hour, six hours, a day a
second), never landing on ×3840 as doubling from the ×60 floor did (pilot)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pilot_support import ManualRealTime, notifications, run, settle
from textual.pilot import Pilot

from syncwatch.clock import SimulatedClock
from syncwatch.db import Store
from syncwatch.demo import SPEED_LADDER, DemoEngine, next_speed
from syncwatch.states import IntegrationState
from syncwatch.tui.app import SyncwatchApp

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def test_the_ladder_steps_to_the_nearest_rung_and_stops_at_the_ends() -> None:
    assert SPEED_LADDER == (60.0, 600.0, 3600.0, 21600.0, 86400.0)
    assert next_speed(3600, faster=True) == 21600
    assert next_speed(3600, faster=False) == 600
    assert next_speed(86400, faster=True) == 86400
    assert next_speed(60, faster=False) == 60
    # Off the ladder (demo --speed 1000): the nearest rung that way.
    assert next_speed(1000, faster=True) == 3600
    assert next_speed(1000, faster=False) == 600


async def test_plus_and_minus_step_through_round_speeds(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "demo.db")
    try:
        engine = DemoEngine(store, scenario="tour", seed=0, start=START)
        engine.setup()
        clock = SimulatedClock(START, speed=3600.0)
        app = SyncwatchApp(store, clock, interval=3600, demo=engine, live=False)
        async with run(app) as pilot:
            await settle(pilot)
            seen = []
            for key in ("minus", "minus", "minus", "plus", "plus", "plus", "plus", "plus"):
                await pilot.press(key)
                seen.append(clock.speed)
            assert seen == [600, 60, 60, 600, 3600, 21600, 86400, 86400]
            told = [n.message for n in notifications(app) if "Simulated clock" in n.message]
            assert told[0] == "Simulated clock: ×600 (10 minutes a second)"
            assert "Simulated clock: ×3600 (an hour a second)" in told
            assert "Simulated clock: ×86400 (a day a second)" in told
            assert all("3840" not in t for t in told)
            await pilot.press("ctrl+q")
    finally:
        store.close()


def demo_app(tmp_path: Path) -> tuple[SyncwatchApp, ManualRealTime, Store]:
    store = Store.open(tmp_path / "story.db")
    engine = DemoEngine(store, scenario="tour", seed=0, start=START)
    engine.setup()
    real = ManualRealTime()
    clock = SimulatedClock(START, speed=3600.0, real=real)
    return SyncwatchApp(store, clock, interval=3600, demo=engine, live=False), real, store


async def pass_after(pilot: Pilot[Any], real: ManualRealTime, hours: float) -> None:
    """``hours`` of simulated time go by (a real second is an hour), then a pass runs."""
    real.advance(hours)
    await pilot.app.workers.wait_for_complete()
    pilot.app.action_refresh_now()
    await settle(pilot)


def story_told(app: SyncwatchApp) -> list[tuple[str, str]]:
    return [(n.title, n.message) for n in notifications(app) if n.title.startswith("Demo")]


async def test_captions_appear_with_their_events_and_the_end_card_last(tmp_path: Path) -> None:
    app, real, store = demo_app(tmp_path)
    try:
        async with run(app) as pilot:
            await settle(pilot)
            assert story_told(app) == []  # nothing has happened yet
            await pass_after(pilot, real, 4)
            told = story_told(app)
            assert len(told) == 1  # one notice for the pass, however many events
            assert told[0][1] == (
                "+8 min: Brightwave Health Inc.'s first Greenhouse sync runs, and finds issues\n"
                "+3 h: BambooHR revokes Kestrel Labs Ltd's API key"
            )
            await pass_after(pilot, real, 1)
            assert story_told(app)[-1] == ("Demo", "+4 h 30 min: the Workday API goes down")
            # The Workday integration is failing by then: the caption came with the event.
            workday = [r for r in app.rows.values() if r.tool == "workday"]
            assert [r.state for r in workday] == [IntegrationState.SYNC_FAILING]
            await pass_after(pilot, real, 6)
            assert "scripted" in story_told(app)[-1][1]  # the operator's actions say so
            assert "(scripted) the operator configures the filters of" in story_told(app)[-1][1]
            assert all(title == "Demo" for title, _ in story_told(app))
            await pass_after(pilot, real, 24 * 5)
            title, message = story_told(app)[-1]
            assert title == "Demo: the end"
            assert message.endswith("Act on it yourself, or q to quit.")
            await pass_after(pilot, real, 24)
            assert story_told(app)[-1][0] == "Demo: the end"  # told once, nothing after
            await pilot.press("ctrl+q")
    finally:
        store.close()


def test_snapshot_a_caption(
    snap_compare: Callable[..., bool], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tour five simulated hours in: the Workday API has gone down, and the caption
    says so beside the list that shows it."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    app, real, store = demo_app(tmp_path)
    app.PREBUILD_DETAIL_AFTER = None
    app.theme = "textual-dark"

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pass_after(pilot, real, 4)
        await pass_after(pilot, real, 1)
        await pilot.wait_for_scheduled_animations()
        await settle(pilot)

    try:
        assert snap_compare(app, terminal_size=(160, 45), run_before=run_before)
    finally:
        store.close()
