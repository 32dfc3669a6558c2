"""Benchmark the terminal UI against a large database, headless.

Builds (seed 42, in a temporary directory) a SQLite database of N integrations with a few
syncs each, evaluates it once (so the rows carry realistic, mixed states), then runs the app
headless (``app.run_test(size=(160, 45))``, live timer off, a fixed clock) and measures, each
``--repeat`` times in a fresh app (the median is reported):

first paint      the full row list is handed to the app (the first pass's message, held back
                 until the app is idle) until the screen has been painted: the message
                 handler, the sort, the summary, the footer and the paint.
refresh 100      a pass message with 100 changed rows (80 with a new last sync, 20 with a new
                 state, so 20 rows move) until painted, notifications included.
cursor down      one ``down`` key on a row whose next row allows other actions (so the footer
                 changes), and once more where it does not.
page down        one ``pagedown`` key.
group toggle     the grouping key (``b``, issue 14) until the list, grouped by tool with every
                 group closed, is painted; then a refresh of the same 100 rows while grouped
                 (20 go back to their state, so the groups' counts are worked out again:
                 O(N)); enter on the group's row
                 the cursor is on, twice (open, close); then ``b`` again (grouped by
                 organisation: a group per organisation) and once more (not grouped). Skipped
                 for a syncwatch without the key (a ``--baseline-src`` before it).
open drill-down  ``enter`` until the drill-down screen is pushed and painted, and once more
                 for another integration. Loading its data happens in a worker and is held
                 back until then; reported separately as the worker's database time and the
                 UI-thread time to show it. The app builds the drill-down screen off screen
                 once the list is shown (if it does: the figure is then reported too; the
                 benchmark triggers it right after the first paint).

Every figure is UI-thread CPU time (``time.thread_time()`` of the thread the app runs on),
from the moment the work is handed over until the screen shows its result: the messages it
caused are handled and the screen is painted once (as in the app, where Textual paints on a
1/60 s timer once the messages are handled; here without waiting for that timer). That is
what the user waits for. Work the app defers until after that paint (``call_after_refresh``)
is reported beside it as "settled": until nothing is pending, later paints included (the
UI thread is busy until then: a key pressed meanwhile waits). Nothing sleeps while
measuring. The
headless driver does not write to a terminal; the benchmark still encodes every screen
update to the terminal byte string, as a real terminal would need. Wall-clock times are in
the JSON too.

The baseline, in the same run: a plain Textual ``DataTable`` with the same rows (as plain
strings, row cursor): first paint after ``add_rows``, 100 ``update_cell`` calls, cursor down,
page down. With 100,000 rows its first paint takes many seconds: once a run takes longer than
``--baseline-cap`` seconds it is not repeated.

Each (size, widget) runs in its own child process, so its peak memory (``ru_maxrss``) is
its own: reported after the first run (one app: the rows loaded, painted, every step) and
after all runs (Python keeps freed memory, so runs add up a little).

    uv run python benchmarks/tui.py [--sizes 10000,100000] [--repeat 5] [--json]
        [--no-baseline] [--baseline-cap 60] [--profile] [--syncs-per 2]
        [--baseline-src PATH]

The list's trend columns (issue 14: the recent-results strip, the countdown): the strips are
read as a pass's worker would (``syncwatch.db.trends.recent_results``: every integration for
the first paint, the 100 changed ones for the refresh; wall time reported as
``load_recent_db`` and ``load_recent_100_db``) and taken into the model inside the measured
step, as the app's handler does. ``--syncs-per 12`` gives every strip its full 10 cells.
``--baseline-src`` runs the same steps, on the same database and in the same run, with the
syncwatch found at PATH (a checkout's ``src`` of an earlier commit, e.g. 7e57f11, without the
trend columns); its figures are reported beside ours with the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import gc
import io
import json
import os
import pstats
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import textual.screen
from _common import (
    NOW,
    SEED,
    SYNC_SPACING,
    Messages,
    dump_json,
    generate_syncs,
    integration_row,
    machine_info,
    plan_integrations,
    print_table,
    progress,
    sync_and_log_rows,
)
from rich.console import Console
from textual import events
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable

from syncwatch.actions import Action, why_not
from syncwatch.clock import FixedClock
from syncwatch.db import Store, tables
from syncwatch.db.kombo import integration_issues, kombo_marks, upstream_info
from syncwatch.present import SYNC_WORDS, fmt_ago
from syncwatch.rows import IntegrationRow, PassResult
from syncwatch.states import IntegrationState, SyncState
from syncwatch.tui.app import SyncwatchApp
from syncwatch.tui.messages import PassFinished
from syncwatch.tui.screens.detail import IntegrationScreen
from syncwatch.tui.widgets.integration_list import IntegrationList

SIZE = (160, 45)
#: Targets on the reference machine (2 cores), in milliseconds of UI-thread time.
TARGETS_MS: dict[int, dict[str, float]] = {
    10_000: {"first_paint": 300.0},
    100_000: {"first_paint": 1500.0},
}
PER_KEY_TARGETS_MS = {
    "refresh_100": 30.0,
    "cursor_down": 30.0,
    "cursor_down_same": 30.0,
    "page_down": 30.0,
    # Issue 14: "the grouping toggle under 50 ms of UI thread" at 10,000 integrations.
    "group_toggle": 50.0,
    "open_detail": 30.0,
    "open_detail_again": 30.0,
}
_CHANGED = 100
#: Syncs per integration in the database (``--syncs-per``).
_SYNCS_PER = 2
_MOVED = 20  # of the changed rows, this many change state (and so move in the list)
#: The drill-down opens this integration: many syncs, a long log.
_HEAVY_SYNCS = 400
_HEAVY_LOGS = 4000

FIGURES: tuple[tuple[str, str], ...] = (
    ("load_rows_db", "load all rows from the DB (worker)"),
    ("first_paint", "first paint after the data is loaded"),
    ("refresh_100", "apply a refresh with 100 changed rows"),
    ("cursor_down", "cursor down (footer changes)"),
    ("cursor_down_same", "cursor down (same actions)"),
    ("page_down", "page down"),
    ("group_toggle", "group by tool (b)"),
    ("refresh_100_grouped", "apply a refresh with 100 changed rows, grouped"),
    ("group_open", "open a group (enter on its row)"),
    ("group_close", "close it (enter)"),
    ("group_toggle_org", "group by organisation (b again)"),
    ("group_off", "not grouped (b a third time)"),
    ("prebuild_detail", "build the drill-down ahead (after first paint)"),
    ("open_detail", "open the drill-down (pushed + painted)"),
    ("open_detail_again", "open it again, another integration"),
    ("detail_db", "drill-down data from the DB (worker; with Kombo issues)"),
    ("detail_apply", "drill-down data shown (UI thread)"),
    ("settle_overhead", "harness: settle with nothing to do"),
)


# --------------------------------------------------------------------------- the database


def _tui_log_id(sync_id: str, j: int) -> str:
    return f"{sync_id}_{j:05d}"


def build_db(path: Path, n: int) -> dict[str, Any]:
    """N integrations, about 2 syncs and 2 log entries each, evaluated once.

    One integration (the one the drill-down opens) gets ``_HEAVY_SYNCS`` syncs and
    ``_HEAVY_LOGS`` log entries. Kombo issues (one open, two resolved) on 1% of them and on
    that one, 0.5% gone upstream: the list shows their badges, the drill-down the issues.
    """
    t0 = time.perf_counter()
    store = Store.open(path)
    rng = random.Random(SEED)
    msgs = Messages(rng, secret="[REDACTED]")
    plans = plan_integrations(rng, n, _SYNCS_PER * n, 2 * n, NOW)
    heavy = next(p for p in plans if p.kind == "normal" and p.n_syncs)
    heavy.n_syncs, heavy.n_logs = _HEAVY_SYNCS, _HEAVY_LOGS
    heavy.created_at = heavy.anchor - SYNC_SPACING * _HEAVY_SYNCS - timedelta(hours=1)
    with store.write() as conn:
        conn.execute(tables.integrations.insert(), [integration_row(p) for p in plans])
    sync_buf: list[dict[str, Any]] = []
    log_buf: list[dict[str, Any]] = []

    def flush() -> None:
        with store.write() as conn:
            if sync_buf:
                conn.execute(tables.syncs.insert(), sync_buf)
            if log_buf:
                conn.execute(tables.log_entries.insert(), log_buf)
        sync_buf.clear()
        log_buf.clear()

    for p in plans:
        s_rows, l_rows = sync_and_log_rows(p.id, generate_syncs(rng, p, msgs), _tui_log_id)
        sync_buf += s_rows
        log_buf += l_rows
        if len(sync_buf) >= 50_000:
            flush()
    flush()
    # Kombo's side, as webhooks and pulls would leave it: open and resolved issues on 1% of
    # the integrations (the drill-down's one among them), 0.5% gone upstream.
    issues = [
        {
            "id": f"iss_{i}_{k}", "integration_id": p.id, "type": "integration.sync_failed",
            "title": f"Sync failing for {p.id}", "status": "OPEN" if k == 0 else "RESOLVED",
            "message": "Kombo could not fetch **employees**: the tool answered `503`.",
            "first_observed_at": NOW - timedelta(hours=k + 1), "updated_at": NOW,
            "resolved_at": None if k == 0 else NOW - timedelta(hours=k),
        }
        for i, p in enumerate(plans) if p is heavy or i % 100 == 1 for k in range(3)
    ]  # fmt: skip
    gone = [p.id for i, p in enumerate(plans) if i % 200 == 3]
    with store.write() as conn:
        conn.execute(tables.issues.insert(), issues)
        conn.execute(
            tables.integrations.update()
            .where(tables.integrations.c.id.in_(gone))
            .values(upstream_gone_at=NOW)
        )
    built = time.perf_counter() - t0
    t0 = time.perf_counter()
    store.evaluate_pass(NOW)
    evaluated = time.perf_counter() - t0
    rows = store.integrations()
    store.close()
    states: dict[str, int] = {}
    for r in rows:
        key = r.state.value if r.state else "none"
        states[key] = states.get(key, 0) + 1
    return {
        "integrations": n,
        "heavy_id": heavy.id,
        "build_s": round(built, 2),
        "evaluate_s": round(evaluated, 2),
        "states": dict(sorted(states.items())),
    }


# --------------------------------------------------------------------------- measuring


def _messages_pending(app: App[Any]) -> bool:
    """Is a message queued anywhere (on any screen: one may be built off screen)?"""
    if not app._message_queue.empty():
        return True
    return any(not node._message_queue.empty() for node in list(app._registry))


def _paint_pending(screen: Screen[Any]) -> bool:
    return bool(
        screen._layout_required
        or screen._scroll_required
        or screen._repaint_required
        or screen._recompose_required
        or screen._dirty_widgets
    )


async def settle(app: App[Any], on_paint: Callable[[], None] | None = None) -> int:
    """Run until nothing is pending: every message handled, the screen painted; returns
    how many times the screen was painted.

    As in the app, the screen is painted once the messages a step caused have been handled
    (Textual paints on a 1/60 s timer that starts when the screen goes idle, so a key press
    and the messages it posts end in one paint), but here as soon as they have been handled
    instead of when the timer fires (waiting for it would mean spinning here, and the spin
    would count as work). Work deferred until after a paint (``call_after_refresh``) runs
    next, and may paint again. Nothing here sleeps, so the UI thread's CPU time is the work
    itself. ``on_paint`` is called after each paint.
    """
    quiet = paints = 0
    while True:
        await asyncio.sleep(0)
        if _messages_pending(app):
            quiet = 0
            continue
        quiet += 1
        screen = app.screen
        if quiet < 2:
            continue
        if _paint_pending(screen):
            screen._on_timer_update()
            paints += 1
            if on_paint is not None:
                on_paint()
            quiet = 0
        elif screen._callbacks:
            quiet = 0  # run by the screen's idle handler
        elif quiet >= 4:
            return paints


class Sample:
    """UI-thread CPU time and wall time of one measured step: until its first paint (what
    the user waits for) and until nothing is pending (deferred work done too)."""

    def __init__(self) -> None:
        self.cpu = 0.0
        self.wall = 0.0
        self.shown_cpu = 0.0
        self.shown_wall = 0.0
        self.paints = 0

    async def measure(self, app: App[Any], start: Callable[[], Any]) -> Sample:
        gc.collect()
        gc.disable()
        try:
            c0, w0 = time.thread_time(), time.perf_counter()
            shown: list[tuple[float, float]] = []

            def painted() -> None:
                if not shown:
                    shown.append((time.thread_time(), time.perf_counter()))

            out = start()
            if isinstance(out, Awaitable):
                await out
            self.paints = await settle(app, painted)
            c1, w1 = time.thread_time(), time.perf_counter()
            self.cpu, self.wall = c1 - c0, w1 - w0
            c_shown, w_shown = shown[0] if shown else (c1, w1)
            self.shown_cpu, self.shown_wall = c_shown - c0, w_shown - w0
        finally:
            gc.enable()
        return self


class Results:
    def __init__(self) -> None:
        self.cpu: dict[str, list[float]] = {}
        self.wall: dict[str, list[float]] = {}
        self.settled: dict[str, list[float]] = {}
        self.paints: dict[str, list[int]] = {}

    def add(self, name: str, sample: Sample) -> None:
        """The figure is the time to the first paint; the time until settled is kept too."""
        self.cpu.setdefault(name, []).append(sample.shown_cpu * 1000)
        self.wall.setdefault(name, []).append(sample.shown_wall * 1000)
        self.settled.setdefault(name, []).append(sample.cpu * 1000)
        self.paints.setdefault(name, []).append(sample.paints)

    def add_wall(self, name: str, seconds: float) -> None:
        self.cpu.setdefault(name, []).append(seconds * 1000)
        self.wall.setdefault(name, []).append(seconds * 1000)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, runs in self.cpu.items():
            out[name] = {
                "median_ms": round(statistics.median(runs), 3),
                "min_ms": round(min(runs), 3),
                "max_ms": round(max(runs), 3),
                "runs_ms": [round(x, 3) for x in runs],
                "wall_median_ms": round(statistics.median(self.wall[name]), 3),
            }
            if name in self.settled:
                out[name]["settled_median_ms"] = round(statistics.median(self.settled[name]), 3)
                out[name]["settled_runs_ms"] = [round(x, 3) for x in self.settled[name]]
                out[name]["paints"] = self.paints[name]
        return out


class _Encoding:
    """Encode every screen update for the terminal, as a real (non-headless) driver must."""

    _encode_console: Console | None = None

    def _display(self, screen: Screen[Any], renderable: Any) -> None:
        super()._display(screen, renderable)  # type: ignore[misc]
        render = getattr(renderable, "render_segments", None)
        if render is not None:
            if self._encode_console is None:
                self._encode_console = Console(
                    file=io.StringIO(), width=SIZE[0], height=SIZE[1], color_system="truecolor",
                    force_terminal=True, legacy_windows=False,
                )  # fmt: skip
            render(self._encode_console)


class BenchApp(_Encoding, SyncwatchApp):
    """The app, with the first pass's message and the drill-down's loading held back."""

    # A relative CSS path resolves next to the defining class's module.
    CSS_PATH = str(Path(sys.modules[SyncwatchApp.__module__].__file__ or "").parent / "app.tcss")
    # The benchmark builds the drill-down ahead of time itself, to measure it.
    PREBUILD_DETAIL_AFTER = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.held: list[PassFinished] = []
        self.hold_passes = True
        self.deferred_loads: list[str] = []
        self.defer_loads = True

    def on_pass_finished(self, message: PassFinished) -> None:
        # Textual calls the handler of every class in the MRO: SyncwatchApp's runs next,
        # unless the message is held back here.
        if self.hold_passes:
            message.prevent_default()
            self.held.append(message)

    def load_detail(self, integration_id: str) -> None:
        if self.defer_loads:
            self.deferred_loads.append(integration_id)
            return
        super().load_detail(integration_id)


class _StripTaker:
    """What the app does with a pass's strips (the model takes them; the list holds the
    model's map), and the read a pass's worker does; ``None`` from :func:`_strip_taker` when
    the syncwatch under test has no strips (the baseline commit)."""

    def __init__(self, app: SyncwatchApp, store: Store) -> None:
        from syncwatch.db.trends import recent_results

        self.app = app
        self.store = store
        self._read = recent_results
        app.main.query_one(IntegrationList).recent = app.model.recent

    def read(self, ids: list[str] | None) -> dict[str, Any]:
        return self._read(self.store, ids)

    def __call__(self, strips: dict[str, Any], *, full: bool = False) -> None:
        self.app.model.take_recent(strips, full=full)


def _strip_taker(app: SyncwatchApp, store: Store) -> _StripTaker | None:
    if not hasattr(app.model, "take_recent"):
        return None
    return _StripTaker(app, store)


def _press(app: App[Any], key: str) -> Callable[[], None]:
    def go() -> None:
        app.post_message(events.Key(key, None))

    return go


def _allowed(row: IntegrationRow) -> frozenset[Action]:
    return frozenset(a for a in Action if why_not(a, row) is None)


def _changed_rows(app: SyncwatchApp, rng: random.Random) -> list[IntegrationRow]:
    """100 changed rows: 80 with a newer sync, 20 in another state."""
    live = [r for r in app.rows.values() if not r.deleted]
    picked = rng.sample(live, _CHANGED)
    revision = (app.model.revision or 0) + 1
    states = [s for s in IntegrationState if s is not IntegrationState.DELETED]
    out: list[IntegrationRow] = []
    for i, row in enumerate(picked):
        if i < _MOVED:
            state = rng.choice([s for s in states if s is not row.state])
            out.append(
                dataclasses.replace(
                    row,
                    state=state,
                    state_reason=f"benchmark change {revision}",
                    state_since=NOW,
                    revision=revision,
                )
            )
        else:
            out.append(
                dataclasses.replace(
                    row,
                    last_sync_state=SyncState.SUCCEEDED,
                    last_sync_ended_at=NOW - timedelta(minutes=rng.randint(1, 59)),
                    last_sync_warnings=rng.randint(0, 3),
                    revision=revision,
                )
            )
    return out


async def _wait_for(app: App[Any], predicate: Callable[[], bool], timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if app._exception is not None:
            raise app._exception
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        await asyncio.sleep(0.005)


async def _syncwatch_run(
    store: Store, heavy_id: str, rng: random.Random, res: Results, prof: cProfile.Profile | None
) -> None:
    """One run: a fresh app, every figure once."""
    app = BenchApp(store, FixedClock(NOW), live=False, env={})
    async with app.run_test(size=SIZE):
        await _wait_for(app, lambda: bool(app.held))
        await app.workers.wait_for_complete()
        await settle(app)
        res.add("settle_overhead", await Sample().measure(app, lambda: None))
        held = app.held.pop()
        message = PassFinished(held.now, held.result, held.rows, full=held.full, kombo=held.kombo)
        app.hold_passes = False
        lst = app.main.query_one(IntegrationList)
        take = _strip_taker(app, store)
        if take is not None:
            t0 = time.perf_counter()
            strips = take.read(None)
            res.add_wall("load_recent_db", time.perf_counter() - t0)

            def first() -> None:
                take(strips, full=True)
                app.post_message(message)

            res.add("first_paint", await Sample().measure(app, first))
        else:
            res.add("first_paint", await Sample().measure(app, lambda: app.post_message(message)))
        assert len(lst.items) > 0, "nothing shown"
        prebuild = getattr(app, "prebuild_detail", None)
        if prebuild is not None:  # the app builds the drill-down ahead of time
            res.add("prebuild_detail", await Sample().measure(app, prebuild))

        async def step(name: str, start: Callable[[], Any]) -> None:
            if prof is not None:
                prof.enable()
            res.add(name, await Sample().measure(app, start))
            if prof is not None:
                prof.disable()

        changed = _changed_rows(app, rng)
        before = {r.id: app.rows[r.id] for r in changed}
        changed_strips: dict[str, Any] = {}
        if take is not None:
            t0 = time.perf_counter()
            changed_strips = take.read([r.id for r in changed])
            res.add_wall("load_recent_100_db", time.perf_counter() - t0)

        def refresh() -> None:
            if take is not None:
                take(changed_strips)
            app.post_message(PassFinished(NOW, PassResult(), changed, full=False))

        await step("refresh_100", refresh)
        # The refresh announced state changes: take the notification away now, so its
        # timeout does not fall into (and add a repaint to) a later measurement.
        app.clear_notifications()
        await settle(app)

        # A row whose next row allows a different set of actions: the footer changes.
        items = lst.items
        allowed = [_allowed(r) for r in items[: min(len(items), 5000)]]
        cross = next((i for i in range(len(allowed) - 1) if allowed[i] != allowed[i + 1]), 0)
        same = next((i for i in range(len(allowed) - 1) if allowed[i] == allowed[i + 1]), 0)
        lst.move_cursor(cross)
        await settle(app)
        await step("cursor_down", _press(app, "down"))
        lst.move_cursor(same)
        await settle(app)
        await step("cursor_down_same", _press(app, "down"))
        await step("page_down", _press(app, "pagedown"))

        if hasattr(lst, "group_by"):  # the grouping key (issue 14)
            await step("group_toggle", _press(app, "b"))
            assert lst.group_by is not None, "b did not group the list"
            # The same rows again, as refresh 100 does: 20 change state (back to theirs).
            again = [
                dataclasses.replace(before[r.id] if i < _MOVED else r, revision=r.revision + 1)
                for i, r in enumerate(changed)
            ]

            def refresh_grouped() -> None:
                app.post_message(PassFinished(NOW, PassResult(), again, full=False))

            await step("refresh_100_grouped", refresh_grouped)
            app.clear_notifications()
            await settle(app)
            if lst.cursor_group is not None:  # enter on a group's row opens it
                await step("group_open", _press(app, "enter"))
                await step("group_close", _press(app, "enter"))
            await step("group_toggle_org", _press(app, "b"))
            await step("group_off", _press(app, "b"))
            assert lst.group_by is None, "b did not cycle back to no grouping"
            app.clear_notifications()  # "Grouped by ...": not into a later measurement
            await settle(app)

        assert lst.select_id(heavy_id), "the heavy integration is not shown"
        await settle(app)
        await step("open_detail", _press(app, "enter"))
        screen = app.screen
        assert isinstance(screen, IntegrationScreen), "the drill-down did not open"

        # What the drill-down's workers do: syncs and history, then the shown sync's log.
        t0 = time.perf_counter()
        store.syncs(heavy_id, limit=1000)
        store.history(heavy_id)
        integration_issues(store, heavy_id)
        upstream_info(store, [heavy_id])
        store.logs(heavy_id, sync_id=app.rows[heavy_id].last_sync_id, limit=5000)
        res.add_wall("detail_db", time.perf_counter() - t0)

        app.defer_loads = False
        app.deferred_loads.clear()
        c0 = time.thread_time()
        app.load_detail(heavy_id)
        await _wait_for(app, lambda: screen.loaded)
        await app.workers.wait_for_complete()
        await settle(app)
        res.add_wall("detail_apply", time.thread_time() - c0)
        app.defer_loads = True
        await app.run_action("app.pop_screen")
        await settle(app)

        # Once more, another integration (the row below).
        lst.move_cursor(lst.cursor + 1)
        await settle(app)
        await step("open_detail_again", _press(app, "enter"))
        assert isinstance(app.screen, IntegrationScreen), "the drill-down did not open"
        await app.run_action("app.pop_screen")
        await settle(app)
        if prof is not None:
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(45)
            print(f"\n==== cProfile: per-key steps ====\n{buf.getvalue()}", file=sys.stderr)


async def bench_syncwatch(db: Path, heavy_id: str, repeat: int, profile: bool) -> dict[str, Any]:
    store = Store.open(db)
    res = Results()
    rng = random.Random(SEED)
    first_peak = 0.0
    for run in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        store.integrations()
        kombo_marks(store, None)  # the first pass loads the list's Kombo marks too
        res.add_wall("load_rows_db", time.perf_counter() - t0)

        prof = cProfile.Profile() if profile and run == repeat - 1 else None
        await _syncwatch_run(store, heavy_id, rng, res, prof)
        if run == 0:
            first_peak = _peak_mb()
        progress(
            f"syncwatch run {run + 1}/{repeat}: first paint {res.cpu['first_paint'][-1]:.0f} ms"
        )
    store.close()
    return {
        "figures": res.as_json(),
        "peak_rss_mb": first_peak,
        "peak_rss_mb_all_runs": _peak_mb(),
    }


# --------------------------------------------------------------------------- the baseline


_COLUMNS = (
    "State",
    "Organisation",
    "ID",
    "Tool",
    "Category",
    "Env",
    "Last sync",
    "W/E",
    "In state",
)


def _cells(row: IntegrationRow) -> tuple[str, ...]:
    state = f"{row.state.glyph} {row.state.label}" if row.state else "… evaluating"
    if row.last_sync_state is None:
        last = "none finished"
    else:
        ago = fmt_ago(row.last_sync_ended_at, NOW, compact=True)
        last = f"{SYNC_WORDS[row.last_sync_state][0]:<9} {ago}"
    return (
        state,
        row.organization,
        row.id,
        row.tool,
        row.category,
        "prod" if row.environment == "production" else "dev",
        last,
        f"{row.last_sync_warnings}/{row.last_sync_errors}",
        fmt_ago(row.state_since, NOW, compact=True),
    )


class TableApp(_Encoding, App[None]):
    def compose(self) -> ComposeResult:
        table: DataTable[str] = DataTable(cursor_type="row")
        table.add_columns(*_COLUMNS)
        yield table


async def _datatable_run(
    keys: list[str], cells: list[tuple[str, ...]], rng: random.Random, res: Results
) -> Sample:
    """One run of the baseline: a fresh app; returns the first paint."""
    app = TableApp()
    async with app.run_test(size=SIZE):
        await settle(app)
        table: DataTable[str] = app.query_one(DataTable)
        res.add("settle_overhead", await Sample().measure(app, lambda: None))

        def fill() -> None:
            for key, row in zip(keys, cells, strict=True):
                table.add_row(*row, key=key)

        first = await Sample().measure(app, fill)
        res.add("first_paint", first)
        col = next(iter(table.columns))
        picked = rng.sample(keys, _CHANGED)

        def update() -> None:
            for key in picked:
                table.update_cell(key, col, "⚠ Sync failing")

        res.add("refresh_100", await Sample().measure(app, update))
        res.add("cursor_down", await Sample().measure(app, _press(app, "down")))
        res.add("page_down", await Sample().measure(app, _press(app, "pagedown")))
    return first


async def bench_datatable(db: Path, repeat: int, cap: float) -> dict[str, Any]:
    store = Store.open(db)
    rows = [r for r in store.integrations() if not r.deleted]
    rows.sort(key=lambda r: (-(r.state.severity if r.state else 0), r.organization.casefold()))
    cells = [_cells(r) for r in rows]
    keys = [r.id for r in rows]
    store.close()
    res = Results()
    rng = random.Random(SEED)
    first_peak = 0.0
    for run in range(repeat):
        first = await _datatable_run(keys, cells, rng, res)
        if run == 0:
            first_peak = _peak_mb()
        progress(f"DataTable run {run + 1}/{repeat}: first paint {first.cpu * 1000:.0f} ms")
        if first.wall > cap:
            progress(f"DataTable first paint took over {cap:g} s: not repeated")
            break
    return {
        "figures": res.as_json(),
        "peak_rss_mb": first_peak,
        "peak_rss_mb_all_runs": _peak_mb(),
    }


def _peak_mb() -> float:
    """ru_maxrss of this process in MB (Linux reports kilobytes, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


# --------------------------------------------------------------------------- the parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", default="10000,100000", help="integration counts, comma separated")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--no-baseline", action="store_true", help="skip the DataTable baseline")
    p.add_argument(
        "--baseline-cap", type=float, default=60.0,
        help="do not repeat a DataTable first paint that took longer (seconds)",
    )  # fmt: skip
    p.add_argument("--profile", action="store_true", help="cProfile the per-key steps (stderr)")
    p.add_argument("--syncs-per", type=int, default=2, help="syncs per integration")
    p.add_argument(
        "--baseline-src",
        help="also run the app steps with the syncwatch at this path (an earlier commit's src)",
    )
    p.add_argument("--child", choices=("build", "syncwatch", "datatable"), help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    p.add_argument("--heavy", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def _child(
    args: argparse.Namespace, kind: str, db: Path, heavy: str, n: int = 0, src: str | None = None
) -> dict[str, Any]:
    """Run one part in a fresh process (so its peak memory is its own, not the parent's:
    a child's ru_maxrss starts at its parent's resident size when it was started).
    ``src``: import syncwatch from there (an earlier commit's checkout) instead."""
    cmd = [
        sys.executable, __file__, "--child", kind, "--db", str(db), "--heavy", heavy,
        "--repeat", str(args.repeat), "--baseline-cap", str(args.baseline_cap), "--n", str(n),
        "--syncs-per", str(args.syncs_per),
    ]  # fmt: skip
    if args.profile:
        cmd.append("--profile")
    env = None
    if src is not None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, str(Path(__file__).parent)])}
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, env=env).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    global _SYNCS_PER
    _SYNCS_PER = args.syncs_per
    if args.child:
        # Screens paint only when settle() says so (right after the messages of a step are
        # handled), never on Textual's 1/60 s timer: on a busy machine, with wall time
        # stretched, that timer would fire mid-step and add paints the step does not cause.
        textual.screen.UPDATE_PERIOD = 3600.0  # type: ignore[misc]
        db = Path(args.db)
        if args.child == "build":
            out = build_db(db, args.n)
        elif args.child == "syncwatch":
            out = asyncio.run(bench_syncwatch(db, args.heavy, args.repeat, args.profile))
        else:
            out = asyncio.run(bench_datatable(db, args.repeat, args.baseline_cap))
        json.dump(out, sys.stdout)
        return 0

    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    report: dict[str, Any] = {
        "benchmark": "tui",
        "machine": machine_info(),
        "terminal_size": list(SIZE),
        "repeat": args.repeat,
        "unit": "ms of UI-thread CPU time (time.thread_time), median over repeats",
        "sizes": {},
    }
    with tempfile.TemporaryDirectory(prefix="syncwatch-tui-bench-") as tmp:
        for n in sizes:
            db = Path(tmp) / f"tui-{n}.db"
            progress(f"building {n:,} integrations ...")
            info = _child(args, "build", db, "", n)
            progress(f"built in {info['build_s']} s, evaluated in {info['evaluate_s']} s")
            entry: dict[str, Any] = {"database": info}
            entry["syncwatch"] = _child(args, "syncwatch", db, info["heavy_id"])
            if args.baseline_src:
                src = args.baseline_src
                entry["baseline_commit"] = _child(args, "syncwatch", db, info["heavy_id"], src=src)
                entry["ratio_to_baseline_commit"] = {
                    name: round(fig["median_ms"] / base["median_ms"], 3)
                    for name, fig in entry["syncwatch"]["figures"].items()
                    if (base := entry["baseline_commit"]["figures"].get(name))
                    and "median_ms" in fig
                    and base.get("median_ms")
                }
            if not args.no_baseline:
                entry["datatable"] = _child(args, "datatable", db, info["heavy_id"])
            entry["targets_ms"] = TARGETS_MS.get(n, {}) | PER_KEY_TARGETS_MS
            entry["targets_met"] = _targets_met(entry)
            report["sizes"][str(n)] = entry
    if args.json:
        dump_json(report)
    else:
        _print_report(report)
    return 0


def _targets_met(entry: dict[str, Any]) -> dict[str, bool]:
    figures = entry["syncwatch"]["figures"]
    return {
        name: figures[name]["median_ms"] < limit
        for name, limit in entry["targets_ms"].items()
        if name in figures
    }


def _print_report(report: dict[str, Any]) -> None:
    print(f"syncwatch TUI benchmark: {report['unit']}, {report['repeat']} repeats")
    print(f"terminal {report['terminal_size'][0]}x{report['terminal_size'][1]}, headless")
    for n, entry in report["sizes"].items():
        db = entry["database"]
        print(f"\n{int(n):,} integrations (states: {db['states']})")
        sw = entry["syncwatch"]["figures"]
        dt = entry.get("datatable", {}).get("figures", {})
        rows = []
        for name, label in FIGURES:
            if name not in sw:
                continue
            target = entry["targets_ms"].get(name)
            met = entry["targets_met"].get(name)
            base = dt.get(name)
            if name not in ("first_paint", "refresh_100", "cursor_down", "page_down"):
                base = None
            settled = sw[name].get("settled_median_ms")
            rows.append(
                [
                    label,
                    sw[name]["median_ms"],
                    "-" if settled is None else settled,
                    "-" if target is None else f"< {target:g}",
                    "-" if met is None else ("yes" if met else "NO"),
                    "-" if base is None else base["median_ms"],
                ]
            )
        print_table(["figure", "syncwatch ms", "settled ms", "target", "met", "DataTable ms"], rows)
        sw_all = entry["syncwatch"].get("peak_rss_mb_all_runs")
        mem = "peak memory (ru_maxrss, one run / all runs): syncwatch "
        mem += f"{entry['syncwatch']['peak_rss_mb']} / {sw_all} MB"
        if "datatable" in entry:
            dt_all = entry["datatable"].get("peak_rss_mb_all_runs")
            mem += f", DataTable {entry['datatable']['peak_rss_mb']} / {dt_all} MB"
        print(mem)
        if "datatable" in entry:
            runs = len(dt["first_paint"]["runs_ms"])
            print(f"DataTable: {runs} first-paint runs; its refresh is 100 update_cell calls")


if __name__ == "__main__":
    sys.exit(main())
