"""The terminal UI's door to the database and to Kombo: the bodies of its thread workers.

The only TUI module that imports the store, the Kombo modules or the action that writes.
Each method runs on a worker thread the app starts (never on the UI thread), touches no
widget, and ends by posting one typed message (:mod:`syncwatch.tui.messages`) holding
plain rows (:mod:`syncwatch.rows`); the app's handler for it changes the model and the
screens. A method that fails raises: the app reports worker errors in one place.

Nothing heavy is imported when the app starts: the store (SQLAlchemy, SQLModel, pydantic)
is imported and opened by the first worker that needs it, after the first paint, when the
app was started with rows already read (:mod:`syncwatch.tui.preload`); the Kombo modules
when first needed.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from textual.message import Message

from syncwatch.clock import Clock
from syncwatch.tui.fleet_messages import OutagesFound, SignatureHitsLoaded, SignaturesLoaded
from syncwatch.tui.messages import (
    ActionFinished,
    AttentionChanged,
    DetailLoaded,
    KomboConnected,
    LogsLoaded,
    PassFinished,
    RowsLoaded,
)

if TYPE_CHECKING:
    from datetime import datetime, timedelta

    from syncwatch.actions import Action
    from syncwatch.db import Store as Store  # for the app's annotations, as before
    from syncwatch.demo import DemoEngine
    from syncwatch.fastread import FastReader
    from syncwatch.feed import FeedQuery
    from syncwatch.fleetread import FleetReader
    from syncwatch.kombo.remote import KomboRemote
    from syncwatch.signatures import SignatureCount
    from syncwatch.trends import RecentResults
    from syncwatch.tui.kombo_actions import KomboAnswered
    from syncwatch.tui.screens.as_of import AsOfRequest
    from syncwatch.upstream_requests import LinkType, SyncType

__all__ = ["Gateway", "StoreOpener"]

#: Opens the store when a worker first needs it (on that worker's thread).
StoreOpener = Callable[[], "Store"]

#: What the drill-down loads at most.
DETAIL_SYNCS = 1000
LOG_ENTRIES = 5000


class Gateway:
    """Evaluation passes, operator actions (local, or Kombo first), the drill-down's and
    the logs' loads, and the Kombo connection, for one app."""

    def __init__(
        self,
        store: Store | StoreOpener,
        clock: Clock,
        post: Callable[[Message], object],
        *,
        env: Mapping[str, str],
        kombo_sleep: Callable[[float], None] = time.sleep,
        demo: DemoEngine | None = None,
        actor: str | None = None,
    ) -> None:
        #: Who the operator actions are recorded as (None: decided at each action, from
        #: SYNCWATCH_OPERATOR or the login name, see :func:`syncwatch.actions.current_actor`).
        self.actor = actor
        #: The store, or what opens it (see :attr:`store`).
        self._store: Store | None = None
        self._open_store: StoreOpener | None = None
        if callable(store):
            self._open_store = store
        else:
            self._store = store
        self._store_lock = threading.Lock()
        self.clock = clock
        #: Demo mode: a simulated sync engine advanced before every pass.
        self.demo = demo
        #: Where the results go (the app's ``post_message``: safe from any thread).
        self._post = post
        #: Where the Kombo settings come from (``KOMBO_API_KEY``, ``SYNCWATCH_KOMBO_REMOTE``).
        self._env = env
        self._kombo_sleep = kombo_sleep
        self._remote: KomboRemote | None = None
        #: Set once it is known whether actions go to Kombo (an action waits for it).
        self._remote_known = threading.Event()
        #: The preload's reader, kept after the load for passes with nothing to do
        #: (:meth:`quiet_pass`); the lock keeps :meth:`close` from closing it mid-read.
        self._reader: FleetReader | None = None
        self._reader_lock = threading.Lock()
        #: Why the last store pass could not store (read-only, clock behind): a quiet pass
        #: repeats it, so the app tells it once, not again after every quiet pass.
        self._not_stored: str | None = None

    @property
    def store(self) -> Store:
        """The store; opened here, on the calling worker's thread, the first time when the
        gateway was given what opens it."""
        store = self._store
        if store is None:
            with self._store_lock:
                if self._store is None:
                    assert self._open_store is not None
                    self._store = self._open_store()
                store = self._store
        return store

    # -- the rows the first screen did not hold -----------------------------------------

    def load_rest(self, reader: FastReader, sizes: Sequence[int]) -> None:
        """Read every integration with its strip, in batches of ``sizes`` (the last
        repeats; each batch one message: the app keeps the rows it does not hold yet),
        then keep ``reader`` for the quiet passes (:meth:`keep_reader`; closed if the read
        fails). In the table's order, not the list's: the preload holds the first screen,
        and the list places what arrives."""
        kept = False
        try:
            batches = reader.iter_with_strips(sizes)
            rows, strips = next(batches, ([], {}))
            for following in batches:
                self._post(RowsLoaded(rows, done=False, recent=strips))
                rows, strips = following
            # Kept before the last batch is told: the first pass follows it at once.
            self.keep_reader(reader)
            kept = True
            self._post(RowsLoaded(rows, done=True, recent=strips))
        finally:
            if not kept:
                reader.close()

    def keep_reader(self, reader: FastReader) -> None:
        """Keep the preload's reader for the passes with nothing to do (:meth:`quiet_pass`;
        a fleet reader only: the outages need its reads), else close it."""
        from syncwatch.fleetread import FleetReader

        if not isinstance(reader, FleetReader):
            reader.close()
            return
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
            self._reader = reader

    # -- Kombo --------------------------------------------------------------------------

    @property
    def remote(self) -> KomboRemote | None:
        """The remote side of the operator actions, when they go to Kombo too."""
        return self._remote

    def connect_kombo(self) -> None:
        """Find out whether actions go to Kombo too (the SDK loads off the UI thread, and
        only when the user opted in: :mod:`syncwatch.kombo.optin`)."""
        from syncwatch.kombo.optin import KomboConfigError, remote_actions_enabled

        error: str | None = None
        remote: KomboRemote | None = None
        try:
            if remote_actions_enabled(self._env):
                from syncwatch.kombo.remote import remote_from_env

                remote = remote_from_env(self._env, sleep=self._kombo_sleep)
        except KomboConfigError as err:
            error = str(err)
        finally:
            # Before the message: an action waiting for this goes ahead as decided here.
            self._remote = remote
            self._remote_known.set()
        self._post(KomboConnected(remote is not None, error))

    def goes_to_kombo(self, action: Action) -> bool:
        """Whether ``action`` is asked of Kombo before it changes syncwatch."""
        if self._remote is None:
            return False
        from syncwatch.kombo.remote import REMOTE_ACTIONS

        return action in REMOTE_ACTIONS

    def close(self) -> None:
        """Let go of the Kombo connection and the reader (when the app ends)."""
        if self._remote is not None:
            self._remote.close()
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    # -- the evaluation pass ------------------------------------------------------------

    def run_pass(self, since: int | None) -> None:
        """Evaluate, then load the rows changed since revision ``since`` (every row when
        None) with their Kombo marks. A pass that cannot be stored runs in memory and loads
        every row (``PassFinished.result.not_stored`` says why). A pass with nothing to do
        is read without the store when it can be (:meth:`quiet_pass`)."""
        if since is not None and self.demo is None and self.quiet_pass(since):
            return
        from syncwatch.db.attention import attention_marks
        from syncwatch.db.kombo import kombo_marks

        now = self.clock.now()
        if self.demo is not None:
            # The engine writes the syncs of the simulated time since the last pass, step by
            # step so short-lived states are not skipped; its steps evaluate as they go (the
            # demo's own step, the one the CLI uses too).
            self.demo.catch_up(now)
        result = self.store.evaluate_for_reading(now)
        self._not_stored = result.not_stored
        full = since is None or not result.stored
        if result.stored:
            rows = self.store.integrations(since_revision=since)
        else:
            # Evaluated in memory (a read-only database, a clock behind the last stored
            # evaluation): every row as evaluated now, laid over the stored ones.
            rows = result.current(self.store.integrations())
        marks = kombo_marks(self.store, None if full else [r.id for r in rows])
        self._post_outages(now)  # first: the pass's notices fold what an outage tells
        recent = self.recent_results(None if full else [r.id for r in rows])
        # Every acknowledgement and snooze, at every pass: writing one changes no
        # integration row, and a teammate's arrives this way (one query, over those only).
        attention = attention_marks(self.store)
        self._post(
            PassFinished(
                now, result, rows, full=full, kombo=marks, recent=recent, attention=attention
            )
        )

    def quiet_pass(self, since: int) -> bool:
        """A pass that finds nothing to evaluate, answered by the preload's reader
        (``sqlite3`` alone): the rows changed since revision ``since`` (another process's
        pass or action, an import), their marks and strips, the outages. False, and nothing
        posted, when there is work (something dirty or due), the clock is behind the last
        stored evaluation, there is no reader (PostgreSQL, no preload) or it cannot read:
        then the store's pass runs. As the CLI's reading commands decide
        (``syncwatch.cli._from_stored_rows``); like them it records nothing, and the app
        never imports SQLAlchemy while the database has nothing for it to do (a team's
        ``syncwatch evaluator`` keeps it so; about 30 MB and a second of CPU at 100,000)."""
        from syncwatch.outages import find_outages
        from syncwatch.rows import PassResult

        with self._reader_lock:
            reader = self._reader
            if reader is None:
                return False
            now = self.clock.now()
            try:
                with reader.snapshot():
                    last = reader.last_evaluated_at()
                    if reader.work_due(now) or (last is not None and now < last):
                        return False
                    rows = reader.integrations(since_revision=since)
                    ids = [r.id for r in rows]
                    marks = reader.kombo_marks(ids)
                    recent = reader.recent_results(ids)
                    attention = reader.attention_marks()
                    failing, enabled = reader.failing_integrations()
            except reader.read_error:
                return False
        self._post(OutagesFound(now, find_outages(failing, enabled, now)))
        self._post(
            PassFinished(
                now, PassResult(not_stored=self._not_stored), rows, full=False, kombo=marks,
                recent=recent, attention=attention,
            )
        )  # fmt: skip
        return True

    # -- operator actions ---------------------------------------------------------------

    def perform(self, action: Action, ids: list[str], since: int | None) -> None:
        """Apply ``action`` to ``ids`` (Kombo first, when actions go there too), then load
        the rows changed since revision ``since``."""
        from syncwatch.actions import perform_many
        from syncwatch.db.kombo import kombo_marks

        # Network I/O to Kombo, when it is on: on this worker thread.
        self._remote_known.wait()
        now = self.clock.now()
        results, refusals, unknown = perform_many(
            self.store, action, ids, now, self.actor, remote=self._remote
        )
        rows = self.store.integrations(since_revision=since)
        marks = kombo_marks(self.store, [r.id for r in rows])
        recent = self.recent_results([r.id for r in rows])
        self._post(
            ActionFinished(
                action, results, refusals, unknown, rows, now, kombo=marks, recent=recent
            )
        )

    # -- acknowledge and snooze ---------------------------------------------------------

    def attend(
        self,
        what: str,
        integration_id: str,
        *,
        note: str | None = None,
        duration: timedelta | None = None,
    ) -> None:
        """``ack`` (with ``note``), ``unack``, ``snooze`` (for ``duration``) or
        ``unsnooze`` one integration (audited), then read every mark; posts
        :class:`AttentionChanged` (with ``refusal`` when not done)."""
        from syncwatch import ack_actions
        from syncwatch.actions import ActionRefused, UnknownIntegration, current_actor
        from syncwatch.attention import BadNote
        from syncwatch.db import ClockBehind, ReadOnlyDatabase
        from syncwatch.db.attention import attention_marks
        from syncwatch.present import fmt_duration, fmt_time, safe_text

        title = ack_actions.AUDIT_LABELS[what]
        now = self.clock.now()
        actor = self.actor or current_actor()
        try:
            if what == "ack":
                row, at = ack_actions.acknowledge(self.store, integration_id, now, actor, note)
                text = f"acknowledged by {safe_text(actor)}"
                text += f": {safe_text(note)}" if note and note.strip() else ""
                text += ". Silent until its state gets worse."
            elif what == "unack":
                row, at = ack_actions.unacknowledge(self.store, integration_id, now, actor)
                text = "acknowledgement removed."
            elif what == "snooze":
                assert duration is not None
                row, at = ack_actions.snooze(self.store, integration_id, duration, now, actor)
                text = (
                    f"snoozed for {fmt_duration(duration)}, until "
                    f"{fmt_time(at + duration, at)} UTC."
                )
            else:
                row, at = ack_actions.unsnooze(self.store, integration_id, now, actor)
                text = "snooze ended; its notifications are back on."
        except (ActionRefused, UnknownIntegration, BadNote, ValueError) as why:
            self._post(AttentionChanged(integration_id, title, "", None, refusal=str(why)))
            return
        except (ReadOnlyDatabase, ClockBehind) as why:
            refusal = f"{why}; nothing changed"
            self._post(AttentionChanged(integration_id, title, "", None, refusal=refusal))
            return
        name = f"{safe_text(row.organization)} ({safe_text(row.id)})"
        marks = attention_marks(self.store)
        self._post(AttentionChanged(integration_id, title, f"{name}: {text}", marks))

    # -- requests to Kombo: a reconnection link, a sync ---------------------------------

    def relink_link(self, integration_id: str, link_type: LinkType) -> None:
        """Ask Kombo for a reconnection link (audited; the link is posted, never stored)."""
        from syncwatch.kombo.requests import create_reconnection_link
        from syncwatch.tui.kombo_actions import RELINK_TITLE, KomboAnswered

        def ask(remote: KomboRemote, now: datetime, actor: str) -> KomboAnswered:
            link = create_reconnection_link(
                self.store, remote, integration_id, link_type, now, actor
            )
            return KomboAnswered(integration_id, RELINK_TITLE, link=link)

        self._post(self._ask_kombo(integration_id, RELINK_TITLE, ask))

    def trigger_sync(self, integration_id: str, sync_type: SyncType) -> None:
        """Ask Kombo to sync an integration now (audited)."""
        from syncwatch.kombo.requests import trigger_sync
        from syncwatch.tui.kombo_actions import SYNC_TITLE, KomboAnswered

        def ask(remote: KomboRemote, now: datetime, actor: str) -> KomboAnswered:
            done = trigger_sync(self.store, remote, integration_id, sync_type, now, actor)
            return KomboAnswered(integration_id, SYNC_TITLE, sync=done)

        self._post(self._ask_kombo(integration_id, SYNC_TITLE, ask))

    def _ask_kombo(
        self,
        integration_id: str,
        title: str,
        ask: Callable[[KomboRemote, datetime, str], KomboAnswered],
    ) -> KomboAnswered:
        """``ask`` Kombo when remote actions are on; a refusal (by the check, by Kombo, or
        remote actions off) comes back as the answer's ``refusal``."""
        from syncwatch.actions import ActionRefused, UnknownIntegration, current_actor
        from syncwatch.kombo.remote import ENV_API_KEY, ENV_REMOTE
        from syncwatch.tui.kombo_actions import KomboAnswered

        self._remote_known.wait()
        remote = self._remote
        if remote is None:
            return KomboAnswered(
                integration_id,
                title,
                refusal=f"Remote actions are off: set {ENV_REMOTE}=1 and {ENV_API_KEY} "
                "before starting syncwatch to ask Kombo.",
            )
        try:
            return ask(remote, self.clock.now(), self.actor or current_actor())
        except (ActionRefused, UnknownIntegration) as why:
            return KomboAnswered(integration_id, title, refusal=str(why))

    # -- the drill-down -----------------------------------------------------------------

    def load_detail(self, integration_id: str) -> None:
        """An integration's syncs, state history, Kombo issues and what the last pull saw."""
        from syncwatch.db.kombo import integration_issues, upstream_info

        syncs = self.store.syncs(integration_id, limit=DETAIL_SYNCS)
        history = self.store.history(integration_id)
        issues = integration_issues(self.store, integration_id)
        upstream = upstream_info(self.store, [integration_id])[integration_id]
        audit = self.store.audit(integration_id)
        self._post(DetailLoaded(integration_id, syncs, history, issues, upstream, audit))

    def load_logs(self, integration_id: str, sync_id: str) -> None:
        """The log entries of one sync, newest first."""
        logs = self.store.logs(integration_id, sync_id=sync_id, limit=LOG_ENTRIES)
        self._post(LogsLoaded(integration_id, sync_id, logs))

    # -- the activity feed --------------------------------------------------------------

    def load_feed(self, query: FeedQuery) -> None:
        """One page of the fleet's transitions and operator actions, newest first."""
        from syncwatch.db.feed import activity
        from syncwatch.tui.screens.feed import FeedLoaded

        self._post(FeedLoaded(query, activity(self.store, query)))

    # -- the fleet as it was ------------------------------------------------------------

    def load_as_of(self, request: AsOfRequest) -> None:
        """The fleet at the time asked (kept within the history: from its first entry to
        now), read from the history: no pass, nothing written."""
        from syncwatch.asof import AsOfError, clamp_as_of, parse_as_of
        from syncwatch.db.asof import first_history_at, fleet_as_of
        from syncwatch.tui.screens.as_of import AsOfLoaded

        now = self.clock.now()
        try:
            at = parse_as_of(request.text, now) if request.text is not None else request.at
            assert at is not None
            at, note = clamp_as_of(at, now, first_history_at(self.store))
        except AsOfError as err:
            self._post(AsOfLoaded(request, None, now, str(err)))
            return
        self._post(AsOfLoaded(request, fleet_as_of(self.store, at), now, note))

    # -- trends (the list's recent-results strips) ---------------------------------------

    def recent_results(self, ids: Sequence[str] | None) -> dict[str, RecentResults]:
        """The strips of ``ids`` (every id gets one, maybe empty), or with ``None`` of every
        integration that has a sync: one query per 900 ids. For a worker to load with the
        rows it loads (a pass: the changed rows, or every one on a full load)."""
        from syncwatch.db.trends import recent_results

        return recent_results(self.store, ids)

    @staticmethod
    def recent_results_fast(reader: FastReader, ids: Sequence[str]) -> dict[str, RecentResults]:
        """:meth:`recent_results` read with ``sqlite3`` (the first screen, the rest of the
        rows before the store is open)."""
        return reader.recent_results(ids)

    # -- the fleet: outages and error signatures -----------------------------------------

    def _post_outages(self, now: datetime) -> None:
        """The outages as stored after a pass (:mod:`syncwatch.outages`)."""
        from syncwatch.db.fleet import failing_integrations
        from syncwatch.outages import find_outages

        failing, enabled = failing_integrations(self.store)
        self._post(OutagesFound(now, find_outages(failing, enabled, now)))

    def load_signatures(self) -> None:
        """The warning and error lines counted by signature, worst first."""
        from syncwatch.db.fleet import error_signatures

        now = self.clock.now()
        self._post(SignaturesLoaded(now, error_signatures(self.store)))

    def load_signature_hits(self, signature: SignatureCount) -> None:
        """The integrations ``signature`` hit."""
        from syncwatch.db.fleet import signature_integrations

        ids = signature_integrations(self.store, signature.signature, signature.level)
        self._post(SignatureHitsLoaded(signature, ids))

    # -- errors -------------------------------------------------------------------------

    @staticmethod
    def error_text(error: BaseException | None) -> str:
        """A worker's failure in words: the store's own wording, else the exception's."""
        # Not imported here: had the store's errors never been imported, this is not one.
        errors = sys.modules.get("syncwatch.db.errors")
        if errors is not None and isinstance(error, errors.StoreError):
            return str(error)
        return f"{type(error).__name__}: {error}"
