"""The widgets that keep key presses cheap, and the drill-down built ahead of time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pilot_support import run, settle
from rich.text import Text
from textual.app import App, ComposeResult

from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.rows import LogRow
from syncwatch.tui.app import DETAIL_SCREEN, SyncwatchApp
from syncwatch.tui.screens.detail import IntegrationScreen
from syncwatch.tui.widgets.footer import FooterItem, KeyFooter, fit
from syncwatch.tui.widgets.line_list import LineList
from syncwatch.tui.widgets.log_view import LogView
from syncwatch.tui.widgets.summary import StatusLine, SummaryBar
from syncwatch.tui.widgets.text_pane import TextPane

AT = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def footer_text(app: App[object]) -> str:
    footer = app.screen.query_one(KeyFooter)
    return footer.render().plain


# --------------------------------------------------------------------------- the footer


async def test_drill_down_footer_fits_160_columns(store: Store, clock: FixedClock) -> None:
    app = SyncwatchApp(store, clock, live=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        assert app.main.integration_list.select_id("greenhouse:orchid")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, IntegrationScreen)
        text = footer_text(app)
        assert len(text) <= 160
        # The actions' full names (docs/keys.md) leave no room for pause and refresh here
        # at 160 columns; which keys the footer keeps is issue 15 item 5's (help always).
        for words in ("esc Back", "e Warn+err", "r Reactivate", "a Release from QA", "? Help"):
            assert words in text, words


async def test_narrow_footer_keeps_help_and_drops_whole_keys(
    store: Store, clock: FixedClock
) -> None:
    app = SyncwatchApp(store, clock, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = footer_text(app)
        assert len(text) <= 80
        assert text.rstrip().endswith("? Help")
        assert " Quit" in text
        assert "⏎ Open" in text
        assert "^p" not in text  # the palette goes first


def test_fit_leaves_out_palette_then_from_the_right_and_keeps_help_and_quit() -> None:
    def item(action: str) -> FooterItem:
        return FooterItem(action[0], action[0], action, action, True)

    items = [item(a) for a in ("open", "mark", "quit", "help", "command_palette")]
    widths = [i.width for i in items]  # 6, 6, 6, 6, 17
    everything = sum(widths) + len(items) - 1 + 1
    shown, gap = fit(items, everything)
    assert shown == items and gap == 1
    shown, _ = fit(items, everything - 1)
    assert [i.action for i in shown] == ["open", "mark", "quit", "help"]
    shown, _ = fit(items, 6 * 3 + 3)
    assert [i.action for i in shown] == ["open", "quit", "help"]
    shown, _ = fit(items, 5)
    assert [i.action for i in shown] == ["quit", "help"]  # both stay, even cut


# --------------------------------------------------------------------------- 80 columns


async def test_summary_and_status_stay_on_one_line_at_80_columns(
    store: Store, clock: FixedClock
) -> None:
    app = SyncwatchApp(store, clock, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        summary = app.main.query_one(SummaryBar)
        status = app.main.query_one(StatusLine)
        assert summary.size.height == 1 and status.size.height == 1
        assert summary.text.cell_len <= 78 and status.text.cell_len <= 78
        assert "sort: state" in status.text.plain
        # the worst states that anyone is in keep their labels (a zero count loses its
        # label first); every state keeps its count
        assert summary.text.plain.startswith("⊘ 0  ✖ Failing 1")
        assert summary.text.plain.count(" ") >= 9


# --------------------------------------------------------------------------- Line-API views


class _ListApp(App[None]):
    def compose(self) -> ComposeResult:
        yield _Numbers()


class _Numbers(LineList[int]):
    def render_item(self, item: int, index: int, width: int, base: object) -> list[object]:  # type: ignore[override]
        from rich.segment import Segment

        return [Segment(str(item))]


async def test_list_grows_and_shrinks_without_losing_its_scrollbar_or_cursor() -> None:
    app = _ListApp()
    async with app.run_test(size=(40, 12)) as pilot:
        lst = app.query_one(_Numbers)
        lst.set_items(list(range(5)))
        await pilot.pause()
        assert lst.show_vertical_scrollbar  # always there: growing needs no relayout
        lst.set_items(list(range(500)))
        await pilot.pause()
        assert lst.vertical_scrollbar.window_virtual_size == 500
        await pilot.press("end")
        await pilot.pause()
        assert lst.cursor == 499 and lst.scroll_offset.y == 500 - lst.size.height
        lst.set_items(list(range(20)), 19)
        await pilot.pause()
        assert lst.vertical_scrollbar.window_virtual_size == 20
        assert lst.scroll_offset.y <= 20 - lst.size.height + 1
        assert lst.cursor == 19


def _entry(i: int, message: str, level: str = "INFO", field: str | None = None) -> LogRow:
    return LogRow(
        id=f"l{i}",
        sync_id="s1",
        integration_id="x:y",
        at=AT - timedelta(seconds=i),
        level=level,
        message=message,
        field=field,
    )


class _LogApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LogView(id="log")


async def test_log_view_folds_long_entries_and_renders_only_what_is_in_view(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = _LogApp()
    async with app.run_test(size=(60, 10)) as pilot:
        log = app.query_one(LogView)
        long = "x" * 100 + " tail\nsecond line"
        entries = [_entry(0, long, "ERROR", "hris.field")] + [
            _entry(i, f"entry {i}") for i in range(1, 5000)
        ]
        rendered: list[LogRow] = []
        entry_text = LogView.entry_text

        def spy(view: LogView, entry: LogRow) -> Text:
            rendered.append(entry)
            return entry_text(view, entry)

        monkeypatch.setattr(LogView, "entry_text", spy)
        log.show(entries, wrap=True)
        await pilot.pause()
        width = log.scrollable_content_region.width
        prefix = len("Nov 26 10:00  ERROR    ")
        body = len(long) + len("  [hris.field]")
        first_of_next = next(y for y in range(40) if "entry 1" in log.render_line(y).text)
        assert first_of_next > 3  # folded over several lines
        assert log.virtual_size.height == first_of_next + 4999
        # Only the entries on screen were rendered.
        assert 0 < len(set(map(id, rendered))) <= log.size.height
        lines = [log.render_line(y).text for y in range(first_of_next)]
        assert all(len(line) == width for line in lines)
        assert all(line.startswith(" " * prefix) for line in lines[1:])
        # Folded between words: the run of x (longer than a line) is cut where lines end,
        # "tail" joins its end, and "second" (no room left) starts the next line whole.
        assert width - prefix == 36
        assert [line[prefix:].rstrip() for line in lines] == [
            "x" * 36,
            "x" * 36,
            "x" * 28 + " tail",
            "second line  [hris.field]",
        ]
        # Without wrapping, one line each, scrolled sideways.
        log.show(entries, wrap=False)
        await pilot.pause()
        assert log.virtual_size.height == 5000
        assert log.virtual_size.width == prefix + body


async def test_log_view_shows_markup_as_text_and_says_when_empty() -> None:
    app = _LogApp()
    async with app.run_test(size=(60, 10)) as pilot:
        log = app.query_one(LogView)
        log.show([_entry(0, "[bold]not bold[/bold]")], wrap=True, search="bold")
        await pilot.pause()
        assert "[bold]not bold[/bold]" in log.render_line(0).text
        log.show([], wrap=True, empty="No log entries.")
        await pilot.pause()
        assert log.render_line(0).text.startswith("No log entries.")


# --------------------------------------------------------------------------- the drill-down


async def test_drill_down_is_built_ahead_of_time_off_screen(
    store: Store, clock: FixedClock
) -> None:
    """The drill-down is composed and laid out while the list stays on screen (and keeps its
    focus), and the first opening shows that screen, not a new one."""
    app = SyncwatchApp(store, clock, live=False)
    async with run(app) as pilot:
        await settle(pilot)
        focused = app.focused
        app.prebuild_detail()
        await settle(pilot)
        assert app.screen is app.main and app.focused is focused
        assert app.is_screen_installed(DETAIL_SCREEN)
        screen = app.get_screen(DETAIL_SCREEN)
        assert screen.is_mounted and not screen.is_current
        assert screen.query_one(TextPane).size.width > 0  # laid out while hidden
        assert app.main.integration_list.select_id("greenhouse:orchid")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen  # the prebuilt one, not a new one
        assert "Orchid Biotech" in screen.query_one(TextPane).text


async def test_the_drill_down_is_not_built_over_a_dialog(store: Store, clock: FixedClock) -> None:
    """With the help (or a dialog) open, building the drill-down waits: pushing a screen
    over it would take its focus."""
    app = SyncwatchApp(store, clock, live=False)
    async with run(app) as pilot:
        # The help opens before the first pass ends: the prebuild the app times after that
        # pass then finds it open too (settling first let that timer win under load).
        await pilot.press("question_mark")
        await settle(pilot)
        help_screen = app.screen
        app.prebuild_detail()
        await settle(pilot)
        assert app.screen is help_screen and not app.is_screen_installed(DETAIL_SCREEN)


async def test_text_pane_rewraps_on_resize() -> None:
    class PaneApp(App[None]):
        def compose(self) -> ComposeResult:
            yield TextPane()

    app = PaneApp()
    async with app.run_test(size=(40, 10)) as pilot:
        pane = app.query_one(TextPane)
        pane.show(Text("word " * 30))
        await pilot.pause()
        narrow = pane.virtual_size.height
        await pilot.resize_terminal(80, 10)
        await pilot.pause()
        assert pane.virtual_size.height < narrow
        assert pane.text.split() == ["word"] * 30


async def test_log_view_folds_wide_characters_without_losing_any() -> None:
    app = _LogApp()
    async with app.run_test(size=(61, 30)) as pilot:
        log = app.query_one(LogView)
        message = "界" * 150 + " end"  # 300 cells: some line ends fall inside a character
        log.show([_entry(0, message, "ERROR")], wrap=True)
        await pilot.pause()
        width = log.scrollable_content_region.width
        lines = [log.render_line(y) for y in range(log.virtual_size.height)]
        assert all(line.cell_length == width for line in lines)
        prefix = len("Nov 26 10:00  ERROR    ")
        shown = "".join(line.text[prefix:].rstrip() for line in lines)
        assert shown == message
