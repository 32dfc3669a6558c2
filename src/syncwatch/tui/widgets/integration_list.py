"""The integration list: every integration on one line, sortable, filterable, with marks,
and grouped by tool or organisation on demand (a group row per tool, expandable).

Long (the architecture test asks why): sorting, filtering, the cursor, marks, grouping
and painting all act on one widget's rows and cursor, and each keeps the others' promise
(the cursor stays on its integration, a refresh touches only changed rows). What needs no
widget lives beside it: the sorted chunks (``sorted_rows``), the groups (``groups``), the
cell drawing (``line_list``).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from itertools import compress
from operator import itemgetter
from typing import Any, ClassVar, overload

from rich.segment import Segment
from rich.style import Style
from textual.binding import BindingType
from textual.reactive import var

from syncwatch.attention import AttentionMark
from syncwatch.fleet import GroupBy
from syncwatch.present import SYNC_WORDS, fmt_ago
from syncwatch.rows import IntegrationRow, KomboMark
from syncwatch.states import IntegrationState, SyncState
from syncwatch.trends import RECENT_SYNCS, NextChange, ResultStrip, next_change
from syncwatch.tui.colours import colour_style, state_style
from syncwatch.tui.keys import GROUP_KEYS, bindings
from syncwatch.tui.widgets.attention import attention_badge_parts
from syncwatch.tui.widgets.groups import (
    GroupCounts,
    GroupRow,
    ListItem,
    build_groups,
    count_groups,
    group_line,
)
from syncwatch.tui.widgets.kombo import badge_parts
from syncwatch.tui.widgets.line_list import LineList, cell
from syncwatch.tui.widgets.sorted_rows import Key, SortedRows


class StateFilter(StrEnum):
    """Which states the list shows."""

    ALL = "all"
    ATTENTION = "needs attention"
    FAILING = "only failing"


FAILING_STATES = frozenset(
    {
        IntegrationState.SYNC_FAILING,
        IntegrationState.AUTHENTICATION_FAILING,
        IntegrationState.CREDENTIALS_INVALID,
    }
)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: The ID column's least width (the id's random part: ``personio:OScX3nNc`` shows as
#: ``OScX3nNc`` beside the Tool column) and the most it widens to (the whole id).
ID_SHORT_WIDTH = 9
ID_FULL_WIDTH = 26
#: The sort arrow after a sorted column's title (`` ▼``).
ARROW_WIDTH = 2


def _ts(t: datetime | None) -> float:
    return (t or _EPOCH).timestamp()


def state_matches(state: IntegrationState | None, mode: StateFilter) -> bool:
    if mode is StateFilter.ALL or state is None:
        return mode is StateFilter.ALL or state is None
    if mode is StateFilter.FAILING:
        return state in FAILING_STATES
    return state.needs_attention


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    width: int
    #: Columns with a lower number are dropped first when the terminal is narrow (0: never).
    drop: int
    #: Sort key; ascending order is the column's natural order (worst state first, ...).
    sort: Callable[[IntegrationRow], Any]
    right: bool = False


#: ``_severity`` by state, looked up once per row when sorting.
_WORST_FIRST: dict[IntegrationState | None, int] = {
    None: 0,
    **{state: -state.severity for state in IntegrationState},
}


def _not_deleted(row: IntegrationRow) -> bool:
    return not row.deleted  # a deletion dated later is not one yet


def _severity(row: IntegrationRow) -> int:
    return -(row.state.severity if row.state else 0)


#: How bad a last sync's result is, for sorting the recent-results column (worst first).
_RESULT_BADNESS: dict[SyncState | None, int] = {
    None: 0,
    SyncState.CANCELLED: 0,
    SyncState.RUNNING: 0,
    SyncState.SUCCEEDED: 1,
    SyncState.PARTIALLY_FAILED: 2,
    SyncState.TIMED_OUT: 3,
    SyncState.FAILED: 3,
    SyncState.AUTHENTICATION_FAILED: 4,
}


def _by_last_result(row: IntegrationRow) -> tuple[int, float]:
    """The recent-results column sorts by the latest result, worst first, then newest (a
    row's own fields: the strips arrive apart from the rows, and the sort key of a row
    must not change while the row does not)."""
    return (-_RESULT_BADNESS[row.last_sync_state], -_ts(row.last_sync_ended_at))


def _soonest_change(row: IntegrationRow) -> tuple[int, float]:
    """Rows with a rule coming first, soonest first."""
    change = next_change(row)
    return (1, 0.0) if change is None else (0, change.at.timestamp())


class _Folded(dict[str, str]):
    """Organisation names casefolded for the sort keys, one string per distinct name (at
    100,000 integrations a few hundred names: 5 MB of keys less than a string a row)."""

    def __missing__(self, name: str) -> str:
        folded = self[name] = name.casefold()
        return folded


_FOLDED = _Folded()

COLUMNS: tuple[Column, ...] = (
    # The number after the width is the order columns give way in when the list is narrow
    # (1 first): the state, the name, its recent results and how long it has been in its
    # state stay; the id stays down to the 160-column screen (docs/layout.md). A width is
    # the least a column gets (its title and the sort arrow always fit); the id widens to
    # show the whole id when there is room.
    Column("state", "State", 16, 0, _severity),
    Column("organization", "Organisation", 22, 0, lambda r: _FOLDED[r.organization]),
    Column("id", "ID", ID_SHORT_WIDTH, 5, lambda r: r.id),
    Column("tool", "Tool", 14, 7, lambda r: r.tool),
    Column("category", "Category", 10, 1, lambda r: r.category),
    Column("environment", "Env", 5, 4, lambda r: r.environment),
    Column("last_sync", "Last sync", 17, 6, lambda r: -_ts(r.last_sync_ended_at)),
    Column("recent", "Recent", RECENT_SYNCS, 9, _by_last_result),
    Column("issues", "W/E", 5, 2, lambda r: (-r.last_sync_errors, -r.last_sync_warnings), True),
    Column("since", "In state", 10, 8, lambda r: -_ts(r.state_since)),
    Column("next", "Next", 16, 3, _soonest_change),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
MARK_WIDTH = 2
#: Rows, all new to the list, from which :meth:`IntegrationList.update_rows` merges them in
#: at once rather than one by one.
BULK = 256
#: The glyph before a row whose state changed since the operator last looked at it (in the
#: mark column's second cell, in the new state's colour; see docs/attention.md).
UNSEEN_MARK = "•"
#: The list's settings of what it shows and how (reactives of :class:`IntegrationList`).
LIST_VIEW = ("sort_key", "sort_reverse", "filter_text", "state_filter", "show_deleted", "group_by")
#: What the grouping key cycles through (None: not grouped).
GROUPINGS: tuple[GroupBy | None, ...] = (None, GroupBy.TOOL, GroupBy.ORGANIZATION)
GAP = 1
_BOLD = Style(bold=True)
_DELETED = Style(strike=True, dim=True)


def _span(t: datetime | None, now: datetime) -> str:
    """How long before ``now``, as the list's time columns show it: ``9d 12h`` (the
    column's title says what: "Last sync", "In state"; "ago" only made values cut)."""
    return fmt_ago(t, now, compact=True).removesuffix(" ago")


def shown_id(integration_id: str, tool: str, width: int) -> str:
    """The id as the ID column shows it in ``width`` cells: whole when the column has its
    full width, else without its ``tool:`` prefix (the Tool column says it; the random
    part tells two integrations apart), cut at the end if even that is too long."""
    if width >= ID_FULL_WIDTH:
        return integration_id
    prefix = f"{tool}:"
    return (
        integration_id.removeprefix(prefix) if integration_id.startswith(prefix) else integration_id
    )


class _Reversed(Sequence[IntegrationRow]):
    """A sequence seen back to front, without copying it."""

    __slots__ = ("_base",)

    def __init__(self, base: Sequence[IntegrationRow]) -> None:
        self._base = base

    def __len__(self) -> int:
        return len(self._base)

    @overload
    def __getitem__(self, index: int) -> IntegrationRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[IntegrationRow]: ...
    def __getitem__(self, index: int | slice) -> IntegrationRow | list[IntegrationRow]:
        if isinstance(index, slice):
            return list(self)[index]
        n = len(self._base)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(index)
        return self._base[n - 1 - index]

    def __iter__(self) -> Iterator[IntegrationRow]:
        return reversed(self._base)


class IntegrationList(LineList[ListItem]):
    """Integrations as a sortable, filterable list; the cursor follows its integration.

    All rows, and the shown ones, are kept sorted with their sort keys (:class:`SortedRows`),
    so a changed row is found and moved with a binary search: applying a refresh costs
    O(changed rows x (log N + chunk)), never a sort or filter of all N rows; a key press
    touches only the rows on screen; a filter change filters the sorted rows without sorting
    them again. Reversing reads the same rows back to front.
    """

    show_header: ClassVar[bool] = True
    BINDINGS: ClassVar[list[BindingType]] = bindings(GROUP_KEYS)

    #: The column the rows are sorted by (its key in :data:`COLUMNS`).
    sort_key: var[str] = var("state", init=False)
    #: Shown back to front.
    sort_reverse: var[bool] = var(False, init=False)
    #: Only rows whose organisation, tool or id contains this (case-insensitive).
    filter_text: var[str] = var("", init=False)
    #: Which states are shown.
    state_filter: var[StateFilter] = var(StateFilter.ALL, init=False)
    show_deleted: var[bool] = var(False, init=False)
    #: Grouped by tool or organisation (a group row each, expandable), or not (None).
    group_by: var[GroupBy | None] = var(None, init=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: dict[str, IntegrationRow] = {}
        self.marks: set[str] = set()
        #: Integrations whose state changed since the operator last looked (the model's
        #: set, updated in place; the app repaints the list when it changes).
        self.unseen: Container[str] = frozenset()
        self.now: datetime = datetime.now(UTC)
        #: The shown rows in ascending sort order (the screen shows this, or it reversed).
        self._shown: SortedRows[IntegrationRow] = SortedRows()
        #: Every row (deleted and filtered-out ones too), sorted the same way.
        self._all: SortedRows[IntegrationRow] = SortedRows()
        self._cursor_id: str | None = None
        self._styles: dict[str, Style] = {}
        self._styles_theme: object = None
        self._widths_cache: dict[int, list[tuple[Column, int]]] = {}
        #: Kombo's side of the integrations that have something to mark (the model's map,
        #: updated in place with the rows: a changed mark always comes with a changed row).
        self.kombo: Mapping[str, KomboMark] = {}
        #: Each integration's last sync results (the model's map, updated in place with the
        #: rows: a new sync marks its integration for evaluation, so it comes with a row).
        self.recent: Mapping[str, ResultStrip] = {}
        #: Acknowledgements and snoozes (the model's map, replaced in place at each pass: a
        #: changed mark is part of its line's cache key, and the app refreshes the list).
        self.attention: Mapping[str, AttentionMark] = {}
        #: The coming rule of each row painted so far, worked out once per row version.
        self._changes: dict[str, tuple[IntegrationRow, NextChange | None]] = {}
        #: Grouped: the open groups of each grouping (kept while it is off, and across
        #: refreshes), the group the cursor is on (None: an integration), and where each
        #: group's row and each shown integration is.
        self._open: dict[GroupBy, set[str]] = {by: set() for by in GroupBy}
        self._cursor_group: str | None = None
        self._group_at: dict[str, int] = {}
        self._row_at: dict[str, int] = {}
        #: The view or filter changed: the next showing puts the cursor on the top row.
        self._to_top = False
        #: The groups' counts, kept until the rows change (None: to be worked out).
        self._counts: GroupCounts | None = None

    # -- what is shown ------------------------------------------------------------------

    @property
    def cursor_row(self) -> IntegrationRow | None:
        """The integration under the cursor (None on a group's row)."""
        item = self.cursor_item
        return item if isinstance(item, IntegrationRow) else None

    @property
    def cursor_group(self) -> GroupRow | None:
        """The group whose row the cursor is on (None on an integration)."""
        item = self.cursor_item
        return item if isinstance(item, GroupRow) else None

    @property
    def shown_count(self) -> int:
        """How many integrations the filters let through (in closed groups too)."""
        return len(self._shown)

    @property
    def groups(self) -> list[GroupRow]:
        """The group rows shown, worst group first (none when not grouped)."""
        return [item for item in self.items if isinstance(item, GroupRow)]

    @property
    def marked_rows(self) -> list[IntegrationRow]:
        """The marked integrations, in list order (marks hidden by a filter count too)."""
        shown: list[tuple[int, IntegrationRow]] = []
        hidden: list[IntegrationRow] = []
        for i in self.marks:
            row = self.rows.get(i)
            if row is None:
                continue
            at = self.index_of(i)
            if at is None:
                hidden.append(row)
            else:
                shown.append((at, row))
        shown.sort(key=itemgetter(0))
        hidden.sort(key=lambda r: r.id)
        return [r for _, r in shown] + hidden

    def matches(self, row: IntegrationRow) -> bool:
        if row.deleted and not self.show_deleted:
            return False
        if not state_matches(row.state, self.state_filter):
            return False
        if self.filter_text:
            needle = self.filter_text.casefold()
            return (
                needle in row.organization.casefold()
                or needle in row.tool.casefold()
                or needle in row.id.casefold()
            )
        return True

    def _sort_tuple(self, row: IntegrationRow) -> Key:
        return self._key_function()(row)

    def _key_function(self) -> Callable[[IntegrationRow], Key]:
        """The sort key of a row for the current sort column (ascending): the column's
        value, then worst state first, organisation, id (unique)."""
        worst_first, folded = _WORST_FIRST, _FOLDED
        if self.sort_key == "state":  # the default, and the column equals the tie-breaker

            def by_state(row: IntegrationRow) -> Key:
                severity = worst_first[row.state]
                return (severity, severity, folded[row.organization], row.id)

            return by_state
        column = COLUMN_BY_KEY[self.sort_key].sort

        def key(row: IntegrationRow) -> Key:
            return (column(row), worst_first[row.state], folded[row.organization], row.id)

        return key

    def _display(self, at: int) -> int:
        return len(self._shown) - 1 - at if self.sort_reverse else at

    def index_of(self, integration_id: str) -> int | None:
        """The line an integration is shown on, or None (O(log N))."""
        if self.group_by is not None:
            return self._row_at.get(integration_id)
        row = self.rows.get(integration_id)
        if row is None or not self.matches(row):
            return None
        at = self._shown.position_of(self._sort_tuple(row))
        return None if at is None else self._display(at)

    def _show(self) -> None:
        """Hand the sorted rows to the list, keeping the cursor on its integration."""
        if self.group_by is not None:
            self._show_grouped(self.group_by)
            return
        if self._to_top:
            self._to_top = False
            self._cursor_id = None
            self.set_items(_Reversed(self._shown) if self.sort_reverse else self._shown, 0)
            self._cursor_id = self.cursor_row.id if self.cursor_row else None
            return
        items: Sequence[IntegrationRow] = (
            _Reversed(self._shown) if self.sort_reverse else self._shown
        )
        cursor = self.index_of(self._cursor_id) if self._cursor_id is not None else None
        self.set_items(items, self.cursor if cursor is None else cursor)
        self._cursor_id = self.cursor_row.id if self.cursor_row else self._cursor_id

    def _show_grouped(self, by: GroupBy) -> None:
        """The shown rows under their groups' rows, worst group first (the roll-up's order),
        the open groups' members below their row in list order; the cursor stays on its
        group or integration (on its group's row when that group is closed).

        O(N) in the rows (:func:`~syncwatch.tui.widgets.groups.build_groups`)."""
        shown = _Reversed(self._shown) if self.sort_reverse else self._shown
        counts = self._counts
        if counts is None or counts.by is not by or counts.show_deleted != self.show_deleted:
            counts = self._counts = count_groups(by, self.rows.values(), self.show_deleted)
        items, group_at, row_at = build_groups(counts, shown, self._open[by])
        self._group_at, self._row_at = group_at, row_at
        cursor: int | None = None
        if self._to_top:
            self._to_top = False
            self._cursor_group = self._cursor_id = None
            cursor = 0
        elif self._cursor_group is not None:
            cursor = group_at.get(self._cursor_group)
        elif self._cursor_id is not None:
            cursor = row_at.get(self._cursor_id)
            held = self.rows.get(self._cursor_id)
            if cursor is None and held is not None:  # its group is closed: the group's row
                cursor = group_at.get(getattr(held, by.value))
        self.set_items(items, self.cursor if cursor is None else cursor)
        self._follow_cursor()

    def _follow_cursor(self) -> None:
        """Remember what the cursor is on (a group's row or an integration)."""
        item = self.cursor_item
        if isinstance(item, GroupRow):
            self._cursor_group = item.key
        elif item is not None:
            self._cursor_id = item.id
            self._cursor_group = None

    def rebuild(self) -> None:
        """Sort all rows again (the sort column changed), filter, keep the cursor."""
        key = self._key_function()
        pairs = [(key(r), r) for r in self.rows.values()]
        pairs.sort(key=itemgetter(0))
        self._all = SortedRows([k for k, _ in pairs], [r for _, r in pairs])
        self.refilter()

    def refilter(self, *, narrower: bool = False) -> None:
        """Filter the sorted rows again (no sort); ``narrower``: only the shown ones need it
        (what is shown now is a superset of what the filters let through)."""
        source = self._shown if narrower else self._all
        keys, rows = source.keys(), source.items()
        keep = self._predicate()
        if keep is not None:
            mask = list(map(keep, rows))
            keys, rows = list(compress(keys, mask)), list(compress(rows, mask))
        self._shown = SortedRows(keys, rows)
        self._show()

    def _predicate(self) -> Callable[[IntegrationRow], bool] | None:
        """:meth:`matches` for the current filters, made fast for the usual ones (None: every
        row is shown)."""
        if self.state_filter is StateFilter.ALL and not self.filter_text:
            if self.show_deleted:
                return None
            return _not_deleted
        return self.matches

    def set_rows(self, rows: Iterable[IntegrationRow]) -> None:
        self.rows = {r.id: r for r in rows}
        self._counts = None
        self.marks.intersection_update(self.rows.keys())
        self.rebuild()

    def update_rows(self, changed: Iterable[IntegrationRow]) -> None:
        """Apply changed rows: each is moved by binary search, nothing is sorted or filtered
        again (O(changed x (log N + chunk size))). Many rows the list does not hold yet
        (a batch of the background load, a large import) are sorted among themselves and
        merged in instead (:meth:`add_rows`)."""
        changed = list(changed)
        held = self.rows
        if len(changed) >= BULK and not any(row.id in held for row in changed):
            self.add_rows(changed)
            return
        key_of = self._key_function()
        every, shown = self._all, self._shown
        moved = lost = False
        for row in changed:
            old = self.rows.get(row.id)
            if old is not None and old.revision > row.revision:
                continue
            self.rows[row.id] = row
            if self._counts is not None and (
                old is None
                or old.state != row.state
                or old.tool != row.tool
                or old.organization != row.organization
                or old.deleted_at != row.deleted_at
            ):
                self._counts = None  # a group's counts changed
            if lost:
                continue
            new_key = key_of(row)
            old_key = key_of(old) if old is not None else None
            was = old is not None and self.matches(old)
            now = self.matches(row)
            if old_key == new_key:  # the same place in the order
                lost = not every.replace(new_key, row)
                if was and now:
                    lost = lost or not shown.replace(new_key, row)
                    continue
            else:
                lost = old_key is not None and not every.remove(old_key)
                every.insert(new_key, row)
            if was and old_key is not None:
                lost = lost or not shown.remove(old_key)
            if now:
                shown.insert(new_key, row)
            moved = moved or was or now
        if lost:  # the rows and the sorted lists disagree (never expected): sort again
            self.rebuild()
        elif moved or self.group_by is not None:
            # Grouped, a changed row also changes its group's counts: built again (O(N)).
            self._show()
        else:
            self.refresh()
            self._announce()

    def add_rows(self, rows: Sequence[IntegrationRow]) -> None:
        """Add rows the list does not hold (unique ids): sorted among themselves, merged
        into the sorted rows and filtered again (O(N + n log n)), the cursor kept on its
        integration."""
        key_of = self._key_function()
        self.rows.update((row.id, row) for row in rows)
        self._counts = None
        pairs = sorted(((key_of(row), row) for row in rows), key=itemgetter(0))
        self._all = self._all.merged([k for k, _ in pairs], [r for _, r in pairs])
        self.refilter()

    def set_now(self, now: datetime) -> None:
        self.now = now
        self.refresh()

    def move_cursor(self, index: int) -> None:
        super().move_cursor(index)
        self._follow_cursor()

    def select_id(self, integration_id: str) -> bool:
        """Put the cursor on an integration if it is shown (grouped: its group is opened)."""
        index = self.index_of(integration_id)
        row = self.rows.get(integration_id)
        if index is None and self.group_by is not None and row is not None and self.matches(row):
            self._open[self.group_by].add(getattr(row, self.group_by.value))
            self._show()
            index = self.index_of(integration_id)
        if index is None:
            return False
        self.move_cursor(index)
        return True

    # -- groups ---------------------------------------------------------------------------

    def cycle_grouping(self) -> None:
        """Not grouped -> by tool -> by organisation -> not grouped."""
        at = GROUPINGS.index(self.group_by)
        self.group_by = GROUPINGS[(at + 1) % len(GROUPINGS)]

    def watch_group_by(self, old: GroupBy | None, new: GroupBy | None) -> None:
        group = self.cursor_group
        if group is not None and group.members:
            # From a group's row: to (the group of) its first integration.
            self._cursor_id = group.members[0].id
        self._cursor_group = None
        if new is None:
            self._group_at, self._row_at = {}, {}
        self._show()

    def set_group_open(self, key: str, is_open: bool) -> None:
        """Open or close one group; the cursor stays on its row or integration (on the
        group's row when closing the group it is in)."""
        by = self.group_by
        if by is None or key not in self._group_at:
            return
        opened = self._open[by]
        if is_open == (key in opened):
            return
        if is_open:
            opened.add(key)
        else:
            opened.discard(key)
            row = self.cursor_row
            if row is not None and getattr(row, by.value) == key:
                self._cursor_group = key
        self._show()

    def toggle_group(self) -> None:
        """Open the group under the cursor, or close it."""
        group = self.cursor_group
        if group is not None:
            self.set_group_open(group.key, not group.open)

    def expand_group(self) -> None:
        """Open the group under the cursor (on an integration: nothing)."""
        group = self.cursor_group
        if group is not None:
            self.set_group_open(group.key, True)

    def collapse_group(self) -> None:
        """Close the group under the cursor, or the group of the integration under it."""
        group, row, by = self.cursor_group, self.cursor_row, self.group_by
        if group is not None:
            self.set_group_open(group.key, False)
        elif row is not None and by is not None:
            self.set_group_open(getattr(row, by.value), False)

    def action_expand(self) -> None:
        self.expand_group()

    def action_collapse(self) -> None:
        self.collapse_group()

    def toggle_all_groups(self) -> None:
        """Open every group shown, or close them all when they all are open."""
        by = self.group_by
        if by is None:
            return
        opened = self._open[by]
        shown = self._group_at.keys()
        if shown <= opened:
            row = self.cursor_row
            if row is not None:
                self._cursor_group = getattr(row, by.value)
            opened.clear()
        else:
            opened.update(shown)
        self._show()

    # -- operations ---------------------------------------------------------------------

    def toggle_mark(self) -> None:
        """Mark or unmark the integration under the cursor; on a group's row, every member
        the filters let through (unmarked when all of them are marked)."""
        group = self.cursor_group
        if group is not None:
            ids = {r.id for r in group.members}
            if ids <= self.marks:
                self.marks -= ids
            else:
                self.marks |= ids
            self.move_cursor(self.cursor + 1)
            self.refresh()
            return
        row = self.cursor_row
        if row is None:
            return
        self.marks.symmetric_difference_update({row.id})
        self.move_cursor(self.cursor + 1)
        self.refresh()

    def clear_marks(self) -> None:
        self.marks.clear()
        self.refresh()

    def mark_all_shown(self) -> int:
        """Mark every integration the view and the filter let through (the members of
        closed groups too); how many are marked now."""
        self.marks.update(row.id for row in self._shown)
        self.refresh()
        return len(self.marks)

    def jump_to_attention(self, step: int) -> IntegrationRow | None:
        """Move the cursor to the next (``step`` 1) or previous (-1) integration shown that
        needs attention (:attr:`IntegrationState.needs_attention`), wrapping around the
        list; None (the cursor stays) when none shown does. Grouped, closed groups are
        opened for it."""
        rows: Sequence[IntegrationRow] = (
            _Reversed(self._shown) if self.sort_reverse else self._shown
        )
        count = len(rows)
        if not count:
            return None
        here = self.cursor_row
        if self.group_by is None:
            at = self.shown_position(here.id) if here is not None else None
            start = (-1 if step > 0 else 0) if at is None else at
        else:
            rows, start = self._grouped_order(rows, step)
        for n in range(1, count + 1):
            row = rows[(start + step * n) % count]
            if row.state is not None and row.state.needs_attention:
                if row is here:
                    return row  # the only one: the cursor is on it already
                self.select_id(row.id)
                return row
        return None

    def _grouped_order(
        self, rows: Sequence[IntegrationRow], step: int
    ) -> tuple[list[IntegrationRow], int]:
        """Grouped: the shown rows in the order the groups show them (open or closed), and
        where a jump from the cursor starts in it (O(N log N), on a key press)."""
        by, group_line = self.group_by, self._group_at
        assert by is not None
        last = len(self.items)

        def group_of(row: IntegrationRow) -> str:
            return str(getattr(row, by.value))

        ordered = sorted(rows, key=lambda r: group_line.get(group_of(r), last))
        here, group = self.cursor_row, self.cursor_group
        for n, row in enumerate(ordered):
            if here is not None and row.id == here.id:
                return ordered, n
            if here is None and group is not None and group_of(row) == group.key:
                return ordered, n - 1 if step > 0 else n  # from a group's row: its members
        return ordered, -1 if step > 0 else 0

    def shown_position(self, integration_id: str) -> int | None:
        """Where ``integration_id`` is among the shown rows in list order (grouped too,
        group rows not counted), or None (O(log N))."""
        row = self.rows.get(integration_id)
        if row is None or not self.matches(row):
            return None
        at = self._shown.position_of(self._sort_tuple(row))
        return None if at is None else self._display(at)

    def sort_by(self, key: str, reverse: bool = False) -> None:
        """Sort by the column ``key`` (reversed or not), keeping the cursor."""
        self.set_reactive(IntegrationList.sort_reverse, reverse)
        self.set_reactive(IntegrationList.sort_key, key)
        # Once, for both (even when neither changed): sort, and tell whoever watches.
        self.mutate_reactive(IntegrationList.sort_key)

    def cycle_sort(self) -> None:
        """Sort by the next column shown, in its natural order."""
        keys = [c.key for c in self.visible_columns(self.size.width or 160)]
        at = keys.index(self.sort_key) if self.sort_key in keys else -1
        self.sort_by(keys[(at + 1) % len(keys)])

    def watch_sort_key(self) -> None:
        self.rebuild()

    def watch_sort_reverse(self) -> None:
        # The same sorted rows, read back to front (no sort).
        self._show()

    def validate_filter_text(self, text: str) -> str:
        return text.strip()

    # A new view or filter puts the cursor on the top row (the worst, sorted by state), not
    # where the old view had it (docs/keys.md).

    def watch_filter_text(self, old: str, text: str) -> None:
        # Typing more of the text only looks at the rows still shown.
        self._to_top = True
        self.refilter(narrower=bool(old) and old.casefold() in text.casefold())

    def watch_state_filter(self) -> None:
        self._to_top = True
        self.refilter()

    def watch_show_deleted(self) -> None:
        self._to_top = True
        self.refilter()

    # -- layout and painting ------------------------------------------------------------

    @staticmethod
    def visible_columns(width: int) -> list[Column]:
        """The columns that fit in ``width`` cells, dropping the least important first."""
        columns = list(COLUMNS)

        def needed() -> int:
            return MARK_WIDTH + sum(c.width + GAP for c in columns)

        for col in sorted((c for c in COLUMNS if c.drop), key=lambda c: c.drop):
            if needed() <= width:
                break
            columns.remove(col)
        return columns

    def _widths(self, width: int) -> list[tuple[Column, int]]:
        """The columns shown at ``width`` and how wide each is (computed once per width):
        room to spare goes to the whole ids first (all of it or none: the column shows
        every id the same way), then the organisation, then the tool."""
        cached = self._widths_cache.get(width)
        if cached is not None:
            return cached
        columns = self.visible_columns(width)
        spare = max(0, width - MARK_WIDTH - sum(c.width + GAP for c in columns))
        extra: dict[str, int] = {}
        keys = {c.key for c in columns}
        if "id" in keys and spare >= ID_FULL_WIDTH - ID_SHORT_WIDTH:
            extra["id"] = ID_FULL_WIDTH - ID_SHORT_WIDTH
            spare -= extra["id"]
        for key, most in (("organization", 22), ("tool", 4)):
            if key in keys:
                extra[key] = min(spare, most)
                spare -= extra[key]
        out = [(col, col.width + extra.get(col.key, 0)) for col in columns]
        self._widths_cache[width] = out
        return out

    def style_for(self, name: str) -> Style:
        """A cached style for a state name or colour spec, for the current theme."""
        variables = self.app.theme_variables
        if self._styles_theme is not variables:
            self._styles.clear()
            self._styles_theme = variables
        style = self._styles.get(name)
        if style is None:
            if name in IntegrationState.__members__:
                style = state_style(self.app, IntegrationState(name))
            else:
                style = colour_style(self.app, name)
            self._styles[name] = style
        return style

    def line_key(self, item: ListItem) -> Hashable:
        if isinstance(item, GroupRow):
            return None  # its marks change with its members': drawn every time (a few lines)
        recent = self.recent.get(item.id) if self.recent else None
        attention = self.attention.get(item.id) if self.attention else None
        return (item.id, item.id in self.marks, item.id in self.unseen, recent, attention)

    def next_change_of(self, row: IntegrationRow) -> NextChange | None:
        """The rule coming for ``row`` (worked out once per version of the row)."""
        held = self._changes.get(row.id)
        if held is not None and held[0] is row:
            return held[1]
        change = next_change(row)
        if len(self._changes) > 4096:
            self._changes.clear()
        self._changes[row.id] = (row, change)
        return change

    def paint_token(self) -> Hashable:
        # Relative times depend on the clock; colours on the theme's variables.
        return (self.now, self.app.theme_variables)

    def render_header(self, width: int, base: Style) -> list[Segment]:
        segments = [Segment(" " * MARK_WIDTH, base)]
        for col, w in self._widths(width):
            title = col.title
            if col.key == self.sort_key:
                title += " ▲" if self.sort_reverse else " ▼"
            segments.append(cell(title, w, base, right=col.right))
            segments.append(Segment(" " * GAP, base))
        return segments

    def render_item(self, item: ListItem, index: int, width: int, base: Style) -> list[Segment]:
        if isinstance(item, GroupRow):
            return self._group_line(item, width, base)
        row = item
        muted = self.style_for("$text-muted")
        marked = row.id in self.marks
        mark_style = base + self.style_for("$accent") + _BOLD
        if row.id in self.unseen:
            state = row.state.value if row.state is not None else "$text"
            segments = [
                Segment("*" if marked else " ", mark_style),
                Segment(UNSEEN_MARK, base + self.style_for(state) + _BOLD),
            ]
        else:
            segments = [Segment("* " if marked else "  ", mark_style)]
        deleted = _DELETED if row.deleted else None
        gap = Segment(" " * GAP, base)
        kombo = self.kombo.get(row.id) if self.kombo else None
        attention = self.attention.get(row.id) if self.attention else None
        badge: list[tuple[str, str]] = []
        if kombo is not None:
            badge += badge_parts(kombo, row.deleted)
        if attention is not None:
            badge += attention_badge_parts(attention, row.state, self.now)
        for col, w in self._widths(width):
            text, style, right = self._cell(row, col.key, muted)
            style = base + style
            if deleted is not None and col.key != "state":
                style += deleted
            if badge and col.key == "organization":
                segments += self._with_badge(text, w, style, base, badge)
            elif col.key == "recent":
                segments += self._strip(row, w, base, deleted)
            elif col.key == "id":
                segments.append(cell(shown_id(row.id, row.tool, w), w, style))
            else:
                segments.append(cell(text, w, style, right=right))
            segments.append(gap)
        return segments

    def _group_line(self, group: GroupRow, width: int, base: Style) -> list[Segment]:
        columns = self._widths(width)
        name_width = sum(w + GAP for _, w in columns[:2]) - GAP
        name_width = max(14, min(name_width, width // 3))
        return group_line(group, name_width, base, self.marks, self.style_for)

    def _with_badge(
        self, text: str, width: int, style: Style, base: Style, parts: list[tuple[str, str]]
    ) -> list[Segment]:
        """``text`` cut short enough for the badge parts at the end: Kombo's (``gone``,
        ``⚑2``) and the attention badge (``@alice``, ``zZ``)."""
        badge = " ".join(t for t, _ in parts)
        room = width - len(badge) - 1
        if room < 4:  # too narrow for both: the badge alone says more than a cut name
            room = 0
        segments = [cell(text, room, style), Segment(" " if room else "", base)]
        for i, (t, colour) in enumerate(parts):
            if i:
                segments.append(Segment(" ", base))
            segments.append(Segment(t, base + self.style_for(colour) + _BOLD))
        used = room + (1 if room else 0) + len(badge)
        if used < width:
            segments.append(Segment(" " * (width - used), base))
        return segments

    def _strip(
        self, row: IntegrationRow, width: int, base: Style, deleted: Style | None
    ) -> list[Segment]:
        """The last syncs' results, one glyph each in its state's colour, newest right."""
        recent = self.recent.get(row.id) if self.recent else None
        cells = recent.cells()[-width:] if recent is not None else []
        segments: list[Segment] = []
        for glyph, state in cells:
            style = base + self.style_for(state.value if state else "$text-muted")
            segments.append(Segment(glyph, style + deleted if deleted else style))
        if len(cells) < width:
            segments.append(Segment(" " * (width - len(cells)), base))
        return segments

    def _cell(self, row: IntegrationRow, key: str, muted: Style) -> tuple[str, Style, bool]:
        if key == "state":
            if row.state is None:
                return ("… evaluating", muted, False)
            return (f"{row.state.glyph} {row.state.label}", self.style_for(row.state.value), False)
        if key == "organization":
            return (row.organization, Style(), False)
        if key == "id":
            return (row.id, muted, False)  # cut by render_item (id_cell) at its width
        if key == "tool":
            return (row.tool, Style(), False)
        if key == "category":
            return (row.category, Style(), False)
        if key == "environment":
            return ("prod" if row.environment == "production" else "dev", muted, False)
        if key == "last_sync":
            if row.last_sync_state is None:
                return ("none finished", muted, False)
            word, colour = SYNC_WORDS[row.last_sync_state]
            ago = _span(row.last_sync_ended_at, self.now)
            return (f"{word:<9} {ago}", self.style_for(colour), False)
        if key == "issues":
            w, e = row.last_sync_warnings, row.last_sync_errors
            colour = "$error" if e else "$warning" if w else "$text-muted"
            return (f"{w}/{e}", self.style_for(colour), True)
        if key == "since":
            # A duration under "In state" ("10d 11h"): "ago" would only make it cut.
            return (_span(row.state_since, self.now), muted, False)
        if key == "next":
            change = self.next_change_of(row)
            if change is None:
                return ("", muted, False)
            style = self.style_for(change.to.value) if change.to is not None else muted
            return (change.short(self.now), style, False)
        return ("", Style(), False)
