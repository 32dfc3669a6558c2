"""Placeholder until the terminal UI lands (issue 3)."""

from __future__ import annotations

from syncwatch.clock import Clock
from syncwatch.store import Store


def run_app(store: Store, clock: Clock, *, interval: float, read_only: bool) -> int:
    """Open the terminal UI."""
    raise NotImplementedError("the terminal UI is not built yet")
