"""Replaying an integration's history from its data: each transition at the instant it happened.

An evaluation at ``now`` says which state an integration is in; this module says *when* it
got there. :func:`replay` steps the pure evaluator (:func:`syncwatch.evaluator.evaluate`, the
single source of the rules) through every instant at which the state could have changed
between ``start`` (the integration's creation, its last evaluation, or where a late sync
belongs) and ``now``: each sync's end, each deadline an evaluation reports (the 72-hour mark,
the 14-day mark, a purge) and each dated fact (an operator action, a Kombo report). At each
instant it evaluates the facts as they stood then, carrying the sticky facts the evaluator
sets forward, and records a :class:`Step` where the state changed. The last step is always
the plain evaluation at ``now``, so the replay never disagrees with what is stored.

Which facts stood when (``docs/rules.md``, "History"):

- Dated facts hold from their time: ``credentials_updated_at`` (the credentials epoch),
  ``last_reactivated_at``, ``disabled_at``, ``credentials_invalid_at``, ``deleted_at``,
  ``purged_at``. The last API request holds as stored.
- Undated facts (``enabled`` without ``disabled_at``, ``filters_configured``, a ``qa_status``
  from a file or Kombo): for an integration new to the store they hold since its creation;
  for one already known they hold from ``now`` (the write that brought them), and before it
  the replay reads them off the state the integration showed at ``start``.

Nothing here touches a database or a clock.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from syncwatch.evaluator import (
    DEV_INACTIVITY_REASON,
    OPERATOR_INACTIVE_REASON,
    Evaluation,
    IntegrationFacts,
    SyncFacts,
    evaluate,
)
from syncwatch.states import IntegrationState, QaStatus, SyncState

__all__ = ["Step", "replay", "replay_start"]

#: States an integration can only show with filters configured and QA not holding it.
_PAST_QA = frozenset(
    {
        IntegrationState.CREDENTIALS_INVALID,
        IntegrationState.AUTHENTICATION_FAILING,
        IntegrationState.SYNC_FAILING,
        IntegrationState.SYNC_HAS_WARNINGS,
        IntegrationState.ACTIVE,
    }
)
#: States an integration can only show while enabled and with filters configured.
_PAST_SETUP = _PAST_QA | {IntegrationState.QUALITY_ASSURANCE}


@dataclass(frozen=True, slots=True)
class Step:
    """One transition: the state changed from ``from_state`` to ``to_state`` at ``at``."""

    at: datetime
    from_state: IntegrationState | None
    to_state: IntegrationState
    reason: str


@dataclass(frozen=True, slots=True)
class _Undated:
    """The undated facts as they stood at ``start`` (they hold so until ``now``)."""

    enabled: bool
    disabled_reason: str | None
    filters_configured: bool
    qa_status: QaStatus | None


def replay_start(facts: IntegrationFacts, late: datetime | None, last: datetime | None) -> datetime:
    """Where a replay of an integration begins.

    Its creation when it was never evaluated (``facts.state`` is ``None``); else its last
    evaluation (``last``), or earlier where a sync that arrived since belongs (``late``, the
    earliest end of those syncs). A late sync is not placed before the latest operator
    action: actions are not unwound (``docs/rules.md``, "History").
    """
    if facts.state is None or last is None:
        return facts.created_at
    if late is None or late >= last:
        return last
    actions = [
        t
        for t in (
            facts.credentials_updated_at,
            facts.last_reactivated_at,
            facts.disabled_at if facts.disabled_reason == OPERATOR_INACTIVE_REASON else None,
            facts.deleted_at,
        )
        if t is not None and t <= last
    ]
    return max([late, facts.created_at, *actions])


def replay(
    facts: IntegrationFacts,
    syncs: Iterable[SyncFacts],
    start: datetime,
    now: datetime,
    final: Evaluation | None = None,
) -> list[Step]:
    """The transitions of one integration from ``start`` to ``now``, oldest first.

    ``facts`` are the stored facts, with ``state`` the state shown at ``start`` (``None`` for
    an integration never evaluated: its first step is at ``start``, from nothing). ``syncs``
    must hold every sync that ended after ``start`` and the syncs the rules need at
    ``start`` (as :func:`syncwatch.db.evaluation.syncs_for_evaluation` loads them). ``final``
    is ``evaluate(facts, syncs, now)`` when the caller has it. The last step's state is
    always ``final``'s.
    """
    syncs = tuple(syncs)
    if final is None:
        final = evaluate(facts, syncs, now)
    previous = facts.state
    steps: list[Step] = []
    start = min(start, now)
    if start < now:
        steps = _walk(facts, syncs, start, now)
        if steps:
            previous = steps[-1].to_state
    if final.state is not previous:
        steps.append(Step(now, previous, final.state, final.reason))
    return steps


def _undated_at_start(
    facts: IntegrationFacts, ordered: Sequence[SyncFacts], start: datetime
) -> _Undated:
    shown = facts.state
    if shown is None:
        # New to the store: the undated facts hold since creation. A disable with a time
        # is a dated fact, not in force before its time.
        dated_disable = not facts.enabled and facts.disabled_at is not None
        return _Undated(
            facts.enabled or dated_disable,
            None if dated_disable else facts.disabled_reason,
            facts.filters_configured,
            facts.qa_status,
        )
    enabled = facts.enabled
    reason = facts.disabled_reason
    if shown is IntegrationState.INACTIVE:
        enabled, reason = False, facts.disabled_reason or OPERATOR_INACTIVE_REASON
    elif shown in _PAST_SETUP or shown is IntegrationState.SETUP:
        enabled, reason = True, None
    filters = facts.filters_configured
    if shown is IntegrationState.SETUP:
        filters = False
    elif shown in _PAST_SETUP:
        filters = True
    qa = facts.qa_status
    if shown is IntegrationState.QUALITY_ASSURANCE:
        qa = QaStatus.FAILED
    elif qa is QaStatus.FAILED and shown in _PAST_QA:
        # Held since `start`: by a first sync in the interval (the evaluator decides it
        # again), or by a write at `now` (decided from the syncs seen before `start`).
        seen = any(s.ended_at is not None and s.ended_at <= start for s in ordered)
        qa = QaStatus.PASSED if seen else None
    return _Undated(enabled, reason, filters, qa)


@dataclass(slots=True)
class _Derived:
    """The sticky facts the evaluator set during the replay."""

    qa_status: QaStatus | None
    credentials_invalid_at: datetime | None = None
    inactive_at: datetime | None = None
    purged_at: datetime | None = None


def _facts_at(
    stored: IntegrationFacts,
    undated: _Undated,
    derived: _Derived,
    state: IntegrationState | None,
    t: datetime,
    last: IntegrationFacts | None = None,
) -> IntegrationFacts:
    """The facts as they stood at ``t`` (before ``now``); ``last`` itself when they are the
    same as those."""

    def by(at: datetime | None) -> datetime | None:
        return at if at is not None and at <= t else None

    epoch = by(stored.credentials_updated_at)
    invalid = derived.credentials_invalid_at or by(stored.credentials_invalid_at)
    if invalid is not None and epoch is not None and invalid < epoch:
        invalid = None  # the credentials update cleared it
    reactivated = by(stored.last_reactivated_at)
    # Enabled or not: the latest of the dated changes at or before `t`, else as at start.
    enabled, reason, disabled_at = undated.enabled, undated.disabled_reason, None
    changes: list[tuple[datetime, bool, str | None]] = []
    if reactivated is not None:
        changes.append((reactivated, True, None))
    if not stored.enabled and by(stored.disabled_at) is not None:
        assert stored.disabled_at is not None
        changes.append((stored.disabled_at, False, stored.disabled_reason))
    if derived.inactive_at is not None:
        changes.append((derived.inactive_at, False, DEV_INACTIVITY_REASON))
    if changes:
        at, enabled, reason = max(changes, key=lambda c: c[0])
        disabled_at = None if enabled else at
    values: dict[str, Any] = {
        "enabled": enabled,
        "disabled_reason": reason,
        "disabled_at": disabled_at,
        "filters_configured": undated.filters_configured,
        "qa_status": derived.qa_status,
        "credentials_invalid_at": invalid,
        "credentials_updated_at": epoch,
        "last_reactivated_at": reactivated,
        "purged_at": derived.purged_at or by(stored.purged_at),
        "state": state,
    }
    # Most instants see the facts of the one before: keep that object (replace is costly).
    if last is not None and all(getattr(last, k) == v for k, v in values.items()):
        return last
    return replace(stored, **values)


def _walk(
    stored: IntegrationFacts, syncs: Sequence[SyncFacts], start: datetime, now: datetime
) -> list[Step]:
    """The steps at the instants in ``[start, now)``."""
    ordered = sorted((s for s in syncs if s.finished_by(now)), key=lambda s: s.order_key)
    ends = [s.ended_at for s in ordered if s.ended_at is not None]
    dated = sorted(
        {
            t
            for t in (
                stored.credentials_updated_at,
                stored.last_reactivated_at,
                stored.disabled_at,
                stored.credentials_invalid_at,
                stored.deleted_at,
                stored.purged_at,
            )
            if t is not None and start < t < now
        }
    )
    undated = _undated_at_start(stored, ordered, start)
    derived = _Derived(undated.qa_status)
    state = stored.state
    steps: list[Step] = []
    t = start
    # firsts[i]: the first sync (the QA rule's) among the first i to end.
    firsts: list[SyncFacts | None] = [None]
    for s in ordered:
        best = firsts[-1]
        key = (s.started_at, s.ended_at, s.id)
        firsts.append(
            s if best is None or key < (best.started_at, best.ended_at, best.id) else best
        )
    due: datetime | None = None
    facts: IntegrationFacts | None = None
    seen = -1  # how many syncs had ended at the last evaluation (-1: none yet)
    marks = set(dated)
    while t < now:
        i = bisect.bisect_right(ends, t)
        if (
            seen >= 0
            and t != due
            and t not in marks
            and _repeats(stored, derived, ordered, seen, i, t)
        ):
            # Only syncs like the last one ended: the result is the same (most instants).
            seen = i
            t = _next_instant(t, ends, dated, due, now)
            continue
        j = i
        while j > 0 and ordered[j - 1].state is SyncState.AUTHENTICATION_FAILED:
            j -= 1
        window = list(ordered[max(j - 1, 0) : i])
        first = firsts[i]
        if first is not None and first not in window:
            window.append(first)
        facts = _facts_at(stored, undated, derived, state, t, facts)
        ev = evaluate(facts, window, t)
        f = ev.facts
        derived.qa_status = f.qa_status
        if ev.credentials_invalidated:
            derived.credentials_invalid_at = f.credentials_invalid_at
        if ev.disabled_for_inactivity:
            derived.inactive_at = f.disabled_at
        if ev.purge_due:
            derived.purged_at = f.purged_at
        if ev.state is not state:
            steps.append(Step(t, state, ev.state, ev.reason))
            state = ev.state
        seen, due = i, ev.next_due_at
        t = _next_instant(t, ends, dated, due, now)
    return steps


def _repeats(
    stored: IntegrationFacts,
    derived: _Derived,
    ordered: Sequence[SyncFacts],
    seen: int,
    i: int,
    t: datetime,
) -> bool:
    """Whether the syncs that ended since the last evaluation (``ordered[seen:i]``) leave
    its result as it was: QA is decided, and each is counted and in the effective state of
    the last sync before them (another success, another failure; another authentication
    failure does not move the 72-hour mark, which runs from the run's first)."""
    if seen == 0 or derived.qa_status in (None, QaStatus.PENDING):
        return False
    last = ordered[seen - 1]
    epoch = stored.credentials_updated_at
    if epoch is not None and epoch <= t and last.started_at < epoch:
        return False
    for sync in ordered[seen:i]:
        if sync.state.effective is not last.state.effective:
            return False
        if epoch is not None and epoch <= t and sync.started_at < epoch:
            return False
    return True


def _next_instant(
    t: datetime,
    ends: Sequence[datetime],
    dated: Sequence[datetime],
    due: datetime | None,
    now: datetime,
) -> datetime:
    """The next instant after ``t`` at which the state could change (at most ``now``)."""
    candidates = [now]
    i = bisect.bisect_right(ends, t)
    if i < len(ends):
        candidates.append(ends[i])
    k = bisect.bisect_right(dated, t)
    if k < len(dated):
        candidates.append(dated[k])
    if due is not None and due > t:
        candidates.append(due)
    return min(candidates)
