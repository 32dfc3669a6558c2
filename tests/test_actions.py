"""Operator actions per the table in docs/rules.md ("Operator actions"): allowed or refused,
effects, re-evaluation, audit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from builders import (
    NOW,
    WriteImport,
    ago,
    db_snapshot,
    integration_record,
    sync_record,
)
from syncwatch.actions import (
    Action,
    ActionRefused,
    UnknownIntegration,
    perform,
    perform_many,
)
from syncwatch.db import Store
from syncwatch.evaluator import DEV_INACTIVITY_REASON, OPERATOR_INACTIVE_REASON
from syncwatch.importer import import_files
from syncwatch.rows import IntegrationRow
from syncwatch.states import ApiStatus, IntegrationState, QaStatus, SetupStatus

St = IntegrationState
IMPORTED_AT = ago(minutes=10)


def situation_records() -> list[dict[str, Any]]:
    """One integration per situation the action table distinguishes."""
    return [
        integration_record(
            "active:1",
            filters_configured=True,
            syncs=[sync_record("a1", "SUCCEEDED", ago(hours=5))],
        ),
        integration_record(
            "inactive:1",
            filters_configured=True,
            enabled=False,
            syncs=[sync_record("i1", "SUCCEEDED", ago(hours=5))],
        ),
        integration_record(
            "qa:1",
            filters_configured=True,
            syncs=[
                sync_record("q1", "FAILED", ago(hours=5)),
                sync_record("q2", "SUCCEEDED", ago(hours=2)),
            ],
        ),
        integration_record("setup:1"),
        integration_record(
            "creds:1",
            filters_configured=True,
            qa_status="PASSED",
            syncs=[
                sync_record(f"c{i}", "AUTHENTICATION_FAILED", ago(hours=100 - 12 * i))
                for i in range(8)
            ],
        ),
        integration_record(
            "deleted:1",
            filters_configured=True,
            deleted_at=ago(hours=2),
            syncs=[sync_record("x1", "SUCCEEDED", ago(hours=5))],
        ),
        integration_record(
            "devidle:1",
            environment="development",
            filters_configured=True,
            created_at=ago(days=40),
            last_api_request_at=ago(days=20),
            syncs=[sync_record("d1", "SUCCEEDED", ago(days=19))],
        ),
    ]


SITUATIONS = {
    "active:1": St.ACTIVE,
    "inactive:1": St.INACTIVE,
    "qa:1": St.QUALITY_ASSURANCE,
    "setup:1": St.SETUP,
    "creds:1": St.CREDENTIALS_INVALID,
    "deleted:1": St.DELETED,
    "devidle:1": St.INACTIVE,
}

#: The table in docs/rules.md ("Operator actions"): where each action is allowed, and the
#: state it leads to there.
ALLOWED: dict[Action, dict[str, St]] = {
    Action.REACTIVATE: {"inactive:1": St.ACTIVE, "devidle:1": St.ACTIVE},
    Action.DEACTIVATE: {
        "active:1": St.INACTIVE,
        "qa:1": St.INACTIVE,
        "setup:1": St.INACTIVE,
        "creds:1": St.INACTIVE,
    },
    Action.RELEASE_QA: {"qa:1": St.ACTIVE},
    Action.UPDATE_CREDENTIALS: {
        "active:1": St.ACTIVE,
        "inactive:1": St.INACTIVE,
        "qa:1": St.QUALITY_ASSURANCE,
        "setup:1": St.SETUP,
        "creds:1": St.ACTIVE,
        "devidle:1": St.INACTIVE,
    },
    Action.CONFIGURE_FILTERS: {"setup:1": St.ACTIVE},
    Action.DELETE: {iid: St.DELETED for iid in SITUATIONS if iid != "deleted:1"},
}

#: What a refusal says, by action (a deleted integration's refusal says it was deleted).
WHY = {
    Action.REACTIVATE: "already enabled",
    Action.DEACTIVATE: "already inactive",
    Action.RELEASE_QA: "not held in quality assurance",
    Action.CONFIGURE_FILTERS: "already has filters configured",
}


@pytest.fixture
def situations(store: Store, write_import: WriteImport) -> Store:
    import_files(store, [write_import(situation_records(), "situations.json")], IMPORTED_AT)
    return store


def get(store: Store, iid: str) -> IntegrationRow:
    row = store.get(iid)
    assert row is not None
    return row


def test_situations_are_what_they_say(situations: Store) -> None:
    assert {r.id: r.state for r in situations.integrations()} == SITUATIONS


def verdict(action: Action, iid: str) -> str:
    return "allowed" if iid in ALLOWED[action] else "refused"


TABLE = [
    pytest.param(
        action,
        iid,
        ALLOWED[action].get(iid),
        id=f"{action.value}-{iid.split(':')[0]}-{verdict(action, iid)}",
    )
    for action in Action
    for iid in SITUATIONS
]


@pytest.mark.parametrize(("action", "iid", "after"), TABLE)
def test_action_table(situations: Store, action: Action, iid: str, after: St | None) -> None:
    store = situations
    before = db_snapshot(store)
    row = get(store, iid)
    when = NOW

    if after is None:
        with pytest.raises(ActionRefused) as err:
            perform(store, action, iid, when, actor="alice")
        message = str(err.value)
        assert iid in message
        assert (WHY.get(action, "") if row.deleted_at is None else "deleted") in message
        assert db_snapshot(store) == before
        return

    result = perform(store, action, iid, when, actor="alice")
    assert (result.state_before, result.state_after) == (row.state, after)
    new = get(store, iid)
    assert new.state is after
    assert result.reason == new.state_reason

    # Re-evaluated at once: a change of state is in the history at the action's time.
    history = store.history(iid)
    if after is not row.state:
        assert (history[-1].from_state, history[-1].to_state, history[-1].at) == (
            row.state,
            after,
            when,
        )
        assert new.state_since == when
        assert len(history) == len(before["history"][iid]) + 1
    else:
        assert history == before["history"][iid]

    # One audit row: who, what, when, the state before and after.
    audit = store.audit(iid)
    assert len(audit) == 1
    entry = audit[0]
    assert (entry.actor, entry.action, entry.at) == ("alice", action.value, when)
    assert (entry.state_before, entry.state_after) == (row.state.value, after.value)  # type: ignore[union-attr]

    # Only this integration changed.
    for other in before["integrations"]:
        if other.id != iid:
            assert get(store, other.id) == other


# --------------------------------------------------------------------------- effects


def test_reactivate_counts_as_activity_and_restarts_the_inactivity_clock(situations: Store) -> None:
    store = situations
    assert get(store, "devidle:1").disabled_reason == DEV_INACTIVITY_REASON
    perform(store, Action.REACTIVATE, "devidle:1", NOW, actor="alice")
    row = get(store, "devidle:1")
    assert row.enabled
    assert row.last_reactivated_at == NOW
    assert row.disabled_reason is None
    assert row.api is not None and row.api.status is ApiStatus.ACTIVE
    assert row.next_due_at == NOW + timedelta(days=14)

    store.evaluate_pass(NOW + timedelta(days=14) - timedelta(seconds=1))
    assert get(store, "devidle:1").state is St.ACTIVE
    store.evaluate_pass(NOW + timedelta(days=14))
    row = get(store, "devidle:1")
    assert row.state is St.INACTIVE
    assert "no API request for 14 days" in (row.state_reason or "")


def test_deactivate_sets_the_operator_reason(situations: Store) -> None:
    perform(situations, Action.DEACTIVATE, "active:1", NOW, actor="alice")
    row = get(situations, "active:1")
    assert not row.enabled
    assert row.disabled_reason == OPERATOR_INACTIVE_REASON == "set inactive by an operator"
    assert "set inactive by an operator" in (row.state_reason or "")
    assert row.api is not None and row.api.status is ApiStatus.INACTIVE


def test_deactivated_production_integration_stays_inactive(situations: Store) -> None:
    perform(situations, Action.DEACTIVATE, "active:1", NOW, actor="alice")
    situations.evaluate_pass(NOW + timedelta(days=60), full=True)
    assert get(situations, "active:1").state is St.INACTIVE


def test_release_from_qa_passes_qa_for_good(situations: Store) -> None:
    store = situations
    perform(store, Action.RELEASE_QA, "qa:1", NOW, actor="alice")
    row = get(store, "qa:1")
    assert row.qa_status is QaStatus.PASSED
    assert row.state is not St.QUALITY_ASSURANCE
    assert row.api is not None and row.api.qa_status is QaStatus.PASSED
    store.evaluate_pass(NOW + timedelta(days=1), full=True)
    assert get(store, "qa:1").state is St.ACTIVE
    assert [e.kind for e in store.events("qa:1")] == ["qa_hold"]


def test_update_credentials_clears_invalid_and_old_failures_stop_counting(
    situations: Store, write_import: WriteImport
) -> None:
    store = situations
    perform(store, Action.UPDATE_CREDENTIALS, "creds:1", NOW, actor="alice")
    row = get(store, "creds:1")
    assert row.credentials_invalid_at is None
    assert row.credentials_updated_at == NOW
    assert row.state is St.ACTIVE
    assert row.api is not None and row.api.status is ApiStatus.ACTIVE

    # A new authentication failure starts a new 72 h clock, from its own end.
    start = NOW + timedelta(hours=1)
    end = start + timedelta(minutes=30)
    record = integration_record(
        "creds:1", syncs=[sync_record("c_new", "AUTHENTICATION_FAILED", start, end)]
    )
    import_files(store, [write_import([record], "new.json")], end)
    row = get(store, "creds:1")
    assert row.state is St.AUTHENTICATION_FAILING
    assert row.next_due_at == end + timedelta(hours=72)
    assert store.evaluate_pass(end + timedelta(hours=72) - timedelta(seconds=1)).evaluated == 0
    store.evaluate_pass(end + timedelta(hours=72))
    assert get(store, "creds:1").state is St.CREDENTIALS_INVALID


def test_configure_filters_leaves_setup(situations: Store) -> None:
    perform(situations, Action.CONFIGURE_FILTERS, "setup:1", NOW, actor="alice")
    row = get(situations, "setup:1")
    assert row.filters_configured
    assert row.state is St.ACTIVE
    assert row.api is not None and row.api.setup_status is SetupStatus.FINAL_SYNC_PENDING


def test_delete_sets_the_deletion_time_and_hides_the_api_view(situations: Store) -> None:
    perform(situations, Action.DELETE, "active:1", NOW, actor="alice")
    row = get(situations, "active:1")
    assert row.deleted_at == NOW
    assert row.api is None
    assert row.next_due_at == NOW + timedelta(days=14)


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_delete_is_terminal(situations: Store, action: Action) -> None:
    store = situations
    perform(store, Action.DELETE, "inactive:1", NOW, actor="alice")
    before = db_snapshot(store)
    with pytest.raises(ActionRefused) as err:
        perform(store, action, "inactive:1", NOW + timedelta(minutes=5), actor="bob")
    assert "deleted" in str(err.value) and "final" in str(err.value)
    assert db_snapshot(store) == before


def test_unknown_id_is_reported(situations: Store) -> None:
    before = db_snapshot(situations)
    with pytest.raises(UnknownIntegration) as err:
        perform(situations, Action.DEACTIVATE, "nope:1", NOW, actor="alice")
    assert "nope:1" in str(err.value)
    assert db_snapshot(situations) == before


def test_perform_many_with_allowed_refused_and_unknown_ids(situations: Store) -> None:
    store = situations
    untouched = {iid: get(store, iid) for iid in ("inactive:1", "deleted:1")}
    results, refusals, unknown = perform_many(
        store,
        Action.DEACTIVATE,
        ["active:1", "inactive:1", "nope:1", "setup:1", "deleted:1", "active:1"],
        NOW,
        actor="alice",
    )
    assert [(r.integration_id, r.state_before, r.state_after) for r in results] == [
        ("active:1", St.ACTIVE, St.INACTIVE),
        ("setup:1", St.SETUP, St.INACTIVE),
    ]
    assert [r.integration_id for r in refusals] == ["inactive:1", "deleted:1"]
    assert "already inactive" in refusals[0].message
    assert "deleted" in refusals[1].message
    assert unknown == ["nope:1"]
    assert [(a.integration_id, a.action) for a in store.audit()] == [
        ("active:1", "deactivate"),
        ("setup:1", "deactivate"),
    ]
    for iid, row in untouched.items():
        assert get(store, iid) == row
    for iid in ("active:1", "setup:1"):
        assert store.history(iid)[-1].at == NOW


def test_perform_many_with_nothing_allowed_changes_nothing(situations: Store) -> None:
    before = db_snapshot(situations)
    results, refusals, unknown = perform_many(
        situations, Action.RELEASE_QA, ["active:1", "zzz:9"], NOW, actor="alice"
    )
    assert results == []
    assert [r.integration_id for r in refusals] == ["active:1"]
    assert unknown == ["zzz:9"]
    assert db_snapshot(situations) == before
