"""The outage banner and the errors screen, driven with the pilot."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pilot_support import notifications, run, settle
from textual.widgets import DataTable

from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.importer import import_parsed, parse_bytes
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.screens.detail import IntegrationScreen
from syncwatch.tui.screens.errors import ErrorsScreen, SignatureHitsScreen
from syncwatch.tui.screens.main import MainScreen
from syncwatch.tui.widgets.outage_banner import OutageBanner

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SIZE = (160, 45)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def workday(i: int, state: str, ended: datetime, message: str | None = None) -> dict[str, Any]:
    logs = []
    if message is not None:
        logs = [{"at": iso(ended), "level": "ERROR", "message": message}]
    return {
        "id": f"workday:t{i}",
        "tool": "workday",
        "category": "HRIS",
        "organization": f"Tenant {i} [bold]AG[/bold]",
        "created_at": "2026-11-01T09:00:00Z",
        "filters_configured": True,
        "qa_status": "PASSED",
        "syncs": [
            {
                "id": f"w{i}_{ended:%H%M}",
                "state": state,
                "started_at": iso(ended - timedelta(minutes=3)),
                "ended_at": iso(ended),
                "logs": logs,
            }
        ],
    }


def down(i: int, minutes_ago: int) -> dict[str, Any]:
    message = (
        f"Workday API returned 503 Service Unavailable on SOAP Get_Workers "
        f"/ccx/service/tenant{i}/Human_Resources/v42.0 (page {i + 2}, attempt 3/3)"
    )
    return workday(i, "FAILED", NOW - timedelta(minutes=minutes_ago), message)


def load(store: Store, records: list[dict[str, Any]], name: str) -> None:
    doc = json.dumps({"integrations": records}).encode()
    import_parsed(store, [parse_bytes(doc, name)], NOW)


def make_app(tmp_path: Path) -> tuple[SyncwatchApp, Store]:
    store = Store.open(tmp_path / "fleet-ui.db")
    load(store, [workday(i, "SUCCEEDED", NOW - timedelta(hours=3)) for i in range(6)], "a.json")
    return SyncwatchApp(store, FixedClock(NOW), live=False), store


async def refresh(pilot: Any) -> None:
    pilot.app.action_refresh_now()
    await settle(pilot)


def banner_text(app: SyncwatchApp) -> str | None:
    banner = app.main.query_one(OutageBanner)
    return str(banner.render()) if banner.display else None


async def test_an_outage_is_one_banner_one_notice_and_the_header_until_it_clears(
    tmp_path: Path,
) -> None:
    app, store = make_app(tmp_path)
    try:
        async with run(app, SIZE) as pilot:
            await settle(pilot)
            assert banner_text(app) is None
            # Four of six Workday integrations fail with the same 503 within the hour.
            load(store, [down(i, 20 + i) for i in range(4)], "b.json")
            await refresh(pilot)
            text = banner_text(app)
            assert text is not None
            assert text.startswith("⚡ Outage: workday: 4 of 6 failing since Nov 26 11:")
            assert text.endswith(", 503 Service Unavailable")
            told = [(n.title, n.message) for n in notifications(app)]
            assert [t for t, _ in told if "utage" in t] == ["Outage: workday"]
            # Not four state-change notices (nor a summary of them) besides.
            assert not [t for t, _ in told if t.startswith("State change")]
            assert "⚡ outage: workday" in app.sub_title
            # Three recover: 1 of 6 failing is no outage.
            ok = NOW - timedelta(minutes=5)
            load(store, [workday(i, "SUCCEEDED", ok) for i in range(3)], "c.json")
            await refresh(pilot)
            assert banner_text(app) is None
            assert "outage" not in app.sub_title
            titles = [n.title for n in notifications(app)]
            assert titles.count("Outage: workday") == 1
            assert "Outage over: workday" in titles
    finally:
        store.close()


async def test_errors_screen_lists_signatures_worst_first_and_opens_what_one_hit(
    tmp_path: Path,
) -> None:
    app, store = make_app(tmp_path)
    warn = workday(5, "PARTIALLY_FAILED", NOW - timedelta(minutes=50))
    warn["syncs"][0]["logs"] = [
        {"at": iso(NOW - timedelta(minutes=50)), "level": "WARNING", "message": "[red]x[/red] 7"}
    ]
    load(store, [down(i, 20 + i) for i in range(3)] + [warn], "b.json")
    try:
        async with run(app, SIZE) as pilot:
            await settle(pilot)
            await pilot.press("E")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ErrorsScreen)
            assert [(s.level, s.integrations) for s in screen.signatures] == [
                ("ERROR", 3),
                ("WARNING", 1),
            ]
            assert screen.signatures[1].signature == "[red]x[/red] <n>"
            table = screen.query_one(DataTable)
            assert table.row_count == 2
            await pilot.press("enter")
            await settle(pilot)
            hits = app.screen
            assert isinstance(hits, SignatureHitsScreen)
            assert [r.id for r in hits.hits] == ["workday:t0", "workday:t1", "workday:t2"]
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, IntegrationScreen)
            assert app.screen.integration_id == "workday:t0"
            # Escape goes back the way it came.
            for back in (SignatureHitsScreen, ErrorsScreen, MainScreen):
                await pilot.press("escape")
                await settle(pilot)
                assert isinstance(app.screen, back)
    finally:
        store.close()
