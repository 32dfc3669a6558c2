"""One simulated integration: when its syncs run, how each ends, when its customer calls.

An :class:`IntegrationSim` is the engine's running state for one integration of the
scenario: its schedule (a DELTA every :data:`DELTA_EVERY`, a FULL every :data:`FULL_EVERY`,
kick-offs after an operator lifts a block), the syncs the rules can still see, and the
customer's API requests. A sync's whole future (its outcome, its log, its end) is decided
when it starts (:class:`StartedSync`); the engine writes it out as the clock reaches it.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from syncwatch.demo.catalogue import tenant_slug
from syncwatch.demo.logtext import Cause, LogWriter
from syncwatch.demo.scenarios import DemoIntegration
from syncwatch.demo.timing import random_seconds
from syncwatch.evaluator import IntegrationFacts, SyncFacts, evaluate
from syncwatch.importer import LogIn, SyncIn
from syncwatch.rows import IntegrationRow
from syncwatch.states import LogLevel, QaStatus, SyncState, SyncType

__all__ = ["DELTA_EVERY", "FULL_EVERY", "IntegrationSim", "StartedSync", "may_sync"]

#: How often an integration's scheduled syncs run: a DELTA, and a FULL.
DELTA_EVERY = timedelta(hours=3)
FULL_EVERY = timedelta(hours=10)
#: A scheduled DELTA is skipped when the previous sync started less than this before it.
_DELTA_AFTER_ANY = timedelta(minutes=45)
#: A scheduled FULL is skipped when a FULL (e.g. a kick-off) started less than this before it.
_FULL_AFTER_FULL = timedelta(hours=2)
#: How far the stored ``last_api_request_at`` may lag the customer's latest request.
_ACTIVITY_STALE = timedelta(hours=6)


@dataclass(slots=True)
class StartedSync:
    """A sync the engine has started: its whole future is decided when it starts."""

    id: str
    type: SyncType
    state: SyncState
    started_at: datetime
    ended_at: datetime
    logs: list[LogIn]

    def record(self, upto: datetime) -> SyncIn:
        """The sync as an import record, as it looks at ``upto``."""
        if self.ended_at <= upto:
            return SyncIn(
                id=self.id,
                type=self.type,
                state=self.state,
                started_at=self.started_at,
                ended_at=self.ended_at,
                logs=list(self.logs),
            )
        return SyncIn(
            id=self.id,
            type=self.type,
            state=SyncState.RUNNING,
            started_at=self.started_at,
            logs=[x for x in self.logs if x.at <= upto],
        )

    def cancelled(self, at: datetime, why: str) -> SyncIn:
        """The sync as an import record, cancelled at ``at`` (its log so far, then why)."""
        logs = [x for x in self.logs if x.at <= at]
        logs.append(
            LogIn(
                id=f"{self.id}-cancel", at=at, level=LogLevel.INFO, message=f"Sync cancelled: {why}"
            )
        )
        return SyncIn(
            id=self.id,
            type=self.type,
            state=SyncState.CANCELLED,
            started_at=self.started_at,
            ended_at=at,
            logs=logs,
        )


@dataclass(slots=True)
class IntegrationSim:
    """The engine's running state for one integration."""

    plan: DemoIntegration
    rng: random.Random
    tenant: str
    token: str
    seq: int = 0
    next_delta: datetime | None = None
    next_full: datetime | None = None
    kickoff: datetime | None = None
    kickoff_reason: str = ""
    running: StartedSync | None = None
    free_at: datetime | None = None
    last_start: datetime | None = None
    last_full_start: datetime | None = None
    last_success_end: datetime | None = None
    next_request: datetime | None = None
    latest_request: datetime | None = None
    written_request: datetime | None = None
    #: The finished syncs the rules can still see (first one + the tail since the last
    #: non-authentication failure): enough for the evaluator to tell whether a sync may start.
    memory: list[SyncFacts] = field(default_factory=list)
    #: The operator-controlled facts as last seen, to notice an operator lifting a block.
    seen: tuple[object, ...] | None = None
    finished: bool = False  # deleted: nothing more to do

    @classmethod
    def create(
        cls,
        plan: DemoIntegration,
        rng: random.Random,
        *,
        start: datetime,
        backfill: timedelta,
    ) -> IntegrationSim:
        """A fresh simulation of ``plan`` for a demo starting at ``start``.

        An established integration's schedule starts ``backfill`` before ``start`` (so the
        engine can make up its history), a new one's a little after ``start``.
        """
        sim = cls(plan, rng, tenant_slug(plan.organization), plan.id.split(":", 1)[1])
        origin = start - backfill if plan.established else start
        sim.next_full = origin + random_seconds(rng, 0, FULL_EVERY.total_seconds())
        sim.next_delta = origin + random_seconds(rng, 0, DELTA_EVERY.total_seconds())
        if not plan.established:
            sim.next_full += timedelta(hours=2)
            sim.next_delta += timedelta(hours=1)
        if plan.first_sync_at is not None and plan.filters_configured:
            sim.kickoff = plan.first_sync_at
            sim.kickoff_reason = "initial sync of a new integration"
        if plan.calls_api:
            sim.next_request = start + random_seconds(rng, 60, 2 * 3600)
        return sim

    def remember(self, sync: StartedSync) -> None:
        """Keep a finished sync in :attr:`memory` (and forget what the rules no longer see)."""
        if not sync.state.is_finished:
            return
        self.memory.append(SyncFacts(sync.id, sync.state, sync.started_at, sync.ended_at))
        last_other = max(
            (
                i
                for i, m in enumerate(self.memory)
                if m.state is not SyncState.AUTHENTICATION_FAILED
            ),
            default=-1,
        )
        if last_other > 1:
            self.memory = [self.memory[0], *self.memory[last_other:]]

    def run(self, facts: IntegrationFacts | None, since: datetime, now: datetime) -> list[SyncIn]:
        """Start and finish this integration's syncs in ``(since, now]``.

        Returns the sync records to write, in order: each sync that finished in the window,
        and the one still going if it started or logged in the window (as ``RUNNING``, with
        its log so far). ``facts`` are the integration's stored facts, to start no sync the
        rules forbid; ``None`` (history made up before the demo starts): no gating.
        """
        out: list[SyncIn] = []
        while True:
            running = self.running
            if running is not None:
                if running.ended_at > now:
                    if any(since < x.at <= now for x in running.logs) or running.started_at > since:
                        out.append(running.record(now))
                    return out
                out.append(running.record(now))
                self.remember(running)
                if running.state in (SyncState.SUCCEEDED, SyncState.PARTIALLY_FAILED):
                    self.last_success_end = running.ended_at
                self.free_at = running.ended_at + random_seconds(self.rng, 45, 180)
                self.running = None
            slot = self.next_slot()
            if slot is None:
                return out
            at, kind = slot
            begin = max(at, self.free_at) if self.free_at else at
            if begin > now:
                return out  # due, but waits for the previous sync to end: a later step starts it
            reason = self.consume(kind)
            if kind != "kickoff":
                begin += random_seconds(self.rng, 0, 95)  # queueing jitter
                if begin > now:
                    begin = now
            begin = max(begin, since + timedelta(seconds=1))
            sync_type = SyncType.DELTA if kind == "delta" else SyncType.FULL
            if kind == "delta" and self.last_start and begin - self.last_start < _DELTA_AFTER_ANY:
                continue
            if (
                kind == "full"
                and self.last_full_start
                and begin - self.last_full_start < (_FULL_AFTER_FULL)
            ):
                continue
            if facts is not None and not may_sync(facts, self.memory, begin):
                continue
            self.running = self.start_sync(facts, sync_type, begin, reason)
            self.last_start = begin
            if sync_type is SyncType.FULL:
                self.last_full_start = begin

    def next_slot(self) -> tuple[datetime, str] | None:
        """When the next sync is due and why (``"kickoff"``, ``"full"``, ``"delta"``)."""
        options: list[tuple[datetime, int, str]] = []
        if self.kickoff is not None:
            options.append((self.kickoff, 0, "kickoff"))
        if self.next_full is not None:
            options.append((self.next_full, 1, "full"))
        if self.next_delta is not None:
            options.append((self.next_delta, 2, "delta"))
        if not options:
            return None
        at, _, kind = min(options)
        return at, kind

    def consume(self, kind: str) -> str:
        """Take the slot of ``kind`` off the schedule; returns the reason its log gives."""
        if kind == "kickoff":
            self.kickoff = None
            return self.kickoff_reason
        if kind == "full":
            assert self.next_full is not None
            self.next_full += FULL_EVERY
        else:
            assert self.next_delta is not None
            self.next_delta += DELTA_EVERY
        return "scheduled"

    def api_activity(self, row: IntegrationRow, now: datetime, *, writing: bool) -> datetime | None:
        """The customer's latest API request to write now, if any (idle ones: never).

        An import reads the whole stored history of every integration it names, so a bump
        rides along with the integration's sync writes and goes on its own only when the
        stored value is :data:`_ACTIVITY_STALE` behind.
        """
        calls = row.enabled and row.filters_configured and not row.deleted
        while self.next_request is not None and self.next_request <= now:
            if calls:
                self.latest_request = self.next_request
            self.next_request += random_seconds(self.rng, 40 * 60, 3 * 3600)
        latest = self.latest_request
        if latest is None or latest == self.written_request:
            return None
        stored = row.last_api_request_at
        if writing or stored is None or latest - stored >= _ACTIVITY_STALE:
            self.written_request = latest
            return latest
        return None

    def outcome(self, facts: IntegrationFacts | None, begin: datetime) -> tuple[SyncState, Cause]:
        """How a sync starting at ``begin`` ends, and why (``facts=None``: before the demo)."""
        plan, rng = self.plan, self.rng
        updated = facts.credentials_updated_at if facts is not None else None
        expiry = plan.credentials_expire_at
        if expiry is not None and begin >= expiry and (updated is None or updated <= expiry):
            return SyncState.AUTHENTICATION_FAILED, Cause.AUTH
        if any(a <= begin < b for a, b in plan.outages):
            if rng.random() < 0.3:
                return SyncState.TIMED_OUT, Cause.TIMEOUT
            return SyncState.FAILED, Cause.OUTAGE
        first = not self.memory and (facts is None or facts.qa_status is None)
        if plan.first_sync_issue and first:
            return SyncState.PARTIALLY_FAILED, Cause.WARNINGS
        if any(a <= begin < b for a, b in plan.warning_windows):
            return SyncState.PARTIALLY_FAILED, Cause.WARNINGS
        roll = rng.random()
        if roll < plan.warning_rate:
            return SyncState.PARTIALLY_FAILED, Cause.WARNINGS
        if roll < plan.warning_rate + plan.blip_rate and not first:
            return SyncState.FAILED, Cause.BLIP
        return SyncState.SUCCEEDED, Cause.OK

    def start_sync(
        self,
        facts: IntegrationFacts | None,
        sync_type: SyncType,
        begin: datetime,
        reason: str,
    ) -> StartedSync:
        """Start a sync at ``begin``: decide its outcome and write its whole log."""
        state, cause = self.outcome(facts, begin)
        self.seq += 1
        sync_id = f"sync_{self.token}_{self.seq:04d}"
        writer = LogWriter(
            self.plan,
            self.rng,
            self.tenant,
            sync_type,
            begin,
            changes_since=self.last_success_end,
        )
        lines = writer.write(cause, state, reason)
        end = lines[-1][0]
        logs = [
            LogIn(id=f"{sync_id}-{n:02d}", at=at, level=level, message=msg, field=fld)
            for n, (at, level, msg, fld) in enumerate(lines, start=1)
        ]
        return StartedSync(sync_id, sync_type, state, begin, end, logs)


def may_sync(facts: IntegrationFacts, memory: Iterable[SyncFacts], at: datetime) -> bool:
    """Whether the rules let a sync start at ``at``: the same evaluator the store runs."""
    if facts.deleted_at is not None:
        return False
    f = evaluate(facts, memory, at).facts
    return (
        f.enabled
        and f.filters_configured
        and f.qa_status is not QaStatus.FAILED
        and f.credentials_invalid_at is None
    )
