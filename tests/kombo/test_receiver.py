"""The webhook receiver, over real HTTP on loopback, with signatures computed here."""

from __future__ import annotations

import contextlib
import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fake_kombo import record, seed
from kombo_support import (
    SECRET,
    Client,
    event_body,
    example,
    state_changed,
    sync_finished,
)

from syncwatch.cli import main
from syncwatch.db import Store
from syncwatch.db.kombo import integration_issues
from syncwatch.kombo.events import sign
from syncwatch.kombo.receiver import MAX_BODY, WEBHOOK_PATH
from syncwatch.states import IntegrationState, QaStatus, SyncState

KOMBO_ID = "personio:CBNMt7dSNCzBdnRTx87dev4E"


def test_a_valid_signed_event_is_stored_raw_and_applied(receiver: Client, store: Store) -> None:
    body = example("sync-finished")
    resp = receiver.post(body)
    assert resp.status_code == 200
    assert resp.json() == {
        "id": "5gjAtURLPbnTiwgkaBfiA3WJ",
        "outcome": "applied",
        "duplicate": False,
    }
    # Stored exactly as received: the same bytes, for audit and replay.
    assert receiver.stored() == {"5gjAtURLPbnTiwgkaBfiA3WJ": ("applied", body.decode())}
    (sync,) = store.syncs(KOMBO_ID)
    assert (sync.id, sync.state) == ("B89SCXXho7Yw8PGo8AKJxLn4", SyncState.SUCCEEDED)
    row = store.get(KOMBO_ID)
    assert row is not None and row.organization == "Acme, Inc."
    assert row.state is IntegrationState.ACTIVE  # evaluated straight away


def test_signatures_are_base64url_without_padding() -> None:
    signature = sign(SECRET, b"{}")
    assert len(signature) == 43 and "=" not in signature
    assert "+" not in signature and "/" not in signature


def _nothing_stored(receiver: Client, store: Store) -> None:
    assert receiver.stored() == {}
    assert store.integrations() == []


def test_a_missing_signature_gets_401_and_stores_nothing(receiver: Client, store: Store) -> None:
    resp = receiver.post(example("sync-finished"), secret=None)
    assert resp.status_code == 401
    _nothing_stored(receiver, store)


def test_a_wrong_signature_gets_401_and_stores_nothing(receiver: Client, store: Store) -> None:
    body = example("integration-created")
    for signature in ("", "not-a-signature", sign(SECRET, body + b" "), sign(SECRET, body) + "x"):
        resp = receiver.post(body, headers={"X-Kombo-Signature": signature})
        assert resp.status_code == 401, signature
    _nothing_stored(receiver, store)


def test_a_body_signed_with_another_secret_gets_401(receiver: Client, store: Store) -> None:
    resp = receiver.post(example("integration-created"), secret=b"someone else's secret")
    assert resp.status_code == 401
    _nothing_stored(receiver, store)


def test_a_tampered_body_gets_401(receiver: Client, store: Store) -> None:
    body = example("integration-created")
    signature = sign(SECRET, body)
    tampered = body.replace(b"Acme, Inc.", b"Evil, Inc.")
    resp = receiver.post(tampered, headers={"X-Kombo-Signature": signature})
    assert resp.status_code == 401
    _nothing_stored(receiver, store)


def test_a_redelivered_id_is_acknowledged_and_applied_once(receiver: Client, store: Store) -> None:
    body = example("sync-finished")
    assert receiver.post(body).json()["duplicate"] is False
    revision = store.revision()
    history = store.history(KOMBO_ID)
    again = receiver.post(body)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert len(receiver.stored()) == 1
    assert store.revision() == revision
    assert store.history(KOMBO_ID) == history


def test_concurrent_deliveries_of_one_id_apply_once(receiver: Client, store: Store) -> None:
    body = sync_finished("ev-race", "s1", "FAILED", "2026-11-26T10:00:00Z", "2026-11-26T10:30:00Z")
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: receiver.post(body), range(16)))
    assert {r.status_code for r in results} == {200}
    assert sum(1 for r in results if not r.json()["duplicate"]) == 1
    assert list(receiver.stored()) == ["ev-race"]
    assert len(store.syncs("personio:acme")) == 1


def test_an_older_state_change_after_a_newer_one_does_not_roll_back(
    receiver: Client, store: Store
) -> None:
    newer = state_changed("ev-new", "2026-11-26T11:00:00Z", state="INACTIVE")
    older = state_changed("ev-old", "2026-11-26T10:00:00Z", state="ACTIVE")
    assert receiver.post(newer).json()["outcome"] == "applied"
    resp = receiver.post(older)
    assert resp.status_code == 200
    assert resp.json()["outcome"] == "stale"
    row = store.get("personio:acme")
    assert row is not None
    assert row.enabled is False and row.state is IntegrationState.INACTIVE
    assert receiver.stored()["ev-old"][0] == "stale"


def test_an_oversized_body_gets_413_and_stores_nothing(receiver: Client, store: Store) -> None:
    padding = "x" * MAX_BODY
    body = event_body("ev-big", "integration-created", {"padding": padding})
    resp = receiver.post(body)
    assert resp.status_code == 413
    _nothing_stored(receiver, store)


def test_an_oversized_streamed_body_without_length_gets_413(receiver: Client, store: Store) -> None:
    def chunks() -> object:
        for _ in range(40):
            yield b"x" * 65536  # 2.5 MiB in all, chunked: no Content-Length

    resp = receiver.http.post(
        WEBHOOK_PATH, content=chunks(), headers={"X-Kombo-Signature": "irrelevant"}
    )
    assert resp.status_code == 413
    _nothing_stored(receiver, store)


def test_a_body_of_exactly_the_limit_is_read(receiver: Client, store: Store) -> None:
    base = event_body("ev-limit", "some-future-type", {"pad": ""})
    body = base.replace(b'"pad": ""', b'"pad": "' + b"y" * (MAX_BODY - len(base)) + b'"')
    assert len(body) == MAX_BODY
    assert receiver.post(body).status_code == 200


def test_malformed_bodies_get_400_and_store_nothing(receiver: Client, store: Store) -> None:
    bad = [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'"a string"',
        b'{"type": "integration-created", "data": {}}',
        b'{"id": 42, "type": "integration-created", "data": {}}',
        b'{"id": "ev", "data": {}}',
        b'{"id": "ev", "type": "sync-finished", "data": []}',
        b'{"id": "ev", "type": "sync-finished", "data": null}',
        # A type syncwatch applies, without the fields it reads:
        event_body("ev", "sync-finished", {"sync_id": "s1"}),
        event_body("ev", "integration-created", {"id": "x", "tool": "t", "category": "NOPE"}),
        state_changed("ev", "yesterday"),
        state_changed("ev", "2026-11-26T10:00:00"),  # no time zone
        sync_finished("ev", "s1", "SUCCEEDED", "2026-11-26T10:00:00Z", "2026-11-26T09:00:00Z"),
    ]
    for body in bad:
        resp = receiver.post(body)
        assert resp.status_code == 400, body
        assert "error" in resp.json()
    _nothing_stored(receiver, store)


def test_an_unknown_type_is_stored_and_acknowledged_but_changes_nothing(
    receiver: Client, store: Store
) -> None:
    body = event_body("ev-future", "data-changed", {"integration_id": "personio:acme"})
    resp = receiver.post(body)
    assert resp.status_code == 200
    assert resp.json()["outcome"] == "ignored"
    assert receiver.stored() == {"ev-future": ("ignored", body.decode())}
    assert store.integrations() == []


def test_only_post_is_served(receiver: Client) -> None:
    assert receiver.http.get(WEBHOOK_PATH).status_code == 405
    assert receiver.http.get("/healthz").json() == {"ok": True}
    assert receiver.http.post("/elsewhere", content=b"{}").status_code == 404


# --------------------------------------------------------------------------- the five types


def test_kombos_five_example_events_in_a_lifecycle(receiver: Client, store: Store) -> None:
    assert receiver.post(example("integration-created")).json()["outcome"] == "applied"
    row = store.get(KOMBO_ID)
    assert row is not None
    assert (row.tool, row.category, row.organization) == ("personio", "HRIS", "Acme, Inc.")
    assert row.state is IntegrationState.SETUP  # no filters until Kombo says so

    # A sync ran (2021 in Kombo's example), so filters are configured; it succeeded: QA
    # passed, active.
    assert receiver.post(example("sync-finished")).json()["outcome"] == "applied"
    row = store.get(KOMBO_ID)
    assert row is not None and row.filters_configured
    assert row.qa_status is QaStatus.PASSED and row.state is IntegrationState.ACTIVE
    (sync,) = store.syncs(KOMBO_ID)
    assert sync.state is SyncState.SUCCEEDED

    # ACTIVE, qa PENDING, no setup_status (as in Kombo's 2023 example): filters stay as they
    # were; PENDING is undecided, so the evaluator decides QA again from the first sync.
    assert receiver.post(example("integration-state-changed")).json()["outcome"] == "applied"
    row = store.get(KOMBO_ID)
    assert row is not None and row.enabled and row.filters_configured
    assert row.qa_status is QaStatus.PASSED and row.state is IntegrationState.ACTIVE

    assert receiver.post(example("issue-status-changed")).json()["outcome"] == "applied"
    (issue,) = integration_issues(store, KOMBO_ID)
    assert (issue.status, issue.title, issue.type) == (
        "OPEN",
        "Authentication failed",
        "integration.authentication_failed",
    )

    assert receiver.post(example("integration-deleted")).json()["outcome"] == "applied"
    row = store.get(KOMBO_ID)
    assert row is not None and row.deleted_at is not None
    assert row.state is IntegrationState.DELETED
    # Deletion is final: later events for it change nothing.
    late = state_changed("ev-late", "2030-01-01T00:00:00Z", iid=KOMBO_ID)
    assert receiver.post(late).json()["outcome"] == "ignored"
    assert (
        receiver.post(example("integration-created").replace(b"Ez8e", b"Zz8e")).json()["outcome"]
        == "ignored"
    )


def test_events_still_apply_to_an_integration_deleted_later(receiver: Client, store: Store) -> None:
    seed(store, record("personio:acme", deleted_at="2026-11-27T12:00:00Z"))  # tomorrow
    # Its deletion is dated tomorrow: until then Kombo's news about it counts.
    done = receiver.post(state_changed("e1", "2026-11-26T08:00:00Z", state="INVALID"))
    assert done.json()["outcome"] == "applied"
    row = store.get("personio:acme")
    assert row is not None and row.state is IntegrationState.CREDENTIALS_INVALID


def test_state_changed_maps_kombos_states_onto_the_facts(receiver: Client, store: Store) -> None:
    receiver.post(state_changed("e1", "2026-11-26T08:00:00Z", state="INVALID"))
    row = store.get("personio:acme")
    assert row is not None and row.credentials_invalid_at is not None
    assert row.state is IntegrationState.CREDENTIALS_INVALID
    api = row.api
    assert api is not None and api.status.value == "INVALID"

    receiver.post(state_changed("e2", "2026-11-26T09:00:00Z", state="ACTIVE"))
    row = store.get("personio:acme")
    assert row is not None and row.credentials_invalid_at is None
    assert row.credentials_updated_at is not None  # only syncs from then on count
    assert row.state is IntegrationState.ACTIVE

    receiver.post(
        state_changed(
            "e3",
            "2026-11-26T10:00:00Z",
            state="INACTIVE",
            setup_status="INCOMPLETE",
            qa_status="FAILED",
        )
    )
    row = store.get("personio:acme")
    assert row is not None and not row.enabled and not row.filters_configured
    assert row.qa_status is QaStatus.FAILED
    assert row.disabled_reason == "set inactive in Kombo"
    assert row.state is IntegrationState.INACTIVE


def test_a_sync_for_an_unknown_integration_creates_it(receiver: Client, store: Store) -> None:
    receiver.post(
        sync_finished(
            "e1",
            "s1",
            "AUTHENTICATION_FAILED",
            "2026-11-26T10:00:00Z",
            "2026-11-26T10:05:00Z",
            iid="bamboohr:new",
        )
    )
    row = store.get("bamboohr:new")
    assert row is not None and row.organization == "Acme GmbH"
    assert row.created_at.isoformat() == "2026-11-26T10:00:00+00:00"  # when it first synced
    # The first sync failed on authentication: held for QA, as docs/rules.md says ("QA hold").
    assert row.state is IntegrationState.QUALITY_ASSURANCE


def test_a_resolved_issue_is_not_reopened_by_a_late_raise(receiver: Client, store: Store) -> None:
    raised = json.loads(example("issue-status-changed"))
    resolved = json.loads(example("issue-status-changed"))
    resolved["id"] = "ev-resolved"
    resolved["data"]["change"] = "resolved"
    resolved["data"]["issue"].update(status="RESOLVED", resolved_at="2023-11-08T09:00:00Z")
    assert receiver.post(json.dumps(resolved).encode()).json()["outcome"] == "applied"
    assert receiver.post(json.dumps(raised).encode()).json()["outcome"] == "stale"
    (issue,) = integration_issues(store, KOMBO_ID)
    assert issue.status == "RESOLVED" and not issue.open


def test_an_environment_wide_issue_needs_no_integration(receiver: Client, store: Store) -> None:
    doc = json.loads(example("issue-status-changed"))
    doc["data"]["integration"] = None
    assert receiver.post(json.dumps(doc).encode()).json()["outcome"] == "applied"
    assert store.integrations() == []


def test_secrets_in_event_text_are_redacted_when_stored(receiver: Client, store: Store) -> None:
    body = sync_finished("e1", "s1", "SUCCEEDED", "2026-11-26T10:00:00Z", "2026-11-26T10:05:00Z")
    body = body.replace(b"/logs/s1", b"/logs/s1?access_token=abcdef0123456789secret")
    receiver.post(body)
    _outcome, stored = receiver.stored()["e1"]
    assert "abcdef0123456789secret" not in stored and "[REDACTED]" in stored
    assert json.loads(stored)["data"]["sync_id"] == "s1"  # still an event that replays


def test_an_unknown_sync_state_is_stored_and_ignored(receiver: Client, store: Store) -> None:
    body = sync_finished("e1", "s1", "EXPLODED", "2026-11-26T10:00:00Z", "2026-11-26T10:05:00Z")
    assert receiver.post(body).json()["outcome"] == "ignored"
    assert store.integrations() == []


def test_a_client_that_hangs_up_does_not_break_the_receiver(receiver: Client) -> None:
    with (
        httpx.Client(base_url=receiver.url, timeout=0.001) as impatient,
        contextlib.suppress(httpx.HTTPError),
    ):
        impatient.post(WEBHOOK_PATH, content=b"x" * 100_000)
    assert receiver.http.get("/healthz").status_code == 200


def test_show_lists_open_issues_first_then_resolved(
    receiver: Client, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    old = json.loads(example("issue-status-changed"))
    old["id"] = "ev-old-issue"
    old["data"]["change"] = "resolved"
    old["data"]["issue"].update(
        id="issue-old", title="Missing permissions", status="RESOLVED",
        first_observed_at="2023-11-01T00:00:00Z", resolved_at="2023-11-02T00:00:00Z",
    )  # fmt: skip
    assert receiver.post(json.dumps(old).encode()).status_code == 200
    assert receiver.post(example("issue-status-changed")).status_code == 200
    url = store.engine.url.render_as_string(hide_password=False)
    assert main(["--db", url, "--now", "2026-11-26T12:00:00Z", "show", KOMBO_ID, "--json"]) == 0
    issues = json.loads(capsys.readouterr().out)["issues"]
    assert [(i["title"], i["status"], i["resolved_at"]) for i in issues] == [
        ("Authentication failed", "OPEN", None),
        ("Missing permissions", "RESOLVED", "2023-11-02T00:00:00Z"),
    ]
    assert main(["--db", url, "--now", "2026-11-26T12:00:00Z", "show", KOMBO_ID]) == 0
    text = capsys.readouterr().out
    assert "Kombo issues (1 open, 1 resolved)" in text
    assert text.index("Authentication failed") < text.index("Missing permissions")
