"""Issue 12, finding 13: a deletion dated after ``now`` is not one yet.

Until ``deleted_at`` the integration shows its state as usual (the reason says when it will
be deleted), keeps Kombo's API view, is listed without ``--all`` and takes every action; the
pass is due at ``deleted_at``, so it shows DELETED from that second on.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from builders import NOW, WriteImport, ago, integration_record, sync_record
from syncwatch.actions import Action, perform
from syncwatch.cli import main
from syncwatch.db import Store
from syncwatch.importer import import_files
from syncwatch.present import deleted_fact, fmt_time
from syncwatch.states import ApiStatus, IntegrationState

St = IntegrationState
DELETES_AT = NOW + timedelta(hours=2)


def _import_future_deletion(store: Store, write_import: WriteImport) -> None:
    record = integration_record(
        "personio:later",
        filters_configured=True,
        deleted_at=DELETES_AT,
        syncs=[sync_record("s_later_1", "SUCCEEDED", ago(hours=3))],
    )
    import_files(store, [write_import([record])], NOW)


def test_a_deletion_dated_later_shows_the_state_until_then(
    store: Store, write_import: WriteImport
) -> None:
    _import_future_deletion(store, write_import)
    row = store.get("personio:later")
    assert row is not None
    assert row.state is St.ACTIVE
    assert not row.deleted
    assert row.api is not None and row.api.status is ApiStatus.ACTIVE
    assert f"to be deleted {fmt_time(DELETES_AT)}" in (row.state_reason or "")
    assert row.next_due_at == DELETES_AT
    # Listed without --all: it is not deleted yet.
    assert [r.id for r in store.integrations(include_deleted=False)] == ["personio:later"]

    # One second before: nothing is due. At deleted_at: DELETED, to the second.
    assert store.evaluate_pass(DELETES_AT - timedelta(seconds=1)).transitions == []
    result = store.evaluate_pass(DELETES_AT)
    assert [(t.from_state, t.to_state, t.at) for t in result.transitions] == [
        (St.ACTIVE, St.DELETED, DELETES_AT)
    ]
    row = store.get("personio:later")
    assert row is not None and row.deleted and row.api is None
    assert store.integrations(include_deleted=False) == []


def test_actions_are_allowed_until_the_deletion_and_delete_brings_it_forward(
    store: Store, write_import: WriteImport
) -> None:
    _import_future_deletion(store, write_import)
    done = perform(store, Action.DEACTIVATE, "personio:later", NOW, actor="t")
    assert done.state_after is St.INACTIVE
    done = perform(store, Action.DELETE, "personio:later", NOW + timedelta(minutes=5), actor="t")
    assert done.state_after is St.DELETED
    row = store.get("personio:later")
    assert row is not None and row.deleted_at == NOW + timedelta(minutes=5)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_list_json_shows_the_state_and_api_view_before_the_deletion(
    db_url: str, write_import: WriteImport, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store.open(db_url)
    try:
        _import_future_deletion(store, write_import)
    finally:
        store.close()
    assert main(["--db", db_url, "--now", NOW.isoformat(), "list", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["status"], row["api_status"]) == ("ACTIVE", "ACTIVE")
    assert main(["--db", db_url, "--now", DELETES_AT.isoformat(), "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_a_re_import_still_applies_until_the_deletion(
    store: Store, write_import: WriteImport
) -> None:
    _import_future_deletion(store, write_import)
    record = integration_record(
        "personio:later",
        filters_configured=True,
        deleted_at=DELETES_AT,
        syncs=[
            sync_record("s_later_1", "SUCCEEDED", ago(hours=3)),
            sync_record("s_later_2", "FAILED", ago(hours=1)),
        ],
    )
    report = import_files(store, [write_import([record])], NOW)
    assert report.skipped_deleted == []
    assert [s.id for s in store.syncs("personio:later")][:1] == ["s_later_2"]

    # Once the deletion has come, the same file is skipped: a deletion is never undone.
    later = import_files(store, [write_import([record])], DELETES_AT)
    assert later.skipped_deleted == ["personio:later"]


def test_the_facts_say_when_it_will_be_deleted_not_that_it_was(
    store: Store, write_import: WriteImport
) -> None:
    _import_future_deletion(store, write_import)
    row = store.get("personio:later")
    assert row is not None
    fact = deleted_fact(row)
    assert fact is not None and fact.value == f"to be deleted {fmt_time(DELETES_AT)}"

    store.evaluate_pass(DELETES_AT)
    row = store.get("personio:later")
    assert row is not None
    fact = deleted_fact(row)
    assert fact is not None and "deletion is final" in fact.value
