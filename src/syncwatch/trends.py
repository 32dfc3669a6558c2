"""Trends: an integration's recent sync results, the rule coming its way, and its timeline.

Pure (no I/O, no clock, no terminal): the list, the drill-down and ``list``/``show`` read
their strips, countdowns and availability from here, so every surface says the same.

- **Recent results** (:class:`RecentResults`): the last :data:`RECENT_SYNCS` syncs of an
  integration, one cell each, oldest first, as a glyph that reads without colour
  (``✓✓▲✗✗``): a flapping integration and an outage look different at a glance.
- **The coming rule** (:func:`next_change`): when time alone will change what the
  integration shows, from the evaluator's windows (:data:`~syncwatch.evaluator.CREDENTIALS_WINDOW`,
  :data:`~syncwatch.evaluator.INACTIVITY_WINDOW`, :data:`~syncwatch.evaluator.PURGE_AFTER`)
  and the row's stored ``next_due_at``: "syncs pause in 1 d 10 h".
- **The timeline** (:func:`timeline`): the states over a window (7 or 30 days) from the
  state history, as spans, with its transitions and the availability: the share of the
  known part of the window spent ``ACTIVE`` or ``SYNC_HAS_WARNINGS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from syncwatch.clock import iso
from syncwatch.evaluator import INACTIVITY_WINDOW, PURGE_AFTER
from syncwatch.rows import HistoryRow, IntegrationRow
from syncwatch.states import Environment, IntegrationState, SyncState
from syncwatch.timefmt import fmt_duration

#: How many syncs the strip shows (the list's column, ``list --json``, ``show``).
RECENT_SYNCS = 10

#: The timeline's windows, by name (the drill-down's key toggles between them).
WINDOWS: dict[str, timedelta] = {"7d": timedelta(days=7), "30d": timedelta(days=30)}
#: The windows in words.
WINDOW_WORDS: dict[str, str] = {"7d": "7 days", "30d": "30 days"}

#: The states that count as available.
AVAILABLE: frozenset[IntegrationState] = frozenset(
    {IntegrationState.ACTIVE, IntegrationState.SYNC_HAS_WARNINGS}
)

#: A sync result's cell: its glyph and the state whose colour paints it (``None``: muted).
#: The colour is the state's own (``syncwatch.states.STATE_INFO``): one state, one colour.
RESULT_CELLS: dict[SyncState, tuple[str, IntegrationState | None]] = {
    SyncState.SUCCEEDED: ("✓", IntegrationState.ACTIVE),
    SyncState.PARTIALLY_FAILED: ("▲", IntegrationState.SYNC_HAS_WARNINGS),
    SyncState.FAILED: ("✗", IntegrationState.SYNC_FAILING),
    SyncState.TIMED_OUT: ("✗", IntegrationState.SYNC_FAILING),
    SyncState.AUTHENTICATION_FAILED: ("⚠", IntegrationState.AUTHENTICATION_FAILING),
    SyncState.RUNNING: ("…", None),
    SyncState.CANCELLED: ("–", None),
}


# --------------------------------------------------------------------------- recent results


@dataclass(frozen=True, slots=True)
class RecentSync:
    """One sync of the strip."""

    id: str
    state: SyncState
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class ResultStrip:
    """What the list draws of a strip: each sync's result, oldest first, and nothing else
    (no ids, no times). One object per distinct strip, shared by every integration with
    the same results (see :meth:`RecentResults.strip`): 100,000 integrations have a few
    hundred distinct strips, so the list holds a reference each, not five syncs each."""

    states: tuple[SyncState, ...] = ()

    @property
    def glyphs(self) -> str:
        """The strip as text: ``✓✓▲✗✗`` (oldest first, the latest on the right)."""
        return "".join(RESULT_CELLS[s][0] for s in self.states)

    def cells(self) -> list[tuple[str, IntegrationState | None]]:
        """Each sync's glyph and the state whose colour paints it, oldest first."""
        return [RESULT_CELLS[s] for s in self.states]

    @property
    def strip(self) -> ResultStrip:
        """Itself (as :attr:`RecentResults.strip`)."""
        return self


#: The shared strips, by their results (bounded by the strips that occur: a few hundred).
_STRIPS: dict[tuple[SyncState, ...], ResultStrip] = {}


def strip_of(states: tuple[SyncState, ...]) -> ResultStrip:
    """The shared :class:`ResultStrip` of ``states`` (oldest first)."""
    found = _STRIPS.get(states)
    if found is None:
        found = _STRIPS.setdefault(states, ResultStrip(states))
    return found


@dataclass(frozen=True, slots=True)
class RecentResults:
    """An integration's last syncs (by start, newest last), one cell each."""

    syncs: tuple[RecentSync, ...] = ()

    @property
    def strip(self) -> ResultStrip:
        """The shared :class:`ResultStrip` of these results (what the list keeps)."""
        return strip_of(tuple(s.state for s in self.syncs))

    @property
    def glyphs(self) -> str:
        """The strip as text: ``✓✓▲✗✗`` (oldest first, the latest on the right)."""
        return self.strip.glyphs

    def cells(self) -> list[tuple[str, IntegrationState | None]]:
        """Each sync's glyph and the state whose colour paints it, oldest first."""
        return self.strip.cells()

    def json(self) -> list[dict[str, Any]]:
        """``recent_results`` in ``list --json`` and ``show --json``: oldest first."""
        return [
            {
                "id": s.id,
                "state": s.state.value,
                "started_at": iso(s.started_at),
                "ended_at": iso(s.ended_at),
            }
            for s in self.syncs
        ]


NO_RECENT = RecentResults()


def recent_results(syncs: Iterable[RecentSync], limit: int = RECENT_SYNCS) -> RecentResults:
    """The strip of ``syncs`` (any order): the last ``limit`` by start (ties: by id)."""
    ordered = sorted(syncs, key=lambda s: (s.started_at, s.id))
    return RecentResults(tuple(ordered[-limit:]) if limit > 0 else ())


# --------------------------------------------------------------------------- the coming rule


@dataclass(frozen=True, slots=True)
class NextChange:
    """What time alone will change about an integration, and when."""

    at: datetime
    #: ``credentials_invalid``, ``inactive``, ``deleted`` or ``purge``.
    kind: str
    #: The state it will show then (``None``: it stays, as for a purge).
    to: IntegrationState | None

    def text(self, now: datetime) -> str:
        """In words: ``syncs pause in 1 d 10 h`` (``syncs pause now`` once due)."""
        verb = _VERBS[self.kind]
        left = self.at - now
        return f"{verb} now" if left <= timedelta(0) else f"{verb} in {fmt_duration(left)}"

    def short(self, now: datetime) -> str:
        """The list's form: ``pause in 1d 10h``."""
        verb = _SHORT_VERBS[self.kind]
        secs = int((self.at - now).total_seconds())
        if secs <= 0:
            return f"{verb} now"
        days, rem = divmod(secs, 86400)
        hours, rem = divmod(rem, 3600)
        mins = rem // 60
        if days:
            span = f"{days}d {hours}h" if hours else f"{days}d"
        elif hours:
            span = f"{hours}h {mins}m" if mins else f"{hours}h"
        else:
            span = f"{max(mins, 1)}m"
        return f"{verb} in {span}"

    def json(self) -> dict[str, Any]:
        """``next_change_at``, ``next_change`` (the rule) and ``next_status``."""
        return {
            "next_change_at": iso(self.at),
            "next_change": self.kind,
            "next_status": self.to.value if self.to is not None else None,
        }


NO_CHANGE_JSON: dict[str, Any] = {"next_change_at": None, "next_change": None, "next_status": None}

_VERBS = {
    "credentials_invalid": "syncs pause",
    "inactive": "disabled (no API request for 14 days)",
    "deleted": "deleted",
    "purge": "syncs and logs purged",
}
_SHORT_VERBS = {
    "credentials_invalid": "pause",
    "inactive": "off",
    "deleted": "delete",
    "purge": "purge",
}


def next_change(row: IntegrationRow) -> NextChange | None:
    """The next change time alone brings to ``row`` as last evaluated, if a rule is coming.

    The marks are the evaluator's: a deletion dated later takes effect at its time; 14 days
    after a deletion the syncs and logs are purged; an enabled development integration is
    disabled 14 days after its latest activity; an integration failing authentication has
    its syncs paused 72 hours after the first failure of the run, which is the row's
    ``next_due_at`` (the evaluator's next deadline) when no other mark explains it. The
    soonest wins. ``None``: nothing is coming (only a new sync or an operator can change it).
    """
    state = row.state
    if state is None:
        return None
    candidates: list[NextChange] = []
    evaluated = row.evaluated_at
    deleted_at = row.deleted_at
    if deleted_at is not None:
        if evaluated is not None and deleted_at > evaluated:
            candidates.append(NextChange(deleted_at, "deleted", IntegrationState.DELETED))
        elif row.purged_at is None:
            candidates.append(NextChange(deleted_at + PURGE_AFTER, "purge", None))
    elif row.enabled and row.environment == Environment.DEVELOPMENT.value:
        activity = max(
            t
            for t in (row.created_at, row.last_api_request_at, row.last_reactivated_at)
            if t is not None
        )
        candidates.append(
            NextChange(activity + INACTIVITY_WINDOW, "inactive", IntegrationState.INACTIVE)
        )
    due = row.next_due_at
    if (
        state is IntegrationState.AUTHENTICATION_FAILING
        and row.credentials_invalid_at is None
        and due is not None
        and all(c.at != due for c in candidates)
    ):
        candidates.append(
            NextChange(due, "credentials_invalid", IntegrationState.CREDENTIALS_INVALID)
        )
    return min(candidates, key=lambda c: c.at, default=None)


# --------------------------------------------------------------------------- the timeline


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of time in one state (``None``: before the first recorded state)."""

    start: datetime
    end: datetime
    state: IntegrationState | None

    @property
    def length(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Timeline:
    """An integration's states over ``[start, end]``."""

    start: datetime
    end: datetime
    #: Back to back, covering the window, oldest first.
    spans: tuple[Span, ...]
    #: The transitions inside the window, oldest first.
    transitions: tuple[HistoryRow, ...]

    @property
    def window(self) -> timedelta:
        return self.end - self.start

    @property
    def known(self) -> timedelta:
        """The part of the window with a recorded state (after the first entry)."""
        return sum((s.length for s in self.spans if s.state is not None), timedelta(0))

    def time_in(self, states: Iterable[IntegrationState]) -> timedelta:
        wanted = set(states)
        return sum((s.length for s in self.spans if s.state in wanted), timedelta(0))

    @property
    def availability(self) -> float | None:
        """The share of :attr:`known` spent ``ACTIVE`` or ``SYNC_HAS_WARNINGS`` (``None``:
        nothing recorded in the window)."""
        known = self.known.total_seconds()
        if known <= 0:
            return None
        return self.time_in(AVAILABLE).total_seconds() / known

    def shares(self) -> list[tuple[IntegrationState, timedelta]]:
        """Time in each state seen in the window, longest first (ties: worst first)."""
        totals: dict[IntegrationState, timedelta] = {}
        for s in self.spans:
            if s.state is not None:
                totals[s.state] = totals.get(s.state, timedelta(0)) + s.length
        return sorted(totals.items(), key=lambda kv: (-kv[1], -kv[0].severity))

    def cells(self, width: int) -> list[tuple[IntegrationState | None, bool]]:
        """The window in ``width`` cells, oldest first: each cell's worst state (a short
        failure stays visible however wide the cell) and whether a transition falls in it."""
        if width <= 0:
            return []
        total = self.window.total_seconds()
        out: list[tuple[IntegrationState | None, bool]] = []
        spans = self.spans
        marks = [(t.at - self.start).total_seconds() for t in self.transitions]
        offsets = [
            ((s.start - self.start).total_seconds(), (s.end - self.start).total_seconds(), s.state)
            for s in spans
        ]
        for i in range(width):
            lo = total * i / width
            hi = total * (i + 1) / width
            worst: IntegrationState | None = None
            for a, b, state in offsets:
                # Overlapping the cell by more than an instant (a span that ends where the
                # cell starts is the previous cell's).
                if (
                    b > lo
                    and a < hi
                    and state is not None
                    and (worst is None or state.severity > worst.severity)
                ):
                    worst = state
            last = i == width - 1
            marked = any(lo <= m < hi or (last and m == hi) for m in marks)
            out.append((worst, marked))
        return out

    def json(self) -> dict[str, Any]:
        """One window in ``show --json``."""
        availability = self.availability
        return {
            "from": iso(self.start),
            "to": iso(self.end),
            "availability": None if availability is None else round(availability, 4),
            "known_seconds": int(self.known.total_seconds()),
            "segments": [
                {"status": s.state.value, "from": iso(s.start), "to": iso(s.end)}
                for s in self.spans
                if s.state is not None
            ],
            "transitions": [
                {
                    "from": t.from_state.value if t.from_state else None,
                    "to": t.to_state.value,
                    "at": iso(t.at),
                }
                for t in self.transitions
            ],
        }


def timeline(history: Sequence[HistoryRow], now: datetime, window: timedelta) -> Timeline:
    """The states over the ``window`` before ``now``, from the state history (any order;
    entries at the same time keep their order). Each entry's state lasts until the next
    one; before the first, nothing is known (``None``); an entry after ``now`` is not
    reached yet."""
    start = now - window
    ordered = sorted(
        (h for h in history if h.at <= now), key=lambda h: h.at
    )  # stable: same-time entries keep their recorded order
    spans: list[Span] = []
    current: IntegrationState | None = None
    at = start
    transitions: list[HistoryRow] = []
    for entry in ordered:
        if entry.at <= start:
            current = entry.to_state  # the state the window opens in
            continue
        transitions.append(entry)
        if entry.to_state is current:
            continue
        if entry.at > at:
            spans.append(Span(at, entry.at, current))
        at = entry.at
        current = entry.to_state
    if now > at or not spans:
        spans.append(Span(at, now, current))
    return Timeline(start, now, tuple(_merged(spans)), tuple(transitions))


def _merged(spans: list[Span]) -> list[Span]:
    """Neighbouring spans in the same state joined (zero-length ones dropped)."""
    out: list[Span] = []
    for s in spans:
        if s.end <= s.start and out:
            continue
        if out and out[-1].state is s.state:
            out[-1] = Span(out[-1].start, s.end, s.state)
        else:
            out.append(s)
    return out


def availability_text(tl: Timeline, name: str) -> str:
    """``Availability 97.3 % over 7 d`` (with how much of the window is known when not all)."""
    value = tl.availability
    if value is None:
        return f"Availability over {_window_words(name)}: no state recorded"
    text = f"Availability {value * 100:.1f} % over {_window_words(name)}"
    if tl.known < tl.window:
        text += f" (known for {fmt_duration(tl.known)})"
    return text


def _window_words(name: str) -> str:
    return WINDOW_WORDS.get(name) or fmt_duration(WINDOWS[name])
