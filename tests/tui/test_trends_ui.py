"""The list's recent-results strip and countdown, and the drill-down's timeline (pilot)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pilot_support import settle
from trend_support import FLAKY, NOW, ListApp, build_flaky_db, list_rows, strip_of

from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.states import SyncState
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.screens.detail import IntegrationScreen
from syncwatch.tui.widgets.integration_list import IntegrationList
from syncwatch.tui.widgets.text_pane import TextPane


def lines(lst: IntegrationList) -> list[str]:
    return ["".join(seg.text for seg in lst.render_line(y)) for y in range(1 + len(lst.items))]


async def test_the_list_shows_each_rows_strip_time_in_state_and_countdown() -> None:
    rows, recent = list_rows()
    app = ListApp(rows, recent)
    async with app.run_test(size=(170, 10)) as pilot:
        await pilot.pause()
        lst = app.query_one(IntegrationList)
        shown = lines(lst)
        assert "Recent" in shown[0] and "In state" in shown[0] and "Next" in shown[0]
        by_org = {
            org: next(line for line in shown if org in line) for org in ("Flap", "Down", "Auth")
        }
        # In state: a duration under its title ("3h", not "3h ago": it fits whole).
        assert "✓✗✓✗✓✗" in by_org["Flap"] and " 3h " in by_org["Flap"]
        assert "✓✓✗✗✗✗" in by_org["Down"] and " 9h " in by_org["Down"]
        assert "✓⚠⚠" in by_org["Auth"] and "pause in 1d 10h" in by_org["Auth"]
        assert " 1d 14h " in by_org["Auth"]
        assert not any(" ago" in line for line in shown)
        # Keys move the cursor; the strips stay.
        await pilot.press("down", "down")
        assert lst.cursor == 2
        assert [line.strip() for line in lines(lst)] == [line.strip() for line in shown]


async def test_a_refresh_repaints_a_row_with_its_new_strip() -> None:
    rows, recent = list_rows()
    app = ListApp(rows, recent)
    async with app.run_test(size=(170, 10)) as pilot:
        await pilot.pause()
        lst = app.query_one(IntegrationList)
        before = next(line for line in lines(lst) if "Flap" in line)
        assert "✓✗✓✗✓✗" in before
        # A new successful sync: the model's strip is replaced, then the row comes.
        app.recent["lever:flap"] = strip_of(
            SyncState.FAILED, SyncState.SUCCEEDED, SyncState.FAILED, SyncState.SUCCEEDED,
            SyncState.FAILED, SyncState.SUCCEEDED, SyncState.SUCCEEDED,
        ).strip  # fmt: skip
        flap = next(r for r in rows if r.id == "lever:flap")
        lst.update_rows([replace(flap, revision=flap.revision + 1)])
        await pilot.pause()
        after = next(line for line in lines(lst) if "Flap" in line)
        assert "✗✓✗✓✗✓✓" in after


async def test_the_drill_down_shows_the_timeline_and_t_switches_to_30_days(
    tmp_path: Path,
) -> None:
    path = tmp_path / "flaky.db"
    build_flaky_db(path)
    store = Store.open(path)
    try:
        app = SyncwatchApp(store, FixedClock(NOW), live=False)
        app.PREBUILD_DETAIL_AFTER = None
        async with app.run_test(size=(160, 45)) as pilot:
            await settle(pilot)
            assert app.main.integration_list.select_id(FLAKY)
            await pilot.press("enter")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, IntegrationScreen)
            text = screen.query_one("#detail-left", TextPane).text
            flat = " ".join(text.split())
            assert "Timeline, last 7 days (t: 30 days)" in flat
            # Known for 5 d 1 h (121 h), failing for 24 h of it: 97 / 121.
            assert "Availability 80.2 % over 7 days (known for 5 d 1 h)" in flat
            assert "● Active 4 d 1 h · ✖ Failing 1 d · 3 state changes" in flat
            strip = next(line for line in text.splitlines() if "✖" in line and "●" in line)
            assert strip.startswith("·")  # before the integration existed
            assert strip.rstrip().endswith("●")  # active again now
            marks = text.splitlines()[text.splitlines().index(strip) + 1]
            assert marks.count("╵") == 3
            await pilot.press("t")
            await settle(pilot)
            flat = " ".join(screen.query_one("#detail-left", TextPane).text.split())
            assert "Timeline, last 30 days (t: 7 days)" in flat
            assert "Availability 80.2 % over 30 days" in flat
    finally:
        store.close()
