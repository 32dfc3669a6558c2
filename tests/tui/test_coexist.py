"""The UI's own background pass and a headless evaluator share one database (issue 5).

A real ``syncwatch evaluator`` process loops on the database while the app runs its live
timer on the same one and an operator acts through the keys: the action sticks, neither
side reports an error, and no transition is recorded twice.

Nothing waits for time to pass: the evaluator reports each pass it starts through a pipe,
and the app's live timer goes off when the test fires it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

from pilot_support import ManualTimers, notifications, run, settle

from builders import NOW, ago, integration_record, sync_record
from syncwatch.clock import FixedClock, iso
from syncwatch.db import Store
from syncwatch.importer import import_parsed, parse_bytes
from syncwatch.states import IntegrationState
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.widgets.integration_list import IntegrationList

SIZE = (160, 45)
INTERVAL = 0.05
#: How long a wait for an event may last before the test fails instead of hanging.
HANG = 120.0

#: ``syncwatch evaluator`` (its command line: ``argv[2:]``), which also writes one byte to
#: the file descriptor ``argv[1]`` as each of its passes starts.
EVALUATOR = """
import os, sys
from syncwatch.cli import main
from syncwatch.db import Store
evaluate_pass = Store.evaluate_pass
def announced(self, now, **kwargs):
    os.write(int(sys.argv[1]), b".")
    return evaluate_pass(self, now, **kwargs)
Store.evaluate_pass = announced
sys.exit(main(sys.argv[2:]))
"""


class Passes:
    """The evaluator's passes, as announced on the read end of its pipe."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def _read(self) -> None:
        assert os.read(self.fd, 1) == b".", "the headless evaluator stopped on its own"

    def forget_started(self) -> None:
        """Forget the passes started so far."""
        while select.select([self.fd], [], [], 0)[0]:
            assert os.read(self.fd, 4096), "the headless evaluator stopped on its own"

    async def wait_started(self, n: int) -> None:
        """Wait until ``n`` more passes have started (so ``n - 1`` have also finished)."""
        for _ in range(n):
            await asyncio.wait_for(asyncio.to_thread(self._read), HANG)


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


async def test_ui_live_pass_and_headless_evaluator_coexist(db_url: str, tmp_path: Path) -> None:
    store = Store.open(db_url)
    _world(store)
    env = {**os.environ, "SYNCWATCH_DB": db_url, "SYNCWATCH_NOW": iso(NOW)}
    announced, announce = os.pipe()
    evaluator = subprocess.Popen(
        [sys.executable, "-c", EVALUATOR, str(announce),
         "evaluator", "--interval", str(INTERVAL), "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        pass_fds=(announce,),
    )  # fmt: skip
    os.close(announce)  # the child holds the only write end: EOF when it ends
    passes = Passes(announced)
    try:
        # A FixedClock keeps the app from ticking on its own; the live timer still runs passes.
        app = SyncwatchApp(store, FixedClock(NOW), interval=INTERVAL, live=True)
        live = ManualTimers(app, INTERVAL)
        async with run(app, SIZE) as pilot:
            await settle(pilot)
            assert app.rows, "the first pass loaded the list"
            the_list = app.main.query_one(IntegrationList)
            for target in ("personio:org03", "personio:org07", "personio:org12"):
                assert the_list.select_id(target)
                await pilot.pause()
                await pilot.press("x")  # deactivate
                await settle(pilot)
                # Both sides run passes over the committed change: the app's live timer goes
                # off twice, and the evaluator runs at least one whole pass.
                passes.forget_started()
                for _ in range(2):
                    await live.fire(pilot)
                await passes.wait_started(2)
                await settle(pilot)
                assert app.rows[target].state is IntegrationState.INACTIVE
            errors = [n.message for n in notifications(app) if n.severity == "error"]
            assert errors == []
        assert evaluator.poll() is None, "the headless evaluator stopped on its own"
    finally:
        if evaluator.poll() is None:
            evaluator.send_signal(signal.SIGTERM)
        out, err = evaluator.communicate(timeout=HANG)
        os.close(announced)
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
