"""The PostgreSQL read path (:mod:`syncwatch.pgread`) against the ORM path on the same server.

Databases are built through the real importer and ``Store`` on the session's throwaway
PostgreSQL server (skipped without one, failed under ``CI=true``: ``tests/conftest.py``);
the reader must return what ``Store`` returns, field for field, refuse (``None``) whatever
it cannot serve exactly, and never import SQLAlchemy, SQLModel or pydantic.
"""

from __future__ import annotations

import inspect
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, timedelta

import psycopg
import pytest
import sqlalchemy as sa

from builders import NOW, WriteImport, ago, integration_record, sync_record
from syncwatch import migrations
from syncwatch.ack_actions import acknowledge, snooze
from syncwatch.actions import Action, perform
from syncwatch.attention import NO_ATTENTION
from syncwatch.db import Store, tables
from syncwatch.db.attention import attention_marks
from syncwatch.db.evaluation import any_due, needs_evaluation
from syncwatch.db.kombo import insert_issue, integration_issues, kombo_marks, upstream_info
from syncwatch.db.trends import recent_results
from syncwatch.fastread import FastReader
from syncwatch.importer import import_files, load_sample
from syncwatch.pgread import PgReader, connect_args
from syncwatch.rows import IntegrationRow
from syncwatch.states import IntegrationState
from syncwatch.tui.preload import read_first_screen

HEAVY = ("sqlalchemy", "sqlmodel", "pydantic", "textual", "alembic", "rich")


def _fill(url: str, write_import: WriteImport) -> None:
    """The sample (every state), non-ASCII organisations, a development integration, Kombo
    issues and an integration gone upstream."""
    store = Store.open(url)
    try:
        load_sample(store, NOW)
        extra = [
            integration_record(
                "personio:reactivated",
                organization="Ärzte Straße GmbH",
                credentials_updated_at=ago(days=3),
                last_api_request_at=ago(hours=1, microseconds=999_999),
                syncs=[
                    sync_record("s-re-1", "SUCCEEDED", ago(hours=5)),
                    sync_record("s-re-2", "RUNNING", ago(minutes=10)),
                ],
            ),
            integration_record(
                "hibob:dev",
                organization="ßeta dev",
                environment="development",
                last_api_request_at=ago(days=20),
                syncs=[sync_record("s-dev-1", "PARTIALLY_FAILED", ago(days=1))],
            ),
        ]
        import_files(store, [write_import(extra)], NOW)
        perform(store, Action.REACTIVATE, "hibob:dev", NOW - timedelta(microseconds=250))
        # Acknowledged and snoozed (``show`` and ``list --json`` read them).
        acknowledge(store, "hibob:dev", NOW, "alice", "on it: [b]literal[/b]")
        snooze(store, "personio:reactivated", timedelta(hours=2), NOW, "bob")
        ids = [r.id for r in store.integrations()]
        with store.write() as conn:
            for k, (iid, status) in enumerate(
                [(ids[0], "OPEN"), (ids[0], "OPEN"), (ids[1], "RESOLVED"), (None, "OPEN")]
            ):
                insert_issue(
                    conn,
                    {
                        "id": f"iss{k}",
                        "integration_id": iid,
                        "type": "integration.sync_failed",
                        "title": "t",
                        "status": status,
                        "message": "m",
                        "first_observed_at": NOW - timedelta(hours=k),
                        "updated_at": NOW,
                    },
                )
            conn.execute(
                tables.integrations.update()
                .where(tables.integrations.c.id == ids[2])
                .values(upstream_gone_at=NOW, upstream_status="ACTIVE", upstream_checked_at=NOW)
            )
    finally:
        store.close()


@pytest.fixture
def filled(pg_url: str, write_import: WriteImport) -> str:
    _fill(pg_url, write_import)
    return pg_url


@pytest.fixture
def reader(filled: str) -> Iterator[PgReader]:
    opened = PgReader.open(filled)
    assert opened is not None
    with opened:
        yield opened


def _worst_first(row: IntegrationRow) -> tuple[int, str, str]:
    return (-(row.state.severity if row.state else 0), row.organization.casefold(), row.id)


# --------------------------------------------------------------------------- the same answers


def test_it_reads_every_integration_as_the_store_does(filled: str, reader: PgReader) -> None:
    store = Store.open(filled)
    try:
        expected = store.integrations()
        assert reader.integrations() == expected
        assert [type(r) for r in reader.integrations()] == [IntegrationRow] * len(expected)
        # The times are UTC, as the ORM path gives them (not the server's zone).
        assert all(r.created_at.utcoffset() == timedelta(0) for r in reader.integrations())
        assert reader.integrations(order="list") == sorted(expected, key=_worst_first)
        assert reader.revision() == store.revision()
        assert reader.count() == len(expected)
        assert reader.kombo_marks() == kombo_marks(store, None)
        ids = [r.id for r in expected]
        assert reader.kombo_marks(ids) == kombo_marks(store, ids)
        assert len(reader.attention_marks()) == 2
        assert reader.attention_marks() == attention_marks(store)
        for iid in ids:
            assert reader.attention(iid) == attention_marks(store, [iid]).get(iid, NO_ATTENTION)
        assert reader.upstream_info() == upstream_info(store)
        assert reader.upstream_info(ids[:3]) == upstream_info(store, ids[:3])
        assert reader.recent_results() == recent_results(store)
        assert reader.recent_results([*ids[:3], "nope:x"]) == recent_results(
            store, [*ids[:3], "nope:x"]
        )
        assert any(strip for strip in reader.recent_results().values())
        # What the list draws of them: the same results, nothing else.
        some = [*ids, "nope:x"]
        strips = reader.result_strips(some)
        expected_strips = recent_results(store, some)
        assert {i: s.glyphs for i, s in strips.items()} == {
            i: r.strip.glyphs for i, r in expected_strips.items()
        }
        assert any(s.states for s in strips.values())
        for row in expected:
            assert reader.get(row.id) == store.get(row.id)
            assert reader.syncs(row.id) == store.syncs(row.id)
            assert reader.history(row.id) == store.history(row.id)
            assert reader.audit(row.id) == store.audit(row.id)
            assert reader.issues(row.id) == integration_issues(store, row.id)
            assert reader.logs(row.id) == store.logs(row.id)
            assert reader.logs(row.id, levels=["ERROR"], limit=2) == store.logs(
                row.id, levels=["ERROR"], limit=2
            )
        assert reader.get("nope:x") is None
        assert any(reader.history(r.id) for r in expected)
        assert any(reader.issues(r.id) for r in expected)
    finally:
        store.close()


def test_the_list_order_comes_in_batches_from_one_state(filled: str, reader: PgReader) -> None:
    store = Store.open(filled)
    try:
        by_id = store.integrations()
    finally:
        store.close()
    expected = sorted(by_id, key=_worst_first)
    batches = list(reader.iter_integrations(batch=7, order="list"))
    assert [len(b) for b in batches[:-1]] == [7] * (len(batches) - 1)
    assert [r for b in batches for r in b] == expected
    assert [r for b in reader.iter_integrations(batch=10) for r in b] == by_id


def test_the_background_load_reads_every_row_with_its_strip(filled: str, reader: PgReader) -> None:
    store = Store.open(filled)
    try:
        expected = store.integrations()
        full = recent_results(store, [r.id for r in expected])
    finally:
        store.close()
    batches = list(reader.iter_with_strips((4, 5)))
    assert [len(rows) for rows, _ in batches[:-1]] == [4] + [5] * (len(batches) - 2)
    assert sorted((r for b, _ in batches for r in b), key=lambda r: r.id) == expected
    strips = {i: s for _, found in batches for i, s in found.items()}
    assert {i: s.glyphs for i, s in strips.items()} == {i: r.strip.glyphs for i, r in full.items()}
    assert any(len(s.states) > 1 for s in strips.values())


def test_the_first_screen_is_the_stores_first_rows_in_the_lists_order(
    filled: str, reader: PgReader
) -> None:
    store = Store.open(filled)
    try:
        expected = sorted(store.integrations(), key=_worst_first)
        marks = kombo_marks(store, None)
        revision = store.revision()
    finally:
        store.close()
    preload = read_first_screen(reader, screenful=20)
    assert preload.rows == expected[:20]
    assert (preload.total, preload.revision, preload.marks) == (len(expected), revision, marks)
    assert preload.reader is reader


def test_work_due_is_what_the_pass_finds(filled: str, reader: PgReader) -> None:
    store = Store.open(filled)
    try:
        # Right after the import's pass: nothing due at its `now`.
        assert not reader.work_due(NOW)
        deadlines = sorted({r.next_due_at for r in store.integrations() if r.next_due_at})
        assert deadlines
        for t in deadlines[:10]:
            for at in (t - timedelta(microseconds=1), t, t + timedelta(microseconds=1)):
                with store.read() as conn:
                    expected = any_due(conn, needs_evaluation(at, False))
                assert reader.work_due(at) == expected, at
        later = deadlines[-1] + timedelta(hours=1)
        assert reader.work_due(later)
        assert store.evaluate_pass(later).evaluated > 0
        assert not reader.work_due(later)
        assert reader.last_evaluated_at() == later
        with store.write() as conn:
            conn.execute(tables.integrations.update().values(dirty=True))
        assert reader.work_due(later)
    finally:
        store.close()


def test_every_read_of_the_sqlite_reader_is_answered_on_postgresql() -> None:
    """A read added to FastReader and not here would run SQLite's SQL on PostgreSQL."""
    missing = [
        name
        for name, member in inspect.getmembers(FastReader)
        if not name.startswith("_")
        and callable(member)
        and not isinstance(member, type)  # read_error: what the reads raise
        and "PgReader" not in getattr(PgReader, name).__qualname__
    ]
    assert missing == []
    # A caller that falls back on a failed read catches the driver's own error.
    assert (FastReader.read_error, PgReader.read_error) == (sqlite3.Error, psycopg.Error)


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "target",
    [
        "sw.db",
        "sqlite:///sw.db",
        "postgresql://u@h/db",  # psycopg2 to SQLAlchemy
        "postgresql+psycopg2://u@h/db",
        "postgresql+psycopg://u@h:port/db",
        "postgresql+psycopg://u@h/db?host=a&host=b",
        "postgresql+psycopg://u@h/db?host=/tmp",
    ],
)
def test_urls_it_does_not_read(target: str) -> None:
    assert connect_args(target) is None
    assert PgReader.open(target) is None


def test_urls_read_as_sqlalchemy_reads_them() -> None:
    url = "postgresql+psycopg://us%40er:p%3Aw%2Fd@[::1]:5433/my%20db?sslmode=disable"
    parsed = sa.engine.make_url(url)
    assert connect_args(url) == {
        "host": parsed.host,
        "port": parsed.port,
        "user": parsed.username,
        "password": parsed.password,
        "dbname": parsed.database,
        "sslmode": "disable",
        "options": "-c jit=off",
    }
    assert connect_args("postgresql+psycopg://h/db?options=-c%20work_mem%3D8MB") == {
        "host": "h",
        "dbname": "db",
        "options": "-c work_mem=8MB",
    }


def test_a_database_behind_the_head_is_left_to_the_store(pg_url: str) -> None:
    store = Store.open(pg_url)
    store.close()
    engine = sa.create_engine(pg_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
        assert PgReader.open(pg_url) is None
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE alembic_version SET version_num = :v"), {"v": migrations.head()}
            )
        assert PgReader.open(pg_url) is not None
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE integration DROP COLUMN upstream_gone_at"))
        assert PgReader.open(pg_url) is None  # stamped at the head, but not the head's
    finally:
        engine.dispose()


def test_a_foreign_or_empty_database_or_no_server_is_left_to_the_store(pg_url: str) -> None:
    assert PgReader.open(pg_url) is None  # empty: Store creates the schema
    engine = sa.create_engine(pg_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE integration (id text)"))
        assert PgReader.open(pg_url) is None
    finally:
        engine.dispose()
    wrong = sa.engine.make_url(pg_url).set(password="wrong")
    assert PgReader.open(wrong.render_as_string(hide_password=False)) is None
    assert PgReader.open(sa.engine.make_url(pg_url).set(port=1).render_as_string(False)) is None


# --------------------------------------------------------------------------- imports


def test_reading_loads_nothing_heavy(filled: str) -> None:
    code = textwrap.dedent(
        f"""
        import sys
        from datetime import UTC, datetime
        from syncwatch.pgread import PgReader
        from syncwatch.tui.preload import read_first_screen
        reader = PgReader.open(sys.argv[1])
        assert reader is not None
        assert read_first_screen(reader).rows
        reader.work_due(datetime.now(UTC))
        with reader.snapshot():
            for row in reader.integrations():
                reader.syncs(row.id); reader.history(row.id); reader.audit(row.id)
                reader.issues(row.id); reader.logs(row.id); reader.sync_belongs(row.id, "s")
        print(",".join(m for m in {HEAVY!r} if m in sys.modules))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code, filled], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == ""


def test_states_are_the_stores_enums(reader: PgReader) -> None:
    assert {r.state for r in reader.integrations()} <= set(IntegrationState)


def test_times_are_utc_whatever_the_sessions_zone(filled: str) -> None:
    """A server or URL set to another zone: psycopg would return local times; the reader
    returns the instants in UTC, as ``UTCDateTime`` does."""
    url = f"{filled}?options=-c%20TimeZone%3DAsia/Kolkata"
    store = Store.open(url)
    reader = PgReader.open(url)
    assert reader is not None
    try:
        with reader:
            rows = reader.integrations()
            assert rows == store.integrations()
            assert {r.created_at.tzinfo for r in rows} == {UTC}
            ids = [r.id for r in rows]
            assert reader.syncs(ids[0]) == store.syncs(ids[0])
    finally:
        store.close()
