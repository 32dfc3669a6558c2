"""What the terminal UI knows: every integration's latest row, how many are in each state,
Kombo's marks, the change-feed position and the time the rows were read at.

A plain object, no Textual and no database: the app feeds it the rows its workers loaded
(:meth:`Model.apply`) and pushes the :class:`Changes` it returns down to the screens; the
notifications are worded from the state changes it reports. Tested without a terminal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import NamedTuple

from syncwatch.attention import AttentionMark, silenced
from syncwatch.rows import IntegrationRow, KomboMark
from syncwatch.states import IntegrationState
from syncwatch.trends import RecentResults, ResultStrip

_ID = attrgetter("id")
_STATE = attrgetter("state")


class StateChange(NamedTuple):
    """An integration that now shows another state: the row before and the row after."""

    old: IntegrationRow
    new: IntegrationRow


@dataclass(frozen=True, slots=True)
class Changes:
    """What one :meth:`Model.apply` changed."""

    #: Everything was loaded anew (the screens show the model's rows from scratch).
    full: bool = False
    #: The rows taken in (new or newer than the model's), in the order they came.
    rows: tuple[IntegrationRow, ...] = ()
    added: frozenset[str] = frozenset()
    updated: frozenset[str] = frozenset()
    #: Gone from a full load (never expected: integrations stay as tombstones).
    removed: frozenset[str] = frozenset()
    #: State changes to announce: not on a full load, not for the rows an operator just
    #: acted on (their own notification says it), never into "not evaluated yet".
    transitions: tuple[StateChange, ...] = ()

    @property
    def ids(self) -> frozenset[str]:
        """Every integration whose row changed."""
        return self.added | self.updated | self.removed

    def __bool__(self) -> bool:
        return self.full or bool(self.rows or self.removed)


@dataclass
class Model:
    """The latest row of every integration (deleted ones too) and what follows from them."""

    #: The time the rows were evaluated at (relative times are worked out from it).
    now: datetime
    rows: dict[str, IntegrationRow] = field(default_factory=dict)
    #: How many of ``rows`` are in each state, kept up to date as rows change.
    state_counts: Counter[IntegrationState | None] = field(default_factory=Counter)
    #: Kombo's side of the integrations that have something to mark (gone, open issues).
    #: Updated in place: the list holds this dict.
    kombo: dict[str, KomboMark] = field(default_factory=dict)
    #: Who acknowledged which integration and which are snoozed (those with neither are
    #: left out). Replaced in place at every pass (a teammate's ack arrives with it): the
    #: list holds this dict.
    attention: dict[str, AttentionMark] = field(default_factory=dict)
    #: Each integration's last sync results (the list's strip), for those with a sync.
    #: Updated in place with the rows (:meth:`take_recent`): the list holds this dict.
    recent: dict[str, ResultStrip] = field(default_factory=dict)
    #: The change-feed position: rows with a higher revision have not been seen (None:
    #: nothing loaded yet, the next load is a full one).
    revision: int | None = None
    #: When the last evaluation pass ran (the clock's time) and how many have.
    last_pass_at: datetime | None = None
    passes: int = 0
    #: While the rows are still loading: how many integrations there are (None: every row
    #: is loaded, or nothing is known yet; see :attr:`loaded`).
    expected: int | None = None
    #: Integrations whose state changed (worth attention) since the operator last looked at
    #: them (:meth:`look`); the list marks them. Updated in place: the list holds this set.
    unseen: set[str] = field(default_factory=set)

    @property
    def loading(self) -> tuple[int, int] | None:
        """While rows are still loading: (how many are loaded, how many there are)."""
        if self.expected is None:
            return None
        return (len(self.rows), max(self.expected, len(self.rows)))

    @property
    def loaded(self) -> bool:
        """Whether :attr:`rows` hold every integration (so "none" means none)."""
        return self.revision is not None and self.expected is None

    def preload(
        self,
        rows: Iterable[IntegrationRow],
        *,
        total: int,
        revision: int,
        marks: Mapping[str, KomboMark],
    ) -> None:
        """Start from rows read before the database package loaded: the first screenful of
        ``total`` integrations, every row changed after ``revision`` still to be read (a pass
        loads those), and the Kombo marks of every integration. The rest comes through
        :meth:`rows_loaded`."""
        self.rows = {row.id: row for row in rows}
        self.state_counts = Counter(row.state for row in self.rows.values())
        self.kombo.clear()
        self.kombo.update((iid, mark) for iid, mark in marks.items() if not mark.empty)
        self.revision = revision
        self.expected = total if len(self.rows) < total else None

    def rows_loaded(self, rows: Iterable[IntegrationRow], *, done: bool) -> Changes:
        """Take in rows that finished loading (``done``: the last of them). They only fill
        in: a row already held (preloaded, or from a pass) stays, as a newer version of it
        comes with a pass (which reads what changed after the preload's revision, and
        announces a state change the operator may have seen); nothing here is announced."""
        held = self.rows
        fresh = [row for row in rows if row.id not in held]
        ids = list(map(_ID, fresh))
        # Whole batches (up to 40,000 rows) through the C loops of dict and Counter.
        held.update(zip(ids, fresh, strict=True))
        self.state_counts.update(map(_STATE, fresh))
        if done:
            self.expected = None
        return Changes(rows=tuple(fresh), added=frozenset(ids))

    def pass_finished(self, now: datetime) -> None:
        """An evaluation pass ran at ``now`` (the clock's time, not the wall's)."""
        self.now = now
        self.last_pass_at = now
        self.passes += 1

    def action_applied(self, now: datetime | None) -> None:
        """An operator action was applied at ``now``: relative times count from it."""
        if now is not None and now > self.now:
            self.now = now

    def apply(
        self,
        rows: Iterable[IntegrationRow],
        *,
        full: bool = False,
        marks: Mapping[str, KomboMark] | None = None,
        quiet: Iterable[str] = (),
    ) -> Changes:
        """Take in loaded rows and their Kombo marks; return what changed.

        ``full``: ``rows`` are every integration there is, and ``marks`` every mark.
        Otherwise ``rows`` changed since :attr:`revision` and ``marks`` are theirs (None:
        the marks were not loaded and stay as they are). A row older than the one held
        (a lower revision) is ignored. ``quiet``: ids whose state change is not announced.
        """
        batch = list(rows)
        if marks is not None:
            if full:
                self.kombo.clear()
            for iid, mark in marks.items():
                if mark.empty:
                    self.kombo.pop(iid, None)
                else:
                    self.kombo[iid] = mark
        self._advance(batch)
        counts = self.state_counts
        if full and not self.rows:
            # The first load: nothing to compare with (ids are unique).
            self.rows = {row.id: row for row in batch}
            counts.update(row.state for row in self.rows.values())
            return Changes(full=True, rows=tuple(self.rows.values()), added=frozenset(self.rows))
        fresh: list[IntegrationRow] = []
        added: set[str] = set()
        updated: set[str] = set()
        removed: set[str] = set()
        transitions: list[StateChange] = []
        quiet_ids = set(quiet)
        if full:
            removed = self.rows.keys() - {row.id for row in batch}
            for iid in removed:
                counts[self.rows.pop(iid).state] -= 1
            self.unseen.difference_update(removed)
        for row in batch:
            old = self.rows.get(row.id)
            if old is not None and old.revision > row.revision:
                continue
            self.rows[row.id] = row
            fresh.append(row)
            counts[row.state] += 1
            if old is None:
                added.add(row.id)
                continue
            updated.add(row.id)
            counts[old.state] -= 1
            if (
                not full
                and old.state != row.state
                and row.state is not None
                and row.id not in quiet_ids
            ):
                transitions.append(StateChange(old, row))
        return Changes(
            full=full,
            rows=tuple(fresh),
            added=frozenset(added),
            updated=frozenset(updated),
            removed=frozenset(removed),
            transitions=tuple(transitions),
        )

    def take_attention(self, marks: Mapping[str, AttentionMark] | None) -> frozenset[str]:
        """Take in every integration's acknowledgement and snooze (``None``: not loaded,
        they stay as they are); return the ids whose mark changed (to repaint). Call it
        before :meth:`apply` with the same pass, so its transitions are judged by the
        marks of now."""
        if marks is None:
            return frozenset()
        held = self.attention
        changed = {iid for iid in held.keys() | marks.keys() if held.get(iid) != marks.get(iid)}
        held.clear()
        held.update((iid, mark) for iid, mark in marks.items() if not mark.empty)
        return frozenset(changed)

    def silenced(self, change: StateChange) -> bool:
        """Whether ``change`` is not to be announced: its integration is snoozed, or
        acknowledged and not worse than the state acknowledged
        (:func:`syncwatch.attention.silenced`, at the model's time)."""
        mark = self.attention.get(change.new.id)
        if mark is None or change.new.state is None:
            return False
        return silenced(mark.ack, mark.snooze, change.old.state, change.new.state, self.now)

    def mark_unseen(self, ids: Iterable[str]) -> None:
        """``ids`` changed state while the operator may not have been looking."""
        self.unseen.update(ids)

    def look(self, integration_id: str) -> bool:
        """The operator looked at ``integration_id``; True if it was marked unseen."""
        if integration_id in self.unseen:
            self.unseen.discard(integration_id)
            return True
        return False

    def take_recent(
        self,
        recent: Mapping[str, RecentResults] | Mapping[str, ResultStrip] | None,
        *,
        full: bool = False,
    ) -> None:
        """Take in the strips loaded with rows: of every integration that has a sync
        (``full``), else of the loaded rows (an empty strip drops the entry); ``None``: not
        loaded, they stay as they are. Call it before :meth:`apply` or :meth:`rows_loaded`
        with the same rows, so the list repaints the rows with their new strips."""
        if recent is None:
            return
        held = self.recent
        if full:
            held.clear()
        for iid, results in recent.items():
            # The shared strip, not the syncs: the list draws results only, and at 100,000
            # integrations the syncs' ids and times held 60 MB.
            strip = results.strip
            if strip.states:
                held[iid] = strip
            else:
                held.pop(iid, None)

    def _advance(self, rows: list[IntegrationRow]) -> None:
        """Move the change-feed position past ``rows`` (to 0 after an empty first load)."""
        if rows:
            self.revision = max(self.revision or 0, max(r.revision for r in rows))
        elif self.revision is None:
            self.revision = 0
