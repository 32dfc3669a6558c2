"""Who did what (issue 14, item 6): every operator action records its actor (``--operator``,
else ``SYNCWATCH_OPERATOR``, else the login name; on PostgreSQL the database role too), and
``syncwatch activity`` reads the fleet's transitions and actions newest first, filtered, a
page at a time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from builders import NOW, ago, integration_record, sync_record
from syncwatch import actions as actions_module
from syncwatch.actions import Action, BadOperatorName, current_actor, perform
from syncwatch.cli import main
from syncwatch.db import Store
from syncwatch.db.feed import activity, latest_ids, newer_than
from syncwatch.feed import (
    FeedCursor,
    FeedEntry,
    FeedKind,
    FeedQuery,
    attributed_history,
    parse_filter,
    parse_since,
)
from syncwatch.importer import import_parsed, parse_bytes
from syncwatch.states import IntegrationState

ESC = "\x1b"
EVIL_ORG = f"Evil [bold]Org[/bold] {ESC}[31m\u202e"
EVIL_ACTOR = f"mallory [red]x[/red] {ESC}[2J"

# --------------------------------------------------------------------------- a small fleet


def _records() -> list[dict[str, object]]:
    return [
        integration_record(
            "workday:one",
            organization="Acme GmbH",
            filters_configured=True,
            syncs=[
                sync_record("w0", "SUCCEEDED", ago(hours=8)),
                sync_record("w1", "FAILED", ago(hours=5)),
            ],
        ),
        integration_record(
            "workday:two",
            organization="Birch Ltd",
            filters_configured=True,
            syncs=[sync_record("w2", "SUCCEEDED", ago(hours=4))],
        ),
        integration_record(
            "personio:three",
            organization=EVIL_ORG,
            filters_configured=True,
            syncs=[sync_record("p3", "SUCCEEDED", ago(hours=3))],
        ),
    ]


def _fill(store: Store) -> None:
    """Three integrations imported 2 h before NOW, then actions an hour apart:
    alice deactivates workday:one (NOW-1h), bob updates workday:two's credentials (NOW-30m,
    no change of state), alice reactivates workday:one (NOW)."""
    doc = json.dumps({"integrations": _records()}).encode()
    import_parsed(store, [parse_bytes(doc, "fleet.json")], ago(hours=2))
    perform(store, Action.DEACTIVATE, "workday:one", ago(hours=1), actor="alice")
    perform(store, Action.UPDATE_CREDENTIALS, "workday:two", ago(minutes=30), actor="bob")
    perform(store, Action.REACTIVATE, "workday:one", NOW, actor="alice")


@pytest.fixture
def fleet(store: Store) -> Store:
    _fill(store)
    return store


@pytest.fixture
def fleet_db(tmp_path: Path) -> Iterator[str]:
    """A SQLite file with the fleet, for the command line (in this process)."""
    path = tmp_path / "fleet.db"
    s = Store.open(path)
    _fill(s)
    s.close()
    yield str(path)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--now", "2026-11-26T12:00:00Z", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def described(entries: list[FeedEntry]) -> list[tuple[str, str, str | None]]:
    return [(e.kind.value, e.integration_id, e.action or e.to_state) for e in entries]


# --------------------------------------------------------------------------- the actor


def test_actor_precedence_option_then_environment_then_login(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(actions_module.getpass, "getuser", lambda: "login-name")
    env = {"SYNCWATCH_OPERATOR": "env-name"}
    assert current_actor("option-name", env) == "option-name"
    assert current_actor(None, env) == "env-name"
    assert current_actor(None, {}) == "login-name"
    # A blank variable is an unset one.
    assert current_actor(None, {"SYNCWATCH_OPERATOR": "  "}) == "login-name"
    assert current_actor("  padded  ", env) == "padded"

    def no_login() -> str:
        raise OSError("no passwd entry")

    monkeypatch.setattr(actions_module.getpass, "getuser", no_login)
    assert current_actor(None, {}) == "unknown"


@pytest.mark.parametrize("name", ["", "   ", f"eve{ESC}[2J", "a\nb", "x" * 201, "zero\u200bwidth"])
def test_a_name_that_is_not_one_is_refused(name: str) -> None:
    with pytest.raises(BadOperatorName):
        current_actor(name, {})
    with pytest.raises(BadOperatorName, match="SYNCWATCH_OPERATOR"):
        # (a blank variable counts as unset: a bell instead)
        current_actor(None, {"SYNCWATCH_OPERATOR": name if name.strip() else "\x07"})


def test_the_command_line_records_option_then_environment_then_login(
    fleet_db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(actions_module.getpass, "getuser", lambda: "login-name")
    monkeypatch.setenv("SYNCWATCH_OPERATOR", "env-name")
    assert run(capsys, "--db", fleet_db, "--operator", "carol", "deactivate", "workday:two")[0] == 0
    assert run(capsys, "--db", fleet_db, "update-credentials", "workday:two")[0] == 0
    monkeypatch.delenv("SYNCWATCH_OPERATOR")
    assert run(capsys, "--db", fleet_db, "reactivate", "workday:two")[0] == 0
    store = Store.open(fleet_db)
    try:
        audit = store.audit("workday:two")
    finally:
        store.close()
    assert [(a.action, a.actor) for a in audit][-3:] == [
        ("deactivate", "carol"),
        ("update-credentials", "env-name"),
        ("reactivate", "login-name"),
    ]


def test_a_bad_operator_name_is_one_line_and_changes_nothing(
    fleet_db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store.open(fleet_db)
    before = (store.audit(), store.integrations())
    store.close()

    with pytest.raises(SystemExit) as exited:
        main(["--db", fleet_db, "--operator", "", "deactivate", "workday:two"])
    assert exited.value.code == 2
    assert "--operator is empty" in capsys.readouterr().err

    monkeypatch.setenv("SYNCWATCH_OPERATOR", f"eve{ESC}[2J")
    code, out, err = run(capsys, "--db", fleet_db, "deactivate", "workday:two")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "SYNCWATCH_OPERATOR" in err and ESC not in err
    assert "Traceback" not in err

    store = Store.open(fleet_db)
    assert (store.audit(), store.integrations()) == before
    store.close()


def test_the_database_role_is_recorded_on_postgresql(fleet: Store) -> None:
    actions = activity(fleet, FeedQuery(kinds=frozenset({FeedKind.ACTION})))
    assert len(actions) == 3
    if fleet.is_sqlite:
        assert {a.db_role for a in actions} == {None}
    else:
        # The role the test server's connections log in as (tests/pg_support.py).
        assert {a.db_role for a in actions} == {"syncwatch"}


# --------------------------------------------------------------------------- the feed


def test_the_feed_is_newest_first_with_each_transition_above_its_action(fleet: Store) -> None:
    entries = activity(fleet, FeedQuery(limit=100))
    assert described(entries[:5]) == [
        # NOW: alice reactivates workday:one (the transition, then the action behind it).
        ("transition", "workday:one", IntegrationState.SYNC_FAILING),
        ("action", "workday:one", "reactivate"),
        # NOW-30m: bob's credentials update changed no state: an action alone.
        ("action", "workday:two", "update-credentials"),
        # NOW-1h: alice deactivates workday:one.
        ("transition", "workday:one", IntegrationState.INACTIVE),
        ("action", "workday:one", "deactivate"),
    ]
    # Then what the import recorded, at the times it happened: workday:one failing from
    # its failed sync's end, and each integration active from its creation.
    assert described(entries[5:6]) == [("transition", "workday:one", IntegrationState.SYNC_FAILING)]
    assert entries[5].at == ago(hours=4, minutes=30)
    assert {e.kind for e in entries[6:]} == {FeedKind.TRANSITION}
    assert [e.from_state for e in entries[6:]] == [None, None, None]
    assert {e.at for e in entries[6:]} == {ago(days=30)}
    times = [e.at for e in entries]
    assert times == sorted(times, reverse=True)
    assert entries[1].actor == "alice" and entries[0].actor is None


def test_the_feed_filters(fleet: Store) -> None:
    def ids(**query: object) -> list[tuple[str, str, str | None]]:
        return described(activity(fleet, FeedQuery(limit=100, **query)))  # type: ignore[arg-type]

    assert ids(actors=frozenset({"BOB"})) == [("action", "workday:two", "update-credentials")]
    assert ids(kinds=frozenset({FeedKind.ACTION}), actors=frozenset({"alice"})) == [
        ("action", "workday:one", "reactivate"),
        ("action", "workday:one", "deactivate"),
    ]
    assert ids(states=frozenset({IntegrationState.INACTIVE})) == [
        ("transition", "workday:one", IntegrationState.INACTIVE),
        ("action", "workday:one", "deactivate"),
    ]
    assert {e[1] for e in ids(tools=frozenset({"WORKDAY"}))} == {"workday:one", "workday:two"}
    assert {e[1] for e in ids(organizations=("evil [bold]",))} == {"personio:three"}
    # since: the last hour (inclusive) holds the three actions and their two transitions.
    assert len(ids(since=ago(hours=1))) == 5
    assert ids(integration_id="workday:two", kinds=frozenset({FeedKind.ACTION})) == [
        ("action", "workday:two", "update-credentials")
    ]
    # Words match anywhere, every one of them, case aside; % and _ are literal.
    assert ids(text="credentials BOB") == [("action", "workday:two", "update-credentials")]
    assert ids(text="100%") == []
    assert {e[1] for e in ids(text="personio")} == {"personio:three"}


def test_pages_follow_each_other_without_gaps_or_repeats(fleet: Store) -> None:
    everything = activity(fleet, FeedQuery(limit=100))
    for size in (1, 2, 3, 4):
        seen: list[FeedEntry] = []
        query = FeedQuery(limit=size)
        while True:
            page = activity(fleet, query)
            assert len(page) <= size
            seen += page
            if len(page) < size:
                break
            # The cursor survives being written out and read back (--before).
            query = FeedQuery(limit=size, after=FeedCursor.parse(page[-1].cursor.token))
        assert seen == everything


def test_follow_reads_what_is_recorded_after_by_id(fleet: Store) -> None:
    seen = latest_ids(fleet)
    assert newer_than(fleet, FeedQuery(), seen) == ([], seen)
    perform(fleet, Action.DEACTIVATE, "workday:two", NOW, actor="carol")
    found, now_seen = newer_than(fleet, FeedQuery(), seen)
    assert described(found) == [
        ("action", "workday:two", "deactivate"),
        ("transition", "workday:two", IntegrationState.INACTIVE),
    ]
    assert newer_than(fleet, FeedQuery(), now_seen) == ([], now_seen)


def test_the_history_names_who_caused_each_transition(fleet: Store) -> None:
    items = attributed_history(fleet.history("workday:one"), fleet.audit("workday:one"))
    assert [(i.change.to_state if i.change else None, i.actor) for i in items] == [
        (IntegrationState.ACTIVE, None),
        (IntegrationState.SYNC_FAILING, None),
        (IntegrationState.INACTIVE, "alice"),
        (IntegrationState.SYNC_FAILING, "alice"),
    ]
    lone = attributed_history(fleet.history("workday:two"), fleet.audit("workday:two"))
    assert [(i.change is None, i.actor) for i in lone] == [(False, None), (True, "bob")]


def test_the_screens_filter_words_and_since() -> None:
    query = parse_filter("state:failing tool:workday actor:alice kind:action since:2h acme", NOW)
    assert query.states == {IntegrationState.SYNC_FAILING}
    assert query.tools == {"workday"} and query.actors == {"alice"}
    assert query.kinds == {FeedKind.ACTION}
    assert query.since == NOW - timedelta(hours=2)
    assert query.text == "acme"
    assert parse_filter("plain: words", NOW).text == "plain: words"
    # A key still being typed narrows nothing yet.
    assert parse_filter("acme state:", NOW) == parse_filter("acme", NOW)
    with pytest.raises(ValueError, match="unknown state"):
        parse_filter("state:nonsense", NOW)
    assert parse_since("2026-11-20T00:00:00Z", NOW) == datetime.fromisoformat(
        "2026-11-20T00:00:00+00:00"
    )
    with pytest.raises(ValueError, match="neither a duration"):
        parse_since("yesterday", NOW)


# --------------------------------------------------------------------------- the command


def test_activity_text_prints_data_literally(
    fleet_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store.open(fleet_db)
    # An actor that reached the store without the command line's checks (the API).
    perform(store, Action.DEACTIVATE, "personio:three", NOW, actor=EVIL_ACTOR)
    store.close()
    code, out, err = run(capsys, "--db", fleet_db, "activity", "--org", "evil")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Nov 26 12:00  transition  personio:three  Evil [bold]Org[/bold] ")
    assert "● Active → ○ Inactive: " in lines[0]
    assert lines[1].endswith("Deactivate (● Active → ○ Inactive) by mallory [red]x[/red] ␛[2J")
    assert "␛[31m<U+202E>" in lines[1]
    assert ESC not in out and "\u202e" not in out
    assert len(lines) == 3  # and the first evaluation


def test_activity_json_is_one_exact_object_per_line(
    fleet_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store.open(fleet_db)
    perform(store, Action.DEACTIVATE, "personio:three", NOW, actor=EVIL_ACTOR)
    store.close()
    code, out, _ = run(capsys, "--db", fleet_db, "activity", "--json", "--kind", "action")
    assert code == 0
    assert ESC not in out and "\u202e" not in out  # escaped, not raw
    docs = [json.loads(line) for line in out.splitlines()]
    # At the same time, grouped by integration (ids descending).
    assert [(d["action"], d["actor"]) for d in docs] == [
        ("reactivate", "alice"),
        ("deactivate", EVIL_ACTOR),
        ("update-credentials", "bob"),
        ("deactivate", "alice"),
    ]
    first = docs[1]
    assert first["organization"] == EVIL_ORG
    assert (first["kind"], first["from"], first["to"], first["at"]) == (
        "action",
        "ACTIVE",
        "INACTIVE",
        "2026-11-26T12:00:00Z",
    )
    assert first["db_role"] is None and first["reason"] is None and first["seq"] is None


def test_activity_pages_with_before_and_says_how(
    fleet_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _, everything, _ = run(capsys, "--db", fleet_db, "activity", "--json", "--limit", "100")
    code, first, err = run(capsys, "--db", fleet_db, "activity", "--json", "--limit", "4")
    assert code == 0
    cursor = json.loads(first.splitlines()[-1])["cursor"]
    assert f"--before {cursor}" in err
    _, rest, _ = run(capsys, "--db", fleet_db, "activity", "--json", "--before", cursor)
    assert first + rest == everything


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--state", "nonsense"], "unknown state 'nonsense'"),
        (["--since", "yesterday"], "neither a duration"),
        (["--before", "not-a-cursor"], "is not a feed cursor"),
    ],
)
def test_activity_bad_options_are_one_line(
    fleet_db: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, "--db", fleet_db, "activity", *args)
    assert (code, out) == (2, "")
    assert message in err and err.count("\n") == 1


def test_activity_follow_prints_new_entries_as_they_are_recorded(fleet_db: str) -> None:
    env = {**os.environ, "SYNCWATCH_NOW": "2026-11-26T12:00:00Z", "NO_COLOR": "1"}
    args = ["--db", fleet_db, "activity", "--follow", "--json", "--kind", "action"]
    with subprocess.Popen(
        [sys.executable, "-m", "syncwatch", *args, "--limit", "1", "--poll", "0.05"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as proc:
        try:
            assert proc.stdout is not None
            # The page first (here one entry: the newest action).
            assert json.loads(proc.stdout.readline())["action"] == "reactivate"
            store = Store.open(fleet_db)
            perform(store, Action.DEACTIVATE, "workday:two", NOW, actor="dave")
            store.close()
            new = json.loads(proc.stdout.readline())
            assert (new["action"], new["actor"], new["id"]) == ("deactivate", "dave", "workday:two")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    assert proc.returncode == 0


# --------------------------------------------------------------------------- who, in show


def test_show_says_who_caused_each_transition_and_lists_actions_that_changed_nothing(
    fleet_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--db", fleet_db, "show", "workday:one")
    assert code == 0, err
    history = out[out.index("History") :]
    lines = [line for line in history.splitlines() if "->" in line]
    assert lines[0].endswith("No sync has finished yet.")  # from its creation
    assert lines[1].endswith("failed.")  # the rules: nobody acted
    assert "Failing -> Inactive" in lines[2] and lines[2].endswith("(by alice)")
    assert "Inactive -> Failing" in lines[3] and lines[3].endswith("(by alice)")
    code, out, err = run(capsys, "--db", fleet_db, "show", "workday:two")
    assert code == 0, err
    assert "Update credentials (by bob), no change of state" in out


def test_show_json_history_names_the_action_and_its_actor(
    fleet_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--db", fleet_db, "show", "workday:one", "--json")
    assert code == 0, err
    doc = json.loads(out)
    caused = [(h["to"], h["action"], h["actor"]) for h in doc["history"] if h["actor"]]
    assert caused == [("INACTIVE", "deactivate", "alice"), ("SYNC_FAILING", "reactivate", "alice")]
    assert all("db_role" in a for a in doc["audit"])
    assert all(h["actor"] is None for h in doc["history"] if h["action"] is None)


def test_show_prints_an_actor_from_the_environment_literally(
    fleet_db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNCWATCH_OPERATOR", "mallory [red]x[/red]")
    code, _, err = run(capsys, "--db", fleet_db, "deactivate", "workday:two")
    assert code == 0, err
    code, out, err = run(capsys, "--db", fleet_db, "show", "workday:two")
    assert code == 0, err
    assert "(by mallory [red]x[/red])" in out
