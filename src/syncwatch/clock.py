"""The clock the app runs on: the system clock, a fixed instant (``--now``), or a simulated one.

Rules never call ``datetime.now()``; they get ``now`` from one of these.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the time, in aware UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """A clock stopped at one instant: tests, demos and replaying an incident."""

    def __init__(self, at: datetime) -> None:
        self.at = to_utc(at)

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        """Move the fixed instant on (tests)."""
        self.at += delta

    def __repr__(self) -> str:
        return f"FixedClock({self.at.isoformat()})"


class SimulatedClock:
    """A clock that runs ``speed`` times faster than real time from ``start``, and can pause.

    ``real`` is where real time comes from, in seconds (tests pass a clock they advance).
    """

    def __init__(
        self, start: datetime, speed: float = 3600.0, *, real: Callable[[], float] = time.monotonic
    ) -> None:
        self._real = real
        self._origin = to_utc(start)
        self._real_origin = real()
        self._speed = speed
        self._paused = False

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def paused(self) -> bool:
        return self._paused

    def now(self) -> datetime:
        if self._paused:
            return self._origin
        elapsed = self._real() - self._real_origin
        return self._origin + timedelta(seconds=elapsed * self._speed)

    def _rebase(self) -> None:
        self._origin = self.now()
        self._real_origin = self._real()

    def set_speed(self, speed: float) -> None:
        """Change the speed from this instant on."""
        self._rebase()
        self._speed = max(speed, 0.0)

    def pause(self) -> None:
        self._rebase()
        self._paused = True

    def resume(self) -> None:
        self._real_origin = self._real()
        self._paused = False


def to_utc(t: datetime) -> datetime:
    """Convert an aware datetime to UTC; refuse a naive one."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{t.isoformat()} has no time zone; add Z or an offset such as +01:00")
    return t.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant that carries a time zone, into aware UTC.

    Raises ``ValueError`` with a message fit for a user.
    """
    raw = text.strip()
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO 8601 time (expected e.g. 2026-11-26T09:00:00Z)"
        ) from None
    if parsed.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone; add Z or an offset such as +01:00")
    return check_range(parsed, text)


#: The instants syncwatch accepts: wide enough for any real sync, narrow enough that adding
#: the rules' windows (72 h, 14 days) can never overflow.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def check_range(t: datetime, text: str | None = None) -> datetime:
    """``t`` in UTC, or a ``ValueError`` if it lies outside 1970-2199."""
    shown = text if text is not None else t.isoformat()
    try:
        utc = t.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ValueError(f"{shown!r} is out of range (times must lie in 1970-2199)")
    return utc


def iso(t: datetime | None) -> str | None:
    """An aware time as ISO 8601 UTC with a ``Z`` suffix (for JSON)."""
    if t is None:
        return None
    if t.tzinfo is not UTC:  # stored and read times are UTC already: no conversion
        t = to_utc(t)
    return t.isoformat().replace("+00:00", "Z")
