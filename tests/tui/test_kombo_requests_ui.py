"""Asking Kombo from the UI (issue 15, items 9 and 10): a reconnection link copied and shown,
a sync triggered with Kombo's advice, refusals said before Kombo is asked, and Kombo's
failures shown (a fake Kombo API on loopback, through the real SDK).

The keys are bound by a test app here (``L``, ``T``): the key table is another change's.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest
from pilot_support import notifications, run, settle
from textual.binding import Binding, BindingType

from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.importer import import_parsed, parse_bytes
from syncwatch.tui import app as app_module
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.screens.detail import IntegrationScreen
from syncwatch.tui.widgets.integration_list import IntegrationList
from syncwatch.tui.widgets.text_pane import TextPane
from syncwatch.upstream_requests import SYNC_ADVICE

# The fake Kombo API lives with the Kombo tests.
sys.path.insert(0, str(Path(__file__).parents[1] / "kombo"))
from fake_kombo import API_KEY, FakeKombo, Reply

SIZE = (160, 45)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # the fixed clock of conftest.py
AUTH = "bamboohr:lumen"


class KomboKeysApp(SyncwatchApp):
    """The app with the two keys bound as the key table will bind them."""

    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))  # the app's, not here
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("L", "relink_link", "Relink link"),
        Binding("T", "trigger_sync", "Sync now"),
    ]


@pytest.fixture
def fake() -> Iterator[FakeKombo]:
    with FakeKombo() as f:
        yield f


@pytest.fixture
def auth_failing(store: Store) -> None:
    """An integration whose last (and first) sync failed on authentication, next to the
    sample's: held in QA, with credentials that do not work."""
    record = {
        "id": AUTH,
        "tool": "bamboohr",
        "category": "HRIS",
        "organization": "Lumen [b]Labs[/b]",
        "created_at": "2026-11-01T09:00:00Z",
        "filters_configured": True,
        "syncs": [
            {
                "id": "s_lumen_1",
                "state": "AUTHENTICATION_FAILED",
                "started_at": "2026-11-26T09:00:00Z",
                "ended_at": "2026-11-26T09:01:00Z",
            }
        ],
    }
    doc = json.dumps({"integrations": [record]})
    import_parsed(store, [parse_bytes(doc, "auth.json")], NOW)


def remote_env(fake: FakeKombo) -> dict[str, str]:
    return {"KOMBO_API_KEY": API_KEY, "SYNCWATCH_KOMBO_REMOTE": "1", "KOMBO_SERVER_URL": fake.url}


def make_app(store: Store, clock: FixedClock, **kwargs: object) -> KomboKeysApp:
    kwargs.setdefault("env", {})
    kwargs.setdefault("kombo_sleep", lambda s: None)
    return KomboKeysApp(store, clock, live=False, actor="oncall", **kwargs)  # type: ignore[arg-type]


def note_text(app: SyncwatchApp) -> str:
    return "\n".join(f"{n.title}: {n.message}" for n in notifications(app))


def select(app: SyncwatchApp, integration_id: str) -> None:
    assert app.main.query_one(IntegrationList).select_id(integration_id)


def requests_audited(store: Store, iid: str) -> list[tuple[str, str]]:
    return [
        (a.action, a.actor)
        for a in store.audit(iid)
        if a.action.startswith(("relink-link", "trigger-sync"))
    ]


@pytest.mark.usefixtures("auth_failing")
async def test_l_makes_a_magic_link_copies_and_shows_it(
    store: Store, clock: FixedClock, fake: FakeKombo
) -> None:
    fake.add(AUTH)
    app = make_app(store, clock, env=remote_env(fake))
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        select(app, AUTH)
        await pilot.press("L")
        await settle(pilot)

        (call,) = fake.calls(AUTH, "POST")
        assert json.loads(call.body)["link_type"] == "MAGIC_LINK"
        link = fake.links[-1]
        assert app.clipboard == link
        shown = [n for n in notifications(app) if n.title == "Magic link made"]
        assert len(shown) == 1 and shown[0].timeout >= 60
        assert link in shown[0].message
        # The organisation is shown as written, never read as markup.
        assert "Lumen [b]Labs[/b] (bamboohr:lumen)" in shown[0].message
        assert "valid 1 year, until Nov 26 2027 12:00 UTC" in " ".join(shown[0].message.split())
        assert "Asking Kombo for a magic link" in note_text(app)
        assert requests_audited(store, AUTH) == [("relink-link-magic", "oncall")]


async def test_l_on_a_healthy_integration_says_why_and_asks_nothing(
    store: Store, clock: FixedClock, fake: FakeKombo
) -> None:
    fake.add("personio:acme")
    app = make_app(store, clock, env=remote_env(fake))
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        select(app, "personio:acme")
        await pilot.press("L")
        await settle(pilot)
        assert "Reconnection link: not for this one" in note_text(app)
        assert "not failing authentication" in note_text(app)
        assert fake.requests == []
        assert app.clipboard == ""


@pytest.mark.usefixtures("auth_failing")
async def test_t_triggers_a_sync_and_shows_kombos_advice(
    store: Store, clock: FixedClock, fake: FakeKombo
) -> None:
    fake.add(AUTH)
    app = make_app(store, clock, env=remote_env(fake))
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        select(app, AUTH)
        await pilot.press("T")
        await settle(pilot)
        (call,) = fake.calls(AUTH, "POST")
        assert call.path == "/v1/force-sync"
        assert json.loads(call.body) == {"type": "DELTA"}
        text = " ".join(note_text(app).split())
        assert "Sync triggered: Kombo queued a delta sync of Lumen [b]Labs[/b]" in text
        assert f"Kombo's advice: {SYNC_ADVICE}" in text
        assert requests_audited(store, AUTH) == [("trigger-sync-delta", "oncall")]


@pytest.mark.parametrize(
    ("iid", "why"),
    [
        ("hibob:vantage", "is inactive; reactivate it first"),
        ("lever:foxglove", "is deleted"),
    ],
)
async def test_t_is_refused_with_the_reason(
    store: Store, clock: FixedClock, fake: FakeKombo, iid: str, why: str
) -> None:
    app = make_app(store, clock, env=remote_env(fake))
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        if iid == "lever:foxglove":
            await pilot.press("full_stop")  # show deleted integrations
            await settle(pilot)
        select(app, iid)
        await pilot.press("T")
        await settle(pilot)
        assert "Trigger sync: not for this one" in note_text(app)
        assert why in note_text(app)
        assert fake.requests == []


@pytest.mark.usefixtures("auth_failing")
async def test_a_kombo_failure_is_shown_and_nothing_is_recorded(
    store: Store, clock: FixedClock, fake: FakeKombo
) -> None:
    fake.add(AUTH)
    fake.script(AUTH, Reply(500))
    app = make_app(store, clock, env=remote_env(fake))
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        select(app, AUTH)
        await pilot.press("L")
        await settle(pilot)
        text = note_text(app)
        assert "Reconnection link: not done" in text
        assert "Kombo answered HTTP 500" in text and "Nothing was recorded" in text
        assert API_KEY not in text
        assert app.clipboard == ""
        assert requests_audited(store, AUTH) == []


@pytest.mark.usefixtures("auth_failing")
async def test_without_remote_actions_on_it_says_what_to_set(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock, env={"KOMBO_API_KEY": API_KEY})
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        select(app, AUTH)
        await pilot.press("T")
        await settle(pilot)
        text = note_text(app)
        assert "Remote actions are off: set SYNCWATCH_KOMBO_REMOTE=1 and KOMBO_API_KEY" in text
        assert requests_audited(store, AUTH) == []


@pytest.mark.usefixtures("auth_failing")
async def test_read_only_asks_kombo_nothing(
    store: Store, clock: FixedClock, fake: FakeKombo
) -> None:
    app = make_app(store, clock, env=remote_env(fake), read_only=True)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        select(app, AUTH)
        await pilot.press("L", "T")
        await settle(pilot)
        assert note_text(app).count("Read-only mode: nothing is asked of Kombo.") == 2
        assert fake.requests == []


@pytest.mark.usefixtures("auth_failing")
async def test_marked_rows_are_asked_about_one_at_a_time(
    store: Store, clock: FixedClock, fake: FakeKombo
) -> None:
    app = make_app(store, clock, env=remote_env(fake))
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        select(app, AUTH)
        await pilot.press("space")
        select(app, "personio:acme")
        await pilot.press("space", "T")
        await settle(pilot)
        assert "2 integrations are marked" in note_text(app)
        assert fake.requests == []


@pytest.mark.usefixtures("auth_failing")
async def test_from_the_drill_down_the_history_shows_the_request_and_who(
    store: Store, clock: FixedClock, fake: FakeKombo
) -> None:
    fake.add(AUTH)
    app = make_app(store, clock, env=remote_env(fake))
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        select(app, AUTH)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, IntegrationScreen)
        await pilot.press("T")
        await settle(pilot)
        assert fake.calls(AUTH, "POST")
        left = app.screen.query_one("#detail-left", TextPane).text
        history = " ".join(left.partition("State history, newest first")[2].split())
        assert history.startswith("Nov 26 12:00 ◇ Trigger sync (delta) ")
        newest = history[: history.index("no change of state")]
        assert "by oncall," in newest
