"""Helpers shared by the pilot tests (``from pilot_support import settle``).

None of them waits for time to pass: they wait for workers and messages, and they stand in
for the two sources of time a test would otherwise race (the app's timers, the real time a
simulated clock runs on) with ones the test advances itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from textual.app import App
from textual.message import Message
from textual.notifications import Notification, Notify
from textual.pilot import Pilot
from textual.worker import WorkerFailed

_SEEN: WeakKeyDictionary[App[Any], list[Notification]] = WeakKeyDictionary()


async def settle(pilot: Pilot[Any]) -> None:
    """Let workers finish and the messages they post be handled (failed workers are the
    app's concern)."""
    for _ in range(3):
        with contextlib.suppress(WorkerFailed):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def run(app: App[Any], size: tuple[int, int] = (160, 45)) -> Any:
    """``app.run_test(size=size)``, recording every notification the app shows (read them
    with :func:`notifications`): the operator's view, taken from the messages, not from the
    app's insides."""
    seen = _SEEN.setdefault(app, [])

    def hook(message: Message) -> None:
        if isinstance(message, Notify):
            seen.append(message.notification)

    return app.run_test(size=size, message_hook=hook)


def notifications(app: App[Any]) -> list[Notification]:
    """The notifications ``app`` showed so far (run with :func:`run`), oldest first."""
    return list(_SEEN.get(app, []))


# --------------------------------------------------------------------------- time


class ManualTimer:
    """A timer that goes off only when the test says so (see :class:`ManualTimers`)."""

    def __init__(self, delay: float, callback: Callable[[], object] | None) -> None:
        self.delay = delay
        self.callback = callback
        self.active = True

    def stop(self) -> None:
        self.active = False


class ManualTimers:
    """Stands in for ``app.set_timer`` for timers of ``delay`` seconds: they are armed as
    usual, but go off when the test calls :meth:`fire`, never because time passed. Timers of
    any other delay (Textual's own) are real ones."""

    def __init__(self, app: App[Any], delay: float) -> None:
        self.app = app
        self.delay = delay
        self.timers: list[ManualTimer] = []
        real = app.set_timer

        def set_timer(
            delay: float,
            callback: Callable[[], object] | None = None,
            *,
            name: str | None = None,
            pause: bool = False,
        ) -> Any:
            if delay != self.delay:
                return real(delay, callback, name=name, pause=pause)
            timer = ManualTimer(delay, callback)
            self.timers.append(timer)
            return timer

        app.set_timer = set_timer  # type: ignore[method-assign]

    @property
    def armed(self) -> list[ManualTimer]:
        """The timers set and neither stopped nor gone off yet."""
        return [t for t in self.timers if t.active]

    async def fire(self, pilot: Pilot[Any]) -> None:
        """The one armed timer goes off (in the app, as a real one would); then settle."""
        (timer,) = self.armed
        timer.active = False
        if timer.callback is not None:
            self.app.call_later(timer.callback)
        await pilot.pause()
        await settle(pilot)


class ManualRealTime:
    """Real time, in seconds, as a simulated clock reads it: it moves when the test says."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds

    def advance(self, seconds: float) -> None:
        self.seconds += seconds
