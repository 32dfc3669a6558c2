"""``list --json`` and ``show --json`` carry the trends: recent results, the coming rule,
the timeline and its availability; the stored-rows path prints the same bytes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from builders import NOW, integration_record, sync_record
from syncwatch.cli import main
from syncwatch.clock import iso
from syncwatch.db import Store
from syncwatch.fastread import FastReader
from syncwatch.importer import import_files

FLAP = "lever:flap"
AUTH = "personio:auth"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A flapping integration and one failing authentication since 38 hours."""
    syncs_flap = [
        sync_record(f"f{i}", "SUCCEEDED" if i % 2 else "FAILED", NOW - timedelta(hours=3 * (8 - i)))
        for i in range(8)
    ]
    syncs_auth = [
        sync_record("a0", "SUCCEEDED", NOW - timedelta(hours=50)),
        sync_record(
            "a1",
            "AUTHENTICATION_FAILED",
            NOW - timedelta(hours=38, minutes=30),
            NOW - timedelta(hours=38),
        ),
        sync_record("a2", "AUTHENTICATION_FAILED", NOW - timedelta(hours=3)),
    ]
    doc = {
        "integrations": [
            integration_record(FLAP, filters_configured=True, qa_status="PASSED", syncs=syncs_flap),
            integration_record(AUTH, filters_configured=True, qa_status="PASSED", syncs=syncs_auth),
        ]
    }
    src = tmp_path / "in.json"
    src.write_text(json.dumps(doc))
    path = tmp_path / "t.db"
    store = Store.open(path)
    try:
        import_files(store, [str(src)], NOW)
    finally:
        store.close()
    return path


@contextmanager
def store_path_only() -> Iterator[None]:
    patch = pytest.MonkeyPatch()
    patch.setattr(FastReader, "open", classmethod(lambda cls, *a, **k: None))
    try:
        yield
    finally:
        patch.undo()


def run(db: Path, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code = main(["--db", str(db), "--now", iso(NOW) or "", *args])
    out = capsys.readouterr().out
    assert code == 0
    return out


def test_list_json_has_the_strip_and_the_coming_rule(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fast = run(db, capsys, "list", "--json")
    with store_path_only():
        slow = run(db, capsys, "list", "--json")
    assert fast == slow
    rows = {r["id"]: r for r in json.loads(fast)}
    assert rows[FLAP]["recent_strip"] == "✗✓✗✓✗✓✗✓"
    assert [r["state"] for r in rows[FLAP]["recent_results"]][-2:] == ["FAILED", "SUCCEEDED"]
    assert rows[FLAP]["next_change_at"] is None
    auth = rows[AUTH]
    assert auth["recent_strip"] == "✓⚠⚠"
    assert auth["status"] == "AUTHENTICATION_FAILING"
    assert auth["next_change"] == "credentials_invalid"
    assert auth["next_status"] == "CREDENTIALS_INVALID"
    assert auth["next_change_at"] == iso(NOW - timedelta(hours=38) + timedelta(hours=72))
    assert auth["status_since"] is not None


def test_show_json_has_the_timeline_and_availability(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fast = run(db, capsys, "show", AUTH, "--json")
    with store_path_only():
        slow = run(db, capsys, "show", AUTH, "--json")
    assert fast == slow
    doc = json.loads(fast)
    assert doc["recent_strip"] == "✓⚠⚠"
    assert set(doc["timeline"]) == {"7d", "30d"} == set(doc["availability"])
    week = doc["timeline"]["7d"]
    assert week["from"] == iso(NOW - timedelta(days=7)) and week["to"] == iso(NOW)
    # The week's transitions are the history's within it (its first entry, at creation,
    # is older than a week).
    week_start = NOW - timedelta(days=7)
    in_week = [h for h in doc["history"] if datetime.fromisoformat(h["at"]) >= week_start]
    assert [t["to"] for t in week["transitions"]] == [h["to"] for h in in_week]
    assert in_week and len(in_week) < len(doc["history"])
    assert doc["availability"]["7d"] == week["availability"]


def test_text_list_and_show_carry_the_strip_and_countdown(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = run(db, capsys, "list")
    assert "RECENT" in listed and "✗✓✗✓✗✓✗✓" in listed
    assert "pause in 1d 10h" in listed
    shown = run(db, capsys, "show", AUTH)
    assert "syncs pause in 1 d 10 h" in shown
    assert "Last 7 days" in shown and "Availability" in shown
