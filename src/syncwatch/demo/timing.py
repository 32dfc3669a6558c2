"""Simulated time in the demo: durations typed by a user, the engine's step, random delays.

:func:`default_step` is the one rule for how much simulated time one engine step covers when
the caller does not say; the CLI's ``demo --headless`` and the UI's demo both use it.
"""

from __future__ import annotations

import random
import re
from datetime import timedelta

__all__ = [
    "COARSE_STEP",
    "FINE_STEP",
    "FINE_STEP_MAX_INTEGRATIONS",
    "SPEED_LADDER",
    "default_step",
    "next_speed",
    "parse_duration",
    "random_seconds",
]

#: A fleet of at most this many integrations is stepped finely (:data:`FINE_STEP`).
FINE_STEP_MAX_INTEGRATIONS = 100
FINE_STEP = timedelta(minutes=15)
COARSE_STEP = timedelta(hours=1)

#: The demo clock's speeds (simulated seconds per real second) that ``+`` and ``-`` step
#: through: a minute, ten minutes, an hour, six hours, a day a second. Round, so the
#: header's ``×3600`` reads as "an hour a second" (doubling and halving from 3600 used to
#: land on ×3840 after the floor of ×60).
SPEED_LADDER: tuple[float, ...] = (60.0, 600.0, 3600.0, 21600.0, 86400.0)


def next_speed(speed: float, *, faster: bool) -> float:
    """The next rung of :data:`SPEED_LADDER` above (``faster``) or below ``speed``; the top
    or bottom rung stays. A speed off the ladder (``demo --speed 1000``) steps to the
    nearest rung in that direction."""
    if faster:
        return next((rung for rung in SPEED_LADDER if rung > speed), SPEED_LADDER[-1])
    return next((rung for rung in reversed(SPEED_LADDER) if rung < speed), SPEED_LADDER[0])


def default_step(integrations: int) -> timedelta:
    """Simulated time per engine step for a demo of ``integrations`` integrations.

    Every step is evaluated on its own, so a short step keeps short-lived states from being
    skipped over; but every step also costs an import and an evaluator pass over the whole
    fleet, so a big fleet steps an hour at a time. For the built-in scenarios: tour (9
    integrations) and incident (40) step 15 minutes, steady (300) one hour.
    """
    return COARSE_STEP if integrations > FINE_STEP_MAX_INTEGRATIONS else FINE_STEP


_DURATION = re.compile(
    r"(?:(?P<w>\d+)w)?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m(?:in)?)?(?:(?P<s>\d+)s)?"
)


def parse_duration(text: str) -> timedelta:
    """``"5d"``, ``"36h"``, ``"90m"``, ``"2d12h"``, ``"1w"``, ``"45s"`` -> a timedelta.

    Units, largest first, each at most once: ``w``, ``d``, ``h``, ``m`` (or ``min``), ``s``.
    Raises ``ValueError`` with a message fit for a user.
    """
    raw = text.strip().lower().replace(" ", "")
    match = _DURATION.fullmatch(raw)
    if not raw or match is None or not any(match.groupdict().values()):
        raise ValueError(
            f"{text!r} is not a duration: use whole numbers with the units d, h, m or s, "
            "largest first, e.g. 5d, 36h, 90m or 2d12h"
        )
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    value = timedelta(
        weeks=parts.get("w", 0),
        days=parts.get("d", 0),
        hours=parts.get("h", 0),
        minutes=parts.get("m", 0),
        seconds=parts.get("s", 0),
    )
    if value <= timedelta(0):
        raise ValueError(f"{text!r} is not a duration: it must be longer than zero")
    return value


def random_seconds(rng: random.Random, low: float, high: float) -> timedelta:
    """A random delay of whole seconds between ``low`` and ``high`` (drawn from ``rng``)."""
    return timedelta(seconds=int(rng.uniform(low, high)))
