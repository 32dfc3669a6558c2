"""The demo without a UI: run a scenario to its end as fast as the database allows.

``syncwatch demo --headless`` and the screenshot script use :func:`run_headless`; tests use
it to check that the scenarios do what they promise (every state reached, in order).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from syncwatch.db import Store
from syncwatch.demo.engine import ActionDone, DemoEngine
from syncwatch.demo.scenarios import DemoIntegration, ScriptedAction
from syncwatch.rows import EventRow, Transition
from syncwatch.states import IntegrationState

__all__ = ["HeadlessResult", "run_headless"]


@dataclass(slots=True)
class HeadlessResult:
    """What :func:`run_headless` did."""

    scenario: str
    seed: int
    start: datetime
    end: datetime
    steps: int = 0
    integrations: int = 0
    syncs_started: int = 0
    syncs_finished: int = 0
    actions: list[ActionDone] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    #: How many of the engine's integrations show each state at ``end``.
    final_states: dict[IntegrationState, int] = field(default_factory=dict)
    #: The scenario's integrations and its scripted actions.
    roster: list[DemoIntegration] = field(default_factory=list)
    script: list[ScriptedAction] = field(default_factory=list)

    @property
    def states_reached(self) -> set[IntegrationState]:
        """Every state some integration entered."""
        return {t.to_state for t in self.transitions}


def run_headless(
    store: Store,
    *,
    scenario: str,
    seed: int,
    start: datetime,
    until: timedelta,
    step: timedelta | None = None,
) -> HeadlessResult:
    """Set a scenario up and run it to ``start + until`` in steps of ``step``, as fast as the
    database allows. Returns counts and every transition, in order.

    Without ``step``, the demo's one rule for it (:attr:`DemoEngine.default_step`).
    """
    if until <= timedelta(0):
        raise ValueError("until must be longer than zero")
    if step is not None and step <= timedelta(0):
        raise ValueError("step must be longer than zero")
    engine = DemoEngine(store, scenario=scenario, seed=seed, start=start)
    engine.setup()
    end = engine.start + until
    result = HeadlessResult(scenario, seed, engine.start, end)
    result.integrations = len(engine.integrations)
    result.roster = list(engine.integrations)
    result.script = list(engine.script)
    if engine.setup_result is not None:
        result.transitions.extend(engine.setup_result.transitions)
        result.events.extend(engine.setup_result.events)
    for res in engine.catch_up(end, step):
        result.steps += 1
        result.syncs_started += len(res.started)
        result.syncs_finished += len(res.finished)
        result.actions.extend(res.actions)
        result.transitions.extend(res.transitions)
        result.events.extend(res.events)
    ids = {p.id for p in engine.integrations}
    counts = Counter(
        row.state for row in store.integrations() if row.id in ids and row.state is not None
    )
    result.final_states = dict(counts)
    return result
