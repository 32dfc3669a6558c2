"""Acknowledge and snooze: the rules, pure (no I/O).

An engineer *acknowledges* an integration ("on it", with an optional note): the state it
was in is recorded with who and when. The acknowledgement silences the integration's
notifications until its state gets worse than the state acknowledged (by
:attr:`IntegrationState.severity`); from then on it is *stale*: it stays stored and shown
(who was on it, since when, for which state) so the team can see that the person on it may
not know yet, and notifications ring again. A new ``ack`` (at the worse state) or ``unack``
replaces it. Nothing is cleared by the evaluation pass: staleness is worked out from the
state shown now, so the pass writes nothing more.

A *snooze* silences one integration's notifications, whatever its state, until a time.

The one question every notifier asks is :func:`silenced`; the reads and writes are in
:mod:`syncwatch.db.attention`, the commands in :mod:`syncwatch.cli.attention`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from syncwatch.states import IntegrationState

__all__ = [
    "NOTE_LIMIT",
    "NO_ATTENTION",
    "SNOOZE_RANGE",
    "Ack",
    "AttentionMark",
    "BadNote",
    "Snooze",
    "check_note",
    "check_snooze",
    "is_stale",
    "mark_of",
    "parse_snooze",
    "silenced",
    "snoozed",
]

#: Characters of an acknowledgement's note: a line or two, not a report.
NOTE_LIMIT = 500
#: How long a snooze may be: a minute to a week (longer is "deactivate" or an ack).
SNOOZE_RANGE = (timedelta(minutes=1), timedelta(days=7))


@dataclass(frozen=True, slots=True)
class Ack:
    """Somebody is on it: who, when, the state acknowledged and their note."""

    by: str
    at: datetime
    state: IntegrationState
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Snooze:
    """Notifications silenced until ``until``, by ``by`` at ``at``."""

    until: datetime
    by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AttentionMark:
    """What the list, the drill-down and ``show`` know of one integration's attention."""

    ack: Ack | None = None
    snooze: Snooze | None = None

    @property
    def empty(self) -> bool:
        return self.ack is None and self.snooze is None


NO_ATTENTION = AttentionMark()


def mark_of(
    acked_by: str | None,
    acked_at: datetime | None,
    ack_note: str | None,
    ack_state: str | None,
    snoozed_until: datetime | None,
    snoozed_by: str | None,
    snoozed_at: datetime | None,
) -> AttentionMark:
    """An ``attention`` row's columns (in the table's order, after the id) as a mark."""
    ack = None
    if acked_by is not None and acked_at is not None and ack_state is not None:
        ack = Ack(acked_by, acked_at, IntegrationState(ack_state), ack_note)
    snooze = None
    if snoozed_until is not None:
        snooze = Snooze(snoozed_until, snoozed_by or "", snoozed_at or snoozed_until)
    return AttentionMark(ack, snooze)


class BadNote(ValueError):
    """A note that is not one: too long, or holding control characters."""


def check_note(note: str | None) -> str | None:
    """The note to store: stripped, ``None`` when blank; :class:`BadNote` when longer than
    :data:`NOTE_LIMIT` or holding a control or invisible character. Runs of white space
    (line breaks and tabs included) become one space: a note is shown on one line."""
    if note is None:
        return None
    text = " ".join(note.split())
    if not text:
        return None
    if len(text) > NOTE_LIMIT:
        raise BadNote(f"the note is {len(text):,} characters long; at most {NOTE_LIMIT}")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in text):
        raise BadNote("the note holds a control or invisible character; give plain text")
    return text


def check_snooze(duration: timedelta) -> timedelta:
    """``duration`` if within :data:`SNOOZE_RANGE`, else ``ValueError`` in words."""
    low, high = SNOOZE_RANGE
    if not low <= duration <= high:
        raise ValueError("a snooze lasts from 1 minute to 7 days (e.g. 30m, 2h, 1d)")
    return duration


def parse_snooze(text: str) -> timedelta:
    """A snooze's DURATION as typed (``30m``, ``2h``, ``1d``, ``1d12h``): ``ValueError`` in
    words for text that is not one or a duration out of :data:`SNOOZE_RANGE`. The syntax is
    the demo's (``syncwatch.demo.timing.parse_duration``), so one spelling works everywhere."""
    from syncwatch.demo.timing import parse_duration

    try:
        return check_snooze(parse_duration(text))
    except OverflowError:
        raise ValueError(f"{text!r} is far too long for a snooze") from None


def is_stale(ack: Ack, state: IntegrationState | None) -> bool:
    """Whether the integration got worse than the state acknowledged (then the person on it
    may not know, and notifications ring again)."""
    return state is not None and state.severity > ack.state.severity


def snoozed(snooze: Snooze | None, now: datetime) -> bool:
    """Whether ``snooze`` still holds at ``now`` (it ends at ``until``, exclusive)."""
    return snooze is not None and now < snooze.until


def silenced(
    ack: Ack | None,
    snooze: Snooze | None,
    old_state: IntegrationState | None,
    new_state: IntegrationState,
    now: datetime,
) -> bool:
    """Whether the transition ``old_state`` -> ``new_state`` at ``now`` should not notify.

    A snooze in force silences every transition. An acknowledgement silences a transition
    to a state no worse than the state acknowledged (a recovery, or back to it); a
    transition to a worse one notifies (the acknowledgement is stale from then on).
    ``old_state`` is not needed by these rules; it is taken so a notifier passes the whole
    transition and a later rule (e.g. "recoveries always notify") has what it needs.
    """
    del old_state  # see the docstring
    if snoozed(snooze, now):
        return True
    return ack is not None and not is_stale(ack, new_state)
