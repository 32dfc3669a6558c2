"""Attention signals: the window title, the bell, the unseen marks and the mute key.

Pure parts (the title's text, what is worth attention, the OSC 2 sequence) without a
terminal; the rest with the pilot, on the small database of ``conftest.py`` (fixed clock).
A state change comes from another writer, as in production: an import adds a failed sync
to Acme's integration, and the next pass finds it failing.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from pilot_support import ManualTimers, notifications, run, settle
from row_support import row
from textual.pilot import Pilot

from syncwatch.actions import Action, perform
from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.importer import import_parsed, parse_bytes
from syncwatch.states import IntegrationState
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.attention import ALL_WELL, Attention, window_title, worse
from syncwatch.tui.attention_signals import BURST_WINDOW
from syncwatch.tui.model import StateChange
from syncwatch.tui.terminal_title import POP_TITLE, PUSH_TITLE, TerminalTitle, osc2
from syncwatch.tui.widgets.integration_list import UNSEEN_MARK, IntegrationList

SIZE = (160, 45)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
S = IntegrationState


def change(old: S, new: S, iid: str = "personio:acme") -> StateChange:
    return StateChange(row(iid, old, revision=1), row(iid, new, revision=2))


# --------------------------------------------------------------------------- pure parts


def test_the_title_counts_the_failing_states_worst_first_and_only_non_zero() -> None:
    counts: Counter[S | None] = Counter(
        {S.SYNC_FAILING: 3, S.CREDENTIALS_INVALID: 1, S.SYNC_HAS_WARNINGS: 2, S.ACTIVE: 40}
    )
    counts[S.AUTHENTICATION_FAILING] = 0
    assert window_title(counts) == "syncwatch ⊘1 ✖3 ▲2"


def test_the_title_says_all_is_well_and_nothing_before_the_rows_are_loaded() -> None:
    calm: Counter[S | None] = Counter({S.ACTIVE: 5, S.INACTIVE: 2, S.SETUP: 1, S.DELETED: 1})
    assert window_title(calm) == f"syncwatch {ALL_WELL}"
    assert window_title(None) == "syncwatch"


def test_the_title_sequence_carries_no_control_character() -> None:
    sequence = osc2("syncwatch\x1b]2;evil\x07 ✖1\x9b")
    assert sequence == "\x1b]2;syncwatch]2;evil ✖1\x1b\\"


class Recorder:
    """A driver's ``write``, recorded."""

    def __init__(self) -> None:
        self.written: list[str] = []

    def write(self, data: str) -> None:
        self.written.append(data)


def test_the_title_is_written_once_per_change_and_given_back_on_exit() -> None:
    title = TerminalTitle()
    title.set("syncwatch ✖1")
    terminal = Recorder()
    title.attach(terminal)  # the terminal's title saved, then ours
    title.set("syncwatch ✖1")  # unchanged: nothing written
    title.set("syncwatch ✓")
    title.restore()
    assert terminal.written == [
        PUSH_TITLE,
        osc2("syncwatch ✖1"),
        osc2("syncwatch ✓"),
        osc2(""),
        POP_TITLE,
    ]
    assert title.last is None


def test_worse_means_a_higher_severity_that_needs_attention() -> None:
    assert worse(change(S.ACTIVE, S.SYNC_FAILING))
    assert worse(change(S.SYNC_FAILING, S.CREDENTIALS_INVALID))
    assert not worse(change(S.SYNC_FAILING, S.ACTIVE))
    assert not worse(change(S.ACTIVE, S.INACTIVE))  # set aside by someone: no alarm
    assert not worse(StateChange(row(state=None), row(state=S.SYNC_FAILING, revision=2)))


def test_a_silence_rule_keeps_a_change_from_every_signal() -> None:
    acked = {"personio:acme"}
    attention = Attention(bell=True)
    attention.silences.append(lambda c, _now: c.new.id in acked and not worse(c))
    quiet = change(S.SYNC_FAILING, S.SYNC_HAS_WARNINGS)
    louder = change(S.SYNC_HAS_WARNINGS, S.SYNC_FAILING)
    other = change(S.ACTIVE, S.SYNC_FAILING, iid="greenhouse:orchid")
    assert not attention.worth_attention(quiet, NOW)
    signals = attention.signals([quiet, louder, other], NOW)
    assert signals.noticed == (louder, other)
    assert signals.ring
    assert not Attention(bell=False).signals([louder], NOW).ring
    assert not Attention(bell=True).signals([quiet], NOW).ring  # better, not worse


# --------------------------------------------------------------------------- the app


def make_app(store: Store, clock: FixedClock, **kwargs: Any) -> SyncwatchApp:
    return SyncwatchApp(store, clock, live=False, **kwargs)


def _sync(sid: str, state: str, start: str, end: str) -> dict[str, object]:
    return {"id": sid, "type": "DELTA", "state": state, "started_at": start, "ended_at": end}


def acme_fails(store: Store) -> None:
    """Another writer: Acme's integration (as in conftest.py) gets a failed sync after its
    good one."""
    acme = {
        "id": "personio:acme",
        "tool": "personio",
        "category": "HRIS",
        "organization": "Acme GmbH",
        "environment": "production",
        "created_at": "2026-11-01T09:00:00Z",
        "filters_configured": True,
        "enabled": True,
        "last_api_request_at": "2026-11-26T10:00:00Z",
        "syncs": [
            _sync("s_acme_1", "SUCCEEDED", "2026-11-26T10:00:00Z", "2026-11-26T10:05:00Z"),
            _sync("s_acme_2", "FAILED", "2026-11-26T11:00:00Z", "2026-11-26T11:10:00Z"),
        ],
    }
    data = json.dumps({"integrations": [acme]})
    import_parsed(store, [parse_bytes(data, "later.json")], NOW)


async def refresh(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, SyncwatchApp)
    app.action_refresh_now()
    await settle(pilot)


def line_of(app: SyncwatchApp, integration_id: str) -> str:
    lst = app.main.query_one(IntegrationList)
    index = [r.id for r in lst.items].index(integration_id)
    return lst.render_line(1 + index).text


def state_notes(app: SyncwatchApp) -> list[str]:
    return [n.message for n in notifications(app) if n.title.startswith("State change")]


async def test_the_window_title_follows_the_counts(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        # The sample: Orchid failing, Quill held in QA (Mosaic in setup is no failure).
        assert app.terminal_title.last == "syncwatch ✖1 ◆1"
        acme_fails(store)
        await refresh(pilot)
        assert app.terminal_title.last == "syncwatch ✖2 ◆1"
        assert app.terminal_title.history == ["syncwatch", "syncwatch ✖1 ◆1", "syncwatch ✖2 ◆1"]


@pytest.mark.parametrize("bell", [True, False])
async def test_the_bell_rings_on_a_worse_state_only_when_asked(
    store: Store, clock: FixedClock, bell: bool
) -> None:
    app = make_app(store, clock, bell=bell)
    rung: list[None] = []
    app.bell = lambda: rung.append(None)  # type: ignore[method-assign]
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        assert rung == []  # the first load rings nothing
        # Set inactive by a colleague: higher in the sort, but nothing to act on.
        perform(store, Action.DEACTIVATE, "personio:acme", NOW, actor="test")
        await refresh(pilot)
        assert app.rows["personio:acme"].state is S.INACTIVE
        assert rung == []
        perform(store, Action.REACTIVATE, "personio:acme", NOW, actor="test")
        acme_fails(store)
        await refresh(pilot)
        assert app.rows["personio:acme"].state is S.SYNC_FAILING
        assert len(rung) == (1 if bell else 0)


async def test_a_changed_row_is_marked_until_the_cursor_moves_onto_it(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        lst = app.main.query_one(IntegrationList)
        assert UNSEEN_MARK not in "".join(line_of(app, r.id)[:2] for r in lst.items)
        acme_fails(store)
        await refresh(pilot)
        assert line_of(app, "personio:acme")[1] == UNSEEN_MARK
        assert line_of(app, "greenhouse:orchid")[1] == " "
        assert lst.cursor_row is not None and lst.cursor_row.id != "personio:acme"
        await pilot.press("home")
        while lst.cursor_row is not None and lst.cursor_row.id != "personio:acme":
            await pilot.press("down")
        await pilot.pause()
        assert line_of(app, "personio:acme")[1] == " "


async def test_opening_a_changed_row_is_looking_at_it(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        acme_fails(store)
        await refresh(pilot)
        assert line_of(app, "personio:acme")[1] == UNSEEN_MARK
        app.open_integration("personio:acme")
        await settle(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert line_of(app, "personio:acme")[1] == " "


async def test_m_mutes_state_change_notifications_but_not_the_marks_or_title(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await pilot.press("exclamation_mark")
        assert any(n.title == "Muted" for n in notifications(app))
        acme_fails(store)
        await refresh(pilot)
        assert state_notes(app) == []
        assert line_of(app, "personio:acme")[1] == UNSEEN_MARK
        assert app.terminal_title.last == "syncwatch ✖2 ◆1"
        await pilot.press("exclamation_mark")
        assert any(n.title == "Unmuted" for n in notifications(app))
        perform(store, Action.DEACTIVATE, "personio:acme", NOW, actor="test")
        await refresh(pilot)
        assert len(state_notes(app)) == 1


async def test_a_burst_makes_one_notification_then_one_summary(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    window = ManualTimers(app, BURST_WINDOW)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        acme_fails(store)
        await refresh(pilot)
        assert len(state_notes(app)) == 1  # the first change at once
        # More while it shows: held, not stacked over the data.
        perform(store, Action.DEACTIVATE, "greenhouse:orchid", NOW, actor="test")
        await refresh(pilot)
        perform(store, Action.DEACTIVATE, "ashby:quill", NOW, actor="test")
        await refresh(pilot)
        assert len(state_notes(app)) == 1
        await window.fire(pilot)
        told = state_notes(app)
        assert len(told) == 2
        assert told[1] == "2 integrations changed state: 2 → ○ Inactive"
        await window.fire(pilot)  # nothing more came: the window closes quietly
        assert len(state_notes(app)) == 2 and window.armed == []
        perform(store, Action.REACTIVATE, "ashby:quill", NOW, actor="test")
        await refresh(pilot)
        assert len(state_notes(app)) == 3  # after a quiet window, at once again


def test_bell_is_an_option_of_the_ui_and_the_demo_off_by_default() -> None:
    from syncwatch.cli.parser import build_parser

    parser = build_parser()
    assert parser.parse_args([]).bell is False
    assert parser.parse_args(["--bell"]).bell is True
    assert parser.parse_args(["--bell", "demo"]).bell is True
