"""The drill-down's timeline: an integration's states over the last 7 (or 30) days as a strip
as wide as the pane, its transitions marked beneath, and its availability.

A Rich renderable drawn at the width it is given (the drill-down's left pane renders it once
per width). Each cell shows the worst state of its stretch of time by the state's glyph, in
the state's colour (:mod:`syncwatch.tui.colours`): it reads without colour too.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.style import Style
from rich.text import Text
from textual.app import App

from syncwatch.present import fmt_duration, fmt_time
from syncwatch.trends import WINDOW_WORDS, WINDOWS, Timeline, availability_text
from syncwatch.tui.colours import colour_style, state_style

#: Beneath a cell in which the state changed.
TRANSITION_MARK = "╵"
#: A cell before anything was recorded.
UNKNOWN_CELL = "·"
#: The key that switches between the windows (named in the title).
TOGGLE_KEY = "t"


class TimelineView:
    """``timeline`` (over the window named ``name``) as a few lines of text."""

    def __init__(self, app: App[object], timeline: Timeline, name: str) -> None:
        self.app = app
        self.timeline = timeline
        self.name = name

    def lines(self, width: int) -> list[Text]:
        """The title, the strip, the transition marks with the window's ends, availability
        and time per state."""
        app, tl = self.app, self.timeline
        muted = colour_style(app, "$text-muted")
        other = next(n for n in WINDOWS if n != self.name)
        title = Text(
            f"Timeline, last {WINDOW_WORDS[self.name]}",
            Style(bold=True, underline=True),
        )
        title.append(f"  ({TOGGLE_KEY}: {WINDOW_WORDS[other]})", muted)
        width = max(width, 8)
        strip = Text(no_wrap=True, overflow="crop")
        marks = Text(no_wrap=True, overflow="crop")
        cells = tl.cells(width)
        for state, marked in cells:
            if state is None:
                strip.append(UNKNOWN_CELL, muted)
            else:
                strip.append(state.glyph, state_style(app, state))
            marks.append(TRANSITION_MARK if marked else " ", muted)
        ends = Text(no_wrap=True, overflow="crop")
        left, right = fmt_time(tl.start, tl.end), "now"
        ends.append(left.ljust(max(width - len(right), len(left) + 1)) + right, muted)
        avail = Text(availability_text(tl, self.name), Style(bold=True))
        shares = Text()
        for i, (state, spent) in enumerate(tl.shares()):
            if i:
                shares.append("  ·  ", muted)
            shares.append(f"{state.glyph} {state.label}", state_style(app, state))
            shares.append(f" {fmt_duration(spent)}", muted)
        changes = len(tl.transitions)
        if shares:
            shares.append("  ·  ", muted)
        shares.append(f"{changes} state change{'' if changes == 1 else 's'}", muted)
        return [title, strip, marks, ends, avail, shares]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.lines(options.max_width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(8, options.max_width)
