"""The pure evaluator, rule by rule (docs/rules.md: "The nine states", "Sticky facts",
"What an evaluation stores" and "The API view")."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import NOW, ago, make_facts, make_sync
from syncwatch.evaluator import (
    DEV_INACTIVITY_REASON,
    OPERATOR_INACTIVE_REASON,
    Evaluation,
    IntegrationFacts,
    SyncFacts,
    evaluate,
)
from syncwatch.limits import HEADLINE_LIMIT, headline
from syncwatch.present import fmt_time
from syncwatch.states import (
    ApiStatus,
    Environment,
    IntegrationState,
    QaStatus,
    SetupStatus,
    SyncState,
)

St = IntegrationState
SS = SyncState
H72 = timedelta(hours=72)
D14 = timedelta(days=14)
PASSED = QaStatus.PASSED

# A few ready-made syncs, all well inside the last day.
OK = make_sync("s_ok", SS.SUCCEEDED, ago(hours=2))
WARN = make_sync("s_warn", SS.PARTIALLY_FAILED, ago(hours=2), warnings=2, headline="no DOB")
FAIL = make_sync("s_fail", SS.FAILED, ago(hours=2), errors=1, headline="HTTP 503 from Workday")
TIMEOUT = make_sync("s_timeout", SS.TIMED_OUT, ago(hours=2))
AUTH = make_sync("s_auth", SS.AUTHENTICATION_FAILED, ago(hours=2), headline="401 Unauthorized")


def run(facts: IntegrationFacts | None = None, syncs: Any = (), now: datetime = NOW) -> Evaluation:
    return evaluate(facts if facts is not None else make_facts(), syncs, now)


# --------------------------------------------------------------------------- precedence


@dataclass(frozen=True)
class Case:
    id: str
    facts: dict[str, Any]
    syncs: tuple[SyncFacts, ...]
    expected: IntegrationState


INVALID_AT = ago(hours=1)

PRECEDENCE = [
    # 1. DELETED
    Case("deleted", {"deleted_at": ago(days=1)}, (OK,), St.DELETED),
    Case(
        "deleted+inactive->DELETED", {"deleted_at": ago(days=1), "enabled": False}, (), St.DELETED
    ),
    Case(
        "deleted+everything->DELETED",
        {
            "deleted_at": ago(days=1),
            "enabled": False,
            "filters_configured": False,
            "qa_status": QaStatus.FAILED,
            "credentials_invalid_at": INVALID_AT,
        },
        (AUTH,),
        St.DELETED,
    ),
    # 2. INACTIVE
    Case("inactive", {"enabled": False, "qa_status": PASSED}, (OK,), St.INACTIVE),
    Case(
        "inactive+no-filters->INACTIVE",
        {"enabled": False, "filters_configured": False},
        (),
        St.INACTIVE,
    ),
    Case(
        "inactive+QA->INACTIVE",
        {"enabled": False, "qa_status": QaStatus.FAILED},
        (OK,),
        St.INACTIVE,
    ),
    Case(
        "inactive+creds-invalid->INACTIVE",
        {"enabled": False, "credentials_invalid_at": INVALID_AT},
        (AUTH,),
        St.INACTIVE,
    ),
    # 3. SETUP
    Case("no-filters->SETUP", {"filters_configured": False}, (), St.SETUP),
    Case(
        "no-filters+QA->SETUP",
        {"filters_configured": False, "qa_status": QaStatus.FAILED},
        (FAIL,),
        St.SETUP,
    ),
    Case(
        "no-filters+creds-invalid->SETUP",
        {"filters_configured": False, "credentials_invalid_at": INVALID_AT},
        (AUTH,),
        St.SETUP,
    ),
    # 4. QUALITY_ASSURANCE
    Case("qa-failed->QA", {"qa_status": QaStatus.FAILED}, (OK,), St.QUALITY_ASSURANCE),
    Case(
        "QA beats creds-invalid",
        {"qa_status": QaStatus.FAILED, "credentials_invalid_at": INVALID_AT},
        (AUTH,),
        St.QUALITY_ASSURANCE,
    ),
    Case("QA beats sync failing", {"qa_status": QaStatus.FAILED}, (FAIL,), St.QUALITY_ASSURANCE),
    # 5. CREDENTIALS_INVALID
    Case(
        "creds-invalid",
        {"qa_status": PASSED, "credentials_invalid_at": INVALID_AT},
        (AUTH,),
        St.CREDENTIALS_INVALID,
    ),
    Case(
        "creds-invalid beats last sync succeeded",
        {"qa_status": PASSED, "credentials_invalid_at": INVALID_AT},
        (OK,),
        St.CREDENTIALS_INVALID,
    ),
    Case(
        "creds-invalid with no sync",
        {"qa_status": PASSED, "credentials_invalid_at": INVALID_AT},
        (),
        St.CREDENTIALS_INVALID,
    ),
    # 6.-9. the last counted sync
    Case(
        "last-auth-failed->AUTH_FAILING", {"qa_status": PASSED}, (AUTH,), St.AUTHENTICATION_FAILING
    ),
    Case("last-failed->SYNC_FAILING", {"qa_status": PASSED}, (FAIL,), St.SYNC_FAILING),
    Case("last-timed-out->SYNC_FAILING", {"qa_status": PASSED}, (TIMEOUT,), St.SYNC_FAILING),
    Case("last-partially-failed->WARNINGS", {"qa_status": PASSED}, (WARN,), St.SYNC_HAS_WARNINGS),
    Case("last-succeeded->ACTIVE", {"qa_status": PASSED}, (OK,), St.ACTIVE),
    Case("no-sync->ACTIVE", {}, (), St.ACTIVE),
    Case("only-running->ACTIVE", {}, (make_sync("r", SS.RUNNING, ago(minutes=5)),), St.ACTIVE),
]


def test_precedence_table_covers_all_nine_states() -> None:
    assert {c.expected for c in PRECEDENCE} == set(IntegrationState)


@pytest.mark.parametrize("case", PRECEDENCE, ids=lambda c: c.id)
def test_state_precedence_first_match_wins(case: Case) -> None:
    ev = run(make_facts(**case.facts), case.syncs)
    assert ev.state is case.expected
    assert ev.facts.state is case.expected


@pytest.mark.parametrize(
    ("older", "newer", "expected"),
    [
        (FAIL, OK, St.ACTIVE),
        (OK, FAIL, St.SYNC_FAILING),
        (AUTH, OK, St.ACTIVE),
        (OK, AUTH, St.AUTHENTICATION_FAILING),
        (FAIL, WARN, St.SYNC_HAS_WARNINGS),
        (WARN, TIMEOUT, St.SYNC_FAILING),
    ],
    ids=lambda v: v.id if isinstance(v, SyncFacts) else str(v),
)
def test_the_last_sync_decides(older: SyncFacts, newer: SyncFacts, expected: St) -> None:
    older = replace(older, id="a", started_at=ago(hours=5), ended_at=ago(hours=4))
    newer = replace(newer, id="b", started_at=ago(hours=2), ended_at=ago(hours=1))
    ev = run(make_facts(qa_status=PASSED), [newer, older])
    assert ev.state is expected
    assert ev.last_sync == newer


# --------------------------------------------------------------------------- finished syncs only


def test_running_sync_is_ignored() -> None:
    running = make_sync("s_run", SS.RUNNING, ago(minutes=10))
    ev = run(make_facts(qa_status=PASSED), [FAIL, running])
    assert ev.state is St.SYNC_FAILING
    assert ev.last_sync == FAIL


def test_cancelled_sync_is_ignored() -> None:
    cancelled = make_sync("s_cxl", SS.CANCELLED, ago(hours=1), ago(minutes=50))
    ev = run(make_facts(qa_status=PASSED), [FAIL, cancelled])
    assert ev.state is St.SYNC_FAILING
    assert ev.last_sync == FAIL


def test_only_cancelled_and_running_syncs_leave_setup_pending_and_qa_undecided() -> None:
    syncs = [
        make_sync("c", SS.CANCELLED, ago(hours=3)),
        make_sync("r", SS.RUNNING, ago(minutes=10)),
    ]
    ev = run(make_facts(), syncs)
    assert ev.state is St.ACTIVE
    assert ev.facts.qa_status is None
    assert ev.last_sync is None
    assert ev.api is not None
    assert ev.api.setup_status is SetupStatus.FINAL_SYNC_PENDING
    assert ev.api.qa_status is QaStatus.PENDING


def test_timed_out_counts_as_failed() -> None:
    ev = run(make_facts(qa_status=PASSED), [TIMEOUT])
    assert ev.state is St.SYNC_FAILING
    assert "timed out" in ev.reason


def test_sync_ending_after_now_is_ignored_and_its_end_is_the_next_deadline() -> None:
    future_end = NOW + timedelta(minutes=10)
    late = make_sync("s_late", SS.FAILED, ago(hours=1), future_end, headline="HTTP 500")
    ev = run(make_facts(qa_status=PASSED), [OK, late])
    assert ev.state is St.ACTIVE
    assert ev.last_sync == OK
    assert ev.next_due_at == future_end
    later = run(make_facts(qa_status=PASSED), [OK, late], now=future_end)
    assert later.state is St.SYNC_FAILING
    assert later.last_sync == late


def test_sync_ending_exactly_at_now_counts() -> None:
    at_now = make_sync("s_now", SS.FAILED, ago(hours=1), NOW)
    ev = run(make_facts(qa_status=PASSED), [OK, at_now])
    assert ev.state is St.SYNC_FAILING


def test_future_first_sync_does_not_decide_qa_yet() -> None:
    first = make_sync("s1", SS.FAILED, ago(minutes=20), NOW + timedelta(minutes=5))
    ev = run(make_facts(), [first])
    assert ev.facts.qa_status is None
    assert ev.state is St.ACTIVE
    assert ev.next_due_at == NOW + timedelta(minutes=5)


# --------------------------------------------------------------------------- "the last sync"


@pytest.mark.parametrize(
    ("a", "b", "last"),
    [
        pytest.param(
            make_sync("a", SS.FAILED, ago(hours=5), ago(hours=1)),
            make_sync("b", SS.SUCCEEDED, ago(hours=3), ago(hours=2)),
            "a",
            id="latest ended_at wins over later started_at",
        ),
        pytest.param(
            make_sync("a", SS.FAILED, ago(hours=3), ago(hours=1)),
            make_sync("b", SS.SUCCEEDED, ago(hours=2), ago(hours=1)),
            "b",
            id="same ended_at: later started_at wins",
        ),
        pytest.param(
            make_sync("b", SS.FAILED, ago(hours=2), ago(hours=1)),
            make_sync("a", SS.SUCCEEDED, ago(hours=3), ago(hours=1)),
            "b",
            id="same ended_at: later started_at wins (other way round)",
        ),
        pytest.param(
            make_sync("sync_1", SS.FAILED, ago(hours=2), ago(hours=1)),
            make_sync("sync_2", SS.SUCCEEDED, ago(hours=2), ago(hours=1)),
            "sync_2",
            id="same ended_at and started_at: larger id wins",
        ),
        pytest.param(
            make_sync("sync_2", SS.FAILED, ago(hours=2), ago(hours=1)),
            make_sync("sync_1", SS.SUCCEEDED, ago(hours=2), ago(hours=1)),
            "sync_2",
            id="same ended_at and started_at: larger id wins (failed)",
        ),
    ],
)
def test_last_sync_tie_breaks(a: SyncFacts, b: SyncFacts, last: str) -> None:
    expected = {"FAILED": St.SYNC_FAILING, "SUCCEEDED": St.ACTIVE}
    for syncs in ([a, b], [b, a]):
        ev = run(make_facts(qa_status=PASSED), syncs)
        assert ev.last_sync is not None
        assert ev.last_sync.id == last
        assert ev.state is expected[ev.last_sync.state.value]


# --------------------------------------------------------------------------- QA hold


@pytest.mark.parametrize(
    "state",
    [SS.PARTIALLY_FAILED, SS.FAILED, SS.AUTHENTICATION_FAILED, SS.TIMED_OUT],
    ids=str,
)
def test_first_sync_with_issues_holds_in_qa(state: SyncState) -> None:
    first = make_sync("s1", state, ago(hours=3), headline="Could not fetch field dob")
    ev = run(make_facts(), [first, replace(OK, started_at=ago(hours=1), ended_at=ago(minutes=30))])
    assert ev.facts.qa_status is QaStatus.FAILED
    assert ev.qa_hold_raised
    assert "qa_hold" in ev.events
    assert ev.state is St.QUALITY_ASSURANCE
    assert "Could not fetch field dob" in ev.reason
    assert ev.api is not None
    assert ev.api.qa_status is QaStatus.FAILED


def test_first_sync_succeeded_passes_qa() -> None:
    later_fail = make_sync("s2", SS.FAILED, ago(hours=1))
    ev = run(make_facts(), [later_fail, make_sync("s1", SS.SUCCEEDED, ago(hours=3))])
    assert ev.facts.qa_status is QaStatus.PASSED
    assert not ev.qa_hold_raised
    assert ev.events == ()
    assert ev.state is St.SYNC_FAILING


def test_first_sync_is_the_earliest_started_not_the_earliest_ended() -> None:
    long_first = make_sync("a", SS.FAILED, ago(hours=5), ago(hours=1))
    short_second = make_sync("b", SS.SUCCEEDED, ago(hours=4), ago(hours=3))
    ev = run(make_facts(), [short_second, long_first])
    assert ev.facts.qa_status is QaStatus.FAILED


@pytest.mark.parametrize("ignored", [SS.RUNNING, SS.CANCELLED], ids=str)
def test_unfinished_earliest_sync_does_not_decide_qa(ignored: SyncState) -> None:
    earliest = make_sync(
        "a", ignored, ago(hours=5), None if ignored is SS.RUNNING else ago(hours=4)
    )
    ev = run(make_facts(), [earliest, make_sync("b", SS.SUCCEEDED, ago(hours=3))])
    assert ev.facts.qa_status is QaStatus.PASSED


def test_pending_qa_is_decided_like_none() -> None:
    ev = run(make_facts(qa_status=QaStatus.PENDING), [FAIL])
    assert ev.facts.qa_status is QaStatus.FAILED
    assert ev.qa_hold_raised


@pytest.mark.parametrize(
    ("stored", "syncs", "expected_state"),
    [
        pytest.param(
            PASSED, (FAIL,), St.SYNC_FAILING, id="stored PASSED kept despite failing first"
        ),
        pytest.param(
            QaStatus.FAILED, (OK,), St.QUALITY_ASSURANCE, id="stored FAILED kept despite good first"
        ),
    ],
)
def test_decided_qa_status_is_kept(
    stored: QaStatus, syncs: tuple[SyncFacts, ...], expected_state: St
) -> None:
    ev = run(make_facts(qa_status=stored), syncs)
    assert ev.facts.qa_status is stored
    assert not ev.qa_hold_raised
    assert ev.state is expected_state


def test_qa_hold_is_raised_only_the_first_time() -> None:
    first = run(make_facts(), [FAIL])
    assert first.qa_hold_raised
    again = run(first.facts, [FAIL, replace(OK, started_at=ago(hours=1), ended_at=ago(minutes=1))])
    assert not again.qa_hold_raised
    assert again.events == ()
    assert again.state is St.QUALITY_ASSURANCE


def test_qa_is_decided_once_even_if_an_earlier_sync_shows_up_later() -> None:
    decided = run(make_facts(), [OK])
    assert decided.facts.qa_status is QaStatus.PASSED
    earlier_failure = make_sync("s0", SS.FAILED, ago(hours=10))
    ev = run(decided.facts, [OK, earlier_failure])
    assert ev.facts.qa_status is QaStatus.PASSED
    assert not ev.qa_hold_raised


# --------------------------------------------------------------------------- credentials invalid


def auth(id: str, ended_at: datetime, **kw: Any) -> SyncFacts:
    return make_sync(id, SS.AUTHENTICATION_FAILED, ended_at - timedelta(minutes=5), ended_at, **kw)


@pytest.mark.parametrize(
    ("elapsed", "invalid"),
    [
        pytest.param(timedelta(hours=71, minutes=59), False, id="71h59-not-yet"),
        pytest.param(timedelta(hours=72) - timedelta(seconds=1), False, id="72h-minus-1s-not-yet"),
        pytest.param(timedelta(hours=72), True, id="exactly-72h"),
        pytest.param(timedelta(hours=72, minutes=1), True, id="72h01"),
    ],
)
def test_credentials_invalid_at_72_hours(elapsed: timedelta, invalid: bool) -> None:
    first_end = NOW - elapsed
    syncs = [auth("a1", first_end), auth("a2", first_end + timedelta(hours=3))]
    ev = run(make_facts(qa_status=PASSED), syncs)
    mark = first_end + H72
    if invalid:
        assert ev.state is St.CREDENTIALS_INVALID
        assert ev.facts.credentials_invalid_at == mark
        assert ev.credentials_invalidated
        assert "credentials_invalid" in ev.events
        assert ev.api is not None and ev.api.status is ApiStatus.INVALID
    else:
        assert ev.state is St.AUTHENTICATION_FAILING
        assert ev.facts.credentials_invalid_at is None
        assert not ev.credentials_invalidated
        assert ev.next_due_at == mark
        assert ev.api is not None and ev.api.status is ApiStatus.ACTIVE


def test_credentials_run_is_measured_from_its_earliest_sync() -> None:
    syncs = [auth(f"a{i}", ago(hours=80) + timedelta(hours=3 * i)) for i in range(20)]
    ev = run(make_facts(qa_status=PASSED), syncs)
    assert ev.state is St.CREDENTIALS_INVALID
    assert ev.facts.credentials_invalid_at == ago(hours=8)


@pytest.mark.parametrize(
    "breaker", [SS.SUCCEEDED, SS.PARTIALLY_FAILED, SS.FAILED, SS.TIMED_OUT], ids=str
)
def test_a_non_auth_sync_ends_the_run_and_restarts_the_clock(breaker: SyncState) -> None:
    syncs = [
        auth("a1", ago(hours=100)),
        make_sync("b", breaker, ago(hours=90), ago(hours=89)),
        auth("a2", ago(hours=71)),
        auth("a3", ago(hours=60)),
    ]
    ev = run(make_facts(qa_status=PASSED), syncs)
    assert ev.state is St.AUTHENTICATION_FAILING
    assert ev.facts.credentials_invalid_at is None
    assert ev.next_due_at == ago(hours=71) + H72
    assert run(ev.facts, syncs, now=ago(hours=71) + H72).state is St.CREDENTIALS_INVALID


@pytest.mark.parametrize("ignored", [SS.RUNNING, SS.CANCELLED], ids=str)
def test_running_or_cancelled_sync_does_not_end_the_run(ignored: SyncState) -> None:
    syncs = [
        auth("a1", ago(hours=80)),
        make_sync("x", ignored, ago(hours=50), None if ignored is SS.RUNNING else ago(hours=49)),
        auth("a2", ago(hours=10)),
    ]
    ev = run(make_facts(qa_status=PASSED), syncs)
    assert ev.state is St.CREDENTIALS_INVALID
    assert ev.facts.credentials_invalid_at == ago(hours=8)


def test_run_order_follows_the_last_sync_order_not_the_start_order() -> None:
    # The success started last but ended before the auth failure: the run is not broken.
    syncs = [
        auth("a1", ago(hours=80)),
        make_sync("ok", SS.SUCCEEDED, ago(hours=79), ago(hours=78)),
        make_sync("a2", SS.AUTHENTICATION_FAILED, ago(hours=79, minutes=30), ago(hours=77)),
    ]
    ev = run(make_facts(qa_status=PASSED), syncs)
    # Ordered by end: a1, ok, a2 -> the run is just a2, which ended 77 h ago.
    assert ev.state is St.CREDENTIALS_INVALID
    assert ev.facts.credentials_invalid_at == ago(hours=5)


def test_only_syncs_started_at_or_after_the_credentials_update_count() -> None:
    updated = ago(hours=100)
    syncs = [
        make_sync(
            "old", SS.SUCCEEDED, updated - timedelta(minutes=1), updated + timedelta(hours=1)
        ),
        make_sync("a1", SS.AUTHENTICATION_FAILED, updated, updated + timedelta(minutes=20)),
        auth("a2", ago(hours=10)),
    ]
    ev = run(make_facts(qa_status=PASSED, credentials_updated_at=updated), syncs)
    # "old" ended last-but-one yet started before the update: it does not break the run,
    # and a1 (started exactly at the update) counts.
    assert ev.state is St.CREDENTIALS_INVALID
    assert ev.facts.credentials_invalid_at == updated + timedelta(minutes=20) + H72


def test_auth_failures_before_the_credentials_update_stop_counting() -> None:
    syncs = [auth(f"a{i}", ago(hours=120 - 10 * i)) for i in range(5)]
    ev = run(make_facts(qa_status=PASSED, credentials_updated_at=ago(hours=5)), syncs)
    assert ev.state is St.ACTIVE
    assert ev.facts.credentials_invalid_at is None
    assert "credentials were updated" in ev.reason
    assert ev.last_sync is not None  # still shown as the last sync


def test_after_update_the_last_counted_sync_decides() -> None:
    syncs = [
        auth("a1", ago(hours=30)),
        make_sync("f", SS.FAILED, ago(hours=2)),
        make_sync("old_ok", SS.SUCCEEDED, ago(hours=6), ago(hours=1)),
    ]
    ev = run(make_facts(qa_status=PASSED, credentials_updated_at=ago(hours=3)), syncs)
    # old_ok ended last, but started before the update: f is the last counted sync.
    assert ev.state is St.SYNC_FAILING
    assert ev.last_sync is not None and ev.last_sync.id == "old_ok"


def test_credentials_invalid_is_sticky() -> None:
    invalid_at = ago(hours=20)
    syncs = [auth("a1", ago(hours=92)), make_sync("ok", SS.SUCCEEDED, ago(hours=2))]
    ev = run(make_facts(qa_status=PASSED, credentials_invalid_at=invalid_at), syncs)
    assert ev.state is St.CREDENTIALS_INVALID
    assert ev.facts.credentials_invalid_at == invalid_at
    assert not ev.credentials_invalidated
    assert ev.events == ()


def test_credentials_marked_invalid_without_auth_failures_does_not_invent_a_cause() -> None:
    # Kombo reported INVALID (or the mark was imported): no run of auth failures is visible.
    invalid_at = ago(hours=2)
    ev = run(make_facts(qa_status=PASSED, credentials_invalid_at=invalid_at), [])
    assert ev.state is St.CREDENTIALS_INVALID
    assert ev.reason == (
        f"Credentials marked invalid {fmt_time(invalid_at)}; "
        "syncs are paused until the credentials are updated."
    )


def test_inactive_integration_can_still_have_its_credentials_found_invalid() -> None:
    ev = run(make_facts(qa_status=PASSED, enabled=False), [auth("a1", ago(hours=73))])
    assert ev.state is St.INACTIVE
    assert ev.facts.credentials_invalid_at == ago(hours=1)
    assert ev.credentials_invalidated
    assert ev.api is not None and ev.api.status is ApiStatus.INACTIVE


def test_first_sync_failing_on_auth_raises_qa_and_still_counts_for_credentials() -> None:
    ev = run(make_facts(), [auth("a1", ago(hours=80))])
    assert ev.state is St.QUALITY_ASSURANCE
    assert ev.facts.qa_status is QaStatus.FAILED
    assert ev.facts.credentials_invalid_at == ago(hours=8)
    assert set(ev.events) == {"qa_hold", "credentials_invalid"}


# --------------------------------------------------------------------------- dev inactivity


@pytest.mark.parametrize(
    "latest",
    ["created_at", "last_api_request_at", "last_reactivated_at"],
)
@pytest.mark.parametrize(
    ("after", "disabled"),
    [
        pytest.param(D14 - timedelta(minutes=1), False, id="13d23h59"),
        pytest.param(D14, True, id="exactly-14d"),
        pytest.param(D14 + timedelta(days=3), True, id="17d"),
    ],
)
def test_development_inactivity(latest: str, after: timedelta, disabled: bool) -> None:
    activity = ago(days=20)
    times = {
        "created_at": ago(days=60),
        "last_api_request_at": ago(days=50),
        "last_reactivated_at": ago(days=40),
    }
    times[latest] = activity
    facts = make_facts(environment=Environment.DEVELOPMENT, qa_status=PASSED, **times)
    now = activity + after
    ev = evaluate(facts, [], now)
    mark = activity + D14
    if disabled:
        assert ev.state is St.INACTIVE
        assert not ev.facts.enabled
        assert ev.facts.disabled_reason == DEV_INACTIVITY_REASON == "no API request for 14 days"
        assert ev.facts.disabled_at == mark
        assert ev.disabled_for_inactivity
        assert "disabled_for_inactivity" in ev.events
        assert "no API request for 14 days" in ev.reason
        assert fmt_time(activity) in ev.reason
        assert ev.api is not None and ev.api.status is ApiStatus.INACTIVE
    else:
        assert ev.state is St.ACTIVE
        assert ev.facts.enabled
        assert not ev.disabled_for_inactivity
        assert ev.next_due_at == mark


def test_production_is_never_disabled_for_inactivity() -> None:
    facts = make_facts(created_at=ago(days=400), last_api_request_at=ago(days=300))
    ev = run(facts, [OK])
    assert ev.state is St.ACTIVE
    assert ev.facts.enabled
    assert ev.next_due_at is None


def test_already_disabled_development_integration_raises_nothing() -> None:
    facts = make_facts(environment=Environment.DEVELOPMENT, enabled=False, created_at=ago(days=90))
    ev = run(facts)
    assert ev.state is St.INACTIVE
    assert ev.events == ()
    assert ev.next_due_at is None


def test_next_due_is_the_earliest_deadline() -> None:
    facts = make_facts(
        environment=Environment.DEVELOPMENT, qa_status=PASSED, created_at=ago(days=13)
    )
    ev = run(facts, [auth("a1", ago(hours=70))])
    assert ev.next_due_at == ago(hours=70) + H72  # before created + 14 d
    ev = run(
        replace(facts, created_at=ago(days=14) + timedelta(minutes=30)), [auth("a1", ago(hours=70))]
    )
    assert ev.next_due_at == NOW + timedelta(minutes=30)


# --------------------------------------------------------------------------- purge


@pytest.mark.parametrize(
    ("since", "due"),
    [
        pytest.param(D14 - timedelta(minutes=1), False, id="13d23h59"),
        pytest.param(D14, True, id="exactly-14d"),
        pytest.param(D14 * 2, True, id="28d"),
    ],
)
def test_purge_is_due_14_days_after_deletion(since: timedelta, due: bool) -> None:
    deleted = NOW - since
    ev = run(make_facts(deleted_at=deleted), [OK])
    assert ev.state is St.DELETED
    assert ev.purge_due is due
    assert ("purged" in ev.events) is due
    assert fmt_time(deleted) in ev.reason
    assert fmt_time(deleted + D14) in ev.reason
    if not due:
        assert ev.next_due_at == deleted + D14


def test_purged_integration_is_not_purged_again() -> None:
    facts = make_facts(deleted_at=ago(days=20), purged_at=ago(days=6))
    ev = run(facts)
    assert not ev.purge_due
    assert ev.events == ()
    assert ev.next_due_at is None
    assert "purged" in ev.reason and fmt_time(ago(days=6)) in ev.reason


# --------------------------------------------------------------------------- API view


@pytest.mark.parametrize(
    ("facts", "syncs", "status", "setup", "qa"),
    [
        pytest.param(
            {"enabled": False, "credentials_invalid_at": INVALID_AT},
            (OK,),
            ApiStatus.INACTIVE,
            SetupStatus.COMPLETED,
            QaStatus.PASSED,
            id="not enabled -> INACTIVE (beats INVALID)",
        ),
        pytest.param(
            {"credentials_invalid_at": INVALID_AT},
            (AUTH,),
            ApiStatus.INVALID,
            SetupStatus.COMPLETED,
            QaStatus.FAILED,
            id="creds invalid -> INVALID",
        ),
        pytest.param(
            {},
            (OK,),
            ApiStatus.ACTIVE,
            SetupStatus.COMPLETED,
            QaStatus.PASSED,
            id="healthy -> ACTIVE/COMPLETED/PASSED",
        ),
        pytest.param(
            {"filters_configured": False},
            (OK,),
            ApiStatus.ACTIVE,
            SetupStatus.INCOMPLETE,
            QaStatus.PASSED,
            id="no filters -> INCOMPLETE",
        ),
        pytest.param(
            {},
            (),
            ApiStatus.ACTIVE,
            SetupStatus.FINAL_SYNC_PENDING,
            QaStatus.PENDING,
            id="no finished sync -> FINAL_SYNC_PENDING/PENDING",
        ),
        pytest.param(
            {},
            (make_sync("r", SS.RUNNING, ago(minutes=3)),),
            ApiStatus.ACTIVE,
            SetupStatus.FINAL_SYNC_PENDING,
            QaStatus.PENDING,
            id="running first sync -> FINAL_SYNC_PENDING/PENDING",
        ),
        pytest.param(
            {},
            (FAIL,),
            ApiStatus.ACTIVE,
            SetupStatus.COMPLETED,
            QaStatus.FAILED,
            id="first sync failed -> qa FAILED",
        ),
        pytest.param(
            {"qa_status": PASSED},
            (FAIL,),
            ApiStatus.ACTIVE,
            SetupStatus.COMPLETED,
            QaStatus.PASSED,
            id="released -> qa PASSED",
        ),
    ],
)
def test_api_view(
    facts: dict[str, Any],
    syncs: tuple[SyncFacts, ...],
    status: ApiStatus,
    setup: SetupStatus,
    qa: QaStatus,
) -> None:
    ev = run(make_facts(**facts), syncs)
    assert ev.api is not None
    assert (ev.api.status, ev.api.setup_status, ev.api.qa_status) == (status, setup, qa)


def test_deleted_integration_has_no_api_view() -> None:
    assert run(make_facts(deleted_at=ago(hours=1)), [OK]).api is None


# --------------------------------------------------------------------------- reasons


@pytest.mark.parametrize(
    ("facts", "syncs", "state", "mentions"),
    [
        pytest.param(
            {"qa_status": PASSED},
            (FAIL,),
            St.SYNC_FAILING,
            ["HTTP 503 from Workday", fmt_time(FAIL.ended_at)],
            id="SYNC_FAILING",
        ),
        pytest.param(
            {"qa_status": PASSED},
            (TIMEOUT,),
            St.SYNC_FAILING,
            ["timed out", fmt_time(TIMEOUT.ended_at)],
            id="SYNC_FAILING-timed-out",
        ),
        pytest.param(
            {"qa_status": PASSED},
            (WARN,),
            St.SYNC_HAS_WARNINGS,
            ["no DOB", "2 warnings", fmt_time(WARN.ended_at)],
            id="SYNC_HAS_WARNINGS",
        ),
        pytest.param(
            {"qa_status": PASSED},
            (AUTH,),
            St.AUTHENTICATION_FAILING,
            ["401 Unauthorized", fmt_time(ago(hours=1, minutes=30) + H72)],
            id="AUTHENTICATION_FAILING-names-the-pause",
        ),
        pytest.param(
            {"qa_status": PASSED},
            (auth("a1", ago(hours=80)), auth("a2", ago(hours=74))),
            St.CREDENTIALS_INVALID,
            [fmt_time(ago(hours=80)), "2 syncs"],
            id="CREDENTIALS_INVALID",
        ),
        pytest.param(
            {},
            (FAIL,),
            St.QUALITY_ASSURANCE,
            ["HTTP 503 from Workday", fmt_time(FAIL.ended_at), "release"],
            id="QUALITY_ASSURANCE",
        ),
        pytest.param({"filters_configured": False}, (), St.SETUP, ["filters"], id="SETUP"),
        pytest.param(
            {
                "enabled": False,
                "disabled_reason": OPERATOR_INACTIVE_REASON,
                "disabled_at": ago(hours=3),
            },
            (),
            St.INACTIVE,
            ["set inactive by an operator", fmt_time(ago(hours=3))],
            id="INACTIVE-operator",
        ),
        pytest.param(
            {"deleted_at": ago(days=2)},
            (),
            St.DELETED,
            [fmt_time(ago(days=2)), fmt_time(ago(days=2) + D14)],
            id="DELETED",
        ),
        pytest.param({"qa_status": PASSED}, (OK,), St.ACTIVE, [fmt_time(OK.ended_at)], id="ACTIVE"),
        pytest.param({}, (), St.ACTIVE, ["No sync has finished yet"], id="ACTIVE-no-sync"),
    ],
)
def test_reason_is_one_sentence_naming_the_relevant_time_and_message(
    facts: dict[str, Any], syncs: tuple[SyncFacts, ...], state: St, mentions: list[str]
) -> None:
    ev = run(make_facts(**facts), syncs)
    assert ev.state is state
    assert_one_sentence(ev.reason)
    for text in mentions:
        assert text in ev.reason


@pytest.mark.parametrize(
    "state", [SS.FAILED, SS.PARTIALLY_FAILED, SS.AUTHENTICATION_FAILED], ids=str
)
@pytest.mark.parametrize("qa", [PASSED, None], ids=["last-sync", "first-sync-qa"])
def test_a_reason_quotes_a_short_one_line_headline_never_the_whole_message(
    state: SyncState, qa: QaStatus | None
) -> None:
    """Issue 12, finding 11: a 1 MB, multi-line headline is not copied into the reason (and so
    into every history entry): the reason quotes ``limits.headline`` of it."""
    huge = "HTTP 503 from Workday\nretry after: " + "x" * 1_000_000
    sync = make_sync("s_big", state, ago(hours=2), errors=1, warnings=1, headline=huge)
    ev = run(make_facts(qa_status=qa), [sync])
    assert_one_sentence(ev.reason)
    short = headline(huge)
    assert short is not None and short in ev.reason
    assert len(ev.reason) < HEADLINE_LIMIT + 200


def assert_one_sentence(reason: str) -> None:
    assert reason and reason[0].isupper(), reason
    assert reason.endswith("."), reason
    assert "\n" not in reason
    # One sentence: no full stop followed by a new capitalised sentence before the end.
    body = reason[:-1]
    assert not any(
        body[i] == "." and body[i + 1] == " " and body[i + 2 : i + 3].isupper()
        for i in range(len(body) - 2)
    ), reason


# --------------------------------------------------------------------------- properties

# Times on a whole-hour grid around NOW, so the 72 h and 14 d boundaries are hit exactly.
hours = st.integers(min_value=-24 * 20, max_value=6).map(lambda h: NOW + timedelta(hours=h))
durations = st.sampled_from([0, 1, 2, 5]).map(lambda h: timedelta(hours=h))


@st.composite
def sync_lists(draw: st.DrawFn, max_size: int = 8) -> list[SyncFacts]:
    n = draw(st.integers(0, max_size))
    out = []
    for i in range(n):
        state = draw(st.sampled_from(list(SyncState)))
        started = draw(hours)
        ended = None
        if state is not SS.RUNNING or draw(st.booleans()):
            ended = started + draw(durations)
        headline = draw(st.sampled_from([None, "HTTP 503", "401 Unauthorized"]))
        out.append(SyncFacts(f"s{i:02d}", state, started, ended, headline=headline))
    return out


@st.composite
def facts_strategy(draw: st.DrawFn) -> IntegrationFacts:
    optional = st.none() | hours
    return IntegrationFacts(
        id="x:1",
        created_at=draw(st.integers(-24 * 30, 0).map(lambda h: NOW + timedelta(hours=h))),
        environment=draw(st.sampled_from(list(Environment))),
        enabled=draw(st.booleans()),
        filters_configured=draw(st.booleans()),
        qa_status=draw(st.none() | st.sampled_from(list(QaStatus))),
        credentials_invalid_at=draw(st.none() | st.none() | hours),
        credentials_updated_at=draw(optional),
        last_api_request_at=draw(optional),
        last_reactivated_at=draw(optional),
        deleted_at=draw(st.none() | st.none() | hours),
        state=draw(st.none() | st.sampled_from(list(IntegrationState))),
    )


PROPS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(facts=facts_strategy(), syncs=sync_lists(), seed=st.integers(0, 2**16))
def test_result_never_depends_on_sync_order(
    facts: IntegrationFacts, syncs: list[SyncFacts], seed: int
) -> None:
    shuffled = list(syncs)
    random.Random(seed).shuffle(shuffled)
    assert evaluate(facts, shuffled, NOW) == evaluate(facts, syncs, NOW)
    assert evaluate(facts, reversed(syncs), NOW) == evaluate(facts, syncs, NOW)


@PROPS
@given(facts=facts_strategy(), syncs=sync_lists(), deleted=hours.filter(lambda t: t <= NOW))
def test_deleted_dominates(
    facts: IntegrationFacts, syncs: list[SyncFacts], deleted: datetime
) -> None:
    ev = evaluate(replace(facts, deleted_at=deleted), syncs, NOW)
    assert ev.state is St.DELETED
    assert ev.api is None


@PROPS
@given(facts=facts_strategy(), syncs=sync_lists(), later=st.integers(1, 6 * 3600))
def test_a_deletion_after_now_is_not_one_yet_and_is_due_exactly_then(
    facts: IntegrationFacts, syncs: list[SyncFacts], later: int
) -> None:
    """Issue 12, finding 13: a ``deleted_at`` after ``now`` shows the state as if not deleted
    (same state, same API view, the reason saying when), and the next pass is due then."""
    deleted = NOW + timedelta(seconds=later)
    ev = evaluate(replace(facts, deleted_at=deleted), syncs, NOW)
    plain = evaluate(replace(facts, deleted_at=None), syncs, NOW)
    assert ev.state is plain.state is not St.DELETED
    assert ev.api == plain.api
    assert ev.reason == f"{plain.reason[:-1]}; to be deleted {fmt_time(deleted)}."
    assert ev.next_due_at is not None and ev.next_due_at <= deleted
    assert evaluate(ev.facts, syncs, deleted).state is St.DELETED


def independent_run_invalid(facts: IntegrationFacts, syncs: list[SyncFacts], now: datetime) -> bool:
    """The credentials rule, written again from the words of docs/rules.md ("Sticky facts", 2)."""
    epoch = facts.credentials_updated_at
    counted = sorted(
        (
            s
            for s in syncs
            if s.state not in (SS.RUNNING, SS.CANCELLED)
            and s.ended_at is not None
            and s.ended_at <= now
            and (epoch is None or s.started_at >= epoch)
        ),
        key=lambda s: (s.ended_at, s.started_at, s.id),
    )
    run_: list[SyncFacts] = []
    for s in reversed(counted):
        if s.state is not SS.AUTHENTICATION_FAILED:
            break
        run_.append(s)
    return bool(run_) and min(s.ended_at for s in run_ if s.ended_at) <= now - H72


@PROPS
@given(facts=facts_strategy(), syncs=sync_lists())
def test_credentials_invalid_only_after_72h_of_auth_failures_or_when_sticky(
    facts: IntegrationFacts, syncs: list[SyncFacts]
) -> None:
    ev = evaluate(facts, syncs, NOW)
    expected = facts.credentials_invalid_at is not None or independent_run_invalid(
        facts, syncs, NOW
    )
    assert (ev.facts.credentials_invalid_at is not None) is expected
    if ev.state is St.CREDENTIALS_INVALID:
        assert expected


@PROPS
@given(facts=facts_strategy(), syncs=sync_lists())
def test_inactive_iff_not_enabled_when_not_deleted(
    facts: IntegrationFacts, syncs: list[SyncFacts]
) -> None:
    ev = evaluate(replace(facts, deleted_at=None), syncs, NOW)
    assert (ev.state is St.INACTIVE) is (not ev.facts.enabled)
    assert ev.api is not None
    assert (ev.api.status is ApiStatus.INACTIVE) is (not ev.facts.enabled)


@PROPS
@given(facts=facts_strategy(), syncs=sync_lists())
def test_evaluating_twice_is_stable(facts: IntegrationFacts, syncs: list[SyncFacts]) -> None:
    first = evaluate(facts, syncs, NOW)
    second = evaluate(first.facts, syncs, NOW)
    assert second.state is first.state
    assert second.reason == first.reason
    assert second.facts == first.facts
    assert not second.changed
    assert second.events == ()
    assert not (second.qa_hold_raised or second.credentials_invalidated)
    assert not (second.disabled_for_inactivity or second.purge_due)


def test_feeding_back_the_facts_of_a_purge_does_not_purge_again() -> None:
    """Purge is a sticky fact (docs/rules.md, "Sticky facts", 4): once reported, it is not
    reported again."""
    first = run(make_facts(deleted_at=ago(days=15)), [OK])
    assert first.purge_due
    second = run(first.facts, [OK])
    assert not second.purge_due
    assert second.events == ()
