"""Stored events replayed into a fresh database give the same facts as the original."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kombo_support import Client, event_body, example, state_changed, sync_finished

from syncwatch.cli import main
from syncwatch.db import Store
from syncwatch.db.kombo import integration_issues, stored_event_ids

KOMBO_ID = "personio:CBNMt7dSNCzBdnRTx87dev4E"


def _history(store: Store) -> list[tuple[str, int, str, str]]:
    return [
        (r.id, i, (h.from_state.value if h.from_state else ""), h.to_state.value)
        for r in store.integrations()
        for i, h in enumerate(store.history(r.id))
    ]


def _snapshot(store: Store) -> dict[str, object]:
    rows = store.integrations()
    return {
        "integrations": rows,
        "syncs": {r.id: store.syncs(r.id) for r in rows},
        "issues": {r.id: integration_issues(store, r.id) for r in rows},
        "history": {r.id: store.history(r.id) for r in rows},
        "events": store.events(),
        "webhook_events": list(stored_event_ids(store)),
    }


def _send_a_day(receiver: Client) -> None:
    for name in ("integration-created", "sync-finished", "issue-status-changed"):
        assert receiver.post(example(name)).status_code == 200
    bodies = [
        sync_finished(
            "e1", "s1", "PARTIALLY_FAILED", "2026-11-25T10:00:00Z", "2026-11-25T10:10:00Z"
        ),
        sync_finished(
            "e2", "s2", "AUTHENTICATION_FAILED", "2026-11-25T13:00:00Z", "2026-11-25T13:01:00Z"
        ),
        state_changed("e3", "2026-11-26T11:00:00Z", state="INVALID"),
        state_changed("e4", "2026-11-26T10:00:00Z", state="ACTIVE"),  # stale
        event_body("e5", "data-changed", {"integration_id": "personio:acme"}),  # unknown
        sync_finished(
            "e6", "s3", "SUCCEEDED", "2026-11-25T16:00:00Z", "2026-11-25T16:30:00Z", iid="hibob:x"
        ),
        sync_finished(
            "e1", "s1", "PARTIALLY_FAILED", "2026-11-25T10:00:00Z", "2026-11-25T10:10:00Z"
        ),
    ]
    for body in bodies:
        assert receiver.post(body).status_code == 200
    doc = json.loads(example("integration-deleted"))
    doc["data"]["id"] = "hibob:x"
    assert receiver.post(json.dumps(doc).encode()).status_code == 200


def test_replay_into_a_fresh_database_equals_the_original(
    receiver: Client, store: Store, tmp_path: Path
) -> None:
    _send_a_day(receiver)
    original = _snapshot(receiver.store)
    assert len(original["webhook_events"]) == 10  # type: ignore[arg-type]
    target = tmp_path / "replayed.db"
    source_url = str(store.engine.url.render_as_string(hide_password=False))
    assert main(["--db", str(target), "events", "replay", "--from", source_url]) == 0
    replayed = Store.open(target)
    try:
        assert _snapshot(replayed) == original
        # Replaying again changes nothing: every event is already there.
        assert main(["--db", str(target), "events", "replay", "--from", source_url]) == 0
        assert _snapshot(replayed) == original
    finally:
        replayed.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # CLI argument checks only
def test_replay_refuses_a_missing_source_or_itself(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    own = store.engine.url.render_as_string(hide_password=False)
    assert main(["--db", own, "events", "replay", "--from", str(tmp_path / "nope.db")]) == 2
    assert "no database file" in capsys.readouterr().err
    assert not (tmp_path / "nope.db").exists()
    assert main(["--db", own, "events", "replay", "--from", own]) == 2
    assert "target database itself" in capsys.readouterr().err


def test_events_list_shows_what_was_received(
    receiver: Client, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    receiver.post(example("sync-finished"))
    receiver.post(event_body("e9", "data-changed", {}))
    own = store.engine.url.render_as_string(hide_password=False)
    assert main(["--db", own, "events", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(e["id"], e["outcome"]) for e in listed] == [
        ("5gjAtURLPbnTiwgkaBfiA3WJ", "applied"),
        ("e9", "ignored"),
    ]
