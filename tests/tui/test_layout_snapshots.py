"""Nothing cut that matters (issue 15, item 5): the main screen, read-only, the demo and the
drill-down with its log, at 80x24, 160x45 and 220x60; and what a person would check on
them by eye, asserted: help and quit in every footer, the summary's labels on the states
someone is in, an ID column from 160 columns, sorted titles with their arrow, whole
"In state" values, the log's header, words kept whole when the log wraps, the log's order.

Deterministic as ``test_snapshots``: a fixed (or stopped simulated) clock, no live timer,
no blinking, the header's last-pass time pinned. Regenerate after an intended change::

    uv run pytest tests/tui/test_layout_snapshots.py --snapshot-update
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pilot_support import ManualRealTime, settle
from rich.style import Style
from test_snapshots import (  # the sample database and the app on the fixed clock
    SnapCompare,
    failing_workday,
    make_app,
    open_drill_down,
    prepare,
    sample_db,
    store,
)
from textual.pilot import Pilot
from textual.widgets import Static

from syncwatch.clock import SimulatedClock
from syncwatch.db import Store
from syncwatch.demo import DemoEngine
from syncwatch.rows import IntegrationRow
from syncwatch.states import STATES_BY_SEVERITY
from syncwatch.timefmt import fmt_ago
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.screens.detail import IntegrationScreen
from syncwatch.tui.widgets.footer import KeyFooter
from syncwatch.tui.widgets.integration_list import COLUMNS, IntegrationList
from syncwatch.tui.widgets.log_view import LogView, entry_body
from syncwatch.tui.widgets.summary import SummaryBar

__all__ = ["make_app", "sample_db", "store"]  # fixtures, used by name

SIZES = [(80, 24), (160, 45), (220, 60)]
SIZE_IDS = ["80x24", "160x45", "220x60"]
DEMO_START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def footer_text(app: SyncwatchApp) -> str:
    return app.screen.query_one(KeyFooter).render().plain


def header_text(app: SyncwatchApp) -> str:
    """The list's column titles as painted."""
    lst = app.main.query_one(IntegrationList)
    return lst.render_line(0).text


def demo_app(tmp_path: Path) -> SyncwatchApp:
    """The tour on a simulated clock that stands still (its real time never advances)."""
    demo_store = Store.open(tmp_path / "demo.db")
    engine = DemoEngine(demo_store, scenario="tour", seed=0, start=DEMO_START)
    engine.setup()
    clock = SimulatedClock(DEMO_START, speed=3600.0, real=ManualRealTime())
    app = SyncwatchApp(demo_store, clock, live=False, demo=engine)
    app.PREBUILD_DETAIL_AFTER = None
    app.theme = "textual-dark"
    return app


def assert_footer_keeps_help_and_quit(app: SyncwatchApp, width: int) -> None:
    text = footer_text(app)
    assert len(text) <= width
    assert "? Help" in text and " Quit" in text, text


# --------------------------------------------------------------------------- snapshots


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_main_screen_at(
    snap_compare: SnapCompare, make_app: Callable[..., SyncwatchApp], size: tuple[int, int]
) -> None:
    app = make_app()

    async def check(pilot: Pilot[Any], app: SyncwatchApp) -> None:
        assert_footer_keeps_help_and_quit(app, size[0])
        assert "State ▼" in header_text(app)
        assert ("ID" in header_text(app).split()) is (size[0] >= 160)

    assert snap_compare(app, terminal_size=size, run_before=prepare(app, check))


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_read_only_at(
    snap_compare: SnapCompare, make_app: Callable[..., SyncwatchApp], size: tuple[int, int]
) -> None:
    app = make_app(read_only=True)

    async def check(pilot: Pilot[Any], app: SyncwatchApp) -> None:
        assert_footer_keeps_help_and_quit(app, size[0])

    assert snap_compare(app, terminal_size=size, run_before=prepare(app, check))


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_demo_at(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    app = demo_app(tmp_path)

    async def check(pilot: Pilot[Any], app: SyncwatchApp) -> None:
        assert app.demo is not None
        assert_footer_keeps_help_and_quit(app, size[0])

    def pin_header(run: Callable[[Pilot[Any]], Any]) -> Callable[[Pilot[Any]], Any]:
        async def run_before(pilot: Pilot[Any]) -> None:
            await run(pilot)
            app.last_pass_at = DEMO_START  # the header's wall-clock time, pinned
            app.update_header()
            await settle(pilot)

        return run_before

    assert snap_compare(app, terminal_size=size, run_before=pin_header(prepare(app, check)))


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_drill_down_with_log_at(
    snap_compare: SnapCompare,
    make_app: Callable[..., SyncwatchApp],
    store: Store,
    size: tuple[int, int],
) -> None:
    app = make_app()
    target = failing_workday(store)

    async def open_it(pilot: Pilot[Any], app: SyncwatchApp) -> None:
        screen = await open_drill_down(pilot, app, target)
        assert screen.visible_logs()
        assert_footer_keeps_help_and_quit(app, size[0])
        title = log_title(app)
        assert "newest first" in title and ("follow on" in title or "following" in title)

    assert snap_compare(app, terminal_size=size, run_before=prepare(app, open_it))


# --------------------------------------------------------------------------- pilot checks


def log_title(app: SyncwatchApp) -> str:
    content = app.screen.query_one("#log-title", Static).content
    return str(getattr(content, "plain", content))


async def test_footer_keeps_help_and_quit_at_80_columns_read_only_and_in_the_demo(
    make_app: Callable[..., SyncwatchApp], tmp_path: Path
) -> None:
    for app in (make_app(), make_app(read_only=True), demo_app(tmp_path)):
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert_footer_keeps_help_and_quit(app, 80)
            if app.demo is not None:  # wide, the demo's speed keys are there too
                await pilot.resize_terminal(220, 60)
                await settle(pilot)
                text = footer_text(app)
                assert "+ Faster" in text and "- Slower" in text
                assert_footer_keeps_help_and_quit(app, 220)


async def test_summary_labels_go_to_states_someone_is_in(
    make_app: Callable[..., SyncwatchApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        summary = app.main.query_one(SummaryBar)
        counts = {state: 0 for state in STATES_BY_SEVERITY}
        counts[STATES_BY_SEVERITY[3]] = 4  # only a mild state has integrations
        counts[STATES_BY_SEVERITY[-2]] = 12
        summary.show_counts(counts)
        await pilot.pause()
        text = summary.text.plain
        assert len(text) <= 78
        for state in STATES_BY_SEVERITY:
            if counts[state] == 0:
                assert f"{state.glyph} 0" in text, state  # a count, no label
        assert STATES_BY_SEVERITY[3].label in text  # the one label goes to a real count
        # Narrower: room for one label, and it goes to a state someone is in (not to the
        # worst state, with nobody in it).
        await pilot.resize_terminal(60, 24)
        await settle(pilot)
        text = summary.text.plain
        labels = [s for s in STATES_BY_SEVERITY if f"{s.glyph} {s.label} " in text]
        assert labels == [STATES_BY_SEVERITY[3]], text


async def test_id_column_tells_two_acme_rows_apart_from_160_columns(
    make_app: Callable[..., SyncwatchApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        lst = app.main.query_one(IntegrationList)
        acme: list[IntegrationRow] = [
            r for r in app.rows.values() if r.organization == "Acme GmbH" and not r.deleted
        ]
        assert len(acme) >= 2
        lines = []
        for row in acme:
            assert lst.select_id(row.id)
            await pilot.pause()
            line = lst.render_line(1 + lst.cursor - int(lst.scroll_offset.y)).text
            # The id's random part (the Tool column beside it names the tool).
            assert row.id.split(":", 1)[1] in line
            lines.append(line)
        assert len(set(lines)) == len(lines)
        # From 220 columns, the whole id.
        await pilot.resize_terminal(220, 60)
        await settle(pilot)
        assert lst.select_id(acme[0].id)
        await pilot.pause()
        assert acme[0].id in lst.render_line(1 + lst.cursor - int(lst.scroll_offset.y)).text


@pytest.mark.parametrize("width", [80, 118, 178])
def test_every_sorted_column_title_keeps_its_arrow(width: int) -> None:
    lst = IntegrationList()
    for col in COLUMNS:
        for reverse in (False, True):
            lst.sort_key, lst.sort_reverse = col.key, reverse
            shown = {c.key for c in lst.visible_columns(width)}
            header = "".join(s.text for s in lst.render_header(width, Style()))
            if col.key in shown:
                assert f"{col.title} {'▲' if reverse else '▼'}" in header, (col.key, header)


async def test_in_state_values_are_whole(make_app: Callable[..., SyncwatchApp]) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        lst = app.main.query_one(IntegrationList)
        for n in range(lst.size.height - 1):
            row = lst.items[n]
            assert isinstance(row, IntegrationRow)
            value = fmt_ago(row.state_since, lst.now, compact=True).removesuffix(" ago")
            assert lst.render_line(1 + n).text.rstrip().endswith(f" {value}"), value


async def test_o_reads_the_log_oldest_first_and_back(
    make_app: Callable[..., SyncwatchApp], store: Store
) -> None:
    app = make_app()
    target = failing_workday(store)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        screen = await open_drill_down(pilot, app, target)
        log = screen.query_one(LogView)
        newest_first = list(log.entries)
        assert len(newest_first) >= 2
        assert newest_first[0].at >= newest_first[-1].at
        assert "newest first" in log_title(app)
        await pilot.press("o")
        await pilot.pause()
        assert list(log.entries) == newest_first[::-1]
        assert "oldest first" in log_title(app)
        # Following, oldest first: the newest entry (at the bottom) is in view.
        assert isinstance(app.screen, IntegrationScreen) and app.screen.follow
        assert log.scroll_offset.y == log.max_scroll_y
        # Kept when the next integration opens (a reading habit).
        await pilot.press("escape")
        await settle(pilot)
        await open_drill_down(pilot, app, target)
        assert "oldest first" in log_title(app)
        await pilot.press("o")
        await pilot.pause()
        assert list(log.entries) == newest_first
        assert "newest first" in log_title(app)


async def test_log_header_says_order_and_follow_at_80_columns(
    make_app: Callable[..., SyncwatchApp], store: Store
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_drill_down(pilot, app, failing_workday(store))
        title = log_title(app)
        assert "…" not in title and "newest first" in title and "follow on" in title
        await pilot.press("l")
        await pilot.pause()
        assert "follow off" in log_title(app)


async def test_wrapped_log_lines_break_between_words(
    make_app: Callable[..., SyncwatchApp], store: Store
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_drill_down(pilot, app, failing_workday(store))
        log = screen.query_one(LogView)
        words = {w for e in log.entries for w in entry_body(e).split()}
        lines = [log.render_line(y).text.rstrip() for y in range(log.size.height)]
        assert any(line.startswith("   ") for line in lines), "some entry is folded"
        for line in filter(None, lines):
            tokens = line.split()
            if not line.startswith(" "):
                tokens = tokens[4:]  # an entry's first line: its time and level first
            for token in tokens:
                # Every word shown is a whole word of an entry, never a piece of one.
                assert token in words, (token, line)
