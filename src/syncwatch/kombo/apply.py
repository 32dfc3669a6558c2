"""Applying Kombo webhook events to the stored facts.

:func:`receive_event` stores an event and applies it in one write transaction, so an event
is stored if and only if it was applied (or found to have nothing to apply). The event id
is the primary key of ``webhook_event``, and that row is inserted *first*: a redelivery, even
one racing the first delivery on another connection, fails on the key and is answered as a
duplicate without applying anything twice.

The mapping from events to facts is written down in the README ("Connecting to Kombo").
Kombo is the authority on what it reports (enabled, credentials, filters, QA); the local
evaluator still derives the sync-result states from the syncs, and a report never undoes a
change made after it (an operator action, the evaluator's 72-hour or 14-day rules).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from syncwatch.clock import to_utc
from syncwatch.db import Connection, Store
from syncwatch.db import kombo as db_kombo
from syncwatch.db.actions import cancel_running_syncs
from syncwatch.db.kombo import stored_events
from syncwatch.kombo.events import (
    IntegrationCreated,
    IntegrationDeleted,
    IntegrationRef,
    IntegrationStateChanged,
    IssueStatusChanged,
    KomboEvent,
    SyncFinished,
    UnknownEvent,
    parse_event,
)
from syncwatch.rows import PassResult
from syncwatch.states import QaStatus

#: The reason shown for an integration Kombo reported INACTIVE.
KOMBO_INACTIVE_REASON = "set inactive in Kombo"


def upstream_facts(
    current: Mapping[str, Any], status: str | None, setup_status: str | None, at: datetime
) -> dict[str, Any]:
    """The integration columns to change so our facts agree with what Kombo reported at ``at``.

    ``current`` holds at least the columns it reads (``pull.FACT_COLUMNS``); ``status`` is
    ACTIVE | INVALID | INACTIVE and ``setup_status`` INCOMPLETE | FINAL_SYNC_PENDING |
    COMPLETED (either may be ``None``: not reported, left alone). Returns only what differs.
    Pure; used by the webhook receiver's integration-state-changed and by ``pull`` alike. A
    report never undoes a local change made after ``at``.

    - INACTIVE: disabled ("set inactive in Kombo") unless already disabled, or reactivated
      after ``at``.
    - ACTIVE / INVALID: enabled unless disabled after ``at``; re-enabling counts as activity,
      so the 14-day development rule does not disable it again at once.
    - INVALID: credentials invalid from ``at``, unless already so or updated after ``at``.
    - ACTIVE: credentials valid. If we had them invalid, Kombo has working ones again: that
      counts as a credentials update (older authentication failures stop counting, or the
      72-hour rule would mark them invalid again at the next pass).
    - setup_status: INCOMPLETE means no filters configured; the others mean configured.
    """
    new: dict[str, Any] = {}

    def since(column: str) -> bool:
        when = current[column]
        return when is None or at >= when

    if status == "INACTIVE":
        if current["enabled"] and since("last_reactivated_at"):
            new.update(enabled=False, disabled_reason=KOMBO_INACTIVE_REASON, disabled_at=at)
    elif status in ("ACTIVE", "INVALID"):
        if not current["enabled"] and since("disabled_at"):
            new.update(enabled=True, disabled_reason=None, disabled_at=None, last_reactivated_at=at)
        invalid = current["credentials_invalid_at"] is not None
        if status == "INVALID" and not invalid and since("credentials_updated_at"):
            new["credentials_invalid_at"] = at
        elif status == "ACTIVE" and invalid and since("credentials_invalid_at"):
            new.update(credentials_invalid_at=None, credentials_updated_at=at)
    if setup_status is not None:
        configured = setup_status != "INCOMPLETE"
        if bool(current["filters_configured"]) != configured:
            new["filters_configured"] = configured
    return new


class Outcome(StrEnum):
    """What a stored event did."""

    APPLIED = "applied"
    #: An unknown type, or nothing to do (a deleted integration, an unknown sync state).
    IGNORED = "ignored"
    #: Older than what is stored: kept for the audit trail, facts not rolled back.
    STALE = "stale"


@dataclass(slots=True)
class Received:
    """What receiving one event did."""

    event_id: str
    outcome: Outcome
    #: The id was already stored: acknowledged, applied no second time.
    duplicate: bool = False
    integration_id: str | None = None
    evaluation: PassResult = field(default_factory=PassResult)


def receive_event(store: Store, event: KomboEvent, body: str, received_at: datetime) -> Received:
    """Store ``event`` (its body as given) and apply it, in one transaction, at most once."""
    if db_kombo.event_stored(store, event.id):
        return _duplicate(event)
    (got,) = receive_events(store, [(event, body, received_at)])
    return got


def receive_events(
    store: Store, batch: Sequence[tuple[KomboEvent, str, datetime]]
) -> list[Received]:
    """Store and apply several events in one transaction (group commit), each at most once.

    Each event is stored and applied in its own savepoint, in order; then every integration
    they touched is evaluated once, at the latest receive time of the batch. One commit
    for the batch is what makes a single writer fast on SQLite (see the README).
    """
    results: list[Received] = []
    touched: list[str] = []
    with store.write() as conn:
        revision = store.next_revision(conn)
        seq = db_kombo.next_event_seq(conn)
        latest: datetime | None = None
        for event, body, received_at in batch:
            received_at = to_utc(received_at)
            latest = received_at if latest is None else max(latest, received_at)
            applier = _Applier(conn, received_at, revision)
            stored = db_kombo.insert_event(
                conn,
                event_id=event.id,
                seq=seq,
                type=event.type,
                received_at=received_at,
                body=body,
                outcome=Outcome.APPLIED.value,
                integration_id=event.integration_id,
            )
            if not stored:  # a redelivery (maybe racing the first delivery): applied once
                results.append(_duplicate(event))
                continue
            seq += 1
            outcome = applier.apply(event)
            if outcome is not Outcome.APPLIED:
                db_kombo.set_event_outcome(conn, event.id, outcome.value)
            touched.extend(applier.touched)
            results.append(Received(event.id, outcome, False, event.integration_id))
        if touched and latest is not None:
            # Mark what changed for the evaluator and the change feed, and evaluate it now.
            ids = sorted(set(touched))
            db_kombo.mark_dirty(conn, ids, revision)
            evaluation = store.evaluate_ids(conn, ids, latest)
            for got in results:
                if got.integration_id in ids:
                    got.evaluation = evaluation
    return results


def _duplicate(event: KomboEvent) -> Received:
    return Received(event.id, Outcome.IGNORED, True, event.integration_id)


# --------------------------------------------------------------------------- the applier


class _Applier:
    """Applies one event inside the caller's transaction; remembers what it touched."""

    def __init__(self, conn: Connection, now: datetime, revision: int) -> None:
        self.conn = conn
        self.now = now
        self.revision = revision
        self.touched: list[str] = []

    def apply(self, event: KomboEvent) -> Outcome:
        p = event.payload
        if isinstance(p, IntegrationCreated):
            return self._created(p)
        if isinstance(p, IntegrationStateChanged):
            return self._state_changed(p)
        if isinstance(p, IntegrationDeleted):
            return self._deleted(p)
        if isinstance(p, SyncFinished):
            return self._sync_finished(p)
        if isinstance(p, IssueStatusChanged):
            return self._issue(p)
        assert isinstance(p, UnknownEvent)
        return Outcome.IGNORED

    # -- integrations -------------------------------------------------------------

    def _row(self, integration_id: str) -> dict[str, Any] | None:
        return db_kombo.integration_values(self.conn, integration_id)

    def _ensure(
        self, ref: IntegrationRef, seen_at: datetime | None, **facts: Any
    ) -> dict[str, Any]:
        """The integration's row, creating a placeholder from the event when it is unknown.

        A placeholder is created at the earliest time the event proves it existed.
        """
        row = self._row(ref.id)
        if row is not None:
            return row
        created = min(self.now, seen_at) if seen_at else self.now
        values = {
            "id": ref.id,
            "tool": ref.tool,
            "category": ref.category,
            "organization": ref.organization,
            "created_at": created,
            "dirty": True,
            "revision": self.revision,
            **facts,
        }
        # Created meanwhile by a concurrent event for the same integration: use theirs.
        db_kombo.insert_integration(self.conn, values)
        row = self._row(ref.id)
        assert row is not None
        return row

    def _update(self, integration_id: str, values: dict[str, Any]) -> None:
        if values:
            db_kombo.update_integration(self.conn, integration_id, values)
        self.touched.append(integration_id)

    def _deleted_by_now(self, row: Any) -> bool:
        """Deleted as of now: a deletion dated later is not one yet (events still apply)."""
        return row["deleted_at"] is not None and row["deleted_at"] <= self.now

    def _created(self, p: IntegrationCreated) -> Outcome:
        ref = p.integration
        row = self._row(ref.id)
        if row is None:
            self._ensure(ref, None)
            self.touched.append(ref.id)
            return Outcome.APPLIED
        if self._deleted_by_now(row):
            return Outcome.IGNORED
        # A placeholder made from an earlier event: now we know who it is.
        changes = {
            k: v
            for k, v in (
                ("tool", ref.tool),
                ("category", ref.category),
                ("organization", ref.organization),
            )
            if row[k] != v
        }
        if not changes:
            return Outcome.IGNORED
        self._update(ref.id, changes)
        return Outcome.APPLIED

    def _state_changed(self, p: IntegrationStateChanged) -> Outcome:
        row = self._ensure(p.integration, p.updated_at)
        if self._deleted_by_now(row):
            return Outcome.IGNORED
        seen = row["kombo_updated_at"]
        if seen is not None and p.updated_at < seen:
            return Outcome.STALE
        at = p.updated_at
        values: dict[str, Any] = {"kombo_updated_at": at, "upstream_status": p.state}
        values.update(upstream_facts(row, p.state, p.setup_status, at))
        if p.qa_status is not None:
            # PENDING is "undecided": the evaluator decides it from the first sync.
            values["qa_status"] = None if p.qa_status == QaStatus.PENDING.value else p.qa_status
        self._update(p.integration.id, {k: v for k, v in values.items() if row[k] != v})
        return Outcome.APPLIED

    def _deleted(self, p: IntegrationDeleted) -> Outcome:
        row = self._ensure(p.integration, p.deleted_at)
        if self._deleted_by_now(row) or (
            row["deleted_at"] is not None and row["deleted_at"] <= p.deleted_at
        ):
            return Outcome.IGNORED  # deletion is final; the first one stands
        self._update(p.integration.id, {"deleted_at": p.deleted_at})
        # A deleted integration syncs no more (as the delete action does).
        cancel_running_syncs(self.conn, [p.integration.id], max(p.deleted_at, self.now))
        return Outcome.APPLIED

    # -- syncs and issues -----------------------------------------------------------

    def _sync_finished(self, p: SyncFinished) -> Outcome:
        if p.state is None:
            return Outcome.IGNORED  # a sync state syncwatch does not know
        # A sync ran, so Kombo had what it needs to sync: filters are configured.
        row = self._ensure(p.integration, p.started_at, filters_configured=True)
        if self._deleted_by_now(row):
            return Outcome.IGNORED
        iid = p.integration.id
        old = db_kombo.find_sync(self.conn, p.sync_id)
        values = {
            "state": p.state.value,
            "started_at": p.started_at,
            "ended_at": p.ended_at,
            "log_url": p.log_url,
        }
        if old is None:
            db_kombo.insert_sync(self.conn, {"id": p.sync_id, "integration_id": iid, **values})
        elif old["integration_id"] != iid:
            return Outcome.IGNORED  # the sync id belongs to another integration
        else:
            changes = {k: v for k, v in values.items() if old[k] != v}
            if not changes:
                return Outcome.IGNORED
            db_kombo.update_sync(self.conn, p.sync_id, changes)
        facts: dict[str, Any] = {}
        seen = row["kombo_updated_at"]
        if not row["filters_configured"] and (seen is None or p.ended_at >= seen):
            facts["filters_configured"] = True
        self._update(iid, facts)
        return Outcome.APPLIED

    def _issue(self, p: IssueStatusChanged) -> Outcome:
        owner: str | None = None
        if p.integration is not None:
            row = self._ensure(p.integration, p.first_observed_at)
            owner = p.integration.id
            if not self._deleted_by_now(row):
                self.touched.append(owner)
        old = db_kombo.find_issue(self.conn, p.issue_id)
        values = {
            "integration_id": owner,
            "type": p.issue_type,
            "title": p.title,
            "status": p.status,
            "message": p.message,
            "first_observed_at": p.first_observed_at,
            "resolved_at": p.resolved_at,
            "updated_at": self.now,
        }
        if old is None:
            db_kombo.insert_issue(self.conn, {"id": p.issue_id, **values})
            return Outcome.APPLIED
        if (
            old["status"] == "RESOLVED"
            and p.status == "OPEN"
            and p.first_observed_at <= old["first_observed_at"]
        ):
            # The "raised" of an episode already resolved, arriving late.
            self.touched.clear()
            return Outcome.STALE
        db_kombo.update_issue(self.conn, p.issue_id, values)
        return Outcome.APPLIED


# --------------------------------------------------------------------------- replay


@dataclass(slots=True)
class ReplayReport:
    replayed: int = 0
    duplicates: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    transitions: int = 0
    #: Stored bodies that no longer parse (should not happen: they were parsed once).
    unreadable: list[str] = field(default_factory=list)


def replay(source: Store, target: Store) -> ReplayReport:
    """Re-apply every event stored in ``source`` to ``target``, in received order.

    Each event is applied as of the time it was received, so a fresh target ends up with the
    same facts, syncs, issues and history as the source had from these events. Events the
    target already has are skipped (same ids), so a replay can be resumed.
    """
    report = ReplayReport()
    for ev in stored_events(source):
        try:
            event = parse_event(ev.body.encode("utf-8"))
        except ValueError:
            report.unreadable.append(ev.id)
            continue
        got = receive_event(target, event, ev.body, ev.received_at)
        if got.duplicate:
            report.duplicates += 1
            continue
        report.replayed += 1
        report.outcomes[got.outcome.value] = report.outcomes.get(got.outcome.value, 0) + 1
        report.transitions += len(got.evaluation.transitions)
    return report
