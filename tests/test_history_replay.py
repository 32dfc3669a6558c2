"""History true to the data (issue 14): every transition at the instant the rules give.

Hand-made timelines, first through the pure replay (``syncwatch.replay``), then through the
store (imports on both backends): the first entry at creation, a failing sync at its end,
QA at the first sync's end, the 72-hour and 14-day marks, a deletion and its purge, the
credentials epoch, operator actions at their time, and a sync that arrives late rewriting
only what the rules now say otherwise, flagged as a correction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from builders import (
    NOW,
    WriteImport,
    ago,
    integration_record,
    make_facts,
    make_sync,
    sync_record,
)
from syncwatch.actions import Action, perform
from syncwatch.db import Store
from syncwatch.db.feed import activity
from syncwatch.db.transitions import transitions_after
from syncwatch.evaluator import IntegrationFacts, SyncFacts, evaluate
from syncwatch.feed import FeedQuery, entry_json, what_text
from syncwatch.importer import import_files
from syncwatch.replay import Step, replay
from syncwatch.states import Environment, IntegrationState, QaStatus, SyncState
from syncwatch.transitions import transition_event, transition_text

St = IntegrationState
SS = SyncState
H72 = timedelta(hours=72)
D14 = timedelta(days=14)
CREATED = ago(days=30)


def timeline(steps: list[Step]) -> list[tuple[St | None, St, datetime]]:
    return [(s.from_state, s.to_state, s.at) for s in steps]


def run(facts: IntegrationFacts, syncs: list[SyncFacts], now: datetime = NOW) -> list[Step]:
    """A replay of an integration never evaluated, from its creation to ``now``."""
    return replay(facts, syncs, facts.created_at, now)


def end(sync: SyncFacts) -> datetime:
    assert sync.ended_at is not None
    return sync.ended_at


# --------------------------------------------------------------------------- pure replay


def test_first_entry_at_creation_and_a_failing_sync_at_its_end() -> None:
    good = make_sync("s1", SS.SUCCEEDED, ago(days=10))
    bad = make_sync("s2", SS.FAILED, ago(days=5), headline="HTTP 503")
    back = make_sync("s3", SS.SUCCEEDED, ago(days=2))
    steps = run(make_facts(created_at=CREATED), [back, bad, good])
    assert timeline(steps) == [
        (None, St.ACTIVE, CREATED),
        (St.ACTIVE, St.SYNC_FAILING, end(bad)),
        (St.SYNC_FAILING, St.ACTIVE, end(back)),
    ]
    assert steps[0].reason == "No sync has finished yet."
    assert "HTTP 503" in steps[1].reason


def test_qa_hold_at_the_end_of_the_first_sync() -> None:
    first = make_sync("s1", SS.PARTIALLY_FAILED, ago(days=20), warnings=2)
    later = make_sync("s2", SS.FAILED, ago(days=1))
    steps = run(make_facts(created_at=CREATED), [first, later])
    # Held from the first sync's end; later syncs do not show behind the hold.
    assert timeline(steps) == [
        (None, St.ACTIVE, CREATED),
        (St.ACTIVE, St.QUALITY_ASSURANCE, end(first)),
    ]


def test_credentials_invalid_at_the_72_hour_mark() -> None:
    ok = make_sync("s0", SS.SUCCEEDED, ago(days=9))
    fails = [make_sync(f"a{i}", SS.AUTHENTICATION_FAILED, ago(days=6 - i)) for i in range(5)]
    steps = run(make_facts(created_at=CREATED), [ok, *fails])
    assert timeline(steps) == [
        (None, St.ACTIVE, CREATED),
        (St.ACTIVE, St.AUTHENTICATION_FAILING, end(fails[0])),
        (St.AUTHENTICATION_FAILING, St.CREDENTIALS_INVALID, end(fails[0]) + H72),
    ]


def test_a_good_sync_restarts_the_72_hour_clock() -> None:
    a1 = make_sync("a1", SS.AUTHENTICATION_FAILED, ago(days=8))
    ok = make_sync("ok", SS.SUCCEEDED, ago(days=6))
    a2 = make_sync("a2", SS.AUTHENTICATION_FAILED, ago(days=2))
    steps = run(make_facts(created_at=CREATED, qa_status=QaStatus.PASSED), [a1, ok, a2])
    assert timeline(steps) == [
        (None, St.ACTIVE, CREATED),
        (St.ACTIVE, St.AUTHENTICATION_FAILING, end(a1)),
        (St.AUTHENTICATION_FAILING, St.ACTIVE, end(ok)),
        (St.ACTIVE, St.AUTHENTICATION_FAILING, end(a2)),
    ]


def test_credentials_epoch_splits_the_runs() -> None:
    fails = [make_sync(f"a{i}", SS.AUTHENTICATION_FAILED, ago(days=12 - i)) for i in range(5)]
    updated = ago(days=6)
    after = make_sync("b1", SS.AUTHENTICATION_FAILED, ago(days=2))
    facts = make_facts(
        created_at=CREATED, qa_status=QaStatus.PASSED, credentials_updated_at=updated
    )
    steps = run(facts, [*fails, after])
    assert timeline(steps) == [
        (None, St.ACTIVE, CREATED),
        (St.ACTIVE, St.AUTHENTICATION_FAILING, end(fails[0])),
        (St.AUTHENTICATION_FAILING, St.CREDENTIALS_INVALID, end(fails[0]) + H72),
        # The update clears the mark: nothing counts until a sync started since finishes.
        (St.CREDENTIALS_INVALID, St.ACTIVE, updated),
        (St.ACTIVE, St.AUTHENTICATION_FAILING, end(after)),
    ]


def test_development_integration_inactive_at_the_14_day_mark() -> None:
    facts = make_facts(created_at=CREATED, environment=Environment.DEVELOPMENT)
    last_call = ago(days=25)
    steps = run(replace(facts, last_api_request_at=last_call), [])
    assert timeline(steps) == [
        (None, St.ACTIVE, CREATED),
        (St.ACTIVE, St.INACTIVE, last_call + D14),
    ]
    # The 14 days start again from a reactivation.
    back = ago(days=3)
    facts = make_facts(
        created_at=CREATED,
        environment=Environment.DEVELOPMENT,
        enabled=True,
        last_reactivated_at=back,
    )
    assert timeline(run(facts, [])) == [
        (None, St.ACTIVE, CREATED),
        (St.ACTIVE, St.INACTIVE, CREATED + D14),
        (St.INACTIVE, St.ACTIVE, back),
    ]


def test_deletion_at_its_time_and_the_purge_adds_no_entry() -> None:
    deleted = ago(days=20)
    s1 = make_sync("s1", SS.FAILED, ago(days=25))
    facts = make_facts(created_at=CREATED, qa_status=QaStatus.PASSED, deleted_at=deleted)
    steps = run(facts, [s1])
    assert timeline(steps) == [
        (None, St.ACTIVE, CREATED),
        (St.ACTIVE, St.SYNC_FAILING, end(s1)),
        (St.SYNC_FAILING, St.DELETED, deleted),
    ]
    assert "purged" in steps[-1].reason  # evaluated at now, after the purge date


def test_operator_deactivation_keeps_its_time() -> None:
    off = ago(days=4)
    facts = make_facts(
        created_at=CREATED,
        qa_status=QaStatus.PASSED,
        enabled=False,
        disabled_at=off,
        disabled_reason="set inactive by an operator",
    )
    s1 = make_sync("s1", SS.FAILED, ago(days=6))
    assert timeline(run(facts, [s1])) == [
        (None, St.ACTIVE, CREATED),
        (St.ACTIVE, St.SYNC_FAILING, end(s1)),
        (St.SYNC_FAILING, St.INACTIVE, off),
    ]


def test_undated_facts_of_a_new_integration_hold_since_creation() -> None:
    s1 = make_sync("s1", SS.FAILED, ago(days=6))
    assert timeline(run(make_facts(created_at=CREATED, enabled=False), [s1])) == [
        (None, St.INACTIVE, CREATED)
    ]
    assert timeline(run(make_facts(created_at=CREATED, filters_configured=False), [s1])) == [
        (None, St.SETUP, CREATED)
    ]


def test_undated_change_of_a_known_integration_holds_from_now() -> None:
    # Known (it showed QA at its last evaluation), released since: the release is at `now`
    # even though a sync ended in between.
    first = make_sync("s1", SS.FAILED, ago(days=6))
    later = make_sync("s2", SS.SUCCEEDED, ago(days=1))
    facts = make_facts(created_at=CREATED, qa_status=QaStatus.PASSED, state=St.QUALITY_ASSURANCE)
    steps = replay(facts, [first, later], ago(days=3), NOW)
    assert timeline(steps) == [(St.QUALITY_ASSURANCE, St.ACTIVE, NOW)]


SYNC_STATES = [s for s in SyncState]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(SYNC_STATES),
            st.integers(min_value=0, max_value=29 * 24),
            st.integers(min_value=1, max_value=48),
        ),
        max_size=12,
    ),
    st.sampled_from([None, QaStatus.PASSED]),
    st.sampled_from(list(Environment)),
    st.one_of(st.none(), st.integers(min_value=1, max_value=29 * 24)),
)
def test_replay_is_a_chain_in_time_order_ending_in_the_evaluation_at_now(
    raw: list[tuple[SyncState, int, int]],
    qa: QaStatus | None,
    environment: Environment,
    updated_hours_ago: int | None,
) -> None:
    syncs = [
        make_sync(f"s{i}", state, CREATED + timedelta(hours=h), CREATED + timedelta(hours=h + d))
        for i, (state, h, d) in enumerate(raw)
        if state is not SS.RUNNING
    ]
    updated = None if updated_hours_ago is None else NOW - timedelta(hours=updated_hours_ago)
    facts = make_facts(
        created_at=CREATED,
        qa_status=qa,
        environment=environment,
        credentials_updated_at=updated,
    )
    steps = run(facts, syncs)
    assert steps[0].from_state is None and steps[0].at == CREATED
    for before, after in pairwise(steps):
        assert after.from_state is before.to_state
        assert before.at <= after.at <= NOW
        assert before.to_state is not after.to_state
    assert steps[-1].to_state is evaluate(facts, syncs, NOW).state


# --------------------------------------------------------------------------- the store


def history(store: Store, integration_id: str) -> list[tuple[St | None, St, datetime]]:
    return [(h.from_state, h.to_state, h.at) for h in store.history(integration_id)]


def test_import_of_past_syncs_records_their_times(store: Store, write_import: WriteImport) -> None:
    record = integration_record(
        "personio:a",
        created_at=CREATED,
        filters_configured=True,
        qa_status="PASSED",
        syncs=[
            sync_record("s1", "SUCCEEDED", ago(days=10)),
            sync_record("s2", "AUTHENTICATION_FAILED", ago(days=5)),
            sync_record("s3", "AUTHENTICATION_FAILED", ago(days=1)),
        ],
    )
    report = import_files(store, [write_import([record])], NOW)
    s2_end = ago(days=5) + timedelta(minutes=30)
    expected = [
        (None, St.ACTIVE, CREATED),
        (St.ACTIVE, St.AUTHENTICATION_FAILING, s2_end),
        (St.AUTHENTICATION_FAILING, St.CREDENTIALS_INVALID, s2_end + H72),
    ]
    assert history(store, "personio:a") == expected
    assert report.evaluation is not None
    assert [(t.from_state, t.to_state, t.at) for t in report.evaluation.transitions] == expected
    row = store.get("personio:a")
    assert row is not None and row.state_since == s2_end + H72
    # Every entry was learned at the import, not when it happened.
    assert {h.recorded_at for h in store.history("personio:a")} == {NOW}
    assert not any(h.correction for h in store.history("personio:a"))


def test_a_late_sync_rewrites_only_what_the_rules_now_say_otherwise(
    store: Store, write_import: WriteImport
) -> None:
    def record(*syncs: dict[str, Any]) -> dict[str, Any]:
        return integration_record(
            "personio:a",
            created_at=CREATED,
            filters_configured=True,
            qa_status="PASSED",
            syncs=list(syncs),
        )

    s1 = sync_record("s1", "SUCCEEDED", ago(days=10))
    s2 = sync_record("s2", "FAILED", ago(days=6))
    s3 = sync_record("s3", "FAILED", ago(days=2))
    import_files(store, [write_import([record(s1, s2, s3)])], ago(days=1))
    s2_end = ago(days=6) + timedelta(minutes=30)
    assert history(store, "personio:a") == [
        (None, St.ACTIVE, CREATED),
        (St.ACTIVE, St.SYNC_FAILING, s2_end),
    ]
    seq = max(t.seq or 0 for t in transitions_after(store, 0))

    # A sync that succeeded between the two failures arrives a day later.
    late = sync_record("late", "SUCCEEDED", ago(days=4))
    import_files(store, [write_import([record(late)], name="late.json")], NOW)
    late_end = ago(days=4) + timedelta(minutes=30)
    s3_end = ago(days=2) + timedelta(minutes=30)
    assert history(store, "personio:a") == [
        (None, St.ACTIVE, CREATED),
        (St.ACTIVE, St.SYNC_FAILING, s2_end),
        (St.SYNC_FAILING, St.ACTIVE, late_end),
        (St.ACTIVE, St.SYNC_FAILING, s3_end),
    ]
    entries = store.history("personio:a")
    # The entries the rules still agree with stay as they were recorded.
    assert [h.recorded_at for h in entries[:2]] == [ago(days=1), ago(days=1)]
    assert not entries[0].correction and not entries[1].correction
    assert [h.recorded_at for h in entries[2:]] == [NOW, NOW]
    # The state shown is unchanged and so is its start; `watch` tells the new entries as
    # corrections, not news.
    row = store.get("personio:a")
    assert row is not None and row.state is St.SYNC_FAILING and row.state_since == s3_end
    news = transitions_after(store, seq)
    assert [(t.from_state, t.to_state, t.at, t.correction) for t in news] == [
        (St.SYNC_FAILING, St.ACTIVE, late_end, True),
        (St.ACTIVE, St.SYNC_FAILING, s3_end, True),
    ]
    # watch's text and JSON, and the activity feed, say so.
    assert all("(correction)" in transition_text(t) for t in news)
    assert [transition_event(t)["correction"] for t in news] == [True, True]
    assert not transition_event(transitions_after(store, 0)[0])["correction"]
    feed = [e for e in activity(store, FeedQuery(limit=10)) if e.at >= late_end]
    assert [(e.correction, entry_json(e)["correction"]) for e in feed] == [(True, True)] * 2
    assert all(what_text(e).endswith("(correction)") for e in feed)


def test_a_late_sync_that_changes_a_recorded_transition_replaces_it(
    store: Store, write_import: WriteImport
) -> None:
    def record(*syncs: dict[str, Any]) -> dict[str, Any]:
        return integration_record(
            "personio:a", created_at=CREATED, filters_configured=True, syncs=list(syncs)
        )

    s1 = sync_record("s1", "SUCCEEDED", ago(days=10))
    s2 = sync_record("s2", "FAILED", ago(days=6))
    s3 = sync_record("s3", "SUCCEEDED", ago(days=2))
    import_files(store, [write_import([record(s1, s2, s3)])], ago(days=1))
    # Recovered at s3's end; then a success between s2 and s3 arrives: it recovered earlier.
    late = sync_record("late", "SUCCEEDED", ago(days=4))
    import_files(store, [write_import([record(late)], name="late.json")], NOW)
    assert history(store, "personio:a") == [
        (None, St.ACTIVE, CREATED),
        (St.ACTIVE, St.SYNC_FAILING, ago(days=6) + timedelta(minutes=30)),
        (St.SYNC_FAILING, St.ACTIVE, ago(days=4) + timedelta(minutes=30)),
    ]
    assert [h.correction for h in store.history("personio:a")] == [False, False, True]
    row = store.get("personio:a")
    assert row is not None and row.state_since == ago(days=4) + timedelta(minutes=30)


def test_a_late_sync_is_not_placed_before_an_operator_action(
    store: Store, write_import: WriteImport
) -> None:
    def record(*syncs: dict[str, Any]) -> dict[str, Any]:
        return integration_record(
            "personio:a",
            created_at=CREATED,
            filters_configured=True,
            qa_status="PASSED",
            syncs=list(syncs),
        )

    import_files(
        store, [write_import([record(sync_record("s1", "SUCCEEDED", ago(days=10)))])], ago(days=3)
    )
    perform(store, Action.DEACTIVATE, "personio:a", ago(days=2))
    perform(store, Action.REACTIVATE, "personio:a", ago(days=1))
    # A failure that ended before the reactivation arrives: it shows from the reactivation.
    late = sync_record("late", "FAILED", ago(days=5))
    import_files(store, [write_import([record(late)], name="late.json")], NOW)
    assert history(store, "personio:a") == [
        (None, St.ACTIVE, CREATED),
        (St.ACTIVE, St.INACTIVE, ago(days=2)),
        (St.INACTIVE, St.SYNC_FAILING, ago(days=1)),
    ]
    assert [h.correction for h in store.history("personio:a")] == [False, False, True]


def test_events_keep_the_evaluation_time(store: Store, write_import: WriteImport) -> None:
    record = integration_record(
        "personio:a",
        created_at=CREATED,
        filters_configured=True,
        syncs=[sync_record("s1", "FAILED", ago(days=10))],
    )
    import_files(store, [write_import([record])], NOW)
    assert history(store, "personio:a")[-1] == (
        St.ACTIVE,
        St.QUALITY_ASSURANCE,
        ago(days=10) + timedelta(minutes=30),
    )
    assert [(e.kind, e.at) for e in store.events()] == [("qa_hold", NOW)]


def test_a_state_change_that_arrives_late_is_news_at_its_time(
    store: Store, write_import: WriteImport
) -> None:
    def record(*syncs: dict[str, Any]) -> dict[str, Any]:
        return integration_record(
            "personio:a",
            created_at=CREATED,
            filters_configured=True,
            qa_status="PASSED",
            syncs=list(syncs),
        )

    import_files(
        store, [write_import([record(sync_record("s1", "SUCCEEDED", ago(hours=5)))])], ago(hours=2)
    )
    store.evaluate_pass(ago(hours=1))  # a pass ran after the next sync ended, before it came
    seq = max(t.seq or 0 for t in transitions_after(store, 0))
    failed = sync_record("s2", "FAILED", ago(hours=2), ago(hours=1, minutes=30))
    import_files(store, [write_import([record(failed)], name="late.json")], NOW)
    # Failing since its end; the state shown changed, so this is news, not a correction.
    [news] = transitions_after(store, seq)
    assert (news.from_state, news.to_state, news.at, news.correction) == (
        St.ACTIVE,
        St.SYNC_FAILING,
        ago(hours=1, minutes=30),
        False,
    )
