"""How times and durations read, in reasons, tables and the UI. All times are UTC.

Pure and dependency-free, so the evaluator (which writes reasons) can use it; the surfaces
import it through :mod:`syncwatch.present`, with the rest of how things read.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def fmt_time(t: datetime | None, now: datetime | None = None) -> str:
    """A short UTC time: ``Nov 17 09:00``; with ``now`` in another year, ``Dec 26 2024 11:59``."""
    if t is None:
        return "never"
    if now is not None and t.year != now.year:
        return f"{t:%b} {t.day} {t.year} {t:%H:%M}"
    return f"{t:%b} {t.day} {t:%H:%M}"


def fmt_duration(d: timedelta) -> str:
    """A short duration: ``3 d 4 h``, ``5 h 12 min``, ``40 min``, ``12 s``."""
    secs = max(int(d.total_seconds()), 0)
    days, rem = divmod(secs, 86400)
    hours, rem = divmod(rem, 3600)
    mins, s = divmod(rem, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    if mins:
        return f"{mins} min"
    return f"{s} s"


def fmt_ago(t: datetime | None, now: datetime, *, compact: bool = False) -> str:
    """How long before ``now``: ``12 min ago``, ``3 d 4 h ago``, ``in 5 min``, ``never``.

    ``compact`` is the list's form, scanned rather than read: ``5h 9m ago``, ``2d 22h ago``.
    """
    if t is None:
        return "never"
    if compact:
        return _compact_ago(t, now)
    delta = now - t
    if delta < timedelta(0):
        return f"in {fmt_duration(-delta)}"
    if delta < timedelta(seconds=60):
        return "just now"
    # Coarse on purpose: the list is scanned, not read.
    secs = int(delta.total_seconds())
    if secs >= 86400:
        return f"{secs // 86400} d {secs % 86400 // 3600} h ago"
    if secs >= 3600:
        return f"{secs // 3600} h {secs % 3600 // 60} min ago"
    return f"{secs // 60} min ago"


def _compact_ago(t: datetime, now: datetime) -> str:
    secs = int((now - t).total_seconds())
    if abs(secs) < 60:
        return "just now"
    days, rem = divmod(abs(secs), 86400)
    hours, rem = divmod(rem, 3600)
    mins = rem // 60
    if days:
        span = f"{days}d {hours}h" if hours else f"{days}d"
    elif hours:
        span = f"{hours}h {mins}m" if mins else f"{hours}h"
    else:
        span = f"{mins}m"
    return f"{span} ago" if secs > 0 else f"in {span}"


def plural(n: int, word: str) -> str:
    """``1 error``, ``2 errors``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
