"""The UI's own background pass and a headless evaluator share one database (issue 5).

A real ``syncwatch evaluator`` process loops on the database while the app runs its live
timer on the same one and an operator acts through the keys: the action sticks, neither
side reports an error, and no transition is recorded twice.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from textual.pilot import Pilot
from textual.worker import WorkerFailed

from builders import NOW, ago, integration_record, sync_record
from syncwatch.clock import FixedClock, iso
from syncwatch.importer import import_parsed, parse_bytes
from syncwatch.states import IntegrationState
from syncwatch.store import Store
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.widgets.integration_list import IntegrationList

SIZE = (160, 45)


def _world(store: Store) -> None:
    records = [
        integration_record(
            f"personio:org{i:02d}",
            filters_configured=True,
            syncs=[
                sync_record(f"s{i:02d}a", "SUCCEEDED", ago(hours=6)),
                sync_record(f"s{i:02d}b", "FAILED" if i % 3 == 0 else "SUCCEEDED", ago(hours=2)),
            ],
        )
        for i in range(30)
    ]
    doc = json.dumps({"integrations": records}).encode()
    import_parsed(store, [parse_bytes(doc, "world.json")], NOW)


async def _settle(pilot: Pilot[object]) -> None:
    for _ in range(3):
        with contextlib.suppress(WorkerFailed):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def test_ui_live_pass_and_headless_evaluator_coexist(db_url: str, tmp_path: Path) -> None:
    store = Store.open(db_url)
    _world(store)
    env = {**os.environ, "SYNCWATCH_DB": db_url, "SYNCWATCH_NOW": iso(NOW)}
    evaluator = subprocess.Popen(
        [sys.executable, "-m", "syncwatch", "evaluator", "--interval", "0.05", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # A FixedClock keeps the app from ticking on its own; the live timer still runs passes.
        app = SyncwatchApp(store, FixedClock(NOW), interval=0.05, live=True)
        async with app.run_test(size=SIZE) as pilot:
            await _settle(pilot)
            for _ in range(100):  # the first pass and load can take a moment on a busy machine
                if app.main.query(IntegrationList) and app.rows:
                    break
                await pilot.pause(0.05)
            the_list = app.main.query_one(IntegrationList)
            for target in ("personio:org03", "personio:org07", "personio:org12"):
                assert the_list.select_id(target)
                await pilot.pause()
                await pilot.press("x")  # deactivate
                await _settle(pilot)
                # Let both sides run several passes over the change.
                deadline = time.monotonic() + 1.0
                while time.monotonic() < deadline:
                    await pilot.pause(0.05)
                await _settle(pilot)
                assert app.rows[target].state is IntegrationState.INACTIVE
            errors = [n.message for n in app._notifications if n.severity == "error"]
            assert errors == []
        assert evaluator.poll() is None, "the headless evaluator stopped on its own"
    finally:
        if evaluator.poll() is None:
            evaluator.send_signal(signal.SIGTERM)
        out, err = evaluator.communicate(timeout=30)
    assert evaluator.returncode == 0, err
    assert "Traceback" not in err

    for target in ("personio:org03", "personio:org07", "personio:org12"):
        row = store.get(target)
        assert row is not None and row.state is IntegrationState.INACTIVE and not row.enabled
    for row in store.integrations():
        states = [h.to_state for h in store.history(row.id)]
        assert all(a != b for a, b in itertools.pairwise(states)), (row.id, states)
    # Whatever the evaluator printed is a transition the history holds exactly once.
    seqs = [json.loads(line)["seq"] for line in out.splitlines() if line.strip()]
    assert len(seqs) == len(set(seqs))
    store.close()
