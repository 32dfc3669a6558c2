"""The trends (``syncwatch.trends``): the recent-results strip, the coming rule's countdown
at the evaluator's marks, and the timeline's availability on hand-made histories."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from builders import NOW, ago, make_facts, make_sync
from syncwatch.evaluator import CREDENTIALS_WINDOW, INACTIVITY_WINDOW, PURGE_AFTER, evaluate
from syncwatch.rows import HistoryRow
from syncwatch.states import Environment, IntegrationState, SyncState
from syncwatch.trends import (
    RECENT_SYNCS,
    WINDOWS,
    RecentSync,
    next_change,
    recent_results,
    timeline,
)

sys.path.insert(0, str(Path(__file__).parent / "tui"))
from row_support import row

S = SyncState
A = IntegrationState


def strip(*states: SyncState) -> str:
    syncs = [
        RecentSync(
            f"s{i:02}", st, ago(hours=3 * (len(states) - i)), ago(hours=3 * (len(states) - i))
        )
        for i, st in enumerate(states)
    ]
    return recent_results(syncs).glyphs


# --------------------------------------------------------------------------- recent results


def test_flapping_and_an_outage_read_differently_without_colour() -> None:
    flapping = strip(S.SUCCEEDED, S.FAILED, S.SUCCEEDED, S.FAILED, S.SUCCEEDED, S.FAILED)
    outage = strip(S.SUCCEEDED, S.SUCCEEDED, S.SUCCEEDED, S.FAILED, S.FAILED, S.TIMED_OUT)
    assert flapping == "✓✗✓✗✓✗"
    assert outage == "✓✓✓✗✗✗"  # a time-out counts as a failure, as the rules say


def test_every_result_has_a_glyph_of_its_own_kind() -> None:
    assert (
        strip(
            S.SUCCEEDED,
            S.PARTIALLY_FAILED,
            S.FAILED,
            S.AUTHENTICATION_FAILED,
            S.CANCELLED,
            S.RUNNING,
        )
        == "✓▲✗⚠–…"
    )


def test_the_strip_keeps_the_last_syncs_by_start_newest_on_the_right() -> None:
    syncs = [RecentSync(f"s{i:02}", S.SUCCEEDED, ago(hours=i), ago(hours=i)) for i in range(15)]
    syncs[0] = RecentSync("s00", S.FAILED, ago(hours=0), ago(hours=0))  # the newest
    got = recent_results(reversed(syncs))
    assert len(got.syncs) == RECENT_SYNCS
    assert got.glyphs == "✓" * (RECENT_SYNCS - 1) + "✗"
    assert [s["id"] for s in got.json()][-1] == "s00"


# --------------------------------------------------------------------------- countdowns


def test_authentication_failing_counts_down_to_the_72_hour_mark() -> None:
    first_failure_end = ago(hours=38) + timedelta(minutes=30)
    syncs = [
        make_sync("a", S.SUCCEEDED, ago(hours=50)),
        make_sync("b", S.AUTHENTICATION_FAILED, ago(hours=38)),
        make_sync("c", S.AUTHENTICATION_FAILED, ago(hours=2)),
    ]
    ev = evaluate(make_facts(qa_status="PASSED"), syncs, NOW)
    assert ev.state is A.AUTHENTICATION_FAILING
    r = row(state=ev.state, next_due_at=ev.next_due_at)
    change = next_change(r)
    assert change is not None
    assert change.at == first_failure_end + CREDENTIALS_WINDOW
    assert change.to is A.CREDENTIALS_INVALID
    assert change.text(NOW) == "syncs pause in 1 d 10 h"
    assert change.short(NOW) == "pause in 1d 10h"
    assert change.json()["next_change"] == "credentials_invalid"
    # At the mark itself: due now (the next pass makes it so).
    assert change.text(change.at) == "syncs pause now"
    assert change.text(change.at - timedelta(seconds=60)) == "syncs pause in 1 min"


def test_development_inactivity_counts_down_to_14_days_after_the_latest_activity() -> None:
    r = row(
        environment=Environment.DEVELOPMENT.value,
        created_at=ago(days=30),
        last_api_request_at=ago(days=13),
        next_due_at=ago(days=13) + INACTIVITY_WINDOW,
    )
    change = next_change(r)
    assert change is not None
    assert change.at == ago(days=13) + INACTIVITY_WINDOW == NOW + timedelta(days=1)
    assert (change.kind, change.to) == ("inactive", A.INACTIVE)
    assert change.short(NOW) == "off in 1d"
    # A production integration is never disabled by the rule; a disabled one has nothing coming.
    assert next_change(row(last_api_request_at=ago(days=13))) is None
    assert next_change(row(environment="development", enabled=False, state=A.INACTIVE)) is None


def test_purge_counts_down_to_14_days_after_deletion() -> None:
    r = row(state=A.DELETED, deleted_at=ago(days=3), evaluated_at=NOW)
    change = next_change(r)
    assert change is not None
    assert change.at == ago(days=3) + PURGE_AFTER
    assert (change.kind, change.to) == ("purge", None)
    assert change.text(NOW) == "syncs and logs purged in 11 d"
    assert next_change(row(state=A.DELETED, deleted_at=ago(days=20), purged_at=ago(days=6))) is None


def test_a_deletion_dated_later_is_the_next_change() -> None:
    r = row(deleted_at=NOW + timedelta(hours=5), evaluated_at=NOW)
    change = next_change(r)
    assert change is not None and (change.kind, change.to) == ("deleted", A.DELETED)
    assert change.at == NOW + timedelta(hours=5)


def test_the_soonest_rule_wins_and_a_healthy_row_has_none() -> None:
    # Failing authentication in development: disabled in a day comes before the 72 h mark.
    inactivity = NOW + timedelta(days=1)
    r = row(
        state=A.AUTHENTICATION_FAILING,
        environment="development",
        created_at=ago(days=30),
        last_api_request_at=inactivity - INACTIVITY_WINDOW,
        next_due_at=inactivity,  # the evaluator's next deadline: the sooner mark
    )
    change = next_change(r)
    assert change is not None and change.kind == "inactive"
    assert next_change(row()) is None
    assert next_change(row(state=None)) is None


# --------------------------------------------------------------------------- timelines


def h(state: IntegrationState, at: Any, before: IntegrationState | None = None) -> HistoryRow:
    return HistoryRow(before, state, at, "")


def test_availability_is_the_share_of_the_window_active_or_with_warnings() -> None:
    history = [
        h(A.ACTIVE, ago(days=40)),
        h(A.SYNC_HAS_WARNINGS, ago(days=5), A.ACTIVE),
        h(A.SYNC_FAILING, ago(days=2), A.SYNC_HAS_WARNINGS),
        h(A.ACTIVE, ago(days=1, hours=12), A.SYNC_FAILING),
    ]
    week = timeline(history, NOW, WINDOWS["7d"])
    assert week.known == timedelta(days=7)
    assert week.time_in([A.SYNC_FAILING]) == timedelta(hours=12)
    assert week.availability == pytest.approx((7 * 24 - 12) / (7 * 24))
    assert [t.to_state for t in week.transitions] == [A.SYNC_HAS_WARNINGS, A.SYNC_FAILING, A.ACTIVE]
    month = timeline(history, NOW, WINDOWS["30d"])
    assert month.availability == pytest.approx((30 * 24 - 12) / (30 * 24))
    assert week.json()["availability"] == round((7 * 24 - 12) / (7 * 24), 4)


def test_a_young_integration_is_judged_on_the_time_it_has_existed() -> None:
    history = [h(A.SETUP, ago(days=2)), h(A.ACTIVE, ago(days=1), A.SETUP)]
    week = timeline(history, NOW, WINDOWS["7d"])
    assert week.known == timedelta(days=2)
    assert week.availability == pytest.approx(0.5)
    assert week.spans[0].state is None and week.spans[0].length == timedelta(days=5)


def test_nothing_recorded_has_no_availability_and_later_entries_are_not_reached() -> None:
    assert timeline([], NOW, WINDOWS["7d"]).availability is None
    history = [h(A.ACTIVE, ago(days=3)), h(A.SYNC_FAILING, NOW + timedelta(hours=1), A.ACTIVE)]
    week = timeline(history, NOW, WINDOWS["7d"])
    assert week.availability == 1.0
    assert [t.to_state for t in week.transitions] == [A.ACTIVE]


def test_transitions_at_the_same_instant_keep_their_order() -> None:
    history = [
        h(A.ACTIVE, ago(days=10)),
        h(A.SYNC_FAILING, ago(days=1), A.ACTIVE),
        h(A.AUTHENTICATION_FAILING, ago(days=1), A.SYNC_FAILING),
    ]
    week = timeline(history, NOW, WINDOWS["7d"])
    assert week.time_in([A.AUTHENTICATION_FAILING]) == timedelta(days=1)
    assert week.time_in([A.SYNC_FAILING]) == timedelta(0)


def test_cells_show_a_short_failure_and_mark_the_transitions() -> None:
    history = [
        h(A.ACTIVE, ago(days=30)),
        h(A.SYNC_FAILING, ago(days=3), A.ACTIVE),
        h(A.ACTIVE, ago(days=3) + timedelta(minutes=20), A.SYNC_FAILING),
    ]
    week = timeline(history, NOW, WINDOWS["7d"])
    cells = week.cells(7)  # a day per cell: 20 minutes of failure still shows
    assert [c[0] for c in cells] == [A.ACTIVE] * 4 + [A.SYNC_FAILING] + [A.ACTIVE] * 2
    assert [c[1] for c in cells] == [False] * 4 + [True] + [False] * 2
    assert week.availability == pytest.approx(1 - 20 / (7 * 24 * 60))
