"""The fleet as it was: every integration's state at a past moment, from the state history.

Pure (no I/O, no clock): the reads (:func:`syncwatch.db.asof.fleet_as_of`, and on the
light read paths :meth:`syncwatch.fastread.FastReader.fleet_as_of` and its PostgreSQL
twin) fetch three things for a time ``T`` and hand them here:

- the **state at T** of each integration: the ``to_state`` of its latest history entry
  dated at or before ``T`` (ties: the entry recorded later, the larger id), with that
  entry's reason and time (what ``status_since`` was then);
- its **last sync at T**: the finished sync (not ``RUNNING`` or ``CANCELLED``) that had
  ended latest by ``T``;
- its **recent results at T**: the last syncs started by ``T``; one still running at ``T``
  (ended later, or not yet) is shown as running.

:func:`fleet_as_of` builds from them the same :class:`~syncwatch.rows.IntegrationRow`
records the list shows, as they were at ``T`` (:func:`row_as_of`). An integration created
after ``T``, or with no state recorded by ``T``, is absent. Nothing is evaluated: the answer
is what the history says, and nothing is written.

What the history does not record (whether it was enabled, its filters, its QA status,
credentials, Kombo's side) is not guessed: the JSON leaves those fields ``null``
(:data:`UNRECORDED_FIELDS`) and the surfaces show no countdown ("Next") for the past.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from syncwatch.clock import parse_instant, to_utc
from syncwatch.rows import HistoryRow, IntegrationRow, SyncRow
from syncwatch.states import IntegrationState, SyncState
from syncwatch.trends import RECENT_SYNCS, RecentResults, RecentSync

__all__ = [
    "UNRECORDED_FIELDS",
    "AsOfError",
    "FleetAsOf",
    "LastSyncAt",
    "StateAt",
    "as_of_label",
    "check_as_of",
    "clamp_as_of",
    "fleet_as_of",
    "integration_as_of",
    "last_sync_at",
    "parse_as_of",
    "recent_as_of",
    "row_as_of",
    "state_at",
    "syncs_as_of",
]

#: ``list --json`` fields the history does not record: ``null`` in an as-of answer.
UNRECORDED_FIELDS: tuple[str, ...] = (
    "api_status",
    "setup_status",
    "qa_status",
    "enabled",
    "filters_configured",
    "credentials_invalid",
    "last_api_request_at",
    "credentials_updated_at",
    "upstream_status",
    "upstream_checked_at",
    "upstream_gone_at",
    "next_change_at",
    "next_change",
    "next_status",
    # Acknowledgements and snoozes are marks of now: their past is in the audit log, not
    # replayed here (docs/ack.md).
    "ack",
    "snooze",
)

#: The sync states that never count as "the last sync" (the evaluator ignores them).
UNFINISHED: frozenset[str] = frozenset({SyncState.RUNNING.value, SyncState.CANCELLED.value})


class AsOfError(ValueError):
    """A time the fleet cannot be shown at (in the future, before any history, unreadable),
    with a message fit for a user."""


@dataclass(frozen=True, slots=True)
class StateAt:
    """An integration's latest history entry at or before the time asked."""

    state: IntegrationState
    since: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class LastSyncAt:
    """The finished sync that had ended latest by the time asked."""

    id: str
    state: SyncState
    ended_at: datetime
    warnings: int
    errors: int


@dataclass(frozen=True, slots=True)
class FleetAsOf:
    """The fleet at :attr:`at`: the integrations that had a state then, as they were."""

    at: datetime
    rows: list[IntegrationRow]
    #: Each integration's last syncs started by :attr:`at` (absent: none).
    recent: dict[str, RecentResults] = field(default_factory=dict)
    #: Integrations created by :attr:`at` that had no state recorded yet (left out).
    unrecorded: int = 0


# --------------------------------------------------------------------------- the time asked

_RELATIVE = re.compile(r"^\s*-?\s*(?P<span>[0-9][0-9a-z ]*?)\s*(?:ago)?\s*$", re.I)


def parse_as_of(text: str, now: datetime) -> datetime:
    """``--as-of``: an ISO 8601 time with a zone (``2026-11-05T14:00Z``), or a duration
    before ``now`` in the syntax of ``errors --since`` (``2h``, ``1d``, ``1d12h``, also
    written ``1d ago``). Raises :class:`AsOfError` for anything else."""
    raw = text.strip()
    if not raw:
        raise AsOfError("--as-of is empty: give a time such as 2026-11-05T14:00Z, or 2h, 1d")
    if raw[0].isdigit() and ("-" in raw[1:] or ":" in raw):
        try:
            return parse_instant(raw)
        except ValueError as err:
            raise AsOfError(str(err)) from None
    match = _RELATIVE.match(raw)
    if match is None:
        raise AsOfError(_unreadable(text))
    from syncwatch.demo.timing import parse_duration

    try:
        span = parse_duration(match["span"])
    except ValueError:
        raise AsOfError(_unreadable(text)) from None
    if span > timedelta(days=3660):
        raise AsOfError(f"{text!r} is out of range (at most 3660d ago)")
    return to_utc(now) - span


def _unreadable(text: str) -> str:
    return (
        f"{text!r} is not a time: give an ISO 8601 time with a zone "
        "(2026-11-05T14:00Z) or how long ago (2h, 1d, 1d12h)"
    )


def check_as_of(at: datetime, now: datetime, first: datetime | None) -> None:
    """Refuse a time after ``now`` or before the first history entry (``first``; ``None``:
    there is no history at all)."""
    if at > now:
        raise AsOfError(
            f"{as_of_label(at)} is in the future (now is {as_of_label(now)}): "
            "the history tells only what was"
        )
    if first is None:
        raise AsOfError("there is no state history yet: nothing to show as of a past time")
    if at < first:
        raise AsOfError(
            f"{as_of_label(at)} is before any history (the first entry is from "
            f"{as_of_label(first)})"
        )


def clamp_as_of(at: datetime, now: datetime, first: datetime | None) -> tuple[datetime, str | None]:
    """The UI's steps: ``at`` kept within the history (from ``first`` to ``now``), with a
    note when it was moved. Raises :class:`AsOfError` when there is no history at all."""
    if first is None:
        raise AsOfError("there is no state history yet: nothing to show as of a past time")
    if at > now:
        return now, "that is past now: showing now (the latest the history knows)"
    if at < first:
        return first, f"the history starts at {as_of_label(first)}: showing its start"
    return at, None


def as_of_label(at: datetime) -> str:
    """``2026-11-05 14:00 UTC`` (seconds only when there are some)."""
    t = to_utc(at)
    return f"{t:%Y-%m-%d %H:%M:%S} UTC" if t.second else f"{t:%Y-%m-%d %H:%M} UTC"


# --------------------------------------------------------------------------- the rows


def _by(t: datetime | None, at: datetime) -> datetime | None:
    """``t`` if it had happened by ``at``, else ``None``."""
    return t if t is not None and t <= at else None


#: States below ``SETUP`` in precedence: filters must have been configured.
_CONFIGURED = frozenset(
    {
        IntegrationState.QUALITY_ASSURANCE,
        IntegrationState.CREDENTIALS_INVALID,
        IntegrationState.AUTHENTICATION_FAILING,
        IntegrationState.SYNC_FAILING,
        IntegrationState.SYNC_HAS_WARNINGS,
        IntegrationState.ACTIVE,
    }
)


def row_as_of(
    row: IntegrationRow, at: datetime, state: StateAt, last: LastSyncAt | None
) -> IntegrationRow:
    """``row`` (as stored now) as it was at ``at``: the state, its reason and since when
    from the history; the last sync from the syncs; times after ``at`` removed (a deletion
    dated later had not happened); what the state implies of ``enabled`` and the filters.
    Evaluated at ``at``, so :attr:`IntegrationRow.deleted` reads as of then."""
    s = state.state
    enabled = row.enabled if s is IntegrationState.DELETED else s is not IntegrationState.INACTIVE
    if s is IntegrationState.SETUP:
        filters = False
    elif s in _CONFIGURED:
        filters = True
    else:
        filters = row.filters_configured
    disabled_at = _by(row.disabled_at, at)
    return replace(
        row,
        enabled=enabled,
        filters_configured=filters,
        credentials_invalid_at=_by(row.credentials_invalid_at, at),
        credentials_updated_at=_by(row.credentials_updated_at, at),
        last_api_request_at=_by(row.last_api_request_at, at),
        last_reactivated_at=_by(row.last_reactivated_at, at),
        disabled_reason=row.disabled_reason if disabled_at is not None else None,
        disabled_at=disabled_at,
        deleted_at=_by(row.deleted_at, at),
        purged_at=_by(row.purged_at, at),
        state=s,
        state_reason=state.reason,
        state_since=state.since,
        evaluated_at=at,
        last_sync_id=last.id if last else None,
        last_sync_state=last.state if last else None,
        last_sync_ended_at=last.ended_at if last else None,
        last_sync_warnings=last.warnings if last else 0,
        last_sync_errors=last.errors if last else 0,
        next_due_at=None,
        dirty=False,
    )


def recent_as_of(syncs: Iterable[RecentSync], at: datetime) -> RecentResults:
    """The strip at ``at`` of syncs started by then (newest first or in any order): the
    last :data:`~syncwatch.trends.RECENT_SYNCS` by start, one not ended by ``at`` shown as
    running."""
    shown = [
        s
        if s.ended_at is not None and s.ended_at <= at
        else RecentSync(s.id, SyncState.RUNNING, s.started_at, None)
        for s in syncs
        if s.started_at <= at
    ]
    shown.sort(key=lambda s: (s.started_at, s.id))
    return RecentResults(tuple(shown[-RECENT_SYNCS:]))


def fleet_as_of(
    at: datetime,
    rows: Iterable[IntegrationRow],
    states: Mapping[str, StateAt],
    last_syncs: Mapping[str, LastSyncAt],
    recent: Mapping[str, Iterable[RecentSync]],
) -> FleetAsOf:
    """The fleet at ``at`` from the stored rows and what was read for ``at``: an
    integration created after ``at`` or with no state recorded by then is left out."""
    out: list[IntegrationRow] = []
    unrecorded = 0
    for row in rows:
        if row.created_at > at:
            continue
        state = states.get(row.id)
        if state is None:
            unrecorded += 1
            continue
        out.append(row_as_of(row, at, state, last_syncs.get(row.id)))
    strips = {iid: recent_as_of(syncs, at) for iid, syncs in recent.items()}
    return FleetAsOf(at, out, {k: v for k, v in strips.items() if v.syncs}, unrecorded)


# --------------------------------------------------------------------------- one integration


def state_at(history: Sequence[HistoryRow], at: datetime) -> StateAt | None:
    """The rule of :data:`syncwatch.fastread.AS_OF_STATES` over one integration's history
    (oldest first, by id, as ``show`` reads it): its latest entry at or before ``at``, the
    later recorded winning a tie. ``show --as-of`` reads one integration this way."""
    best: HistoryRow | None = None
    for h in history:
        if h.at <= at and (best is None or h.at >= best.at):
            best = h
    return None if best is None else StateAt(best.to_state, best.at, best.reason)


def last_sync_at(syncs: Iterable[SyncRow], at: datetime) -> LastSyncAt | None:
    """The finished sync that had ended latest by ``at`` (ties: later start, larger id),
    as :data:`syncwatch.fastread.AS_OF_LAST_SYNCS` picks it."""
    best: SyncRow | None = None
    for s in syncs:
        if s.ended_at is None or s.ended_at > at or s.state.value in UNFINISHED:
            continue
        if best is None or (s.ended_at, s.started_at, s.id) > (
            best.ended_at,
            best.started_at,
            best.id,
        ):
            best = s
    if best is None or best.ended_at is None:
        return None
    return LastSyncAt(best.id, best.state, best.ended_at, best.warnings, best.errors)


def syncs_as_of(syncs: Iterable[SyncRow], at: datetime) -> list[SyncRow]:
    """The syncs started by ``at`` (in the order given), one not ended by then shown as
    running (no end, no counts yet)."""
    return [
        s
        if s.ended_at is not None and s.ended_at <= at
        else replace(s, state=SyncState.RUNNING, ended_at=None, warnings=0, errors=0)
        for s in syncs
        if s.started_at <= at
    ]


def integration_as_of(
    row: IntegrationRow, history: Sequence[HistoryRow], syncs: Sequence[SyncRow], at: datetime
) -> IntegrationRow | None:
    """One integration as it was at ``at`` (``None``: created later, or no state recorded
    by then), from its history and syncs."""
    if row.created_at > at:
        return None
    state = state_at(history, at)
    if state is None:
        return None
    return row_as_of(row, at, state, last_sync_at(syncs, at))
