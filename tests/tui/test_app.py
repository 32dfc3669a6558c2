"""Pilot tests: what the keys do in the terminal UI (fixed clock, no live timer, no sleeps)."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pilot_support import notifications, run, settle
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from syncwatch.actions import Action, perform
from syncwatch.clock import FixedClock
from syncwatch.db import Store, StoreError
from syncwatch.states import IntegrationState
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.commands import SyncwatchCommands
from syncwatch.tui.screens.confirm import ConfirmCredentials, ConfirmDelete
from syncwatch.tui.screens.detail import IntegrationScreen
from syncwatch.tui.screens.help import HelpScreen
from syncwatch.tui.screens.main import MainScreen
from syncwatch.tui.widgets.integration_list import IntegrationList, StateFilter
from syncwatch.tui.widgets.log_view import LogView
from syncwatch.tui.widgets.summary import OneLine
from syncwatch.tui.widgets.sync_list import SyncList
from syncwatch.tui.widgets.text_pane import TextPane

SIZE = (160, 45)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # the fixed clock of conftest.py


def make_app(store: Store, clock: FixedClock, **kwargs: object) -> SyncwatchApp:
    return SyncwatchApp(store, clock, live=False, **kwargs)  # type: ignore[arg-type]


def plain(app: SyncwatchApp, selector: str) -> str:
    """The text a Static (or one of syncwatch's one-line widgets) shows, without styles."""
    widget = app.screen.query_one(selector)
    if isinstance(widget, OneLine):
        return widget.text.plain
    assert isinstance(widget, Static)
    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(widget.content)
    return console.export_text()


async def refresh(pilot: Pilot[object]) -> None:
    app = pilot.app
    assert isinstance(app, SyncwatchApp)
    app.action_refresh_now()
    await settle(pilot)


def the_list(app: SyncwatchApp) -> IntegrationList:
    return app.main.query_one(IntegrationList)


def shown_ids(app: SyncwatchApp) -> list[str]:
    return [r.id for r in the_list(app).items]


def notes(app: SyncwatchApp) -> list[tuple[str, str, str]]:
    """(title, message, severity) of the notifications shown so far."""
    return [(n.title, n.message, n.severity) for n in notifications(app)]


def note_text(app: SyncwatchApp) -> str:
    return "\n".join(f"{t}: {m}" for t, m, _ in notes(app))


def palette(app: SyncwatchApp) -> dict[str, Callable[[], Awaitable[None]]]:
    """The command palette's commands over the current screen, by name."""
    provider = SyncwatchCommands(app.screen)
    return {name: callback for name, _help, callback in provider.commands()}


async def put_cursor(pilot: Pilot[object], app: SyncwatchApp, integration_id: str) -> None:
    assert the_list(app).select_id(integration_id)
    await pilot.pause()


# --------------------------------------------------------------------------- main screen


async def test_main_screen_lists_integrations_worst_first(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        # Deleted ones are hidden by default; the worst state is on top.
        assert shown_ids(app)[0] == "greenhouse:orchid"
        assert "lever:foxglove" not in shown_ids(app)
        assert len(shown_ids(app)) == 5
        summary = plain(app, "#summary")
        for state in IntegrationState:
            assert state.label in summary
        assert "Nov 26 12:00:00 UTC (fixed)" in app.sub_title
        # Organisation names are text, never markup.
        row = app.rows["ashby:quill"]
        assert row.organization == "Quill [bold]Quire[/bold] Ltd"
        line = the_list(app).render_line(1 + shown_ids(app).index("ashby:quill"))
        assert "Quill [bold]Quire[/bo" in line.text  # cut at the column, never markup


async def test_cursor_keys_move_and_preview_follows(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        lst = the_list(app)
        assert lst.cursor == 0
        await pilot.press("down", "j")
        assert lst.cursor == 2
        await pilot.press("up", "k")
        assert lst.cursor == 0
        await pilot.press("end")
        assert lst.cursor == len(lst.items) - 1
        await pilot.press("home", "pagedown")
        assert lst.cursor == len(lst.items) - 1
        await pilot.press("pageup")
        assert lst.cursor == 0
        preview = plain(app, "#preview")
        assert "Orchid Biotech" in preview


async def test_preview_hidden_on_narrow_terminal(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, (80, 24)) as pilot:
        await settle(pilot)
        assert not app.main.query_one("#preview-pane").display
        titles = [c.title for c in the_list(app).visible_columns(80)]
        assert titles[:2] == ["State", "Organisation"]
        # What gives way last: the recent results and how long it has been so.
        assert "Recent" in titles and "In state" in titles


async def test_sort_cycles_columns_and_reverses(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        lst = the_list(app)
        await put_cursor(pilot, app, "deel:mosaic")
        assert lst.sort_key == "state"
        await pilot.press("s")
        assert lst.sort_key == "organization"
        orgs = [r.organization for r in lst.items]
        assert orgs == sorted(orgs, key=str.casefold)
        assert lst.cursor_row is not None and lst.cursor_row.id == "deel:mosaic"
        await pilot.press("S")
        assert [r.organization for r in lst.items] == list(reversed(orgs))
        assert lst.cursor_row is not None and lst.cursor_row.id == "deel:mosaic"
        await palette(app)["Sort by state"]()
        await pilot.press("S")
        # Reversed state sort: the least severe first.
        assert lst.items[0].state is IntegrationState.ACTIVE


async def test_filter_by_text(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"ORCHID")
        assert shown_ids(app) == ["greenhouse:orchid"]
        await pilot.press("enter")
        assert isinstance(app.focused, IntegrationList)
        assert shown_ids(app) == ["greenhouse:orchid"]
        await pilot.press("escape")
        assert len(shown_ids(app)) == 5
        # The id matches too.
        await pilot.press("slash", *"hibob:")
        assert shown_ids(app) == ["hibob:vantage"]
        await pilot.press("escape")
        assert len(shown_ids(app)) == 5
        assert not app.main.query_one("#filter").display


async def test_a_view_with_no_match_says_so_and_how_to_change_it(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"no-such-org", "enter")
        await pilot.pause()
        assert shown_ids(app) == []
        assert "No integration matches this view" in the_list(app).render_line(1).text
        await pilot.press("escape")
        await pilot.pause()
        assert "No integration matches" not in the_list(app).render_line(1).text


async def test_an_empty_database_says_how_to_get_data(tmp_path: Path, clock: FixedClock) -> None:
    empty = Store.open(tmp_path / "empty.db")
    app = make_app(empty, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        line = the_list(app).render_line(1).text
        assert "No integrations yet: syncwatch import FILE" in line
        assert "syncwatch demo" in line
    empty.close()


async def test_state_filters_and_deleted_toggle(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await pilot.press("v")
        assert the_list(app).state_filter is StateFilter.ATTENTION
        assert set(shown_ids(app)) == {"greenhouse:orchid", "ashby:quill", "deel:mosaic"}
        await pilot.press("v")
        assert shown_ids(app) == ["greenhouse:orchid"]
        await pilot.press("v")
        assert len(shown_ids(app)) == 5
        await pilot.press("full_stop")
        assert "lever:foxglove" in shown_ids(app)
        await pilot.press("full_stop")
        assert "lever:foxglove" not in shown_ids(app)
        # The palette offers the same views.
        await palette(app)["Show only failing"]()
        await pilot.pause()
        assert shown_ids(app) == ["greenhouse:orchid"]


# --------------------------------------------------------------------------- actions


async def test_refused_action_is_greyed_out_and_says_why(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await put_cursor(pilot, app, "greenhouse:orchid")
        assert app.check_action("op", ("reactivate",)) is None
        assert app.check_action("op", ("deactivate",)) is True
        active = app.screen.active_bindings
        assert not active["r"].enabled
        assert active["x"].enabled
        await pilot.press("r")
        await settle(pilot)
        assert "is already enabled" in note_text(app)
        assert store.get("greenhouse:orchid").enabled  # type: ignore[union-attr]


async def test_action_applies_and_notifies_new_state(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await put_cursor(pilot, app, "hibob:vantage")
        await pilot.press("r")
        await settle(pilot)
        assert app.rows["hibob:vantage"].state is IntegrationState.ACTIVE
        assert "Reactivate: done" in note_text(app)
        assert "Active" in note_text(app)
        # the cursor stayed on the integration although it moved in the sort
        assert the_list(app).cursor_row.id == "hibob:vantage"  # type: ignore[union-attr]
        await put_cursor(pilot, app, "ashby:quill")
        await pilot.press("a")
        await settle(pilot)
        assert app.rows["ashby:quill"].state is IntegrationState.SYNC_HAS_WARNINGS
        await put_cursor(pilot, app, "deel:mosaic")
        await pilot.press("f")
        await settle(pilot)
        assert app.rows["deel:mosaic"].filters_configured
        await put_cursor(pilot, app, "greenhouse:orchid")
        await pilot.press("c")  # failing, not on authentication: asks first (y confirms)
        assert isinstance(app.screen, ConfirmCredentials)
        await pilot.press("y")
        await settle(pilot)
        assert app.rows["greenhouse:orchid"].credentials_updated_at == NOW
        await pilot.press("x")
        await settle(pilot)
        assert app.rows["greenhouse:orchid"].state is IntegrationState.INACTIVE


async def test_delete_cancelled_changes_nothing(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await put_cursor(pilot, app, "personio:acme")
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDelete)
        assert isinstance(app.focused, Button) and app.focused.id == "cancel"
        body = plain(app, "#dialog-body")
        assert "Acme GmbH" in body and "personio:acme" in body
        assert "14 days" in body and "final" in body
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert store.get("personio:acme").deleted_at is None  # type: ignore[union-attr]
        # Escape cancels too.
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDelete)
        await pilot.press("escape")
        await settle(pilot)
        assert store.get("personio:acme").deleted_at is None  # type: ignore[union-attr]


async def test_delete_confirmed(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await put_cursor(pilot, app, "personio:acme")
        await pilot.press("d")
        await pilot.press("right", "enter")
        await settle(pilot)
        assert store.get("personio:acme").deleted_at == NOW  # type: ignore[union-attr]
        assert app.rows["personio:acme"].state is IntegrationState.DELETED
        assert "personio:acme" not in shown_ids(app)


async def test_bulk_action_on_marked_rows_reports_refusals(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        for iid in ("personio:acme", "greenhouse:orchid", "hibob:vantage"):
            await put_cursor(pilot, app, iid)
            await pilot.press("space")
        assert the_list(app).marks == {"personio:acme", "greenhouse:orchid", "hibob:vantage"}
        line = the_list(app).render_line(1 + shown_ids(app).index("personio:acme"))
        assert line.text.startswith("*")
        await pilot.press("x")
        await settle(pilot)
        assert app.rows["personio:acme"].state is IntegrationState.INACTIVE
        assert app.rows["greenhouse:orchid"].state is IntegrationState.INACTIVE
        text = note_text(app)
        assert "Applied to 2 integrations" in text
        assert "1 refused" in text and "already inactive" in text
        assert not the_list(app).marks


async def test_bulk_delete_states_the_count(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        for iid in ("personio:acme", "deel:mosaic"):
            await put_cursor(pilot, app, iid)
            await pilot.press("space")
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDelete)
        assert "Delete these 2 integrations" in plain(app, "#dialog-body")
        await pilot.press("tab", "enter")
        await settle(pilot)
        assert app.rows["personio:acme"].deleted
        assert app.rows["deel:mosaic"].deleted


async def test_read_only_blocks_every_action(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock, read_only=True)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await put_cursor(pilot, app, "hibob:vantage")
        before = {r.id: r.revision for r in store.integrations()}
        for action in Action:
            assert app.check_action("op", (action.value,)) is None
        for key in ("r", "x", "a", "c", "f", "d"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, MainScreen)
        assert {r.id: r.revision for r in store.integrations()} == before
        assert note_text(app).count("syncwatch is read-only") == 6
        assert "READ-ONLY" in plain(app, "#status")


async def test_palette_provider_offers_and_checks_actions(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await put_cursor(pilot, app, "greenhouse:orchid")
        commands = palette(app)
        assert "Release from QA (a)" in commands
        assert "Show only failing" in commands
        assert "Demo: faster (+)" not in commands  # the clock is not simulated
        # An action that is not allowed says why, as its key does.
        await commands["Release from QA (a)"]()
        await settle(pilot)
        assert "not held in quality assurance" in note_text(app)
        await commands["Show only failing"]()
        await pilot.pause()
        assert shown_ids(app) == ["greenhouse:orchid"]
        # Over the drill-down: its own keys, not the list's; an allowed action runs.
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, IntegrationScreen)
        commands = palette(app)
        assert "Show only failing" not in commands
        assert "Wrap long log lines or not (w)" in commands
        await commands["Wrap long log lines or not (w)"]()
        assert not app.screen.wrap
        await commands["Deactivate (x)"]()
        await settle(pilot)
        assert app.rows["greenhouse:orchid"].state is IntegrationState.INACTIVE


# --------------------------------------------------------------------------- the evaluator


async def test_change_from_another_process_appears_after_a_pass(
    db_path: Path, store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await put_cursor(pilot, app, "personio:acme")
        index_before = the_list(app).cursor
        other = Store.open(db_path)
        try:
            perform(other, Action.DEACTIVATE, "personio:acme", NOW, actor="test")
        finally:
            other.close()
        await refresh(pilot)
        assert app.rows["personio:acme"].state is IntegrationState.INACTIVE
        # The row moved in the state sort; the cursor moved with it.
        lst = the_list(app)
        assert lst.cursor_row is not None and lst.cursor_row.id == "personio:acme"
        assert lst.cursor != index_before
        assert "State changed" in note_text(app)
        assert ("State changed", "information") in {(t, s) for t, _m, s in notes(app)}


async def test_many_changes_make_one_summary_notification(
    db_path: Path, store: Store, clock: FixedClock
) -> None:
    from syncwatch.actions import perform_many

    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        ids = ["personio:acme", "greenhouse:orchid", "ashby:quill", "deel:mosaic"]
        perform_many(store, Action.DEACTIVATE, ids, NOW, actor="test")
        await refresh(pilot)
        changes = [n for n in notes(app) if n[0].startswith("State change")]
        assert len(changes) == 1
        assert "4 integrations changed state" in changes[0][1]


async def test_failing_pass_is_reported_and_the_app_keeps_running(
    store: Store, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)

        def locked(*_args: object, **_kwargs: object) -> None:
            raise StoreError("the database is locked by another process; try again shortly")

        monkeypatch.setattr(store, "evaluate_pass", locked)
        await refresh(pilot)
        assert app.is_running
        failed = [n for n in notes(app) if n[0] == "Evaluation pass failed"]
        assert failed and failed[0][2] == "error" and "locked" in failed[0][1]
        monkeypatch.undo()
        passes = app.model.passes
        await refresh(pilot)
        assert app.model.passes == passes + 1


async def test_pause_and_refresh_now(store: Store, clock: FixedClock) -> None:
    app = SyncwatchApp(store, clock, interval=3600)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        assert app.scheduler.live and app.scheduler.armed
        await pilot.press("p")
        assert app.paused and not app.scheduler.armed
        assert "PAUSED" in plain(app, "#status")
        assert "paused" in app.sub_title
        passes = app.model.passes
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert app.model.passes == passes + 1
        assert not app.scheduler.armed  # a manual pass does not re-arm while paused
        await pilot.press("p")
        await settle(pilot)
        assert not app.paused and app.scheduler.armed
        assert "Live refresh paused (p resumes)." in note_text(app)
        assert "Live refresh resumed." in note_text(app)


# --------------------------------------------------------------------------- drill-down


async def test_drill_down_history_says_who_caused_a_transition(
    store: Store, clock: FixedClock
) -> None:
    perform(store, Action.DEACTIVATE, "greenhouse:orchid", NOW, actor="alice [b]x[/b]")
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await put_cursor(pilot, app, "greenhouse:orchid")
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IntegrationScreen)
        left = screen.query_one("#detail-left", TextPane).text
        history = " ".join(left.partition("State history, newest first")[2].split())
        newest = history[: history.index("by alice [b]x[/b]")]  # literally, no markup
        assert newest.startswith("Nov 26 12:00 ● ✖ Failing → ○ Inactive")  # the newest entry
        assert history.count(" · by ") == 1  # the rules' transitions: nobody acted


async def test_drill_down_shows_facts_history_syncs_and_logs(
    store: Store, clock: FixedClock
) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await put_cursor(pilot, app, "greenhouse:orchid")
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IntegrationScreen)
        left = screen.query_one("#detail-left", TextPane).text
        facts, _, history = left.partition("State history, newest first")
        assert "Orchid Biotech" in facts and "Why" in facts and "Next" in facts
        assert "Failing" in history
        syncs = screen.query_one(SyncList)
        assert [s.id for s in syncs.items] == ["s_orc_2", "s_orc_1"]
        assert screen.sync_id == "s_orc_2"
        log = screen.query_one("#log", LogView)
        assert len(log.entries) >= 3
        assert [e.level for e in screen.visible_logs()] == ["ERROR", "WARNING", "INFO"]
        # warnings and errors only
        await pilot.press("e")
        assert [e.level for e in screen.visible_logs()] == ["ERROR", "WARNING"]
        await pilot.press("e")
        # search filters and highlights; markup in messages stays text
        await pilot.press("slash", *"[deleted]")
        assert [e.message for e in screen.visible_logs()] == ["Skipped 3 candidates [deleted]"]
        await pilot.press("escape")
        assert len(screen.visible_logs()) == 3
        # wrap and follow toggle
        assert screen.wrap
        await pilot.press("w")
        assert not screen.wrap and not log.wrap
        await pilot.press("l")
        assert not screen.follow
        await pilot.press("l")
        await settle(pilot)
        assert screen.follow
        # the older sync's log
        await pilot.press("down")
        await settle(pilot)
        assert screen.sync_id == "s_orc_1" and screen.logs == []
        await pilot.press("tab")
        assert app.focused is log
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_drill_down_follows_new_entries(
    db_path: Path, store: Store, clock: FixedClock
) -> None:
    import json

    from syncwatch.importer import import_parsed, parse_bytes

    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await put_cursor(pilot, app, "greenhouse:orchid")
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IntegrationScreen)
        new_sync = {
            "integrations": [
                {
                    "id": "greenhouse:orchid",
                    "tool": "greenhouse",
                    "category": "ATS",
                    "organization": "Orchid Biotech",
                    "created_at": "2026-11-01T09:00:00Z",
                    "syncs": [
                        {
                            "id": "s_orc_3",
                            "state": "SUCCEEDED",
                            "started_at": "2026-11-26T11:50:00Z",
                            "ended_at": "2026-11-26T11:55:00Z",
                            "logs": [
                                {
                                    "at": "2026-11-26T11:54:00Z",
                                    "level": "INFO",
                                    "message": "All good again",
                                }
                            ],
                        }
                    ],
                }
            ]
        }
        other = Store.open(db_path)
        try:
            import_parsed(other, [parse_bytes(json.dumps(new_sync), "new.json")], NOW)
        finally:
            other.close()
        await refresh(pilot)
        assert app.rows["greenhouse:orchid"].state is IntegrationState.ACTIVE
        assert screen.sync_id == "s_orc_3"
        assert [e.message for e in screen.visible_logs()] == ["All good again"]
        # actions work from the drill-down too, on this integration
        await pilot.press("x")
        await settle(pilot)
        assert app.rows["greenhouse:orchid"].state is IntegrationState.INACTIVE


# --------------------------------------------------------------------------- help and quit


async def test_help_lists_every_binding(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.help_text())
        for description in (
            "Open",
            "Mark",
            "Filter",
            "View",
            "Deleted",
            "Sort",
            "Reverse",
            "Reactivate",
            "Deactivate",
            "Release from QA",
            "Update credentials",
            "Configure filters",
            "Delete",
            "Pause",
            "Refresh",
            "Help",
            "Quit",
            "Warn+err",
            "Search",
            "Pane",
            "Wrap",
            "Follow",
            "Command palette",
        ):
            assert description in text, description
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_escape_clears_marks(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await pilot.press("space")
        assert the_list(app).marks
        await pilot.press("escape")
        assert not the_list(app).marks


async def test_ctrl_q_quits(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0


async def test_light_theme_renders(store: Store, clock: FixedClock) -> None:
    app = make_app(store, clock)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        app.theme = "textual-light"
        await pilot.pause()
        line = the_list(app).render_line(1)
        assert "Failing" in line.text


async def test_a_clock_behind_the_store_shows_the_past_and_stores_nothing(store: Store) -> None:
    store.evaluate_pass(NOW)
    revision = store.revision()
    app = make_app(store, FixedClock(NOW - timedelta(days=1)))
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        await refresh(pilot)
        # The list is there, evaluated as of the clock; one notice says nothing was stored,
        # not an error at every pass.
        assert len(shown_ids(app)) == 5
        told = notes(app)
        assert [t for t, _m, _s in told].count("Nothing stored") == 1, told
        assert not any(s == "error" for _t, _m, s in told), told
    assert store.revision() == revision
