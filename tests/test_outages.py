"""The outage rule at its boundaries: 2 vs 3 integrations, half the tool, the hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syncwatch.fleet import rollup
from syncwatch.outages import FailingIntegration, find_outages
from syncwatch.states import IntegrationState as S

NOW = datetime(2026, 11, 5, 15, 0, tzinfo=UTC)
DOWN = (
    "Workday API returned 503 Service Unavailable on SOAP Get_Workers "
    "/ccx/service/<tenant>/Human_Resources/v42.0 (page <n>, attempt <n>/<n>): "
    "the tool's API is down"
)


def failing(
    n: int,
    *,
    tool: str = "workday",
    sig: str = DOWN,
    spacing: timedelta = timedelta(minutes=20),
    newest_ago: timedelta = timedelta(minutes=5),
) -> list[FailingIntegration]:
    """``n`` failing integrations that began failing ``spacing`` apart, the newest
    ``newest_ago`` before NOW."""
    out = []
    for i in range(n):
        at = NOW - newest_ago - spacing * i
        out.append(FailingIntegration(f"{tool}:{i}", tool, sig, at, since=at))
    return out


def test_three_failing_the_same_way_is_an_outage_two_is_not() -> None:
    assert find_outages(failing(2), {"workday": 4}, NOW) == []
    [outage] = find_outages(failing(3), {"workday": 4}, NOW)
    assert (outage.tool, outage.failing, outage.enabled) == ("workday", 3, 4)
    assert outage.integration_ids == ("workday:0", "workday:1", "workday:2")


def test_at_least_half_of_the_tools_enabled_integrations() -> None:
    assert len(find_outages(failing(5), {"workday": 10}, NOW)) == 1  # exactly half
    assert find_outages(failing(5), {"workday": 11}, NOW) == []  # just under half


def test_three_of_them_began_failing_within_an_hour() -> None:
    hour = timedelta(hours=1)
    # Three within exactly an hour (0, 30, 60 min): an outage.
    assert len(find_outages(failing(3, spacing=hour / 2), {"workday": 4}, NOW)) == 1
    # 0, 31, 62 min: no three within an hour.
    spread = failing(3, spacing=timedelta(minutes=31))
    assert find_outages(spread, {"workday": 4}, NOW) == []
    # Syncs hours apart: the failures spread over the sync interval; three close together
    # are enough, however old the newest failure is (the tool is still down).
    slow = failing(6, spacing=timedelta(minutes=25), newest_ago=timedelta(hours=3))
    assert [o.failing for o in find_outages(slow, {"workday": 10}, NOW)] == [6]
    # A failed sync that ends after now is not evidence yet.
    future = failing(3, newest_ago=-timedelta(minutes=1))
    assert find_outages(future, {"workday": 4}, NOW) == []


def test_when_it_began_is_never_after_the_failure() -> None:
    """A state recorded when the data arrived (after the sync ended) reads as the end."""
    late = [
        FailingIntegration(f"w:{i}", "workday", DOWN, NOW - timedelta(hours=3 * i), NOW)
        for i in range(3)
    ]
    assert find_outages(late, {"workday": 3}, NOW) == []  # 3 h apart: not together
    [outage] = find_outages(failing(3), {"workday": 3}, NOW)
    assert outage.since == NOW - timedelta(minutes=45)


def test_a_similar_error_means_the_same_signature() -> None:
    mixed = failing(2) + failing(2, sig="Request timed out after <n> s")
    mixed = [
        FailingIntegration(f"workday:{i}", f.tool, f.signature, f.failed_at)
        for i, f in enumerate(mixed)
    ]
    assert find_outages(mixed, {"workday": 4}, NOW) == []
    no_error_line = [FailingIntegration(f"w:{i}", "workday", None, NOW) for i in range(4)]
    assert find_outages(no_error_line, {"workday": 4}, NOW) == []


def test_one_outage_per_tool_with_its_banner_text() -> None:
    both = failing(3) + [
        FailingIntegration(f"workday:x{i}", "workday", "Request timed out after <n> s", NOW)
        for i in range(3)
    ]
    [outage] = find_outages(both, {"workday": 6}, NOW)
    assert outage.signature == "Request timed out after <n> s"  # as many, more recent
    [outage] = find_outages(
        failing(10) + failing(3, tool="lever"), {"workday": 12, "lever": 3}, NOW
    )[:1]
    assert (
        outage.text(NOW) == "workday: 10 of 12 failing since Nov 5 11:55, 503 Service Unavailable"
    )


def test_the_roll_up_counts_states_per_group_worst_first() -> None:
    groups = rollup(
        [
            ("workday", S.SYNC_FAILING, 1),
            ("workday", S.ACTIVE, 1),
            ("workday", S.SYNC_FAILING, 1),
            ("lever", S.ACTIVE, 1),
            ("lever", S.DELETED, 4),
            ("personio", S.SYNC_HAS_WARNINGS, 1),
            ("personio", None, 2),
        ]
    )
    assert [(g.key, g.total, g.worst, g.needs_attention) for g in groups] == [
        ("workday", 3, S.SYNC_FAILING, 2),
        ("personio", 1, S.SYNC_HAS_WARNINGS, 1),
        ("lever", 1, S.ACTIVE, 0),
    ]
    assert groups[0].counts == ((S.SYNC_FAILING, 2), (S.ACTIVE, 1))
