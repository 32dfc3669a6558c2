"""The headless evaluator: evaluation passes in a loop, transitions out, until stopped.

``syncwatch evaluator`` keeps states current when nobody has the UI open. Each pass is one
write transaction (:meth:`Store.evaluate_pass`), so a pass either happens entirely or not at
all, however the process ends, and passes of several evaluators (and the UI's) run one at a
time. Transitions are printed once their pass has committed, as text or as JSON lines shaped
like Kombo's ``integration-state-changed`` webhook (the shapes ``syncwatch watch`` prints:
:mod:`syncwatch.transitions`), and can be handed to a command.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import TextIO

from syncwatch.clock import Clock
from syncwatch.db import ClockBehind, Store, StoreError
from syncwatch.rows import Transition
from syncwatch.transitions import transition_event, transition_text

#: Consecutive failed passes after which the evaluator gives up (exit 2) by default.
DEFAULT_MAX_FAILURES = 10
#: The longest wait between retries of a failing pass, in seconds.
MAX_BACKOFF_S = 60.0
#: How long one ``--on-transition`` command may run before it is killed, in seconds.
DEFAULT_HOOK_TIMEOUT_S = 10.0
#: Transitions waiting for their command beyond this many are dropped (and said so).
HOOK_QUEUE_SIZE = 1000


# --------------------------------------------------------------------------- the hook


class TransitionCommand:
    """Runs a shell command per transition, with the transition's JSON on its stdin.

    The command runs on a background thread, one at a time and in order, so a slow or
    hanging command never holds up a pass: it is killed (with its process group) after
    ``timeout`` seconds. A command that fails is reported and the next one runs.
    """

    def __init__(self, command: str, *, timeout: float, report: Callable[[str], None]) -> None:
        self.command = command
        self.timeout = timeout
        self.report = report
        self.failures = 0
        self.dropped = 0
        self._queue: queue.Queue[str | None] = queue.Queue(HOOK_QUEUE_SIZE)
        self._thread = threading.Thread(target=self._run, name="on-transition", daemon=True)
        self._thread.start()

    def submit(self, t: Transition) -> None:
        """Queue the command for one transition (dropped, and said so, when far behind)."""
        try:
            self._queue.put_nowait(json.dumps(transition_event(t), ensure_ascii=False))
        except queue.Full:
            self.dropped += 1
            self.report(
                f"--on-transition is {HOOK_QUEUE_SIZE} transitions behind; "
                f"dropped the one for {t.integration_id}"
            )

    def close(self, grace: float) -> None:
        """Let queued commands run for up to ``grace`` seconds, then abandon the rest."""
        deadline = time.monotonic() + grace
        while True:
            try:
                self._queue.put(None, timeout=max(0.0, deadline - time.monotonic()))
                break
            except queue.Full:
                break
        self._thread.join(max(0.0, deadline - time.monotonic()))
        if self._thread.is_alive():
            left = self._queue.qsize()
            self.report(f"stopped with {left} --on-transition command(s) not run")

    def _run(self) -> None:
        while (payload := self._queue.get()) is not None:
            self._run_one(payload)

    def _run_one(self, payload: str) -> None:
        try:
            proc = subprocess.Popen(
                self.command,
                shell=True,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group: a timeout kills it all
            )
        except OSError as err:
            self.failures += 1
            self.report(f"--on-transition could not start: {err}")
            return
        try:
            _, stderr = proc.communicate(payload.encode() + b"\n", timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            proc.communicate()
            self.failures += 1
            self.report(f"--on-transition timed out after {self.timeout:g} s and was killed")
            return
        if proc.returncode != 0:
            self.failures += 1
            last = stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
            detail = f": {last[0][:200]}" if last[0] else ""
            self.report(f"--on-transition exited with status {proc.returncode}{detail}")


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


# --------------------------------------------------------------------------- the loop


@dataclass(slots=True)
class EvaluatorStats:
    """What a run of the evaluator did, for its last words and for tests."""

    passes: int = 0
    failed_passes: int = 0
    transitions: int = 0


class _Abandon(BaseException):
    """Raised by a second stop signal to abandon the pass in progress (it rolls back)."""


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT/SIGTERM set ``stop``: the pass in progress finishes, then the loop ends.

    A second signal abandons the pass in progress: its transaction rolls back.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    signalled = False

    def handler(signum: int, _frame: FrameType | None) -> None:
        nonlocal signalled
        if signalled:
            raise _Abandon
        signalled = True
        # Not stop.set() here: it takes the event's lock, which the main thread holds for a
        # moment on every entry to and exit from stop.wait(); a signal landing then would
        # block the handler forever (seen: 20 hangs in 40 SIGTERMs). A thread sets it.
        threading.Thread(target=stop.set, name="syncwatch-stop", daemon=True).start()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_evaluator(
    store: Store,
    clock: Clock,
    *,
    interval: float,
    as_json: bool = False,
    on_transition: str | None = None,
    hook_timeout: float = DEFAULT_HOOK_TIMEOUT_S,
    max_failures: int = DEFAULT_MAX_FAILURES,
    out: TextIO,
    err: TextIO,
    stop: threading.Event | None = None,
) -> int:
    """Run evaluation passes every ``interval`` seconds until stopped; return the exit code.

    Stops on SIGINT/SIGTERM (or when ``stop`` is set) with 0 after the pass in progress.
    A pass that fails with a database error is reported and retried, waiting twice as long
    each time (up to a minute); after ``max_failures`` consecutive failures (0: never) the
    evaluator gives up with exit code 2.
    """
    stop = stop or threading.Event()
    stats = EvaluatorStats()

    def report(message: str) -> None:
        err.write(f"syncwatch evaluator: {message}\n")
        err.flush()

    hook = (
        TransitionCommand(on_transition, timeout=hook_timeout, report=report)
        if on_transition
        else None
    )
    report(
        f"evaluating {store.engine.url.render_as_string(hide_password=True)} "
        f"every {interval:g} s; stop with Ctrl+C or SIGTERM"
    )
    failures = 0
    code = 0
    waiting_for_clock = False
    try:
        with _stop_on_signals(stop):
            while not stop.is_set():
                started = time.monotonic()
                try:
                    result = store.evaluate_pass(clock.now())
                except ClockBehind as behind:
                    # Not a failure: nothing may be stored before the last stored
                    # evaluation (the history never runs backwards). Said once per spell.
                    if not waiting_for_clock:
                        report(f"nothing stored: {behind}; waiting for the clock to catch up")
                        waiting_for_clock = True
                    stop.wait(interval)
                    continue
                except StoreError as error:
                    failures += 1
                    stats.failed_passes += 1
                    if max_failures and failures >= max_failures:
                        report(f"pass failed: {error}")
                        report(f"giving up after {failures} consecutive failed passes")
                        code = 2
                        break
                    delay = min(interval * 2 ** (failures - 1), max(interval, MAX_BACKOFF_S))
                    report(f"pass failed: {error}; retrying in {delay:g} s")
                    stop.wait(delay)
                    continue
                if waiting_for_clock:
                    report("the clock has caught up with the last stored evaluation")
                    waiting_for_clock = False
                if failures:
                    report(f"pass succeeded again after {failures} failed pass(es)")
                failures = 0
                stats.passes += 1
                for t in result.transitions:
                    if as_json:
                        out.write(json.dumps(transition_event(t), ensure_ascii=False) + "\n")
                    else:
                        out.write(transition_text(t) + "\n")
                    if hook is not None:
                        hook.submit(t)
                out.flush()
                stats.transitions += len(result.transitions)
                stop.wait(max(0.0, interval - (time.monotonic() - started)))
    except _Abandon:
        report("stopped during a pass: it was rolled back, the next pass will redo it")
    finally:
        if hook is not None:
            hook.close(grace=hook_timeout)
    report(
        f"stopped after {stats.passes} pass(es), {stats.transitions} transition(s), "
        f"{stats.failed_passes} failed pass(es)"
    )
    return code
