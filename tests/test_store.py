"""The evaluation pass on a real database (SQLite and PostgreSQL): history, deadlines, purge,
the change feed, and plain errors for a database that cannot be used."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import SQLModel

from builders import (
    NOW,
    ago,
    integration_record,
    log_record,
    make_facts,
    make_sync,
    sync_record,
)
from pg_support import PgServer, _free_port
from syncwatch.actions import Action, perform
from syncwatch.db import Store, StoreError, tables
from syncwatch.evaluator import IntegrationFacts, SyncFacts, evaluate
from syncwatch.importer import import_files
from syncwatch.states import Environment, IntegrationState, QaStatus, SyncState

St = IntegrationState
SS = SyncState
H72 = timedelta(hours=72)
D14 = timedelta(days=14)


# --------------------------------------------------------------------------- direct inserts


def insert(store: Store, facts: IntegrationFacts, syncs: Sequence[SyncFacts] = ()) -> None:
    """Store an integration and its syncs as new (dirty) rows, the way an import leaves them."""
    with store.write() as conn:
        conn.execute(
            tables.integrations.insert(),
            [
                {
                    "id": facts.id,
                    "tool": facts.id.split(":")[0],
                    "category": "HRIS",
                    "organization": f"Org {facts.id}",
                    "environment": facts.environment.value,
                    "created_at": facts.created_at,
                    "enabled": facts.enabled,
                    "filters_configured": facts.filters_configured,
                    "qa_status": facts.qa_status.value if facts.qa_status else None,
                    "credentials_invalid_at": facts.credentials_invalid_at,
                    "credentials_updated_at": facts.credentials_updated_at,
                    "last_api_request_at": facts.last_api_request_at,
                    "last_reactivated_at": facts.last_reactivated_at,
                    "deleted_at": facts.deleted_at,
                    "dirty": True,
                }
            ],
        )
        add_syncs_in(conn, facts.id, syncs)


def add_syncs_in(conn: sa.Connection, integration_id: str, syncs: Sequence[SyncFacts]) -> None:
    if syncs:
        conn.execute(
            tables.syncs.insert(),
            [
                {
                    "id": s.id,
                    "integration_id": integration_id,
                    "state": s.state.value,
                    "started_at": s.started_at,
                    "ended_at": s.ended_at,
                    "warnings": s.warnings,
                    "errors": s.errors,
                    "headline": s.headline,
                }
                for s in syncs
            ],
        )


def add_syncs(store: Store, integration_id: str, syncs: Sequence[SyncFacts]) -> None:
    """New syncs arrive: the integration is marked for re-evaluation."""
    with store.write() as conn:
        add_syncs_in(conn, integration_id, syncs)
        conn.execute(
            tables.integrations.update()
            .where(tables.integrations.c.id == integration_id)
            .values(dirty=True)
        )


def state_of(store: Store, integration_id: str) -> IntegrationState | None:
    row = store.get(integration_id)
    assert row is not None
    return row.state


# --------------------------------------------------------------------------- history


def test_first_evaluation_stores_one_history_entry_from_none(store: Store) -> None:
    insert(store, make_facts(id="a:1"), [make_sync("a1", SS.SUCCEEDED, ago(hours=2))])
    result = store.evaluate_pass(NOW)
    assert result.evaluated == 1
    # The first entry is at the integration's creation: its state since then, as the
    # rules give it (the sync that succeeded changed nothing).
    [entry] = store.history("a:1")
    assert (entry.from_state, entry.to_state, entry.at) == (None, St.ACTIVE, ago(days=30))
    assert entry.recorded_at == NOW and not entry.correction
    row = store.get("a:1")
    assert row is not None
    assert row.state_since == ago(days=30)
    assert [(t.from_state, t.to_state, t.at) for t in result.transitions] == [
        (None, St.ACTIVE, ago(days=30))
    ]


def test_history_has_one_entry_per_change_of_state(store: Store) -> None:
    insert(store, make_facts(id="a:1"), [make_sync("a1", SS.SUCCEEDED, ago(hours=10))])
    store.evaluate_pass(ago(hours=9))

    add_syncs(store, "a:1", [make_sync("a2", SS.FAILED, ago(hours=8), headline="HTTP 503")])
    store.evaluate_pass(ago(hours=7))
    # Still failing: the last sync changes, the state does not.
    add_syncs(store, "a:1", [make_sync("a3", SS.FAILED, ago(hours=6), headline="HTTP 502")])
    again = store.evaluate_pass(ago(hours=5))
    assert again.evaluated == 1
    assert again.transitions == []
    row = store.get("a:1")
    assert row is not None and row.last_sync_id == "a3"
    assert "HTTP 502" in (row.state_reason or "")
    # Failing since the failing sync ended (ago 7.5 h), not since the pass that saw it.
    assert row.state_since == ago(hours=7.5)

    add_syncs(store, "a:1", [make_sync("a4", SS.SUCCEEDED, ago(hours=4))])
    store.evaluate_pass(ago(hours=3))

    history = store.history("a:1")
    assert [(h.from_state, h.to_state, h.at) for h in history] == [
        (None, St.ACTIVE, ago(days=30)),
        (St.ACTIVE, St.SYNC_FAILING, ago(hours=7.5)),
        (St.SYNC_FAILING, St.ACTIVE, ago(hours=3.5)),
    ]
    assert [h.recorded_at for h in history] == [ago(hours=9), ago(hours=7), ago(hours=3)]
    assert "HTTP 503" in history[1].reason


def test_pass_with_nothing_dirty_and_nothing_due_evaluates_nothing(store: Store) -> None:
    for i in range(3):
        insert(store, make_facts(id=f"a:{i}"), [make_sync(f"s{i}", SS.SUCCEEDED, ago(hours=2))])
    assert store.evaluate_pass(NOW).evaluated == 3
    revision, counts = store.revision(), store.counts()
    rows = store.integrations()

    result = store.evaluate_pass(NOW + timedelta(days=3))
    assert result.evaluated == 0
    assert result.transitions == []
    assert store.revision() == revision
    assert store.counts() == counts
    assert store.integrations() == rows


def test_full_pass_changes_nothing_when_nothing_changed(store: Store) -> None:
    insert(store, make_facts(id="a:1"), [make_sync("s", SS.FAILED, ago(hours=2))])
    store.evaluate_pass(NOW)
    counts, rows = store.counts(), store.integrations()
    result = store.evaluate_pass(NOW, full=True)
    assert result.evaluated == 1
    assert result.transitions == []
    assert store.counts() == counts
    assert store.integrations() == rows


# --------------------------------------------------------------------------- deadlines

AUTH_END = ago(hours=10)
DELETED = ago(days=3)
CREATED_DEV = ago(days=10)
LATE_END = NOW + timedelta(hours=2)


@pytest.mark.parametrize(
    ("facts", "syncs", "deadline", "before", "after"),
    [
        pytest.param(
            make_facts(qa_status=QaStatus.PASSED),
            [make_sync("a1", SS.AUTHENTICATION_FAILED, AUTH_END - timedelta(minutes=5), AUTH_END)],
            AUTH_END + H72,
            St.AUTHENTICATION_FAILING,
            St.CREDENTIALS_INVALID,
            id="72h-mark",
        ),
        pytest.param(
            make_facts(environment=Environment.DEVELOPMENT, created_at=CREATED_DEV),
            [],
            CREATED_DEV + D14,
            St.ACTIVE,
            St.INACTIVE,
            id="14-day-inactivity",
        ),
        pytest.param(
            make_facts(deleted_at=DELETED),
            [make_sync("s1", SS.SUCCEEDED, ago(days=4))],
            DELETED + D14,
            St.DELETED,
            St.DELETED,
            id="purge",
        ),
        pytest.param(
            make_facts(qa_status=QaStatus.PASSED),
            [make_sync("s1", SS.FAILED, ago(hours=1), LATE_END)],
            LATE_END,
            St.ACTIVE,
            St.SYNC_FAILING,
            id="sync-ending-later",
        ),
    ],
)
def test_time_based_deadline_makes_the_integration_due_exactly_then(
    store: Store,
    facts: IntegrationFacts,
    syncs: list[SyncFacts],
    deadline: datetime,
    before: St,
    after: St,
) -> None:
    insert(store, replace(facts, id="due:1"), syncs)
    # A bystander that never becomes due.
    insert(store, make_facts(id="calm:1", qa_status=QaStatus.PASSED))
    assert store.evaluate_pass(NOW).evaluated == 2
    row = store.get("due:1")
    assert row is not None
    assert row.state is before
    assert row.next_due_at == deadline

    assert store.evaluate_pass(deadline - timedelta(seconds=1)).evaluated == 0
    assert state_of(store, "due:1") is before

    result = store.evaluate_pass(deadline)
    assert result.evaluated == 1
    row = store.get("due:1")
    assert row is not None
    assert row.state is after
    assert row.evaluated_at == deadline
    if before is not after:
        assert store.history("due:1")[-1].at == deadline
        assert [t.integration_id for t in result.transitions] == ["due:1"]
    assert store.evaluate_pass(deadline + timedelta(days=30)).evaluated == 0


def test_credentials_invalid_event_is_recorded_at_the_mark(store: Store) -> None:
    end = ago(hours=10)
    insert(
        store,
        make_facts(id="a:1", qa_status=QaStatus.PASSED),
        [make_sync("a1", SS.AUTHENTICATION_FAILED, end - timedelta(minutes=5), end)],
    )
    store.evaluate_pass(NOW)
    result = store.evaluate_pass(end + H72)
    assert [(e.integration_id, e.kind) for e in result.events] == [("a:1", "credentials_invalid")]
    assert [e.kind for e in store.events("a:1")] == ["credentials_invalid"]
    row = store.get("a:1")
    assert row is not None and row.credentials_invalid_at == end + H72


def test_replayed_sync_ending_later_is_due_at_its_end_even_before_a_credentials_update(
    store: Store,
) -> None:
    """Replaying the past (``--now``): a sync that ends after ``now`` becomes due at its end.

    Here the stored credentials update lies after the replayed ``now`` (it happened later in
    real time). When the sync ends it is the first and last finished sync: QA is decided and
    the setup completes, even though it does not count for the sync-result states.
    """
    end = NOW + timedelta(hours=1)
    facts = make_facts(id="r:1", credentials_updated_at=NOW + timedelta(hours=2))
    syncs = [make_sync("r1", SS.SUCCEEDED, ago(minutes=30), end)]
    insert(store, facts, syncs)
    store.evaluate_pass(NOW)
    assert evaluate(facts, syncs, NOW).next_due_at == end
    row = store.get("r:1")
    assert row is not None
    assert row.next_due_at == end

    assert store.evaluate_pass(end).evaluated == 1
    row = store.get("r:1")
    assert row is not None
    assert row.last_sync_id == "r1"
    assert row.qa_status is QaStatus.PASSED
    assert row.api is not None and row.api.setup_status.value == "COMPLETED"


# --------------------------------------------------------------------------- purge


def test_purge_deletes_syncs_and_logs_but_keeps_the_tombstone(store: Store, write_import) -> None:
    def record(iid: str, tag: str) -> dict[str, Any]:
        logs = [log_record(ago(days=5, hours=1), "WARNING", f"{tag}: field missing")]
        return integration_record(
            iid,
            filters_configured=True,
            syncs=[
                sync_record(f"{tag}_1", "PARTIALLY_FAILED", ago(days=5, hours=2), logs=logs),
                sync_record(f"{tag}_2", "SUCCEEDED", ago(days=4, hours=1)),
            ],
        )

    path = write_import([record("gone:1", "g"), record("kept:1", "k")])
    import_files(store, [path], ago(days=4))
    deleted_at = ago(days=3)
    perform(store, Action.DELETE, "gone:1", deleted_at, actor="alice")
    history = store.history("gone:1")
    events = store.events("gone:1")
    before = store.counts()

    assert store.evaluate_pass(deleted_at + D14 - timedelta(seconds=1)).evaluated == 0
    assert len(store.syncs("gone:1")) == 2

    result = store.evaluate_pass(deleted_at + D14)
    assert result.purged == ["gone:1"]
    assert store.syncs("gone:1") == []
    assert store.logs("gone:1") == []
    assert len(store.syncs("kept:1")) == 2
    assert len(store.logs("kept:1")) == 1
    after = store.counts()
    assert after["syncs"] == before["syncs"] - 2
    assert after["log_entries"] == before["log_entries"] - 1
    assert after["integrations"] == before["integrations"]

    row = store.get("gone:1")
    assert row is not None
    assert row.state is St.DELETED
    assert row.purged_at == deleted_at + D14
    assert "were purged" in (row.state_reason or "")
    assert store.history("gone:1") == history  # no new state, nothing lost
    assert [e.kind for e in store.events("gone:1")] == [e.kind for e in events] + ["purged"]
    assert store.evaluate_pass(NOW + timedelta(days=60)).evaluated == 0


# --------------------------------------------------------------------------- change feed


def test_change_feed_returns_only_changed_rows(store: Store) -> None:
    for i in range(4):
        insert(store, make_facts(id=f"a:{i}", qa_status=QaStatus.PASSED))
    store.evaluate_pass(ago(hours=5))
    base = store.revision()
    assert base > 0
    assert store.integrations(since_revision=base) == []

    add_syncs(store, "a:2", [make_sync("f", SS.FAILED, ago(hours=2))])
    store.evaluate_pass(ago(hours=1))
    changed = store.integrations(since_revision=base)
    assert [r.id for r in changed] == ["a:2"]
    assert changed[0].state is St.SYNC_FAILING
    second = store.revision()
    assert second > base

    perform(store, Action.DEACTIVATE, "a:0", NOW, actor="alice")
    assert [r.id for r in store.integrations(since_revision=second)] == ["a:0"]
    assert [r.id for r in store.integrations(since_revision=base)] == ["a:0", "a:2"]

    # A pass that changes nothing leaves the feed empty.
    latest = store.revision()
    store.evaluate_pass(NOW, full=True)
    assert store.integrations(since_revision=latest) == []


# --------------------------------------------------------------------------- set-based pass


@contextmanager
def counting_statements(store: Store) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", count)


def fill(store: Store, n: int) -> None:
    """``n`` integrations in a repeating mix of situations (every situation in every fill)."""
    for i in range(n):
        kind = i % 5
        iid = f"x:{i:03d}"
        base = ago(hours=100)
        syncs = [
            make_sync(f"{iid}_{j}", SS.SUCCEEDED, base + timedelta(hours=3 * j)) for j in range(4)
        ]
        facts = make_facts(id=iid, qa_status=QaStatus.PASSED)
        if kind == 1:
            syncs += [
                make_sync(f"{iid}_a{j}", SS.AUTHENTICATION_FAILED, ago(hours=90 - 10 * j))
                for j in range(5)
            ]
        elif kind == 2:
            facts = replace(facts, qa_status=None)
            syncs = [make_sync(f"{iid}_f", SS.FAILED, base), *syncs[1:]]
        elif kind == 3:
            facts = replace(facts, environment=Environment.DEVELOPMENT, created_at=ago(days=20))
        elif kind == 4:
            facts = replace(facts, deleted_at=ago(days=15))
        insert(store, facts, syncs)


def clear(store: Store) -> None:
    """Empty every table (children first), so one database serves several rounds."""
    with store.write() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.mark.parametrize("full", [False, True], ids=["due", "full"])
def test_pass_issues_a_constant_number_of_statements(store: Store, full: bool) -> None:
    counts = []
    for n in (5, 50):
        clear(store)
        fill(store, n)
        with counting_statements(store) as statements:
            result = store.evaluate_pass(NOW, full=full)
        assert result.evaluated == n
        assert len(result.purged) == n // 5
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


# --------------------------------------------------------------------------- equivalence


GRID = st.integers(min_value=-24 * 8, max_value=4).map(lambda h: NOW + timedelta(hours=h))
SYNC_STATES = st.sampled_from(list(SyncState))


@st.composite
def integration_with_syncs(draw: st.DrawFn, n: int) -> tuple[IntegrationFacts, list[SyncFacts]]:
    iid = f"p:{n}"
    created = draw(st.integers(-24 * 12, -24 * 8).map(lambda h: NOW + timedelta(hours=h)))
    facts = IntegrationFacts(
        id=iid,
        created_at=created,
        environment=draw(st.sampled_from(list(Environment))),
        enabled=draw(st.booleans() | st.just(True)),
        filters_configured=draw(st.booleans() | st.just(True)),
        qa_status=draw(st.none() | st.none() | st.sampled_from(list(QaStatus))),
        credentials_updated_at=draw(st.none() | GRID),
        last_api_request_at=draw(st.none() | GRID),
        deleted_at=draw(st.none() | st.none() | st.none() | GRID),
    )
    syncs = []
    for i in range(draw(st.integers(0, 10))):
        state = draw(SYNC_STATES)
        started = draw(GRID)
        ended = None
        if state is not SS.RUNNING or draw(st.booleans()):
            ended = started + timedelta(hours=draw(st.sampled_from([0, 0, 1, 2, 30])))
        syncs.append(
            SyncFacts(
                f"{iid}_s{i:02d}",
                state,
                started,
                ended,
                warnings=draw(st.integers(0, 2)),
                errors=draw(st.integers(0, 2)),
                headline=draw(st.sampled_from([None, "HTTP 503", "401 Unauthorized"])),
            )
        )
    return facts, syncs


def assert_stored_as_evaluated(
    store: Store, facts: IntegrationFacts, syncs: Sequence[SyncFacts], now: datetime
) -> None:
    ev = evaluate(facts, syncs, now)
    row = store.get(facts.id)
    assert row is not None
    assert (row.state, row.state_reason) == (ev.state, ev.reason)
    assert row.qa_status == ev.facts.qa_status
    assert row.credentials_invalid_at == ev.facts.credentials_invalid_at
    assert (row.enabled, row.disabled_reason) == (ev.facts.enabled, ev.facts.disabled_reason)
    if facts.purged_at is None:
        # A tombstone keeps showing the last sync it had before the purge.
        assert row.last_sync_id == (ev.last_sync.id if ev.last_sync else None)
    assert row.next_due_at == ev.next_due_at
    assert row.api == ev.api


@settings(
    max_examples=25,
    deadline=None,
    # The store is emptied at the start of every example.
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(
    data=st.data(),
    size=st.integers(1, 6),
    later=st.integers(0, 24 * 16).map(lambda h: NOW + timedelta(hours=h)),
)
def test_stored_state_equals_the_evaluator_on_all_syncs(
    store: Store, data: st.DataObject, size: int, later: datetime
) -> None:
    """The store's reduced sync query sees what the evaluator would see on every sync.

    Two passes: the first at NOW on new integrations, the second (not full) later, which also
    proves that ``next_due_at`` brings back every integration whose result time changes.
    """
    generated = [
        data.draw(integration_with_syncs(n), label=f"integration {n}") for n in range(size)
    ]
    clear(store)
    for facts, syncs in generated:
        insert(store, facts, syncs)
    assert store.evaluate_pass(NOW).evaluated == size
    for facts, syncs in generated:
        assert_stored_as_evaluated(store, facts, syncs, NOW)
        assert_history_is_a_chain(store, facts.id, facts.created_at)

    # Second pass: the stored facts (sticky facts included) and what is left of the
    # syncs (a purge may have removed them) at a later time.
    before = {f.id: store.get(f.id) for f, _ in generated}
    left = {f.id: [s.facts for s in store.syncs(f.id)] for f, _ in generated}
    store.evaluate_pass(later)
    for fid, row in before.items():
        assert row is not None
        assert_stored_as_evaluated(store, row.facts, left[fid], later)
        assert_history_is_a_chain(store, fid, row.created_at)


def assert_history_is_a_chain(store: Store, integration_id: str, created_at: datetime) -> None:
    """The history starts from nothing at creation, each entry where the last one ended, in
    time order, and ends in the stored state, which began at the last entry."""
    history = store.history(integration_id)
    row = store.get(integration_id)
    assert row is not None
    assert (history[0].from_state, history[0].at) == (None, created_at)
    for before, after in pairwise(history):
        assert after.from_state is before.to_state is not after.to_state
        assert before.at <= after.at
    assert (history[-1].to_state, history[-1].at) == (row.state, row.state_since)


# --------------------------------------------------------------------------- unusable PostgreSQL


def _refusal(url: str) -> str:
    with pytest.raises(StoreError) as refused:
        Store.open(url)
    return str(refused.value)


def test_postgresql_server_down_is_a_plain_message(pg_server: PgServer) -> None:
    url = pg_server.url("postgres").replace(f":{pg_server.port}/", f":{_free_port()}/")
    message = _refusal(url)
    assert message.startswith("cannot reach the PostgreSQL database server (postgresql+psycopg://")
    assert "is it running and accepting connections" in message
    assert pg_server.password not in message


def test_postgresql_wrong_password_is_a_plain_message(pg_server: PgServer) -> None:
    message = _refusal(pg_server.url("postgres", password="not-the-Secret-42"))
    assert message.startswith("PostgreSQL refused the login")
    assert "wrong user or password" in message
    assert "not-the-Secret-42" not in message
    assert pg_server.password not in message


def test_postgresql_missing_database_is_a_plain_message(pg_server: PgServer) -> None:
    message = _refusal(pg_server.url("no_such_db"))
    assert message.startswith("the PostgreSQL database does not exist")
    assert 'database "no_such_db" does not exist' in message
    assert "createdb" in message
    assert pg_server.password not in message


def test_cli_exits_2_on_a_refused_login_without_printing_the_password(
    pg_server: PgServer,
) -> None:
    url = pg_server.url("postgres", password="Hunter2-not-right")
    done = subprocess.run(
        [sys.executable, "-m", "syncwatch", "--db", url, "list"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "PostgreSQL refused the login" in done.stderr
    assert "Traceback" not in done.stderr
    assert "Hunter2" not in done.stdout + done.stderr


# --------------------------------------------------------------------------- the fixtures


@pytest.mark.parametrize(
    ("ci", "code", "says"), [("", 0, "1 skipped"), ("true", 1, "1 error")], ids=["local", "ci"]
)
def test_without_postgresql_binaries_tests_skip_locally_and_fail_under_ci(
    ci: str, code: int, says: str
) -> None:
    """The PostgreSQL variants skip, saying how to get the server; with CI=true they fail."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-rs",
            "tests/test_store.py::test_first_evaluation_stores_one_history_entry_from_none",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CI": ci, "SYNCWATCH_TEST_PG_BINDIR": "/nonexistent"},
        cwd=Path(__file__).resolve().parents[1],
        check=False,
    )
    assert done.returncode == code, done.stdout + done.stderr
    assert f"1 passed, {says}" in done.stdout
    assert "apt-get install postgresql" in done.stdout


def test_sqlite_page_cache_is_small_except_for_an_import(tmp_path: Path) -> None:
    """8 MiB of cached pages per connection (the app's passes at 100,000 integrations held
    50 MB more at 64 MiB); an import's transaction, or a pass's with work, gets 64 MiB,
    then gives it back."""

    def cache_kib(conn: Any) -> int:
        return -int(conn.exec_driver_sql("PRAGMA cache_size").scalar())

    store = Store.open(tmp_path / "cache.db")
    try:
        with store.read() as conn:
            assert cache_kib(conn) == 8192
        with store.write(bulk=True) as conn:
            assert cache_kib(conn) == 65536
        with store.write() as conn:
            assert cache_kib(conn) == 8192
        with store.write(large=True) as conn:
            assert cache_kib(conn) == 65536
        with store.read() as conn:
            assert cache_kib(conn) == 8192
    finally:
        store.close()
