"""Import per docs/rules.md ("The import format"): validation with JSON paths, all-or-nothing,
idempotent upsert."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from builders import NOW, WriteImport, ago, db_snapshot, integration_record, log_record, sync_record
from syncwatch.actions import Action, perform
from syncwatch.db import Store
from syncwatch.importer import ImportRejected, import_files, load_sample
from syncwatch.states import IntegrationState, QaStatus, SetupStatus, SyncState

St = IntegrationState


def healthy(id: str = "personio:acme", **fields: Any) -> dict[str, Any]:
    """An integration with filters, a passed first sync and a later sync with a warning."""
    return integration_record(
        id,
        filters_configured=True,
        last_api_request_at=ago(hours=1),
        syncs=[
            sync_record(f"{id}_1", "SUCCEEDED", ago(hours=10), type="FULL"),
            sync_record(
                f"{id}_2",
                "PARTIALLY_FAILED",
                ago(hours=3),
                logs=[
                    log_record(ago(hours=3), "INFO", "Fetched 120 employees"),
                    log_record(
                        ago(hours=2, minutes=50),
                        "WARNING",
                        "Could not fetch field date_of_birth: permission missing",
                        field="hris.employees.date_of_birth",
                    ),
                    log_record(ago(hours=2, minutes=45), "INFO", "Done", id=f"{id}-log-3"),
                ],
            ),
        ],
        **fields,
    )


# --------------------------------------------------------------------------- validation


def with_sync(**sync: Any) -> list[dict[str, Any]]:
    base = {"id": "s1", "state": "FAILED", "started_at": "2026-11-26T09:00:00Z"}
    base["ended_at"] = "2026-11-26T09:30:00Z"
    base.update(sync)
    return [
        healthy(),
        integration_record(
            "lever:b",
            syncs=[
                sync_record("b0", "SUCCEEDED", ago(hours=1)),
                {k: v for k, v in base.items() if v is not None},
            ],
        ),
    ]


INVALID = [
    pytest.param(
        with_sync(state="DONE"), "integrations[1].syncs[1].state", "'SUCCEEDED'", id="bad-enum"
    ),
    pytest.param(
        [integration_record(category="CRM")],
        "integrations[0].category",
        "'HRIS'",
        id="bad-category",
    ),
    pytest.param(
        [{k: v for k, v in integration_record().items() if k != "tool"}],
        "integrations[0].tool",
        "required field is missing",
        id="missing-required-field",
    ),
    pytest.param(
        with_sync(state=None),
        "integrations[1].syncs[1].state",
        "required field is missing",
        id="missing-sync-state",
    ),
    pytest.param(
        [integration_record(created_at="2026-11-01T09:00:00")],
        "integrations[0].created_at",
        "time zone",
        id="naive-created_at",
    ),
    pytest.param(
        with_sync(started_at="2026-11-26T09:00:00"),
        "integrations[1].syncs[1].started_at",
        "time zone",
        id="naive-sync-time",
    ),
    pytest.param(
        with_sync(ended_at="2026-11-26T08:59:59Z"),
        "integrations[1].syncs[1].ended_at",
        "before started_at",
        id="ended-before-started",
    ),
    pytest.param(
        with_sync(ended_at=None),
        "integrations[1].syncs[1].ended_at",
        "ended_at is required for a FAILED sync",
        id="finished-sync-without-ended_at",
    ),
    pytest.param(
        with_sync(state="CANCELLED", ended_at=None),
        "integrations[1].syncs[1].ended_at",
        "CANCELLED",
        id="cancelled-sync-without-ended_at",
    ),
    pytest.param(
        [integration_record(colour="red")],
        "integrations[0].colour",
        "unknown field",
        id="unknown-field",
    ),
    pytest.param(
        with_sync(logs=[{"at": "2026-11-26T09:01:00Z", "level": "DEBUG", "message": "m"}]),
        "integrations[1].syncs[1].logs[0].level",
        "'WARNING'",
        id="bad-log-level",
    ),
    pytest.param(
        with_sync(logs=[{"at": "2026-11-26T09:01:00Z", "level": "INFO"}]),
        "integrations[1].syncs[1].logs[0].message",
        "required field is missing",
        id="log-without-message",
    ),
    pytest.param(
        [integration_record("a:1"), integration_record("a:1")],
        "integrations[1].id",
        "duplicate integration id 'a:1'",
        id="duplicate-integration-id",
    ),
    pytest.param(
        with_sync(id="b0"),
        "integrations[1].syncs[1].id",
        "duplicate sync id 'b0'",
        id="duplicate-sync-id",
    ),
    pytest.param(
        [
            integration_record(
                "a:1", syncs=[sync_record("personio:acme_1", "SUCCEEDED", ago(hours=1))]
            )
        ],
        "integrations[0].syncs[0].id",
        "already belongs to integration 'personio:acme'",
        id="sync-id-of-another-integration",
    ),
    pytest.param('{"integrations": [', "", "Invalid JSON", id="invalid-json"),
]


@pytest.mark.parametrize(("content", "path", "what"), INVALID)
def test_invalid_file_is_rejected_naming_file_path_and_problem(
    store: Store, write_import: WriteImport, content: Any, path: str, what: str
) -> None:
    import_files(store, [write_import([healthy()], "first.json")], NOW)
    before = db_snapshot(store)
    bad = write_import(content, "bad.json")

    with pytest.raises(ImportRejected) as err:
        import_files(store, [bad], NOW)

    problem = next(p for p in err.value.problems if p.path == path)
    assert problem.file == bad
    assert what in problem.message
    message = str(err.value)
    assert bad in message and what in message
    if path:
        assert f"{bad}: {path}: " in message
    assert db_snapshot(store) == before


def test_missing_file_is_rejected_naming_it(store: Store, tmp_path: Any) -> None:
    missing = str(tmp_path / "nope.json")
    with pytest.raises(ImportRejected) as err:
        import_files(store, [missing], NOW)
    assert missing in str(err.value)
    assert "no such file" in str(err.value)
    assert store.counts()["integrations"] == 0


@pytest.mark.parametrize(
    "second",
    [
        pytest.param(lambda w: w(with_sync(state="DONE"), "second.json"), id="second-invalid"),
        pytest.param(lambda w: "/nonexistent/second.json", id="second-missing"),
        pytest.param(
            lambda w: w([integration_record("greenhouse:new")], "second.json"),
            id="same-id-in-both-files",
        ),
        pytest.param(
            lambda w: w(
                [
                    integration_record(
                        "lever:x", syncs=[sync_record("personio:acme_1", "SUCCEEDED", ago(hours=1))]
                    )
                ],
                "second.json",
            ),
            id="sync-id-of-a-stored-integration",
        ),
    ],
)
def test_multi_file_import_with_one_bad_file_imports_nothing(
    store: Store, write_import: WriteImport, second: Any
) -> None:
    base = write_import([healthy(), healthy("lever:b")], "base.json")
    import_files(store, [base], ago(hours=1))
    before = db_snapshot(store)
    first = write_import(
        [healthy("greenhouse:new"), healthy("lever:b", organization="Renamed")], "one.json"
    )
    with pytest.raises(ImportRejected):
        import_files(store, [first, second(write_import)], NOW)
    assert db_snapshot(store) == before
    assert store.get("greenhouse:new") is None


def test_sync_id_of_another_integration_is_rejected_even_when_that_one_is_imported_too(
    store: Store, write_import: WriteImport
) -> None:
    """A record may not take over (and rewrite) a sync that belongs to another integration."""
    import_files(store, [write_import([healthy()], "base.json")], ago(hours=1))
    before = db_snapshot(store)
    owner = integration_record("personio:acme", filters_configured=True)  # no syncs listed
    intruder = integration_record(
        "lever:x", syncs=[sync_record("personio:acme_1", "FAILED", ago(hours=10))]
    )
    bad = write_import([owner, intruder], "bad.json")

    with pytest.raises(ImportRejected) as err:
        import_files(store, [bad], NOW)

    assert "integrations[1].syncs[0].id" in str(err.value)
    assert "personio:acme" in str(err.value)
    assert db_snapshot(store) == before


def test_same_new_sync_id_in_two_files_is_rejected_naming_file_and_path(
    store: Store, write_import: WriteImport
) -> None:
    one = write_import(
        [integration_record("a:1", syncs=[sync_record("s1", "SUCCEEDED", NOW)])], "one.json"
    )
    two = write_import(
        [integration_record("b:1", syncs=[sync_record("s1", "FAILED", NOW)])], "two.json"
    )
    with pytest.raises(ImportRejected) as err:
        import_files(store, [one, two], NOW)
    assert "two.json" in str(err.value)
    assert "integrations[0].syncs[0].id" in str(err.value)
    assert store.counts()["integrations"] == 0


# --------------------------------------------------------------------------- the upsert


def test_import_adds_and_evaluates_straight_away(store: Store, write_import: WriteImport) -> None:
    report = import_files(store, [write_import([healthy(), healthy("lever:b")])], NOW)
    assert (report.added, report.updated, report.unchanged) == (2, 0, 0)
    assert (report.syncs_added, report.logs_added) == (4, 6)
    assert report.evaluation.evaluated == 2
    for iid in ("personio:acme", "lever:b"):
        row = store.get(iid)
        assert row is not None
        assert row.state is St.SYNC_HAS_WARNINGS
        assert row.evaluated_at == NOW
        assert "date_of_birth" in (row.state_reason or "")
        # Each transition at the time it happened: active from creation, warnings from the
        # end of the sync that had them.
        assert [(h.from_state, h.to_state, h.at) for h in store.history(iid)] == [
            (None, St.ACTIVE, ago(days=30)),
            (St.ACTIVE, St.SYNC_HAS_WARNINGS, ago(hours=2, minutes=30)),
        ]
        assert row.state_since == ago(hours=2, minutes=30)
    assert {t.integration_id for t in report.evaluation.transitions} == {"personio:acme", "lever:b"}


def test_importing_the_same_file_twice_changes_nothing(
    store: Store, write_import: WriteImport
) -> None:
    path = write_import([healthy(), healthy("lever:b"), integration_record("deel:c")])
    import_files(store, [path], NOW)
    before = db_snapshot(store)

    report = import_files(store, [path], NOW)
    assert (report.added, report.updated, report.unchanged) == (0, 0, 3)
    assert (report.syncs_added, report.syncs_updated, report.logs_added) == (0, 0, 0)
    assert report.evaluation.transitions == []
    assert db_snapshot(store) == before


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(
            integration_record(
                "ashby:qa",
                filters_configured=True,
                qa_status=None,
                syncs=[sync_record("q1", "FAILED", ago(hours=5))],
            ),
            id="explicit-null-qa_status-first-sync-failed",
        ),
        pytest.param(
            integration_record(
                "ashby:ok",
                filters_configured=True,
                qa_status=None,
                syncs=[sync_record("o1", "SUCCEEDED", ago(hours=5))],
            ),
            id="explicit-null-qa_status-first-sync-ok",
        ),
        pytest.param(
            integration_record(
                "hibob:dev",
                environment="development",
                enabled=True,
                filters_configured=True,
                created_at=ago(days=60),
                last_api_request_at=ago(days=20),
            ),
            id="development-enabled-true-disabled-for-inactivity",
        ),
    ],
)
def test_importing_the_same_file_twice_keeps_the_sticky_facts_the_evaluator_set(
    store: Store, write_import: WriteImport, record: dict[str, Any]
) -> None:
    """The format's example (docs/rules.md, "The import format") carries ``"qa_status": null``
    and ``"enabled": true``.

    Null means "let the evaluator decide"; once decided (or once the integration was disabled
    for inactivity), importing the same file again must change nothing and notify nobody again.
    """
    path = write_import([record])
    import_files(store, [path], NOW)
    before = db_snapshot(store)

    report = import_files(store, [path], NOW)
    assert (report.added, report.updated, report.unchanged) == (0, 0, 1)
    assert db_snapshot(store) == before


def test_reimport_does_not_undo_a_release_from_qa(store: Store, write_import: WriteImport) -> None:
    record = integration_record(
        "ashby:qa",
        filters_configured=True,
        qa_status=None,
        syncs=[
            sync_record("q1", "FAILED", ago(hours=5)),
            sync_record("q2", "SUCCEEDED", ago(hours=2)),
        ],
    )
    path = write_import([record])
    import_files(store, [path], ago(hours=1))
    assert store.get("ashby:qa").state is St.QUALITY_ASSURANCE  # type: ignore[union-attr]
    perform(store, Action.RELEASE_QA, "ashby:qa", ago(minutes=30), actor="alice")

    import_files(store, [path], NOW)
    row = store.get("ashby:qa")
    assert row is not None
    assert row.qa_status is QaStatus.PASSED
    assert row.state is St.ACTIVE
    assert [e.kind for e in store.events("ashby:qa")] == ["qa_hold"]


def test_loading_the_sample_twice_changes_nothing(store: Store) -> None:
    load_sample(store, NOW)
    before = db_snapshot(store)
    report = load_sample(store, NOW)
    assert (report.added, report.updated, report.syncs_added, report.logs_added) == (0, 0, 0, 0)
    assert db_snapshot(store) == before


def test_field_left_out_keeps_its_stored_value(store: Store, write_import: WriteImport) -> None:
    first = integration_record(
        "hibob:x",
        environment="development",
        filters_configured=True,
        enabled=True,
        last_api_request_at=ago(days=2),
        credentials_updated_at=ago(days=3),
    )
    import_files(store, [write_import([first], "a.json")], ago(hours=2))
    second = integration_record("hibob:x", organization="Acme Holding GmbH")
    report = import_files(store, [write_import([second], "b.json")], NOW)
    assert (report.added, report.updated) == (0, 1)
    row = store.get("hibob:x")
    assert row is not None
    assert row.organization == "Acme Holding GmbH"
    assert row.environment == "development"
    assert row.filters_configured is True
    assert row.enabled is True
    assert row.last_api_request_at == ago(days=2)
    assert row.credentials_updated_at == ago(days=3)


def test_defaults_apply_to_new_integrations(store: Store, write_import: WriteImport) -> None:
    record = integration_record(
        "deel:new", syncs=[{"id": "d1", "state": "RUNNING", "started_at": "2026-11-26T11:00:00Z"}]
    )
    import_files(store, [write_import([record])], NOW)
    row = store.get("deel:new")
    assert row is not None
    assert row.environment == "production"
    assert row.filters_configured is False
    assert row.enabled is True
    assert row.qa_status is None
    assert row.deleted_at is None
    assert row.state is St.SETUP
    [sync] = store.syncs("deel:new")
    assert sync.type == "DELTA"
    assert sync.ended_at is None
    assert store.logs("deel:new") == []


def test_times_are_stored_in_utc(store: Store, write_import: WriteImport) -> None:
    record = integration_record(
        "a:1",
        created_at="2026-11-01T11:00:00+02:00",
        syncs=[
            {
                "id": "s",
                "state": "SUCCEEDED",
                "started_at": "2026-11-25T08:00:00-05:00",
                "ended_at": "2026-11-25T13:30:00Z",
            }
        ],
    )
    import_files(store, [write_import([record])], NOW)
    row = store.get("a:1")
    assert row is not None
    assert row.created_at == datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    assert row.created_at.utcoffset() == timedelta(0)
    [sync] = store.syncs("a:1")
    assert sync.started_at == datetime(2026, 11, 25, 13, 0, tzinfo=UTC)


def test_syncs_and_logs_are_added_by_id(store: Store, write_import: WriteImport) -> None:
    import_files(store, [write_import([healthy()], "a.json")], ago(hours=1))
    counts = store.counts()
    more = healthy()
    more["syncs"][1]["logs"].append(log_record(ago(hours=2, minutes=40), "WARNING", "Slow API"))
    more["syncs"].append(
        sync_record(
            "personio:acme_3",
            "FAILED",
            ago(hours=1, minutes=40),
            logs=[log_record(ago(hours=1, minutes=20), "ERROR", "HTTP 503 Service Unavailable")],
        )
    )
    report = import_files(store, [write_import([more], "b.json")], NOW)
    assert (report.added, report.updated) == (0, 1)
    assert (report.syncs_added, report.syncs_updated, report.logs_added) == (1, 0, 2)
    after = store.counts()
    assert after["syncs"] == counts["syncs"] + 1
    assert after["log_entries"] == counts["log_entries"] + 2
    ids = [log.id for log in store.logs("personio:acme")]
    assert len(ids) == len(set(ids)) == 5
    by_id = {s.id: s for s in store.syncs("personio:acme")}
    assert (by_id["personio:acme_2"].warnings, by_id["personio:acme_2"].errors) == (2, 0)
    row = store.get("personio:acme")
    assert row is not None
    assert row.state is St.SYNC_FAILING
    assert "HTTP 503 Service Unavailable" in (row.state_reason or "")


@pytest.mark.parametrize(
    ("state", "logs", "shown", "qa", "quoted"),
    [
        pytest.param("SUCCEEDED", [], St.ACTIVE, QaStatus.PASSED, "succeeded", id="SUCCEEDED"),
        pytest.param(
            "FAILED",
            [log_record(ago(minutes=12), "ERROR", "403 Forbidden: missing scope")],
            St.QUALITY_ASSURANCE,
            QaStatus.FAILED,
            "403 Forbidden: missing scope",
            id="FAILED-with-a-new-error-log",
        ),
    ],
)
def test_running_sync_reimported_as_finished_is_updated(
    store: Store,
    write_import: WriteImport,
    state: str,
    logs: list[dict[str, Any]],
    shown: St,
    qa: QaStatus,
    quoted: str,
) -> None:
    running = integration_record(
        "personio:new",
        filters_configured=True,
        syncs=[sync_record("r1", "RUNNING", ago(hours=1), type="FULL")],
    )
    import_files(store, [write_import([running], "a.json")], ago(minutes=30))
    row = store.get("personio:new")
    assert row is not None and row.api is not None
    assert row.last_sync_id is None
    assert row.api.setup_status is SetupStatus.FINAL_SYNC_PENDING
    assert row.api.qa_status is QaStatus.PENDING

    finished = integration_record(
        "personio:new",
        filters_configured=True,
        syncs=[sync_record("r1", state, ago(hours=1), ago(minutes=10), type="FULL", logs=logs)],
    )
    report = import_files(store, [write_import([finished], "b.json")], NOW)
    assert (report.syncs_added, report.syncs_updated, report.logs_added) == (0, 1, len(logs))
    [sync] = store.syncs("personio:new")
    assert sync.state is SyncState(state)
    assert sync.ended_at == ago(minutes=10)
    assert sync.errors == len(logs)
    row = store.get("personio:new")
    assert row is not None and row.api is not None
    assert row.last_sync_id == "r1"
    assert row.last_sync_state is SyncState(state)
    assert row.api.setup_status is SetupStatus.COMPLETED
    assert row.api.qa_status is qa
    assert row.state is shown
    assert quoted in (row.state_reason or "")
    expected = [St.ACTIVE] if shown is St.ACTIVE else [St.ACTIVE, shown]
    assert [h.to_state for h in store.history("personio:new")] == expected


def test_deleted_integrations_are_skipped_and_reported(
    store: Store, write_import: WriteImport
) -> None:
    import_files(store, [write_import([healthy(), healthy("lever:b")], "a.json")], ago(hours=2))
    perform(store, Action.DELETE, "personio:acme", ago(hours=1), actor="alice")
    before = db_snapshot(store)
    gone = healthy(organization="Undeleted?", enabled=False)
    gone["syncs"].append(sync_record("personio:acme_9", "SUCCEEDED", ago(minutes=50)))
    report = import_files(store, [write_import([gone, healthy("lever:b")], "b.json")], NOW)
    assert report.skipped_deleted == ["personio:acme"]
    assert (report.added, report.updated, report.syncs_added) == (0, 0, 0)
    assert db_snapshot(store) == before
    row = store.get("personio:acme")
    assert row is not None and row.state is St.DELETED


@pytest.mark.parametrize(
    ("qa_status", "first", "state"),
    [
        pytest.param("PASSED", "FAILED", St.ACTIVE, id="PASSED-kept-despite-failed-first-sync"),
        pytest.param(
            "FAILED", "SUCCEEDED", St.QUALITY_ASSURANCE, id="FAILED-kept-despite-good-first-sync"
        ),
    ],
)
def test_qa_status_given_in_the_file_is_kept(
    store: Store, write_import: WriteImport, qa_status: str, first: str, state: St
) -> None:
    record = integration_record(
        "a:1",
        filters_configured=True,
        qa_status=qa_status,
        syncs=[sync_record("f", first, ago(hours=5)), sync_record("g", "SUCCEEDED", ago(hours=2))],
    )
    import_files(store, [write_import([record])], NOW)
    row = store.get("a:1")
    assert row is not None
    assert row.qa_status is QaStatus(qa_status)
    assert row.state is state
    assert store.events("a:1") == []


SECRETS = [
    (
        "Request failed: Authorization: Bearer tok_9f8e7d6c5b4a3f2e1d0c9b8a",
        "tok_9f8e7d6c5b4a3f2e1d0c9b8a",
    ),
    ("GET /v1/employees?api_key=ak93jd72hs61kd8s&page=2 returned 401", "ak93jd72hs61kd8s"),
]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_bulk_import_leaves_no_dangling_rows_and_foreign_keys_back_on(store: Store) -> None:
    # The import skips SQLite's per-row foreign key lookups inside its transaction: every row
    # it writes must still have its parents, and later writers must get the checks back.
    load_sample(store, NOW)
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    with store.write() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        with pytest.raises(Exception, match="FOREIGN KEY"):
            conn.exec_driver_sql(
                "INSERT INTO log_entry (id, sync_id, integration_id, at, level, message) "
                "VALUES ('x', 'no-such-sync', 'no-such-integration', '2026-11-26 12:00:00', "
                "'INFO', 'orphan')"
            )


def _quiet_integration(iid: str, sync_prefix: str, *, syncs: int, lines: int) -> Any:
    """An integration whose ``syncs`` syncs (one an hour, newest first) all succeeded,
    each with ``lines`` INFO lines."""
    return integration_record(
        iid,
        syncs=[
            sync_record(
                f"{sync_prefix}-{k}",
                "SUCCEEDED",
                ago(hours=k + 1),
                logs=[log_record(ago(hours=k + 1), "INFO", f"line {j}") for j in range(lines)],
            )
            for k in range(syncs)
        ],
    )


def _index_sql(path: Path) -> list[tuple[str, str]]:
    import sqlite3

    db = sqlite3.connect(path)
    try:
        return db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
        ).fetchall()
    finally:
        db.close()


def _deferred_tables(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Record, per import, the names of the tables whose indexes it deferred."""
    from syncwatch.db import bulk

    deferred: list[list[str]] = []
    real = bulk.deferred_indexes

    def spy(conn: Any, tables: Any) -> Any:
        deferred.append(sorted(t.name for t in tables))
        return real(conn, tables)

    monkeypatch.setattr(bulk, "deferred_indexes", spy)
    return deferred


def test_a_load_that_doubles_a_table_builds_its_indexes_once_at_the_end(
    tmp_path: Path, write_import: WriteImport, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first large import drops the sync and log indexes and creates them after the rows
    are in; a smaller one into a fuller table keeps them. Either way the schema ends up as
    a fresh database's, and queries that need the indexes use them."""
    from syncwatch.db import bulk

    monkeypatch.setattr(bulk, "DEFER_MIN_ROWS", 100)
    deferred = _deferred_tables(monkeypatch)
    fresh = tmp_path / "fresh.db"
    Store.open(fresh).close()
    path = tmp_path / "bulk.db"
    store = Store.open(path)
    import_files(store, [_big_import(write_import, 2_000)], NOW)  # 200 syncs, 2,000 entries
    assert deferred == [["log_entry", "sync"]]
    assert _index_sql(path) == _index_sql(fresh)
    with store.read() as conn:
        plan = " ".join(
            str(row[-1])
            for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT * FROM log_entry WHERE sync_id = 'big_0_0' ORDER BY at"
            )
        )
    assert "ix_log_sync_at" in plan
    assert len(store.logs("big:3")) == 100

    small = _quiet_integration("small:1", "small", syncs=20, lines=10)
    import_files(store, [write_import([small], "small.json")], NOW)  # 200 into 2,000
    assert deferred[1:] == [[]]
    assert _index_sql(path) == _index_sql(fresh)
    store.close()


def test_a_failed_large_load_keeps_the_indexes_and_changes_nothing(
    tmp_path: Path, write_import: WriteImport, monkeypatch: pytest.MonkeyPatch
) -> None:
    from syncwatch.db import bulk
    from syncwatch.importer import prepare as prep

    monkeypatch.setattr(bulk, "DEFER_MIN_ROWS", 100)
    monkeypatch.setattr(prep, "PARALLEL_MIN_BYTES", 10**12)
    path = tmp_path / "bulk.db"
    store = Store.open(path)
    load_sample(store, NOW)
    before_indexes, before_rows = _index_sql(path), _raw_rows(path)
    prepare = prep.prepare_record

    def fails_late(rec: Any, fast: bool, redacted: Any = None) -> Any:
        if rec["id"] == "big:17":  # after several flushes into the index-less tables
            raise OSError("disk trouble")
        return prepare(rec, fast, redacted)

    monkeypatch.setattr(prep, "prepare_record", fails_late)
    monkeypatch.setattr(prep, "FLUSH_ROWS", 300)
    deferred = _deferred_tables(monkeypatch)
    with pytest.raises(OSError, match="disk trouble"):
        import_files(store, [_big_import(write_import, 12_000)], NOW)
    store.close()
    assert deferred == [["log_entry"]]  # 12,000 entries over the sample's 1,830; 200 syncs not
    assert _index_sql(path) == before_indexes
    assert _raw_rows(path) == before_rows


def test_secrets_in_log_messages_are_stored_redacted(
    store: Store, write_import: WriteImport
) -> None:
    logs = [
        log_record(ago(hours=2, minutes=i), "ERROR", text) for i, (text, _) in enumerate(SECRETS)
    ]
    record = integration_record(
        "a:1",
        filters_configured=True,
        qa_status="PASSED",
        syncs=[sync_record("s", "AUTHENTICATION_FAILED", ago(hours=3), logs=logs)],
    )
    import_files(store, [write_import([record])], NOW)
    messages = [log.message for log in store.logs("a:1")]
    assert len(messages) == 2
    dump = json.dumps(messages) + json.dumps([s.headline for s in store.syncs("a:1")])
    row = store.get("a:1")
    assert row is not None
    dump += row.state_reason or ""
    for _, secret in SECRETS:
        assert secret not in dump
    assert all("[REDACTED]" in m for m in messages)
    assert any("Authorization: Bearer [REDACTED]" in m for m in messages)
    assert any("api_key=[REDACTED]&page=2" in m for m in messages)


def test_reimporting_a_file_with_secrets_adds_no_duplicate_logs(
    store: Store, write_import: WriteImport
) -> None:
    logs = [log_record(ago(hours=2), "ERROR", SECRETS[0][0])]
    record = integration_record(
        "a:1", syncs=[sync_record("s", "AUTHENTICATION_FAILED", ago(hours=3), logs=logs)]
    )
    path = write_import([record])
    import_files(store, [path], NOW)
    report = import_files(store, [path], NOW)
    assert report.logs_added == 0
    assert len(store.logs("a:1")) == 1


def test_bundled_sample_shows_all_nine_states(store: Store) -> None:
    report = load_sample(store, NOW)
    assert report.added == len(store.integrations())
    states = Counter(row.state for row in store.integrations())
    assert set(states) == set(IntegrationState)
    newest = max(
        (r.last_sync_ended_at for r in store.integrations() if r.last_sync_ended_at),
    )
    assert NOW - timedelta(minutes=10) <= newest <= NOW


# --------------------------------------------------------------------------- the fast paths


def _varied_file(write_import: WriteImport, name: str = "varied.json") -> str:
    """Records that exercise every stored form: offsets, microseconds, null and absent
    fields, every level and sync state, given and derived log ids, secrets, duplicates."""
    records = []
    for n, state in enumerate(SyncState):
        logs = [
            log_record(ago(hours=5, minutes=n), "INFO", "Fetched 120 employees"),
            log_record(ago(hours=5, minutes=n), "INFO", "Fetched 120 employees"),  # twice
            {"at": "2026-11-26T08:15:30.25+02:00", "level": "WARNING", "message": "Slow API"},
            {"at": "2026-11-25T23:59:59.999999-05:00", "level": "ERROR", "message": "HTTP 503"},
            log_record(ago(hours=4), "ERROR", "Authorization: Bearer sk_live_abcdefgh12345678"),
            log_record(ago(hours=4), "WARNING", "field gone", field="hris.employees.x"),
            log_record(ago(hours=4), "INFO", "given id", id=f"given-{n}", field=None),
        ]
        ended = None if state is SyncState.RUNNING else ago(hours=2, minutes=n)
        records.append(
            integration_record(
                f"personio:v{n}",
                environment="development" if n % 2 else "production",
                filters_configured=bool(n % 3),
                qa_status="PASSED" if n == 1 else None,
                syncs=[
                    sync_record(
                        f"v{n}_1", state, ago(hours=6, minutes=n), ended, logs=logs, type="FULL"
                    ),
                    {"id": f"v{n}_2", "state": "SUCCEEDED",
                     "started_at": "2026-11-26T09:00:00.000001+01:00",
                     "ended_at": "2026-11-26T09:30:00Z"},
                ],
            )
        )  # fmt: skip
    return write_import(records, name)


def _raw_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored row as SQLite holds it (the text of times included)."""
    import sqlite3

    db = sqlite3.connect(path)
    try:
        return {
            table: db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("integration", "sync", "log_entry", "state_change", "event")
        }
    finally:
        db.close()


def test_sqlite_fast_path_stores_exactly_what_sqlalchemy_stores(
    tmp_path: Path, write_import: WriteImport, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The driver-level insert and SQLAlchemy core write byte-identical rows, read back the
    same through Store, and re-importing into either changes nothing."""
    from syncwatch.db import bulk

    file = _varied_file(write_import)
    fast = Store.open(tmp_path / "fast.db")
    import_files(fast, [file], NOW)
    assert fast.counts()["log_entries"] == 7 * len(SyncState)
    with monkeypatch.context() as m:
        m.setattr(bulk, "_agrees", lambda *_: False)  # every column "disagrees": core path
        core = Store.open(tmp_path / "core.db")
        with core.write() as conn:
            assert not bulk.BulkWriter(conn, [(bulk_table(), ("id",))]).fast
        import_files(core, [file], NOW)
    assert _raw_rows(tmp_path / "fast.db") == _raw_rows(tmp_path / "core.db")
    assert db_snapshot(fast) == db_snapshot(core)
    for store in (fast, core):
        before = db_snapshot(store)
        report = import_files(store, [file], NOW)
        assert (report.added, report.syncs_added, report.logs_added) == (0, 0, 0)
        assert db_snapshot(store) == before
        store.close()


def bulk_table() -> Any:
    from syncwatch.db.tables import log_entries as L

    return L


def test_bulk_writer_takes_the_fast_path_only_where_sqlalchemy_would_store_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from syncwatch.db import bulk
    from syncwatch.db.tables import log_entries as L
    from syncwatch.db.tables import syncs as S

    store = Store.open(tmp_path / "w.db")
    try:
        with store.write() as conn:
            assert bulk.BulkWriter(conn, [(S, ("id", "started_at")), (L, ("id", "at"))]).fast
            # A time format that differs from SQLAlchemy's is caught by the self-check.
            monkeypatch.setattr(bulk, "sqlite_time", lambda t: t.isoformat())
            assert not bulk.BulkWriter(conn, [(S, ("id", "started_at"))]).fast
            assert bulk.BulkWriter(conn, [(S, ("id", "state"))]).fast  # no time column
    finally:
        store.close()


def test_log_ids_derived_from_content_never_change(store: Store, write_import: WriteImport) -> None:
    """Stored ids of id-less entries are pinned: a new recipe would duplicate every such
    entry of an earlier import when the same file is imported again."""
    logs = [
        {"at": "2026-11-26T10:15:30.25+02:00", "level": "WARNING",
         "message": "Could not fetch field x", "field": "hris.employees.x"},
        {"at": "2026-11-26T08:00:00Z", "level": "INFO", "message": "Fetched 120 employees"},
        {"at": "2026-11-26T08:00:00Z", "level": "INFO", "message": "Fetched 120 employees"},
    ]  # fmt: skip
    record = integration_record("a:1", syncs=[sync_record("sync_1", "SUCCEEDED", ago(hours=5),
                                                          logs=logs)])  # fmt: skip
    import_files(store, [write_import([record])], NOW)
    ids = {log.id for log in store.logs("a:1")}
    # Computed by the importer as it was before the fast path (the recipe in log_id()).
    assert {"2c545f618043c3651fad6bac", "4f75e1e80ebd42ee76addfb6"} <= ids
    assert len(ids) == 3


@pytest.mark.parametrize(
    ("at", "what"),
    [
        pytest.param("2026-11-26T09:01:00", "time zone", id="naive"),
        pytest.param("1969-12-31T23:59:59Z", "out of range", id="before-1970"),
        pytest.param("1970-01-01T00:30:00+01:00", "out of range", id="1970-local-1969-utc"),
        pytest.param("2199-12-31T23:30:00-01:00", "out of range", id="2199-local-2200-utc"),
        pytest.param("2200-01-01T00:00:00Z", "out of range", id="2200"),
    ],
)
def test_log_times_are_range_checked_with_their_json_path(
    store: Store, write_import: WriteImport, at: str, what: str
) -> None:
    logs = [log_record(ago(hours=1), "INFO", "fine")] * 2 + [
        {"at": at, "level": "INFO", "message": "m"}
    ]
    record = integration_record("a:1", syncs=[sync_record("s", "SUCCEEDED", ago(hours=2),
                                                          logs=logs)])  # fmt: skip
    bad = write_import([record])
    with pytest.raises(ImportRejected) as err:
        import_files(store, [bad], NOW)
    assert f"{bad}: integrations[0].syncs[0].logs[2].at: " in str(err.value)
    assert what in str(err.value)
    assert store.counts()["integrations"] == 0


def test_log_times_at_the_edges_of_the_range_are_accepted_in_utc(
    store: Store, write_import: WriteImport
) -> None:
    logs = [
        {"at": "1970-01-01T01:30:00+01:00", "level": "INFO", "message": "first instant"},
        {"at": "2199-12-31T22:59:59.5-01:00", "level": "INFO", "message": "last second"},
    ]
    record = integration_record("a:1", syncs=[sync_record("s", "RUNNING", ago(hours=2),
                                                          logs=logs)])  # fmt: skip
    import_files(store, [write_import([record])], NOW)
    got = {log.message: log.at for log in store.logs("a:1")}
    assert got == {
        "first instant": datetime(1970, 1, 1, 0, 30, tzinfo=UTC),
        "last second": datetime(2199, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
    }


def _big_import(write_import: WriteImport, n_logs: int) -> str:
    """20 integrations of 10 syncs, ``n_logs`` log entries in all, a few with secrets."""
    per_sync = n_logs // 200
    records = [
        integration_record(
            f"big:{i}",
            filters_configured=True,
            syncs=[
                sync_record(
                    f"big_{i}_{k}",
                    "PARTIALLY_FAILED" if k % 7 == 0 else "SUCCEEDED",
                    ago(hours=40 - k),
                    logs=[
                        log_record(
                            ago(hours=40 - k, minutes=-j),
                            "WARNING" if j % 9 == 0 else "INFO",
                            f"line {j} password={k}x{j}" if j % 5 == 0 else f"line {j}",
                        )
                        for j in range(per_sync)
                    ],
                )
                for k in range(10)
            ],
        )
        for i in range(20)
    ]
    return write_import(records, "big.json")


#: How long one side may wait for the other before the test fails instead of hanging.
HANG = 120.0


def _who_prepares(monkeypatch: pytest.MonkeyPatch, log: Path, first: str | None = None) -> None:
    """Make prepare_record note "<side> <record id>" in ``log`` (O_APPEND: whole lines from
    both processes), side being "parent" or "worker".

    With ``first``, the other side prepares nothing until ``first`` has prepared a record:
    a pipe made before the worker is forked carries the word, so both sides take part
    however fast either one runs.
    """
    import os
    import select

    from syncwatch.importer import prepare as prep

    parent = os.getpid()
    prepare = prep.prepare_record
    said, told = os.pipe()
    done = {"waited": False, "told": False}  # per process: the worker gets its own copy

    def noting(rec: Any, fast: bool, redacted: Any = None) -> Any:
        side = "worker" if os.getpid() != parent else "parent"
        if first is not None and side != first and not done["waited"]:
            assert select.select([said], [], [], HANG)[0], f"the {first} prepared nothing"
            os.read(said, 1)
            done["waited"] = True
        prepared = prepare(rec, fast, redacted)
        with log.open("a") as out:
            out.write(f"{side} {rec['id']}\n")
        if side == first and not done["told"]:
            os.write(told, b"!")
            done["told"] = True
        return prepared

    monkeypatch.setattr(prep, "prepare_record", noting)


def test_a_large_import_shared_with_a_worker_process_stores_the_same(
    tmp_path: Path, write_import: WriteImport, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker prepares from the front, the importing process from the back while it
    would otherwise wait: each record once, and the same rows as with no worker."""
    from syncwatch.importer import prepare as prep

    if not prep.can_fork():
        pytest.skip("no fork start method here, or other threads run: no worker")
    file = _big_import(write_import, 6_000)
    who = tmp_path / "who.txt"
    _who_prepares(monkeypatch, who, first="parent")  # the worker waits: the parent helps
    monkeypatch.setattr(prep, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(prep, "FLUSH_ROWS", 500)  # several batches
    parallel = Store.open(tmp_path / "parallel.db")
    import_files(parallel, [file], NOW)
    parallel.close()
    lines = [line.split() for line in who.read_text().splitlines()]
    sides = {side: [rid for s, rid in lines if s == side] for side in ("worker", "parent")}
    assert sorted(sides["worker"] + sides["parent"]) == sorted(f"big:{i}" for i in range(20))
    assert sides["worker"] and sides["parent"]
    # The worker took from the front, the parent from the back.
    order = [f"big:{i}" for i in range(20)]
    assert max(order.index(r) for r in sides["worker"]) < min(
        order.index(r) for r in sides["parent"]
    )

    monkeypatch.setattr(prep, "PARALLEL_MIN_BYTES", 10**12)
    single = Store.open(tmp_path / "single.db")
    import_files(single, [file], NOW)
    single.close()
    assert _raw_rows(tmp_path / "parallel.db") == _raw_rows(tmp_path / "single.db")
    messages = [row[5] for row in _raw_rows(tmp_path / "parallel.db")["log_entry"]]
    assert len(messages) == 6_000
    assert sum("password=[REDACTED]" in m for m in messages) == 6_000 // 5


def test_a_worker_sees_several_files_and_a_shift_as_the_import_does(
    tmp_path: Path, write_import: WriteImport, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker parses the files itself: with two files and shifted times, what it
    prepares must line up record for record with what the importing process parsed."""
    from syncwatch.importer import prepare as prep

    if not prep.can_fork():
        pytest.skip("no fork start method here, or other threads run: no worker")
    first = _big_import(write_import, 2_000)
    second = write_import(
        [_quiet_integration(f"second:{i}", f"second_{i}", syncs=5, lines=7) for i in range(9)],
        "second.json",
    )
    who = tmp_path / "who.txt"
    _who_prepares(monkeypatch, who, first="worker")  # the parent waits: the worker prepares
    monkeypatch.setattr(prep, "FLUSH_ROWS", 100)
    shift = timedelta(days=3, minutes=7)
    for name, min_bytes in (("parallel", 1), ("single", 10**12)):
        monkeypatch.setattr(prep, "PARALLEL_MIN_BYTES", min_bytes)
        store = Store.open(tmp_path / f"{name}.db")
        import_files(store, [first, second], NOW + shift, shift=shift)
        store.close()
    assert "worker" in who.read_text()
    assert _raw_rows(tmp_path / "parallel.db") == _raw_rows(tmp_path / "single.db")


def test_a_fast_worker_prepares_every_record(
    tmp_path: Path, write_import: WriteImport, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With nothing to wait for (the worker is quick, the first flush slow), the importing
    process leaves the preparing to the worker."""
    from syncwatch.importer import prepare as prep

    if not prep.can_fork():
        pytest.skip("no fork start method here, or other threads run: no worker")
    file = _big_import(write_import, 2_000)
    who = tmp_path / "who.txt"
    _who_prepares(monkeypatch, who)
    monkeypatch.setattr(prep, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(prep, "FLUSH_ROWS", 10**6)  # one batch, sent at the end
    import multiprocessing.connection

    real_poll = multiprocessing.connection.Connection.poll

    def patient_poll(self: Any, timeout: float = 0.0) -> bool:
        return bool(real_poll(self, HANG))  # wait for the worker rather than take work

    monkeypatch.setattr(multiprocessing.connection.Connection, "poll", patient_poll)
    store = Store.open(tmp_path / "w.db")
    report = import_files(store, [file], NOW)
    store.close()
    assert report.logs_added == 2_000
    assert {line.split()[0] for line in who.read_text().splitlines()} == {"worker"}


def test_when_the_worker_fails_the_import_completes_without_it(
    tmp_path: Path, write_import: WriteImport, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from syncwatch.importer import prepare as prep

    if not prep.can_fork():
        pytest.skip("no fork start method here, or other threads run: no worker")
    records = [integration_record(f"w:{n}", syncs=[sync_record(
        f"w{n}", "SUCCEEDED", ago(hours=3), logs=[log_record(ago(hours=3), "INFO", f"{n}")])])
        for n in range(40)]  # fmt: skip
    file = write_import(records)
    parent = os.getpid()
    prepare = prep.prepare_record

    def dies_in_the_worker(rec: Any, fast: bool, redacted: Any = None) -> Any:
        if os.getpid() != parent and rec["id"] == "w:25":
            raise RuntimeError("worker bug")
        return prepare(rec, fast, redacted)

    monkeypatch.setattr(prep, "prepare_record", dies_in_the_worker)
    monkeypatch.setattr(prep, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(prep, "FLUSH_ROWS", 4)
    store = Store.open(tmp_path / "w.db")
    report = import_files(store, [file], NOW)
    assert (report.added, report.logs_added) == (40, 40)
    assert len(store.logs("w:39")) == 1
    store.close()


def test_file_schema_and_model_schema_have_the_same_fields() -> None:
    """The TypedDicts files are validated with and the models code builds records with
    describe one format."""
    from pydantic import TypeAdapter

    from syncwatch import importer

    for model, doc in (
        (importer.IntegrationIn, importer.IntegrationDoc),
        (importer.SyncIn, importer.SyncDoc),
        (importer.LogIn, importer.LogDoc),
    ):
        fields = TypeAdapter(doc).core_schema["fields"]  # as pydantic reads the TypedDict
        assert set(model.model_fields) == set(fields)
        required = {n for n, f in model.model_fields.items() if f.is_required()}
        assert required == {n for n, f in fields.items() if f.get("required", True)}


# A log id given twice: tests/test_import_errors.py (refused unless the two entries are
# identical and in one sync, then stored once; issue 12).


def test_many_out_of_range_times_are_reported_up_to_a_limit(
    store: Store, write_import: WriteImport
) -> None:
    logs = [
        {"at": f"2300-01-01T00:00:{n:02d}Z", "level": "INFO", "message": "m"} for n in range(25)
    ]
    record = integration_record(
        "a:1", syncs=[sync_record("s", "SUCCEEDED", ago(hours=2), logs=logs)]
    )
    bad = write_import([record])
    with pytest.raises(ImportRejected) as err:
        import_files(store, [bad], NOW)
    problems = err.value.problems
    assert len(problems) == 21
    assert problems[0].path == "integrations[0].syncs[0].logs[0].at"
    assert "out of range" in problems[0].message
    assert problems[-1].message == "... and 5 more problems"


# --------------------------------------------------------------------------- size limits (issue 12)


def _long_error_sync(sid: str, message: str, **log: Any) -> dict[str, Any]:
    return sync_record(
        sid, "FAILED", ago(hours=3), logs=[log_record(ago(hours=2), "ERROR", message, **log)]
    )


def test_a_message_up_to_the_limit_is_kept_whole_and_a_longer_one_is_cut_saying_so(
    store: Store, write_import: WriteImport
) -> None:
    from syncwatch.limits import MESSAGE_LIMIT, cap_message

    whole = "w" * MESSAGE_LIMIT
    long = "line one\n" + "x" * (3 * MESSAGE_LIMIT)
    record = integration_record(
        "a:1",
        syncs=[_long_error_sync("s1", whole), _long_error_sync("s2", long)],
    )
    path = write_import([record])
    report = import_files(store, [path], NOW)
    assert (report.logs_added, report.messages_cut) == (2, 1)
    stored = {log.sync_id: log.message for log in store.logs("a:1")}
    assert stored["s1"] == whole
    assert stored["s2"] == cap_message(long)
    assert stored["s2"].startswith("line one\nxxx")
    assert f"cut by syncwatch: {len(long):,} characters" in stored["s2"]
    # Re-importing finds the same (derived) ids: nothing added, nothing cut again.
    again = import_files(store, [path], NOW)
    assert (again.logs_added, again.messages_cut) == (0, 0)
    assert len(store.logs("a:1")) == 2


def test_headline_reason_and_history_carry_the_short_form_of_a_huge_message(
    store: Store, write_import: WriteImport
) -> None:
    from syncwatch.limits import HEADLINE_LIMIT, headline

    huge = "503 from Workday:\n  " + "detail " * 1_500_000  # 10 MB
    record = integration_record(
        "a:1", filters_configured=True, qa_status="PASSED",
        syncs=[sync_record("s0", "SUCCEEDED", ago(hours=9)), _long_error_sync("s1", huge)],
    )  # fmt: skip
    import_files(store, [write_import([record])], NOW)
    sync = next(s for s in store.syncs("a:1") if s.id == "s1")
    assert sync.headline == headline(huge)
    assert sync.headline is not None and "\n" not in sync.headline
    assert len(sync.headline) == HEADLINE_LIMIT
    row = store.get("a:1")
    assert row is not None and row.state is St.SYNC_FAILING
    assert sync.headline in (row.state_reason or "")
    assert len(row.state_reason or "") < HEADLINE_LIMIT + 200
    assert all(len(h.reason) < HEADLINE_LIMIT + 200 for h in store.history("a:1"))


def test_a_sync_that_gets_a_long_entry_later_gets_a_short_headline(
    store: Store, write_import: WriteImport
) -> None:
    """The headline of a stored sync is recounted in SQL when new entries arrive."""
    from syncwatch.limits import headline

    first = integration_record("a:1", syncs=[sync_record("s1", "FAILED", ago(hours=3), logs=[
        log_record(ago(hours=2), "WARNING", "slow")])])  # fmt: skip
    import_files(store, [write_import([first], "one.json")], NOW)
    long = "Error\n\n" + "e" * 5_000
    second = integration_record("a:1", syncs=[sync_record("s1", "FAILED", ago(hours=3), logs=[
        log_record(ago(hours=2), "WARNING", "slow"),
        log_record(ago(hours=2, minutes=30), "ERROR", long)])])  # fmt: skip
    report = import_files(store, [write_import([second], "two.json")], NOW)
    assert report.logs_added == 1
    [sync] = store.syncs("a:1")
    assert (sync.warnings, sync.errors, sync.headline) == (1, 1, headline(long))


def test_a_secret_across_the_cut_is_redacted_whole(store: Store, write_import: WriteImport) -> None:
    from syncwatch.limits import MESSAGE_LIMIT

    secret = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"
    text = "y" * (MESSAGE_LIMIT - 20) + " token " + secret + " tail"
    import_files(store, [write_import([integration_record("a:1", syncs=[
        _long_error_sync("s1", text)])])], NOW)  # fmt: skip
    [log] = store.logs("a:1")
    assert "16C7e42F" not in log.message and "16C7" not in log.message[-200:]


def test_derived_log_ids_are_derive_log_id_of_the_stored_texts(
    store: Store, write_import: WriteImport
) -> None:
    """The recipe another module (a migration) may apply to stored rows: the id of an
    id-less entry is derive_log_id over its stored (redacted, capped) field and message."""
    from syncwatch.importer import derive_log_id, stored_text
    from syncwatch.limits import MESSAGE_LIMIT
    from syncwatch.redact import redact

    at = datetime(2026, 11, 26, 9, 15, 30, 250000, tzinfo=UTC)
    entries = [
        ("WARNING", "Could not fetch x: api_key=abc123def456", "hris.x?token=q9w8e7r6t5"),
        ("ERROR", "z" * (MESSAGE_LIMIT + 5), None),
        ("ERROR", "z" * (MESSAGE_LIMIT + 5), None),  # the second occurrence
    ]
    logs = [
        {"at": "2026-11-26T10:15:30.25+01:00", "level": level, "message": message, "field": field}
        for level, message, field in entries
    ]
    import_files(store, [write_import([integration_record("a:1", syncs=[
        sync_record("s1", "FAILED", ago(hours=4), logs=logs)])])], NOW)  # fmt: skip
    expected = {
        derive_log_id(
            "s1", at, level, None if field is None else redact(field), stored_text(message), n
        )
        for (level, message, field), n in zip(entries, (1, 1, 2), strict=True)
    }
    assert {log.id for log in store.logs("a:1")} == expected


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the command's output
def test_the_import_summary_says_how_many_messages_were_cut(
    db_url: str, write_import: WriteImport, capsys: pytest.CaptureFixture[str]
) -> None:
    from syncwatch.cli import main
    from syncwatch.limits import MESSAGE_LIMIT

    path = write_import([integration_record("a:1", syncs=[
        _long_error_sync("s1", "m" * (MESSAGE_LIMIT + 1)),
        _long_error_sync("s2", "n" * (MESSAGE_LIMIT * 2))])])  # fmt: skip
    assert main(["--db", db_url, "--now", "2026-11-26T12:00:00Z", "import", path]) == 0
    out = capsys.readouterr().out
    assert "2 log entries added" in out
    assert f"2 messages cut: longer than {MESSAGE_LIMIT:,} characters" in out
    assert main(["--db", db_url, "--now", "2026-11-26T12:00:00Z", "import", path]) == 0
    assert "cut" not in capsys.readouterr().out
