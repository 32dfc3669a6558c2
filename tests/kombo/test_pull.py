"""`syncwatch pull` against a fake Kombo API on loopback, through the real SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fake_kombo import API_KEY, NOW, FakeKombo, Reply, record, seed

from syncwatch.cli import main
from syncwatch.db import Store
from syncwatch.db.kombo import upstream_info
from syncwatch.kombo.pull import PullReport, pull, upstream_facts
from syncwatch.kombo.remote import KomboSettings, RetryPolicy
from syncwatch.states import IntegrationState

St = IntegrationState
#: Quick retries for tests: what waits is recorded, not slept.
FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02, max_retry_after=60.0)


@pytest.fixture
def fake() -> Iterator[FakeKombo]:
    with FakeKombo() as f:
        yield f


class Waits:
    """Stands in for asyncio.sleep between retries: records the delay, does not wait."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def run_pull(
    store: Store,
    fake: FakeKombo,
    waits: Waits | None = None,
    *,
    timeout: float = 60.0,  # only a hung request meets it
    policy: RetryPolicy = FAST,
    concurrency: int = 8,
    batch_size: int = 100,
) -> PullReport:
    settings = KomboSettings(API_KEY, server_url=fake.url, timeout=timeout)
    return pull(
        store,
        settings,
        NOW,
        policy=policy,
        sleep=waits or Waits(),
        concurrency=concurrency,
        batch_size=batch_size,
    )


def item(report: PullReport, iid: str) -> dict[str, object]:
    return next(i.json() for i in report.items if i.integration_id == iid)


def changes(report: PullReport, iid: str) -> dict[str, tuple[object, object]]:
    return {c["field"]: (c["from"], c["to"]) for c in item(report, iid)["changes"]}  # type: ignore[attr-defined]


def test_what_kombo_reports_becomes_our_facts_and_states_follow(
    store: Store, fake: FakeKombo
) -> None:
    seed(
        store,
        record("personio:same"),
        record("personio:off"),
        record("personio:badcreds"),
        record("personio:nofilters"),
        record("personio:setupdone", filters_configured=False),
    )
    fake.add("personio:same")
    fake.add("personio:off", status="INACTIVE")
    fake.add("personio:badcreds", status="INVALID")
    fake.add("personio:nofilters", setup_status="INCOMPLETE")
    fake.add("personio:setupdone", setup_status="FINAL_SYNC_PENDING")

    report = run_pull(store, fake)

    assert report.counts == {"changed": 5, "unchanged": 0, "gone": 0, "failed": 0, "skipped": 0}
    states = {r.id: r.state for r in store.integrations()}
    assert states == {
        "personio:same": St.ACTIVE,
        "personio:off": St.INACTIVE,
        "personio:badcreds": St.CREDENTIALS_INVALID,
        "personio:nofilters": St.SETUP,
        "personio:setupdone": St.ACTIVE,
    }
    off = store.get("personio:off")
    assert off is not None and off.enabled is False
    assert off.state_reason is not None and "set inactive in Kombo" in off.state_reason
    assert changes(report, "personio:off") == {
        "upstream_status": (None, "INACTIVE"),
        "enabled": (True, False),
        "status": ("ACTIVE", "INACTIVE"),
    }
    assert changes(report, "personio:same") == {"upstream_status": (None, "ACTIVE")}
    assert {t.integration_id for t in report.transitions} == {
        "personio:off",
        "personio:badcreds",
        "personio:nofilters",
        "personio:setupdone",
    }
    info = upstream_info(store)
    assert info["personio:badcreds"].status == "INVALID"
    assert all(i.checked_at == NOW for i in info.values())
    # The history records the transition the pull caused, at the pull's time.
    assert store.history("personio:off")[-1].to_state is St.INACTIVE


def test_a_second_pull_with_nothing_new_changes_nothing(store: Store, fake: FakeKombo) -> None:
    seed(store, record("personio:a"), record("personio:b"))
    fake.add("personio:a")
    fake.add("personio:b", status="INACTIVE")
    run_pull(store, fake)
    revision = store.revision()
    history = store.history("personio:b")

    again = run_pull(store, fake)

    assert again.counts["unchanged"] == 2 and not again.transitions
    assert store.revision() == revision
    assert store.history("personio:b") == history


def test_404_marks_gone_upstream_without_changing_the_state(store: Store, fake: FakeKombo) -> None:
    seed(store, record("personio:gone"), record("personio:here"))
    fake.add("personio:here")

    report = run_pull(store, fake)

    assert item(report, "personio:gone")["outcome"] == "gone"
    assert changes(report, "personio:gone") == {"gone_upstream": (False, True)}
    row = store.get("personio:gone")
    assert row is not None and row.state is St.ACTIVE and row.enabled
    assert upstream_info(store)["personio:gone"].gone_at == NOW

    # Kombo knows it again (the wrong region was fixed, say): the mark goes.
    fake.add("personio:gone")
    back = run_pull(store, fake)
    assert changes(back, "personio:gone") == {
        "upstream_status": (None, "ACTIVE"),
        "gone_upstream": (True, False),
    }
    assert upstream_info(store)["personio:gone"].gone_at is None


def test_429_then_success_waits_as_long_as_retry_after_says(store: Store, fake: FakeKombo) -> None:
    seed(store, record("personio:busy"))
    fake.add("personio:busy", status="INACTIVE")
    fake.script("personio:busy", Reply(429, retry_after="7"), Reply(200))
    waits = Waits()

    report = run_pull(store, fake, waits)

    assert waits.delays == [7.0]
    assert len(fake.calls("personio:busy")) == 2
    assert item(report, "personio:busy")["retries"] == 1
    assert report.counts["changed"] == 1
    row = store.get("personio:busy")
    assert row is not None and row.state is St.INACTIVE


def test_a_retry_after_longer_than_the_cap_fails_at_once(store: Store, fake: FakeKombo) -> None:
    seed(store, record("personio:slowdown"))
    fake.add("personio:slowdown")
    fake.script("personio:slowdown", Reply(429, retry_after="3600"), Reply(200))
    waits = Waits()

    report = run_pull(store, fake, waits)

    assert waits.delays == []
    error = str(item(report, "personio:slowdown")["error"])
    assert "429" in error and "3600 s" in error


def test_500_then_success_and_always_500(store: Store, fake: FakeKombo) -> None:
    seed(store, record("personio:flaky"), record("personio:down"), record("personio:ok"))
    for iid in ("personio:flaky", "personio:down", "personio:ok"):
        fake.add(iid, status="INACTIVE")
    fake.script("personio:flaky", Reply(500), Reply(200))
    fake.script("personio:down", Reply(500))
    waits = Waits()

    report = run_pull(store, fake, waits)

    assert report.counts == {"changed": 2, "unchanged": 0, "gone": 0, "failed": 1, "skipped": 0}
    assert len(fake.calls("personio:down")) == FAST.attempts
    down = item(report, "personio:down")
    assert "HTTP 500" in str(down["error"]) and "after 3 attempts" in str(down["error"])
    # Backoff between attempts, and nothing written for the failed one.
    assert len(waits.delays) == 1 + (FAST.attempts - 1)
    assert all(0 < d <= FAST.max_delay for d in waits.delays)
    row = store.get("personio:down")
    assert row is not None and row.enabled and row.state is St.ACTIVE
    assert upstream_info(store)["personio:down"].checked_at is None
    flaky = store.get("personio:flaky")
    assert flaky is not None and flaky.state is St.INACTIVE


def test_a_non_json_502_from_a_proxy_is_retried_then_reported(
    store: Store, fake: FakeKombo
) -> None:
    seed(store, record("personio:proxy"))
    fake.add("personio:proxy")
    fake.script("personio:proxy", Reply(502, raw=b"<html><h1>502 Bad Gateway</h1></html>"))

    report = run_pull(store, fake)

    error = str(item(report, "personio:proxy")["error"])
    assert error.startswith("Kombo answered HTTP 502") and "<html>" not in error


def test_a_slow_answer_times_out_and_is_reported(store: Store, fake: FakeKombo) -> None:
    seed(store, record("personio:slow"), record("personio:fast"))
    fake.add("personio:slow")
    fake.add("personio:fast", status="INACTIVE")
    fake.script("personio:slow", Reply(hang=True))

    # The time-out must leave the quick answer time on a busy machine; the other never comes.
    report = run_pull(store, fake, timeout=2.0, policy=RetryPolicy(attempts=2, base_delay=0.01))

    assert "did not answer in time" in str(item(report, "personio:slow")["error"])
    assert len(fake.calls("personio:slow")) == 2
    assert report.counts["changed"] == 1


def test_concurrency_is_bounded(store: Store, fake: FakeKombo) -> None:
    ids = [f"personio:{n:02d}" for n in range(16)]
    seed(store, *(record(i) for i in ids))
    for i in ids:
        fake.add(i)
        fake.script(i, Reply(together=2))  # held until two requests overlap

    report = run_pull(store, fake, concurrency=3, batch_size=5)

    assert report.counts["changed"] == 16
    assert 2 <= fake.max_in_flight <= 3


def test_a_rejected_api_key_stops_the_pull(store: Store, fake: FakeKombo) -> None:
    seed(store, *(record(f"personio:{n}") for n in range(5)))
    before = store.revision()
    settings = KomboSettings("sk_wrong_key", server_url=fake.url)

    report = pull(store, settings, NOW, concurrency=1, policy=FAST, sleep=Waits())

    assert report.aborted is not None and "rejected the API key (HTTP 401)" in report.aborted
    assert len(fake.requests) < 5  # stopped early instead of failing every one
    assert store.revision() == before


def test_deleted_integrations_are_not_pulled(store: Store, fake: FakeKombo) -> None:
    seed(store, record("personio:live"), record("personio:dead", deleted_at="2026-11-20T09:00:00Z"))
    fake.add("personio:live")
    fake.add("personio:dead")

    report = run_pull(store, fake)

    assert [i.integration_id for i in report.items] == ["personio:live"]
    assert fake.calls("personio:dead") == []


def test_an_integration_deleted_later_is_still_pulled(store: Store, fake: FakeKombo) -> None:
    later = (NOW + timedelta(days=1)).isoformat()
    seed(store, record("personio:live"), record("personio:leaving", deleted_at=later))
    fake.add("personio:live")
    fake.add("personio:leaving")

    report = run_pull(store, fake)

    # Its deletion is dated tomorrow: until then it is an integration like any other.
    assert sorted(i.integration_id for i in report.items) == ["personio:leaving", "personio:live"]


def test_kombo_valid_again_clears_invalid_credentials_for_good(
    store: Store, fake: FakeKombo
) -> None:
    start = NOW - timedelta(days=5)
    syncs = [
        {
            "id": f"s{n}",
            "state": "AUTHENTICATION_FAILED",
            "started_at": (start + timedelta(hours=10 * n)).isoformat(),
            "ended_at": (start + timedelta(hours=10 * n, minutes=5)).isoformat(),
        }
        for n in range(10)
    ]
    seed(store, record("personio:creds", qa_status="PASSED", syncs=syncs))
    assert (row := store.get("personio:creds")) is not None
    assert row.state is St.CREDENTIALS_INVALID
    fake.add("personio:creds", status="ACTIVE")

    run_pull(store, fake)
    # Older authentication failures no longer count: the 72-hour rule does not fire again.
    store.evaluate_pass(NOW + timedelta(hours=1), full=True)

    row = store.get("personio:creds")
    assert row is not None and row.state is St.ACTIVE
    assert row.credentials_invalid_at is None and row.credentials_updated_at == NOW


def test_upstream_facts_never_undo_a_later_local_change() -> None:
    later = NOW + timedelta(hours=1)
    current = {
        "enabled": True,
        "disabled_at": None,
        "last_reactivated_at": later,
        "credentials_invalid_at": None,
        "credentials_updated_at": later,
        "filters_configured": True,
    }
    assert upstream_facts(current, "INACTIVE", "COMPLETED", NOW) == {}
    assert upstream_facts(current, "INVALID", None, NOW) == {}
    assert upstream_facts(current, "INACTIVE", None, later)["enabled"] is False


# --------------------------------------------------------------------------- the command


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite file with three integrations; the CLI runs at NOW."""
    path = str(tmp_path / "cli.db")
    s = Store.open(path)
    seed(s, record("personio:a"), record("personio:b"), record("personio:gone"))
    s.close()
    monkeypatch.setenv("SYNCWATCH_NOW", "2026-11-26T12:00:00Z")
    for name in ("KOMBO_API_KEY", "KOMBO_SERVER", "KOMBO_SERVER_URL", "SYNCWATCH_KOMBO_REMOTE"):
        monkeypatch.delenv(name, raising=False)
    return path


def test_pull_command_prints_changes_and_never_the_key(
    cli_db: str,
    fake: FakeKombo,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("KOMBO_API_KEY", API_KEY)
    fake.add("personio:a")
    fake.add("personio:b", status="INACTIVE")

    code = main(["--db", cli_db, "pull", "--server-url", fake.url])

    out, err = capsys.readouterr()
    assert code == 0, err
    assert "personio:b" in out and "enabled" in out and "yes -> no" in out
    assert "Active -> Inactive" in out
    assert "gone upstream" in out
    assert "2 changed, 0 unchanged, 1 gone, 0 failed" in out
    assert API_KEY not in out + err

    main(["--db", cli_db, "list"])
    listed = capsys.readouterr().out
    assert "personio:gone  [gone from Kombo]" in listed
    assert "1 gone from Kombo" in listed
    main(["--db", cli_db, "show", "personio:gone"])
    assert "Gone from Kombo: it answered 404 on" in capsys.readouterr().out
    main(["--db", cli_db, "list", "--json"])
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["personio:gone"]["upstream_gone_at"] == "2026-11-26T12:00:00Z"
    assert rows["personio:b"]["upstream_status"] == "INACTIVE"


def test_pull_json_is_one_object_and_failures_exit_1(
    cli_db: str,
    fake: FakeKombo,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("KOMBO_API_KEY", API_KEY)
    monkeypatch.setenv("KOMBO_SERVER_URL", fake.url)
    fake.add("personio:a")
    fake.add("personio:b")
    fake.add("personio:gone")
    fake.script("personio:b", Reply(400))

    code = main(["--db", cli_db, "pull", "--json", "--concurrency", "2"])

    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    assert doc["counts"]["failed"] == 1 and doc["counts"]["changed"] == 2
    failed = next(i for i in doc["items"] if i["outcome"] == "failed")
    assert failed["id"] == "personio:b" and "HTTP 400" in failed["error"]


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({}, [], "no Kombo API key: set KOMBO_API_KEY"),
        ({"KOMBO_API_KEY": API_KEY}, ["--concurrency", "0"], "--concurrency must be 1 to 64"),
        ({"KOMBO_API_KEY": API_KEY, "KOMBO_SERVER": "mars"}, [], "unknown Kombo server 'mars'"),
        ({"KOMBO_API_KEY": API_KEY}, ["--server-url", "ftp://x"], "must start with http"),
    ],
)
def test_pull_refuses_bad_configuration_with_exit_2(
    cli_db: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    args: list[str],
    message: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    code = main(["--db", cli_db, "pull", *args])

    out, err = capsys.readouterr()
    assert code == 2
    assert message in err and "Traceback" not in err
    assert API_KEY not in out + err


def test_pull_with_a_rejected_key_exits_2(
    cli_db: str,
    fake: FakeKombo,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("KOMBO_API_KEY", "sk_live_not_the_right_one_123456")

    code = main(["--db", cli_db, "pull", "--server-url", fake.url])

    _, err = capsys.readouterr()
    assert code == 2 and "rejected the API key" in err
    assert "sk_live_not_the_right_one" not in err
