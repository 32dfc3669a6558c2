"""The summary bar (count per state) and the status line (live/paused, filters, sort)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from syncwatch.states import STATES_BY_SEVERITY, IntegrationState
from syncwatch.store import IntegrationRow
from syncwatch.tui.colours import colour_style, state_style
from syncwatch.tui.widgets.statics import update_static


class _TextStatic(Static):
    """A Static that skips the update (and the layout pass) when its text is unchanged."""

    _shown: Text | None = None
    #: What the shown text was made from (and the theme variables it was resolved in).
    _shown_key: object = None

    def unchanged(self, key: object) -> bool:
        """True if the text for ``key`` is the one shown (nothing to build or update)."""
        key = (key, self.app.theme_variables)
        if self._shown_key is not None and self._shown_key == key:
            return True
        self._shown_key = key
        return False

    def show(self, text: Text) -> None:
        if self._shown is not None and self._shown == text:
            return
        self._shown = text
        update_static(self, text)


class SummaryBar(_TextStatic):
    """How many integrations are in each of the nine states, worst first."""

    DEFAULT_CSS = """
    SummaryBar { height: auto; padding: 0 1; background: $boost; }
    """

    def show_counts(
        self, rows: Iterable[IntegrationRow] | Mapping[IntegrationState | None, int]
    ) -> None:
        """Show the counts per state: of ``rows``, or counts the caller keeps up to date."""
        counts = rows if isinstance(rows, Mapping) else Counter(r.state for r in rows)
        if self.unchanged(tuple(counts.get(state, 0) for state in STATES_BY_SEVERITY)):
            return
        text = Text(no_wrap=False)
        for state in STATES_BY_SEVERITY:
            n = counts.get(state, 0)
            style = state_style(self.app, state)
            if not n:
                style = colour_style(self.app, "$text-disabled")
            text.append(f"{state.glyph} {state.label} ", style)
            text.append(str(n), style + Style(bold=bool(n)))
            text.append("   ")
        text.rstrip()
        self.show(text)


class StatusLine(_TextStatic):
    """Live or paused, what is filtered, how it is sorted, how many are marked."""

    DEFAULT_CSS = """
    StatusLine { height: 1; padding: 0 1; color: $text-muted; }
    """

    def show_status(
        self,
        *,
        paused: bool,
        live: bool,
        interval: float,
        read_only: bool,
        shown: int,
        total: int,
        view: str,
        filter_text: str,
        show_deleted: bool,
        sort: str,
        marks: int,
    ) -> None:
        key = (paused, live, interval, read_only, shown, total, view, filter_text)
        if self.unchanged((*key, show_deleted, sort, marks)):
            return
        text = Text(no_wrap=True, overflow="ellipsis")
        if paused:
            text.append("⏸ PAUSED", colour_style(self.app, "$warning", bold=True))
        elif live:
            text.append(f"● live, every {interval:g} s", colour_style(self.app, "$success"))
        else:
            text.append("○ live refresh off", colour_style(self.app, "$text-muted"))
        if read_only:
            text.append("  ·  ")
            text.append("READ-ONLY", colour_style(self.app, "$error", bold=True))
        text.append(f"  ·  {shown} of {total} shown  ·  view: {view}")
        if filter_text:
            text.append("  ·  filter: ")
            text.append(filter_text, Style(bold=True))
        text.append(f"  ·  deleted {'shown' if show_deleted else 'hidden'}")
        text.append(f"  ·  sort: {sort}")
        if marks:
            text.append("  ·  ")
            text.append(f"{marks} marked", colour_style(self.app, "$accent", bold=True))
        self.show(text)
