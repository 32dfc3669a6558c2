"""Evaluation passes run one at a time; the timer is one-shot and re-armed after a pass."""

from __future__ import annotations

from collections.abc import Callable

from syncwatch.tui.scheduler import PassScheduler


class FakeTimer:
    def __init__(self, delay: float, callback: Callable[[], None]) -> None:
        self.delay, self.callback, self.stopped = delay, callback, False

    def stop(self) -> None:
        self.stopped = True


class Harness:
    def __init__(self, *, live: bool = True, interval: float = 5.0) -> None:
        self.started = 0
        self.timers: list[FakeTimer] = []
        self.scheduler = PassScheduler(self.start, self.set_timer, interval=interval, live=live)

    def start(self) -> None:
        self.started += 1

    def set_timer(self, delay: float, callback: Callable[[], None]) -> FakeTimer:
        timer = FakeTimer(delay, callback)
        self.timers.append(timer)
        return timer


def test_a_pass_asked_for_while_one_runs_starts_after_it() -> None:
    h = Harness()
    s = h.scheduler
    s.run_now()
    s.run_now()
    s.run_now()
    assert h.started == 1 and s.running
    s.finished()
    assert h.started == 2 and s.running and not s.armed  # the one asked for, once
    s.finished()
    assert h.started == 2 and not s.running and s.armed


def test_the_timer_is_armed_after_a_pass_and_starts_the_next() -> None:
    h = Harness(interval=3.0)
    s = h.scheduler
    s.run_now()
    assert not h.timers  # nothing armed while a pass runs
    s.finished()
    (timer,) = h.timers
    assert timer.delay == 3.0
    timer.callback()
    assert h.started == 2 and not s.armed


def test_asking_for_a_pass_stops_the_armed_timer() -> None:
    h = Harness()
    s = h.scheduler
    s.run_now()
    s.finished()
    s.run_now()
    assert h.timers[0].stopped and h.started == 2


def test_paused_nothing_runs_on_its_own() -> None:
    h = Harness()
    s = h.scheduler
    s.run_now()
    s.finished()
    s.pause()
    assert h.timers[0].stopped and not s.armed and s.retry_in is None
    s.run_now()  # asked for: runs, but does not re-arm
    s.finished()
    assert h.started == 2 and not s.armed
    s.resume()
    assert h.started == 3 and s.retry_in == 5.0
    s.finished()
    assert s.armed


def test_without_live_refresh_only_asked_for_passes_run() -> None:
    for h in (Harness(live=False), Harness(interval=0)):
        s = h.scheduler
        s.run_now()
        s.finished()
        assert not s.live and not s.armed and not h.timers and s.retry_in is None
