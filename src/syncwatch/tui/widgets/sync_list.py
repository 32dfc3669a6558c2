"""An integration's syncs, newest first, on the Line API."""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style

from syncwatch.present import SYNC_WORDS, fmt_duration, fmt_time
from syncwatch.rows import SyncRow
from syncwatch.tui.colours import colour_style
from syncwatch.tui.widgets.line_list import LineList, cell

_COLUMNS: tuple[tuple[str, int, bool], ...] = (
    ("Started", 12, False),
    ("Type", 5, False),
    ("State", 21, False),
    ("Duration", 9, True),
    ("Warn", 4, True),
    ("Err", 4, True),
)


class SyncList(LineList[SyncRow]):
    """Syncs with type, state, duration, warnings and errors."""

    show_header: ClassVar[bool] = True

    def render_header(self, width: int, base: Style) -> list[Segment]:
        segments = [Segment(" ", base)]
        for title, w, right in _COLUMNS:
            segments += [cell(title, w, base, right=right), Segment(" ", base)]
        return segments

    def render_item(self, item: SyncRow, index: int, width: int, base: Style) -> list[Segment]:
        word, colour = SYNC_WORDS[item.state]
        duration = fmt_duration(item.ended_at - item.started_at) if item.ended_at else "running"
        warn = colour_style(self.app, "$warning" if item.warnings else "$text-muted")
        err = colour_style(self.app, "$error" if item.errors else "$text-muted")
        state_text = item.state.value.lower().replace("_", " ")
        values: list[tuple[str, Style]] = [
            (fmt_time(item.started_at), Style()),
            (item.type, Style()),
            (state_text if word != "ok" else "succeeded", colour_style(self.app, colour)),
            (duration, Style()),
            (str(item.warnings), warn),
            (str(item.errors), err),
        ]
        segments = [Segment(" ", base)]
        for (text, style), (_, w, right) in zip(values, _COLUMNS, strict=True):
            segments += [cell(text, w, base + style, right=right), Segment(" ", base)]
        return segments
