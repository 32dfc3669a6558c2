"""Issue 12, finding 4 for Kombo: every text Kombo delivers that syncwatch stores or shows is
redacted before it is stored (the event body kept for replay, organisation and tool names,
issue types, titles and messages, log URLs), ids are kept exact (one that holds a secret is
refused), names are cut at ``NAME_LIMIT`` and issue messages at ``MESSAGE_LIMIT``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from kombo_support import Client, end_user, event_body, example, sync_finished

from syncwatch.cli import main
from syncwatch.db import Store
from syncwatch.db.kombo import integration_issues
from syncwatch.kombo.apply import replay
from syncwatch.limits import MESSAGE_LIMIT, NAME_LIMIT, cut_marker
from syncwatch.redact import REDACTED

KOMBO_ID = "personio:CBNMt7dSNCzBdnRTx87dev4E"
TOKEN = "0b7e3c1a9f2d4e6b8a0c"  # what a Bearer token of a test looks like
GITLAB = "glpat-xY9zAbCdEfGhIjKlMnOp"
GITLAB_SECRET = "xY9zAbCdEfGhIjKlMnOp"


def _issue(**issue: Any) -> dict[str, Any]:
    doc = json.loads(example("issue-status-changed"))
    doc["data"]["issue"].update(issue)
    return doc


def _send(receiver: Client, doc: dict[str, Any]) -> Any:
    return receiver.post(json.dumps(doc).encode())


def _database_text(store: Store) -> str:
    """Every text value in every table: what `strings` on the file could find."""
    found: list[str] = []
    with store.read() as conn:
        meta = sa.MetaData()
        meta.reflect(conn)
        for table in meta.sorted_tables:
            for row in conn.execute(sa.select(table)):
                found.extend(str(v) for v in row if isinstance(v, str))
    return "\n".join(found)


def test_issue_texts_are_redacted_before_they_are_stored_or_shown(
    receiver: Client, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _issue(
        type=f"integration.auth Bearer {TOKEN}",
        title=f"Authentication failed with {GITLAB}",
        markdown_message="Kombo tried `Authorization: Bearer%20" + TOKEN + "`, then pass=hunter22",
    )
    assert _send(receiver, doc).json()["outcome"] == "applied"
    (issue,) = integration_issues(store, KOMBO_ID)
    assert issue.type == f"integration.auth Bearer {REDACTED}"
    assert issue.title == f"Authentication failed with glpat-{REDACTED}"
    assert issue.message == (
        f"Kombo tried `Authorization: Bearer%20{REDACTED}`, then pass={REDACTED}"
    )
    url = store.engine.url.render_as_string(hide_password=False)
    assert main(["--db", url, "--now", "2026-11-26T12:00:00Z", "show", KOMBO_ID, "--json"]) == 0
    shown = capsys.readouterr().out
    everything = _database_text(store) + shown
    for secret in (TOKEN, GITLAB_SECRET, "hunter22"):
        assert secret not in everything


def test_a_secret_hidden_by_json_escapes_is_not_stored(receiver: Client, store: Store) -> None:
    """``\\u0020`` in the raw body is a space once parsed: the raw text hides the header."""
    raw = example("issue-status-changed").replace(
        b'"Authentication failed"', b'"Authentication failed: Bearer\\u00a0' + TOKEN.encode() + b'"'
    )
    assert receiver.post(raw).json()["outcome"] == "applied"
    (issue,) = integration_issues(store, KOMBO_ID)
    assert issue.title == f"Authentication failed: Bearer\u00a0{REDACTED}"
    assert TOKEN not in _database_text(store)


def test_a_secret_under_a_secret_name_in_an_event_body_is_not_stored(
    receiver: Client, store: Store
) -> None:
    """A field that names a secret ("password": ..., also nested) loses its value, and a key
    in a field *name* goes too; the event still applies."""
    doc = json.loads(example("integration-created"))
    doc["data"]["credentials"] = {"password": {"value": "hunter22"}, "api_key": 12345678}
    doc["data"][f"x-{GITLAB}"] = True
    assert _send(receiver, doc).json()["outcome"] == "applied"
    _outcome, body = receiver.stored()[doc["id"]]
    for secret in ("hunter22", "12345678", GITLAB_SECRET):
        assert secret not in body
    assert json.loads(body)["data"]["credentials"] == {
        "password": {"value": REDACTED},
        "api_key": REDACTED,
    }
    assert GITLAB_SECRET not in _database_text(store)


def test_names_and_log_urls_are_redacted(receiver: Client, store: Store) -> None:
    body = json.loads(
        sync_finished("e1", "s1", "SUCCEEDED", "2026-11-26T10:00:00Z", "2026-11-26T10:05:00Z")
    )
    data = body["data"]
    data["integration_tool"] = f"personio {GITLAB}"
    data["end_user"] = end_user("Acme (https://admin:hunter22@acme.example/hr)")
    data["log_url"] = "https://app.kombo.dev/logs/s1?sig=Kx9%2Bv3Yq0aBcDeF%3D&x=1"
    assert _send(receiver, body).json()["outcome"] == "applied"
    (row,) = store.integrations()
    assert row.organization == f"Acme (https://admin:{REDACTED}@acme.example/hr)"
    assert row.tool == f"personio glpat-{REDACTED}"
    (sync,) = store.syncs(row.id)
    assert sync.log_url == f"https://app.kombo.dev/logs/s1?sig={REDACTED}&x=1"
    text = _database_text(store)
    for secret in ("hunter22", GITLAB_SECRET, "Kx9%2Bv3Yq0aBcDeF"):
        assert secret not in text


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("event id", f"evt-Bearer {TOKEN}"),
        ("integration id", f"personio:{GITLAB}"),
        ("sync id", f"sync?access_token={TOKEN}"),
        ("issue id", f"issue-{GITLAB}"),
        ("event type", f"sync-finished Bearer {TOKEN}"),
    ],
)
def test_an_id_that_holds_a_secret_is_refused_with_400(
    receiver: Client, store: Store, where: str, value: str
) -> None:
    """Ids are kept exact (they join events to rows): one that holds a secret cannot be
    redacted and stays the same id, so the event is refused, saying which id, and nothing
    is stored. The answer never repeats the secret."""
    if where == "issue id":
        doc = _issue(id=value)
    else:
        doc = json.loads(
            sync_finished("e1", "s1", "SUCCEEDED", "2026-11-26T10:00:00Z", "2026-11-26T10:05:00Z")
        )
        key = {"event id": ("id",), "event type": ("type",)}.get(where)
        if key:
            doc[key[0]] = value
        else:
            doc["data"]["integration_id" if where == "integration id" else "sync_id"] = value
    answer = _send(receiver, doc)
    assert answer.status_code == 400
    assert "secret" in answer.json()["error"]
    assert TOKEN not in answer.text and GITLAB_SECRET not in answer.text
    assert receiver.stored() == {}
    assert store.integrations() == []


def test_long_names_are_cut_and_long_issue_messages_capped(receiver: Client, store: Store) -> None:
    long_org = "Acme " + "x" * (NAME_LIMIT * 3)
    long_title = "Authentication failed " + "y" * (NAME_LIMIT * 2)
    long_message = "m" * (MESSAGE_LIMIT + 500)
    doc = _issue(title=long_title, type="t" * (NAME_LIMIT + 1), markdown_message=long_message)
    doc["data"]["integration"]["end_user"]["organization_name"] = long_org
    doc["data"]["integration"]["tool"] = "p" * (NAME_LIMIT + 10)
    assert _send(receiver, doc).json()["outcome"] == "applied"
    (row,) = store.integrations()
    assert len(row.organization) == NAME_LIMIT and row.organization.endswith("…")
    assert row.organization.startswith("Acme xxx")
    assert len(row.tool) == NAME_LIMIT
    (issue,) = integration_issues(store, KOMBO_ID)
    assert len(issue.title) == NAME_LIMIT and issue.title.startswith("Authentication failed y")
    assert len(issue.type) == NAME_LIMIT
    assert issue.message == "m" * MESSAGE_LIMIT + cut_marker(len(long_message))


def test_stored_bodies_replay_to_the_same_redacted_facts(
    receiver: Client, store: Store, tmp_path: Path
) -> None:
    """A stored body is redacted, and replaying it gives what applying the original gave."""
    doc = _issue(
        title=f"Authentication failed with {GITLAB}",
        markdown_message="n" * (MESSAGE_LIMIT + 1) + f" Bearer {TOKEN}",
    )
    doc["data"]["integration"]["end_user"]["organization_name"] = (
        "Acme (https://admin:hunter22@acme.example) " + "z" * NAME_LIMIT
    )
    assert _send(receiver, doc).json()["outcome"] == "applied"
    sync = json.loads(
        sync_finished("e1", "s1", "FAILED", "2026-11-26T10:00:00Z", "2026-11-26T10:05:00Z")
    )
    sync["data"]["integration_id"] = KOMBO_ID
    sync["data"]["log_url"] += f"?access_token={TOKEN}"
    assert _send(receiver, sync).json()["outcome"] == "applied"
    target = Store.open(f"sqlite:///{tmp_path / 'replayed.db'}")
    try:
        report = replay(store, target)
        assert report.unreadable == [] and report.replayed == 2
        assert target.integrations() == store.integrations()
        assert target.syncs(KOMBO_ID) == store.syncs(KOMBO_ID)
        assert integration_issues(target, KOMBO_ID) == integration_issues(store, KOMBO_ID)
        text = _database_text(target)
    finally:
        target.close()
    for secret in (GITLAB_SECRET, TOKEN, "hunter22"):
        assert secret not in text


def test_an_event_without_secrets_is_stored_byte_for_byte(receiver: Client) -> None:
    """The audit record keeps what Kombo sent whenever there is nothing to hide."""
    raw = example("issue-status-changed")
    assert receiver.post(raw).status_code == 200
    _outcome, body = receiver.stored()[json.loads(raw)["id"]]
    assert body == raw.decode()


def test_an_unknown_event_type_is_redacted_too(receiver: Client) -> None:
    raw = event_body("e9", "data-changed", {"note": f"Bearer {TOKEN}", "n_id": GITLAB})
    assert receiver.post(raw).json()["outcome"] == "ignored"
    _outcome, body = receiver.stored()["e9"]
    assert TOKEN not in body and GITLAB_SECRET not in body
