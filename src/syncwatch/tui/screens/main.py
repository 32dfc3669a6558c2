"""The main screen: summary, the integration list, and a preview of the highlighted one.

Fed from above: it reads the app's model (never changes it), is told what changed
(:meth:`MainScreen.show_changes`), and asks the action gate which keys apply. It sends
requests up as messages (:class:`~syncwatch.tui.messages.OpenIntegration`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Header, Input, Static

from syncwatch.actions import Action
from syncwatch.fleet import GroupBy
from syncwatch.outages import Outage
from syncwatch.preferences import Preferences
from syncwatch.present import safe_text
from syncwatch.rows import IntegrationRow
from syncwatch.tui import browser
from syncwatch.tui.colours import colour_style, state_style
from syncwatch.tui.gate import ActionGate
from syncwatch.tui.keys import LIST_KEYS, bindings
from syncwatch.tui.messages import IntegrationLooked, OpenIntegration
from syncwatch.tui.model import Changes, Model
from syncwatch.tui.remembered import REMEMBERED, ViewChosen, apply_to_list, list_choices
from syncwatch.tui.screens.feed import ActivityWanted
from syncwatch.tui.widgets.facts import RenderOnce, facts_text
from syncwatch.tui.widgets.footer import KeyFooter
from syncwatch.tui.widgets.groups import GroupRow
from syncwatch.tui.widgets.integration_list import (
    COLUMN_BY_KEY,
    COLUMNS,
    LIST_VIEW,
    IntegrationList,
    StateFilter,
)
from syncwatch.tui.widgets.line_list import LineList
from syncwatch.tui.widgets.outage_banner import OutageBanner
from syncwatch.tui.widgets.summary import StatusLine, SummaryBar

#: The preview pane shows from this terminal width up.
PREVIEW_MIN_WIDTH = 140

_VIEWS = (StateFilter.ALL, StateFilter.ATTENTION, StateFilter.FAILING)
#: How the status line names each grouping (None: not grouped, nothing said).
GROUPING_WORDS: dict[GroupBy | None, str | None] = {
    None: None,
    GroupBy.TOOL: "grouped by tool",
    GroupBy.ORGANIZATION: "grouped by organisation",
}


class MainScreen(Screen[None]):
    """Every integration, its state, and what to do about it."""

    BINDINGS: ClassVar[list[BindingType]] = bindings(LIST_KEYS)

    #: Live refresh is paused (bound to the app's).
    paused: var[bool] = var(False, init=False)

    def __init__(
        self,
        model: Model,
        gate: ActionGate,
        *,
        live: bool = False,
        interval: float = 0.0,
        remembered: Preferences | None = None,
    ) -> None:
        """``remembered``: the list's view, sort and grouping as the operator left them;
        given, each later change is told to the app (:class:`ViewChosen`) to remember."""
        super().__init__(id="main")
        self.model = model
        self.remembered = remembered
        self.gate = gate
        self.live = live
        self.interval = interval
        self.ready = False
        self._bindings_signature: tuple[bool, ...] = ()
        #: The integration the cursor last moved onto (see :meth:`_cursor_moved`).
        self._looked_at: str | None = None
        self._outages: tuple[tuple[Outage, ...], datetime] | None = None
        self._preview_key: tuple[object, ...] = ()
        self._facts_cache: dict[
            str, tuple[IntegrationRow, datetime, object, object, RenderOnce]
        ] = {}

    @property
    def integration_list(self) -> IntegrationList:
        return self.query_one(IntegrationList)

    def compose(self) -> ComposeResult:
        yield Header()
        yield OutageBanner(id="outages")
        yield SummaryBar(id="summary")
        yield StatusLine(id="status")
        with Horizontal(id="body"):
            yield IntegrationList(id="integrations")
            # Fixed height (the pane's): a new preview never changes the layout, so moving
            # the cursor repaints the preview alone, not the whole screen.
            with Vertical(id="preview-pane"):
                yield Static(id="preview")
        yield Input(
            placeholder="Filter by organisation, tool or id (Enter keeps it, Esc clears it)",
            id="filter",
        )
        yield KeyFooter()

    def on_mount(self) -> None:
        self.ready = True
        self.query_one("#filter", Input).display = False
        lst = self.integration_list
        lst.now = self.model.now
        lst.kombo = self.model.kombo
        lst.recent = self.model.recent
        lst.attention = self.model.attention
        lst.unseen = self.model.unseen
        if self.remembered is not None:
            # Before the rows are in: they are sorted and grouped once, as remembered.
            apply_to_list(lst, self.remembered)
            for setting in REMEMBERED:
                self.watch(lst, setting, self._view_chosen, init=False)
        lst.set_rows(self.model.rows.values())
        lst.focus()
        # What the list shows changed: the status line says so (after the list's own watcher).
        for view_setting in LIST_VIEW:
            self.watch(lst, view_setting, self.refresh_chrome, init=False)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.repaint())
        if self._outages is not None:
            self.show_outages(*self._outages)
        self.refresh_chrome()

    def _view_chosen(self) -> None:
        self.post_message(ViewChosen(list_choices(self.integration_list)))

    def repaint(self) -> None:
        self.integration_list.refresh()
        self.refresh_chrome()

    def watch_paused(self) -> None:
        self.refresh_chrome()

    # -- data from the app ------------------------------------------------------------

    def show_changes(self, changes: Changes) -> None:
        """Rows changed in the model (a pass or an action): only these rows are touched."""
        if not self.ready:
            return
        lst = self.integration_list
        lst.now = self.model.now
        if changes.full or changes.removed:
            lst.set_rows(self.model.rows.values())
        else:
            lst.update_rows(changes.rows)
        self.refresh_chrome()

    def show_outages(self, outages: Sequence[Outage], now: datetime) -> None:
        """The tools in an outage now (none: the banner hides); kept for the mount."""
        self._outages = (tuple(outages), now)
        if self.ready:
            self.query_one(OutageBanner).show_outages(outages, now)

    def after_action(self, bulk: bool) -> None:
        """An operator action finished: a bulk one (or one on marked rows) clears the marks."""
        if bulk or self.integration_list.marks:
            self.clear_marks()

    def refresh_chrome(self) -> None:
        """Summary counts, status line, preview and which bindings apply."""
        if not self.ready:
            return
        lst = self.integration_list
        self.query_one(SummaryBar).show_counts(self.model.state_counts)
        column = COLUMN_BY_KEY[lst.sort_key]
        self.query_one(StatusLine).show_status(
            paused=self.paused,
            live=self.live,
            interval=self.interval,
            read_only=self.gate.read_only,
            shown=lst.shown_count,
            total=len(lst.rows),
            view=lst.state_filter.value,
            filter_text=lst.filter_text,
            show_deleted=lst.show_deleted,
            sort=f"{column.title.lower()}{' (reversed)' if lst.sort_reverse else ''}",
            marks=len(lst.marks),
            loading=self.model.loading,
            grouping=GROUPING_WORDS[lst.group_by],
        )
        lst.set_empty_text(self.empty_text())
        self.update_preview()
        self.sync_bindings()

    def empty_text(self) -> str:
        """What the list says when it shows nothing: "none yet" only when the database has
        none (while loading, that it is loading)."""
        model, shown_any = self.model, bool(self.integration_list.rows)
        if not model.loaded:
            progress = model.loading
            if progress is None:
                return "Loading integrations…"
            if not shown_any:
                return f"Loading integrations… {progress[0]:,} of {progress[1]:,}"
            return (
                f"No integration matches this view in the {progress[0]:,} of {progress[1]:,} "
                "loaded so far: / filters, v views, esc clears."
            )
        if not shown_any:
            return (
                "No integrations yet: syncwatch import FILE, syncwatch receive (Kombo's "
                "webhooks), or syncwatch demo."
            )
        return "No integration matches this view: / filters, v views, esc clears."

    def sync_bindings(self) -> None:
        """Tell the footer about bindings only when what is enabled changed (it recomposes)."""
        enabled = self.gate.enabled(self.action_targets())
        signature = tuple(a in enabled for a in Action)
        if signature != self._bindings_signature:
            self._bindings_signature = signature
            self.refresh_bindings()

    def update_preview(self) -> None:
        pane = self.query_one("#preview-pane")
        if not pane.display:
            return
        lst = self.integration_list
        row = lst.cursor_row
        preview = self.query_one("#preview", Static)
        group = lst.cursor_group
        if group is not None:
            facts = (group.by, group.key, group.fleet, group.shown, group.total, group.open)
            key: tuple[object, ...] = (facts, self.app.theme, preview.size.width)
            if key != self._preview_key:
                self._preview_key = key
                preview.update(group_text(self.app, group), layout=False)
            return
        key = (
            row,
            self.model.now,
            self.app.theme,
            preview.size.width,
            self.model.kombo.get(row.id) if row else None,
            self.model.attention.get(row.id) if row else None,
        )
        if key == self._preview_key:
            return
        self._preview_key = key
        if row is None:
            preview.update("No integration selected.", layout=False)
            return
        preview.update(self._facts(row), layout=False)

    def _facts(self, row: IntegrationRow) -> RenderOnce:
        """The preview of ``row`` (kept for recently shown rows, for going back and forth)."""
        now, variables = self.model.now, self.app.theme_variables
        mark = self.model.kombo.get(row.id)
        attention = self.model.attention.get(row.id)
        cached = self._facts_cache.get(row.id)
        if (
            cached is not None
            and cached[0] is row
            and cached[1] == now
            and cached[2] is variables
            and cached[3] == (mark, attention)
        ):
            return cached[4]
        facts = RenderOnce(
            facts_text(self.app, row, now, compact=True, kombo=mark, attention=attention)
        )
        if len(self._facts_cache) >= 256:
            self._facts_cache.clear()
        self._facts_cache[row.id] = (row, now, variables, (mark, attention), facts)
        return facts

    def on_resize(self, event: Resize) -> None:
        pane = self.query_one("#preview-pane")
        pane.display = event.size.width >= PREVIEW_MIN_WIDTH
        self.update_preview()

    @on(LineList.CursorMoved, "#integrations")
    def _cursor_moved(self) -> None:
        self.update_preview()
        self.sync_bindings()
        # Moving onto an integration is looking at it (its unseen mark goes); the row under
        # a cursor that stays put changing state is not (the operator may be elsewhere).
        row = self.integration_list.cursor_row
        if row is not None and row.id != self._looked_at:
            self._looked_at = row.id
            if row.id in self.model.unseen:
                self.app.post_message(IntegrationLooked(row.id))

    def show_looked(self) -> None:
        """An unseen mark went (the operator looked at its integration)."""
        if self.ready:
            self.integration_list.refresh()

    # -- what actions apply to ----------------------------------------------------------

    def action_targets(self) -> list[IntegrationRow]:
        """Marked integrations, or the highlighted one."""
        lst = self.integration_list
        if lst.marks:
            return lst.marked_rows
        row = lst.cursor_row
        return [row] if row is not None else []

    def clear_marks(self) -> None:
        self.integration_list.clear_marks()
        self.refresh_chrome()

    # -- key actions --------------------------------------------------------------------

    def action_open(self) -> None:
        lst = self.integration_list
        if lst.cursor_group is not None:
            lst.toggle_group()
            return
        row = lst.cursor_row
        if row is None:
            self.notify("No integration is highlighted.", severity="warning", markup=False)
            return
        # Straight to the app, its only handler (not queued behind this screen's messages).
        self.app.post_message(OpenIntegration(row.id))

    def action_mark(self) -> None:
        self.integration_list.toggle_mark()
        self.refresh_chrome()

    def action_mark_all(self) -> None:
        """Mark every integration shown (the view and the filter's, not only the screenful)."""
        lst = self.integration_list
        shown = lst.shown_count
        if not shown:
            self.notify("Nothing shown to mark.", severity="warning", timeout=3, markup=False)
            return
        total = lst.mark_all_shown()
        self.refresh_chrome()
        self.notify(
            f"Marked {shown} shown integration(s); {total} marked in all. M clears the marks.",
            timeout=3,
            markup=False,
        )

    def action_unmark_all(self) -> None:
        if self.integration_list.marks:
            self.clear_marks()

    def action_next_attention(self) -> None:
        self.jump_to_attention(1)

    def action_previous_attention(self) -> None:
        self.jump_to_attention(-1)

    def jump_to_attention(self, step: int) -> None:
        """The cursor to the next or previous integration needing attention (wrapping);
        says so when none shown needs it."""
        lst = self.integration_list
        if lst.jump_to_attention(step) is None:
            self.notify(
                f"No integration needs attention in this view ({lst.state_filter.value}"
                f"{', filtered' if lst.filter_text else ''}).",
                timeout=3,
                markup=False,
            )
            return
        self.refresh_chrome()

    def action_copy_id(self) -> None:
        """Copy the highlighted integration's id (OSC 52, as ``u`` copies a log URL)."""
        row = self.integration_list.cursor_row
        if row is None:
            self.notify("No integration is highlighted.", severity="warning", markup=False)
            return
        browser.copy_and_tell(self.app, row.id, "Id copied")

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.display = True
        field.value = self.integration_list.filter_text
        field.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.integration_list.filter_text = event.value

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        field = self.query_one("#filter", Input)
        field.display = bool(field.value)
        self.integration_list.focus()

    def action_clear(self) -> None:
        field = self.query_one("#filter", Input)
        lst = self.integration_list
        if field.has_focus or lst.filter_text:
            field.value = ""
            field.display = False
            lst.filter_text = ""
            lst.focus()
        elif lst.marks:
            lst.clear_marks()
        self.refresh_chrome()

    def reveal(self, integration_id: str) -> bool:
        """Put the cursor on an integration, widening the view (filter, state view,
        deleted) if it hides it; False when the list does not hold it (yet)."""
        lst = self.integration_list
        row = self.model.rows.get(integration_id)
        if row is None:
            return False
        if not lst.select_id(integration_id):
            field = self.query_one("#filter", Input)
            field.value = ""
            field.display = False
            lst.filter_text = ""
            lst.state_filter = StateFilter.ALL
            lst.show_deleted = lst.show_deleted or row.deleted
            lst.select_id(integration_id)
        lst.focus()
        self.refresh_chrome()
        return True

    def action_activity(self) -> None:
        """Open the activity feed (the app's: it routes the feed's loads)."""
        self.app.post_message(ActivityWanted())

    def action_set_view(self, mode: str) -> None:
        """Show the integrations of one view (``all``, ``needs attention``, ``only failing``)."""
        self.integration_list.state_filter = StateFilter(mode)

    def action_cycle_view(self) -> None:
        current = self.integration_list.state_filter
        self.action_set_view(_VIEWS[(_VIEWS.index(current) + 1) % len(_VIEWS)])
        self.notify(f"Showing {self.integration_list.state_filter.value}.", timeout=2, markup=False)

    def action_cycle_grouping(self) -> None:
        """No groups -> by tool -> by organisation -> no groups."""
        lst = self.integration_list
        lst.cycle_grouping()
        words = GROUPING_WORDS[lst.group_by]
        self.notify(f"{(words or 'not grouped').capitalize()}.", timeout=2, markup=False)

    def action_set_grouping(self, by: str) -> None:
        """Group by ``tool`` or ``organization`` (``none``: not grouped)."""
        self.integration_list.group_by = None if by == "none" else GroupBy(by)

    def action_toggle_groups(self) -> None:
        self.integration_list.toggle_all_groups()

    def action_toggle_deleted(self) -> None:
        lst = self.integration_list
        lst.show_deleted = not lst.show_deleted

    def action_sort_by(self, key: str) -> None:
        """Sort by one column (its key in :data:`COLUMNS`), in its natural order."""
        if key in COLUMN_BY_KEY:
            self.integration_list.sort_by(key)

    def action_cycle_sort(self) -> None:
        self.integration_list.cycle_sort()

    def action_reverse_sort(self) -> None:
        lst = self.integration_list
        lst.sort_reverse = not lst.sort_reverse


def group_text(app: App[object], group: GroupRow) -> Text:
    """The preview of a group's row: its name, its counts per state, and what the keys do
    on it (the name is data: plain text, never markup)."""
    text = Text(no_wrap=False)
    text.append(safe_text(group.key), Style(bold=True))
    text.append(f"  ({GROUPING_WORDS[group.by]})\n\n", colour_style(app, "$text-muted"))
    fleet = group.fleet
    if fleet is None:
        text.append("No live integration: every one shown is deleted.\n")
    else:
        worst, n = fleet.counts[0]
        text.append(f"{n} of {fleet.total} {worst.glyph} {worst.label}\n", state_style(app, worst))
        for state, count in fleet.counts:
            text.append(f"  {state.glyph} {state.label:<14} {count:>6}\n", state_style(app, state))
    if group.shown != group.total:
        text.append(f"\n{group.shown} of {group.total} shown (filters)\n")
    verb = "closes" if group.open else "opens"
    text.append(
        f"\nEnter {verb} the group; space marks its {group.shown} shown integration(s), "
        "then an action key applies to all of them.",
        colour_style(app, "$text-muted"),
    )
    return text


#: The views and sort columns the command palette offers, as (name, help, action) for
#: this screen's actions.
PALETTE_EXTRAS: tuple[tuple[str, str, str], ...] = (
    *(
        (f"Show {mode.value}", f"Filter the list: {mode.value}", f"set_view({mode.value!r})")
        for mode in StateFilter
    ),
    *(
        (f"Sort by {c.title.lower()}", "Sort the integration list", f"sort_by({c.key!r})")
        for c in COLUMNS
    ),
    ("Group by tool", "A row per tool, with its counts per state", "set_grouping('tool')"),
    (
        "Group by organisation",
        "A row per organisation, with its counts per state",
        "set_grouping('organization')",
    ),
    ("Do not group", "The list without group rows", "set_grouping('none')"),
)
