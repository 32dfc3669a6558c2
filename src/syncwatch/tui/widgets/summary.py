"""The summary bar (count per state) and the status line (live/paused, filters, sort)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from syncwatch.states import STATES_BY_SEVERITY
from syncwatch.store import IntegrationRow
from syncwatch.tui.colours import colour_style, state_style


class _TextStatic(Static):
    """A Static that skips the update (and the layout pass) when its text is unchanged."""

    _shown: Text | None = None

    def show(self, text: Text) -> None:
        if self._shown is not None and self._shown == text:
            return
        self._shown = text
        self.update(text)


class SummaryBar(_TextStatic):
    """How many integrations are in each of the nine states, worst first."""

    DEFAULT_CSS = """
    SummaryBar { height: auto; padding: 0 1; background: $boost; }
    """

    def show_counts(self, rows: Iterable[IntegrationRow]) -> None:
        counts = Counter(r.state for r in rows)
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
