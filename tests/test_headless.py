"""The headless evaluator (``syncwatch evaluator``), on both backends.

The command runs in a real subprocess (``python -m syncwatch``) on a database prepared
in-process at ``NOW``; the evaluator runs three days later, when one integration's
authentication failures have lasted 72 hours and a development integration has had no API
request for 14 days. The hook and the loop's failure handling are also tested in-process.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import IO, Any

import pytest
import sqlalchemy as sa

from builders import NOW, ago, integration_record, sync_record
from syncwatch.clock import FixedClock, iso
from syncwatch.db import Store
from syncwatch.headless import TransitionCommand, run_evaluator
from syncwatch.importer import import_files
from syncwatch.rows import Transition
from syncwatch.states import IntegrationState
from syncwatch.transitions import transition_event

#: When the evaluator runs: three days after the import.
LATER = NOW + timedelta(days=3)

#: How long a wait for an event may last before the test fails instead of hanging. Only a
#: broken program reaches it: nothing here waits for time to pass.
HANG = 120.0

#: What the evaluator must find at ``LATER``: (id, from, to).
EXPECTED = {
    ("bamboohr:keyrot", "AUTHENTICATION_FAILING", "CREDENTIALS_INVALID"),
    ("personio:sandbox", "ACTIVE", "INACTIVE"),
}
#: When each happened by the rules: the 72-hour mark after the failing sync's end, and the
#: 14-day mark after the development integration's creation (both before ``LATER``).
EXPECTED_AT = {
    "bamboohr:keyrot": ago(hours=2) + timedelta(minutes=30) + timedelta(hours=72),
    "personio:sandbox": ago(days=12) + timedelta(days=14),
}


def prepare(url: str, tmp_path: Path) -> None:
    """Import three integrations at ``NOW``; two of them change state by ``LATER``."""
    records = [
        integration_record(
            "bamboohr:keyrot",
            organization="Keyrot AG",
            filters_configured=True,
            syncs=[
                sync_record("s_k1", "SUCCEEDED", ago(days=5)),
                sync_record("s_k2", "AUTHENTICATION_FAILED", ago(hours=2)),
            ],
        ),
        integration_record(
            "personio:sandbox",
            organization="Sandbox GmbH",
            environment="development",
            created_at=ago(days=12),
            filters_configured=True,
            syncs=[sync_record("s_p1", "SUCCEEDED", ago(days=11))],
        ),
        integration_record(
            "greenhouse:steady",
            organization="Steady Inc",
            category="ATS",
            filters_configured=True,
            syncs=[sync_record("s_g1", "SUCCEEDED", ago(hours=3))],
        ),
    ]
    path = tmp_path / "world.json"
    path.write_text(json.dumps({"integrations": records}), encoding="utf-8")
    store = Store.open(url)
    try:
        import_files(store, [str(path)], NOW)
    finally:
        store.close()


# --------------------------------------------------------------------------- subprocesses


def cli_env(tmp_path: Path, url: str, now: datetime | None) -> dict[str, str]:
    """An environment from scratch: no SYNCWATCH_* leaks in, HOME in the temp dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCWATCH_")}
    env.update(HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"), SYNCWATCH_DB=url)
    env["PYTHONUNBUFFERED"] = "1"
    if now is not None:
        env["SYNCWATCH_NOW"] = iso(now)
    return env


@dataclass
class Running:
    """A ``syncwatch`` subprocess whose stdout and stderr are read line by line."""

    proc: subprocess.Popen[str]
    out: queue.Queue[str] = field(default_factory=queue.Queue)
    err: queue.Queue[str] = field(default_factory=queue.Queue)
    out_lines: list[str] = field(default_factory=list)
    err_lines: list[str] = field(default_factory=list)
    pumps: list[threading.Thread] = field(default_factory=list)

    def __post_init__(self) -> None:
        for stream, q in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            pump = threading.Thread(target=_pump, args=(stream, q), daemon=True)
            pump.start()
            self.pumps.append(pump)

    def lines(self, n: int) -> list[str]:
        """Wait for ``n`` stdout lines in all (the process must not end first)."""
        while len(self.out_lines) < n:
            try:
                # Each line is an event to wait for; the limit only turns a hang into a failure.
                self.out_lines.append(self.out.get(timeout=HANG))
            except queue.Empty:
                raise AssertionError(
                    f"got {len(self.out_lines)} of {n} lines: {self.out_lines}\n"
                    f"stderr: {self.stderr_now()}"
                ) from None
        return self.out_lines

    def wait_stderr(self, needle: str) -> str:
        """Wait for a stderr line containing ``needle``; return it."""
        while True:
            for line in self.err_lines:
                if needle in line:
                    return line
            try:
                self.err_lines.append(self.err.get(timeout=HANG))
            except queue.Empty:
                raise AssertionError(f"no {needle!r} on stderr: {self.err_lines}") from None

    def stderr_now(self) -> str:
        while not self.err.empty():
            self.err_lines.append(self.err.get())
        return "".join(self.err_lines)

    def finish(self, sig: int | None = signal.SIGTERM, timeout: float = HANG) -> int:
        """Send ``sig`` (if any), wait for the exit and drain the output; the exit code."""
        if sig is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        for pump in self.pumps:  # they end at EOF: every line is queued by then
            pump.join(HANG)
            assert not pump.is_alive(), "an output pipe stayed open after the process ended"
        while not self.out.empty():
            self.out_lines.append(self.out.get())
        self.stderr_now()
        return code


def _pump(stream: IO[str] | None, q: queue.Queue[str]) -> None:
    assert stream is not None
    for line in stream:
        q.put(line)
    stream.close()


def start(tmp_path: Path, url: str, *args: str, now: datetime | None = LATER) -> Running:
    proc = subprocess.Popen(
        [sys.executable, "-m", "syncwatch", *args],
        env=cli_env(tmp_path, url, now),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return Running(proc)


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> str:
    prepare(db_url, tmp_path)
    return db_url


# --------------------------------------------------------------------------- the command


def test_logs_transitions_one_per_line_and_exits_0_on_sigterm(world: str, tmp_path: Path) -> None:
    run = start(tmp_path, world, "evaluator", "--interval", "0.2")
    lines = run.lines(2)
    code = run.finish(signal.SIGTERM)
    assert code == 0, run.stderr_now()
    assert len(run.out_lines) == 2, "a later pass must not repeat the transitions"
    found = set()
    for line in lines:
        at, iid, organization, transition, reason = line.rstrip("\n").split("  ")
        before, after = transition.split(" -> ")
        assert at == iso(EXPECTED_AT[iid]) and organization in ("Keyrot AG", "Sandbox GmbH")
        assert reason
        found.add((iid, before, after))
    assert found == EXPECTED
    err = run.stderr_now()
    assert "Traceback" not in err
    assert "stopped after" in err and "2 transition(s)" in err


def test_json_lines_and_on_transition_command_and_sigint(world: str, tmp_path: Path) -> None:
    received = tmp_path / "hook.jsonl"
    # The command gets the JSON on stdin; a failing command is reported, never fatal.
    hook = f"cat >> '{received}'; exit 3"
    run = start(
        tmp_path, world, "evaluator", "--interval", "0.2", "--json", "--on-transition", hook
    )
    events = [json.loads(line) for line in run.lines(2)]
    run.wait_stderr("exited with status 3")
    assert run.finish(signal.SIGINT) == 0, run.stderr_now()
    assert "Traceback" not in run.stderr_now()

    found = {
        (e["data"]["integration_id"], e["data"]["previous_status"], e["data"]["status"])
        for e in events
    }
    assert found == EXPECTED
    for e in events:
        assert e["type"] == "integration-state-changed"
        assert e["id"] == f"syncwatch-transition-{e['seq']}"
        data = e["data"]
        assert data["updated_at"] == iso(EXPECTED_AT[data["integration_id"]]) and data["reason"]
        assert e["correction"] is False
        assert data["end_user"]["organization_name"] in ("Keyrot AG", "Sandbox GmbH")
        assert data["integration_category"] == "HRIS"
    by_id = {e["data"]["integration_id"]: e["data"] for e in events}
    assert by_id["bamboohr:keyrot"]["state"] == "INVALID"
    assert by_id["personio:sandbox"]["state"] == "INACTIVE"
    assert by_id["personio:sandbox"]["setup_status"] == "COMPLETED"
    assert by_id["personio:sandbox"]["qa_status"] == "PASSED"

    hooked = [json.loads(line) for line in received.read_text().splitlines()]
    assert sorted(hooked, key=lambda e: e["seq"]) == sorted(events, key=lambda e: e["seq"])
    # `seq` is the history entry's id, as `syncwatch watch` numbers transitions.
    store = Store.open(world)
    try:
        with store.read() as conn:
            stored = dict(conn.execute(sa.text("SELECT id, to_state FROM state_change")).all())
    finally:
        store.close()
    assert {e["seq"]: e["data"]["status"] for e in events}.items() <= stored.items()


def _rename(url: str, old: str, new: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"ALTER TABLE {old} RENAME TO {new}")
    finally:
        engine.dispose()


def test_a_failing_pass_is_reported_and_retried(world: str, tmp_path: Path) -> None:
    run = start(tmp_path, world, "evaluator", "--interval", "0.1", now=NOW)
    run.wait_stderr("evaluating")
    _rename(world, "integration", "integration_away")
    run.wait_stderr("pass failed: ")
    _rename(world, "integration_away", "integration")
    run.wait_stderr("pass succeeded again after")
    assert run.proc.poll() is None, "one failed pass must not end the service"
    assert run.finish() == 0
    assert "Traceback" not in run.stderr_now()


def test_gives_up_after_max_failures_consecutive_failed_passes(world: str, tmp_path: Path) -> None:
    run = start(tmp_path, world, "evaluator", "--interval", "0.05", "--max-failures", "3", now=NOW)
    run.wait_stderr("evaluating")
    _rename(world, "integration", "integration_away")
    code = run.finish(sig=None)
    err = run.stderr_now()
    assert code == 2, err
    assert "giving up after 3 consecutive failed passes" in err
    assert err.count("pass failed: ") == 3
    assert "Traceback" not in err


# --------------------------------------------------------------------------- in-process


@pytest.fixture
def sqlite_world(tmp_path: Path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    prepare(url, tmp_path)
    store = Store.open(url)
    yield store
    store.close()


def test_stop_event_ends_the_loop_after_the_pass_and_output_is_flushed(
    sqlite_world: Store,
) -> None:
    out, err = StringIO(), StringIO()
    stop = threading.Event()

    class StopAfterFirstPass(FixedClock):
        def now(self) -> datetime:
            # Called once per pass, before it runs: the pass still completes.
            stop.set()
            return super().now()

    code = run_evaluator(
        sqlite_world,
        StopAfterFirstPass(LATER),
        interval=60,
        out=out,
        err=err,
        stop=stop,
    )
    assert code == 0
    assert len(out.getvalue().splitlines()) == 2
    assert "stopped after 1 pass(es), 2 transition(s), 0 failed pass(es)" in err.getvalue()
    assert {h.to_state for h in sqlite_world.history("bamboohr:keyrot")} >= {
        IntegrationState.CREDENTIALS_INVALID
    }


def _transition() -> Transition:
    return Transition(
        "personio:x",
        "Acme",
        "personio",
        IntegrationState.ACTIVE,
        IntegrationState.SYNC_FAILING,
        NOW,
        "The last sync failed.",
        "HRIS",
        seq=7,
    )


def test_a_deleted_integration_has_no_api_view_in_its_event() -> None:
    event = transition_event(_transition())
    assert event["data"]["state"] is None and event["data"]["setup_status"] is None
    assert event["data"]["status"] == "SYNC_FAILING"
    assert event["id"] == "syncwatch-transition-7" and event["seq"] == 7


def _transition_fields() -> dict[str, Any]:
    t = _transition()
    return {name: getattr(t, name) for name in t.__dataclass_fields__}


def test_submitting_never_waits_for_the_command(tmp_path: Path) -> None:
    """The first command blocks on a FIFO that only the test opens, after both submits: had
    ``submit`` waited for it, the test would never get there (the hook's time-out would
    kill the command first, and the report below would say so)."""
    reports: list[str] = []
    gate, ran = tmp_path / "gate", tmp_path / "ran"
    os.mkfifo(gate)
    hook = TransitionCommand(
        f"read line; case \"$line\" in *SYNC_FAILING*) read go < '{gate}';; esac; "
        f"printf '%s\\n' \"$line\" >> '{ran}'",
        timeout=HANG,
        report=reports.append,
    )
    hook.submit(_transition())
    hook.submit(Transition(**{**_transition_fields(), "to_state": IntegrationState.ACTIVE}))
    assert not ran.exists() and reports == [], "submit waited for the command to end"
    with gate.open("w") as opened:  # blocks until the first command opens it to read
        opened.write("go\n")
    hook.close(grace=HANG)
    assert reports == [] and hook.failures == 0
    statuses = [json.loads(line)["data"]["status"] for line in ran.read_text().splitlines()]
    assert statuses == ["SYNC_FAILING", "ACTIVE"], "one at a time, in order"


def test_a_hanging_command_is_killed_and_the_next_one_runs(tmp_path: Path) -> None:
    reports: list[str] = []
    marker = tmp_path / "ran"
    hook = TransitionCommand(
        f"read line; case \"$line\" in *SYNC_FAILING*) sleep 30;; esac; touch '{marker}'",
        timeout=0.5,
        report=reports.append,
    )
    hook.submit(_transition())  # hangs: killed after 0.5 s
    hook.submit(Transition(**{**_transition_fields(), "to_state": IntegrationState.ACTIVE}))
    hook.close(grace=HANG)
    assert reports == ["--on-transition timed out after 0.5 s and was killed"]
    assert marker.exists()
    assert hook.failures == 1


def test_a_command_that_cannot_run_is_reported(tmp_path: Path) -> None:
    reports: list[str] = []
    hook = TransitionCommand(str(tmp_path / "missing-script"), timeout=HANG, report=reports.append)
    hook.submit(_transition())
    hook.close(grace=HANG)
    assert len(reports) == 1 and "exited with status 127" in reports[0]
    assert "not found" in reports[0]


def test_evaluator_refuses_a_negative_max_failures(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "syncwatch", "evaluator", "--max-failures", "-1"],
        env=cli_env(tmp_path, url, NOW),
        capture_output=True,
        text=True,
        timeout=HANG,
    )
    assert done.returncode == 2
    assert "--max-failures must be 0" in done.stderr and "Traceback" not in done.stderr
