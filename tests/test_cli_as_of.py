"""``list --as-of`` and ``show --as-of``: the fleet as the state history records it at a past
time, on a hand-made timeline built with the CLI at several clock times; refusals of times
in the future, before the history and unreadable; nothing written (not even a pass that is
due); JSON shape. On both backends (the PostgreSQL read path is ``syncwatch.pgread``)."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from builders import NOW, WriteImport, ago, db_snapshot, integration_record, sync_record
from syncwatch.cli import main
from syncwatch.clock import iso
from syncwatch.db import Store

#: The commands of the timeline, at these clock times.
T0 = ago(days=3)
T1 = ago(days=2)
T2 = ago(days=1)


def _a(*, failed: bool) -> dict[str, Any]:
    syncs = [sync_record("a_0", "SUCCEEDED", T0 - timedelta(hours=2), T0 - timedelta(hours=1))]
    if failed:
        syncs.append(
            sync_record("a_1", "FAILED", T1 - timedelta(minutes=40), T1 - timedelta(minutes=10))
        )
    return integration_record(
        "personio:a",
        organization="Alpha",
        filters_configured=True,
        created_at=ago(days=10),
        syncs=syncs,
    )


def _b() -> dict[str, Any]:
    return integration_record(
        "workday:b",
        organization="Beta",
        filters_configured=True,
        qa_status="PASSED",
        created_at=T0 - timedelta(days=1),
        syncs=[
            sync_record("b_0", "FAILED", T0 - timedelta(hours=1), T0 - timedelta(minutes=30)),
        ],
    )


def _c() -> dict[str, Any]:
    return integration_record(
        "lever:c",
        organization="Gamma",
        category="ATS",
        filters_configured=True,
        created_at=T1 - timedelta(hours=2),
        syncs=[sync_record("c_0", "SUCCEEDED", T1 - timedelta(hours=1), T1 - timedelta(minutes=5))],
    )


def _d() -> dict[str, Any]:
    """A development integration whose 14 days without activity end 12 hours before NOW:
    a pass at NOW has work to do (and ``list`` would store it)."""
    return integration_record(
        "bamboohr:d",
        organization="Delta",
        environment="development",
        filters_configured=True,
        created_at=ago(days=20),
        last_api_request_at=ago(days=14, hours=12),
    )


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("SYNCWATCH_DB", raising=False)
    monkeypatch.setenv("SYNCWATCH_NOW", NOW.isoformat())

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = main(list(args))
        except SystemExit as exit:  # argparse's own usage errors
            code = int(exit.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def timeline(db_url: str, write_import: WriteImport, run: Any) -> str:
    """A, B and D imported at T0; A fails and C is created at T1; B deleted at T2."""
    steps: list[tuple[Any, ...]] = [
        (T0, "import", write_import([_a(failed=False), _b(), _d()], "t0.json")),
        (T1, "import", write_import([_a(failed=True), _c()], "t1.json")),
        (T2, "delete", "workday:b", "--yes"),
    ]
    for at, *command in steps:
        code, _, err = run("--db", db_url, "--now", iso(at), *command)
        assert code == 0, err
    return db_url


def as_of(run: Any, db: str, when: str, *more: str) -> dict[str, Any]:
    code, out, err = run("--db", db, "list", "--as-of", when, "--json", *more)
    assert (code, err) == (0, ""), err
    doc: dict[str, Any] = json.loads(out)
    return doc


def states(doc: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["status"] for r in doc["integrations"]}


def test_the_states_at_several_times(timeline: str, run: Any) -> None:
    # An hour after T0: C did not exist yet.
    first = as_of(run, timeline, iso(T0 + timedelta(hours=1)))
    assert first["as_of"] == iso(T0 + timedelta(hours=1))
    assert states(first) == {
        "personio:a": "ACTIVE",
        "workday:b": "SYNC_FAILING",
        "bamboohr:d": "ACTIVE",
    }
    # An hour after T1: A's failed sync had happened, C was there.
    second = states(as_of(run, timeline, iso(T1 + timedelta(hours=1))))
    assert second == {
        "personio:a": "SYNC_FAILING",
        "workday:b": "SYNC_FAILING",
        "lever:c": "ACTIVE",
        "bamboohr:d": "ACTIVE",
    }
    # After T2, B is deleted: hidden from the list as ever, shown with --all.
    third = as_of(run, timeline, iso(T2 + timedelta(hours=1)))
    assert "workday:b" not in states(third)
    assert states(as_of(run, timeline, iso(T2 + timedelta(hours=1)), "--all"))["workday:b"] == (
        "DELETED"
    )
    assert states(as_of(run, timeline, iso(T2 + timedelta(hours=1)), "--status", "deleted")) == {
        "workday:b": "DELETED"
    }


def test_the_reason_since_and_last_sync_are_those_of_then(timeline: str, run: Any) -> None:
    at = T0 + timedelta(hours=1)
    rows = {r["id"]: r for r in as_of(run, timeline, iso(at))["integrations"]}
    a = rows["personio:a"]
    # The last sync by then is the one that had ended: A's failure came a day later.
    assert (a["last_sync_state"], a["last_sync_ended_at"]) == (
        "SUCCEEDED",
        iso(T0 - timedelta(hours=1)),
    )
    assert [s["id"] for s in a["recent_results"]] == ["a_0"]
    # status_since and the reason are those of the history entry in force then.
    _, out, _ = run("--db", timeline, "show", "personio:a", "--json")
    history = json.loads(out)["history"]
    entry = [h for h in history if h["at"] <= iso(at)][-1]
    assert (a["status_since"], a["status_reason"]) == (entry["at"], entry["reason"])
    later = {r["id"]: r for r in as_of(run, timeline, iso(T1 + timedelta(hours=1)))["integrations"]}
    assert later["personio:a"]["last_sync_state"] == "FAILED"
    assert later["personio:a"]["status_since"] > a["status_since"]
    assert "failed" in later["personio:a"]["status_reason"].lower()


def test_json_says_it_is_the_past_and_leaves_unrecorded_facts_null(timeline: str, run: Any) -> None:
    doc = as_of(run, timeline, iso(T1 + timedelta(hours=1)))
    assert set(doc) == {"as_of", "integrations", "not_yet_recorded"}
    _, out, _ = run("--db", timeline, "list", "--json")
    live_keys = set(json.loads(out)[0])
    for row in doc["integrations"]:
        assert set(row) == live_keys  # the same fields as list --json
        assert row["api_status"] is None and row["next_change"] is None
        assert row["enabled"] is None and row["upstream_status"] is None


def test_relative_times_count_back_from_now(timeline: str, run: Any) -> None:
    assert as_of(run, timeline, "2h")["as_of"] == iso(NOW - timedelta(hours=2))
    assert as_of(run, timeline, "1d ago")["as_of"] == iso(NOW - timedelta(days=1))
    assert as_of(run, timeline, "2d12h")["as_of"] == iso(NOW - timedelta(days=2, hours=12))
    # In another zone: the same instant.
    assert as_of(run, timeline, "2026-11-24T13:00:00+01:00")["as_of"] == "2026-11-24T12:00:00Z"


@pytest.mark.parametrize(
    ("when", "says"),
    [
        (iso(NOW + timedelta(minutes=1)), "is in the future"),
        (iso(ago(days=100)), "is before any history"),
        ("yesterday", "is not a time"),
        ("2026-11-24T12:00:00", "has no time zone"),
        ("", "is empty"),
    ],
)
def test_a_time_it_cannot_show_is_one_line_and_exit_2(
    timeline: str, run: Any, when: str, says: str
) -> None:
    for command in (("list",), ("show", "personio:a")):
        code, out, err = run("--db", timeline, *command, "--as-of", when)
        assert code == 2
        assert out == ""
        assert says in err and err.count("\n") == 1 and "Traceback" not in err


def test_an_empty_history_is_refused(db_url: str, run: Any) -> None:
    Store.open(db_url).close()  # a database at the head, nothing in it
    code, _, err = run("--db", db_url, "list", "--as-of", "1h")
    assert code == 2 and "no state history yet" in err


def _fingerprint(path: Path) -> tuple[str, int, int]:
    """The database file's content hash and mtime, and how many bytes of changes wait in
    its write-ahead log (a reader may create an empty one beside it: see fastread)."""
    wal = path.with_name(path.name + "-wal")
    pending = wal.stat().st_size if wal.exists() else 0
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns, pending


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_nothing_is_written_though_a_pass_is_due(timeline: str, run: Any) -> None:
    path = Path(timeline.removeprefix("sqlite:///"))
    before = _fingerprint(path)
    for command in (
        ("list", "--as-of", "1h"),
        ("list", "--as-of", "1h", "--json", "--all"),
        ("show", "bamboohr:d", "--as-of", "1h"),
        ("show", "bamboohr:d", "--as-of", "1h", "--json"),
    ):
        code, _, err = run("--db", timeline, *command)
        assert (code, err) == (0, "")
    assert _fingerprint(path) == before
    # The plain list evaluates (D's 14 days without activity are over) and stores it.
    code, out, _ = run("--db", timeline, "list", "--json")
    assert {r["id"]: r["status"] for r in json.loads(out)}["bamboohr:d"] == "INACTIVE"
    assert _fingerprint(path) != before


def test_nothing_is_stored_through_the_store_either(timeline: str, run: Any) -> None:
    """With a URL the light read path does not take (SQLite options; on PostgreSQL the
    store's own), the store answers: still no pass, nothing stored."""
    url = timeline + ("?timeout=5" if timeline.startswith("sqlite") else "")
    store = Store.open(timeline)
    before = db_snapshot(store)
    store.close()
    code, out, err = run("--db", url, "list", "--as-of", "1h", "--json", "--all")
    assert (code, err) == (0, "")
    assert states(json.loads(out))["bamboohr:d"] == "ACTIVE"  # as recorded: no pass ran
    store = Store.open(timeline)
    try:
        assert db_snapshot(store) == before
    finally:
        store.close()


def test_show_as_of_tells_then_and_only_then(timeline: str, run: Any) -> None:
    at = T0 + timedelta(hours=1)
    code, out, err = run("--db", timeline, "show", "personio:a", "--as-of", iso(at), "--json")
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert doc["as_of"] == iso(at)
    assert doc["status"] == "ACTIVE"
    assert all(h["at"] <= iso(at) for h in doc["history"]) and doc["history"]
    assert [s["id"] for s in doc["syncs"]] == ["a_0"]
    code, out, err = run("--db", timeline, "show", "personio:a", "--as-of", iso(at))
    assert code == 0
    assert out.startswith(f"As of {at:%Y-%m-%d %H:%M} UTC")
    assert "History (up to then)" in out and "FAILED" not in out
    # Created later: nothing to show then.
    code, _, err = run("--db", timeline, "show", "lever:c", "--as-of", iso(at))
    assert code == 2 and "was created later" in err


def test_the_text_list_is_marked_as_the_past(timeline: str, run: Any) -> None:
    at = T1 + timedelta(hours=1)
    code, out, err = run("--db", timeline, "list", "--as-of", iso(at))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith(f"As of {at:%Y-%m-%d %H:%M} UTC")
    assert "read-only" in lines[0]
    assert lines[-1].startswith(f"4 integration(s) as of {at:%Y-%m-%d %H:%M} UTC")
    assert "NEXT" not in out  # no countdown for the past
    failing = next(line for line in lines if "personio:a" in line)
    assert "Failing" in failing and "failed 1 h" in failing  # relative to then


def test_entries_of_the_same_time_the_one_recorded_later_wins(
    db_url: str, write_import: WriteImport, run: Any
) -> None:
    """Deactivated and reactivated at one clock time: two entries dated alike (operator
    actions keep the time they were recorded). ``list`` (the SQL rule) and ``show`` (the
    same rule over one history) both take the one recorded later."""
    steps: list[tuple[Any, ...]] = [
        (T0 - timedelta(hours=1), "import", write_import([_a(failed=False)])),
        (T0, "deactivate", "personio:a"),
        (T0, "reactivate", "personio:a"),
    ]
    for at, *command in steps:
        code, _, err = run("--db", db_url, "--now", iso(at), *command)
        assert code == 0, err
    _, out, _ = run("--db", db_url, "show", "personio:a", "--json")
    tied = [h["to"] for h in json.loads(out)["history"] if h["at"] == iso(T0)]
    assert tied == ["INACTIVE", "ACTIVE"]  # the tie this test is about
    assert states(as_of(run, db_url, iso(T0))) == {"personio:a": "ACTIVE"}
    code, out, err = run("--db", db_url, "show", "personio:a", "--as-of", iso(T0), "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["status"] == "ACTIVE"
    # A second before, the import's state.
    before = iso(T0 - timedelta(seconds=1))
    assert states(as_of(run, db_url, before)) == {"personio:a": "ACTIVE"}
