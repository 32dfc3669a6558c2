"""Pilot tests for the keys of issue 15 (items 4, 6 and 7): q, top and bottom, the moved
pass-now key, jumps to what needs attention, copying the id, marking every row shown, the
confirmations' y and n, the cursor after a new view or filter, one name per action on every
surface, and the confirmation before updating credentials that are not what fails.

The fake Kombo API (the Kombo tests') holds a request in flight for the quit test.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pilot_support import notifications, run, settle
from textual.widgets import Button

from syncwatch.actions import Action
from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.importer import import_parsed, parse_bytes
from syncwatch.states import IntegrationState
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.commands import SyncwatchCommands
from syncwatch.tui.keys import ACTION_KEYS, HELP_NOTES
from syncwatch.tui.screens.confirm import ConfirmCredentials, ConfirmDelete, ConfirmQuit
from syncwatch.tui.screens.detail import IntegrationScreen
from syncwatch.tui.screens.help import HelpScreen
from syncwatch.tui.screens.main import MainScreen
from syncwatch.tui.widgets.footer import KeyFooter
from syncwatch.tui.widgets.integration_list import IntegrationList

sys.path.insert(0, str(Path(__file__).parents[1] / "kombo"))
from fake_kombo import API_KEY, FakeKombo, Reply

SIZE = (160, 45)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # the fixed clock of conftest.py
ROOT = Path(__file__).parents[2]
#: An integration failing authentication (its last sync; the one before succeeded).
AUTH = "bamboohr:lumen"
#: The sample's integrations shown by default, worst first (conftest.py).
SHOWN = ["greenhouse:orchid", "ashby:quill", "deel:mosaic", "hibob:vantage", "personio:acme"]
#: Of them, those needing attention (Failing, QA hold, Setup), in list order.
ATTENTION = ["greenhouse:orchid", "ashby:quill", "deel:mosaic"]


@pytest.fixture
def auth_failing(store: Store) -> None:
    record = {
        "id": AUTH,
        "tool": "bamboohr",
        "category": "HRIS",
        "organization": "Lumen Labs",
        "created_at": "2026-11-01T09:00:00Z",
        "filters_configured": True,
        "syncs": [
            {
                "id": "s_lumen_1",
                "state": "SUCCEEDED",
                "started_at": "2026-11-20T09:00:00Z",
                "ended_at": "2026-11-20T09:30:00Z",
            },
            {
                "id": "s_lumen_2",
                "state": "AUTHENTICATION_FAILED",
                "started_at": "2026-11-26T09:00:00Z",
                "ended_at": "2026-11-26T09:01:00Z",
            },
        ],
    }
    doc = json.dumps({"integrations": [record]})
    import_parsed(store, [parse_bytes(doc, "auth.json")], NOW)


def make_app(store: Store, clock: FixedClock, **kwargs: object) -> SyncwatchApp:
    kwargs.setdefault("env", {})
    return SyncwatchApp(store, clock, live=False, **kwargs)  # type: ignore[arg-type]


def the_list(app: SyncwatchApp) -> IntegrationList:
    return app.main.query_one(IntegrationList)


def cursor_id(app: SyncwatchApp) -> str | None:
    row = the_list(app).cursor_row
    return None if row is None else row.id


def note_text(app: SyncwatchApp) -> str:
    return "\n".join(f"{n.title}: {n.message}" for n in notifications(app))


def dialog_text(app: SyncwatchApp) -> str:
    screen = app.screen
    assert isinstance(screen, ConfirmCredentials | ConfirmDelete | ConfirmQuit)
    return " ".join(screen.body().plain.split())


async def select(app: SyncwatchApp, integration_id: str) -> None:
    assert the_list(app).select_id(integration_id)


# --------------------------------------------------------------------------- q


async def test_q_quits_at_once_when_nothing_is_in_flight(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0


async def test_q_asks_first_while_a_kombo_request_is_in_flight(
    store: Store, clock: FixedClock, auth_failing: None
) -> None:
    release = threading.Event()

    def held_retry(_seconds: float) -> None:
        # Kombo answered 503: the retry waits here until the test lets it go.
        release.wait(30)

    with FakeKombo() as fake:
        fake.add(AUTH)
        fake.script(AUTH, Reply(503), Reply(200))
        env = {
            "KOMBO_API_KEY": API_KEY,
            "SYNCWATCH_KOMBO_REMOTE": "1",
            "KOMBO_SERVER_URL": fake.url,
        }
        app = make_app(store, clock, env=env, kombo_sleep=held_retry, actor="oncall")
        async with run(app, SIZE) as pilot:
            await settle(pilot)
            await select(app, AUTH)
            await pilot.press("T")  # ask Kombo for a sync: in flight until released
            await pilot.press("q")
            assert isinstance(app.screen, ConfirmQuit)
            assert "1 action is still in flight" in dialog_text(app)
            assert isinstance(app.focused, Button) and app.focused.id == "cancel"
            await pilot.press("n")
            assert isinstance(app.screen, MainScreen) and app.is_running
            release.set()
            await settle(pilot)
            assert "Sync triggered" in note_text(app)
            await pilot.press("q")  # nothing in flight now: quits without asking
            await pilot.pause()
            assert not app.is_running


async def test_q_confirmed_with_y_quits(
    store: Store, clock: FixedClock, auth_failing: None
) -> None:
    release = threading.Event()
    with FakeKombo() as fake:
        fake.add(AUTH)
        fake.script(AUTH, Reply(503), Reply(200))
        env = {
            "KOMBO_API_KEY": API_KEY,
            "SYNCWATCH_KOMBO_REMOTE": "1",
            "KOMBO_SERVER_URL": fake.url,
        }
        app = make_app(store, clock, env=env, kombo_sleep=lambda _s: release.wait(30))
        try:
            async with run(app, SIZE) as pilot:
                await settle(pilot)
                await select(app, AUTH)
                await pilot.press("T", "q")
                assert isinstance(app.screen, ConfirmQuit)
                await pilot.press("y")
                await pilot.pause()
                assert not app.is_running
        finally:
            release.set()


# --------------------------------------------------------------------------- moving


async def test_g_and_G_and_home_and_end_go_to_the_top_and_the_bottom(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        assert [r.id for r in the_list(app).items] == SHOWN
        await pilot.press("G")
        assert cursor_id(app) == SHOWN[-1]
        await pilot.press("g")
        assert cursor_id(app) == SHOWN[0]
        await pilot.press("end")
        assert cursor_id(app) == SHOWN[-1]
        await pilot.press("home")
        assert cursor_id(app) == SHOWN[0]


async def test_g_no_longer_runs_a_pass_ctrl_r_does(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        passes = app.model.passes
        await pilot.press("g")
        await settle(pilot)
        assert app.model.passes == passes
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert app.model.passes == passes + 1


async def test_n_and_N_jump_to_what_needs_attention_and_wrap(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        assert cursor_id(app) == ATTENTION[0]
        seen = []
        for _ in ATTENTION:
            await pilot.press("n")
            seen.append(cursor_id(app))
        assert seen == [*ATTENTION[1:], ATTENTION[0]]  # wrapped around
        await pilot.press("N")
        assert cursor_id(app) == ATTENTION[-1]  # back over the top
        await pilot.press("G", "n")  # from Active at the bottom: the first from the top
        assert cursor_id(app) == ATTENTION[0]
        await pilot.press("G", "N")
        assert cursor_id(app) == ATTENTION[-1]


async def test_n_says_so_when_nothing_shown_needs_attention(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"acme", "enter")
        assert cursor_id(app) == "personio:acme"
        await pilot.press("n")
        assert cursor_id(app) == "personio:acme"
        assert "No integration needs attention in this view (all, filtered)." in note_text(app)


async def test_a_new_view_or_filter_puts_the_cursor_on_the_top_row(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "j")  # Setup: shown in the next view too
        assert cursor_id(app) == "deel:mosaic"
        await pilot.press("v")  # needs attention
        assert cursor_id(app) == "greenhouse:orchid"
        await pilot.press("v", "v", "end")  # back to all, at the bottom
        assert cursor_id(app) == "personio:acme"
        await pilot.press("slash", "o")  # matches several: the top one, not the last
        items = [r.id for r in the_list(app).items]
        assert len(items) > 1 and cursor_id(app) == items[0]
        await pilot.press("escape", "end", "full_stop")  # deleted shown
        assert cursor_id(app) == "greenhouse:orchid"


# --------------------------------------------------------------------------- y, marks


async def test_y_copies_the_highlighted_id(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await select(app, "ashby:quill")
        await pilot.press("y")
        assert app.clipboard == "ashby:quill"
        assert "Id copied: ashby:quill" in note_text(app)
        await select(app, "greenhouse:orchid")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, IntegrationScreen)
        await pilot.press("y")  # in the drill-down: its integration's
        assert app.clipboard == "greenhouse:orchid"


async def test_m_marks_every_row_shown_and_M_clears_them(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await pilot.press("v")  # needs attention: three rows
        await pilot.press("m")
        assert the_list(app).marks == set(ATTENTION)
        assert "Marked 3 shown integration(s)" in note_text(app)
        await pilot.press("v", "v")  # all: the marks stay, the others are not marked
        assert "3 marked" in app.main.query_one("#status").render().plain  # type: ignore[attr-defined]
        await pilot.press("m")
        assert the_list(app).marks == set(SHOWN)  # deleted ones are hidden: not marked
        await pilot.press("M")
        assert not the_list(app).marks


async def test_grouped_m_marks_the_closed_groups_members_and_n_opens_a_group(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b")  # by tool: every group closed, no integration row shown
        assert the_list(app).cursor_row is None
        await pilot.press("m")
        assert the_list(app).marks == set(SHOWN)
        await pilot.press("n")  # from a group's row: the first needing attention
        assert cursor_id(app) == ATTENTION[0]
        await pilot.press("N")  # back over the top, its group opened
        assert cursor_id(app) == ATTENTION[-1]
        await pilot.press("G")  # the last group's row (Active): n wraps to the top
        assert the_list(app).cursor_row is None
        await pilot.press("n")
        assert cursor_id(app) == ATTENTION[0]


# --------------------------------------------------------------------------- dialogs


async def test_the_delete_dialog_takes_y_and_n(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await select(app, "personio:acme")
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDelete)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert not app.rows["personio:acme"].deleted
        assert "Delete cancelled; nothing changed." in note_text(app)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDelete)
        await pilot.press("y")
        await settle(pilot)
        assert app.rows["personio:acme"].deleted


@pytest.mark.usefixtures("auth_failing")
async def test_credentials_on_a_row_failing_for_another_reason_ask_first(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await select(app, "greenhouse:orchid")  # failing: 500 from the tool
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmCredentials)
        assert isinstance(app.focused, Button) and app.focused.id == "cancel"
        text = dialog_text(app)
        assert "Orchid Biotech (greenhouse:orchid)" in text
        assert "It shows ✖ Failing, which is not about authentication" in text
        assert "shows ● Active until the next sync" in text
        assert "fixes nothing" in text
        await pilot.press("n")
        await settle(pilot)
        assert app.rows["greenhouse:orchid"].credentials_updated_at is None
        assert "Update credentials cancelled; nothing changed." in note_text(app)
        await pilot.press("c", "escape")
        await settle(pilot)
        assert app.rows["greenhouse:orchid"].credentials_updated_at is None
        await pilot.press("c")
        await pilot.press("tab", "enter")  # the button, as in every dialog
        await settle(pilot)
        assert app.rows["greenhouse:orchid"].state is IntegrationState.ACTIVE
        assert "Update credentials: done" in note_text(app)


@pytest.mark.usefixtures("auth_failing")
async def test_credentials_on_a_row_failing_authentication_do_not_ask(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        assert app.rows[AUTH].state is IntegrationState.AUTHENTICATION_FAILING
        await select(app, AUTH)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.rows[AUTH].state is IntegrationState.ACTIVE


@pytest.mark.usefixtures("auth_failing")
async def test_credentials_on_marked_rows_say_how_many_are_not_about_authentication(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        for iid in (AUTH, "greenhouse:orchid", "ashby:quill"):
            await select(app, iid)
            await pilot.press("space")
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmCredentials)
        text = dialog_text(app)
        assert "Update the credentials of these 3 integrations?" in text
        assert "2 of the 3 are not about authentication (1 ✖ Failing, 1 ◆ QA hold)" in text
        assert "Lumen Labs" not in text  # the one failing authentication is not listed
        await pilot.press("y")
        await settle(pilot)
        assert "Applied to 3 integrations; now 2 ● Active, 1 ◆ QA hold." in note_text(app)


# --------------------------------------------------------------------------- help, names


async def test_help_lists_every_new_key(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        lines = app.screen.help_text().plain.splitlines()

        def says(keys: str, description: str) -> bool:
            words = [*keys.split(), *description.split()]
            return any(ln.split()[: len(words)] == words for ln in lines)

        for keys, description in (
            ("home, g", "Top"),
            ("end, G", "Bottom"),
            ("n", "Next attention"),
            ("N", "Previous attention"),
            ("y", "Copy id"),
            ("m", "Mark all"),
            ("M", "Unmark all"),
            ("q", "Quit"),
            ("^r", "Refresh"),
            ("y", "Confirm"),
            ("esc, n", "Cancel"),
        ):
            assert says(keys, description), (keys, description)
        await pilot.press("q")  # closes the help, not the app
        assert isinstance(app.screen, MainScreen) and app.is_running


def _old_names_absent(text: str) -> None:
    assert "Approve" not in text and "approve" not in text


async def test_each_action_has_one_name_on_every_surface(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        footer = {item.key: item.description for item in app.main.query_one(KeyFooter).items}
        names = {name for name, _help, _run in SyncwatchCommands(app.screen).commands()}
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_lines = [" ".join(ln.split()) for ln in app.screen.help_text().plain.splitlines()]
    cli = subprocess.run(
        [sys.executable, "-m", "syncwatch", "--help"], capture_output=True, text=True, check=True
    ).stdout
    cli = " ".join(cli.split())
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for action, key in ACTION_KEYS.items():
        assert footer[key] == action.label, action
        assert f"{action.label} ({key})" in names, action
        assert any(ln.startswith(f"{key} {action.label} (") for ln in help_lines), action
        assert f"{action.value} {action.label}: " in cli, action
        assert f"| `{key}` | {action.label}" in readme, action
    _old_names_absent(" ".join(footer.values()))
    _old_names_absent(" ".join(names))
    _old_names_absent("\n".join(help_lines) + HELP_NOTES)
    _old_names_absent(cli)


def test_the_release_from_qa_name_is_the_contracts() -> None:
    assert Action.RELEASE_QA.label == "Release from QA"
    assert Action.UPDATE_CREDENTIALS.label == "Update credentials"
