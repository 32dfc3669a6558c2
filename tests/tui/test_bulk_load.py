"""The background load's batches reach the list (pilot): thousands of rows new to the list
are merged in at once, and the list then reads exactly as one sorted from scratch, under
the operator's sort, filter and cursor."""

from __future__ import annotations

from datetime import timedelta

from pilot_support import run
from row_support import NOW, row
from test_views import ViewApp
from textual.pilot import Pilot

from syncwatch.rows import IntegrationRow
from syncwatch.states import IntegrationState as St
from syncwatch.tui.gate import ActionGate
from syncwatch.tui.model import Model
from syncwatch.tui.screens.main import MainScreen
from syncwatch.tui.widgets.integration_list import BULK, IntegrationList

SIZE = (160, 45)
STATES = [St.ACTIVE, St.SYNC_FAILING, St.SETUP, St.SYNC_HAS_WARNINGS, St.DELETED, None]


def fleet(n: int, start: int = 0) -> list[IntegrationRow]:
    """``n`` rows over six states and a few organisations (names repeat, cases differ),
    every sixth one deleted."""
    gone = NOW - timedelta(hours=1)
    return [
        row(
            f"tool{i % 3}:int{i:05d}",
            STATES[i % 6],
            1,
            organization=("acme", "Birch", "ACME", "cedar")[i % 4],
            deleted_at=gone if STATES[i % 6] is St.DELETED else None,
        )
        for i in range(start, start + n)
    ]


def ids(lst: IntegrationList) -> list[str]:
    return [r.id for r in lst.items]


async def merge_then_sort_again(
    pilot: Pilot[None], screen: MainScreen, rows: list[IntegrationRow]
) -> tuple[list[str], str | None, list[str]]:
    """What the list shows once ``rows`` arrive as a batch of the load, where its cursor is
    then, and what it shows once the same rows are sorted and filtered from scratch."""
    lst = screen.query_one(IntegrationList)
    screen.show_changes(screen.model.rows_loaded(rows, done=True))
    await pilot.pause()
    merged, cursor = ids(lst), lst.cursor_row.id if lst.cursor_row else None
    lst.set_rows(screen.model.rows.values())
    await pilot.pause()
    return merged, cursor, ids(lst)


async def test_a_large_batch_of_new_rows_lands_where_a_full_sort_puts_it() -> None:
    first = fleet(40)
    later = fleet(3 * BULK, start=40)
    assert len(later) >= BULK
    model = Model(NOW)
    model.preload(first, total=len(first) + len(later), revision=1, marks={})
    screen = MainScreen(model, ActionGate())
    async with run(ViewApp(screen), SIZE) as pilot:
        lst = screen.query_one(IntegrationList)
        # The operator filtered and moved while rows were still loading.
        await pilot.press("slash", *"acme", "enter")
        await pilot.press("down", "down", "down")
        await pilot.pause()
        cursor_id = lst.cursor_row.id if lst.cursor_row else None
        assert cursor_id is not None
        merged, cursor_after, from_scratch = await merge_then_sort_again(pilot, screen, later)
        assert merged == from_scratch
        assert len(merged) == sum(
            1 for r in first + later if r.organization.casefold() == "acme" and not r.deleted
        )
        assert cursor_after == cursor_id

        # Sorted by another column, reversed: the merge follows it too.
        await pilot.press("escape")
        await pilot.pause()
        more = fleet(BULK, start=40 + len(later))
        await pilot.press("s", "S")
        await pilot.pause()
        merged, _, from_scratch = await merge_then_sort_again(pilot, screen, more)
        assert merged == from_scratch
        assert len(merged) == sum(1 for r in first + later + more if not r.deleted)
