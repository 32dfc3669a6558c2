"""The demo tells its story (issue 15, item 11): ``+`` and ``-`` step the simulated clock
through round speeds (a minute, ten minutes, an hour, six hours, a day a second), never
landing on ×3840 as doubling from the ×60 floor did (pilot)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pilot_support import notifications, run, settle

from syncwatch.clock import SimulatedClock
from syncwatch.db import Store
from syncwatch.demo import SPEED_LADDER, DemoEngine, next_speed
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
