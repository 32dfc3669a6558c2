"""The status evaluator: a pure function of an integration's facts, its syncs and ``now``.

Everything in here follows ``docs/rules.md`` ("The nine states", "Sticky facts", "What an
evaluation stores", "The API view") to the letter; nothing here touches a database, a clock
or a terminal. The precedence of states lives in :func:`evaluate` and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from syncwatch.limits import headline as short_headline
from syncwatch.states import (
    ApiStatus,
    Environment,
    IntegrationState,
    QaStatus,
    SetupStatus,
    SyncState,
)
from syncwatch.timefmt import fmt_duration, fmt_time, plural

#: The trailing run of authentication failures after which credentials are invalid.
CREDENTIALS_WINDOW = timedelta(hours=72)
#: Development integrations with no activity for this long are disabled.
INACTIVITY_WINDOW = timedelta(days=14)
#: Deleted integrations lose their syncs and log entries this long after deletion.
PURGE_AFTER = timedelta(days=14)

DEV_INACTIVITY_REASON = "no API request for 14 days"
OPERATOR_INACTIVE_REASON = "set inactive by an operator"


@dataclass(frozen=True, slots=True)
class SyncFacts:
    """What the evaluator needs to know about one sync."""

    id: str
    state: SyncState
    started_at: datetime
    ended_at: datetime | None
    warnings: int = 0
    errors: int = 0
    #: The first error message of the sync (else its first warning), already redacted.
    headline: str | None = None

    def finished_by(self, now: datetime) -> bool:
        """Whether this sync counts as finished at ``now``."""
        return self.state.is_finished and self.ended_at is not None and self.ended_at <= now

    @property
    def order_key(self) -> tuple[datetime, datetime, str]:
        """ "The last sync" is the one with the largest key: ended_at, then started_at, id."""
        assert self.ended_at is not None
        return (self.ended_at, self.started_at, self.id)


@dataclass(frozen=True, slots=True)
class IntegrationFacts:
    """The stored facts about an integration that the rules read."""

    id: str
    created_at: datetime
    environment: Environment = Environment.PRODUCTION
    enabled: bool = True
    filters_configured: bool = False
    #: ``None`` while undecided (no finished sync evaluated yet).
    qa_status: QaStatus | None = None
    #: When the credentials were found invalid (the 72-hour mark); ``None`` while valid.
    credentials_invalid_at: datetime | None = None
    credentials_updated_at: datetime | None = None
    last_api_request_at: datetime | None = None
    last_reactivated_at: datetime | None = None
    disabled_reason: str | None = None
    disabled_at: datetime | None = None
    deleted_at: datetime | None = None
    purged_at: datetime | None = None
    #: The state shown before this evaluation (``None`` before the first one).
    state: IntegrationState | None = None

    def deleted_by(self, now: datetime | None) -> bool:
        """Whether the deletion has happened at ``now``: ``deleted_at`` is set and not after
        ``now``. A deletion dated later (an import or Kombo ahead of this clock, a replay at an
        earlier ``--now``) is not one yet. With no time known (``None``), a set ``deleted_at``
        counts."""
        return self.deleted_at is not None and (now is None or self.deleted_at <= now)

    @property
    def latest_activity(self) -> datetime:
        """The latest of created, last API request and last reactivation."""
        return max(
            t
            for t in (self.created_at, self.last_api_request_at, self.last_reactivated_at)
            if t is not None
        )


@dataclass(frozen=True, slots=True)
class ApiView:
    """Kombo's API view of an integration; absent (``None``) once deleted."""

    status: ApiStatus
    setup_status: SetupStatus
    qa_status: QaStatus


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The result of evaluating one integration at one instant."""

    state: IntegrationState
    reason: str
    #: The facts after the sticky rules ran; store them back.
    facts: IntegrationFacts
    api: ApiView | None
    #: The finished sync with the latest ``ended_at`` (any, not only counted ones).
    last_sync: SyncFacts | None
    #: The next instant at which time alone could change the result, if any.
    next_due_at: datetime | None
    #: The first sync put the integration on QA hold in this evaluation: notify engineering.
    qa_hold_raised: bool = False
    #: Credentials were found invalid in this evaluation.
    credentials_invalidated: bool = False
    #: The development-inactivity rule disabled the integration in this evaluation.
    disabled_for_inactivity: bool = False
    #: Syncs and log entries are due to be purged now.
    purge_due: bool = False
    events: tuple[str, ...] = field(default=())
    #: The state shown before this evaluation (``None`` before the first one).
    previous: IntegrationState | None = None

    @property
    def changed(self) -> bool:
        """Whether the state shown differs from the one before."""
        return self.previous is not self.state


def evaluate(facts: IntegrationFacts, syncs: Iterable[SyncFacts], now: datetime) -> Evaluation:
    """Evaluate one integration at ``now``.

    ``syncs`` may contain unfinished, cancelled or future syncs and may be in any order; only
    syncs finished by ``now`` count. The returned ``facts`` carry the sticky changes and the new
    state.
    """
    syncs = tuple(syncs)
    finished = sorted((s for s in syncs if s.finished_by(now)), key=lambda s: s.order_key)
    # A sync that ends after `now` (replaying the past) starts to count when `now` reaches it.
    deadlines: list[datetime] = [
        s.ended_at for s in syncs if s.state.is_finished and s.ended_at and s.ended_at > now
    ]
    new = facts
    deleted = facts.deleted_by(now)
    if facts.deleted_at is not None and not deleted:
        # A deletion dated after `now` happens when `now` reaches it, to the second.
        deadlines.append(facts.deleted_at)

    # Sticky rule 1: the QA hold, decided once, by the first finished sync.
    qa_hold_raised = False
    first = first_sync(finished)
    if new.qa_status in (None, QaStatus.PENDING) and first is not None:
        if first.state.has_issues:
            new = replace(new, qa_status=QaStatus.FAILED)
            # Nobody is notified about a hold behind a deletion: nothing can act on it.
            qa_hold_raised = not deleted
        else:
            new = replace(new, qa_status=QaStatus.PASSED)

    # Sticky rule 2: credentials invalid after 72 h of authentication failures.
    counted = [
        s
        for s in finished
        if new.credentials_updated_at is None or s.started_at >= new.credentials_updated_at
    ]
    auth_run = trailing_auth_failures(counted)
    credentials_invalidated = False
    if new.credentials_invalid_at is None and auth_run:
        assert auth_run[0].ended_at is not None
        mark = auth_run[0].ended_at + CREDENTIALS_WINDOW
        if mark <= now:
            new = replace(new, credentials_invalid_at=mark)
            credentials_invalidated = True
        else:
            deadlines.append(mark)

    # Sticky rule 3: development integrations nobody calls are disabled after 14 days.
    disabled_for_inactivity = False
    if new.enabled and new.environment is Environment.DEVELOPMENT:
        mark = new.latest_activity + INACTIVITY_WINDOW
        if mark <= now:
            new = replace(
                new, enabled=False, disabled_reason=DEV_INACTIVITY_REASON, disabled_at=mark
            )
            disabled_for_inactivity = True
        else:
            deadlines.append(mark)

    # Sticky rule 4: purge 14 days after deletion.
    purge_due = False
    if new.deleted_at is not None and new.purged_at is None:
        mark = new.deleted_at + PURGE_AFTER
        if mark <= now:
            new = replace(new, purged_at=mark)
            purge_due = True
        else:
            deadlines.append(mark)

    last_counted = counted[-1] if counted else None
    state, reason = _state_and_reason(new, finished, counted, auth_run, first, last_counted, now)
    new = replace(new, state=state)
    events: list[str] = []
    if qa_hold_raised:
        events.append("qa_hold")
    if credentials_invalidated:
        events.append("credentials_invalid")
    if disabled_for_inactivity:
        events.append("disabled_for_inactivity")
    if purge_due:
        events.append("purged")
    return Evaluation(
        state=state,
        reason=reason,
        facts=new,
        api=api_view(new, now=now, has_finished_sync=bool(finished)),
        last_sync=finished[-1] if finished else None,
        next_due_at=min(deadlines) if deadlines else None,
        qa_hold_raised=qa_hold_raised,
        credentials_invalidated=credentials_invalidated,
        disabled_for_inactivity=disabled_for_inactivity,
        purge_due=purge_due,
        events=tuple(events),
        previous=facts.state,
    )


def _state_and_reason(
    facts: IntegrationFacts,
    finished: Sequence[SyncFacts],
    counted: Sequence[SyncFacts],
    auth_run: Sequence[SyncFacts],
    first: SyncFacts | None,
    last: SyncFacts | None,
    now: datetime,
) -> tuple[IntegrationState, str]:
    """The precedence of states, first match wins, with a one-sentence reason."""
    state, reason = _precedence(facts, finished, counted, auth_run, first, last, now)
    if facts.deleted_at is not None and state is not IntegrationState.DELETED:
        # Deleted later than `now`: the state as usual, and when the deletion takes effect.
        reason = f"{reason[:-1]}; to be deleted {fmt_time(facts.deleted_at)}."
    return state, reason


def _precedence(
    facts: IntegrationFacts,
    finished: Sequence[SyncFacts],
    counted: Sequence[SyncFacts],
    auth_run: Sequence[SyncFacts],
    first: SyncFacts | None,
    last: SyncFacts | None,
    now: datetime,
) -> tuple[IntegrationState, str]:
    if facts.deleted_at is not None and facts.deleted_by(now):
        purge_at = facts.deleted_at + PURGE_AFTER
        if facts.purged_at is not None:
            tail = f"its syncs and logs were purged {fmt_time(facts.purged_at)}"
        else:
            tail = f"its syncs and logs are purged {fmt_time(purge_at)}"
        return IntegrationState.DELETED, f"Deleted {fmt_time(facts.deleted_at)}; {tail}."
    if not facts.enabled:
        return IntegrationState.INACTIVE, _inactive_reason(facts)
    if not facts.filters_configured:
        return (
            IntegrationState.SETUP,
            "Connected, but no filters are configured yet, so nothing syncs.",
        )
    if facts.qa_status is QaStatus.FAILED:
        return IntegrationState.QUALITY_ASSURANCE, _qa_reason(first)
    if facts.credentials_invalid_at is not None:
        return IntegrationState.CREDENTIALS_INVALID, _credentials_invalid_reason(facts, auth_run)
    if last is None:
        if facts.credentials_updated_at is not None and finished:
            why = (
                "No sync has finished since the credentials were updated "
                f"{fmt_time(facts.credentials_updated_at)}."
            )
        else:
            why = "No sync has finished yet."
        return IntegrationState.ACTIVE, why
    assert last.ended_at is not None
    effective = last.state.effective
    if effective is SyncState.AUTHENTICATION_FAILED:
        assert auth_run and auth_run[0].ended_at is not None
        since = auth_run[0].ended_at
        n = len(auth_run)
        runs = "the last sync" if n == 1 else f"all {n} syncs since {fmt_time(since)}"
        return IntegrationState.AUTHENTICATION_FAILING, (
            f"Credentials rejected: {runs} failed on authentication"
            f"{_headline(last)}; syncs pause at {fmt_time(since + CREDENTIALS_WINDOW)}."
        )
    if effective is SyncState.FAILED:
        verb = "timed out" if last.state is SyncState.TIMED_OUT else "failed"
        return IntegrationState.SYNC_FAILING, (
            f"Last sync finished {fmt_time(last.ended_at)} {verb}{_headline(last)}."
        )
    if effective is SyncState.PARTIALLY_FAILED:
        count = plural(last.warnings, "warning") if last.warnings else "warnings"
        return IntegrationState.SYNC_HAS_WARNINGS, (
            f"Last sync finished {fmt_time(last.ended_at)} with {count}{_headline(last)}."
        )
    return IntegrationState.ACTIVE, (f"Last sync finished {fmt_time(last.ended_at)} and succeeded.")


def _inactive_reason(facts: IntegrationFacts) -> str:
    if facts.disabled_reason == DEV_INACTIVITY_REASON:
        return (
            "Disabled: no API request for 14 days "
            f"(last activity {fmt_time(facts.latest_activity)}); does not sync automatically."
        )
    if facts.disabled_reason:
        when = f" {fmt_time(facts.disabled_at)}" if facts.disabled_at else ""
        return f"Disabled{when}: {facts.disabled_reason}; does not sync automatically."
    return "Not enabled; does not sync automatically."


def _qa_reason(first: SyncFacts | None) -> str:
    if first is None or not first.state.has_issues or first.ended_at is None:
        return "Held in quality assurance: issues were found during the first sync."
    what = {
        SyncState.PARTIALLY_FAILED: "finished with warnings",
        SyncState.FAILED: "failed",
        SyncState.TIMED_OUT: "timed out",
        SyncState.AUTHENTICATION_FAILED: "failed on authentication",
    }[first.state]
    return (
        f"First sync ({fmt_time(first.ended_at)}) {what}{_headline(first)}; "
        "held until released from QA."
    )


def _credentials_invalid_reason(facts: IntegrationFacts, auth_run: Sequence[SyncFacts]) -> str:
    if auth_run and auth_run[0].ended_at is not None and auth_run[-1].ended_at is not None:
        since = auth_run[0].ended_at
        span = fmt_duration(auth_run[-1].ended_at - since)
        return (
            f"Every sync since {fmt_time(since)} failed on authentication "
            f"({plural(len(auth_run), 'sync')} over {span}); "
            "syncs are paused until the credentials are updated."
        )
    # No visible run of authentication failures: the mark was imported, or Kombo reported
    # the integration INVALID (webhook or pull). Say only what is known.
    assert facts.credentials_invalid_at is not None
    return (
        f"Credentials marked invalid {fmt_time(facts.credentials_invalid_at)}; "
        "syncs are paused until the credentials are updated."
    )


def api_view(
    facts: IntegrationFacts, *, now: datetime | None, has_finished_sync: bool
) -> ApiView | None:
    """Kombo's API view at ``now``: ``None`` once deleted (the API answers 404).

    ``now`` is the instant the view is of (a stored row's ``evaluated_at``): a deletion dated
    after it has not happened yet. ``None`` (never evaluated) counts any deletion.
    """
    if facts.deleted_by(now):
        return None
    if not facts.enabled:
        status = ApiStatus.INACTIVE
    elif facts.credentials_invalid_at is not None:
        status = ApiStatus.INVALID
    else:
        status = ApiStatus.ACTIVE
    if not facts.filters_configured:
        setup = SetupStatus.INCOMPLETE
    elif not has_finished_sync:
        setup = SetupStatus.FINAL_SYNC_PENDING
    else:
        setup = SetupStatus.COMPLETED
    qa = facts.qa_status if facts.qa_status is not None else QaStatus.PENDING
    return ApiView(status, setup, qa)


def first_sync(finished: Iterable[SyncFacts]) -> SyncFacts | None:
    """The first finished sync: earliest ``started_at`` (ties: earlier end, smaller id)."""
    return min(
        finished,
        key=lambda s: (s.started_at, s.ended_at, s.id),
        default=None,
    )


def trailing_auth_failures(ordered: Sequence[SyncFacts]) -> list[SyncFacts]:
    """The trailing run of consecutive authentication failures, earliest first."""
    run: list[SyncFacts] = []
    for sync in reversed(ordered):
        if sync.state is not SyncState.AUTHENTICATION_FAILED:
            break
        run.append(sync)
    run.reverse()
    return run


def _headline(sync: SyncFacts) -> str:
    """The sync's headline as a reason quotes it: one short line (``limits.headline``), never
    the whole message, so a 10 MB log line is not copied into every history entry."""
    short = short_headline(sync.headline)
    return f": {short}" if short else ""
