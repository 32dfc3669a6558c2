"""The background load's batches reach the list (pilot): thousands of rows new to the list
are merged in at once, and the list then reads exactly as one sorted from scratch, under
the operator's sort, filter and cursor."""

from __future__ import annotations

from datetime import timedelta

from pilot_support import run
from row_support import NOW, row
from test_views import ViewApp

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
        screen.show_changes(model.rows_loaded(later, done=True))
        await pilot.pause()
        merged = ids(lst)

        # The same rows, sorted and filtered from scratch.
        lst.set_rows(model.rows.values())
        await pilot.pause()
        assert merged == ids(lst)
        assert len(merged) == sum(
            1 for r in first + later if r.organization.casefold() == "acme" and not r.deleted
        )
        assert lst.cursor_row is not None and lst.cursor_row.id == cursor_id

        # Sorted by another column, reversed: the merge follows it too.
        await pilot.press("escape")
        await pilot.pause()
        more = fleet(BULK, start=40 + len(later))
        await pilot.press("s", "S")
        await pilot.pause()
        screen.show_changes(model.rows_loaded(more, done=True))
        await pilot.pause()
        merged = ids(lst)
        lst.set_rows(model.rows.values())
        await pilot.pause()
        assert merged == ids(lst)
        assert len(merged) == sum(1 for r in first + later + more if not r.deleted)
