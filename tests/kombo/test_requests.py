"""Asking Kombo for a reconnection link or a sync (issue 15, items 9 and 10): the real SDK
against the fake Kombo API on loopback; what is refused before Kombo is asked, what Kombo's
failures say, and what the audit log keeps (who, when, the kind; never the link)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from fake_kombo import API_KEY, NOW, FakeKombo, Reply, record, seed

from syncwatch.actions import Action, ActionRefused, UnknownIntegration, perform
from syncwatch.cli import main
from syncwatch.db import Store
from syncwatch.db.feed import activity
from syncwatch.feed import FeedQuery, entry_json, what_text
from syncwatch.kombo.remote import KomboRemote, KomboSettings
from syncwatch.kombo.requests import create_reconnection_link, trigger_sync
from syncwatch.states import IntegrationState
from syncwatch.upstream_requests import (
    SYNC_ADVICE,
    LinkType,
    SyncType,
    why_no_link,
    why_no_sync,
)

St = IntegrationState


def _sync(n: int, state: str, ended: str) -> dict[str, object]:
    end = NOW - timedelta(hours=int(ended.rstrip("h")))
    return {
        "id": f"sync_{state.lower()}_{ended}_{n}",
        "state": state,
        "started_at": (end - timedelta(minutes=10)).isoformat(),
        "ended_at": end.isoformat(),
    }


#: One integration per case: (id, import record fields, the state it shows at NOW).
CASES: dict[str, tuple[dict[str, object], IntegrationState]] = {
    "personio:on": ({"syncs": [_sync(1, "SUCCEEDED", "5h")]}, St.ACTIVE),
    "personio:auth": (
        {"syncs": [_sync(1, "SUCCEEDED", "30h"), _sync(2, "AUTHENTICATION_FAILED", "2h")]},
        St.AUTHENTICATION_FAILING,
    ),
    "personio:invalid": (
        {
            "syncs": [
                _sync(1, "SUCCEEDED", "200h"),
                _sync(2, "AUTHENTICATION_FAILED", "100h"),
                _sync(3, "AUTHENTICATION_FAILED", "2h"),
            ]
        },
        St.CREDENTIALS_INVALID,
    ),
    "personio:off": ({"enabled": False}, St.INACTIVE),
    "personio:gone": ({}, St.DELETED),
}


def seeded(store: Store, fake: FakeKombo) -> None:
    seed(store, *(record(iid, **fields) for iid, (fields, _) in CASES.items()))
    perform(store, Action.DELETE, "personio:gone", NOW, actor="setup")
    for iid, (_, state) in CASES.items():
        row = store.get(iid)
        assert row is not None and row.state is state, iid
        if state is not St.DELETED:
            fake.add(iid)


@pytest.fixture
def fake() -> Iterator[FakeKombo]:
    with FakeKombo() as f:
        yield f


@pytest.fixture
def remote(fake: FakeKombo) -> Iterator[KomboRemote]:
    with KomboRemote(KomboSettings(API_KEY, server_url=fake.url), sleep=lambda s: None) as r:
        yield r


def requests_audited(store: Store, iid: str) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (a.action, a.actor, a.state_before, a.state_after)
        for a in store.audit(iid)
        if a.action.startswith(("relink-link", "trigger-sync"))
    ]


# --------------------------------------------------------------------------- the one check


def test_a_link_is_for_failing_authentication_and_a_sync_for_enabled_valid_ones(
    store: Store, fake: FakeKombo
) -> None:
    seeded(store, fake)
    rows = {iid: store.get(iid) for iid in CASES}
    link = {iid: why_no_link(row, NOW) for iid, row in rows.items() if row}
    sync = {iid: why_no_sync(row, NOW) for iid, row in rows.items() if row}

    assert [iid for iid, why in link.items() if why is None] == [
        "personio:auth",
        "personio:invalid",
    ]
    assert "not failing authentication" in (link["personio:on"] or "")
    assert "deleted" in (link["personio:gone"] or "")
    assert [iid for iid, why in sync.items() if why is None] == ["personio:on", "personio:auth"]
    assert "reactivate it first" in (sync["personio:off"] or "")
    assert "syncs are paused" in (sync["personio:invalid"] or "")
    assert "relink-link personio:invalid --magic" in (sync["personio:invalid"] or "")
    assert "deleted" in (sync["personio:gone"] or "")
    for why in (*link.values(), *sync.values()):
        assert why is None or "\n" not in why


def test_credentials_failing_behind_another_state_still_get_a_link(
    store: Store, fake: FakeKombo
) -> None:
    seeded(store, fake)
    perform(store, Action.DEACTIVATE, "personio:invalid", NOW, actor="oncall")
    row = store.get("personio:invalid")
    assert row is not None and row.state is St.INACTIVE
    assert why_no_link(row, NOW) is None
    # A first sync failing on authentication holds it in QA: its credentials still fail.
    seed(store, record("personio:qa", syncs=[_sync(1, "AUTHENTICATION_FAILED", "3h")]))
    held = store.get("personio:qa")
    assert held is not None and held.state is St.QUALITY_ASSURANCE
    assert why_no_link(held, NOW) is None
    # New credentials since: a link is no longer what it needs.
    perform(store, Action.UPDATE_CREDENTIALS, "personio:qa", NOW, actor="oncall")
    updated = store.get("personio:qa")
    assert updated is not None and updated.state is St.QUALITY_ASSURANCE
    assert "not failing authentication" in (why_no_link(updated, NOW) or "")


# --------------------------------------------------------------------------- reconnection links


@pytest.mark.parametrize(
    ("link_type", "valid_for", "action"),
    [
        (LinkType.EMBEDDED, timedelta(hours=1), "relink-link-embedded"),
        (LinkType.MAGIC_LINK, timedelta(days=365), "relink-link-magic"),
    ],
)
def test_a_link_is_made_by_kombo_and_audited_without_the_link(
    store: Store,
    fake: FakeKombo,
    remote: KomboRemote,
    link_type: LinkType,
    valid_for: timedelta,
    action: str,
) -> None:
    seeded(store, fake)

    link = create_reconnection_link(store, remote, "personio:auth", link_type, NOW, "alice")

    (call,) = fake.calls("personio:auth", "POST")
    assert unquote(call.path) == "/v1/integrations/personio:auth/relink"
    assert json.loads(call.body)["link_type"] == link_type.value
    assert call.authorization == f"Bearer {API_KEY}"
    assert link.url == fake.links[-1]
    assert link.expires_at == NOW + valid_for
    assert link.url not in repr(link)
    assert requests_audited(store, "personio:auth") == [
        (action, "alice", "AUTHENTICATION_FAILING", "AUTHENTICATION_FAILING")
    ]
    # The activity feed says what was made, by whom, and until when it works.
    (entry,) = activity(
        store, FeedQuery(integration_id="personio:auth", actors=frozenset({"alice"}))
    )
    expiry = NOW + valid_for
    assert "Reconnection link" in what_text(entry)
    assert entry_json(entry)["expires_at"] == expiry.isoformat().replace("+00:00", "Z")
    assert link.url not in json.dumps(entry_json(entry))


def test_a_link_for_an_integration_not_failing_authentication_never_reaches_kombo(
    store: Store, fake: FakeKombo, remote: KomboRemote
) -> None:
    seeded(store, fake)
    for iid, why in (("personio:on", "not failing authentication"), ("personio:gone", "deleted")):
        with pytest.raises(ActionRefused, match=why):
            create_reconnection_link(store, remote, iid, LinkType.MAGIC_LINK, NOW, "alice")
    with pytest.raises(UnknownIntegration):
        create_reconnection_link(store, remote, "nope:x", LinkType.MAGIC_LINK, NOW, "alice")
    assert fake.requests == []
    assert requests_audited(store, "personio:on") == []


# --------------------------------------------------------------------------- sync triggers


def test_a_sync_is_triggered_for_that_integration_and_audited(
    store: Store, fake: FakeKombo, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded(store, fake)
    # The SDK would take the integration from this variable: the call names it itself.
    monkeypatch.setenv("INTEGRATION_ID", "personio:auth")
    with KomboRemote(KomboSettings(API_KEY, server_url=fake.url)) as remote:
        done = trigger_sync(store, remote, "personio:on", SyncType.DELTA, NOW, "bob")
        again = trigger_sync(store, remote, "personio:on", SyncType.DELTA, NOW, "bob")
        full = trigger_sync(store, remote, "personio:on", SyncType.FULL, NOW, "bob")

    calls = fake.calls("personio:on", "POST")
    assert [c.path for c in calls] == ["/v1/force-sync"] * 3
    assert [json.loads(c.body) for c in calls] == [
        {"type": "DELTA"},
        {"type": "DELTA"},
        {"type": "FULL"},
    ]
    assert fake.calls("personio:auth") == []
    assert (done.type, done.already_queued) == (SyncType.DELTA, False)
    assert (again.already_queued, again.sync_id) == (True, done.sync_id)
    assert (full.type, full.already_queued) == (SyncType.FULL, False)
    assert requests_audited(store, "personio:on") == [
        ("trigger-sync-delta", "bob", "ACTIVE", "ACTIVE"),
        ("trigger-sync-delta", "bob", "ACTIVE", "ACTIVE"),
        ("trigger-sync-full", "bob", "ACTIVE", "ACTIVE"),
    ]


def test_kombo_may_run_another_type_than_asked_and_says_so(
    store: Store, fake: FakeKombo, remote: KomboRemote
) -> None:
    seeded(store, fake)
    fake.full_only.add("personio")
    done = trigger_sync(store, remote, "personio:auth", SyncType.DELTA, NOW, "bob")
    assert (done.requested, done.type) == (SyncType.DELTA, SyncType.FULL)


@pytest.mark.parametrize(
    ("iid", "why"),
    [
        ("personio:off", "inactive; reactivate it first"),
        ("personio:invalid", "invalid credentials, so its syncs are paused"),
        ("personio:gone", "deleted"),
    ],
)
def test_a_sync_is_refused_with_the_reason_and_kombo_is_not_asked(
    store: Store, fake: FakeKombo, remote: KomboRemote, iid: str, why: str
) -> None:
    seeded(store, fake)
    audit = store.audit()
    with pytest.raises(ActionRefused, match=why):
        trigger_sync(store, remote, iid, SyncType.FULL, NOW, "bob")
    assert fake.requests == []
    assert store.audit() == audit


# --------------------------------------------------------------------------- Kombo failing


def _ask(kind: str, store: Store, remote: KomboRemote) -> object:
    if kind == "link":
        return create_reconnection_link(
            store, remote, "personio:auth", LinkType.EMBEDDED, NOW, "alice"
        )
    return trigger_sync(store, remote, "personio:auth", SyncType.DELTA, NOW, "alice")


@pytest.mark.parametrize("kind", ["link", "sync"])
@pytest.mark.parametrize(
    ("replies", "said", "attempts"),
    [
        ((Reply(400),), "Kombo refused the request (HTTP 400)", 1),
        ((Reply(404),), "Kombo does not know this integration (HTTP 404)", 1),
        ((Reply(500),), "Kombo answered HTTP 500", 3),
        ((Reply(503, raw=b"<html>down</html>"),), "Kombo answered HTTP 503", 3),
    ],
)
def test_a_kombo_failure_is_said_and_nothing_is_recorded(
    store: Store,
    fake: FakeKombo,
    remote: KomboRemote,
    kind: str,
    replies: tuple[Reply, ...],
    said: str,
    attempts: int,
) -> None:
    seeded(store, fake)
    fake.script("personio:auth", *replies)
    audit = store.audit()

    with pytest.raises(ActionRefused) as refused:
        _ask(kind, store, remote)

    text = str(refused.value)
    assert said in text and "Nothing was recorded" in text
    assert "Org personio:auth (personio:auth)" in text
    assert API_KEY not in text
    assert len(fake.calls("personio:auth")) == attempts
    assert store.audit() == audit


@pytest.mark.parametrize("kind", ["link", "sync"])
def test_a_500_then_success_is_retried_and_recorded_once(
    store: Store, fake: FakeKombo, remote: KomboRemote, kind: str
) -> None:
    seeded(store, fake)
    fake.script("personio:auth", Reply(500), Reply(200))
    _ask(kind, store, remote)
    assert len(fake.calls("personio:auth")) == 2
    assert len(requests_audited(store, "personio:auth")) == 1


@pytest.mark.parametrize("kind", ["link", "sync"])
def test_a_time_out_is_not_repeated_and_says_the_outcome_is_unknown(
    store: Store, fake: FakeKombo, kind: str
) -> None:
    seeded(store, fake)
    fake.script("personio:auth", Reply(hang=True))
    audit = store.audit()
    settings = KomboSettings(API_KEY, server_url=fake.url, timeout=0.2)

    with KomboRemote(settings) as slow, pytest.raises(ActionRefused) as refused:
        _ask(kind, store, slow)

    assert "did not answer in time" in str(refused.value)
    assert "may or may not have done it" in str(refused.value)
    assert len(fake.calls("personio:auth")) == 1
    assert store.audit() == audit


# --------------------------------------------------------------------------- the commands


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeKombo) -> Path:
    path = tmp_path / "cli.db"
    s = Store.open(str(path))
    seeded(s, fake)
    s.close()
    monkeypatch.setenv("SYNCWATCH_NOW", "2026-11-26T12:00:00Z")
    monkeypatch.setenv("KOMBO_API_KEY", API_KEY)
    monkeypatch.setenv("KOMBO_SERVER_URL", fake.url)
    monkeypatch.setenv("SYNCWATCH_KOMBO_REMOTE", "1")
    monkeypatch.delenv("KOMBO_SERVER", raising=False)
    monkeypatch.delenv("SYNCWATCH_OPERATOR", raising=False)
    return path


def _audit(path: Path, iid: str) -> list[tuple[str, str]]:
    s = Store.open(str(path))
    try:
        return [(a.action, a.actor) for a in s.audit(iid) if a.actor != "setup"]
    finally:
        s.close()


def _database_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


@pytest.mark.parametrize(
    ("command", "setting"),
    [
        (["relink-link", "personio:auth"], {"SYNCWATCH_KOMBO_REMOTE": None}),
        (["trigger-sync", "personio:on"], {"SYNCWATCH_KOMBO_REMOTE": "0"}),
        (["trigger-sync", "personio:on"], {"KOMBO_API_KEY": None}),
    ],
)
def test_without_remote_actions_on_the_commands_say_what_to_set(
    cli_db: Path,
    fake: FakeKombo,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    setting: dict[str, str | None],
) -> None:
    for name, value in setting.items():
        if value is None:
            monkeypatch.delenv(name)
        else:
            monkeypatch.setenv(name, value)

    code = main(["--db", str(cli_db), *command])

    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "SYNCWATCH_KOMBO_REMOTE" in err and "KOMBO_API_KEY" in err
    assert fake.requests == []
    assert _audit(cli_db, command[1]) == []


def test_relink_link_prints_the_link_alone_on_stdout_and_keeps_it_nowhere(
    cli_db: Path, fake: FakeKombo, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["--db", str(cli_db), "--operator", "alice", "relink-link", "personio:auth", "--magic"]
    )

    out, err = capsys.readouterr()
    assert code == 0, err
    assert out == fake.links[-1] + "\n"
    assert "magic link for Org personio:auth (personio:auth), valid 1 year" in err
    assert "until 2027-11-26T12:00:00Z" in err and "send it to the customer" in err
    assert _audit(cli_db, "personio:auth") == [("relink-link-magic", "alice")]
    token = fake.links[-1].rsplit("=", 1)[1].encode()
    assert token not in _database_bytes(cli_db)
    # The history says it too, with who.
    assert main(["--db", str(cli_db), "show", "personio:auth"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "Reconnection link (magic link, valid 1 year) (by alice), no change of state" in shown


def test_relink_link_for_a_healthy_integration_is_refused_in_one_line(
    cli_db: Path, fake: FakeKombo, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--db", str(cli_db), "relink-link", "personio:on"])
    _, err = capsys.readouterr()
    assert code == 1
    assert err.startswith("syncwatch: relink-link refused: Org personio:on (personio:on) is")
    assert len(err.strip().splitlines()) == 1
    assert fake.requests == []


def test_trigger_sync_says_what_kombo_queued_and_its_advice(
    cli_db: Path, fake: FakeKombo, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--db", str(cli_db), "--operator", "bob", "trigger-sync", "personio:on", "--full"])

    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Org personio:on (personio:on): Kombo queued a full sync (sync_1)." in out
    assert f"Kombo's advice: {SYNC_ADVICE}" in out
    (call,) = fake.calls("personio:on", "POST")
    assert json.loads(call.body) == {"type": "FULL"}
    assert _audit(cli_db, "personio:on") == [("trigger-sync-full", "bob")]
    assert main(["--db", str(cli_db), "trigger-sync", "personio:on", "--full"]) == 0
    assert "already queued or running (sync_1); Kombo made no new one" in capsys.readouterr().out
    assert main(["--db", str(cli_db), "activity", "--actor", "bob"]) == 0
    assert "Trigger sync (full)" in capsys.readouterr().out


def test_trigger_sync_help_shows_kombos_advice(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["trigger-sync", "--help"])
    assert "never on a schedule" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize(
    ("iid", "why"),
    [
        ("personio:off", "is inactive; reactivate it first"),
        ("personio:invalid", "has invalid credentials, so its syncs are paused"),
        ("personio:gone", "is deleted"),
    ],
)
def test_trigger_sync_refusals_are_one_line_with_the_reason(
    cli_db: Path, fake: FakeKombo, capsys: pytest.CaptureFixture[str], iid: str, why: str
) -> None:
    code = main(["--db", str(cli_db), "trigger-sync", iid])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.startswith("syncwatch: trigger-sync refused: ") and why in err
    assert len(err.strip().splitlines()) == 1
    assert fake.requests == []
    assert _audit(cli_db, iid) == []


def test_trigger_sync_when_kombo_fails_exits_1_without_the_key(
    cli_db: Path, fake: FakeKombo, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.script("personio:on", Reply(500))
    code = main(["--db", str(cli_db), "trigger-sync", "personio:on"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert "Kombo answered HTTP 500" in err and "after 3 attempts" in err
    assert API_KEY not in err
    assert _audit(cli_db, "personio:on") == []


def test_an_unknown_id_exits_1(cli_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(cli_db), "trigger-sync", "nope:x"]) == 1
    assert "no integration with id 'nope:x'" in capsys.readouterr().err
