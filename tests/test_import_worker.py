"""Issue 12, finding 7: a killed import does not leave its preparation worker running.

An import of a large file forks a worker that prepares log rows on the other core. Before,
``kill -9`` (or ``kill -TERM``) of the importing process left the worker alive, reparented
to PID 1, holding the parsed file's memory and the database files, blocked on its own pipe
for as long as nobody killed it.

Each test runs a real import in a subprocess, on a file large enough to get a worker. The
importing process is held once the worker is forked (its own parse never returns) and says
so on stdout: that is the event the test waits for before it kills it. Then the test waits
for the worker to be gone, watching ``/proc`` (a process that is not one's child cannot be
waited for), with a generous overall limit so a broken build fails instead of hanging.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builders import ago, integration_record, log_record, sync_record
from syncwatch.importer import prepare

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not Path("/proc/self/stat").exists(),
    reason="watches processes through Linux's /proc",
)

#: The overall limit on waiting for the worker to end (not a measure of how fast it does).
GIVE_UP = 60.0

#: Run as ``python -c SCRIPT DB FILE NO_PDEATHSIG``: an import whose own parse of the file
#: blocks once the worker is forked. With NO_PDEATHSIG "1" the worker gets no death signal
#: (as where prctl is not available) and must notice the dead parent by itself.
SCRIPT = """
import sys, threading
from datetime import UTC, datetime
from syncwatch.db import Store
from syncwatch.importer import import_files, prepare, upsert

db, file, no_pdeathsig = sys.argv[1:4]
if no_pdeathsig == "1":
    prepare.set_parent_death_signal = lambda: False

def held(path):
    print("worker forked", flush=True)
    threading.Event().wait()

upsert.read_file = held  # the importing process's parse; the worker's is its own
store = Store.open(db)
import_files(store, [file], datetime(2026, 11, 26, 12, tzinfo=UTC))
"""


def _large_file(path: Path) -> Path:
    """An import file over the size that gets a worker (about 60,000 log entries)."""
    records = [
        integration_record(
            f"big:{i}",
            syncs=[
                sync_record(
                    f"big_{i}_{k}",
                    "SUCCEEDED",
                    ago(hours=30 - k),
                    logs=[
                        log_record(
                            ago(hours=30 - k, minutes=-j), "INFO", f"Fetched page {j} of {k}"
                        )
                        for j in range(100)
                    ],
                )
                for k in range(30)
            ],
        )
        for i in range(20)
    ]
    path.write_text(json.dumps({"integrations": records}), encoding="utf-8")
    assert path.stat().st_size >= prepare.PARALLEL_MIN_BYTES
    return path


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it ended meanwhile
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie has ended: it only waits to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


@pytest.fixture(scope="module")
def large_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _large_file(tmp_path_factory.mktemp("worker") / "large.json")


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "term"])
@pytest.mark.parametrize("pdeathsig", [True, False], ids=["pdeathsig", "fallback"])
def test_the_worker_ends_when_the_import_is_killed(
    tmp_path: Path, large_file: Path, signum: int, pdeathsig: bool
) -> None:
    if not prepare.can_fork():
        pytest.skip("no fork start method here, or other threads run: no worker")
    importer = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "k.db"), str(large_file),
         "0" if pdeathsig else "1"],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    workers: list[int] = []
    try:
        assert importer.stdout is not None
        assert importer.stdout.readline() == "worker forked\n"  # the event
        workers = _children(importer.pid)
        assert len(workers) == 1, workers
        [worker] = workers
        assert _running(worker)

        os.kill(importer.pid, signum)
        assert importer.wait() == -signum

        give_up = time.monotonic() + GIVE_UP
        while _running(worker) and time.monotonic() < give_up:
            time.sleep(0.05)  # polling /proc: the worker is not our child
        assert not _running(worker), "the worker outlived the killed import"
    finally:
        if importer.poll() is None:
            importer.kill()
            importer.wait()
        for pid in workers:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


def test_the_death_signal_is_set_on_linux() -> None:
    """What the worker calls first thing: in a fresh child (so this process is untouched)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os._exit(0 if prepare.set_parent_death_signal() else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
