"""The activity feed: recent state transitions and operator actions across the fleet, newest
first, the way k9s shows events; who did what.

``w`` on the list opens it. ``/`` filters as you type: words match anywhere (an id, an
organisation, a tool, an actor, an action, a reason), and ``state:`` ``tool:`` ``org:``
``actor:`` ``kind:`` ``since:`` narrow by one field (:func:`syncwatch.feed.parse_filter`).
``m`` loads the next page of older entries; Enter goes back to the list with the cursor on
the entry's integration; Escape clears the filter, then goes back.

Fed from above like every screen: it asks for a page with :class:`FeedWanted` (the app
runs :meth:`syncwatch.tui.gateway.Gateway.load_feed` on a worker) and is handed the result
(:meth:`FeedScreen.show_feed`); a page for a filter that has changed since is dropped. The
app asks it to reload after each pass that changed something (:meth:`FeedScreen.reload`).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import replace
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Input, Static

from syncwatch.feed import (
    DEFAULT_PAGE,
    FeedEntry,
    FeedKind,
    FeedQuery,
    action_label,
    filter_help,
    parse_filter,
)
from syncwatch.present import fmt_time, safe_text, shown_reason
from syncwatch.states import IntegrationState
from syncwatch.tui.colours import colour_style, state_style
from syncwatch.tui.keys import FEED_KEYS, bindings
from syncwatch.tui.model import Model
from syncwatch.tui.widgets.footer import KeyFooter
from syncwatch.tui.widgets.line_list import LineList, cell

#: Entries a reload after a pass keeps at most (the pages loaded so far, up to this).
RELOAD_MAX = 1000


# --------------------------------------------------------------------------- messages


class FeedWanted(Message):
    """The feed screen wants a page of the activity feed."""

    def __init__(self, query: FeedQuery) -> None:
        super().__init__()
        self.query = query


class FeedLoaded(Message):
    """A page of the activity feed, for the query that asked for it."""

    def __init__(self, query: FeedQuery, entries: list[FeedEntry]) -> None:
        super().__init__()
        self.query = query
        self.entries = entries


class ActivityWanted(Message):
    """The operator asked for the activity feed (``w`` on the list)."""


class ShowInList(Message):
    """Back to the list, with the cursor on this integration."""

    def __init__(self, integration_id: str) -> None:
        super().__init__()
        self.integration_id = integration_id


# --------------------------------------------------------------------------- the list

#: (title, width) of the fixed columns; "Why" takes the rest.
_COLUMNS: tuple[tuple[str, int], ...] = (
    ("When", 12),
    ("Kind", 10),
    ("Who", 14),
    ("Integration", 24),
    ("Organisation", 22),
    ("What", 38),
)
#: Below this width the organisation column is left out.
_WIDE = 150


def _state(state: IntegrationState | None) -> str:
    return f"{state.glyph} {state.label}" if state is not None else "(new)"


class FeedList(LineList[FeedEntry]):
    """The feed's entries: when, kind, who, which integration, what, why."""

    show_header: ClassVar[bool] = True

    DEFAULT_CSS = """
    FeedList {
        height: 1fr;
    }
    """

    def __init__(self, model: Model, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = model

    def _columns(self, width: int) -> list[tuple[str, int]]:
        return [c for c in _COLUMNS if width >= _WIDE or c[0] != "Organisation"]

    def render_header(self, width: int, base: Style) -> list[Segment]:
        segments = [Segment(" ", base)]
        for title, w in self._columns(width):
            segments += [cell(title, w, base), Segment(" ", base)]
        used = sum(w + 1 for _, w in self._columns(width)) + 1
        segments.append(cell("Why", max(width - used, 0), base))
        return segments

    def line_key(self, item: FeedEntry) -> Hashable:
        return item.sort_key()

    def paint_token(self) -> Hashable:
        return (self.model.now.year, self.app.theme)

    def render_item(self, item: FeedEntry, index: int, width: int, base: Style) -> list[Segment]:
        app = self.app
        muted = colour_style(app, "$text-muted")
        after = state_style(app, item.to_state)
        if item.kind is FeedKind.TRANSITION:
            who, who_style = "", muted
            what = f"{_state(item.from_state)} → {_state(item.to_state)}"
            why = shown_reason(item.reason)
            kind_style = muted
        else:
            who, who_style = item.actor or "", Style(bold=True)
            change = (
                f"stays {_state(item.to_state)}"
                if item.from_state == item.to_state
                else f"{_state(item.from_state)} → {_state(item.to_state)}"
            )
            what = f"{action_label(item.action)}: {change}"
            why = f"database role {safe_text(item.db_role)}" if item.db_role else ""
            kind_style = colour_style(app, "$accent", bold=True)
        values: dict[str, tuple[str, Style]] = {
            "When": (fmt_time(item.at, self.model.now), Style()),
            "Kind": (item.kind.value, kind_style),
            # cell() makes every text safe to show (safe_text): data never reaches the
            # terminal raw, and a Segment is never read as markup.
            "Who": (who, who_style),
            "Integration": (item.integration_id, Style()),
            "Organisation": (item.organization, Style()),
            "What": (what, after),
        }
        segments = [Segment(" ", base)]
        for title, w in self._columns(width):
            text, style = values[title]
            segments += [cell(text, w, base + style), Segment(" ", base)]
        used = sum(w + 1 for _, w in self._columns(width)) + 1
        segments.append(cell(why, max(width - used, 0), base + muted))
        return segments


# --------------------------------------------------------------------------- the screen


class FeedScreen(Screen[None]):
    """Recent transitions and operator actions across the fleet."""

    BINDINGS: ClassVar[list[BindingType]] = bindings(FEED_KEYS)

    DEFAULT_CSS = """
    #feed-status {
        height: 1;
        padding: 0 1;
    }
    #feed-filter {
        dock: bottom;
        margin: 0;
        border: tall $accent;
    }
    """

    def __init__(self, model: Model) -> None:
        super().__init__(id="feed")
        self.model = model
        #: The first page's query (the filter as typed).
        self.query_shown = FeedQuery()
        #: The page asked for and not yet shown (a first page, or the next older one).
        self.pending: FeedQuery | None = None
        self.entries: list[FeedEntry] = []
        #: Whether an older page may exist (the last page came back full).
        self.more = False
        self.loaded = False
        #: Why the filter as typed does not parse (None: it does).
        self.filter_error: str | None = None

    @property
    def feed_list(self) -> FeedList:
        return self.query_one(FeedList)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="feed-status")
        yield FeedList(self.model, id="feed-list")
        yield Input(placeholder=f"Filter: {filter_help()}", id="feed-filter")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#feed-filter", Input).display = False
        self.feed_list.set_empty_text("Loading the activity…")
        self.feed_list.focus()
        self.ask(self.query_shown)

    # -- requests and results -----------------------------------------------------------

    def ask(self, query: FeedQuery) -> None:
        """Ask the app for a page (straight to the app, its only handler)."""
        self.pending = query
        self.show_status()
        self.app.post_message(FeedWanted(query))

    def reload(self) -> None:
        """Read the shown pages again (the app calls this when a pass changed something)."""
        if self.pending is not None or self.filter_error is not None:
            return  # a page is on its way; it is as new
        keep = min(max(len(self.entries), DEFAULT_PAGE), RELOAD_MAX)
        self.ask(replace(self.query_shown, limit=keep))

    def show_feed(self, message: FeedLoaded) -> None:
        """A page arrived: shown if it is the one asked for last, else dropped."""
        if message.query != self.pending:
            return
        self.pending = None
        lst = self.feed_list
        current = lst.cursor_item
        if message.query.after is None:
            self.entries = list(message.entries)
        else:
            self.entries = self.entries + list(message.entries)
        self.more = len(message.entries) == message.query.limit
        self.loaded = True
        cursor = None
        if current is not None:
            keys = [e.sort_key() for e in self.entries]
            key = current.sort_key()
            cursor = keys.index(key) if key in keys else None
        lst.set_empty_text(
            "No activity matches the filter."
            if self.query_shown != FeedQuery()
            else "No activity yet: transitions and operator actions show here."
        )
        lst.set_items(self.entries, cursor)
        self.show_status()

    def show_status(self) -> None:
        muted = colour_style(self.app, "$text-muted")
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append("Activity", Style(bold=True))
        if self.filter_error is not None:
            line.append(
                f"  filter: {safe_text(self.filter_error)}", colour_style(self.app, "$error")
            )
        else:
            shown = f"{len(self.entries)} entries, newest first" if self.loaded else "loading…"
            line.append(f"  {shown}", muted)
            if self.pending is not None and self.loaded:
                line.append("  (loading…)", muted)
            text = self.query_one("#feed-filter", Input).value.strip()
            if text:
                line.append(f"  ·  filter: {safe_text(text)}", muted)
            if self.more:
                line.append("  ·  m: older", muted)
        line.append("  ·  enter: show in list  ·  /: filter  ·  esc: back", muted)
        self.query_one("#feed-status", Static).update(line, layout=False)

    # -- keys ---------------------------------------------------------------------------

    def action_filter(self) -> None:
        field = self.query_one("#feed-filter", Input)
        field.display = True
        field.focus()

    @on(Input.Changed, "#feed-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        try:
            query = parse_filter(event.value, self.model.now)
        except ValueError as why:
            self.filter_error = str(why)
            self.show_status()
            return
        self.filter_error = None
        if query == self.query_shown and self.pending is None:
            self.show_status()
            return
        self.query_shown = query
        self.ask(query)

    @on(Input.Submitted, "#feed-filter")
    def _filter_submitted(self) -> None:
        field = self.query_one("#feed-filter", Input)
        field.display = bool(field.value)
        self.feed_list.focus()

    def action_back(self) -> None:
        field = self.query_one("#feed-filter", Input)
        if field.has_focus or field.value:
            field.value = ""  # Changed: the whole feed again
            field.display = False
            self.feed_list.focus()
            return
        self.dismiss(None)

    def action_more(self) -> None:
        if not self.more or not self.entries or self.pending is not None:
            return
        self.ask(self.query_shown.next_page(self.entries[-1]))

    def action_jump(self) -> None:
        entry = self.feed_list.cursor_item
        if entry is None:
            self.notify("No entry is highlighted.", severity="warning", markup=False)
            return
        self.app.post_message(ShowInList(entry.integration_id))
