"""Helpers shared by the pilot tests (``from pilot_support import settle``)."""

from __future__ import annotations

import contextlib
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
