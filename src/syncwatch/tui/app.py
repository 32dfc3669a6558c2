"""The syncwatch terminal UI.

The app composes the screens and routes messages; the work is elsewhere:

- :mod:`.model` holds what the UI knows (every integration's latest row, counts, Kombo's
  marks); the app feeds it what the workers loaded and pushes the changes down to the
  screens, which read the model and never change it;
- :mod:`.gateway` holds the bodies of the thread workers (the only TUI module that touches
  the database or Kombo); each ends by posting a typed message (:mod:`.messages`) that a
  handler here applies;
- :mod:`.scheduler` runs evaluation passes one at a time (a one-shot timer re-armed when the
  previous pass has finished);
- :mod:`.gate` decides which operator actions the keys may run, and why not;
- :mod:`.notices` words what the app tells the operator; :mod:`.keys` is every key binding;
- :mod:`.fleet_requests` opens and feeds the fleet's screens (errors, as of, the feed);
- :mod:`.attention_signals` raises the title, bell, unseen marks and notifications of state
  changes, as :mod:`.attention` decides.
- :mod:`.remembered` reads and writes the operator's preferences (theme, view, sort, ...).

Screens send requests up as messages and never import this module.

Started with a :class:`~syncwatch.tui.preload.Preload` (the first screenful read with the
standard library's ``sqlite3``), the app draws real rows before anything heavy is imported:
this module imports neither the store nor the Kombo client, and the workers (which do) start
in :meth:`SyncwatchApp.begin`, once the first screen is drawn.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Container, Mapping
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import BindingType
from textual.reactive import Reactive, var
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from syncwatch.actions import Action
from syncwatch.clock import Clock, FixedClock, SimulatedClock
from syncwatch.present import safe_text
from syncwatch.rows import IntegrationRow
from syncwatch.tui import browser, collector, notices
from syncwatch.tui.attention import Attention
from syncwatch.tui.attention_actions import AttentionRequests
from syncwatch.tui.attention_signals import AttentionSignals
from syncwatch.tui.commands import SyncwatchCommands
from syncwatch.tui.demo_story import StoryTeller
from syncwatch.tui.fleet_messages import OutagesFound
from syncwatch.tui.fleet_requests import FleetRequests
from syncwatch.tui.gate import ActionGate
from syncwatch.tui.gateway import Gateway, StoreOpener
from syncwatch.tui.keys import APP_KEYS, HELP_NOTES, HELP_SECTIONS, bindings
from syncwatch.tui.kombo_actions import KomboRequests
from syncwatch.tui.messages import (
    ActionFinished,
    DetailLoaded,
    DetailWanted,
    KomboConnected,
    LogsLoaded,
    LogsWanted,
    OpenIntegration,
    PassFinished,
    RowsLoaded,
)
from syncwatch.tui.model import Changes, Model
from syncwatch.tui.notices import Notice
from syncwatch.tui.preload import BATCHES, Preload
from syncwatch.tui.remembered import RememberedPreferences
from syncwatch.tui.scheduler import PassScheduler
from syncwatch.tui.screens.as_of import AsOfScreen
from syncwatch.tui.screens.confirm import ConfirmQuit, confirmation
from syncwatch.tui.screens.detail import IntegrationScreen
from syncwatch.tui.screens.help import HelpScreen
from syncwatch.tui.screens.main import MainScreen
from syncwatch.tui.terminal_title import TerminalTitle

if TYPE_CHECKING:
    from syncwatch.demo import DemoEngine
    from syncwatch.outages import Outage
    from syncwatch.tui.gateway import Store

#: The name the reused drill-down screen is installed under.
DETAIL_SCREEN = "syncwatch-integration"


class SyncwatchApp(
    RememberedPreferences,
    AttentionSignals,
    AttentionRequests,
    KomboRequests,
    FleetRequests,
    App[int],
):
    """Watch and operate integrations."""

    TITLE = "syncwatch"
    CSS_PATH = "app.tcss"
    COMMANDS: ClassVar = App.COMMANDS | {SyncwatchCommands}
    BINDINGS: ClassVar[list[BindingType]] = bindings(APP_KEYS)

    #: Seconds after the list is first shown to build the drill-down screen (None: when
    #: first opened).
    PREBUILD_DETAIL_AFTER: ClassVar[float | None] = 0.5

    #: Live refresh (and a demo's clock) paused.
    paused: var[bool] = var(False, init=False)
    #: The header's line (clock, last pass, outages): set every second. Textual's own
    #: ``App.sub_title`` repaints the whole screen when it changes; the headers watch it and
    #: repaint themselves, so nothing else needs to be drawn again (a full repaint a second
    #: was 80 KB/s of terminal output, over SSH too, with nothing else changing).
    sub_title: Reactive[str] = Reactive("", compute=False, repaint=False)

    def __init__(
        self,
        store: Store | StoreOpener,
        clock: Clock,
        *,
        interval: float = 5.0,
        read_only: bool = False,
        live: bool = True,
        demo: DemoEngine | None = None,
        env: Mapping[str, str] | None = None,
        kombo_sleep: Callable[[float], None] = time.sleep,
        preload: Preload | None = None,
        actor: str | None = None,
        bell: bool = False,
        preferences_path: Path | None = None,
        theme: str | None = None,
    ) -> None:
        """``store``: the store, or what opens it (on a worker thread, after the first
        paint). ``preload``: rows to show before the first pass (see :mod:`.preload`).
        ``actor``: who the operator actions are recorded as (``--operator``; None: from
        ``SYNCWATCH_OPERATOR`` or the login name, at each action). ``bell``: ring the
        terminal's bell when an integration gets worse (``--bell``, else the remembered
        preference; see :attr:`attention`). ``preferences_path`` and ``theme``: see
        :meth:`~.remembered.RememberedPreferences.load_preferences`."""
        # Read by get_driver_class, which super().__init__ calls.
        self.terminal_title = TerminalTitle()
        super().__init__()
        self.attention = Attention(bell=bell)
        # Acknowledged and no worse, or snoozed: no notification, mark or bell
        # (syncwatch.attention.silenced, with the marks the last pass read).
        self.attention.silences.append(lambda change, _now: self.model.silenced(change))
        self.clock = clock
        #: Demo mode: a simulated sync engine advanced before every pass, and its story.
        self.demo, self.story = demo, StoryTeller.of(demo)
        self.model = Model(clock.now())
        self.preload = preload
        if preload is not None:
            self.model.preload(
                preload.rows, total=preload.total, revision=preload.revision, marks=preload.marks
            )
            self.model.take_recent(preload.recent)
        self.gate = ActionGate(read_only=read_only)
        #: Why the last pass stored nothing, as told to the user (None: it was stored).
        self.not_stored_told: str | None = None
        self.gateway: Gateway = Gateway(
            store,
            clock,
            self.post_message,
            env=os.environ if env is None else env,
            kombo_sleep=kombo_sleep,
            demo=demo,
            actor=actor,
        )
        # The app's set_timer as it is when a timer is armed (looked up then, not now).
        self.scheduler = PassScheduler(
            self._start_pass,
            lambda delay, callback: self.set_timer(delay, callback),
            interval=interval,
            live=live,
        )
        live, remembers = self.scheduler.live, self.load_preferences(preferences_path, theme)
        self.main = MainScreen(
            self.model, self.gate, live=live, interval=interval, remembered=remembers
        )
        # --bell for this run, else the bell as last toggled (B).
        self.attention.bell = bell or self.preferences.bell
        self._detail_screen: IntegrationScreen | None = None
        #: The tools' outages as of the last pass (:mod:`syncwatch.outages`).
        self.outages: list[Outage] = []

    @property
    def rows(self) -> dict[str, IntegrationRow]:
        """The latest row of every integration (the model's)."""
        return self.model.rows

    @property
    def last_pass_at(self) -> datetime | None:
        """When the last evaluation pass ran (the clock's time)."""
        return self.model.last_pass_at

    @last_pass_at.setter
    def last_pass_at(self, at: datetime | None) -> None:
        self.model.last_pass_at = at

    def get_default_screen(self) -> Screen[None]:
        return self.main.data_bind(SyncwatchApp.paused)

    def on_mount(self) -> None:
        browser.adapt(self, self.gate)
        self.remember_from_now_on()
        self.update_header()
        self.update_title()
        if self.scheduler.live and not isinstance(self.clock, FixedClock):
            self.set_interval(1.0, self.update_header)
        if self.preload is None:
            self.begin()
        else:
            # The preloaded rows first: no worker (nor what it imports) before they are drawn.
            self.call_after_refresh(self.begin)

    def begin(self) -> None:
        """Start the background work: the Kombo connection, the first evaluation pass (which
        opens the store) and, after a preload, the rest of the rows."""
        self.work("kombo", self.gateway.connect_kombo)
        preload, self.preload = self.preload, None
        if preload is not None:
            if self.model.expected is None:  # every row is on screen already
                self.gateway.keep_reader(preload.reader)  # for passes with nothing to do
            else:
                # The first pass waits for the rest of the rows: run together, the two
                # share one interpreter lock, and every row on screen came a few seconds
                # later at 100,000 (docs/performance.md). The stored rows are the last
                # pass's; what the next pass changes arrives as an ordinary refresh.
                collector.hold()
                self.work("load", partial(self.gateway.load_rest, preload.reader, BATCHES))
                return
        self.scheduler.run_now()

    def on_unmount(self) -> None:
        if self.preload is not None:  # closed before the background work began
            self.preload.reader.close()
        collector.thaw()
        self.gateway.close()

    def tell(self, notice: Notice) -> None:
        """Show a notification: plain text, never read as markup, and safe (a refusal's
        words name an organisation; the notice's own line breaks are kept)."""
        self.notify(
            safe_text(notice.message, multiline=True),
            title=safe_text(notice.title),
            severity=notice.severity,
            timeout=notice.timeout,
            markup=False,
        )

    def update_header(self) -> None:
        self.sub_title = notices.sub_title(
            self.clock,
            self.model.last_pass_at,
            paused=self.paused,
            live=self.scheduler.live,
            remote=self.gateway.remote is not None,
            outages=[o.tool for o in self.outages],
        )

    def on_kombo_connected(self, message: KomboConnected) -> None:
        if message.error is not None:
            self.tell(notices.kombo_off(message.error))
        self.update_header()

    # -- the background evaluator -------------------------------------------------------

    def _start_pass(self) -> None:
        work = partial(self.gateway.run_pass, self.model.revision)
        self.work("evaluate", work, exclusive=True)

    def on_rows_loaded(self, message: RowsLoaded) -> None:
        self.model.take_recent(message.recent)
        self.show_changes(self.model.rows_loaded(message.rows, done=message.done))
        if message.done:
            collector.release()
        if message.done and self.model.passes == 0:
            self.scheduler.run_now()  # the first pass, held back for the rows (begin)

    def on_pass_finished(self, message: PassFinished) -> None:
        first = self.model.passes == 0
        self.model.pass_finished(message.now)
        why = message.result.not_stored
        if why is not None and why != self.not_stored_told:
            self.tell(notices.nothing_stored(why))  # once, not at every pass
        self.not_stored_told = why
        self.model.take_recent(message.recent, full=message.full)
        # Before the rows: their transitions are judged by the acknowledgements of now.
        self.attention_shown(self.model.take_attention(message.attention))
        for caption in self.story.due(message.now):  # a demo's events, before what they did
            self.tell(caption)
        self.show_changes(self.model.apply(message.rows, full=message.full, marks=message.kombo))
        self.update_header()
        if first and self.PREBUILD_DETAIL_AFTER is not None:
            self.set_timer(self.PREBUILD_DETAIL_AFTER, self.prebuild_detail)

    def show_changes(self, changes: Changes) -> None:
        """Push what changed in the model down to the screens; signal the state changes
        worth attention (unseen marks first, so the list draws them)."""
        folded = {i for o in self.outages for i in o.integration_ids}
        self.signal_transitions(changes.transitions, folded)
        self.main.show_changes(changes)
        for screen in self.drill_downs(changes.ids):
            screen.row_changed()
        if changes:
            for feed in self.feeds():
                feed.reload()

    def attention_shown(self, ids: frozenset[str]) -> None:
        """Acknowledgements or snoozes of ``ids`` changed: repaint where they show."""
        if not ids:
            return
        self.main.integration_list.refresh()
        self.main.refresh_chrome()
        for screen in self.drill_downs(ids):
            screen.show_facts()

    # -- the fleet: outages, errors by signature ------------------------------------------

    def on_outages_found(self, message: OutagesFound) -> None:
        """One notice when a tool's outage starts (its integrations' changes are then not
        told one by one) and when it clears; the banner and the header say so meanwhile."""
        before = {o.tool for o in self.outages}
        now_down = {o.tool for o in message.outages}
        for outage in message.outages:
            if outage.tool not in before:
                self.tell(notices.outage_started(outage, message.now))
        for tool in sorted(before - now_down):
            self.tell(notices.outage_cleared(tool))
        self.outages = message.outages
        self.main.show_outages(message.outages, message.now)
        self.update_header()
        if self.errors_open():
            self.work("errors", self.gateway.load_signatures)

    # -- workers, and their errors in one place -----------------------------------------

    def work(self, group: str, body: Callable[[], None], *, exclusive: bool = False) -> None:
        """Run ``body`` (a gateway method: it posts its result) on a worker thread."""
        self.run_worker(
            body, name=group, group=group, thread=True, exclusive=exclusive, exit_on_error=False
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is WorkerState.ERROR:
            text = Gateway.error_text(worker.error)
            if worker.group == "evaluate":
                self.tell(notices.pass_failed(text, self.scheduler.retry_in))
            elif worker.group == "action":
                self.tell(notices.action_failed(text))
            else:
                self.tell(notices.load_failed(text))
        failed = event.state in (WorkerState.ERROR, WorkerState.CANCELLED)
        if worker.group == "load" and failed:
            collector.release()
            if self.model.passes == 0:
                self.scheduler.run_now()  # no rows to wait for: the first pass goes ahead
        if worker.group == "evaluate" and event.state in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            self.scheduler.finished()

    # -- operator actions ---------------------------------------------------------------

    def action_targets(self) -> list[IntegrationRow]:
        """What an action applies to, according to the topmost screen that knows."""
        for screen in reversed(self.screen_stack):
            if isinstance(screen, MainScreen | IntegrationScreen):
                return screen.action_targets()
        return []

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "speed":
            return isinstance(self.clock, SimulatedClock)
        if action == "op" and parameters:
            enabled = self.gate.enabled(self.action_targets())
            return True if Action(str(parameters[0])) in enabled else None
        return True

    def action_explain(self, name: str) -> None:
        action = Action(name)
        problem = self.gate.problem(action, self.action_targets())
        if problem is not None:
            self.tell(notices.action_refused(action, problem))

    def action_op(self, name: str) -> None:
        """Run an operator action on the target integration(s), after a check."""
        action = Action(name)
        if isinstance(self.screen, AsOfScreen):
            self.screen.action_refuse(name)  # the palette too: the past is read-only
            return
        targets = self.action_targets()
        if self.gate.problem(action, targets) is not None:
            self.action_explain(name)
            return
        ids = [r.id for r in targets]
        # Delete, and credentials that are not what fails, ask first (confirm.py says why).
        dialog = confirmation(action, targets, self.gate.allowed_targets(action, targets))
        if dialog is None:
            self.perform(action, ids)
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.perform(action, ids)
            else:
                self.tell(notices.action_cancelled(action))

        self.push_screen(dialog, confirmed)

    def perform(self, action: Action, ids: list[str]) -> None:
        """Apply ``action`` in a worker; when it goes to Kombo first, say so meanwhile."""
        if self.gateway.goes_to_kombo(action):
            self.tell(notices.asking_kombo(action, ids))
        self.work("action", partial(self.gateway.perform, action, ids, self.model.revision))

    def on_action_finished(self, message: ActionFinished) -> None:
        self.model.action_applied(message.now)
        done = [r.integration_id for r in message.results]
        self.model.take_recent(message.recent)
        changes = self.model.apply(message.rows, marks=message.kombo, quiet=done)
        self.show_changes(changes)
        told = notices.action_done(
            message.action, message.results, message.refusals, message.unknown, self.model.rows
        )
        for notice in told:
            self.tell(notice)
        refused = len(message.refusals) + len(message.unknown)
        self.main.after_action(bulk=len(message.results) + refused > 1)
        self.refresh_bindings()

    # -- the drill-down -----------------------------------------------------------------

    def on_open_integration(self, message: OpenIntegration) -> None:
        self.open_integration(message.integration_id)

    def open_integration(self, integration_id: str) -> None:
        """Push the drill-down. The screen is built once (ahead of time, see
        :meth:`prebuild_detail`) and kept installed, so opening it is quick."""
        screen = self._detail_screen
        if screen is None or screen in self.screen_stack:
            screen = IntegrationScreen(self.model, integration_id)
            if self._detail_screen is None:
                self.install_screen(screen, DETAIL_SCREEN)
                self._detail_screen = screen
        else:
            screen.show_integration(integration_id)
        self.looked_at(integration_id)
        # Back from it, what it showed (it may have changed meanwhile) has been seen.
        self.push_screen(screen, lambda _result: self.looked_at(screen.integration_id))

    def prebuild_detail(self) -> None:
        """Build the drill-down screen ahead of time, while the list is shown and idle.

        Composing the screen is most of what its first opening would cost (built when first
        opened, that opening measured 78 ms at 10,000 integrations, median of 5; built ahead,
        24). It is pushed and popped at once (Textual's public screen stack, inside one batch
        update: never painted, the operator never sees it), which composes it and lays it
        out for the terminal's size off screen; installed, it stays built. See
        :mod:`syncwatch.tui.screens.detail` for what the first opening still does.
        """
        if self._detail_screen is not None:
            return
        stack = self.screen_stack
        if not stack or stack[-1] is not self.main:
            # A dialog or the help is open: not now (pushing would move its focus). No
            # screen at all: the app is closing.
            if stack and self.PREBUILD_DETAIL_AFTER is not None:
                self.set_timer(self.PREBUILD_DETAIL_AFTER, self.prebuild_detail)
            return
        screen = IntegrationScreen(self.model)
        self.install_screen(screen, DETAIL_SCREEN)
        self._detail_screen = screen
        with self.batch_update():
            self.push_screen(screen)
            self.pop_screen()
        # Once it has settled, hidden: its widgets' lines are then ready for the first paint.
        screen.call_after_refresh(screen.render_ahead)

    def on_detail_wanted(self, message: DetailWanted) -> None:
        self.load_detail(message.integration_id)

    def on_logs_wanted(self, message: LogsWanted) -> None:
        self.load_logs(message.integration_id, message.sync_id)

    def load_detail(self, integration_id: str) -> None:
        """Load an integration's syncs, history and Kombo issues (a worker)."""
        self.work("detail", partial(self.gateway.load_detail, integration_id))

    def load_logs(self, integration_id: str, sync_id: str) -> None:
        """Load a sync's log (a worker)."""
        self.work("logs", partial(self.gateway.load_logs, integration_id, sync_id))

    def drill_downs(self, integration_ids: Container[str]) -> list[IntegrationScreen]:
        """The open drill-downs showing one of ``integration_ids``."""
        return [
            screen
            for screen in self.screen_stack
            if isinstance(screen, IntegrationScreen) and screen.integration_id in integration_ids
        ]

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        for screen in self.drill_downs({message.integration_id}):
            screen.show_detail(message)

    def on_logs_loaded(self, message: LogsLoaded) -> None:
        for screen in self.drill_downs({message.integration_id}):
            screen.show_logs(message)

    # -- other keys ---------------------------------------------------------------------

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused

    def watch_paused(self, paused: bool) -> None:
        if paused:
            self.scheduler.pause()
            if isinstance(self.clock, SimulatedClock):
                self.clock.pause()  # a demo's time stands still too
            self.tell(notices.paused(self.clock))
        else:
            if isinstance(self.clock, SimulatedClock):
                self.clock.resume()
            self.tell(notices.resumed(self.clock))
            self.scheduler.resume()
        self.update_header()

    def action_refresh_now(self) -> None:
        """Run an evaluation pass now. Tests: then ``await app.workers.wait_for_complete()``."""
        self.scheduler.run_now()

    def action_speed(self, factor: float) -> None:
        """Demo: the simulated clock's next round speed up (``factor`` above 1) or down
        (:data:`~syncwatch.demo.SPEED_LADDER`)."""
        if isinstance(self.clock, SimulatedClock):
            from syncwatch.demo import next_speed

            self.clock.set_speed(next_speed(self.clock.speed, faster=factor > 1))
            self.update_header()
            self.tell(notices.clock_speed(self.clock.speed))

    def in_flight(self) -> int:
        """How many operator actions and Kombo requests are running (their workers)."""
        live = (WorkerState.PENDING, WorkerState.RUNNING)
        return sum(1 for w in self.workers if w.group == "action" and w.state in live)

    def action_quit_asking(self) -> None:
        """``q``: quit, asking first only while an action or a Kombo request is in flight
        (quitting then would leave it unfinished, its result unseen)."""
        running = self.in_flight()
        if running:
            self.push_screen(ConfirmQuit(running), lambda ok: self.exit() if ok else None)
        else:
            self.exit()

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(HELP_SECTIONS, HELP_NOTES))


def run_app(
    store: Store | StoreOpener,
    clock: Clock,
    *,
    interval: float = 5.0,
    read_only: bool = False,
    demo: DemoEngine | None = None,
    headless: bool = False,
    preload: Preload | None = None,
    actor: str | None = None,
    bell: bool = False,
    preferences_path: Path | None = None,
    theme: str | None = None,
) -> int:
    """Open the terminal UI; returns the exit code: the app's, so a crash (Textual prints
    its traceback) ends the process with 1, not 0. ``headless``: no terminal (tests).
    ``store``, ``preload``, ``actor``, ``bell``, ``preferences_path`` and ``theme``: see
    :class:`SyncwatchApp`."""
    app = SyncwatchApp(
        store,
        clock,
        interval=interval,
        read_only=read_only,
        demo=demo,
        preload=preload,
        actor=actor,
        bell=bell,
        preferences_path=preferences_path,
        theme=theme,
    )
    app.run(headless=headless)
    code = app.return_code
    return 0 if code is None else code
