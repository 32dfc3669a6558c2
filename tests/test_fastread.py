"""The standard-library read path (:mod:`syncwatch.fastread`) against the ORM path.

Databases are built through the real importer and ``Store``; the fast reader must return
what ``Store`` returns, field for field, say whether a pass has work exactly when the pass
finds some, refuse (``None``) whatever it cannot serve exactly, never change the file, and
never import the heavy libraries.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from builders import NOW, WriteImport, ago, integration_record, sync_record
from syncwatch import migrations
from syncwatch.actions import Action, perform
from syncwatch.db import Store, database_url, tables
from syncwatch.db.bulk import sqlite_time as bulk_sqlite_time
from syncwatch.db.engine import new_engine
from syncwatch.db.evaluation import any_due, last_evaluated_at, needs_evaluation
from syncwatch.db.kombo import (
    insert_issue,
    integration_issues,
    kombo_marks,
    mark_dirty,
    upstream_info,
)
from syncwatch.fastread import (
    INTEGRATION_COLUMNS,
    FastReader,
    head_of,
    schema_head,
    sqlite_path,
    sqlite_time,
    worst_states,
)
from syncwatch.importer import import_files, load_sample
from syncwatch.rows import IntegrationRow
from syncwatch.states import IntegrationState

HEAVY = ("sqlalchemy", "sqlmodel", "pydantic", "textual", "alembic", "rich")


# --------------------------------------------------------------------------- fixtures


def _extra_records() -> list[dict[str, object]]:
    """Integrations the sample lacks: reactivated, credentials updated, non-ASCII names,
    times with and without microseconds, a development one, a running sync."""
    return [
        integration_record(
            "personio:reactivated",
            organization="Ärzte Straße GmbH",
            credentials_updated_at=ago(days=3),
            last_api_request_at=ago(hours=1, microseconds=999_999),
            filters_configured=True,
            syncs=[
                sync_record("s-re-1", "SUCCEEDED", ago(hours=5)),
                sync_record("s-re-2", "RUNNING", ago(minutes=10)),
            ],
        ),
        integration_record(
            "hibob:dev",
            organization="ßeta dev",
            environment="development",
            filters_configured=True,
            last_api_request_at=ago(days=20),
            syncs=[sync_record("s-dev-1", "PARTIALLY_FAILED", ago(days=1))],
        ),
    ]


def _fill(path: Path, write_import: WriteImport, now: datetime = NOW) -> Store:
    """A SQLite database with the sample (every state), extras, Kombo marks, and a row
    that was never evaluated; returns its open ``Store``."""
    store = Store.open(path)
    load_sample(store, now)
    import_files(store, [write_import(_extra_records())], now)
    # Idle development integrations are disabled on evaluation; reactivating one sets
    # last_reactivated_at (an operator's action).
    perform(store, Action.REACTIVATE, "hibob:dev", now - timedelta(microseconds=250))
    ids = [r.id for r in store.integrations()]
    with store.write() as conn:
        # Kombo's side: open and resolved issues, an environment-wide one, one gone upstream.
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
                    "first_observed_at": now - timedelta(hours=k),
                    "updated_at": now,
                },
            )
        conn.execute(
            tables.integrations.update()
            .where(tables.integrations.c.id == ids[2])
            .values(upstream_gone_at=now, upstream_status="ACTIVE", upstream_checked_at=now)
        )
    return store


@pytest.fixture
def db(tmp_path: Path, write_import: WriteImport) -> Path:
    path = tmp_path / "sw.db"
    _fill(path, write_import).close()
    return path


def _orm_any_due(store: Store, now: datetime) -> bool:
    with store.read() as conn:
        return any_due(conn, needs_evaluation(now, False))


# --------------------------------------------------------------------------- imports


def test_importing_it_loads_nothing_heavy() -> None:
    code = textwrap.dedent(
        f"""
        import sys
        import syncwatch.fastread
        print(",".join(m for m in {HEAVY!r} if m in sys.modules))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_reading_loads_nothing_heavy(db: Path) -> None:
    code = textwrap.dedent(
        f"""
        import sys
        from datetime import UTC, datetime
        from syncwatch.fastread import FastReader
        reader = FastReader.open(sys.argv[1])
        assert reader is not None
        reader.work_due(datetime.now(UTC))
        assert reader.integrations(order="list")
        reader.kombo_marks(); reader.upstream_info(); reader.get("x")
        with reader.snapshot():
            reader.last_evaluated_at()
            for row in reader.integrations():
                reader.syncs(row.id); reader.history(row.id); reader.audit(row.id)
                reader.issues(row.id); reader.logs(row.id); reader.sync_belongs(row.id, "s")
        print(",".join(m for m in {HEAVY!r} if m in sys.modules))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(db)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == ""


# --------------------------------------------------------------------------- pieces


def test_the_columns_are_the_row_fields_in_order() -> None:
    assert IntegrationRow.__slots__ == INTEGRATION_COLUMNS


def test_the_head_is_the_migrations_head() -> None:
    assert schema_head() == migrations.head()


def test_a_head_it_cannot_tell_is_none(tmp_path: Path) -> None:
    def script(name: str, rev: str, down: str | None) -> None:
        down_text = "None" if down is None else f'"{down}"'
        (tmp_path / name).write_text(f'revision = "{rev}"\ndown_revision = {down_text}\n')

    script("0001_a.py", "0001", None)
    script("0002_b.py", "0002", "0001")
    assert head_of(tmp_path) == "0002"
    script("0003_c.py", "0003", "0001")  # a branch: two heads
    assert head_of(tmp_path) is None
    (tmp_path / "0003_c.py").write_text('revision = "0003"\ndown_revision = ("0001", "0002")\n')
    assert head_of(tmp_path) is None
    assert head_of(tmp_path / "missing") is None


def test_times_are_spelled_as_sqlalchemy_stores_them() -> None:
    plus = timezone_plus(5, 45)
    for t in (
        NOW,
        NOW.replace(microsecond=1),
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(2026, 3, 29, 2, 30, 0, 500_000, tzinfo=plus),
        datetime(2199, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    ):
        assert sqlite_time(t) == bulk_sqlite_time(t)
    with pytest.raises(ValueError):
        sqlite_time(datetime(2026, 1, 1))


def timezone_plus(hours: int, minutes: int) -> timezone:
    return timezone(timedelta(hours=hours, minutes=minutes))


@pytest.mark.parametrize(
    "target",
    [
        "sw.db",
        "~/sw.db",
        "./a/../sw.db",
        "sqlite:///sw.db",
        "sqlite:////tmp/sw.db",
        "sqlite:///a%20b.db",
        "sqlite+pysqlite:///sw.db",
    ],
)
def test_targets_name_the_file_database_url_names(target: str) -> None:
    url = database_url(target)
    expected = Path(sa.engine.make_url(url).database or "").resolve()
    assert sqlite_path(target) == expected


@pytest.mark.parametrize(
    "target",
    [
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///sw.db?timeout=3",
        "postgresql+psycopg://u@h/db",
    ],
)
def test_targets_it_does_not_serve(target: str) -> None:
    assert sqlite_path(target) is None
    assert FastReader.open(target) is None


# --------------------------------------------------------------------------- rows


def test_rows_equal_the_stores(db: Path) -> None:
    store = Store.open(db)
    try:
        expected = store.integrations()
        reader = FastReader.open(db)
        assert reader is not None
        with reader:
            got = reader.integrations()
            # Every state, deleted ones, never-evaluated rows and nulls are covered.
            assert {r.state for r in expected} == set(IntegrationState)
            assert any(r.last_reactivated_at for r in expected)
            assert any(r.qa_status is None for r in expected)
            assert any(r.next_due_at is None for r in expected)
            assert got == expected
            assert [tuple(map(type, _values(r))) for r in got] == [
                tuple(map(type, _values(r))) for r in expected
            ]
            assert reader.integrations(include_deleted=False) == store.integrations(
                include_deleted=False
            )
            for since in (0, 1, store.revision() - 1, store.revision()):
                assert reader.integrations(since_revision=since) == store.integrations(
                    since_revision=since
                )
            for row in expected:
                assert reader.get(row.id) == row
            assert reader.get("nope:missing") is None
            assert reader.revision() == store.revision()
            assert reader.count() == len(expected)
    finally:
        store.close()


def _values(row: IntegrationRow) -> tuple[object, ...]:
    return tuple(getattr(row, f) for f in IntegrationRow.__slots__)


def test_a_never_evaluated_row_reads_as_the_store_reads_it(
    tmp_path: Path, write_import: WriteImport
) -> None:
    store = _fill(tmp_path / "n.db", write_import)
    try:
        with store.write() as conn:
            conn.execute(
                tables.integrations.insert().values(
                    id="zz:new",
                    tool="zz",
                    category="ATS",
                    organization="New",
                    created_at=NOW,
                    state=None,
                    dirty=True,
                )
            )
        reader = FastReader.open(tmp_path / "n.db")
        assert reader is not None
        row = reader.get("zz:new")
        assert row is not None and row.state is None and row.last_sync_state is None
        assert row == store.get("zz:new")
        assert reader.integrations() == store.integrations()
        reader.close()
    finally:
        store.close()


def test_batches_and_the_lists_order(db: Path) -> None:
    store = Store.open(db)
    expected = store.integrations()
    store.close()
    reader = FastReader.open(db)
    assert reader is not None
    for size in (1, 7, 1000):
        batches = list(reader.iter_integrations(batch=size))
        assert all(0 < len(b) <= size for b in batches)
        assert [r for b in batches for r in b] == expected

    def worst_first(r: IntegrationRow) -> tuple[int, str, str]:
        # The list's default sort (syncwatch.tui.widgets.integration_list).
        return (-(r.state.severity if r.state else 0), r.organization.casefold(), r.id)

    listed = [r for b in reader.iter_integrations(batch=10, order="list") for r in b]
    assert listed == sorted(expected, key=worst_first)
    # The first batch is read from the worst states alone: whatever the batch size (one
    # state, a state and a half, every state), the batches are the full sort's.
    for size in range(1, len(expected) + 2):
        batches = list(reader.iter_integrations(batch=size, order="list"))
        assert [r for b in batches for r in b] == listed, size
        assert all(len(b) == size for b in batches[:-1]), size
    live = [
        r for b in reader.iter_integrations(batch=3, order="list", include_deleted=False) for r in b
    ]
    assert live == sorted((r for r in expected if not r.deleted), key=worst_first)
    changed = [r for b in reader.iter_integrations(order="list", since_revision=1) for r in b]
    assert changed == sorted((r for r in expected if r.revision > 1), key=worst_first)
    first = reader.iter_integrations(batch=5, order="list")
    assert next(first) == listed[:5]
    first.close()  # ends its read transaction
    assert reader.integrations(order="list", include_deleted=False) == sorted(
        (r for r in expected if not r.deleted), key=worst_first
    )
    with pytest.raises(ValueError):
        reader.integrations(order="tool")
    with pytest.raises(ValueError):
        next(reader.iter_integrations(batch=0))
    reader.close()


def test_kombo_marks_and_upstream_equal_the_stores(db: Path) -> None:
    store = Store.open(db)
    reader = FastReader.open(db)
    assert reader is not None
    try:
        ids = [r.id for r in store.integrations()]
        marks = kombo_marks(store, None)
        assert marks and reader.kombo_marks() == marks
        assert reader.kombo_marks(ids) == kombo_marks(store, ids)
        assert reader.kombo_marks([*ids[:3], "nope:x"]) == kombo_marks(store, [*ids[:3], "nope:x"])
        assert reader.upstream_info() == upstream_info(store)
        some = reader.upstream_info(ids[:5])
        assert some == upstream_info(store, ids[:5])
        assert some["nope:x"] == upstream_info(store, ids[:5])["nope:x"]
    finally:
        reader.close()
        store.close()


def test_acknowledgements_and_snoozes_equal_the_stores(db: Path) -> None:
    """``show`` and ``list --json`` read them on the fast path too (times with and without
    microseconds, a note, an acknowledgement without a snooze and the other way round)."""
    from syncwatch.ack_actions import acknowledge, snooze
    from syncwatch.attention import NO_ATTENTION
    from syncwatch.db.attention import attention_marks

    store = Store.open(db)
    try:
        ids = [r.id for r in store.integrations() if not r.deleted]
        acknowledge(store, ids[0], NOW, "alice", "on it: [b]literal[/b]")
        snooze(store, ids[0], timedelta(hours=2), NOW + timedelta(microseconds=5), "bob")
        snooze(store, ids[1], timedelta(minutes=30), NOW + timedelta(microseconds=5), "bob")
        acknowledge(store, ids[2], NOW + timedelta(microseconds=9), "carol")
        reader = FastReader.open(db)
        assert reader is not None
        try:
            marks = attention_marks(store)
            assert len(marks) == 3 and reader.attention_marks() == marks
            for iid in ids[:4]:
                assert reader.attention(iid) == marks.get(iid, NO_ATTENTION)
        finally:
            reader.close()
    finally:
        store.close()


def test_what_show_and_logs_read_equals_the_stores(db: Path) -> None:
    """Syncs, history, audit, Kombo issues, log entries (filtered, limited) of every
    integration, as ``Store`` and ``syncwatch.db.kombo`` read them, in their order."""
    store = Store.open(db)
    reader = FastReader.open(db)
    assert reader is not None
    try:
        with store.write() as conn:  # a resolved issue beside the open ones
            conn.execute(
                tables.issues.update()
                .where(tables.issues.c.id == "iss2")
                .values(resolved_at=NOW - timedelta(microseconds=7))
            )
        seen = {"syncs": 0, "history": 0, "audit": 0, "issues": 0, "logs": 0, "resolved": 0}
        for row in store.integrations():
            iid = row.id
            syncs = store.syncs(iid)
            assert reader.syncs(iid) == syncs
            assert reader.syncs(iid, limit=1) == store.syncs(iid, limit=1)
            assert reader.history(iid) == store.history(iid)
            assert reader.audit(iid) == store.audit(iid)
            issues = integration_issues(store, iid)
            assert reader.issues(iid) == issues
            logs = store.logs(iid)
            assert reader.logs(iid) == logs
            for levels in (["ERROR"], ["WARNING", "ERROR"]):
                assert reader.logs(iid, levels=levels) == store.logs(iid, levels=levels)
            assert reader.logs(iid, limit=2) == store.logs(iid, limit=2)
            for s in syncs:
                assert reader.logs(iid, sync_id=s.id) == store.logs(iid, sync_id=s.id)
                assert reader.sync_belongs(iid, s.id)
            assert not reader.sync_belongs(iid, "nope:sync")
            seen["syncs"] += len(syncs)
            seen["history"] += len(store.history(iid))
            seen["audit"] += len(store.audit(iid))
            seen["issues"] += len(issues)
            seen["resolved"] += sum(1 for i in issues if i.resolved_at)
            seen["logs"] += len(logs)
        assert all(seen.values()), seen  # every kind was compared on real rows
        assert reader.syncs("nope:x") == [] and reader.logs("nope:x") == []
        with reader.snapshot():
            assert reader.last_evaluated_at() == _orm_last_evaluated(store)
    finally:
        reader.close()
        store.close()


def test_last_evaluated_at_is_none_before_the_first_pass(tmp_path: Path) -> None:
    Store.open(tmp_path / "empty.db").close()
    reader = FastReader.open(tmp_path / "empty.db")
    assert reader is not None
    with reader:
        assert reader.last_evaluated_at() is None
        assert reader.integrations() == []


def _orm_last_evaluated(store: Store) -> datetime | None:
    with store.read() as conn:
        return last_evaluated_at(conn)


# --------------------------------------------------------------------------- work due


def test_work_due_agrees_with_the_pass(tmp_path: Path, write_import: WriteImport) -> None:
    path = tmp_path / "w.db"
    store = _fill(path, write_import)
    reader = FastReader.open(path)
    assert reader is not None
    try:
        # Right after the import's pass: nothing due at its `now`.
        assert not reader.work_due(NOW)
        assert not _orm_any_due(store, NOW)
        deadlines = sorted({r.next_due_at for r in store.integrations() if r.next_due_at})
        assert deadlines
        # At, just before and just after every deadline, the probe and the ORM's agree
        # (times compare as stored text, to the microsecond).
        for t in deadlines:
            for at in (t - timedelta(microseconds=1), t, t + timedelta(microseconds=1)):
                assert reader.work_due(at) == _orm_any_due(store, at), at
        first = deadlines[0]
        assert not reader.work_due(first - timedelta(microseconds=1))
        assert reader.work_due(first)
        # An aware time in another zone means the same instant.
        assert reader.work_due(first.astimezone(timezone_plus(-7, 0)))
        # A later --now: work; the pass finds it; after it, nothing again at that instant.
        later = deadlines[-1] + timedelta(hours=1)
        assert reader.work_due(later)
        assert store.evaluate_pass(later).evaluated > 0
        assert not reader.work_due(later)
        assert store.evaluate_pass(later).evaluated == 0
        # Dirty (new syncs, an action, a webhook): work.
        some = store.integrations()[0].id
        with store.write() as conn:
            mark_dirty(conn, [some], store.next_revision(conn))
        assert reader.work_due(later) and _orm_any_due(store, later)
        store.evaluate_pass(later)
        assert not reader.work_due(later)
        # Never evaluated, even if not marked dirty: work (the pass looks at state IS NULL).
        with store.write() as conn:
            conn.execute(
                tables.integrations.update()
                .where(tables.integrations.c.id == some)
                .values(state=None, dirty=False)
            )
        assert reader.work_due(later) and _orm_any_due(store, later)
        assert store.evaluate_pass(later).evaluated > 0
        assert not reader.work_due(later)
    finally:
        reader.close()
        store.close()


def test_work_due_needs_an_aware_time(db: Path) -> None:
    reader = FastReader.open(db)
    assert reader is not None
    with pytest.raises(ValueError):
        reader.work_due(datetime(2026, 1, 1))
    reader.close()


# --------------------------------------------------------------------------- refusing


def test_a_missing_file_or_a_directory_is_none(tmp_path: Path) -> None:
    assert FastReader.open(tmp_path / "missing.db") is None
    assert FastReader.open(f"sqlite:///{tmp_path / 'missing.db'}") is None
    assert FastReader.open(tmp_path) is None
    assert not (tmp_path / "missing.db").exists()


def test_a_file_that_is_not_sqlite_is_none(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("integrations, but not a database\n")
    assert FastReader.open(text) is None
    fake = tmp_path / "fake.db"
    fake.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)  # the header, then garbage
    assert FastReader.open(fake) is None
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert FastReader.open(empty) is None


def test_a_foreign_sqlite_file_is_none(tmp_path: Path) -> None:
    path = tmp_path / "foreign.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE integration (id TEXT PRIMARY KEY)")
    assert FastReader.open(path) is None
    # Stamped with our head, but not our tables: still refused.
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.execute("INSERT INTO alembic_version VALUES (?)", (migrations.head(),))
    assert FastReader.open(path) is None


@pytest.mark.parametrize("stamped", [False, True])
def test_another_programs_wal_database_is_none_and_left_as_it_was(
    tmp_path: Path, stamped: bool
) -> None:
    """Opening read-only would leave a -wal and a -shm beside another program's WAL
    database (a reader creates them, and a read-only one cannot remove them)."""
    path = tmp_path / "app.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = wal")
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    if stamped:  # even one that looks like ours at first sight
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.execute("INSERT INTO alembic_version VALUES (?)", (migrations.head(),))
    conn.commit()
    conn.close()
    before = _state(path)
    assert before[2] == [path.name]
    assert FastReader.open(path) is None
    assert _state(path) == before


def test_an_older_newer_or_unversioned_schema_is_none(db: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    engine = new_engine(database_url(old))
    with engine.connect() as conn, conn.begin():
        migrations.run_upgrade(conn, migrations.FIRST_RELEASE)
    engine.dispose()
    assert migrations.head() != migrations.FIRST_RELEASE
    assert FastReader.open(old) is None
    # Store upgrades it on open; then the fast path serves it.
    Store.open(old).close()
    reader = FastReader.open(old)
    assert reader is not None
    reader.close()

    for stamp in ("9999", None):
        path = tmp_path / f"stamp-{stamp}.db"
        path.write_bytes(db.read_bytes())
        with sqlite3.connect(path) as raw:
            if stamp is None:
                raw.execute("DROP TABLE alembic_version")
            else:
                raw.execute("UPDATE alembic_version SET version_num = ?", (stamp,))
        assert FastReader.open(path) is None


# --------------------------------------------------------------------------- read-only


def _state(path: Path) -> tuple[bytes, int, list[str]]:
    siblings = sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name))
    return path.read_bytes(), path.stat().st_mtime_ns, siblings


def test_reading_never_changes_the_file(db: Path) -> None:
    before = _state(db)
    # Store.close() checkpointed and removed the WAL: only the database file is there.
    assert before[2] == [db.name]
    reader = FastReader.open(db)
    assert reader is not None
    reader.work_due(NOW + timedelta(days=400))
    assert reader.integrations()
    reader.kombo_marks()
    during = _state(db)
    reader.close()
    after = _state(db)
    assert during[:2] == before[:2] and after[:2] == before[:2]
    # What SQLite does with a WAL database opened read-only (see the module's docstring):
    # it creates the -shm and -wal files a reader needs, and a read-only connection cannot
    # remove them on close. They hold no change: the next read-write connection (Store)
    # reuses them and removes them when it closes.
    assert after[2] in ([db.name], [db.name, f"{db.name}-shm", f"{db.name}-wal"])
    for extra in after[2][1:]:
        if extra.endswith("-wal"):
            assert (db.parent / extra).stat().st_size == 0
    Store.open(db).close()
    assert _state(db)[2] == [db.name]


def test_a_read_only_file_is_read(db: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads and writes whatever the file mode says")
    db.chmod(0o444)
    try:
        reader = FastReader.open(db)
        assert reader is not None
        assert reader.integrations()
        reader.close()
    finally:
        db.chmod(0o644)


def test_it_reads_what_a_writer_committed_while_open(
    tmp_path: Path, write_import: WriteImport
) -> None:
    path = tmp_path / "live.db"
    store = _fill(path, write_import)
    try:
        reader = FastReader.open(path)
        assert reader is not None
        assert reader.integrations() == store.integrations()
        later = NOW + timedelta(days=30)
        store.evaluate_pass(later)  # committed to the WAL, not checkpointed
        assert reader.integrations() == store.integrations()
        assert reader.revision() == store.revision()
        reader.close()
    finally:
        store.close()


def test_the_first_batch_reads_just_the_worst_states_that_hold_it() -> None:
    counts = [("ACTIVE", 50), ("SYNC_FAILING", 3), ("CREDENTIALS_INVALID", 2), ("SETUP", 4)]
    assert worst_states(counts, 2) == ["CREDENTIALS_INVALID"]
    assert worst_states(counts, 4) == ["CREDENTIALS_INVALID", "SYNC_FAILING"]
    assert worst_states(counts, 60) is None  # every row: the plain sort
    assert worst_states(counts, 10) is None  # all but ACTIVE (the best) are 9 rows
    assert worst_states([*counts, (None, 1)], 2) == ["CREDENTIALS_INVALID"]
    # rows not evaluated yet (no state) sort last, with the deleted ones
    assert worst_states([("ACTIVE", 50), (None, 3)], 10) == ["ACTIVE"]
    assert worst_states([("ACTIVE", 5), (None, 3), ("DELETED", 9)], 10) is None


def test_the_lists_strips_are_the_recent_results_without_ids_or_times(db: Path) -> None:
    """The background load reads only what the list draws of each strip; it shows the same
    results as the full strips (``show --json``'s) in the same order."""
    from syncwatch.db.trends import recent_results

    store = Store.open(db)
    reader = FastReader.open(db)
    assert reader is not None
    try:
        ids = [*(r.id for r in store.integrations()), "nope:x"]
        strips = reader.result_strips(ids)
        full = recent_results(store, ids)
        assert {i: s.glyphs for i, s in strips.items()} == {i: r.glyphs for i, r in full.items()}
        assert any(len(s.states) > 1 for s in strips.values())
        assert strips["nope:x"].states == ()
        # One object per distinct strip: the list holds references, not copies.
        same = [s for s in strips.values() if s.states == strips[ids[0]].states]
        assert all(s is strips[ids[0]] for s in same)
    finally:
        reader.close()
        store.close()


def test_the_background_load_reads_every_row_with_its_strip(db: Path) -> None:
    """What the app's worker reads after the first screen: every integration as the store
    has it (deleted ones too), each with the results the list draws (``show --json``'s), in
    batches of the sizes asked, the last size repeating."""
    from syncwatch.db.trends import recent_results

    store = Store.open(db)
    reader = FastReader.open(db)
    assert reader is not None
    try:
        expected = store.integrations()
        full = recent_results(store, [r.id for r in expected])
        batches = list(reader.iter_with_strips((2, 3)))
        sizes = [len(rows) for rows, _ in batches]
        assert sizes[:-1] == [2] + [3] * (len(sizes) - 2) and 1 <= sizes[-1] <= 3
        rows = [r for b, _ in batches for r in b]
        assert sorted(rows, key=lambda r: r.id) == expected
        strips = {i: s for _, found in batches for i, s in found.items()}
        assert strips.keys() == {r.id for r in expected}
        assert {i: s.glyphs for i, s in strips.items()} == {i: r.glyphs for i, r in full.items()}
        assert any(len(s.states) > 1 for s in strips.values())
        assert any(not s.states for s in strips.values())  # never synced
    finally:
        reader.close()
        store.close()
