"""Snapshots of the list grouped by tool (``b``): every group closed, and one open, at
160x45 and at 80x24.

Deterministic as ``test_snapshots.py`` is: a fixed clock, no live timer, no drill-down built
ahead, the header's "last pass" pinned, no sleeps. Regenerate after an intended change::

    uv run pytest tests/tui/test_grouping_snapshots.py --snapshot-update
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pilot_support import settle
from textual.pilot import Pilot

from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.importer import import_parsed, parse_bytes
from syncwatch.tui.app import SyncwatchApp

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WIDE = (160, 45)
NARROW = (80, 24)
SnapCompare = Callable[..., bool]


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _integration(
    iid: str, org: str, result: str | None, hours_ago: float = 1, **extra: Any
) -> dict[str, Any]:
    ended = NOW - timedelta(hours=hours_ago)
    syncs = []
    if result is not None:
        logs = []
        if result != "SUCCEEDED":
            level = "WARNING" if result == "PARTIALLY_FAILED" else "ERROR"
            logs = [{"at": _iso(ended), "level": level, "message": f"{iid}: 503 from the API"}]
        syncs = [
            {
                "id": f"s_{iid}",
                "state": result,
                "started_at": _iso(ended - timedelta(minutes=5)),
                "ended_at": _iso(ended),
                "logs": logs,
            }
        ]
    record: dict[str, Any] = {
        "id": iid,
        "tool": iid.split(":")[0],
        "category": "HRIS",
        "organization": org,
        "created_at": "2026-11-01T09:00:00Z",
        "filters_configured": True,
        "qa_status": "PASSED",
        "syncs": syncs,
    }
    record.update(extra)
    return record


def _fleet() -> list[dict[str, Any]]:
    """Workday mostly failing, BambooHR with an expired key, Personio with warnings, a
    QA hold at Greenhouse, HiBob off, Deel not set up; a tool named as markup."""
    out = [
        _integration(f"workday:t{i}", f"Tenant {i} AG", "FAILED" if i < 5 else "SUCCEEDED", i / 3)
        for i in range(8)
    ]
    out += [
        _integration("bamboohr:k1", "Kestrel Foods", "AUTHENTICATION_FAILED", 2),
        _integration("bamboohr:k2", "Linden Labs", "SUCCEEDED", 3),
        _integration("personio:acme", "Acme GmbH", "PARTIALLY_FAILED", 5),
        _integration("personio:birch", "Birch AG", "SUCCEEDED", 2),
        _integration("personio:cedar", "Cedar Ltd", "SUCCEEDED", 4),
        _integration("greenhouse:orchid", "Orchid Biotech", "FAILED", 6, qa_status=None),
        _integration("greenhouse:quill", "Quill Ltd", "SUCCEEDED", 1),
        _integration("hibob:vantage", "Vantage Realty", None, enabled=False),
        _integration("deel:mosaic", "Mosaic Remote", None, filters_configured=False),
        _integration("[bold]x:1", "Markup Tool Co", "SUCCEEDED", 1),
    ]
    return out


@pytest.fixture
def make_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("NO_COLOR", raising=False)
    store = Store.open(tmp_path / "syncwatch.db")
    doc = json.dumps({"integrations": _fleet()}).encode()
    import_parsed(store, [parse_bytes(doc, "fleet.json")], NOW)

    def make() -> SyncwatchApp:
        app = SyncwatchApp(store, FixedClock(NOW), live=False)
        app.PREBUILD_DETAIL_AFTER = None
        app.theme = "textual-dark"
        return app

    yield make
    store.close()


def _prepare(app: SyncwatchApp, keys: tuple[str, ...]) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        app.last_pass_at = NOW
        app.update_header()
        app.clear_notifications()  # toasts go after a time on the wall clock
        await pilot.wait_for_scheduled_animations()
        await settle(pilot)

    return run_before


#: Grouped by tool, every group closed, the cursor on the second group (BambooHR).
CLOSED = ("b", "home", "down")
#: The same, Workday opened (the cursor back on its row).
ONE_OPEN = ("b", "home", "enter")


def test_grouped_by_tool_closed(snap_compare: SnapCompare, make_app: Any) -> None:
    app = make_app()
    assert snap_compare(app, terminal_size=WIDE, run_before=_prepare(app, CLOSED))


def test_grouped_by_tool_one_open(snap_compare: SnapCompare, make_app: Any) -> None:
    app = make_app()
    assert snap_compare(app, terminal_size=WIDE, run_before=_prepare(app, ONE_OPEN))


def test_grouped_by_tool_closed_narrow(snap_compare: SnapCompare, make_app: Any) -> None:
    app = make_app()
    assert snap_compare(app, terminal_size=NARROW, run_before=_prepare(app, CLOSED))


def test_grouped_by_tool_one_open_narrow(snap_compare: SnapCompare, make_app: Any) -> None:
    app = make_app()
    assert snap_compare(app, terminal_size=NARROW, run_before=_prepare(app, ONE_OPEN))
