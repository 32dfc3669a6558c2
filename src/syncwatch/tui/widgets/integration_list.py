"""The integration list: every integration on one line, sortable, filterable, with marks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style

from syncwatch.states import IntegrationState, SyncState
from syncwatch.store import IntegrationRow
from syncwatch.tui.colours import colour_style, state_style
from syncwatch.tui.widgets.line_list import LineList, cell


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

SYNC_WORDS: dict[SyncState, tuple[str, str]] = {
    SyncState.SUCCEEDED: ("ok", "$success"),
    SyncState.PARTIALLY_FAILED: ("partial", "$warning"),
    SyncState.FAILED: ("failed", "$error"),
    SyncState.AUTHENTICATION_FAILED: ("auth fail", "$error"),
    SyncState.TIMED_OUT: ("timed out", "$error"),
    SyncState.RUNNING: ("running", "$primary"),
    SyncState.CANCELLED: ("cancelled", "$text-muted"),
}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def short_ago(t: datetime | None, now: datetime) -> str:
    """A compact relative time for the list: ``5h 9m ago``, ``2d 22h ago``, ``just now``."""
    if t is None:
        return "never"
    secs = int((now - t).total_seconds())
    if abs(secs) < 60:
        return "just now"
    days, rem = divmod(abs(secs), 86400)
    hours, rem = divmod(rem, 3600)
    mins = rem // 60
    if days:
        span = f"{days}d {hours}h" if hours else f"{days}d"
    elif hours:
        span = f"{hours}h {mins}m" if mins else f"{hours}h"
    else:
        span = f"{mins}m"
    return f"{span} ago" if secs > 0 else f"in {span}"


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


def _severity(row: IntegrationRow) -> int:
    return -(row.state.severity if row.state else 0)


COLUMNS: tuple[Column, ...] = (
    Column("state", "State", 16, 0, _severity),
    Column("organization", "Organisation", 22, 0, lambda r: r.organization.casefold()),
    Column("id", "ID", 24, 1, lambda r: r.id),
    Column("tool", "Tool", 14, 6, lambda r: r.tool),
    Column("category", "Category", 10, 2, lambda r: r.category),
    Column("environment", "Env", 4, 3, lambda r: r.environment),
    Column("last_sync", "Last sync", 21, 7, lambda r: -_ts(r.last_sync_ended_at)),
    Column("issues", "W/E", 5, 5, lambda r: (-r.last_sync_errors, -r.last_sync_warnings), True),
    Column("since", "In state", 10, 4, lambda r: -_ts(r.state_since)),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
MARK_WIDTH = 2
GAP = 1


class IntegrationList(LineList[IntegrationRow]):
    """Integrations as a sortable, filterable list; the cursor follows its integration."""

    show_header: ClassVar[bool] = True

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: dict[str, IntegrationRow] = {}
        self.marks: set[str] = set()
        self.now: datetime = datetime.now(UTC)
        self.sort_key = "state"
        self.sort_reverse = False
        self.filter_text = ""
        self.state_filter = StateFilter.ALL
        self.show_deleted = False
        self._index: dict[str, int] = {}
        self._cursor_id: str | None = None
        self._styles: dict[str, Style] = {}
        self._styles_theme = ""

    # -- what is shown ------------------------------------------------------------------

    @property
    def cursor_row(self) -> IntegrationRow | None:
        return self.cursor_item

    @property
    def marked_rows(self) -> list[IntegrationRow]:
        """The marked integrations, in list order (marks hidden by a filter count too)."""
        shown = [r for r in self._items if r.id in self.marks]
        hidden = sorted(
            (self.rows[i] for i in self.marks if i in self.rows and i not in self._index),
            key=lambda r: r.id,
        )
        return shown + hidden

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

    def _sort_tuple(self, row: IntegrationRow) -> tuple[Any, ...]:
        return (
            COLUMN_BY_KEY[self.sort_key].sort(row),
            _severity(row),
            row.organization.casefold(),
            row.id,
        )

    def rebuild(self) -> None:
        """Filter and sort all rows again, keeping the cursor on its integration."""
        visible = sorted(
            (r for r in self.rows.values() if self.matches(r)),
            key=self._sort_tuple,
            reverse=self.sort_reverse,
        )
        self._index = {r.id: i for i, r in enumerate(visible)}
        cursor = self._index.get(self._cursor_id or "", self.cursor)
        self.set_items(visible, cursor)
        self._cursor_id = self.cursor_row.id if self.cursor_row else self._cursor_id

    def set_rows(self, rows: Iterable[IntegrationRow]) -> None:
        self.rows = {r.id: r for r in rows}
        self.marks &= set(self.rows)
        self.rebuild()

    def update_rows(self, changed: Iterable[IntegrationRow]) -> None:
        """Apply changed rows; re-sort only when membership or a sort value changed."""
        resort = False
        for row in changed:
            old = self.rows.get(row.id)
            if old is not None and old.revision > row.revision:
                continue
            self.rows[row.id] = row
            was = row.id in self._index
            now = self.matches(row)
            if was != now or (
                now and (old is None or self._sort_tuple(old) != self._sort_tuple(row))
            ):
                resort = True
            elif was:
                self._items[self._index[row.id]] = row
        if resort:
            self.rebuild()
        else:
            self.refresh()
            self._announce()

    def set_now(self, now: datetime) -> None:
        self.now = now
        self.refresh()

    def move_cursor(self, index: int) -> None:
        super().move_cursor(index)
        if self.cursor_row is not None:
            self._cursor_id = self.cursor_row.id

    def select_id(self, integration_id: str) -> bool:
        """Put the cursor on an integration if it is shown."""
        index = self._index.get(integration_id)
        if index is None:
            return False
        self.move_cursor(index)
        return True

    # -- operations ---------------------------------------------------------------------

    def toggle_mark(self) -> None:
        row = self.cursor_row
        if row is None:
            return
        self.marks.symmetric_difference_update({row.id})
        self.move_cursor(self.cursor + 1)
        self.refresh()

    def clear_marks(self) -> None:
        self.marks.clear()
        self.refresh()

    def cycle_sort(self) -> None:
        keys = [c.key for c in self.visible_columns(self.size.width or 160)]
        at = keys.index(self.sort_key) if self.sort_key in keys else -1
        self.sort_key = keys[(at + 1) % len(keys)]
        self.sort_reverse = False
        self.rebuild()

    def reverse_sort(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.rebuild()

    def set_filter_text(self, text: str) -> None:
        self.filter_text = text.strip()
        self.rebuild()

    def set_state_filter(self, mode: StateFilter) -> None:
        self.state_filter = mode
        self.rebuild()

    def set_show_deleted(self, show: bool) -> None:
        self.show_deleted = show
        self.rebuild()

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
        columns = self.visible_columns(width)
        spare = max(0, width - MARK_WIDTH - sum(c.width + GAP for c in columns))
        out = []
        for col in columns:
            extra = 0
            if col.key == "organization":
                extra = min(spare, 22)
            elif col.key == "tool":
                extra = min(max(spare - 22, 0), 4)
            out.append((col, col.width + extra))
        return out

    def style_for(self, name: str) -> Style:
        """A cached style for a state name or colour spec, for the current theme."""
        if self._styles_theme != self.app.theme:
            self._styles.clear()
            self._styles_theme = self.app.theme
        style = self._styles.get(name)
        if style is None:
            if name in IntegrationState.__members__:
                style = state_style(self.app, IntegrationState(name))
            else:
                style = colour_style(self.app, name)
            self._styles[name] = style
        return style

    def render_header(self, width: int, base: Style) -> list[Segment]:
        segments = [Segment(" " * MARK_WIDTH, base)]
        for col, w in self._widths(width):
            title = col.title
            if col.key == self.sort_key:
                title += " ▲" if self.sort_reverse else " ▼"
            segments.append(cell(title, w, base, right=col.right))
            segments.append(Segment(" " * GAP, base))
        return segments

    def render_item(
        self, item: IntegrationRow, index: int, width: int, base: Style
    ) -> list[Segment]:
        row = item
        muted = self.style_for("$text-muted")
        marked = row.id in self.marks
        mark_style = base + self.style_for("$accent") + Style(bold=True)
        segments = [Segment("* " if marked else "  ", mark_style)]
        deleted = Style(strike=True, dim=True) if row.deleted else Style()
        for col, w in self._widths(width):
            text, style, right = self._cell(row, col.key, muted)
            style = base + style
            if col.key not in ("state",):
                style += deleted
            segments.append(cell(text, w, style, right=right))
            segments.append(Segment(" " * GAP, base))
        return segments

    def _cell(self, row: IntegrationRow, key: str, muted: Style) -> tuple[str, Style, bool]:
        if key == "state":
            if row.state is None:
                return ("… evaluating", muted, False)
            return (f"{row.state.glyph} {row.state.label}", self.style_for(row.state.value), False)
        if key == "organization":
            return (row.organization, Style(), False)
        if key == "id":
            return (row.id, muted, False)
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
            ago = short_ago(row.last_sync_ended_at, self.now)
            return (f"{word:<9} {ago}", self.style_for(colour), False)
        if key == "issues":
            w, e = row.last_sync_warnings, row.last_sync_errors
            colour = "$error" if e else "$warning" if w else "$text-muted"
            return (f"{w}/{e}", self.style_for(colour), True)
        if key == "since":
            return (short_ago(row.state_since, self.now), muted, False)
        return ("", Style(), False)
