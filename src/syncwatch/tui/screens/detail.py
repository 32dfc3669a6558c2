"""The drill-down: facts, reason, next step, Kombo's side (gone upstream, issues), state
history, syncs (with Kombo's log link) and the selected sync's log.

Fed from above: it reads the app's model, gets its syncs, history and logs pushed down
(:meth:`IntegrationScreen.show_detail`, :meth:`IntegrationScreen.show_logs`) and asks for
them with messages (:class:`~syncwatch.tui.messages.DetailWanted`,
:class:`~syncwatch.tui.messages.LogsWanted`).

The app builds it ahead of time (``SyncwatchApp.prebuild_detail``, while the list is shown
and idle) and keeps it installed: every opening, for any integration, reuses the widgets.
Public Textual API only: pushed and popped in one ``batch_update`` (never painted), which
composes it and lays it out for the terminal off screen, then :meth:`render_ahead` renders
its widgets while hidden. The first opening still lays the screen out once: its widgets ask
for a layout as they settle, and only a private flag (which the earlier build cleared)
would let Textual skip it. That cost is accepted. Measured with ``benchmarks/tui.py``
(10,000 integrations, UI-thread CPU time, medians of 25 runs alternated in the same minutes
with the earlier, private-API build): first opening 24.3 ms (was 20.7; target 30), building
ahead 25.8 ms (was 45.7), opening it again 16.4 ms (was 17.0).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize, ScreenResume
from textual.geometry import Region
from textual.reactive import var
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, Input, Static

from syncwatch.feed import action_label, actor_text, attributed_history
from syncwatch.present import fmt_time, link_target, safe_text, shown_reason
from syncwatch.rows import AuditRow, HistoryRow, IntegrationRow, LogRow, SyncRow
from syncwatch.states import LogLevel
from syncwatch.trends import WINDOWS, timeline
from syncwatch.tui import browser
from syncwatch.tui.colours import colour_style, state_style
from syncwatch.tui.keys import DETAIL_KEYS, bindings
from syncwatch.tui.messages import DetailLoaded, DetailWanted, LogsLoaded, LogsWanted
from syncwatch.tui.model import Model
from syncwatch.tui.widgets.facts import RenderOnce, facts_text, title_text
from syncwatch.tui.widgets.footer import KeyFooter
from syncwatch.tui.widgets.kombo import kombo_section
from syncwatch.tui.widgets.line_list import LineList
from syncwatch.tui.widgets.log_view import LogView
from syncwatch.tui.widgets.summary import join_fitting
from syncwatch.tui.widgets.sync_list import SyncList
from syncwatch.tui.widgets.text_pane import TextPane
from syncwatch.tui.widgets.timeline import TimelineView

if TYPE_CHECKING:
    from syncwatch.tui.messages import IssueRow, UpstreamInfo


#: Below this width the facts sit above the syncs and the log instead of beside them.
NARROW_WIDTH = 120


class IntegrationScreen(Screen[None]):
    """Everything about one integration."""

    BINDINGS: ClassVar[list[BindingType]] = bindings(DETAIL_KEYS)

    #: The log shows warnings and errors only.
    issues_only: var[bool] = var(False, init=False)
    #: Long log lines wrap.
    wrap: var[bool] = var(True, init=False)
    #: Each refresh of the integration reloads its syncs and shows the newest one's log.
    follow: var[bool] = var(True, init=False)
    #: The log shows (and highlights) only entries containing this.
    search_text: var[str] = var("", init=False)
    #: The timeline's window (a key of :data:`syncwatch.trends.WINDOWS`).
    timeline_window: var[str] = var("7d", init=False)
    #: The log reads newest entry first (or oldest first). Kept from one drill-down to the
    #: next (the screen is reused): a reading habit, not a per-integration view.
    newest_first: var[bool] = var(True, init=False)

    def __init__(self, model: Model, integration_id: str = "") -> None:
        super().__init__()
        self.model = model
        self.integration_id = integration_id
        #: How many log entries the log shows (after the level filter and the search).
        self._shown_count = 0
        self._reset()
        #: The facts as shown, and what they were made from.
        self._facts: tuple[tuple[object, ...], RenderOnce] | None = None
        #: The theme variables the screen's styles were last brought up to date for.
        self._styled_for: object = None

    def _reset(self) -> None:
        """The state of a newly opened drill-down (set quietly: :meth:`_open` shows it)."""
        self.syncs: list[SyncRow] = []
        self.history: list[HistoryRow] = []
        #: Its operator actions, oldest first (who caused which transition).
        self.audit: list[AuditRow] = []
        self.logs: list[LogRow] = []
        #: Kombo's issues about it (open first) and what the last pull learned.
        self.issues: list[IssueRow] = []
        self.upstream: UpstreamInfo | None = None
        self.sync_id: str | None = None
        self.set_reactive(IntegrationScreen.issues_only, False)
        self.set_reactive(IntegrationScreen.wrap, True)
        self.set_reactive(IntegrationScreen.follow, True)
        self.set_reactive(IntegrationScreen.search_text, "")
        self.set_reactive(IntegrationScreen.timeline_window, "7d")
        #: The timeline as shown, and what it was made from (None until the history loads).
        self._timeline: tuple[tuple[object, ...], RenderOnce] | None = None
        self.loaded = False
        #: The sync whose log ``logs`` holds.
        self.logs_for: str | None = None
        #: The history as shown (None until loaded).
        self._history: RenderOnce | None = None
        #: Kombo's part as shown (None until loaded, or nothing from Kombo).
        self._kombo: RenderOnce | None = None

    def ask(self, request: DetailWanted | LogsWanted) -> None:
        """Send a request up. Straight to the app, its only handler: bubbling from here
        would queue it behind this screen's own messages first (a load then starts later)."""
        self.app.post_message(request)

    @property
    def row(self) -> IntegrationRow | None:
        return self.model.rows.get(self.integration_id)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="detail-body"):
            # Line-API panes throughout: showing another integration, its syncs or its
            # log repaints them, with no layout pass over the whole screen.
            yield TextPane(id="detail-left")
            with Vertical(id="detail-right"):
                yield Static("Syncs, newest first", classes="section-title", id="syncs-title")
                yield SyncList(id="syncs")
                yield Static(id="sync-url", classes="section-line")
                yield Static(id="log-title", classes="section-title")
                yield Input(
                    placeholder="Search the log (Enter keeps it, Esc clears it)", id="search"
                )
                yield LogView(id="log")
        yield KeyFooter()

    def on_mount(self) -> None:
        search = self.query("#search").first(Input) if self.query("#search") else None
        if search is None:  # torn down while starting (the app quit meanwhile)
            return
        search.display = False
        # Every widget was just styled for the current theme.
        self._styled_for = self.app.theme_variables
        if self.integration_id:
            self._open()

    def render_ahead(self) -> None:
        """Render every widget once while the screen is built ahead and hidden, so its
        first showing reuses their lines instead of rendering each of them then. (Public
        Line-API calls: what is rendered here is shown nowhere.)"""
        if self.is_current or self.integration_id:
            return  # shown already
        for widget in self.query(Widget):
            width, height = widget.size
            if width and height:
                widget.render_lines(Region(0, 0, width, height))

    def show_integration(self, integration_id: str) -> None:
        """Show another integration: the screen is built once and reused (the app keeps it
        installed), and looks and behaves as a newly opened one."""
        self.integration_id = integration_id
        self._reset()
        if not self.is_mounted:
            return  # on_mount opens it
        search = self.query_one("#search", Input)
        if search.value:
            search.value = ""
        search.display = False
        self.query_one(SyncList).set_items([], 0)
        self.query_one("#detail-body").set_class(self.app.size.width < NARROW_WIDTH, "narrow")
        self._open()

    def _open(self) -> None:
        # The first paint shows the screen with the integration's title (cheap); the facts
        # (Rich tables) follow right after it, and syncs, history, issues and the log when
        # the worker has loaded them.
        self._show_title()
        self.show_log()
        self.show_sync_url()
        self.query_one(SyncList).focus()
        self.ask(DetailWanted(self.integration_id))
        self.call_after_refresh(self.show_facts)

    def _show_title(self) -> None:
        row = self.row
        pane = self.query_one("#detail-left", TextPane)
        if row is None:
            pane.show(self._no_such_integration(), scroll_home=True)
        else:
            pane.show(title_text(self.app, row), scroll_home=True)

    def _no_such_integration(self) -> Text:
        return Text(f"No integration with id {safe_text(self.integration_id)}.")

    def on_screen_resume(self, event: ScreenResume) -> None:
        # Textual restyles every widget of a resumed screen. Opening the drill-down again
        # needs that only if the theme changed while it was hidden.
        variables = self.app.theme_variables
        if self._styled_for is variables:
            event.refresh_styles = False
        self._styled_for = variables

    def on_resize(self, event: Resize) -> None:
        for body in self.query("#detail-body"):  # none while the app tears it down
            body.set_class(event.size.width < NARROW_WIDTH, "narrow")
            # The log's header says as much as fits its new width (once laid out).
            self.call_after_refresh(self.show_log_title)

    # -- what actions apply to ----------------------------------------------------------

    def action_targets(self) -> list[IntegrationRow]:
        row = self.row
        return [row] if row is not None else []

    # -- data ---------------------------------------------------------------------------

    def show_facts(self) -> None:
        """The facts, and the history below them once it is loaded."""
        row = self.row
        pane = self.query_one("#detail-left", TextPane)
        if row is None:
            pane.show(self._no_such_integration())
            return
        now = self.model.now
        mark = self.model.kombo.get(row.id)
        attention = self.model.attention.get(row.id)
        key = (row, now, self.app.theme_variables, mark, attention)
        if self._facts is None or self._facts[0] != key:
            facts = facts_text(self.app, row, now, kombo=mark, attention=attention)
            self._facts = (key, RenderOnce(facts))
        parts: list[RenderableType] = [self._facts[1]]
        for part in (self._timeline_part(), self._kombo, self._history):
            if part is not None:
                parts += [Text(), part]
        pane.show(*parts, scroll_home=self._history is None)
        self.refresh_bindings()

    def _timeline_part(self) -> RenderOnce | None:
        """The timeline over the chosen window, once the history is loaded (remade when the
        history, the clock, the window or the theme changed)."""
        if self._history is None:  # not loaded yet
            return None
        key = (id(self.history), self.model.now, self.timeline_window, self.app.theme_variables)
        if self._timeline is None or self._timeline[0] != key:
            name = self.timeline_window
            span = timeline(self.history, self.model.now, WINDOWS[name])
            self._timeline = (key, RenderOnce(TimelineView(self.app, span, name)))
        return self._timeline[1]

    def row_changed(self) -> None:
        """The app saw this integration change: refresh facts; follow reloads syncs/log."""
        self.show_facts()
        if self.follow:
            self.ask(DetailWanted(self.integration_id))

    def show_detail(self, message: DetailLoaded) -> None:
        self.history = message.history
        self.audit = message.audit
        self.issues = message.issues
        self.upstream = message.upstream
        self._show_kombo()
        self.show_history()
        previous = self.sync_id
        self.syncs = message.syncs
        sync_list = self.query_one(SyncList)
        ids = [s.id for s in self.syncs]
        if not self.loaded:
            row = self.row
            wanted = row.last_sync_id if row and row.last_sync_id in ids else None
            index = ids.index(wanted) if wanted else 0
        elif self.follow:
            index = 0
        else:
            index = ids.index(previous) if previous in ids else sync_list.cursor
        self.loaded = True
        sync_list.set_items(self.syncs, index)
        selected = sync_list.cursor_item
        self.sync_id = selected.id if selected else None
        self.show_sync_url()
        if self.sync_id is not None and (self.sync_id != previous or self.follow):
            self.ask(LogsWanted(self.integration_id, self.sync_id))
        elif self.sync_id is None:
            self.logs = []
            self.show_log()

    def _show_kombo(self) -> None:
        """Kombo's part (gone upstream, last pull, issues), shown by :meth:`show_facts`."""
        row = self.row
        section = kombo_section(
            self.app,
            self.integration_id,
            self.issues,
            self.upstream,
            row.deleted if row is not None else False,
            self.model.now,
        )
        self._kombo = RenderOnce(section) if section is not None else None

    def selected_sync(self) -> SyncRow | None:
        return self.query_one(SyncList).cursor_item

    def show_sync_url(self) -> None:
        """The selected sync's Kombo log link (one line: no layout pass)."""
        sync = self.selected_sync() if self.loaded else None
        muted = colour_style(self.app, "$text-muted")
        line = Text(no_wrap=True, overflow="ellipsis")
        if not self.loaded:
            pass  # blank until the syncs are loaded
        elif sync is None:
            line.append("Kombo log: no sync", muted)
        elif sync.log_url:
            line.append("Kombo log ", Style(bold=True))
            # A link (OSC 8) only to a plain http(s) URL; anything else is text only.
            target = link_target(sync.log_url)
            line.append(
                safe_text(sync.log_url), Style(link=target, underline=True) if target else muted
            )
            line.append("  (u copies it)", muted)
        else:
            line.append(f"Kombo log: none for {safe_text(sync.id)} (not reported by Kombo)", muted)
        self.query_one("#sync-url", Static).update(line, layout=False)

    def action_copy_log_url(self) -> None:
        sync = self.selected_sync()
        if sync is None or not sync.log_url:
            self.notify(
                "The selected sync has no Kombo log URL (only syncs Kombo reported have one).",
                severity="warning",
                markup=False,
            )
            return
        browser.copy_and_tell(self.app, sync.log_url, "Log URL copied")

    def action_copy_id(self) -> None:
        """Copy this integration's id (``y``, as on the list)."""
        if self.integration_id:
            browser.copy_and_tell(self.app, self.integration_id, "Id copied")

    def show_history(self) -> None:
        muted = colour_style(self.app, "$text-muted")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True, style=muted)
        grid.add_column(no_wrap=True)
        grid.add_column()
        items = list(reversed(attributed_history(self.history, self.audit)))
        for i, item in enumerate(items):
            entry = item.change
            by = f"by {actor_text(item.actor, item.db_role)}" if item.action is not None else ""
            change = Text()
            if entry is None:
                # An action that changed no state (credentials updated on an active one).
                assert item.action is not None
                change.append(action_label(item.action.action), Style(bold=True))
                change.append("\n")
                change.append(f"{by}, no change of state", muted)
                marker = Text("◇", muted)
                marker.append("\n│" if i < len(items) - 1 else "", muted)
                grid.add_row(fmt_time(item.at), marker, change)
                continue
            if entry.from_state is not None:
                change.append(
                    f"{entry.from_state.glyph} {entry.from_state.label} → ",
                    state_style(self.app, entry.from_state),
                )
            change.append(
                f"{entry.to_state.glyph} {entry.to_state.label}",
                state_style(self.app, entry.to_state) + Style(bold=True),
            )
            change.append("\n")
            change.append(shown_reason(entry.reason), muted)
            if by:
                change.append(f" · {by}", muted)
            marker = Text("●" if i == 0 else "○", state_style(self.app, entry.to_state))
            marker.append("\n│" if i < len(items) - 1 else "", muted)
            grid.add_row(fmt_time(entry.at), marker, change)
        title = Text("State history, newest first", Style(bold=True, underline=True))
        body: Table | Text = grid if self.history else Text("No state changes recorded.", muted)
        self._history = RenderOnce(Group(title, body))
        self.show_facts()

    @on(LineList.CursorMoved, "#syncs")
    def _sync_moved(self) -> None:
        selected = self.query_one(SyncList).cursor_item
        if selected is not None and selected.id != self.sync_id:
            self.sync_id = selected.id
            self.show_sync_url()
            self.ask(LogsWanted(self.integration_id, selected.id))

    def show_logs(self, message: LogsLoaded) -> None:
        if message.sync_id != self.sync_id:
            return  # an older request; the cursor moved on
        self.logs = message.logs
        self.logs_for = message.sync_id
        self.show_log()

    def visible_logs(self) -> list[LogRow]:
        logs = self.logs
        if self.issues_only:
            logs = [e for e in logs if e.level in (LogLevel.WARNING.value, LogLevel.ERROR.value)]
        if self.search_text:
            needle = self.search_text.casefold()
            logs = [
                e
                for e in logs
                if needle in e.message.casefold() or needle in (e.field or "").casefold()
            ]
        return logs

    def show_log(self) -> None:
        shown = self.visible_logs()
        empty = "No log entries" + (" match." if self.logs else ".")
        if self.sync_id is not None and self.logs_for != self.sync_id:
            empty = "Loading the log ..."
        if not self.newest_first:
            shown = shown[::-1]
        self.query_one(LogView).show(
            shown,
            wrap=self.wrap,
            search=self.search_text,
            empty=empty,
            # Oldest first and following, the newest entries are at the bottom: shown there.
            at_end=self.follow and not self.newest_first,
        )
        self._shown_count = len(shown)
        self.show_log_title()

    def show_log_title(self) -> None:
        """The log's header for the title's width: which sync, how many entries, in which
        order, and the toggles (levels, wrap, follow), in shorter words rather than cut;
        a search text (data: shown literally) comes last, and is what gets cut."""
        title_bar = self.query_one("#log-title", Static)
        width = title_bar.content_region.width or max(self.app.size.width - 2, 20)
        muted = colour_style(self.app, "$text-muted")
        bold = Style(bold=True)
        sync = safe_text(self.sync_id or "(no sync)")
        order = "newest first" if self.newest_first else "oldest first"

        def parts(short: int) -> list[Text]:
            out = [
                Text("Log" if short >= 2 else f"Log of {sync}", bold),
                Text(
                    f"{self._shown_count}/{len(self.logs)}"
                    if short
                    else f"{self._shown_count} of {len(self.logs)} entries",
                    muted,
                ),
                Text(f"{order} (o)" if short < 3 else order, muted),
                Text(
                    ("warn+err" if short else "warnings+errors only")
                    if self.issues_only
                    else ("all" if short >= 3 else "all levels"),
                    muted,
                ),
                Text("wrap" if self.wrap else "no wrap", muted),
                Text(
                    ("follow on" if short else "following")
                    if self.follow
                    else ("follow off" if short else "not following"),
                    bold if short >= 3 else muted,
                ),
            ]
            if self.search_text:
                out.append(Text(f"search: {safe_text(self.search_text)}", muted))
            return out

        title = join_fitting([parts(n) for n in range(4)], ("  ·  ", " · "), width)
        # One line high (CSS): no layout pass.
        title_bar.update(title, layout=False)

    # -- keys ---------------------------------------------------------------------------

    def action_back(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus or self.search_text:
            search.value = ""
            search.display = False
            self.search_text = ""
            self.query_one(SyncList).focus()
            return
        self.dismiss(None)

    def action_toggle_issues(self) -> None:
        self.issues_only = not self.issues_only

    def action_toggle_wrap(self) -> None:
        self.wrap = not self.wrap

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow

    def action_toggle_timeline(self) -> None:
        names = list(WINDOWS)
        self.timeline_window = names[(names.index(self.timeline_window) + 1) % len(names)]

    def watch_timeline_window(self) -> None:
        self.show_facts()

    def watch_issues_only(self) -> None:
        self.show_log()

    def watch_wrap(self) -> None:
        self.show_log()

    def action_toggle_order(self) -> None:
        self.newest_first = not self.newest_first

    def watch_newest_first(self) -> None:
        self.show_log()

    def watch_follow(self, follow: bool) -> None:
        self.show_log()
        if follow:
            self.ask(DetailWanted(self.integration_id))

    def validate_search_text(self, text: str) -> str:
        return text.strip()

    def watch_search_text(self) -> None:
        self.show_log()

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        search.value = self.search_text
        search.focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search_text = event.value

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        search = self.query_one("#search", Input)
        search.display = bool(search.value)
        self.query_one(LogView).focus()

    def action_switch_focus(self) -> None:
        syncs = self.query_one(SyncList)
        if syncs.has_focus:
            self.query_one(LogView).focus()
        else:
            syncs.focus()
