"""When the terminal UI runs an evaluation pass: one at a time, never overlapping.

A pass asked for while one runs starts right after it. Between passes a one-shot timer is
armed when the previous pass has finished (not a repeating one: a slow pass never has the
next one queued behind it), and not at all while paused or with live refresh off. No
Textual here: the app hands in its ``set_timer`` and what starting a pass means.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Stoppable(Protocol):
    """A timer that can be stopped (Textual's :class:`~textual.timer.Timer`)."""

    def stop(self) -> None: ...


SetTimer = Callable[[float, Callable[[], None]], Stoppable]


class PassScheduler:
    """Starts evaluation passes: on request, and every ``interval`` seconds when live."""

    def __init__(
        self, start: Callable[[], None], set_timer: SetTimer, *, interval: float, live: bool
    ) -> None:
        #: Starts a pass (a worker); :meth:`finished` must be called when it ends.
        self._start = start
        self._set_timer = set_timer
        self.interval = interval
        #: Live refresh: a pass every ``interval`` seconds (else only when asked for).
        self.live = live and interval > 0
        self.paused = False
        #: A pass is running.
        self.running = False
        self._again = False
        self._timer: Stoppable | None = None

    @property
    def armed(self) -> bool:
        """The timer for the next pass is set."""
        return self._timer is not None

    @property
    def retry_in(self) -> float | None:
        """Seconds until a failed pass is tried again (None: not on its own)."""
        return self.interval if self.live and not self.paused else None

    def run_now(self) -> None:
        """Run a pass now, or right after the running one."""
        self._disarm()
        if self.running:
            self._again = True
            return
        self.running = True
        self._start()

    def finished(self) -> None:
        """The running pass ended (done, failed or cancelled): start the one asked for
        meanwhile, or arm the timer."""
        self.running = False
        if self._again:
            self._again = False
            self.run_now()
        else:
            self._arm()

    def pause(self) -> None:
        """No passes on their own until :meth:`resume` (asked-for ones still run)."""
        self.paused = True
        self._disarm()

    def resume(self) -> None:
        """Back to live refresh, starting with a pass now."""
        self.paused = False
        self.run_now()

    def _arm(self) -> None:
        if self.live and not self.paused and self._timer is None:
            self._timer = self._set_timer(self.interval, self._tick)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _tick(self) -> None:
        self._timer = None
        if not self.paused:
            self.run_now()
