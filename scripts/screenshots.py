"""Regenerate ``screenshots/*.svg`` from the bundled sample data.

Every screenshot is taken at the same fixed instant (2026-11-26T12:00:00Z) on a fresh copy of
the sample in a temporary database (never the user's default one), with the live refresh off,
so the output only changes when the look of the app changes.

Run from the project root::

    uv run python scripts/screenshots.py [--out screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import WorkerFailed

from syncwatch.ack_actions import acknowledge, snooze
from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.db.kombo import update_integration
from syncwatch.demo import run_headless
from syncwatch.importer import load_sample
from syncwatch.kombo.apply import receive_event
from syncwatch.kombo.events import parse_event
from syncwatch.states import IntegrationState
from syncwatch.tui.app import SyncwatchApp

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WIDE = (160, 45)
SMALL = (80, 24)
ROOT = Path(__file__).resolve().parents[1]

Steps = Callable[[Pilot[Any], SyncwatchApp], Awaitable[None]]


async def settle(pilot: Pilot[Any]) -> None:
    """Let workers finish and the messages they post be handled."""
    for _ in range(3):
        with contextlib.suppress(WorkerFailed):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def freeze(app: SyncwatchApp) -> None:
    """Take the wall clock and blinking out of the picture.

    The header shows when the last evaluation pass ran, in real time; pin it to the fixed clock.
    """
    app.last_pass_at = app.clock.now()
    app.update_header()
    for screen in app.screen_stack:
        for field in screen.query(Input):
            field.cursor_blink = False


def failing_integration(store: Store) -> str:
    """A Workday integration whose syncs are failing (any failing one if there is none)."""
    failing = [r for r in store.integrations() if r.state is IntegrationState.SYNC_FAILING]
    if not failing:
        raise SystemExit("the sample has no integration in SYNC_FAILING")
    workday = [r for r in failing if r.tool == "workday"]
    return (workday or failing)[0].id


async def nothing(pilot: Pilot[Any], app: SyncwatchApp) -> None:
    return None


async def drill_down(pilot: Pilot[Any], app: SyncwatchApp) -> None:
    target = failing_integration(app.gateway.store)
    assert app.main.integration_list.select_id(target), target
    await pilot.pause()
    await pilot.press("enter")


def kombo_reports(store: Store, target: str) -> None:
    """What Kombo would have sent about ``target``: an open and a resolved issue, a failed
    sync with its log link; and what a pull answered 404 stores (gone upstream)."""
    row = store.get(target)
    assert row is not None
    user = {"organization_name": row.organization, "creator_email": None, "origin_id": None}
    ref = {"id": target, "tool": row.tool, "category": row.category, "end_user": user}
    issues = [
        ("iss_down", "OPEN", "Workday API unavailable", "2026-11-26T10:00:00Z", None,
         "Workday answers `503` to every request. See **status.workday.com**."),
        ("iss_rate", "RESOLVED", "Rate limited by Workday", "2026-11-24T08:00:00Z",
         "2026-11-24T09:30:00Z", "Kombo was **rate limited**; it retried and caught up."),
    ]  # fmt: skip
    events: list[tuple[str, str, dict[str, Any]]] = [
        (f"evt_{i}", "issue-status-changed", {
            "change": "raised" if status == "OPEN" else "resolved", "integration": ref,
            "issue": {"id": i, "type": "integration.sync_failed", "title": title,
                      "status": status, "markdown_message": text,
                      "first_observed_at": first, "resolved_at": resolved},
        })
        for i, status, title, first, resolved, text in issues
    ]  # fmt: skip
    events.append(("evt_sync", "sync-finished", {
        "sync_id": "sync_kombo_0001", "sync_state": "FAILED", "integration_id": target,
        "sync_started_at": "2026-11-26T11:00:00Z", "sync_ended_at": "2026-11-26T11:04:00Z",
        "sync_duration_seconds": 240, "integration_tool": row.tool,
        "integration_category": row.category, "end_user": user,
        "log_url": "https://app.kombo.dev/env/production/logs/sync_kombo_0001",
    }))  # fmt: skip
    for event_id, kind, data in events:
        body = json.dumps({"id": event_id, "type": kind, "data": data})
        receive_event(store, parse_event(body.encode()), body, NOW)
    with store.write() as conn:
        update_integration(
            conn, target, {"upstream_gone_at": NOW, "revision": store.next_revision(conn)}
        )


async def kombo_drill_down(pilot: Pilot[Any], app: SyncwatchApp) -> None:
    kombo_reports(app.gateway.store, failing_integration(app.gateway.store))
    await pilot.press("ctrl+r")  # a pass brings the change in
    await settle(pilot)
    await drill_down(pilot, app)


async def delete_confirm(pilot: Pilot[Any], app: SyncwatchApp) -> None:
    await pilot.press("d")


async def help_screen(pilot: Pilot[Any], app: SyncwatchApp) -> None:
    await pilot.press("question_mark")


async def grouped(pilot: Pilot[Any], app: SyncwatchApp) -> None:
    """Grouped by tool, the worst group open."""
    await pilot.press("b", "home", "enter")
    app.clear_notifications()


async def errors(pilot: Pilot[Any], app: SyncwatchApp) -> None:
    """Errors by signature across the fleet, worst first."""
    await pilot.press("E")


async def feed(pilot: Pilot[Any], app: SyncwatchApp) -> None:
    """The activity feed after two operator actions (who did what)."""
    store = app.gateway.store
    target = failing_integration(store)
    acknowledge(store, target, NOW, "alice", "Workday 503s, watching their status page")
    await pilot.press("ctrl+r")
    await settle(pilot)
    await pilot.press("w")


async def on_call(pilot: Pilot[Any], app: SyncwatchApp) -> None:
    """Acknowledged and snoozed rows, the acknowledged one highlighted (its preview)."""
    store = app.gateway.store
    target = failing_integration(store)
    acknowledge(store, target, NOW, "alice", "Workday 503s, watching their status page")
    others = [r for r in store.integrations() if r.state is IntegrationState.AUTHENTICATION_FAILING]
    if others:
        snooze(store, others[0].id, timedelta(hours=2), NOW, "bob")
    await pilot.press("ctrl+r")
    await settle(pilot)
    assert app.main.integration_list.select_id(target), target
    app.clear_notifications()


async def light(pilot: Pilot[Any], app: SyncwatchApp) -> None:
    app.theme = "textual-light"


@dataclass(frozen=True)
class Shot:
    name: str
    steps: Steps
    size: tuple[int, int] = WIDE
    read_only: bool = False
    #: Instead of the sample: the demo's tour, run headless this long from DEMO_START.
    demo_until: timedelta | None = None


#: The demo screenshot: the tour 1 d 20 h in (auth failing, one disabled by the 14-day rule,
#: one by an operator, one deleted), as `syncwatch demo` shows it at that moment.
DEMO_START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

SHOTS = (
    Shot("main", nothing),
    Shot("drilldown", drill_down),
    Shot("drilldown-kombo", kombo_drill_down),
    Shot("delete-confirm", delete_confirm),
    Shot("help", help_screen),
    Shot("grouped", grouped),
    Shot("errors", errors),
    Shot("feed", feed),
    Shot("on-call", on_call),
    Shot("light", light),
    Shot("read-only", nothing, read_only=True),
    Shot("small-80x24", nothing, size=SMALL),
    Shot("demo-tour", nothing, demo_until=timedelta(days=1, hours=20)),
)


async def take(shot: Shot, workdir: Path) -> str:
    """The SVG of one screenshot, on a fresh sample database."""
    db = workdir / f"{shot.name}.db"
    store = Store.open(db)
    try:
        at = NOW
        if shot.demo_until is not None:
            run_headless(store, scenario="tour", seed=0, start=DEMO_START, until=shot.demo_until)
            at = DEMO_START + shot.demo_until
        else:
            load_sample(store, NOW)
        app = SyncwatchApp(store, FixedClock(at), live=False, read_only=shot.read_only)
        app.theme = "textual-dark"  # not whatever TEXTUAL_THEME says
        async with app.run_test(size=shot.size) as pilot:
            await settle(pilot)
            await shot.steps(pilot, app)
            await settle(pilot)
            freeze(app)
            # A short real pause as well: lets every widget's idle handler post its pending
            # layout before the picture is taken (seen once under load: a stale pane height).
            await pilot.pause(0.1)
            await pilot.wait_for_scheduled_animations()
            await pilot.pause()
            return app.export_screenshot(simplify=True)
    finally:
        store.close()


async def main_async(out: Path, names: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="syncwatch-shots-") as tmp:
        for shot in SHOTS:
            if names and shot.name not in names:
                continue
            svg = await take(shot, Path(tmp))
            path = out / f"{shot.name}.svg"
            path.write_text(svg, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots", help="output folder")
    parser.add_argument("names", nargs="*", help=f"only these: {', '.join(s.name for s in SHOTS)}")
    args = parser.parse_args(argv)
    unknown = set(args.names) - {s.name for s in SHOTS}
    if unknown:
        parser.error(f"unknown screenshot(s): {', '.join(sorted(unknown))}")
    os.environ.pop("NO_COLOR", None)  # read when the app is built; would drop every colour
    asyncio.run(main_async(args.out.resolve(), args.names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
