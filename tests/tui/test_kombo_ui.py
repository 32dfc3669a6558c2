"""Kombo in the terminal UI: issues and log links in the drill-down, integrations gone
upstream flagged, and operator actions that go to Kombo first (a fake Kombo API on loopback,
through the real SDK)."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pilot_support import notifications, run, settle
from rich.console import Console
from textual.widgets import Static

from syncwatch.cli import main as cli_main
from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.kombo.apply import receive_event
from syncwatch.kombo.events import parse_event
from syncwatch.kombo.pull import pull
from syncwatch.kombo.remote import KomboRemote, KomboSettings
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.screens.detail import IntegrationScreen
from syncwatch.tui.widgets.integration_list import IntegrationList
from syncwatch.tui.widgets.text_pane import TextPane

# The fake Kombo API lives with the Kombo tests.
sys.path.insert(0, str(Path(__file__).parents[1] / "kombo"))
from fake_kombo import API_KEY, FakeKombo, Reply

SIZE = (160, 45)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # the fixed clock of conftest.py
LOG_URL = "https://app.kombo.dev/env/production/logs/s_kombo_1"


@pytest.fixture
def fake() -> Iterator[FakeKombo]:
    with FakeKombo() as f:
        yield f


def remote_env(fake: FakeKombo) -> dict[str, str]:
    return {
        "KOMBO_API_KEY": API_KEY,
        "SYNCWATCH_KOMBO_REMOTE": "1",
        "KOMBO_SERVER_URL": fake.url,
    }


def make_app(store: Store, clock: FixedClock, **kwargs: object) -> SyncwatchApp:
    kwargs.setdefault("env", {})
    return SyncwatchApp(store, clock, live=False, **kwargs)  # type: ignore[arg-type]


def note_text(app: SyncwatchApp) -> str:
    return "\n".join(f"{n.title}: {n.message}" for n in notifications(app))


def row_text(app: SyncwatchApp, integration_id: str) -> str:
    """The integration's line in the list, as painted (the cursor moves onto it)."""
    lst = app.main.query_one(IntegrationList)
    index = lst.index_of(integration_id)
    assert index is not None
    lst.move_cursor(index)
    y = index - int(lst.scroll_offset.y) + 1  # below the header
    return lst.render_line(y).text


def preview_text(app: SyncwatchApp) -> str:
    preview = app.main.query_one("#preview", Static)
    console = Console(width=40, record=True, color_system=None, file=io.StringIO())
    console.print(preview.content)
    return console.export_text()


def receive(store: Store, event_id: str, kind: str, data: dict[str, object]) -> None:
    body = json.dumps({"id": event_id, "type": kind, "data": data}).encode()
    receive_event(store, parse_event(body), body.decode(), NOW)


def kombo_issue(
    store: Store,
    issue_id: str,
    status: str,
    title: str,
    message: str,
    first: str,
    resolved: str | None,
) -> None:
    receive(
        store,
        f"evt_{issue_id}_{status}",
        "issue-status-changed",
        {
            "change": "raised" if status == "OPEN" else "resolved",
            "issue": {
                "id": issue_id,
                "type": "integration.authentication_failed",
                "title": title,
                "status": status,
                "markdown_message": message,
                "first_observed_at": first,
                "resolved_at": resolved,
            },
            "integration": {
                "id": "personio:acme",
                "tool": "personio",
                "category": "HRIS",
                "end_user": {
                    "organization_name": "Acme GmbH",
                    "creator_email": None,
                    "origin_id": None,
                },
            },
        },
    )


def sync_finished(store: Store) -> None:
    receive(
        store,
        "evt_sync_1",
        "sync-finished",
        {
            "sync_id": "s_kombo_1",
            "sync_state": "SUCCEEDED",
            "sync_started_at": "2026-11-26T11:30:00Z",
            "sync_ended_at": "2026-11-26T11:31:00Z",
            "sync_duration_seconds": 60,
            "integration_id": "personio:acme",
            "integration_tool": "personio",
            "integration_category": "HRIS",
            "end_user": {
                "organization_name": "Acme GmbH",
                "creator_email": None,
                "origin_id": None,
            },
            "log_url": LOG_URL,
        },
    )


# --------------------------------------------------------------------------- issues, log_url


async def test_drill_down_shows_kombo_issues_open_first_and_the_log_url(
    store: Store, clock: FixedClock
) -> None:
    kombo_issue(
        store, "iss_old", "RESOLVED", "Old outage", "Was **down**.",
        "2026-11-20T08:00:00Z", "2026-11-20T09:00:00Z",
    )  # fmt: skip
    kombo_issue(
        store, "iss_auth", "OPEN", "Authentication failed",
        "Ask the customer to reconnect [bold]Personio[/bold] (see **docs**).",
        "2026-11-26T09:00:00Z", None,
    )  # fmt: skip
    sync_finished(store)
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        # Where the operator scans: the list row and the preview.
        assert "⚑1" in row_text(app, "personio:acme")
        await pilot.pause()
        assert "1 open issue" in preview_text(app)
        assert "⚑" not in row_text(app, "greenhouse:orchid")

        assert app.main.query_one(IntegrationList).select_id("personio:acme")
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IntegrationScreen)
        # The pane's text with its line wrapping undone.
        left = " ".join(screen.query_one("#detail-left", TextPane).text.split())
        assert "Kombo issues: 1 open, 1 resolved" in left
        assert left.index("Authentication failed") < left.index("Old outage")
        assert "OPEN" in left and "RESOLVED" in left
        assert "first observed Nov 26 09:00" in left and "resolved Nov 20 09:00" in left
        # Markdown and markup-like text are shown as written, never parsed.
        assert "reconnect [bold]Personio[/bold] (see **docs**)." in left
        assert left.index("Kombo issues") < left.index("State history")

        # The newest sync is Kombo's, with its log link on the line under the syncs.
        assert screen.sync_id == "s_kombo_1"
        url_line = screen.query_one("#sync-url", Static).content
        assert LOG_URL in str(url_line)
        await pilot.press("u")
        assert f"Log URL copied: {LOG_URL}" in note_text(app)
        # An imported sync has none.
        await pilot.press("down")
        await settle(pilot)
        assert "none for s_acme_1" in str(screen.query_one("#sync-url", Static).content)
        await pilot.press("u")
        assert "has no Kombo log URL" in note_text(app)


def test_show_json_has_each_syncs_log_url(
    db_path: Path, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    sync_finished(store)
    argv = ["--db", str(db_path), "--now", "2026-11-26T12:00:00Z", "show", "personio:acme"]
    assert cli_main([*argv, "--json"]) == 0
    syncs = {s["id"]: s for s in json.loads(capsys.readouterr().out)["syncs"]}
    assert syncs["s_kombo_1"]["log_url"] == LOG_URL
    assert syncs["s_acme_1"]["log_url"] is None


# --------------------------------------------------------------------------- gone upstream


async def test_an_integration_gone_from_kombo_is_flagged(
    store: Store, clock: FixedClock, fake: FakeKombo
) -> None:
    fake.add("greenhouse:orchid")  # Kombo knows this one, not personio:acme
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        assert "gone" not in row_text(app, "personio:acme")
        settings = KomboSettings(API_KEY, server_url=fake.url)

        async def no_wait(_seconds: float) -> None:
            return None

        # A pull (another process, say) finds it gone; the next pass brings that in.
        report = await asyncio.to_thread(
            pull, store, settings, NOW, ids=["personio:acme", "greenhouse:orchid"], sleep=no_wait
        )
        assert {i.integration_id: i.outcome for i in report.items}["personio:acme"] == "gone"
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "gone" not in row_text(app, "greenhouse:orchid")
        assert "gone" in row_text(app, "personio:acme")  # (the cursor stays on it)
        await pilot.pause()
        assert "gone (404" in preview_text(app)

        assert app.main.query_one(IntegrationList).select_id("personio:acme")
        await pilot.press("enter")
        await settle(pilot)
        left = " ".join(app.screen.query_one("#detail-left", TextPane).text.split())
        assert "Gone from Kombo: it answered 404 on Nov 26 12:00" in left
        assert "syncwatch delete personio:acme --local" in left


# --------------------------------------------------------------------------- remote actions


async def test_a_remote_action_kombo_accepts_changes_the_state(
    store: Store, clock: FixedClock, fake: FakeKombo, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.add("hibob:vantage", status="INACTIVE")
    closed: list[KomboRemote] = []
    close = KomboRemote.close

    def spy_close(remote: KomboRemote) -> None:
        closed.append(remote)
        close(remote)

    monkeypatch.setattr(KomboRemote, "close", spy_close)
    waits: list[float] = []
    app = make_app(store, clock, env=remote_env(fake), kombo_sleep=waits.append)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        assert "actions go to Kombo" in app.sub_title
        assert app.main.query_one(IntegrationList).select_id("hibob:vantage")
        await pilot.press("r")
        await settle(pilot)
        (call,) = fake.calls("hibob:vantage", "PUT")
        assert json.loads(call.body) == {"value": True}
        assert call.authorization == f"Bearer {API_KEY}"
        row = store.get("hibob:vantage")
        assert row is not None and row.enabled
        assert "Asking Kombo to reactivate hibob:vantage first" in note_text(app)
        assert "Reactivate: done" in note_text(app)
        assert app.rows["hibob:vantage"].enabled
        remote = app.gateway.remote
        assert remote is not None and not closed
    # Closed with the app.
    assert closed == [remote]


async def test_a_remote_action_kombo_refuses_changes_nothing(
    store: Store, clock: FixedClock, fake: FakeKombo
) -> None:
    fake.add("personio:acme")
    fake.script("personio:acme", Reply(500))
    waits: list[float] = []
    app = make_app(store, clock, env=remote_env(fake), kombo_sleep=waits.append)
    before = store.get("personio:acme")
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        assert app.main.query_one(IntegrationList).select_id("personio:acme")
        await pilot.press("x")
        await settle(pilot)
        text = note_text(app)
        assert "Deactivate: 1 refused" in text
        assert "Kombo did not disable Acme GmbH (personio:acme)" in text
        assert "Nothing changed in syncwatch." in text
        assert API_KEY not in text
        assert fake.calls("personio:acme", "PUT")  # it was asked (and retried: waits)
        assert waits
        assert store.get("personio:acme") == before
        assert store.audit("personio:acme") == []
        assert app.rows["personio:acme"].enabled


async def test_a_bad_kombo_setting_is_shown_and_actions_stay_local(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock, env={"SYNCWATCH_KOMBO_REMOTE": "1"})
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        text = note_text(app)
        assert "Kombo remote actions are off" in text and "KOMBO_API_KEY" in text
        assert "Kombo" not in app.sub_title
        assert app.gateway.remote is None
        assert app.main.query_one(IntegrationList).select_id("personio:acme")
        await pilot.press("x")
        await settle(pilot)
        row = store.get("personio:acme")
        assert row is not None and not row.enabled
