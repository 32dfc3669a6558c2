"""Pilot tests: the first screen from rows read before the store, and honest loading states.

The app starts with the first screenful read by ``FastReader`` (``read_first_screen``);
the rest of the rows and the first evaluation pass come from workers. Here the background
read is held back by the test (a reader that waits for an event), so the "still loading"
screen can be looked at without racing anything.
"""

from __future__ import annotations

import dataclasses
import gc
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pilot_support import notifications, run, settle
from textual.pilot import Pilot

from syncwatch.actions import Action, perform
from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.fastread import FastReader
from syncwatch.fleetread import FleetReader
from syncwatch.states import IntegrationState
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.preload import Preload, read_first_screen
from syncwatch.tui.widgets.integration_list import IntegrationList
from syncwatch.tui.widgets.summary import StatusLine

SIZE = (160, 45)


class HeldReader:
    """A reader whose background read starts only when the test releases it."""

    def __init__(self, reader: FastReader) -> None:
        self.reader = reader
        self.release = threading.Event()

    def recent_results(self, ids: Any) -> Any:
        return self.reader.recent_results(ids)

    def result_strips(self, ids: Any) -> Any:
        return self.reader.result_strips(ids)

    def iter_with_strips(self, sizes: Any) -> Iterator[Any]:
        self.release.wait()
        yield from self.reader.iter_with_strips(sizes)

    def close(self) -> None:
        self.reader.close()


class Opener:
    """Opens the store when the app's first worker asks (optionally held back too)."""

    def __init__(self, path: Path, *, held: bool = False) -> None:
        self.path = path
        self.release = threading.Event()
        if not held:
            self.release.set()
        self.stores: list[Store] = []

    def __call__(self) -> Store:
        self.release.wait()
        store = Store.open(self.path)
        self.stores.append(store)
        return store

    def close(self) -> None:
        for store in self.stores:
            store.close()


@pytest.fixture
def opener(db_path: Path) -> Iterator[Opener]:
    o = Opener(db_path)
    yield o
    o.close()


def first_screen(db_path: Path, screenful: int) -> Preload:
    # As the UI's entry opens it: a fleet reader, kept for the passes with nothing to do.
    reader = FleetReader.open(db_path)
    assert reader is not None
    return read_first_screen(reader, screenful)


def the_list(app: SyncwatchApp) -> IntegrationList:
    return app.main.query_one(IntegrationList)


def status(app: SyncwatchApp) -> str:
    return app.main.query_one(StatusLine).text.plain


def shown_ids(app: SyncwatchApp) -> list[str]:
    return [r.id for r in the_list(app).items]


async def finish(pilot: Pilot[Any], group: str) -> None:
    """Wait for the app's workers of ``group`` (the others may be held back)."""
    for worker in list(pilot.app.workers):
        if worker.group == group:
            await worker.wait()
    await pilot.pause()


def app_held_back(
    preload: Preload, clock: FixedClock, opener: Opener
) -> tuple[SyncwatchApp, HeldReader]:
    """An app started from ``preload`` whose background read waits for the test."""
    held = HeldReader(preload.reader)
    app = SyncwatchApp(
        opener,
        clock,
        live=False,
        preload=dataclasses.replace(preload, reader=held),  # type: ignore[arg-type]
    )
    return app, held


def state_notices(app: SyncwatchApp) -> list[str]:
    return [n.message for n in notifications(app) if n.title in ("State changed", "State changes")]


async def test_preloaded_rows_show_at_once_and_the_list_says_the_rest_is_loading(
    db_path: Path, clock: FixedClock, opener: Opener
) -> None:
    preload = first_screen(db_path, 2)
    total = preload.total
    assert total > 3
    app, held = app_held_back(preload, clock, opener)
    try:
        async with run(app, SIZE) as pilot:
            await finish(pilot, "evaluate")  # the first pass: nothing changed
            first_two = [r.id for r in preload.rows]
            assert shown_ids(app) == first_two
            assert f"Loading… 2 of {total}" in status(app)
            # Filters work on what is loaded, and say so.
            await pilot.press("slash", *"mosaic", "enter")
            await pilot.pause()
            assert shown_ids(app) == []
            line = the_list(app).render_line(1).text
            assert f"No integration matches this view in the 2 of {total} loaded so far" in line
            assert "No integrations yet" not in line
            held.release.set()
            await settle(pilot)
            assert shown_ids(app) == ["deel:mosaic"]  # found once loaded
            await pilot.press("escape")
            await pilot.pause()
            assert "Loading" not in status(app)
            shown = shown_ids(app)
            assert shown[:2] == first_two  # the first screen stays where it was
            assert len(shown) == len(app.rows) - 1  # all of them but the deleted one
            assert state_notices(app) == []  # rows that finished loading changed no state
            assert gc.isenabled()  # paused for the load only
    finally:
        held.release.set()


async def test_quitting_while_rows_load_leaves_the_collector_on(
    db_path: Path, clock: FixedClock, opener: Opener
) -> None:
    """The garbage collector pauses while the rest of the rows load (at 100,000 its passes
    over the growing heap cost a third of a second); an app that quits before the load
    ends must not leave it off (another app in this process would then never collect)."""
    app, held = app_held_back(first_screen(db_path, 2), clock, opener)
    try:
        async with run(app, SIZE) as pilot:
            await pilot.pause()
            assert "Loading…" in status(app)
            assert not gc.isenabled()
        assert gc.isenabled()
    finally:
        held.release.set()


async def test_the_first_pass_replaces_preloaded_rows_and_announces_real_changes(
    db_path: Path, clock: FixedClock, opener: Opener
) -> None:
    preload = first_screen(db_path, 3)
    changed = next(r for r in preload.rows if r.state is not IntegrationState.INACTIVE)
    # Another process deactivates a row on the first screen before the first pass.
    other = Store.open(db_path)
    perform(other, Action.DEACTIVATE, changed.id, clock.now())
    other.close()
    app = SyncwatchApp(opener, clock, live=False, preload=preload)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        assert app.rows[changed.id].state is IntegrationState.INACTIVE
        row = the_list(app).items[the_list(app).index_of(changed.id) or 0]
        assert row.id == changed.id and row.state is IntegrationState.INACTIVE
        notices = state_notices(app)
        assert len(notices) == 1 and changed.organization in notices[0]
        assert "Loading" not in status(app)


async def test_an_empty_database_says_none_yet_from_the_first_screen(
    tmp_path: Path, clock: FixedClock
) -> None:
    path = tmp_path / "empty.db"
    Store.open(path).close()
    preload = first_screen(path, 200)
    opener = Opener(path, held=True)  # the store is not even open yet
    app = SyncwatchApp(opener, clock, live=False, preload=preload)
    try:
        async with run(app, SIZE) as pilot:
            await pilot.pause()
            assert "No integrations yet: syncwatch import FILE" in the_list(app).render_line(1).text
            opener.release.set()
            await settle(pilot)
            assert "No integrations yet" in the_list(app).render_line(1).text
    finally:
        opener.release.set()
        opener.close()


async def test_without_a_preload_the_list_says_loading_until_the_first_pass(
    tmp_path: Path, clock: FixedClock
) -> None:
    path = tmp_path / "empty.db"
    Store.open(path).close()
    opener = Opener(path, held=True)
    app = SyncwatchApp(opener, clock, live=False)
    try:
        async with run(app, SIZE) as pilot:
            await pilot.pause()
            line = the_list(app).render_line(1).text
            assert "Loading integrations" in line
            assert "No integrations yet" not in line
            opener.release.set()
            await settle(pilot)
            assert "No integrations yet" in the_list(app).render_line(1).text
    finally:
        opener.release.set()
        opener.close()


async def test_a_pass_with_nothing_to_do_still_shows_what_another_process_changed(
    db_path: Path, clock: FixedClock, opener: Opener
) -> None:
    """After the load, a pass that finds nothing to evaluate reads the rows changed since
    the last one with the preload's reader (no store): a teammate's action arrives, and
    its state change is announced, as with the store's pass."""
    preload = first_screen(db_path, 200)
    app = SyncwatchApp(opener, clock, live=False, preload=preload)
    async with run(app, SIZE) as pilot:
        await settle(pilot)
        target = next(r for r in app.rows.values() if r.state is IntegrationState.ACTIVE)
        other = Store.open(db_path)
        perform(other, Action.DEACTIVATE, target.id, clock.now())
        other.close()
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert app.rows[target.id].state is IntegrationState.INACTIVE
        notices = state_notices(app)
        assert len(notices) == 1 and target.organization in notices[0]
