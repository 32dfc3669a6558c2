"""Schema migrations: the first released schema upgrades to the head keeping every row.

On both backends, a first-release database is made two ways (by running only revision 0001,
and unstamped, the way Store made it at commit d575bf2: ``create_all`` of that version's
models, copied below), filled, upgraded, and read back. The head built by the revisions
must be exactly the schema ``models.py`` declares.
"""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Index
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from builders import NOW
from syncwatch import migrations
from syncwatch.ack_actions import acknowledge
from syncwatch.cli import main
from syncwatch.db import Store, StoreError, redact_url, schema_status, upgrade_schema
from syncwatch.db.attention import attention_marks
from syncwatch.db.engine import new_engine
from syncwatch.states import IntegrationState

# --------------------------------------------------------------------------- d575bf2's models

# The table models of commit d575bf2, verbatim but on their own registry, so that
# ``create_all`` makes exactly what that version made (with no alembic_version table).
FirstRelease = registry()


class _Base(SQLModel, registry=FirstRelease):
    pass


class Integration0(_Base, table=True):
    __tablename__ = "integration"
    __table_args__ = (
        Index("ix_integration_due", "dirty", "next_due_at"),
        Index("ix_integration_revision", "revision"),
    )

    id: str = Field(primary_key=True)
    tool: str
    category: str
    organization: str
    environment: str = "production"
    created_at: datetime
    enabled: bool = True
    filters_configured: bool = False
    last_api_request_at: datetime | None = None
    last_reactivated_at: datetime | None = None
    credentials_updated_at: datetime | None = None
    deleted_at: datetime | None = None
    qa_status: str | None = None
    credentials_invalid_at: datetime | None = None
    disabled_reason: str | None = None
    disabled_at: datetime | None = None
    purged_at: datetime | None = None
    state: str | None = None
    state_reason: str | None = None
    state_since: datetime | None = None
    evaluated_at: datetime | None = None
    last_sync_id: str | None = None
    last_sync_state: str | None = None
    last_sync_ended_at: datetime | None = None
    last_sync_warnings: int = 0
    last_sync_errors: int = 0
    imported_facts: str | None = None
    dirty: bool = True
    next_due_at: datetime | None = None
    revision: int = 0


class Sync0(_Base, table=True):
    __tablename__ = "sync"
    __table_args__ = (
        Index("ix_sync_integration_ended", "integration_id", "ended_at"),
        Index("ix_sync_integration_started", "integration_id", "started_at"),
    )

    id: str = Field(primary_key=True)
    integration_id: str = Field(foreign_key="integration.id")
    type: str = "DELTA"
    state: str
    started_at: datetime
    ended_at: datetime | None = None
    warnings: int = 0
    errors: int = 0
    headline: str | None = None


class LogEntry0(_Base, table=True):
    __tablename__ = "log_entry"
    __table_args__ = (
        Index("ix_log_sync_at", "sync_id", "at"),
        Index("ix_log_integration_at", "integration_id", "at"),
    )

    id: str = Field(primary_key=True)
    sync_id: str = Field(foreign_key="sync.id")
    integration_id: str = Field(foreign_key="integration.id")
    at: datetime
    level: str
    message: str
    field: str | None = None


class StateChange0(_Base, table=True):
    __tablename__ = "state_change"
    __table_args__ = (Index("ix_state_change_integration", "integration_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    integration_id: str = Field(foreign_key="integration.id")
    from_state: str | None = None
    to_state: str
    at: datetime
    reason: str


class AuditEntry0(_Base, table=True):
    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_integration", "integration_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    integration_id: str = Field(foreign_key="integration.id")
    actor: str
    action: str
    at: datetime
    state_before: str | None = None
    state_after: str | None = None


class Event0(_Base, table=True):
    __tablename__ = "event"
    __table_args__ = (Index("ix_event_integration", "integration_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    integration_id: str = Field(foreign_key="integration.id")
    kind: str
    at: datetime
    message: str


FIRST_TABLES = FirstRelease.metadata.tables


# --------------------------------------------------------------------------- helpers


def first_release_rows() -> dict[str, list[dict[str, Any]]]:
    """A filled first-release database: every table, NULLs and non-NULLs, odd text."""
    t = NOW - timedelta(days=3)
    integrations = []
    for i in range(3):
        integrations.append(
            {
                "id": f"personio:{i}",
                "tool": "personio",
                "category": "HRIS",
                "organization": f"Acme Ümlaut '{i}' GmbH",
                "environment": "development" if i == 2 else "production",
                "created_at": t - timedelta(days=30),
                "enabled": i != 1,
                "filters_configured": True,
                "last_api_request_at": t if i == 0 else None,
                "last_reactivated_at": None,
                "credentials_updated_at": t - timedelta(hours=5) if i == 0 else None,
                "deleted_at": None,
                "qa_status": "PASSED",
                "credentials_invalid_at": None,
                "disabled_reason": "set inactive by an operator" if i == 1 else None,
                "disabled_at": t if i == 1 else None,
                "purged_at": None,
                "state": "SYNC_FAILING" if i == 0 else None,
                "state_reason": "The last sync failed" if i == 0 else None,
                "state_since": t if i == 0 else None,
                "evaluated_at": t if i == 0 else None,
                "last_sync_id": "s0_1" if i == 0 else None,
                "last_sync_state": "FAILED" if i == 0 else None,
                "last_sync_ended_at": t + timedelta(minutes=30) if i == 0 else None,
                "last_sync_warnings": 0,
                "last_sync_errors": 2 if i == 0 else 0,
                "imported_facts": '{"enabled": true}',
                "dirty": i != 0,
                "next_due_at": None,
                "revision": 1 if i == 0 else 0,
            }
        )
    syncs = [
        {
            "id": f"s{i}_{j}",
            "integration_id": f"personio:{i}",
            "type": "FULL" if j == 0 else "DELTA",
            "state": "FAILED" if j == 1 else "SUCCEEDED",
            "started_at": t + timedelta(hours=j) - timedelta(minutes=i),
            "ended_at": t + timedelta(hours=j, minutes=30) - timedelta(minutes=i),
            "warnings": j,
            "errors": 2 if j == 1 else 0,
            "headline": "HTTP 503 from /employees" if j == 1 else None,
        }
        for i in range(3)
        for j in range(2)
    ]
    logs = [
        {
            "id": f"log_{s['id']}_{k}",
            "sync_id": s["id"],
            "integration_id": s["integration_id"],
            "at": s["started_at"] + timedelta(minutes=k),
            "level": ("INFO", "WARNING", "ERROR")[k],
            "message": f"line {k} of {s['id']}: [REDACTED] 100% done_",
            "field": "hris.employees.date_of_birth" if k == 1 else None,
        }
        for s in syncs
        for k in range(3)
    ]
    history = [
        {
            "integration_id": "personio:0",
            "from_state": None,
            "to_state": "ACTIVE",
            "at": t,
            "reason": "first",
        },
        {
            "integration_id": "personio:0",
            "from_state": "ACTIVE",
            "to_state": "SYNC_FAILING",
            "at": t + timedelta(hours=2),
            "reason": "The last sync failed",
        },
    ]
    audit = [
        {
            "integration_id": "personio:1",
            "actor": "alice",
            "action": "deactivate",
            "at": t,
            "state_before": "ACTIVE",
            "state_after": "INACTIVE",
        }
    ]
    events = [
        {"integration_id": "personio:0", "kind": "qa_hold", "at": t, "message": "held"},
    ]
    return {
        "integration": integrations,
        "sync": syncs,
        "log_entry": logs,
        "state_change": history,
        "audit_entry": audit,
        "event": events,
    }


def make_first_release(url: str, how: str) -> dict[str, list[dict[str, Any]]]:
    """A first-release database at ``url``, filled; returns what was put in."""
    rows = first_release_rows()
    engine = new_engine(url)
    try:
        with engine.connect() as conn, conn.begin():
            if how == "revision-0001":
                migrations.run_upgrade(conn, migrations.FIRST_RELEASE)
            else:
                FirstRelease.metadata.create_all(conn)
            for name in ("integration", "sync", "log_entry", "state_change", "audit_entry"):
                conn.execute(FIRST_TABLES[name].insert(), rows[name])
            conn.execute(FIRST_TABLES["event"].insert(), rows["event"])
        with engine.connect() as conn:
            assert migrations.stored_revision(conn) == (
                migrations.FIRST_RELEASE if how == "revision-0001" else None
            )
    finally:
        engine.dispose()
    return rows


def read_back(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of the first release's tables, only its columns, in a stable order."""
    engine = new_engine(url)
    try:
        with engine.connect() as conn:
            found = {}
            for name, old in FIRST_TABLES.items():
                table = sa.Table(name, sa.MetaData(), autoload_with=conn)
                cols = [table.c[c.name] for c in old.columns]
                result = conn.execute(sa.select(*cols).order_by(*table.primary_key.columns))
                found[name] = [dict(r._mapping) for r in result]
            return found
    finally:
        engine.dispose()


def normalized(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Rows as they read back: times in UTC (SQLite gives naive UTC), serial ids dropped."""

    def norm(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value

    out = {}
    for name, table_rows in rows.items():
        clean = [
            {k: norm(v) for k, v in r.items() if not (k == "id" and isinstance(v, int))}
            for r in table_rows
        ]
        out[name] = sorted(clean, key=repr)
    return out


def schema_diffs(url: str) -> list[Any]:
    engine = new_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, SQLModel.metadata))
    finally:
        engine.dispose()


def run_cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    """``syncwatch ARGS`` in this process: (exit code, stdout, stderr)."""
    monkeypatch.delenv("SYNCWATCH_DB", raising=False)
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- tests


def test_revision_files_form_one_line_named_by_number() -> None:
    """The convention that makes adding a revision a matter of dropping in a file."""
    script = ScriptDirectory.from_config(migrations.alembic_config())
    assert script.get_heads() == [migrations.head()]
    chain = list(reversed(list(script.walk_revisions())))
    assert [r.revision for r in chain] == list(migrations.known_revisions())
    assert chain[0].revision == migrations.FIRST_RELEASE
    for previous, rev in itertools.pairwise(chain):
        assert rev.down_revision == previous.revision
    for rev in chain:
        assert Path(rev.path).name.startswith(f"{rev.revision}_")


def test_revisions_build_exactly_the_schema_models_declare(db_url: str) -> None:
    engine = new_engine(db_url)
    try:
        with engine.connect() as conn, conn.begin():
            migrations.run_upgrade(conn)
    finally:
        engine.dispose()
    assert schema_diffs(db_url) == []
    assert schema_status(db_url).state == "current"


def test_a_new_database_gets_the_head_schema_stamped(db_url: str) -> None:
    Store.open(db_url).close()
    status = schema_status(db_url)
    assert (status.state, status.revision) == ("current", migrations.head())
    assert schema_diffs(db_url) == []


@pytest.mark.parametrize("how", ["revision-0001", "unstamped-create-all"])
def test_first_released_schema_upgrades_keeping_every_row(db_url: str, how: str) -> None:
    put = make_first_release(db_url, how)
    before = schema_status(db_url)
    assert before.state == ("behind" if how == "revision-0001" else "unversioned")

    if db_url.startswith("postgresql"):
        # Not upgraded on open: the message names the command to run, without the password.
        with pytest.raises(StoreError) as refused:
            Store.open(db_url)
        message = str(refused.value)
        assert f"syncwatch db upgrade --db {redact_url(db_url)}" in message
        assert sa.engine.make_url(db_url).password not in message
        assert schema_status(db_url) == before  # nothing changed
        was, now = upgrade_schema(db_url)
        assert (was, now.state) == (before, "current")
    store = Store.open(db_url)  # SQLite: upgraded here
    try:
        assert schema_status(db_url).revision == migrations.head()
        assert normalized(read_back(db_url)) == normalized(put)
        assert schema_diffs(db_url) == []

        # And syncwatch reads it: every row through the store's own queries.
        ids = [r["id"] for r in put["integration"]]
        assert [r.id for r in store.integrations()] == ids
        assert store.counts() == {
            "integrations": 3,
            "syncs": 6,
            "log_entries": 18,
            "history": 2,
            "audit": 1,
            "events": 1,
        }
        assert {s.id for i in ids for s in store.syncs(i)} == {s["id"] for s in put["sync"]}
        assert sum(len(store.logs(i)) for i in ids) == 18
        assert [h.to_state for h in store.history("personio:0")] == [
            IntegrationState.ACTIVE,
            IntegrationState.SYNC_FAILING,
        ]
        assert [a.actor for a in store.audit("personio:1")] == ["alice"]
        # New rows go on after the old ones (sequences carried over on PostgreSQL).
        result = store.evaluate_pass(NOW)
        assert result.evaluated == 2
        # Its history from its creation, the operator's deactivation at its time.
        created = put["integration"][1]["created_at"]
        disabled = put["integration"][1]["disabled_at"]
        assert [(h.from_state, h.to_state, h.at) for h in store.history("personio:1")] == [
            (None, IntegrationState.ACTIVE, created),
            (IntegrationState.ACTIVE, IntegrationState.INACTIVE, disabled),
        ]
        # Entries recorded before revision 0007 stay as they were: learned when they happened.
        old = store.history("personio:0")
        assert [(h.recorded_at, h.correction) for h in old] == [(h.at, False) for h in old]
        # Revision 0008: nothing acknowledged or snoozed yet, and acknowledging works.
        assert attention_marks(store) == {}
        acknowledge(store, "personio:0", NOW, "alice", "on it")
        assert attention_marks(store)["personio:0"].ack is not None
    finally:
        store.close()
    assert upgrade_schema(db_url)[0].state == "current"  # a second upgrade does nothing


def test_a_newer_schema_is_refused(db_url: str) -> None:
    Store.open(db_url).close()
    engine = new_engine(db_url)
    with engine.begin() as conn:
        migrations.stamp(conn, "9999")
    engine.dispose()
    with pytest.raises(StoreError, match="9999, which this syncwatch does not know"):
        Store.open(db_url)
    with pytest.raises(StoreError, match="9999"):
        upgrade_schema(db_url)
    assert schema_status(db_url).state == "newer"


def test_a_table_without_first_release_columns_is_refused(db_url: str) -> None:
    engine = new_engine(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE integration (id VARCHAR PRIMARY KEY)")
    engine.dispose()
    with pytest.raises(StoreError, match="made by another version"):
        upgrade_schema(db_url)
    assert schema_status(db_url).state == "unversioned"  # the failed upgrade left no trace


def test_processes_opening_a_new_database_at_once_create_it_once(db_url: str) -> None:
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            Store.open(db_url).close()
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert schema_status(db_url).state == "current"


def test_db_commands(
    db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_first_release(db_url, "unstamped-create-all")
    head = migrations.head()
    code, out, err = run_cli(capsys, monkeypatch, "--db", db_url, "db", "current")
    assert code == 0, err
    assert "none: the first released schema, unversioned" in out
    seen = out + err

    code, out, err = run_cli(capsys, monkeypatch, "--db", db_url, "db", "upgrade")
    assert code == 0, err
    assert f"stamped unversioned (first release) 0001, upgraded to {head}" in out
    seen += out + err

    monkeypatch.setenv("SYNCWATCH_DB", db_url)
    assert main(["db", "upgrade"]) == 0
    out, err = capsys.readouterr()
    assert f"already at {head} (head), nothing to do" in out
    code, out, err = run_cli(capsys, monkeypatch, "--db", db_url, "db", "current")
    assert (code, out.strip()) == (0, f"{redact_url(db_url)}: {head} (head)")
    password = sa.engine.make_url(db_url).password
    assert not password or password not in seen + out + err


def test_db_current_of_a_missing_file_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _out, err = run_cli(
        capsys, monkeypatch, "--db", str(tmp_path / "nope.db"), "db", "current"
    )
    assert code == 2
    assert "no database at" in err
    assert not (tmp_path / "nope.db").exists()
