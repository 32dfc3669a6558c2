"""Demo mode in the UI: the engine runs on a fast clock and states change on their own."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pilot_support import ManualRealTime, ManualTimers, settle

from syncwatch.clock import SimulatedClock
from syncwatch.db import Store
from syncwatch.demo import DemoEngine
from syncwatch.states import IntegrationState
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.widgets.integration_list import IntegrationList

START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
INTERVAL = 0.2


async def test_demo_state_change_appears_without_a_key(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "demo.db")
    engine = DemoEngine(store, scenario="tour", seed=0, start=START)
    engine.setup()
    # Ten simulated hours a (test-driven) second: the tour's first QA hold (+45 min) and the
    # Workday outage (+5 h) both come within 0.6 s of it.
    real = ManualRealTime()
    clock = SimulatedClock(START, speed=36000.0, real=real)
    app = SyncwatchApp(store, clock, interval=INTERVAL, demo=engine)
    live = ManualTimers(app, INTERVAL)  # the live refresh goes off when the test says
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        before = {iid: row.state for iid, row in app.rows.items()}
        assert before, "the demo's integrations are listed"
        # No key is pressed: the clock moves on, the live timer goes off, and the engine and
        # the evaluator do the rest.
        real.advance(0.6)
        await live.fire(pilot)
        changed: dict[str, IntegrationState | None] = {
            iid: row.state for iid, row in app.rows.items() if row.state != before.get(iid)
        }
        assert changed, "no state changed on its own"
        # The list shows it: the changed integration's row carries its new state.
        listed = app.main.query_one(IntegrationList).rows
        for iid, state in changed.items():
            assert listed[iid].state is state
        assert "simulated" in str(app.sub_title)
        assert live.armed, "the live refresh is armed again after its pass"
        await pilot.press("ctrl+q")
