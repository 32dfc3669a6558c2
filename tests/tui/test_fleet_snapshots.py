"""Snapshots of the fleet's views: the outage banner over the list, and the errors screen.

Deterministic as ``test_snapshots.py`` is: a fixed clock, no live timer, no drill-down built
ahead, the header's "last pass" pinned, no sleeps. Regenerate after an intended change::

    uv run pytest tests/tui/test_fleet_snapshots.py --snapshot-update
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
from syncwatch.tui.screens.errors import ErrorsScreen

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WIDE = (160, 40)
SnapCompare = Callable[..., bool]


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _fleet() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for i in range(8):
        ended = NOW - timedelta(minutes=15 + 7 * i)
        failing = i < 5
        logs = []
        if failing:
            logs = [
                {
                    "at": _iso(ended),
                    "level": "ERROR",
                    "message": "Workday API returned 503 Service Unavailable on SOAP "
                    f"Get_Workers /ccx/service/tenant{i}/Human_Resources/v42.0 (page {i + 2}, "
                    "attempt 3/3): the tool's API is down",
                }
            ]
        records.append(
            {
                "id": f"workday:t{i}",
                "tool": "workday",
                "category": "HRIS",
                "organization": f"Tenant {i} [bold]AG[/bold]",
                "created_at": "2026-11-01T09:00:00Z",
                "filters_configured": True,
                "qa_status": "PASSED",
                "syncs": [
                    {
                        "id": f"w{i}",
                        "state": "FAILED" if failing else "SUCCEEDED",
                        "started_at": _iso(ended - timedelta(minutes=3)),
                        "ended_at": _iso(ended),
                        "logs": logs,
                    }
                ],
            }
        )
    warned = NOW - timedelta(hours=5)
    records.append(
        {
            "id": "personio:acme",
            "tool": "personio",
            "category": "HRIS",
            "organization": "Acme GmbH",
            "created_at": "2026-11-01T09:00:00Z",
            "filters_configured": True,
            "qa_status": "PASSED",
            "syncs": [
                {
                    "id": "p1",
                    "state": "PARTIALLY_FAILED",
                    "started_at": _iso(warned - timedelta(minutes=30)),
                    "ended_at": _iso(warned),
                    "logs": [
                        {
                            "at": _iso(warned - timedelta(minutes=10)),
                            "level": "WARNING",
                            "message": "Could not fetch field date_of_birth: permission missing "
                            "(403 on GET /v1/company/employees/attributes) [link=x]not a link[/]",
                        }
                    ],
                }
            ],
        }
    )
    return records


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


def _prepare(app: SyncwatchApp, keys: tuple[str, ...] = ()) -> Callable[[Pilot[Any]], Any]:
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


def test_outage_banner_over_the_list(snap_compare: SnapCompare, make_app: Any) -> None:
    app = make_app()
    assert snap_compare(app, terminal_size=WIDE, run_before=_prepare(app))


def test_errors_by_signature_screen(snap_compare: SnapCompare, make_app: Any) -> None:
    app = make_app()

    async def steps(pilot: Pilot[Any]) -> None:
        await _prepare(app, ("E",))(pilot)
        assert isinstance(app.screen, ErrorsScreen)

    assert snap_compare(app, terminal_size=WIDE, run_before=steps)
