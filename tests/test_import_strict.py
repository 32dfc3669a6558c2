"""Issue 12, finding 5 (and 11's name limit): the import format's types are strict.

Times are ISO 8601 strings with a zone, booleans are JSON booleans, names have a length
limit. Anything else is an error naming the file and the JSON path, and the import changes
nothing. (Before: ``"1790000000"``, ``0`` and ``1e12`` became times, ``"yes"`` and ``0``
booleans.)

Validation happens before the database is touched, so these run on SQLite only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from builders import NOW, WriteImport, ago, db_snapshot, integration_record, log_record, sync_record
from syncwatch.db import Store
from syncwatch.importer import ImportRejected, import_files
from syncwatch.limits import NAME_LIMIT

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _with_sync(**fields: Any) -> dict[str, Any]:
    sync = sync_record(
        "s1", "SUCCEEDED", ago(hours=3), logs=[log_record(ago(hours=3), "INFO", "ok")]
    )
    sync.update(fields)
    return integration_record("a:1", syncs=[sync])


def _with_log(**fields: Any) -> dict[str, Any]:
    log = log_record(ago(hours=3), "INFO", "ok")
    log.update(fields)
    return integration_record(
        "a:1", syncs=[sync_record("s1", "SUCCEEDED", ago(hours=3), logs=[log])]
    )


LAX = [
    pytest.param(integration_record("a:1", created_at="1790000000"), "integrations[0].created_at",
                 id="created_at-numeric-string"),
    pytest.param(integration_record("a:1", created_at=0), "integrations[0].created_at",
                 id="created_at-zero"),
    pytest.param(integration_record("a:1", created_at=1e12), "integrations[0].created_at",
                 id="created_at-float-milliseconds"),
    pytest.param(integration_record("a:1", created_at=1790000000), "integrations[0].created_at",
                 id="created_at-integer"),
    pytest.param(integration_record("a:1", deleted_at="1790000000.5"),
                 "integrations[0].deleted_at", id="deleted_at-decimal-string"),
    pytest.param(integration_record("a:1", last_api_request_at="2026-11-01_09:00:00Z"),
                 "integrations[0].last_api_request_at", id="underscore-separator"),
    pytest.param(_with_sync(started_at=1790000000), "integrations[0].syncs[0].started_at",
                 id="started_at-integer"),
    pytest.param(_with_sync(ended_at="1790000000"), "integrations[0].syncs[0].ended_at",
                 id="ended_at-numeric-string"),
    pytest.param(_with_log(at="1790000000"), "integrations[0].syncs[0].logs[0].at",
                 id="log-at-numeric-string"),
    pytest.param(integration_record("a:1", filters_configured="yes"),
                 "integrations[0].filters_configured", id="bool-yes"),
    pytest.param(integration_record("a:1", enabled=0), "integrations[0].enabled", id="bool-zero"),
    pytest.param(integration_record("a:1", enabled=1), "integrations[0].enabled", id="bool-one"),
    pytest.param(integration_record("a:1", enabled="true"), "integrations[0].enabled",
                 id="bool-string-true"),
]  # fmt: skip


@pytest.mark.parametrize(("record", "path"), LAX)
def test_a_value_of_a_lax_type_is_refused_with_its_json_path(
    store: Store, write_import: WriteImport, record: dict[str, Any], path: str
) -> None:
    import_files(store, [write_import([integration_record("b:1")], "first.json")], NOW)
    before = db_snapshot(store)
    bad = write_import([record], "bad.json")

    with pytest.raises(ImportRejected) as err:
        import_files(store, [bad], NOW)

    [problem] = err.value.problems
    assert (problem.file, problem.path) == (bad, path)
    field = path.rsplit(".", 1)[-1]
    expected = "true or false" if field in ("enabled", "filters_configured") else "ISO 8601"
    assert expected in problem.message
    assert db_snapshot(store) == before


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        pytest.param("2026-11-01T09:00:00Z", datetime(2026, 11, 1, 9, tzinfo=UTC), id="Z"),
        pytest.param("2026-11-01t09:00:00z", datetime(2026, 11, 1, 9, tzinfo=UTC), id="lower"),
        pytest.param("2026-11-01 10:00:00+01:00", datetime(2026, 11, 1, 9, tzinfo=UTC),
                     id="space-and-offset"),
        pytest.param("2026-11-01T09:00Z", datetime(2026, 11, 1, 9, tzinfo=UTC), id="no-seconds"),
        pytest.param("2026-11-01T09:00:00.25-02:30",
                     datetime(2026, 11, 1, 11, 30, 0, 250000, tzinfo=UTC), id="fraction"),
    ],
)  # fmt: skip
def test_iso_8601_times_with_a_zone_are_accepted(
    store: Store, write_import: WriteImport, text: str, stored: datetime
) -> None:
    import_files(store, [write_import([integration_record("a:1", created_at=text)])], NOW)
    row = store.get("a:1")
    assert row is not None
    assert row.created_at == stored


NAMES = [
    pytest.param(lambda n: integration_record(n, tool="t"), "integrations[0].id",
                 id="integration-id"),
    pytest.param(lambda n: integration_record("a:1", tool=n), "integrations[0].tool", id="tool"),
    pytest.param(lambda n: integration_record("a:1", organization=n),
                 "integrations[0].organization", id="organization"),
    pytest.param(lambda n: integration_record(
        "a:1", syncs=[sync_record(n, "SUCCEEDED", ago(hours=1))]),
        "integrations[0].syncs[0].id", id="sync-id"),
    pytest.param(lambda n: _with_log(id=n), "integrations[0].syncs[0].logs[0].id", id="log-id"),
    pytest.param(lambda n: _with_log(field=n), "integrations[0].syncs[0].logs[0].field",
                 id="log-field"),
]  # fmt: skip


@pytest.mark.parametrize(("build", "path"), NAMES)
def test_a_name_longer_than_the_limit_is_refused_with_its_json_path(
    store: Store, write_import: WriteImport, build: Any, path: str
) -> None:
    bad = write_import([build("n" * (NAME_LIMIT + 1))])
    with pytest.raises(ImportRejected) as err:
        import_files(store, [bad], NOW)
    [problem] = err.value.problems
    assert (problem.file, problem.path) == (bad, path)
    assert f"{NAME_LIMIT:,}" in problem.message
    assert store.counts()["integrations"] == 0


@pytest.mark.parametrize(("build", "path"), NAMES)
def test_a_name_at_the_limit_is_kept_exactly(
    store: Store, write_import: WriteImport, build: Any, path: str
) -> None:
    name = "n" * NAME_LIMIT
    import_files(store, [write_import([build(name)])], NOW)
    [row] = store.integrations()
    kept = {row.id, row.tool, row.organization}
    for sync in store.syncs(row.id):
        kept.add(sync.id)
    for log in store.logs(row.id):
        kept |= {log.id, log.field or ""}
    assert name in kept
