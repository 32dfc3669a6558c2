"""Which state changes are worth the operator's attention, and the signals they raise.

One decision, one place: :meth:`Attention.worth_attention` says whether a state change
deserves attention; every signal goes through it (the "State changed" notification, the
unseen mark in the list, the bell). Plain code, no Textual: tested without a terminal.

Rules that silence a change (an acknowledged integration that did not get worse, a snoozed
one) are :data:`SilenceRule` functions added to :attr:`Attention.silences`; see
``docs/attention.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from syncwatch.present import safe_text
from syncwatch.states import STATES_BY_SEVERITY, IntegrationState
from syncwatch.tui.model import StateChange

#: Says True when a change should raise no signal (``now``: the evaluation's time).
SilenceRule = Callable[[StateChange, datetime], bool]

#: The states the window title counts: the ones an operator must act on (worst first).
#: Setup (waiting for filters) is not a failure and is left out, as are the calm states.
TITLE_STATES: tuple[IntegrationState, ...] = tuple(
    s
    for s in STATES_BY_SEVERITY
    if s
    in (
        IntegrationState.CREDENTIALS_INVALID,
        IntegrationState.SYNC_FAILING,
        IntegrationState.AUTHENTICATION_FAILING,
        IntegrationState.QUALITY_ASSURANCE,
        IntegrationState.SYNC_HAS_WARNINGS,
    )
)
#: The title's mark when no integration is in one of :data:`TITLE_STATES`.
ALL_WELL = "✓"


def worse(change: StateChange) -> bool:
    """Whether the integration went to a worse state: a higher
    :attr:`IntegrationState.severity`, into a state that needs attention (set inactive is
    higher than active in the sort, but nothing an on-call engineer must act on). A first
    state, from none, is not a worsening."""
    old, new = change.old.state, change.new.state
    if old is None or new is None:
        return False
    return new.severity > old.severity and new.needs_attention


@dataclass(frozen=True, slots=True)
class Signals:
    """What one batch of state changes raises."""

    #: The changes worth attention: notified (unless muted) and marked unseen.
    noticed: tuple[StateChange, ...] = ()
    #: Ring the bell: the bell is on and one of ``noticed`` went worse.
    ring: bool = False


@dataclass
class Attention:
    """The operator's attention settings and the rule deciding what deserves it."""

    #: Ring the terminal's bell on a change to a worse state (``--bell``; the preference).
    bell: bool = False
    #: Notifications of state changes muted (``!``): marks, title and bell still work.
    muted: bool = False
    #: Rules silencing a change (acknowledged, snoozed ...): any one saying True silences.
    silences: list[SilenceRule] = field(default_factory=list)

    def worth_attention(self, change: StateChange, now: datetime) -> bool:
        """Whether ``change`` deserves attention: no silence rule holds for it. The one
        function every signal (notification, unseen mark, bell) is decided by."""
        return not any(rule(change, now) for rule in self.silences)

    def signals(self, changes: Iterable[StateChange], now: datetime) -> Signals:
        """The signals ``changes`` raise at ``now``."""
        noticed = tuple(c for c in changes if self.worth_attention(c, now))
        return Signals(noticed, ring=self.bell and any(worse(c) for c in noticed))


def window_title(
    counts: Mapping[IntegrationState | None, int] | None, *, name: str = "syncwatch"
) -> str:
    """The terminal window's title: ``name`` and the count of each failing state, worst
    first, only the non-zero ones (``syncwatch ⊘1 ✖3 ⚠2``); ``syncwatch ✓`` when none is
    failing; ``name`` alone while nothing is loaded (``counts`` None).

    The counts and glyphs are syncwatch's own; ``name`` is made safe all the same, and the
    adapter (:mod:`.terminal_title`) drops control characters once more before writing."""
    shown = safe_text(name)
    if counts is None:
        return shown
    parts = [f"{s.glyph}{counts[s]}" for s in TITLE_STATES if counts.get(s, 0) > 0]
    return f"{shown} {' '.join(parts) if parts else ALL_WELL}"
