"""Remote actions: reactivate, deactivate and delete call Kombo first (a fake on loopback,
through the real SDK), and change nothing locally unless Kombo accepted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_kombo import API_KEY, NOW, FakeKombo, Reply, record, seed

from syncwatch.actions import Action, ActionRefused, perform, perform_many
from syncwatch.cli import main
from syncwatch.db import Store
from syncwatch.kombo.remote import (
    KomboConfigError,
    KomboRemote,
    KomboSettings,
    RetryPolicy,
    remote_from_env,
)
from syncwatch.states import IntegrationState

St = IntegrationState


@pytest.fixture
def fake() -> Iterator[FakeKombo]:
    with FakeKombo() as f:
        yield f


@pytest.fixture
def remote(fake: FakeKombo) -> Iterator[KomboRemote]:
    waits: list[float] = []
    with KomboRemote(KomboSettings(API_KEY, server_url=fake.url), sleep=waits.append) as r:
        r.waits = waits  # type: ignore[attr-defined]
        yield r


def seeded(store: Store, fake: FakeKombo) -> None:
    seed(store, record("personio:on"), record("personio:off", enabled=False))
    fake.add("personio:on")
    fake.add("personio:off", status="INACTIVE")


def snapshot(store: Store) -> tuple[object, ...]:
    return (store.integrations(), store.audit(), store.revision(), store.counts())


@pytest.mark.parametrize(
    ("action", "iid", "method", "body", "after"),
    [
        (Action.DEACTIVATE, "personio:on", "PUT", {"value": False}, St.INACTIVE),
        (Action.REACTIVATE, "personio:off", "PUT", {"value": True}, St.ACTIVE),
        (Action.DELETE, "personio:on", "DELETE", {}, St.DELETED),
    ],
)
def test_kombo_is_called_first_and_then_the_local_state_changes(
    store: Store,
    fake: FakeKombo,
    remote: KomboRemote,
    action: Action,
    iid: str,
    method: str,
    body: dict[str, object],
    after: IntegrationState,
) -> None:
    seeded(store, fake)

    result = perform(store, action, iid, NOW, actor="oncall", remote=remote)

    assert result.state_after is after
    (call,) = fake.calls(iid, method)
    assert json.loads(call.body) == body
    assert call.authorization == f"Bearer {API_KEY}"
    assert [a.action for a in store.audit(iid)] == [action.value]


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply(500), "Kombo answered HTTP 500"),
        (Reply(404), "Kombo does not know this integration (HTTP 404)"),
        (Reply(400), "Kombo refused the request (HTTP 400)"),
        (Reply(503, raw=b"<html>maintenance</html>"), "Kombo answered HTTP 503"),
    ],
)
def test_a_kombo_failure_is_shown_and_nothing_changes_locally(
    store: Store, fake: FakeKombo, remote: KomboRemote, reply: Reply, message: str
) -> None:
    seeded(store, fake)
    fake.script("personio:on", reply)
    before = snapshot(store)

    with pytest.raises(ActionRefused) as refused:
        perform(store, Action.DEACTIVATE, "personio:on", NOW, remote=remote)

    text = str(refused.value)
    assert message in text and "Nothing changed in syncwatch" in text
    assert "Org personio:on (personio:on)" in text
    assert snapshot(store) == before


def test_500_is_retried_a_few_times_then_given_up(
    store: Store, fake: FakeKombo, remote: KomboRemote
) -> None:
    seeded(store, fake)
    fake.script("personio:on", Reply(500))

    with pytest.raises(ActionRefused, match="after 3 attempts"):
        perform(store, Action.DELETE, "personio:on", NOW, remote=remote)
    assert len(fake.calls("personio:on", "DELETE")) == 3


def test_429_then_success_is_accepted_after_waiting_retry_after(
    store: Store, fake: FakeKombo, remote: KomboRemote
) -> None:
    seeded(store, fake)
    fake.script("personio:on", Reply(429, retry_after="2"), Reply(200))

    result = perform(store, Action.DEACTIVATE, "personio:on", NOW, remote=remote)

    assert result.state_after is St.INACTIVE
    assert remote.waits == [2.0]  # type: ignore[attr-defined]
    assert fake.integrations["personio:on"]["status"] == "INACTIVE"


def test_a_time_out_is_not_repeated_and_says_the_outcome_is_unknown(
    store: Store, fake: FakeKombo
) -> None:
    seeded(store, fake)
    fake.script("personio:on", Reply(hang=True))
    before = snapshot(store)
    settings = KomboSettings(API_KEY, server_url=fake.url, timeout=0.2)

    with KomboRemote(settings) as slow, pytest.raises(ActionRefused) as refused:
        perform(store, Action.DEACTIVATE, "personio:on", NOW, remote=slow)

    assert "did not answer in time" in str(refused.value)
    assert "may or may not have done it" in str(refused.value)
    assert len(fake.calls("personio:on")) == 1
    assert snapshot(store) == before


def test_kombo_unreachable_is_a_clear_refusal(store: Store) -> None:
    seed(store, record("personio:on"))
    before = snapshot(store)
    with FakeKombo() as gone:
        url = gone.url  # a port nobody listens on once the fake is stopped
    settings = KomboSettings(API_KEY, server_url=url)
    policy = RetryPolicy(attempts=2, base_delay=0.01)

    with (
        KomboRemote(settings, policy, sleep=lambda s: None) as remote,
        pytest.raises(ActionRefused, match="could not reach Kombo") as refused,
    ):
        perform(store, Action.DEACTIVATE, "personio:on", NOW, remote=remote)
    assert "after 2 attempts" in str(refused.value)
    assert snapshot(store) == before


def test_only_what_kombo_accepted_changes_when_acting_on_several(
    store: Store, fake: FakeKombo, remote: KomboRemote
) -> None:
    seed(store, record("personio:a"), record("personio:b"), record("personio:c"))
    for iid in ("personio:a", "personio:b", "personio:c"):
        fake.add(iid)
    fake.script("personio:b", Reply(400))

    results, refusals, unknown = perform_many(
        store,
        Action.DEACTIVATE,
        ["personio:a", "personio:b", "personio:c", "x:y"],
        NOW,
        remote=remote,
    )

    assert [r.integration_id for r in results] == ["personio:a", "personio:c"]
    assert [r.integration_id for r in refusals] == ["personio:b"]
    assert unknown == ["x:y"]
    b = store.get("personio:b")
    assert b is not None and b.enabled and store.audit("personio:b") == []


def test_actions_kombo_has_no_call_for_stay_local(
    store: Store, fake: FakeKombo, remote: KomboRemote
) -> None:
    seed(store, record("personio:nofilters", filters_configured=False))
    fake.add("personio:nofilters")

    perform(store, Action.CONFIGURE_FILTERS, "personio:nofilters", NOW, remote=remote)
    perform(store, Action.UPDATE_CREDENTIALS, "personio:nofilters", NOW, remote=remote)

    assert fake.requests == []


def test_a_locally_refused_action_never_reaches_kombo(
    store: Store, fake: FakeKombo, remote: KomboRemote
) -> None:
    seeded(store, fake)
    with pytest.raises(ActionRefused, match="already enabled"):
        perform(store, Action.REACTIVATE, "personio:on", NOW, remote=remote)
    assert fake.requests == []


def test_remote_actions_need_an_explicit_opt_in() -> None:
    assert remote_from_env({"KOMBO_API_KEY": API_KEY}) is None
    assert remote_from_env({"KOMBO_API_KEY": API_KEY, "SYNCWATCH_KOMBO_REMOTE": "0"}) is None
    with pytest.raises(KomboConfigError, match="SYNCWATCH_KOMBO_REMOTE is on, but no Kombo API"):
        remote_from_env({"SYNCWATCH_KOMBO_REMOTE": "1"})
    with pytest.raises(KomboConfigError, match="must be 1 or 0"):
        remote_from_env({"KOMBO_API_KEY": API_KEY, "SYNCWATCH_KOMBO_REMOTE": "maybe"})
    on = remote_from_env({"KOMBO_API_KEY": API_KEY, "SYNCWATCH_KOMBO_REMOTE": "1"})
    assert on is not None
    assert API_KEY not in repr(on.settings)
    on.close()


# --------------------------------------------------------------------------- the commands


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeKombo) -> str:
    path = str(tmp_path / "cli.db")
    s = Store.open(path)
    seeded(s, fake)
    s.close()
    monkeypatch.setenv("SYNCWATCH_NOW", "2026-11-26T12:00:00Z")
    monkeypatch.setenv("KOMBO_API_KEY", API_KEY)
    monkeypatch.setenv("KOMBO_SERVER_URL", fake.url)
    monkeypatch.delenv("KOMBO_SERVER", raising=False)
    monkeypatch.delenv("SYNCWATCH_KOMBO_REMOTE", raising=False)
    return path


def test_with_the_key_but_no_opt_in_actions_stay_local_and_say_so(
    cli_db: str, fake: FakeKombo, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--db", cli_db, "deactivate", "personio:on"])

    _, err = capsys.readouterr()
    assert code == 0
    assert "remote actions are off" in err and "SYNCWATCH_KOMBO_REMOTE=1" in err
    assert fake.requests == []


def test_opted_in_commands_call_kombo_and_failures_exit_1(
    cli_db: str,
    fake: FakeKombo,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SYNCWATCH_KOMBO_REMOTE", "1")
    fake.script("personio:off", Reply(500))

    assert main(["--db", cli_db, "deactivate", "personio:on"]) == 0
    assert fake.integrations["personio:on"]["status"] == "INACTIVE"
    assert main(["--db", cli_db, "reactivate", "personio:off"]) == 1
    out, err = capsys.readouterr()
    assert "reactivate refused: Kombo did not enable" in err and "HTTP 500" in err
    assert API_KEY not in out + err
    # --local changes syncwatch only.
    calls = len(fake.requests)
    assert main(["--db", cli_db, "reactivate", "--local", "personio:off"]) == 0
    assert len(fake.requests) == calls
    assert main(["--db", cli_db, "delete", "--yes", "personio:on"]) == 0
    assert "personio:on" not in fake.integrations


def test_opted_in_without_a_key_is_a_usage_error(
    cli_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SYNCWATCH_KOMBO_REMOTE", "1")
    monkeypatch.delenv("KOMBO_API_KEY")

    code = main(["--db", cli_db, "delete", "--yes", "personio:on"])

    assert code == 2
    assert "SYNCWATCH_KOMBO_REMOTE is on, but no Kombo API key" in capsys.readouterr().err
    s = Store.open(cli_db)
    row = s.get("personio:on")
    s.close()
    assert row is not None and row.deleted_at is None
