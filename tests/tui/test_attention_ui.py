"""Acknowledge (``A``) and snooze (``Z``) in the UI (issue 15, item 2): the dialogs, what
they store (the same rows and audit as the command line), the list's badge and the facts,
a teammate's ack arriving with the next pass, and state-change notices silenced."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

from pilot_support import notifications, run, settle
from rich.console import Console
from textual.widgets import Input, Static

from syncwatch.ack_actions import acknowledge, snooze
from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.db.attention import attention_marks
from syncwatch.importer import import_parsed, parse_bytes
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.screens.attention import AckDialog, SnoozeDialog
from syncwatch.tui.screens.detail import IntegrationScreen
from syncwatch.tui.widgets.integration_list import IntegrationList
from syncwatch.tui.widgets.text_pane import TextPane

SIZE = (160, 45)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # the fixed clock of conftest.py
FAILING = "greenhouse:orchid"


def make_app(store: Store, clock: FixedClock, **kwargs: object) -> SyncwatchApp:
    kwargs.setdefault("env", {})
    return SyncwatchApp(store, clock, live=False, actor="oncall", **kwargs)  # type: ignore[arg-type]


def select(app: SyncwatchApp, integration_id: str) -> None:
    assert app.main.query_one(IntegrationList).select_id(integration_id)


def note_text(app: SyncwatchApp) -> str:
    return "\n".join(f"{n.title}: {n.message}" for n in notifications(app))


def rendered(app: SyncwatchApp, selector: str) -> str:
    """The text a Static of the top screen shows, without styles."""
    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(app.screen.query_one(selector, Static).content)
    return console.export_text()


def row_line(app: SyncwatchApp, integration_id: str) -> str:
    """The list's line of ``integration_id`` as the terminal shows it."""
    lst = app.main.query_one(IntegrationList)
    index = [r.id for r in lst.items].index(integration_id)
    return "".join(s.text for s in lst.render_line(1 + index))


async def test_a_acknowledges_with_a_note_and_the_team_sees_who(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        select(app, FAILING)
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, AckDialog)
        await pilot.press(*"on it [b]now[/b]")
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, AckDialog)

        (mark,) = attention_marks(store).values()
        assert mark.ack is not None
        assert (mark.ack.by, mark.ack.at) == ("oncall", clock.now())
        assert mark.ack.note == "on it [b]now[/b]"
        assert [a.action for a in store.audit(FAILING)][-1:] == ["ack"]
        assert "Acknowledge: Orchid Biotech (greenhouse:orchid): acknowledged by oncall" in (
            note_text(app)
        )
        assert "@oncall" in row_line(app, FAILING)  # the list's badge
        preview = rendered(app, "#preview")
        assert "acknowledged" in preview and "by oncall just now (Failing)" in preview
        assert "on it [b]now[/b]" in preview  # the note literally, not as markup
        # The drill-down's facts say it too.
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, IntegrationScreen)
        facts = app.screen.query_one("#detail-left", TextPane).text
        assert "by oncall just now (Failing): on it [b]now[/b]" in " ".join(facts.split())
        await pilot.press("escape")
        await settle(pilot)

        # A again: the dialog says who is on it and offers to remove it.
        await pilot.press("A")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, AckDialog)
        await pilot.click("#undo")
        await settle(pilot)
        assert attention_marks(store) == {}
        assert [a.action for a in store.audit(FAILING)][-1:] == ["unack"]


async def test_z_snoozes_for_the_duration_typed_and_a_bad_one_says_why(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        select(app, FAILING)
        await pilot.press("Z")
        await settle(pilot)
        assert isinstance(app.screen, SnoozeDialog)
        field = app.screen.query_one(Input)
        field.value = "3 weeks"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SnoozeDialog)  # still open, saying what is wrong
        assert "is not a duration" in rendered(app, "#attention-error")
        field.value = "2h"
        await pilot.press("enter")
        await settle(pilot)
        mark = attention_marks(store)[FAILING]
        assert mark.snooze is not None and mark.snooze.until == clock.now() + timedelta(hours=2)
        assert "zZ" in row_line(app, FAILING)
        assert "until Nov 26 14:00 UTC" in note_text(app)


async def test_escape_cancels_and_nothing_is_stored(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        select(app, FAILING)
        for key in ("A", "Z"):
            await pilot.press(key)
            await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)
    assert attention_marks(store) == {}
    assert not [a for a in store.audit(FAILING) if a.action in ("ack", "snooze")]


async def test_read_only_refuses_a_and_z_saying_why(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock, read_only=True)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        select(app, FAILING)
        await pilot.press("A")
        await pilot.press("Z")
        await settle(pilot)
        assert not isinstance(app.screen, AckDialog | SnoozeDialog)
    assert note_text(app).count("Read-only mode: nothing is acknowledged or snoozed.") == 2
    assert attention_marks(store) == {}


def _fail_again(store: Store, sync_id: str, state: str, at: str) -> None:
    """A new finished sync of the failing integration, written as a teammate's import."""
    record = {
        "id": FAILING,
        "tool": "greenhouse",
        "category": "ATS",
        "organization": "Orchid Biotech",
        "created_at": "2026-11-01T09:00:00Z",
        "syncs": [{"id": sync_id, "state": state, "started_at": at, "ended_at": at}],
    }
    doc = json.dumps({"integrations": [record]})
    import_parsed(store, [parse_bytes(doc, "more.json")], NOW)


async def test_a_teammates_ack_shows_at_the_next_pass_and_silences_its_notices(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        # A teammate acknowledges the failing one from the command line; then it recovers.
        acknowledge(store, FAILING, clock.now(), "alice", "on it")
        _fail_again(store, "s_orc_3", "SUCCEEDED", "2026-11-26T11:30:00Z")
        app.action_refresh_now()  # a pass now
        await settle(pilot)
        assert "@alice" in row_line(app, FAILING)
        assert "State changed" not in note_text(app)  # acknowledged: recovery is silent


async def test_a_worse_state_notifies_despite_the_ack_and_the_badge_says_stale(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        acknowledge(store, "personio:acme", clock.now(), "alice")  # acknowledged while Active
        _fail_again_acme(store)
        app.action_refresh_now()
        await settle(pilot)
        assert "State changed" in note_text(app)  # worse than acknowledged: told
        assert "!@alice" in row_line(app, "personio:acme")


async def test_a_snooze_silences_even_a_worse_state(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        snooze(store, "personio:acme", timedelta(hours=1), clock.now(), "alice")
        _fail_again_acme(store)
        app.action_refresh_now()
        await settle(pilot)
        assert "State changed" not in note_text(app)
        assert "zZ" in row_line(app, "personio:acme")


def _fail_again_acme(store: Store) -> None:
    record = {
        "id": "personio:acme",
        "tool": "personio",
        "category": "HRIS",
        "organization": "Acme GmbH",
        "created_at": "2026-11-01T09:00:00Z",
        "syncs": [
            {
                "id": "s_acme_2",
                "state": "FAILED",
                "started_at": "2026-11-26T11:30:00Z",
                "ended_at": "2026-11-26T11:40:00Z",
            }
        ],
    }
    doc = json.dumps({"integrations": [record]})
    import_parsed(store, [parse_bytes(doc, "more.json")], NOW)
