"""Helpers shared by the pilot tests (``from pilot_support import settle``)."""

from __future__ import annotations

import contextlib
from typing import Any

from textual.pilot import Pilot
from textual.worker import WorkerFailed


async def settle(pilot: Pilot[Any]) -> None:
    """Let workers finish and the messages they post be handled (failed workers are the
    app's concern)."""
    for _ in range(3):
        with contextlib.suppress(WorkerFailed):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()
