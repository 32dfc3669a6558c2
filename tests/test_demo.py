"""Demo mode: the simulated engine drives the real evaluator through every state.

Everything runs headless on a fixed seed and a fixed start; the simulated clock is just the
``now`` handed to each step, so nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncwatch.actions import Action, perform
from syncwatch.db import Store
from syncwatch.demo import (
    OPERATOR,
    SCENARIOS,
    DemoEngine,
    DemoIntegration,
    HeadlessResult,
    Profile,
    default_step,
    parse_duration,
    run_headless,
)
from syncwatch.evaluator import CREDENTIALS_WINDOW, INACTIVITY_WINDOW
from syncwatch.rows import HistoryRow, SyncRow
from syncwatch.states import Environment, IntegrationState, SyncState

S = IntegrationState
START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
SEED = 20261120
#: Every scripted action of the tour and its effect are done by then.
TOUR_UNTIL = timedelta(days=4, hours=12)
#: States in which the engine must not start a sync.
PAUSED = {
    S.INACTIVE,
    S.DELETED,
    S.SETUP,
    S.QUALITY_ASSURANCE,
    S.CREDENTIALS_INVALID,
}


@dataclass
class Tour:
    store: Store
    result: HeadlessResult

    def one(self, profile: Profile, tool: str | None = None) -> DemoIntegration:
        found = [
            p
            for p in self.result.roster
            if p.profile is profile and (tool is None or p.tool == tool)
        ]
        assert len(found) == 1, (profile, tool, found)
        return found[0]

    def history(self, plan: DemoIntegration) -> list[HistoryRow]:
        return self.store.history(plan.id)

    def states(self, plan: DemoIntegration) -> list[IntegrationState]:
        return [h.to_state for h in self.history(plan)]

    def syncs(self, plan: DemoIntegration) -> list[SyncRow]:
        """Oldest first."""
        return list(reversed(self.store.syncs(plan.id)))

    def audit_at(self, plan: DemoIntegration, action: Action) -> datetime:
        entries = [a for a in self.store.audit(plan.id) if a.action == action.value]
        assert len(entries) == 1, entries
        assert entries[0].actor == OPERATOR
        return entries[0].at


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tour]:
    store = Store.open(tmp_path_factory.mktemp("tour") / "demo.db")
    result = run_headless(
        store,
        scenario="tour",
        seed=SEED,
        start=START,
        until=TOUR_UNTIL,
        step=timedelta(hours=1),
    )
    yield Tour(store, result)
    store.close()


def entry(history: list[HistoryRow], state: IntegrationState, nth: int = 0) -> HistoryRow:
    return [h for h in history if h.to_state is state][nth]


# --------------------------------------------------------------------------- the tour


def test_tour_reaches_all_nine_states(tour: Tour) -> None:
    reached = {h.to_state for plan in tour.result.roster for h in tour.store.history(plan.id)}
    assert reached == set(IntegrationState)
    assert tour.result.states_reached == set(IntegrationState)
    assert 8 <= tour.result.integrations <= 10
    # Every scripted action was applied, none refused.
    assert len(tour.result.actions) == len(tour.result.script)
    assert all(a.refused is None for a in tour.result.actions)


def test_tour_early_states_come_on_day_one(tour: Tour) -> None:
    first_seen: dict[IntegrationState, datetime] = {}
    for plan in tour.result.roster:
        for h in tour.store.history(plan.id):
            first_seen.setdefault(h.to_state, h.at)
            first_seen[h.to_state] = min(first_seen[h.to_state], h.at)
    day_one = {
        S.ACTIVE,
        S.SYNC_HAS_WARNINGS,
        S.SYNC_FAILING,
        S.AUTHENTICATION_FAILING,
        S.QUALITY_ASSURANCE,
        S.SETUP,
        S.INACTIVE,
    }
    for state in day_one:
        assert first_seen[state] < START + timedelta(days=1), state
    assert first_seen[S.CREDENTIALS_INVALID] < START + timedelta(days=4)
    assert first_seen[S.DELETED] < START + timedelta(days=2)


def test_healthy_stays_active_on_good_syncs(tour: Tour) -> None:
    plan = tour.one(Profile.HEALTHY, "personio")
    history = tour.history(plan)
    assert [h.to_state for h in history] == [S.ACTIVE]
    # Active from its creation, before any sync had finished.
    assert history[0].reason == "No sync has finished yet."
    row = tour.store.get(plan.id)
    assert row is not None and history[0].at == row.created_at
    syncs = tour.syncs(plan)
    assert len(syncs) > 30
    assert {s.state for s in syncs} == {SyncState.SUCCEEDED}
    # Its customer calls the API: activity keeps moving.
    row = tour.store.get(plan.id)
    assert row is not None and row.last_api_request_at is not None
    assert row.last_api_request_at > tour.result.end - timedelta(hours=7)


def test_flaky_shows_warnings_then_recovers(tour: Tour) -> None:
    plan = tour.one(Profile.FLAKY)
    history = tour.history(plan)
    warned = entry(history, S.SYNC_HAS_WARNINGS)
    assert "warning" in warned.reason and "Could not fetch" in warned.reason
    assert "403" in warned.reason
    later = history[history.index(warned) + 1 :]
    assert S.ACTIVE in [h.to_state for h in later]
    logs = tour.store.logs(plan.id, levels=["WARNING"])
    assert logs and all(x.field for x in logs)


def test_outage_fails_syncs_then_the_next_good_sync_clears_it(tour: Tour) -> None:
    plan = tour.one(Profile.OUTAGE)
    history = tour.history(plan)
    assert [h.to_state for h in history] == [S.ACTIVE, S.SYNC_FAILING, S.ACTIVE]
    failing, back = history[1], history[2]
    assert "503" in failing.reason or "timed out" in failing.reason
    assert "succeeded" in back.reason
    (window,) = plan.outages
    assert window[0] <= failing.at <= window[1] + timedelta(hours=1)
    assert window[1] <= back.at
    failed = [s for s in tour.syncs(plan) if s.state in (SyncState.FAILED, SyncState.TIMED_OUT)]
    assert len(failed) >= 2
    assert all(window[0] <= s.started_at < window[1] for s in failed)


def test_expiring_credentials_fail_then_go_invalid_after_72h_then_recover(tour: Tour) -> None:
    plan = tour.one(Profile.EXPIRING_CREDENTIALS)
    history = tour.history(plan)
    assert [h.to_state for h in history] == [
        S.ACTIVE,
        S.AUTHENTICATION_FAILING,
        S.CREDENTIALS_INVALID,
        S.ACTIVE,
    ]
    failing, invalid, active = history[1], history[2], history[3]
    assert "failed on authentication" in failing.reason
    assert "failed on authentication" in invalid.reason and "paused" in invalid.reason

    syncs = tour.syncs(plan)
    auth = [s for s in syncs if s.state is SyncState.AUTHENTICATION_FAILED]
    assert len(auth) >= 10
    first_failure = auth[0]
    assert plan.credentials_expire_at is not None
    assert first_failure.started_at >= plan.credentials_expire_at
    assert first_failure.ended_at is not None
    assert failing.at >= first_failure.ended_at
    # Invalid only once every sync for 72 h failed on authentication.
    assert invalid.at >= first_failure.ended_at + CREDENTIALS_WINDOW
    assert invalid.at < first_failure.ended_at + CREDENTIALS_WINDOW + timedelta(hours=1)
    assert all(
        s.state is SyncState.AUTHENTICATION_FAILED
        for s in syncs
        if first_failure.started_at <= s.started_at < invalid.at
    )
    # The operator updates the credentials a while later: ACTIVE at once, then a good sync.
    updated = tour.audit_at(plan, Action.UPDATE_CREDENTIALS)
    assert updated > invalid.at + timedelta(hours=6)
    assert active.at == updated
    assert "credentials were updated" in active.reason
    assert not [s for s in syncs if invalid.at < s.started_at < updated]
    after = [s for s in syncs if s.started_at > updated]
    assert after and after[0].started_at < updated + timedelta(hours=1)
    assert {s.state for s in after} == {SyncState.SUCCEEDED}
    # The auth error carried a bearer token; the importer redacted it.
    errors = tour.store.logs(plan.id, levels=["ERROR"])
    leaky = [x for x in errors if "Authorization" in x.message]
    assert leaky and all("Bearer [REDACTED]" in x.message for x in leaky)


def test_first_sync_with_issues_holds_in_qa_until_released(tour: Tour) -> None:
    plan = tour.one(Profile.NEEDS_QA)
    history = tour.history(plan)
    assert [h.to_state for h in history] == [
        S.ACTIVE,
        S.QUALITY_ASSURANCE,
        S.SYNC_HAS_WARNINGS,
        S.ACTIVE,
    ]
    assert history[0].reason == "No sync has finished yet."
    qa = history[1]
    assert qa.reason.startswith("First sync") and "held until released" in qa.reason
    syncs = tour.syncs(plan)
    first = syncs[0]
    assert first.state is SyncState.PARTIALLY_FAILED and first.type == "FULL"
    assert first.ended_at is not None and first.ended_at <= qa.at
    # Reached on the first sync: no other sync had finished when QA was entered.
    assert all(s.ended_at is None or s.ended_at > qa.at for s in syncs[1:])
    assert qa.at < START + timedelta(hours=2)
    assert [e.kind for e in tour.store.events(plan.id)] == ["qa_hold"]
    released = tour.audit_at(plan, Action.RELEASE_QA)
    assert history[2].at == released
    assert history[3].at > released and "succeeded" in history[3].reason


def test_setup_until_filters_are_configured(tour: Tour) -> None:
    plan = tour.one(Profile.NOT_SET_UP)
    history = tour.history(plan)
    assert history[0].from_state is None and history[0].to_state is S.SETUP
    assert "no filters" in history[0].reason
    configured = tour.audit_at(plan, Action.CONFIGURE_FILTERS)
    assert history[1].to_state is S.ACTIVE and history[1].at == configured
    syncs = tour.syncs(plan)
    assert syncs and syncs[0].started_at > configured
    assert syncs[0].type == "FULL"
    opening = tour.store.logs(plan.id, sync_id=syncs[0].id)[-1]
    assert "initial sync after filters were configured" in opening.message


def test_idle_development_integration_is_disabled_after_14_days(tour: Tour) -> None:
    plan = tour.one(Profile.IDLE_DEVELOPMENT)
    assert plan.environment is Environment.DEVELOPMENT
    assert plan.last_api_request_at is not None
    assert plan.last_api_request_at < START - timedelta(days=13)
    history = tour.history(plan)
    assert [h.to_state for h in history] == [S.ACTIVE, S.INACTIVE, S.ACTIVE]
    disabled = history[1]
    assert "no API request for 14 days" in disabled.reason
    assert plan.last_api_request_at + INACTIVITY_WINDOW <= disabled.at < START + timedelta(days=1)
    reactivated = tour.audit_at(plan, Action.REACTIVATE)
    assert history[2].at == reactivated
    # Idle: the customer never calls the API, so the engine never bumps its activity.
    row = tour.store.get(plan.id)
    assert row is not None and row.last_api_request_at == plan.last_api_request_at
    assert row.last_reactivated_at == reactivated


def test_operator_deactivates_then_reactivates(tour: Tour) -> None:
    (plan,) = [
        p
        for p in tour.result.roster
        if p.profile is Profile.HEALTHY
        and any(
            a.action is Action.DEACTIVATE and a.integration_id == p.id for a in tour.result.script
        )
    ]
    history = tour.history(plan)
    assert [h.to_state for h in history] == [S.ACTIVE, S.INACTIVE, S.ACTIVE]
    assert "set inactive by an operator" in history[1].reason
    assert history[1].at == tour.audit_at(plan, Action.DEACTIVATE)
    assert history[2].at == tour.audit_at(plan, Action.REACTIVATE)


def test_deleted_by_an_operator(tour: Tour) -> None:
    (plan,) = [
        p
        for p in tour.result.roster
        if any(a.action is Action.DELETE and a.integration_id == p.id for a in tour.result.script)
    ]
    history = tour.history(plan)
    assert [h.to_state for h in history] == [S.ACTIVE, S.DELETED]
    deleted = tour.audit_at(plan, Action.DELETE)
    assert history[1].at == deleted and history[1].reason.startswith("Deleted")
    syncs = tour.syncs(plan)
    assert syncs and all(s.started_at <= deleted for s in syncs)
    # Nothing is left running on a deleted integration.
    assert all(s.state is not SyncState.RUNNING for s in syncs)


# --------------------------------------------------------------------------- the engine


def test_no_sync_starts_while_the_state_pauses_syncing(tour: Tour) -> None:
    checked = 0
    for plan in tour.result.roster:
        history = tour.history(plan)
        for sync in tour.syncs(plan):
            before = [h for h in history if h.at < sync.started_at]
            if not before:
                continue  # the day of history written at setup, before the demo began
            assert before[-1].to_state not in PAUSED, (plan.id, sync.id, before[-1])
            checked += 1
    assert checked > 200


def test_syncs_resume_after_each_operator_action(tour: Tour) -> None:
    resuming = {
        Action.REACTIVATE,
        Action.UPDATE_CREDENTIALS,
        Action.CONFIGURE_FILTERS,
        Action.RELEASE_QA,
    }
    done = [a for a in tour.result.actions if a.scripted.action in resuming]
    assert len(done) == 5
    for action in done:
        starts = [
            s.started_at
            for s in tour.store.syncs(action.scripted.integration_id)
            if s.started_at > action.performed_at
        ]
        assert starts, action
        assert min(starts) <= action.performed_at + timedelta(hours=1), action


def test_syncs_end_with_a_final_state_and_plausible_durations(tour: Tour) -> None:
    for plan in tour.result.roster:
        syncs = tour.syncs(plan)
        # At most the newest sync may still be running at the end of the run.
        assert all(s.state is not SyncState.RUNNING for s in syncs[:-1])
        for s in syncs:
            if s.ended_at is None or s.state is not SyncState.SUCCEEDED:
                continue
            took = s.ended_at - s.started_at
            if s.type == "FULL":
                assert timedelta(minutes=5) <= took <= timedelta(minutes=40), s
            else:
                assert timedelta(seconds=20) <= took <= timedelta(minutes=4), s


def test_same_seed_same_history_other_seed_differs(tmp_path: Path) -> None:
    def run(name: str, seed: int, until: timedelta) -> tuple[list[object], list[object]]:
        store = Store.open(tmp_path / f"{name}.db")
        try:
            result = run_headless(
                store,
                scenario="tour",
                seed=seed,
                start=START,
                until=until,
                step=timedelta(hours=2),
            )
            history = [
                (p.id, h.from_state, h.to_state, h.at, h.reason)
                for p in result.roster
                for h in store.history(p.id)
            ]
            syncs = [
                (s.id, s.state, s.started_at, s.ended_at, s.headline)
                for p in result.roster
                for s in store.syncs(p.id)
            ]
            return history, syncs
        finally:
            store.close()

    day = timedelta(days=1)
    first, again = run("a", 1, day), run("b", 1, day)
    assert first == again
    assert len(first[0]) >= 15 and len(first[1]) >= 100
    other = run("c", 2, timedelta(hours=2))
    assert [s for s in first[1] if s in other[1]] == []


def test_operator_at_the_keyboard_lifts_a_block_and_syncs_resume(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "demo.db")
    engine = DemoEngine(store, scenario="tour", seed=SEED, start=START)
    engine.setup()
    setup = next(p for p in engine.integrations if p.profile is Profile.NOT_SET_UP)
    engine.catch_up(START + timedelta(hours=2), timedelta(hours=1))
    assert store.syncs(setup.id) == []
    perform(store, Action.CONFIGURE_FILTERS, setup.id, engine.now, actor="alice")
    results = engine.catch_up(START + timedelta(hours=11), timedelta(hours=1))
    started = [s for s in store.syncs(setup.id) if s.started_at > START + timedelta(hours=2)]
    assert started and min(s.started_at for s in started) < START + timedelta(hours=3)
    # The script's own "configure filters" comes later and is refused, not fatal.
    refused = [a for r in results for a in r.actions if a.scripted.integration_id == setup.id]
    assert len(refused) == 1 and refused[0].refused is not None
    assert "already has filters configured" in refused[0].refused
    store.close()


def test_engine_guards(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "demo.db")
    with pytest.raises(ValueError, match="unknown demo scenario"):
        DemoEngine(store, scenario="nope", start=START)
    engine = DemoEngine(store, scenario="tour", seed=3, start=START)
    with pytest.raises(RuntimeError, match="setup"):
        engine.advance(START + timedelta(hours=1))
    engine.setup()
    with pytest.raises(RuntimeError, match="already"):
        engine.setup()
    engine.advance(START + timedelta(hours=1))
    assert not engine.advance(START + timedelta(hours=1)).changed  # same instant: no-op
    with pytest.raises(ValueError, match="backwards"):
        engine.advance(START)
    # The same scenario and seed again in the same database: fresh ids, no clash.
    second = DemoEngine(store, scenario="tour", seed=3, start=START + timedelta(hours=1))
    second.setup()
    assert not {p.id for p in engine.integrations} & {p.id for p in second.integrations}
    assert len(store.integrations()) == 2 * len(engine.integrations)
    # A demo must not start before what the database has already seen.
    with pytest.raises(ValueError, match="fresh database or a later start"):
        DemoEngine(store, scenario="tour", start=START).setup()
    store.close()


def test_incident_hits_many_integrations_at_once(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "demo.db")
    result = run_headless(
        store,
        scenario="incident",
        seed=SEED,
        start=START,
        until=timedelta(hours=12),
        step=timedelta(hours=2),
    )
    assert 35 <= result.integrations <= 45
    into = [(t.tool, t.to_state) for t in result.transitions if t.from_state is not None]
    assert into.count(("workday", S.SYNC_FAILING)) >= 8
    assert into.count(("bamboohr", S.AUTHENTICATION_FAILING)) >= 6
    updates = [a for a in result.script if a.action is Action.UPDATE_CREDENTIALS]
    assert len(updates) >= 6
    store.close()


def test_steady_is_a_large_mostly_healthy_fleet(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "demo.db")
    # No step: the demo's rule for a fleet this big is one hour, so one step.
    result = run_headless(
        store, scenario="steady", seed=SEED, start=START, until=timedelta(hours=1)
    )
    assert result.steps == 1
    assert result.integrations >= 250
    assert len({p.tool for p in result.roster}) >= 15
    healthy = result.final_states.get(S.ACTIVE, 0)
    assert healthy >= 0.85 * result.integrations
    store.close()


def test_scenarios_are_listed() -> None:
    assert SCENARIOS == ("tour", "incident", "steady")


# --------------------------------------------------------------------------- steps


def test_one_rule_for_the_step_small_fleets_fine_big_fleets_coarse() -> None:
    # The CLI's headless run and the UI both step by this rule when not told otherwise.
    assert default_step(9) == default_step(100) == timedelta(minutes=15)
    assert default_step(101) == default_step(300) == timedelta(hours=1)


def test_small_scenarios_step_a_quarter_of_an_hour_by_default(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "demo.db")
    engine = DemoEngine(store, scenario="incident", seed=SEED, start=START)
    engine.setup()
    assert engine.default_step == timedelta(minutes=15)
    assert len(engine.catch_up(START + timedelta(hours=1))) == 4
    result = run_headless(
        store,
        scenario="tour",
        seed=SEED,
        start=START + timedelta(hours=1),
        until=timedelta(hours=1),
    )
    assert result.steps == 4
    store.close()


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5d", timedelta(days=5)),
        ("36h", timedelta(hours=36)),
        ("90m", timedelta(minutes=90)),
        ("90min", timedelta(minutes=90)),
        ("2d12h", timedelta(days=2, hours=12)),
        (" 2d 12h ", timedelta(days=2, hours=12)),
        ("1w", timedelta(weeks=1)),
        ("45s", timedelta(seconds=45)),
        ("1H30M", timedelta(hours=1, minutes=30)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5", "d", "5x", "1.5h", "12h2d", "5d5d", "-3h", "0h", "h5"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"not a duration") as err:
        parse_duration(text)
    assert repr(text) in str(err.value)
