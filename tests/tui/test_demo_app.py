"""Demo mode in the UI: the engine runs on a fast clock and states change on their own."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from syncwatch.clock import SimulatedClock
from syncwatch.demo import DemoEngine
from syncwatch.states import IntegrationState
from syncwatch.store import Store
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.widgets.integration_list import IntegrationList

START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


async def test_demo_state_change_appears_without_a_key(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "demo.db")
    engine = DemoEngine(store, scenario="tour", seed=0, start=START)
    engine.setup()
    # Ten simulated hours a second: the tour's first QA hold (+45 min) and the Workday
    # outage (+5 h) come within the first real second or so.
    clock = SimulatedClock(START, speed=36000.0)
    app = SyncwatchApp(store, clock, interval=0.2, demo=engine)
    async with app.run_test(size=(160, 45)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        before = {iid: row.state for iid, row in app.rows.items()}
        assert before, "the demo's integrations are listed"
        # No key is pressed: the timer, the engine and the evaluator do it all. Bounded wait.
        changed: dict[str, IntegrationState | None] = {}
        for _ in range(100):
            await pilot.pause(0.1)
            changed = {
                iid: row.state for iid, row in app.rows.items() if row.state != before.get(iid)
            }
            if changed:
                break
        assert changed, "no state changed on its own"
        # The list shows it: the changed integration's row carries its new state.
        listed = app.main.query_one(IntegrationList).rows
        for iid, state in changed.items():
            assert listed[iid].state is state
        assert "simulated" in str(app.sub_title)
        await pilot.press("ctrl+q")
