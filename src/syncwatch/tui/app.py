"""The syncwatch terminal UI.

The app owns the model (every integration's latest row) and all state changes. Database work
runs in thread workers that never touch widgets: they post a message and a handler here
applies it. The background evaluator is a one-shot timer re-armed when the previous pass has
finished, so passes never overlap.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from syncwatch.actions import Action, perform_many, why_not
from syncwatch.clock import Clock, FixedClock, SimulatedClock
from syncwatch.present import fmt_time
from syncwatch.rows import IntegrationRow, KomboMark
from syncwatch.states import IntegrationState
from syncwatch.store import Store, StoreError
from syncwatch.tui.commands import SyncwatchCommands
from syncwatch.tui.keys import ACTION_KEYS, ACTION_SHORT
from syncwatch.tui.kombo_marks import kombo_marks
from syncwatch.tui.messages import (
    ActionFinished,
    DetailLoaded,
    KomboConnected,
    LogsLoaded,
    PassFinished,
)
from syncwatch.tui.screens.confirm import ConfirmDelete
from syncwatch.tui.screens.detail import IntegrationScreen
from syncwatch.tui.screens.help import HelpScreen
from syncwatch.tui.screens.main import MainScreen
from syncwatch.tui.widgets.integration_list import StateFilter
from syncwatch.tui.widgets.line_list import LineList

if TYPE_CHECKING:
    from syncwatch.demo import DemoEngine
    from syncwatch.kombo.remote import KomboRemote

#: More state changes than this at once make one summary notification.
NOTIFY_ONE_BY_ONE = 3
#: The name the reused drill-down screen is installed under.
_DETAIL_SCREEN = "syncwatch-integration"

_SEVERITY: dict[IntegrationState, str] = {
    IntegrationState.QUALITY_ASSURANCE: "warning",
    IntegrationState.AUTHENTICATION_FAILING: "warning",
    IntegrationState.SYNC_FAILING: "error",
    IntegrationState.CREDENTIALS_INVALID: "error",
}
_SEVERITY_RANK = {"information": 0, "warning": 1, "error": 2}


def notification_severity(state: IntegrationState) -> str:
    """How loudly a change into ``state`` is announced."""
    return _SEVERITY.get(state, "information")


def _action_bindings() -> list[BindingType]:
    bindings: list[BindingType] = []
    for action, key in ACTION_KEYS.items():
        bindings.append(
            Binding(
                key,
                f"op('{action.value}')",
                ACTION_SHORT[action],
                tooltip=action.description,
                id=action.value,
            )
        )
    # Tried only when the action above is disabled: says why instead of doing nothing.
    for action, key in ACTION_KEYS.items():
        bindings.append(Binding(key, f"explain('{action.value}')", "", show=False))
    return bindings


class SyncwatchApp(App[int]):
    """Watch and operate integrations."""

    TITLE = "syncwatch"
    CSS_PATH = "app.tcss"
    COMMANDS: ClassVar = App.COMMANDS | {SyncwatchCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        *_action_bindings(),
        Binding("p", "toggle_pause", "Pause", tooltip="Pause or resume live refresh"),
        Binding("plus", "speed(2.0)", "Faster", tooltip="Demo: run the simulated clock faster"),
        Binding("minus", "speed(0.5)", "Slower", tooltip="Demo: run the simulated clock slower"),
        Binding("g", "refresh_now", "Refresh", tooltip="Run an evaluation pass now"),
        Binding("question_mark", "help", "Help", tooltip="Every key binding"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    #: Seconds after the list is first shown to build the drill-down screen (None: when
    #: first opened).
    PREBUILD_DETAIL_AFTER: ClassVar[float | None] = 0.5

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        interval: float = 5.0,
        read_only: bool = False,
        live: bool = True,
        demo: DemoEngine | None = None,
        env: Mapping[str, str] | None = None,
        kombo_sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__()
        self.store = store
        #: Where the Kombo settings come from (``KOMBO_API_KEY``, ``SYNCWATCH_KOMBO_REMOTE``).
        self.env: Mapping[str, str] = os.environ if env is None else env
        self._kombo_sleep = kombo_sleep
        #: The remote side of the operator actions, when they go to Kombo too.
        self.remote: KomboRemote | None = None
        #: Set once it is known whether actions go to Kombo (the action worker waits for it).
        self._remote_known = threading.Event()
        #: Kombo's side of the integrations that have something to mark (gone, open issues).
        self.kombo: dict[str, KomboMark] = {}
        #: Demo mode: a simulated sync engine advanced before every pass.
        self.demo = demo
        self.clock = clock
        self.interval = interval
        self.read_only = read_only
        self.live = live and interval > 0
        self.paused = False
        #: The latest row of every integration (deleted ones too).
        self.rows: dict[str, IntegrationRow] = {}
        #: How many of ``rows`` are in each state, kept up to date as rows change.
        self.state_counts: Counter[IntegrationState | None] = Counter()
        #: Allowed actions per integration, for the row object they were worked out for.
        self._allowed: dict[str, tuple[IntegrationRow, frozenset[Action]]] = {}
        #: The last targets asked about and the actions allowed for them.
        self._enabled_memo: tuple[list[IntegrationRow], frozenset[Action]] | None = None
        #: The change-feed position: rows with a higher revision have not been seen.
        self.revision: int | None = None
        self.now: datetime = clock.now()
        self.last_pass_at: datetime | None = None
        self.passes = 0
        self._timer: Timer | None = None
        self._pass_running = False
        self._pass_again = False
        self.main = MainScreen()
        self._detail_screen: IntegrationScreen | None = None

    def get_default_screen(self) -> Screen[None]:
        return self.main

    def on_mount(self) -> None:
        self.update_header()
        if self.live and not isinstance(self.clock, FixedClock):
            self.set_interval(1.0, self.update_header)
        self._connect_kombo()
        self.start_pass()

    def on_unmount(self) -> None:
        if self.remote is not None:
            self.remote.close()

    # -- Kombo --------------------------------------------------------------------------

    @work(thread=True, group="kombo", exit_on_error=False)
    def _connect_kombo(self) -> None:
        """Find out whether actions go to Kombo too (the SDK loads off the UI thread)."""
        from syncwatch.kombo.remote import KomboConfigError, remote_from_env

        error: str | None = None
        remote: KomboRemote | None = None
        try:
            remote = remote_from_env(self.env, sleep=self._kombo_sleep)
        except KomboConfigError as err:
            error = str(err)
        finally:
            # Before the message: an action waiting for this goes ahead as decided here.
            self.remote = remote
            self._remote_known.set()
        self.post_message(KomboConnected(remote is not None, error))

    def on_kombo_connected(self, message: KomboConnected) -> None:
        if message.error is not None:
            self.notify(
                f"{message.error}. Actions change syncwatch only, not Kombo.",
                title="Kombo remote actions are off",
                severity="error",
                timeout=15,
                markup=False,
            )
        self.update_header()

    # -- header -------------------------------------------------------------------------

    def update_header(self) -> None:
        now = self.clock.now()
        kind = " (fixed)" if isinstance(self.clock, FixedClock) else ""
        if isinstance(self.clock, SimulatedClock):
            kind = f" (simulated ×{self.clock.speed:g}{', paused' if self.clock.paused else ''})"
        clock = f"{fmt_time(now)}:{now:%S} UTC{kind}"
        if self.last_pass_at is None:
            last = "evaluator: first pass running"
        else:
            last = f"last pass {self.last_pass_at:%H:%M:%S}"
        state = "paused" if self.paused else ("live" if self.live else "manual refresh")
        kombo = " · actions go to Kombo" if self.remote is not None else ""
        self.sub_title = f"{clock} · {state} · {last}{kombo}"

    # -- the background evaluator -------------------------------------------------------

    def start_pass(self) -> None:
        """Run an evaluation pass now (or right after the running one)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._pass_running:
            self._pass_again = True
            return
        self._pass_running = True
        self._evaluate(self.revision)

    def _arm_timer(self) -> None:
        if self.live and not self.paused and self._timer is None:
            self._timer = self.set_timer(self.interval, self._tick)

    def _tick(self) -> None:
        self._timer = None
        if not self.paused:
            self.start_pass()

    @work(thread=True, exclusive=True, group="evaluate", exit_on_error=False)
    def _evaluate(self, since: int | None) -> None:
        now = self.clock.now()
        if self.demo is not None:
            # The engine writes the syncs of the simulated time since the last pass, step by
            # step so short-lived states are not skipped; its steps evaluate as they go.
            self.demo.catch_up(now)  # the demo's own step, the one the CLI uses too
        result = self.store.evaluate_pass(now)
        rows = self.store.integrations(since_revision=since)
        full = since is None
        marks = kombo_marks(self.store, None if full else [r.id for r in rows])
        self.post_message(PassFinished(now, result, rows, full=full, kombo=marks))

    def _pass_done(self) -> None:
        self._pass_running = False
        if self._pass_again:
            self._pass_again = False
            self.start_pass()
        else:
            self._arm_timer()

    def on_pass_finished(self, message: PassFinished) -> None:
        self.now = message.now
        # The clock's time, not the wall's: with --now or in a demo that is the time shown.
        self.last_pass_at = message.now
        self.passes += 1
        self.apply_rows(message.rows, full=message.full, kombo=message.kombo)
        self.update_header()
        if message.full and self.PREBUILD_DETAIL_AFTER is not None:
            self.set_timer(self.PREBUILD_DETAIL_AFTER, self.prebuild_detail)

    def apply_rows(
        self,
        rows: list[IntegrationRow],
        *,
        full: bool = False,
        quiet: Iterable[str] = (),
        kombo: Mapping[str, KomboMark] | None = None,
    ) -> None:
        """Take changed rows (and their Kombo marks) into the model and the screens;
        announce state changes."""
        if kombo is not None:
            if full:
                self.kombo.clear()  # in place: the list holds this dict
            for iid, mark in kombo.items():
                if mark.empty:
                    self.kombo.pop(iid, None)
                else:
                    self.kombo[iid] = mark
        quiet_ids = set(quiet)
        changes: list[tuple[IntegrationRow, IntegrationRow]] = []
        fresh: list[IntegrationRow] = []
        counts = self.state_counts
        todo = rows
        if full and not self.rows:  # the first load: nothing to compare with (ids are unique)
            self.rows = {row.id: row for row in rows}
            fresh = list(self.rows.values())
            counts.update(row.state for row in fresh)
            todo = []
        for row in todo:
            old = self.rows.get(row.id)
            if old is not None and old.revision > row.revision:
                continue
            self.rows[row.id] = row
            fresh.append(row)
            if old is not None:
                counts[old.state] -= 1
            counts[row.state] += 1
            if (
                not full
                and old is not None
                and old.state != row.state
                and row.id not in quiet_ids
                and row.state is not None
            ):
                changes.append((old, row))
        if rows:
            top = max(r.revision for r in rows)
            self.revision = max(self.revision or 0, top)
        elif self.revision is None:
            self.revision = 0
        self.main.apply_rows(fresh, full=full)
        ids = {r.id for r in fresh}
        for screen in self.screen_stack:
            if isinstance(screen, IntegrationScreen) and screen.integration_id in ids:
                screen.row_changed()
        self.announce(changes)

    def announce(self, changes: list[tuple[IntegrationRow, IntegrationRow]]) -> None:
        """One notification per state change, or one summary when many change at once."""
        if not changes:
            return
        if len(changes) <= NOTIFY_ONE_BY_ONE:
            for old, new in changes:
                assert new.state is not None
                before = f"{old.state.glyph} {old.state.label}" if old.state else "(new)"
                self.notify(
                    f"{new.organization} ({new.id}): {before} → "
                    f"{new.state.glyph} {new.state.label}\n{new.state_reason or ''}".rstrip(),
                    title="State changed",
                    severity=notification_severity(new.state),  # type: ignore[arg-type]
                    markup=False,
                )
            return
        into = Counter(new.state for _old, new in changes if new.state is not None)
        worst = max((notification_severity(s) for s in into), key=lambda s: _SEVERITY_RANK[s])
        parts = ", ".join(
            f"{n} → {s.glyph} {s.label}"
            for s, n in sorted(into.items(), key=lambda kv: -kv[0].severity)
        )
        self.notify(
            f"{len(changes)} integrations changed state: {parts}",
            title="State changes",
            severity=worst,  # type: ignore[arg-type]
            markup=False,
        )

    # -- worker errors, in one place ----------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is WorkerState.ERROR:
            error = worker.error
            text = (
                str(error) if isinstance(error, StoreError) else f"{type(error).__name__}: {error}"
            )
            if worker.group == "evaluate":
                retry = (
                    f" Retrying in {self.interval:g} s." if self.live and not self.paused else ""
                )
                self.notify(
                    f"{text}.{retry}",
                    title="Evaluation pass failed",
                    severity="error",
                    markup=False,
                )
            elif worker.group == "action":
                self.notify(
                    f"{text}. Nothing was changed.",
                    title="Action failed",
                    severity="error",
                    markup=False,
                )
            else:
                self.notify(text, title="Could not load", severity="error", markup=False)
        if worker.group == "evaluate" and event.state in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            self._pass_done()

    # -- operator actions ---------------------------------------------------------------

    def action_targets(self) -> list[IntegrationRow]:
        """What an action applies to, according to the topmost screen that knows."""
        for screen in reversed(self.screen_stack):
            targets = getattr(screen, "action_targets", None)
            if callable(targets):
                found: list[IntegrationRow] = targets()
                return found
        return []

    def action_problem(self, action: Action) -> str | None:
        """Why ``action`` cannot run now (read-only, nothing selected, or refused), or None.

        The one place that decides whether a mutating action is enabled.
        """
        if self.read_only:
            return (
                f"syncwatch is read-only (--read-only): {action.label} and every other "
                "action are disabled."
            )
        targets = self.action_targets()
        if not targets:
            return "No integration is highlighted."
        problems = [why_not(action, row) for row in targets]
        if all(p is not None for p in problems):
            if len(targets) == 1:
                return problems[0]
            return (
                f"{action.label} is not allowed for any of the {len(targets)} marked "
                f"integrations; for example: {problems[0]}"
            )
        return None

    def allowed_actions(self, row: IntegrationRow) -> frozenset[Action]:
        """The actions :func:`why_not` allows for ``row`` (worked out once per row object)."""
        cached = self._allowed.get(row.id)
        if cached is not None and cached[0] is row:
            return cached[1]
        allowed = frozenset(a for a in Action if why_not(a, row) is None)
        if len(self._allowed) > 10_000:
            self._allowed.clear()
        self._allowed[row.id] = (row, allowed)
        return allowed

    def enabled_actions(self) -> frozenset[Action]:
        """The actions enabled now: allowed for at least one target, and not read-only.

        Agrees with :meth:`action_problem` (enabled exactly when it finds no problem), but is
        cheap enough to ask for every binding each time the footer is brought up to date.
        """
        if self.read_only:
            return frozenset()
        targets = self.action_targets()
        memo = self._enabled_memo
        if (
            memo is not None
            and len(memo[0]) == len(targets)
            and all(a is b for a, b in zip(memo[0], targets, strict=True))
        ):
            return memo[1]
        enabled: frozenset[Action] = frozenset().union(*(self.allowed_actions(r) for r in targets))
        self._enabled_memo = (targets, enabled)
        return enabled

    def action_speed(self, factor: float) -> None:
        """Demo: change the simulated clock's speed."""
        if isinstance(self.clock, SimulatedClock):
            self.clock.set_speed(min(max(self.clock.speed * factor, 60.0), 86400.0))
            self.update_header()
            self.notify(f"Simulated clock: ×{self.clock.speed:g}", timeout=2)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "speed":
            return isinstance(self.clock, SimulatedClock)
        if action == "op" and parameters:
            return True if Action(str(parameters[0])) in self.enabled_actions() else None
        return True

    def action_explain(self, name: str) -> None:
        action = Action(name)
        problem = self.action_problem(action)
        if problem is not None:
            self.notify(
                problem, title=f"{action.label}: not allowed", severity="warning", markup=False
            )

    def action_op(self, name: str) -> None:
        """Run an operator action on the target integration(s), after a check."""
        action = Action(name)
        problem = self.action_problem(action)
        if problem is not None:
            self.action_explain(name)
            return
        targets = self.action_targets()
        ids = [r.id for r in targets]
        if action is Action.DELETE:
            allowed = [r for r in targets if why_not(action, r) is None]

            def confirmed(ok: bool | None) -> None:
                if ok:
                    self.perform(action, ids)
                else:
                    self.notify("Delete cancelled; nothing changed.", timeout=3)

            self.push_screen(ConfirmDelete(allowed, len(targets) - len(allowed)), confirmed)
            return
        self.perform(action, ids)

    def perform(self, action: Action, ids: list[str]) -> None:
        """Apply ``action`` in a worker; when it goes to Kombo first, say so meanwhile (the
        call can take seconds, retries included)."""
        if self.remote is not None:
            from syncwatch.kombo.remote import REMOTE_ACTIONS

            if action in REMOTE_ACTIONS:
                what = f"{len(ids)} integrations" if len(ids) > 1 else ids[0]
                self.notify(
                    f"Asking Kombo to {action.label.lower()} {what} first ...",
                    title=action.label,
                    timeout=3,
                    markup=False,
                )
        self._perform(action, ids, self.revision)

    @work(thread=True, group="action", exit_on_error=False)
    def _perform(self, action: Action, ids: list[str], since: int | None) -> None:
        # Kombo first, when actions go there too (network I/O: on this worker thread).
        self._remote_known.wait()
        now = self.clock.now()
        results, refusals, unknown = perform_many(self.store, action, ids, now, remote=self.remote)
        rows = self.store.integrations(since_revision=since)
        marks = kombo_marks(self.store, [r.id for r in rows])
        self.post_message(
            ActionFinished(action, results, refusals, unknown, rows, now, kombo=marks)
        )

    def on_action_finished(self, message: ActionFinished) -> None:
        done = [r.integration_id for r in message.results]
        if message.now is not None and message.now > self.now:
            # Relative times ("updated 2 min ago") are worked out from the action's time.
            self.now = message.now
        self.apply_rows(message.rows, full=False, quiet=done, kombo=message.kombo)
        if len(message.results) == 1:
            r = message.results[0]
            row = self.rows.get(r.integration_id)
            name = f"{row.organization} ({r.integration_id})" if row else r.integration_id
            self.notify(
                f"{name} is now {r.state_after.glyph} {r.state_after.label}.\n{r.reason}",
                title=f"{message.action.label}: done",
                markup=False,
            )
        elif message.results:
            into = Counter(r.state_after for r in message.results)
            parts = ", ".join(f"{n} {s.glyph} {s.label}" for s, n in into.items())
            self.notify(
                f"Applied to {len(message.results)} integrations; now {parts}.",
                title=f"{message.action.label}: done",
                markup=False,
            )
        problems = [f"{r.message}" for r in message.refusals]
        problems += [f"no integration with id {i!r}" for i in message.unknown]
        if problems:
            shown = "\n".join(f"• {p}" for p in problems[:5])
            more = f"\n… and {len(problems) - 5} more" if len(problems) > 5 else ""
            self.notify(
                shown + more,
                title=f"{message.action.label}: {len(problems)} refused",
                severity="warning",
                markup=False,
            )
        if len(message.results) + len(problems) > 1 or self.main.integration_list.marks:
            self.main.clear_marks()
        self.refresh_bindings()

    # -- drill-down loading -------------------------------------------------------------

    def open_integration(self, integration_id: str) -> None:
        """Push the drill-down. The screen is built once (ahead of time, see
        :meth:`prebuild_detail`) and kept installed, so opening it is quick."""
        screen = self._detail_screen
        if screen is None or screen in self.screen_stack:
            screen = IntegrationScreen(integration_id)
            if self._detail_screen is None:
                self.install_screen(screen, _DETAIL_SCREEN)
                self._detail_screen = screen
        else:
            screen.show_integration(integration_id)
        self.push_screen(screen)

    def prebuild_detail(self) -> None:
        """Build the drill-down screen now, off screen (composing it takes a while, so the
        first open would otherwise be slow). Called once the list is first shown."""
        if self._detail_screen is not None:
            return
        start = getattr(self, "_get_screen", None)  # Textual's, starts an installed screen
        if start is None:
            return
        screen = IntegrationScreen()
        self.install_screen(screen, _DETAIL_SCREEN)
        self._detail_screen = screen
        start(screen)
        # Queued behind Textual's wait for the screen's widgets to mount (which asks for a
        # layout when done): laid out after that, the first showing needs no layout pass.
        self.call_next(screen.layout_off_screen)

    def load_detail(self, integration_id: str) -> None:
        self._load_detail(integration_id)

    @work(thread=True, group="detail", exit_on_error=False)
    def _load_detail(self, integration_id: str) -> None:
        from syncwatch.kombo.apply import integration_issues
        from syncwatch.kombo.pull import upstream_info

        syncs = self.store.syncs(integration_id, limit=1000)
        history = self.store.history(integration_id)
        issues = integration_issues(self.store, integration_id)
        upstream = upstream_info(self.store, [integration_id])[integration_id]
        self.post_message(DetailLoaded(integration_id, syncs, history, issues, upstream))

    def load_logs(self, integration_id: str, sync_id: str) -> None:
        self._load_logs(integration_id, sync_id)

    @work(thread=True, group="logs", exit_on_error=False)
    def _load_logs(self, integration_id: str, sync_id: str) -> None:
        logs = self.store.logs(integration_id, sync_id=sync_id, limit=5000)
        self.post_message(LogsLoaded(integration_id, sync_id, logs))

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, IntegrationScreen) and screen.integration_id == (
                message.integration_id
            ):
                screen.show_detail(message)

    def on_logs_loaded(self, message: LogsLoaded) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, IntegrationScreen) and screen.integration_id == (
                message.integration_id
            ):
                screen.show_logs(message)

    # -- other keys ---------------------------------------------------------------------

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused
        simulated = isinstance(self.clock, SimulatedClock)
        if self.paused:
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
            if isinstance(self.clock, SimulatedClock):
                self.clock.pause()  # a demo's time stands still too
            what = "Demo paused" if simulated else "Live refresh paused"
            self.notify(f"{what} (p resumes).", timeout=3)
        else:
            if isinstance(self.clock, SimulatedClock):
                self.clock.resume()
            self.notify("Demo resumed." if simulated else "Live refresh resumed.", timeout=3)
            self.start_pass()
        self.update_header()
        self.main.refresh_chrome()

    def action_refresh_now(self) -> None:
        """Run an evaluation pass now. Tests: then ``await app.workers.wait_for_complete()``."""
        self.start_pass()

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.help_sections(), HELP_NOTES))

    def help_sections(self) -> list[tuple[str, list[Binding]]]:
        def bindings(items: Iterable[BindingType]) -> list[Binding]:
            return [b for b in items if isinstance(b, Binding)]

        return [
            ("The list", bindings(MainScreen.BINDINGS) + bindings(LineList.BINDINGS)),
            (
                "Operator actions (on the marked rows, or the highlighted one)",
                bindings(_action_bindings()),
            ),
            ("Drill-down", bindings(IntegrationScreen.BINDINGS)),
            (
                "Anywhere",
                [
                    *bindings(self.BINDINGS[len(ACTION_KEYS) * 2 :]),
                    Binding("ctrl+p", "command_palette", "Command palette"),
                ],
            ),
        ]

    # -- used by the command palette ----------------------------------------------------

    def set_state_filter(self, mode: StateFilter) -> None:
        self.main.set_view(mode)

    def toggle_deleted(self) -> None:
        self.main.action_toggle_deleted()

    def sort_by(self, key: str) -> None:
        self.main.sort_by(key)

    def open_filter(self) -> None:
        if self.screen is self.main:
            self.main.action_filter()


HELP_NOTES = (
    "Greyed-out actions are not allowed for the highlighted integration; pressing one says why.\n"
    "State sort puts the worst first. Marks (space) make actions apply to every marked row.\n"
    "Beside an organisation: gone = Kombo answered 404 (deleted there?); ⚑2 = 2 open Kombo "
    "issues.\n"
    "With KOMBO_API_KEY and SYNCWATCH_KOMBO_REMOTE=1, reactivate, deactivate and delete go to "
    "Kombo first.\n"
    "Times are UTC. The list refreshes from the database every interval; p pauses it."
)


def run_app(
    store: Store,
    clock: Clock,
    *,
    interval: float = 5.0,
    read_only: bool = False,
    demo: DemoEngine | None = None,
) -> int:
    """Open the terminal UI; returns the exit code."""
    SyncwatchApp(store, clock, interval=interval, read_only=read_only, demo=demo).run()
    return 0
