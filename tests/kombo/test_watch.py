"""``syncwatch watch`` in a subprocess, piped, while transitions happen."""

from __future__ import annotations

import json
import os
import queue
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import IO

import pytest
from kombo_support import NOW, state_changed, sync_finished

from syncwatch.db import Store
from syncwatch.db.transitions import latest_seq
from syncwatch.kombo.apply import receive_event
from syncwatch.kombo.events import parse_event

#: How long a wait for an event may last before the test fails instead of hanging (a
#: subprocess can take seconds just to start on a busy machine).
HANG = 120.0


def _apply(store: Store, body: bytes, at: datetime = NOW) -> None:
    receive_event(store, parse_event(body), body.decode(), at)


class Watch:
    """A running ``syncwatch watch`` whose stdout lines arrive on a queue."""

    def __init__(self, store: Store, *args: str) -> None:
        url = store.engine.url.render_as_string(hide_password=False)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "syncwatch", "--db", url, "watch", "--poll", "0.05", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        assert self.proc.stdout is not None
        threading.Thread(target=self._pump, args=(self.proc.stdout,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        try:
            for line in stream:
                self.lines.put(line)
        except ValueError:
            pass  # closed by the test

    def next_line(self) -> str:
        return self.lines.get(timeout=HANG)

    def stop(self) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=HANG)
        assert self.proc.stderr is not None
        return code, self.proc.stderr.read()


@pytest.fixture
def watch_factory(store: Store) -> Iterator[list[Watch]]:
    started: list[Watch] = []
    yield started
    for w in started:
        if w.proc.poll() is None:
            w.proc.kill()
            w.proc.wait()


def test_watch_json_streams_transitions_as_they_happen(
    store: Store, watch_factory: list[Watch]
) -> None:
    since = latest_seq(store)
    w = Watch(store, "--json", "--since", str(since))
    watch_factory.append(w)
    # Transitions happen while watch runs: a new integration, then its sync fails.
    _apply(store, state_changed("e1", "2026-11-26T09:00:00Z"))
    first = json.loads(w.next_line())
    _apply(
        store,
        sync_finished("e2", "s1", "SUCCEEDED", "2026-11-26T09:00:00Z", "2026-11-26T09:10:00Z"),
    )
    _apply(
        store, sync_finished("e3", "s2", "FAILED", "2026-11-26T10:00:00Z", "2026-11-26T10:10:00Z")
    )
    second = json.loads(w.next_line())

    assert first["type"] == "integration-state-changed"
    assert first["seq"] > since
    data = first["data"]
    assert data["integration_id"] == "personio:acme"
    assert data["integration_tool"] == "personio"
    assert data["integration_category"] == "HRIS"
    assert data["end_user"]["organization_name"] == "Acme GmbH"
    assert (data["previous_status"], data["status"]) == (None, "ACTIVE")
    assert data["reason"]

    assert second["seq"] > first["seq"]
    assert (second["data"]["previous_status"], second["data"]["status"]) == (
        "ACTIVE",
        "SYNC_FAILING",
    )
    assert second["data"]["state"] == "ACTIVE"  # Kombo's API view: still enabled and valid
    assert "failed" in second["data"]["reason"]

    code, err = w.stop()
    assert (code, err) == (0, "")


def test_watch_resumes_after_since_and_prints_text(
    store: Store, watch_factory: list[Watch]
) -> None:
    _apply(store, state_changed("e1", "2026-11-26T09:00:00Z", iid="personio:a"))
    seq = latest_seq(store)
    _apply(store, state_changed("e2", "2026-11-26T09:00:00Z", iid="personio:b"))
    w = Watch(store, "--since", str(seq))
    watch_factory.append(w)
    line = w.next_line()
    assert "personio:b" in line and "(new) -> ACTIVE" in line
    assert w.stop() == (0, "")


def test_watch_skip_silenced_leaves_out_acknowledged_integrations_that_got_no_worse(
    store: Store, watch_factory: list[Watch]
) -> None:
    from syncwatch.ack_actions import acknowledge

    _apply(store, state_changed("e1", "2026-11-26T09:00:00Z", iid="personio:a"))
    _apply(
        store,
        sync_finished(
            "e2", "s1", "FAILED", "2026-11-26T09:00:00Z", "2026-11-26T09:10:00Z", "personio:a"
        ),
    )
    acknowledge(store, "personio:a", NOW, "alice")  # acknowledged while failing
    seq = latest_seq(store)
    w = Watch(store, "--skip-silenced", "--since", str(seq))
    watch_factory.append(w)
    # personio:a recovers (no worse than acknowledged: left out); personio:b is new.
    _apply(
        store,
        sync_finished(
            "e3", "s2", "SUCCEEDED", "2026-11-26T10:00:00Z", "2026-11-26T10:10:00Z", "personio:a"
        ),
    )
    _apply(store, state_changed("e4", "2026-11-26T10:20:00Z", iid="personio:b"))
    line = w.next_line()
    assert "personio:b" in line and "(new) -> ACTIVE" in line
    assert w.stop() == (0, "")
    assert w.lines.empty()


def test_watch_exits_quietly_when_the_reader_goes_away(store: Store) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    since = str(latest_seq(store))
    cmd = [sys.executable, "-m", "syncwatch", "--db", url, "watch", "--json", "--poll", "0.05"]
    proc = subprocess.Popen(
        [*cmd, "--since", since], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        _apply(store, state_changed("e1", "2026-11-26T09:00:00Z", iid="personio:a"))
        ready, _, _ = select.select([proc.stdout], [], [], HANG)
        assert ready, "watch printed nothing"
        assert json.loads(proc.stdout.readline())["data"]["integration_id"] == "personio:a"
        proc.stdout.close()  # the reader goes away (| head -1)
        # The next transitions hit a closed pipe: watch ends, exit 0, nothing on stderr.
        for i in range(5):
            _apply(store, state_changed(f"x{i}", "2026-11-26T09:00:00Z", iid=f"personio:z{i}"))
        assert proc.wait(timeout=HANG) == 0
        assert proc.stderr.read() == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # signal handling, not storage
def test_watch_exits_cleanly_on_sigint(store: Store, watch_factory: list[Watch]) -> None:
    w = Watch(store, "--since", str(latest_seq(store)))
    watch_factory.append(w)
    _apply(store, state_changed("e1", "2026-11-26T09:00:00Z"))
    w.next_line()  # running and polling
    os.kill(w.proc.pid, signal.SIGINT)
    assert w.proc.wait(timeout=HANG) == 0
