"""The demo's engine: a simulated sync engine on a fast clock, against the real store and rules.

A :class:`DemoEngine` plays a scenario (:mod:`syncwatch.demo.scenarios`): it creates the
integrations, writes the syncs each :class:`~syncwatch.demo.simulation.IntegrationSim` runs
(with their logs) through the importer, performs the scenario's operator actions through
:func:`syncwatch.actions.perform`, and runs the real evaluator (:meth:`Store.evaluate_pass`)
after every step. Nothing in here decides a state: the engine only produces facts, and the
rules in :mod:`syncwatch.evaluator` do the rest.

The engine honours what the store says: it starts no sync while an integration is inactive,
deleted, in setup, held in QA or has invalid credentials, and starts one soon after an
operator (scripted or at the keyboard) lifts the block.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from syncwatch.actions import Action, ActionRefused, UnknownIntegration, perform
from syncwatch.clock import to_utc
from syncwatch.db import Store
from syncwatch.demo.catalogue import TOOLS
from syncwatch.demo.scenarios import SCENARIOS, DemoIntegration, Scenario, ScriptedAction, build
from syncwatch.demo.simulation import IntegrationSim
from syncwatch.demo.timing import default_step as step_for_size
from syncwatch.demo.timing import random_seconds
from syncwatch.evaluator import IntegrationFacts
from syncwatch.importer import IntegrationIn, ParsedFile, SyncIn, import_parsed
from syncwatch.rows import EventRow, IntegrationRow, Transition
from syncwatch.states import IntegrationState, QaStatus, SyncState, SyncType

__all__ = ["OPERATOR", "ActionDone", "AdvanceResult", "DemoEngine", "SyncWrite"]

#: The actor recorded in the audit log for scripted operator actions.
OPERATOR = "demo-operator"


@dataclass(frozen=True, slots=True)
class ActionDone:
    """A scripted action as it was performed (at ``performed_at``) or refused."""

    scripted: ScriptedAction
    performed_at: datetime
    state_before: IntegrationState | None
    state_after: IntegrationState | None
    #: Why the action was refused; ``None`` when it was applied.
    refused: str | None = None


@dataclass(frozen=True, slots=True)
class SyncWrite:
    """One sync record the engine wrote (a sync is written again when it finishes)."""

    integration_id: str
    sync_id: str
    type: SyncType
    state: SyncState
    started_at: datetime
    ended_at: datetime | None


@dataclass(slots=True)
class AdvanceResult:
    """What one :meth:`DemoEngine.advance` did, in the window ``(since, now]``."""

    since: datetime
    now: datetime
    syncs: list[SyncWrite] = field(default_factory=list)
    #: Integrations whose ``last_api_request_at`` was bumped.
    activity: list[str] = field(default_factory=list)
    actions: list[ActionDone] = field(default_factory=list)
    #: Every state change in this step (the engine's integrations and any others in the DB).
    transitions: list[Transition] = field(default_factory=list)
    #: Things engineering is notified of (QA hold, credentials invalid, ...).
    events: list[EventRow] = field(default_factory=list)

    @property
    def started(self) -> list[SyncWrite]:
        """Syncs that started in this step."""
        return [s for s in self.syncs if s.started_at > self.since]

    @property
    def finished(self) -> list[SyncWrite]:
        """Syncs that finished (or were cancelled) in this step."""
        return [s for s in self.syncs if s.state is not SyncState.RUNNING]

    @property
    def changed(self) -> bool:
        """Whether this step wrote anything."""
        return bool(self.syncs or self.activity or self.actions or self.transitions)


class DemoEngine:
    """A simulated sync engine for one scenario, writing into ``store``.

    Call :meth:`setup` once, then :meth:`advance` with a non-decreasing ``now`` (e.g. a
    :class:`~syncwatch.clock.SimulatedClock`'s). Not thread-safe: one caller at a time.
    """

    def __init__(
        self, store: Store, *, scenario: str = "tour", seed: int = 0, start: datetime
    ) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(
                f"unknown demo scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}"
            )
        self.store = store
        self.scenario = scenario
        self.seed = seed
        self.start = to_utc(start)
        self.now = self.start
        self._built: Scenario | None = None
        self._sims: dict[str, IntegrationSim] = {}
        self._done: set[int] = set()
        self.setup_result: AdvanceResult | None = None
        self._rows: dict[str, IntegrationRow] = {}
        self._revision = -1

    # -- what the scenario holds ------------------------------------------------------

    @property
    def integrations(self) -> tuple[DemoIntegration, ...]:
        """The scenario's integrations (after :meth:`setup`)."""
        return tuple(self._scenario.integrations)

    @property
    def script(self) -> tuple[ScriptedAction, ...]:
        """The scenario's operator actions, in time order (after :meth:`setup`)."""
        return tuple(self._scenario.script)

    @property
    def default_step(self) -> timedelta:
        """Simulated time per step when the caller does not choose (after :meth:`setup`).

        The demo's one rule for it (:func:`syncwatch.demo.timing.default_step`), by the
        scenario's size: the CLI and the UI both step by it unless told otherwise.
        """
        return step_for_size(len(self._scenario.integrations))

    def pending_actions(self) -> list[ScriptedAction]:
        """Scripted actions not yet performed."""
        return [a for i, a in enumerate(self._scenario.script) if i not in self._done]

    @property
    def _scenario(self) -> Scenario:
        if self._built is None:
            raise RuntimeError("call DemoEngine.setup() first")
        return self._built

    # -- setup ------------------------------------------------------------------------

    def setup(self) -> None:
        """Create the scenario's integrations, with some sync history before ``start``.

        Works on an empty database or next to existing data; if the scenario's ids are taken
        (the same scenario and seed were set up in this database before), fresh ids are drawn.
        Raises ``ValueError`` if the database was already evaluated after ``start``: the
        demo's history would run backwards.
        """
        if self._built is not None:
            raise RuntimeError("DemoEngine.setup() was already called")
        rows = self.store.integrations()
        latest = max((r.evaluated_at for r in rows if r.evaluated_at is not None), default=None)
        if latest is not None and latest > self.start:
            raise ValueError(
                f"this database was already evaluated at {latest.isoformat()}, after the demo "
                f"start {self.start.isoformat()}; use a fresh database or a later start"
            )
        existing = {row.id for row in rows}
        for attempt in range(100):
            built = build(self.scenario, self.start, self.seed, attempt)
            if not existing.intersection(p.id for p in built.integrations):
                break
        else:  # pragma: no cover - a hundred collisions means something else is wrong
            raise RuntimeError("could not find free ids for the demo integrations")
        self._built = built
        result = AdvanceResult(since=self.start, now=self.start)
        records: list[IntegrationIn] = []
        for index, plan in enumerate(built.integrations):
            sim = self._new_sim(index, plan, built.backfill)
            self._sims[plan.id] = sim
            syncs: dict[str, SyncIn] = {}
            if plan.established:
                # History before start, so the UI has something to show at once.
                self._run_syncs(sim, None, self.start - built.backfill, self.start, syncs, result)
            records.append(self._record(plan, full=True, syncs=list(syncs.values())))
        report = import_parsed(self.store, [ParsedFile(self._file_name, records)], self.start)
        result.transitions.extend(report.evaluation.transitions)
        result.events.extend(report.evaluation.events)
        for row in self._fresh_rows().values():
            self._sims[row.id].seen = self._operator_facts(row)
        self.setup_result = result

    @property
    def _file_name(self) -> str:
        return f"<demo {self.scenario} seed {self.seed}>"

    def _new_sim(self, index: int, plan: DemoIntegration, backfill: timedelta) -> IntegrationSim:
        rng = random.Random(f"{self.seed}|{self.scenario}|{index}")
        return IntegrationSim.create(plan, rng, start=self.start, backfill=backfill)

    def _record(
        self,
        plan: DemoIntegration,
        *,
        full: bool = False,
        syncs: Sequence[SyncIn] = (),
        last_api_request_at: datetime | None = None,
    ) -> IntegrationIn:
        tool = TOOLS[plan.tool]
        if not full:
            # Identity only: fields left out keep their stored values.
            extra: dict[str, object] = {}
            if last_api_request_at is not None:
                extra["last_api_request_at"] = last_api_request_at
            return IntegrationIn(
                id=plan.id,
                tool=plan.tool,
                category=tool.category,
                organization=plan.organization,
                created_at=plan.created_at,
                syncs=list(syncs),
                **extra,
            )
        facts: dict[str, object] = {}
        if plan.established:
            facts["qa_status"] = QaStatus.PASSED
        return IntegrationIn(
            id=plan.id,
            tool=plan.tool,
            category=tool.category,
            organization=plan.organization,
            environment=plan.environment,
            created_at=plan.created_at,
            filters_configured=plan.filters_configured,
            enabled=True,
            last_api_request_at=plan.last_api_request_at,
            syncs=list(syncs),
            **facts,
        )

    # -- advancing --------------------------------------------------------------------

    def advance(self, now: datetime) -> AdvanceResult:
        """Run the simulated engine from the last ``now`` up to ``now``.

        Writes every sync that starts and/or finishes in ``(last now, now]`` (a sync still
        going is written as ``RUNNING`` with its log so far), bumps API activity, performs the
        scripted operator actions due by ``now``, then runs the evaluator at ``now``.
        """
        scenario = self._scenario
        now = to_utc(now)
        if now < self.now:
            raise ValueError(
                f"demo time cannot go backwards ({now.isoformat()} is before "
                f"{self.now.isoformat()})"
            )
        result = AdvanceResult(since=self.now, now=now)
        if now == self.now:
            return result
        since = self.now
        rows = self._fresh_rows()
        records: list[IntegrationIn] = []
        for plan in scenario.integrations:
            sim = self._sims[plan.id]
            row = rows.get(plan.id)
            if sim.finished or row is None:
                continue
            if row.deleted:
                # Deleted (by the script or at the keyboard): imports can no longer touch it.
                sim.finished = True
                continue
            self._notice_operator(sim, row, since)
            syncs: dict[str, SyncIn] = {}
            self._run_syncs(sim, row.facts, since, now, syncs, result)
            bumped = sim.api_activity(row, now, writing=bool(syncs))
            if bumped is not None:
                result.activity.append(plan.id)
            if syncs or bumped is not None:
                records.append(
                    self._record(plan, syncs=list(syncs.values()), last_api_request_at=bumped)
                )
        if records:
            report = import_parsed(self.store, [ParsedFile(self._file_name, records)], now)
            result.transitions.extend(report.evaluation.transitions)
            result.events.extend(report.evaluation.events)
        self._perform_due(now, result)
        evaluation = self.store.evaluate_pass(now)
        result.transitions.extend(evaluation.transitions)
        result.events.extend(evaluation.events)
        self.now = now
        return result

    def catch_up(self, now: datetime, step: timedelta | None = None) -> list[AdvanceResult]:
        """Advance to ``now`` in steps of at most ``step`` (after a pause or a lagging tick).

        Each step is evaluated on its own, so short-lived states are not skipped over.
        Without ``step``, :attr:`default_step`.
        """
        if step is None:
            step = self.default_step
        if step <= timedelta(0):
            raise ValueError("step must be longer than zero")
        now = to_utc(now)
        results = []
        while self.now < now:
            results.append(self.advance(min(self.now + step, now)))
        return results

    def _fresh_rows(self) -> dict[str, IntegrationRow]:
        """The engine's integrations as stored now, reading only rows changed since last time.

        Every visible change to a row (import, action, evaluation) raises its revision, and
        writers are serialised, so the highest revision seen is a safe watermark.
        """
        changed = self.store.integrations(since_revision=self._revision)
        for row in changed:
            self._revision = max(self._revision, row.revision)
            if row.id in self._sims:
                self._rows[row.id] = row
        return self._rows

    # -- operators --------------------------------------------------------------------

    @staticmethod
    def _operator_facts(row: IntegrationRow) -> tuple[object, ...]:
        return (
            row.credentials_updated_at,
            row.last_reactivated_at,
            row.filters_configured,
            row.qa_status,
        )

    def _notice_operator(self, sim: IntegrationSim, row: IntegrationRow, since: datetime) -> None:
        """Start a sync soon after an operator lifted a block (scripted or by hand)."""
        seen = self._operator_facts(row)
        before = sim.seen
        sim.seen = seen
        if before is None or before == seen:
            return
        cred, react, filters, qa = seen
        reason = ""
        if cred != before[0]:
            reason = "triggered by a credentials update"
        elif react != before[1]:
            reason = "triggered by reactivation"
        elif filters and not before[2]:
            reason = "initial sync after filters were configured"
        elif before[3] is QaStatus.FAILED and qa is QaStatus.PASSED:
            reason = "triggered by the release from QA"
        if reason:
            sim.kickoff = since + random_seconds(sim.rng, 60, 240)
            sim.kickoff_reason = reason

    def _perform_due(self, now: datetime, result: AdvanceResult) -> None:
        for i, scripted in enumerate(self._scenario.script):
            if i in self._done or scripted.at > now:
                continue
            self._done.add(i)
            sim = self._sims[scripted.integration_id]
            if scripted.action is Action.DELETE and sim.running is not None:
                # A deleted integration takes no more imports: end its sync first.
                cancelled = sim.running.cancelled(now, "the integration is being deleted")
                sim.running = None
                plan = sim.plan
                import_parsed(
                    self.store,
                    [ParsedFile(self._file_name, [self._record(plan, syncs=[cancelled])])],
                    now,
                )
                result.syncs.append(self._write(plan.id, cancelled))
            try:
                done = perform(self.store, scripted.action, scripted.integration_id, now, OPERATOR)
            except (ActionRefused, UnknownIntegration) as err:
                result.actions.append(ActionDone(scripted, now, None, None, refused=str(err)))
                continue
            result.actions.append(ActionDone(scripted, now, done.state_before, done.state_after))
            if done.transition is not None:
                result.transitions.append(done.transition)

    # -- syncs ------------------------------------------------------------------------

    @staticmethod
    def _write(integration_id: str, sync: SyncIn) -> SyncWrite:
        return SyncWrite(
            integration_id, sync.id, sync.type, sync.state, sync.started_at, sync.ended_at
        )

    def _run_syncs(
        self,
        sim: IntegrationSim,
        facts: IntegrationFacts | None,
        since: datetime,
        now: datetime,
        out: dict[str, SyncIn],
        result: AdvanceResult,
    ) -> None:
        """Run ``sim``'s syncs in ``(since, now]`` into ``out`` (``facts=None``: no gating)."""
        for record in sim.run(facts, since, now):
            out[record.id] = record
            result.syncs.append(self._write(sim.plan.id, record))
