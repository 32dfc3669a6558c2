"""Acknowledge and snooze (issue 15, item 2): the rule that decides whether a transition
notifies, the stored acknowledgements and snoozes (both backends, audited), and the
``ack`` / ``unack`` / ``snooze`` / ``unsnooze`` commands."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from builders import NOW, ago, integration_record, sync_record
from syncwatch.ack_actions import acknowledge, snooze, unacknowledge, unsnooze
from syncwatch.actions import ActionRefused, UnknownIntegration
from syncwatch.attention import (
    NOTE_LIMIT,
    Ack,
    BadNote,
    Snooze,
    check_note,
    check_snooze,
    is_stale,
    silenced,
)
from syncwatch.cli import main
from syncwatch.db import Store
from syncwatch.db.attention import attention_marks
from syncwatch.db.feed import activity
from syncwatch.feed import FeedQuery, what_text
from syncwatch.importer import import_parsed, parse_bytes
from syncwatch.states import IntegrationState

St = IntegrationState
ESC = "\x1b"

# --------------------------------------------------------------------------- the rule


def _ack(state: St) -> Ack:
    return Ack("alice", ago(hours=1), state, None)


def _snooze(until: timedelta) -> Snooze:
    return Snooze(NOW + until, "bob", ago(minutes=5))


def test_nothing_silences_a_transition_without_an_ack_or_a_snooze() -> None:
    assert not silenced(None, None, St.ACTIVE, St.SYNC_FAILING, NOW)


def test_an_ack_silences_until_the_state_gets_worse_than_the_state_acknowledged() -> None:
    ack = _ack(St.SYNC_FAILING)
    # Better, or back to the state acknowledged: silent.
    assert silenced(ack, None, St.SYNC_FAILING, St.ACTIVE, NOW)
    assert silenced(ack, None, St.SYNC_HAS_WARNINGS, St.SYNC_FAILING, NOW)
    assert silenced(ack, None, St.SYNC_FAILING, St.AUTHENTICATION_FAILING, NOW)
    # Worse: it notifies, and the acknowledgement is stale from then on.
    assert not silenced(ack, None, St.SYNC_FAILING, St.CREDENTIALS_INVALID, NOW)
    assert is_stale(ack, St.CREDENTIALS_INVALID)
    assert not is_stale(ack, St.SYNC_FAILING) and not is_stale(ack, St.ACTIVE)


def test_a_snooze_silences_every_transition_until_it_ends() -> None:
    held = _snooze(timedelta(minutes=30))
    assert silenced(None, held, St.ACTIVE, St.CREDENTIALS_INVALID, NOW)
    # Ends at ``until``: from then on transitions notify again.
    assert not silenced(None, held, St.ACTIVE, St.SYNC_FAILING, NOW + timedelta(minutes=30))
    # A stale ack under a snooze: still silent while the snooze holds.
    assert silenced(_ack(St.ACTIVE), held, St.ACTIVE, St.SYNC_FAILING, NOW)
    assert not silenced(_ack(St.ACTIVE), held, St.ACTIVE, St.SYNC_FAILING, NOW + timedelta(hours=1))


def test_a_note_is_one_line_of_plain_text_and_not_a_report() -> None:
    assert check_note("  on it\n\twaiting for the customer ") == "on it waiting for the customer"
    assert check_note("   ") is None and check_note(None) is None
    assert check_note("[bold]literal[/bold]") == "[bold]literal[/bold]"  # data, not markup
    with pytest.raises(BadNote, match="at most 500"):
        check_note("x" * (NOTE_LIMIT + 1))
    for bad in (f"red {ESC}[31m", "bidi \u202e", "bell \x07"):
        with pytest.raises(BadNote, match="control or invisible"):
            check_note(bad)


def test_a_snooze_lasts_a_minute_to_a_week() -> None:
    assert check_snooze(timedelta(minutes=1)) == timedelta(minutes=1)
    assert check_snooze(timedelta(days=7)) == timedelta(days=7)
    for bad in (timedelta(seconds=59), timedelta(days=7, seconds=1)):
        with pytest.raises(ValueError, match="1 minute to 7 days"):
            check_snooze(bad)


# --------------------------------------------------------------------------- stored


def _records() -> list[dict[str, object]]:
    return [
        integration_record(
            "workday:warn",
            organization="Acme GmbH",
            filters_configured=True,
            syncs=[
                sync_record("w0", "SUCCEEDED", ago(hours=8)),
                sync_record("w1", "PARTIALLY_FAILED", ago(hours=5)),
            ],
        ),
        integration_record(
            "personio:gone",
            organization="Birch Ltd",
            filters_configured=True,
            deleted_at=ago(hours=3),
            syncs=[sync_record("p0", "SUCCEEDED", ago(hours=4))],
        ),
    ]


def _import(store: Store, records: list[dict[str, object]], at: object = None) -> None:
    doc = json.dumps({"integrations": records}).encode()
    import_parsed(store, [parse_bytes(doc, "fleet.json")], at or ago(hours=2))


@pytest.fixture
def fleet(store: Store) -> Store:
    _import(store, _records())
    return store


def test_an_ack_is_stored_for_the_team_with_who_when_state_and_note(fleet: Store) -> None:
    row, at = acknowledge(fleet, "workday:warn", NOW, "alice", "on it")
    assert (row.state, at) == (St.SYNC_HAS_WARNINGS, NOW)
    marks = attention_marks(fleet)  # any process on the database reads the same
    assert list(marks) == ["workday:warn"]
    assert marks["workday:warn"].ack == Ack("alice", NOW, St.SYNC_HAS_WARNINGS, "on it")
    assert marks["workday:warn"].snooze is None
    # Audited, and read in the activity feed under its name; the state is unchanged.
    (entry,) = [a for a in fleet.audit("workday:warn") if a.action == "ack"]
    assert (entry.actor, entry.at, entry.state_before, entry.state_after) == (
        "alice",
        NOW,
        "SYNC_HAS_WARNINGS",
        "SYNC_HAS_WARNINGS",
    )
    (shown,) = [e for e in activity(fleet, FeedQuery(limit=50)) if e.action == "ack"]
    assert what_text(shown) == "Acknowledge (stays ▲ Warnings)"
    assert fleet.get("workday:warn").state is St.SYNC_HAS_WARNINGS  # type: ignore[union-attr]


def test_a_secret_pasted_into_a_note_is_not_stored(fleet: Store) -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijklmnop"
    acknowledge(fleet, "workday:warn", NOW, "alice", f"new key: Bearer {token}")
    ack = attention_marks(fleet)["workday:warn"].ack
    assert ack is not None and ack.note is not None
    assert token not in ack.note and ack.note.startswith("new key: Bearer ")


def test_an_ack_goes_stale_when_the_state_gets_worse(fleet: Store) -> None:
    acknowledge(fleet, "workday:warn", ago(hours=1), "alice")
    failed = integration_record(
        "workday:warn", syncs=[sync_record("w2", "FAILED", ago(minutes=30))]
    )
    _import(fleet, [failed], NOW)
    row = fleet.get("workday:warn")
    assert row is not None and row.state is St.SYNC_FAILING
    ack = attention_marks(fleet, ["workday:warn"])["workday:warn"].ack
    assert ack is not None and is_stale(ack, row.state)  # kept, shown as stale
    assert not silenced(ack, None, St.SYNC_HAS_WARNINGS, row.state, NOW)


def test_unack_and_unsnooze_undo_and_are_refused_when_there_is_nothing(fleet: Store) -> None:
    snooze(fleet, "workday:warn", timedelta(hours=2), NOW, "bob")
    acknowledge(fleet, "workday:warn", NOW, "alice")
    mark = attention_marks(fleet)["workday:warn"]
    assert mark.snooze == Snooze(NOW + timedelta(hours=2), "bob", NOW)
    unsnooze(fleet, "workday:warn", NOW, "bob")
    assert attention_marks(fleet)["workday:warn"].snooze is None
    unacknowledge(fleet, "workday:warn", NOW, "alice")
    assert attention_marks(fleet) == {}
    with pytest.raises(ActionRefused, match="is not acknowledged"):
        unacknowledge(fleet, "workday:warn", NOW, "alice")
    with pytest.raises(ActionRefused, match="is not snoozed"):
        unsnooze(fleet, "workday:warn", NOW, "bob")
    actions = [a.action for a in fleet.audit("workday:warn")]
    assert actions[-4:] == ["snooze", "ack", "unsnooze", "unack"]


def test_a_snooze_that_ended_cannot_be_ended_again(fleet: Store) -> None:
    snooze(fleet, "workday:warn", timedelta(minutes=30), ago(hours=1), "bob")
    with pytest.raises(ActionRefused, match="is not snoozed"):
        unsnooze(fleet, "workday:warn", NOW, "bob")


def test_unknown_and_deleted_integrations_are_refused_and_nothing_is_stored(
    fleet: Store,
) -> None:
    before = len(fleet.audit("personio:gone"))
    with pytest.raises(UnknownIntegration):
        acknowledge(fleet, "nope:1", NOW, "alice")
    with pytest.raises(ActionRefused, match="deleted"):
        acknowledge(fleet, "personio:gone", NOW, "alice")
    with pytest.raises(ActionRefused, match="deleted"):
        snooze(fleet, "personio:gone", timedelta(hours=1), NOW, "alice")
    assert attention_marks(fleet) == {}
    assert len(fleet.audit("personio:gone")) == before


# --------------------------------------------------------------------------- the commands


def _run(capsys: pytest.CaptureFixture[str], db_url: str, *args: str) -> tuple[int, str, str]:
    code = main(["--db", db_url, "--now", NOW.isoformat(), "--operator", "alice", *args])
    got = capsys.readouterr()
    return code, got.out, got.err


def _show(capsys: pytest.CaptureFixture[str], db_url: str, iid: str) -> dict[str, object]:
    code, out, _ = _run(capsys, db_url, "show", "--json", iid)
    assert code == 0
    doc: dict[str, object] = json.loads(out)
    return doc


def test_cli_ack_unack_show_and_exit_codes(
    fleet: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    note = "[bold]on it[/bold], waiting for Workday"
    code, out, _ = _run(capsys, db_url, "ack", "workday:warn", "--note", note)
    assert code == 0
    assert "acknowledged by alice (Warnings)" in out and note in out  # literal, not markup
    doc = _show(capsys, db_url, "workday:warn")
    assert doc["ack"] == {
        "by": "alice",
        "at": "2026-11-26T12:00:00Z",
        "state": "SYNC_HAS_WARNINGS",
        "note": note,
        "stale": False,
    }
    assert doc["snooze"] is None
    code, out, _ = _run(capsys, db_url, "list", "--json", "--all")
    listed = {r["id"]: r for r in json.loads(out)}
    assert code == 0 and listed["workday:warn"]["ack"] == doc["ack"]
    others = [r for i, r in listed.items() if i != "workday:warn"]
    assert others and all(r["ack"] is None and r["snooze"] is None for r in others)
    code, out, _ = _run(capsys, db_url, "show", "workday:warn")
    assert code == 0 and f"acknowledged         by alice just now (Warnings): {note}" in out

    assert _run(capsys, db_url, "unack", "workday:warn")[:2] == (
        0,
        "Acme GmbH (workday:warn): acknowledgement removed.\n",
    )
    assert _show(capsys, db_url, "workday:warn")["ack"] is None
    code, _, err = _run(capsys, db_url, "unack", "workday:warn")
    assert code == 1 and "unack refused: Acme GmbH (workday:warn) is not acknowledged" in err
    code, _, err = _run(capsys, db_url, "ack", "nope:1")
    assert code == 1 and "no integration with id 'nope:1'" in err
    code, _, err = _run(capsys, db_url, "ack", "personio:gone")
    assert code == 1 and "ack refused" in err and "deleted" in err
    code, _, err = _run(capsys, db_url, "ack", "workday:warn", "--note", f"x{ESC}[2J")
    assert code == 2 and "control or invisible" in err and ESC not in err
    assert _show(capsys, db_url, "workday:warn")["ack"] is None


def test_cli_snooze_takes_a_duration_and_says_until_when(
    fleet: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, db_url, "snooze", "workday:warn", "2h")
    assert code == 0
    assert out == (
        "Acme GmbH (workday:warn): notifications snoozed for 2 h, until Nov 26 14:00 UTC.\n"
    )
    assert _show(capsys, db_url, "workday:warn")["snooze"] == {
        "until": "2026-11-26T14:00:00Z",
        "by": "alice",
        "at": "2026-11-26T12:00:00Z",
    }
    for bad, says in (("2x", "is not a duration"), ("8d", "1 minute to 7 days"), ("0m", "zero")):
        with pytest.raises(SystemExit) as exit_:
            _run(capsys, db_url, "snooze", "workday:warn", bad)
        assert exit_.value.code == 2
        assert says in capsys.readouterr().err
    code, out, _ = _run(capsys, db_url, "unsnooze", "workday:warn")
    assert code == 0 and "snooze ended" in out
    code, _, err = _run(capsys, db_url, "unsnooze", "workday:warn")
    assert code == 1 and "is not snoozed" in err
    code, _, err = _run(capsys, db_url, "snooze", "nope:1", "30m")
    assert code == 1 and "no integration with id 'nope:1'" in err
