"""Preferences remembered by the UI (issue 15, item 8): the theme, the view, the sort and
the grouping the operator chose are written when chosen and shown so at the next start; a
preferences file that is not syncwatch's is said once and left alone (pilot)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pilot_support import notifications, run, settle

from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.fleet import GroupBy
from syncwatch.preferences import Preferences, load
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.widgets.integration_list import IntegrationList, StateFilter
from syncwatch.tui.widgets.summary import StatusLine


def make_app(store: Store, clock: FixedClock, path: Path, **kwargs: object) -> SyncwatchApp:
    return SyncwatchApp(store, clock, live=False, preferences_path=path, **kwargs)  # type: ignore[arg-type]


async def test_choices_are_written_and_shown_at_the_next_start(
    store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    path = tmp_path / "config" / "syncwatch" / "config.toml"
    app = make_app(store, clock, path)
    async with run(app) as pilot:
        await settle(pilot)
        assert not path.exists()  # nothing chosen yet, nothing written
        await pilot.press("b")  # grouped by tool
        await pilot.press("v")  # needs attention
        await pilot.press("s", "S")  # the next column, reversed
        app.theme = "nord"
        await settle(pilot)
        lst = app.screen.query_one(IntegrationList)
        sort_key = lst.sort_key
    written = tomllib.loads(path.read_text("utf-8"))
    assert written == {
        "theme": "nord",
        "view": "needs attention",
        "sort": sort_key,
        "sort_reversed": True,
        "grouping": "tool",
        "bell": False,
    }
    again = make_app(store, clock, path)
    async with run(again) as pilot:
        await settle(pilot)
        lst = again.screen.query_one(IntegrationList)
        assert again.theme == "nord"
        assert lst.group_by is GroupBy.TOOL
        assert lst.state_filter is StateFilter.ATTENTION
        assert (lst.sort_key, lst.sort_reverse) == (sort_key, True)
        status = str(again.screen.query_one(StatusLine).render())
        assert "grouped by tool" in status
        # Starting as remembered writes nothing new.
        assert tomllib.loads(path.read_text("utf-8")) == written


async def test_theme_from_the_command_line_wins_for_this_run_only(
    store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('theme = "nord"\n', "utf-8")
    app = make_app(store, clock, path, theme="dracula")
    async with run(app) as pilot:
        await settle(pilot)
        assert app.theme == "dracula"
    assert load(path).preferences == Preferences(theme="nord")


async def test_a_remembered_word_no_longer_known_is_ignored(
    store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('theme = "gone"\nview = "sideways"\nsort = "nope"\n', "utf-8")
    app = make_app(store, clock, path)
    async with run(app) as pilot:
        await settle(pilot)
        lst = app.screen.query_one(IntegrationList)
        assert app.theme == "textual-dark"
        assert lst.state_filter is StateFilter.ALL
        assert lst.sort_key == "state"
        assert all(n.title != "Preferences not read" for n in notifications(app))


async def test_a_file_that_is_not_ours_is_said_once_and_left_alone(
    store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    path = tmp_path / "config.toml"
    original = b"[colours]\nwho = 'someone else'\n"
    path.write_bytes(original)
    app = make_app(store, clock, path)
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("b", "v")
        app.theme = "nord"
        await settle(pilot)
        told = [n for n in notifications(app) if n.title == "Preferences not read"]
        assert len(told) == 1
        assert "colours" in told[0].message
    assert path.read_bytes() == original


async def test_a_file_that_cannot_be_written_is_said_once(
    store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    folder = tmp_path / "syncwatch"
    folder.mkdir()
    app = make_app(store, clock, folder / "config.toml")
    async with run(app) as pilot:
        await settle(pilot)
        # The folder is gone since the start, a file in its place: nothing can be written.
        folder.rmdir()
        folder.write_text("a file where the config folder was", "utf-8")
        await pilot.press("b", "v", "b")
        await settle(pilot)
        told = [n for n in notifications(app) if n.title == "Preferences not saved"]
        assert len(told) == 1
        assert "cannot" in told[0].message


async def test_the_bell_toggled_with_B_is_remembered_and_rings_at_the_next_start(
    store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    path = tmp_path / "config.toml"
    app = make_app(store, clock, path)
    async with run(app) as pilot:
        await settle(pilot)
        assert not app.attention.bell  # off unless asked
        await pilot.press("B")
        await settle(pilot)
        assert app.attention.bell
        assert any(n.title == "Bell on" for n in notifications(app))
    assert load(path).preferences.bell is True
    again = make_app(store, clock, path)
    async with run(again) as pilot:
        await settle(pilot)
        assert again.attention.bell  # read back: rings without --bell
        await pilot.press("B")
        await settle(pilot)
        assert not again.attention.bell
    assert load(path).preferences.bell is False
    # --bell rings for this run even when the preference says no, and writes nothing.
    third = make_app(store, clock, path, bell=True)
    async with run(third) as pilot:
        await settle(pilot)
        assert third.attention.bell
    assert load(path).preferences.bell is False
