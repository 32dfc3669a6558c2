"""Pilot test: the app on PostgreSQL started from the first screen read with psycopg.

The first screenful comes from :class:`~syncwatch.pgread.PgReader`; the rest of the rows
are read by the app's worker from the same reader (another thread), and the first pass
opens the store. The end state is the store's. Needs the test PostgreSQL server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pilot_support import run, settle

from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.importer import load_sample
from syncwatch.pgread import PgReader
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.preload import read_first_screen
from syncwatch.tui.widgets.integration_list import IntegrationList


class Opener:
    """Opens the store when the app's first worker asks."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.stores: list[Store] = []

    def __call__(self) -> Store:
        store = Store.open(self.url)
        self.stores.append(store)
        return store

    def close(self) -> None:
        for store in self.stores:
            store.close()


@pytest.fixture
def pg_db(pg_url: str, clock: FixedClock) -> str:
    store = Store.open(pg_url)
    try:
        load_sample(store, clock.now())
    finally:
        store.close()
    return pg_url


@pytest.fixture
def opener(pg_db: str) -> Iterator[Opener]:
    o = Opener(pg_db)
    yield o
    o.close()


def shown_ids(app: SyncwatchApp) -> list[str]:
    return [r.id for r in app.main.query_one(IntegrationList).items]


async def test_the_app_starts_from_psycopg_rows_and_ends_with_the_stores(
    pg_db: str, clock: FixedClock, opener: Opener
) -> None:
    reader = PgReader.open(pg_db)
    assert reader is not None
    preload = read_first_screen(reader, 2)
    assert preload.total > 3 and len(preload.rows) == 2
    app = SyncwatchApp(opener, clock, live=False, preload=preload)
    async with run(app, (160, 45)) as pilot:
        await settle(pilot)
        shown = shown_ids(app)
        assert shown[:2] == [r.id for r in preload.rows]
        store = Store.open(pg_db)
        try:
            live = [r for r in store.integrations() if not r.deleted]
        finally:
            store.close()
        assert sorted(shown) == sorted(r.id for r in live)
        assert {r.id: r for r in live} == {i: app.rows[i] for i in shown}
