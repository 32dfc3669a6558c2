"""A sync's log on the Line API: only the entries in view are rendered.

Writing thousands of entries into a ``Log``/``RichLog`` renders every one of them up front.
Here showing 5,000 entries costs one pass over their lengths: with wrapping on, an entry
that fits the pane's width takes one line (known from its length alone), and a longer one
is folded between words under a hanging indent (a word longer than a line is cut, as a
terminal would), worked out from its plain text: the pane knows its height without
rendering anything. The entries in view are rendered when painted, and kept for a while.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate

from rich.cells import cell_len, get_character_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from syncwatch.limits import cap_message
from syncwatch.present import fmt_time, safe_text
from syncwatch.rows import LogRow
from syncwatch.tui.colours import colour_style, level_style
from syncwatch.tui.widgets.line_list import set_virtual_size

#: Narrower than this, continuation lines are not indented.
_MIN_TEXT_WIDTH = 16
_LEVEL_WIDTH = 7


def _cells(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


def _one_line(text: str) -> str:
    """Text from a log entry as the view draws it: safe
    (:func:`~syncwatch.present.safe_text`: escape sequences, CR and BEL shown visibly, bidi
    and zero-width characters neutralised), with line breaks (U+2028 and U+2029 too) and
    tabs as spaces, as an entry is drawn on lines of its own. A message longer than
    :data:`~syncwatch.limits.MESSAGE_LIMIT` (stored before that limit) is folded there,
    saying how long it was: its lines are then counted and drawn as quickly as any."""
    shown = safe_text(cap_message(text), multiline=True)
    if "\n" in shown or "\t" in shown:
        shown = shown.replace("\n", " ").replace("\t", " ")
    return shown


def entry_prefix(entry: LogRow) -> str:
    """Time and level, before the message."""
    return f"{fmt_time(entry.at)}  {entry.level:<{_LEVEL_WIDTH}}  "


def entry_body(entry: LogRow) -> str:
    """The message and the field it is about (plain text)."""
    message = _one_line(entry.message)
    return f"{message}  [{_one_line(entry.field)}]" if entry.field else message


class LogView(ScrollView, can_focus=True):
    """Log entries, one per line (folded to the width when wrapping)."""

    DEFAULT_CSS = """
    LogView {
        overflow-y: scroll;
        overflow-x: auto;
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._entries: Sequence[LogRow] = ()
        self.wrap = True
        self.search = ""
        self._empty = ""
        #: Per entry: its prefix and body widths in cells.
        self._widths: list[tuple[int, int]] = []
        #: Line where each entry starts (wrapping), and the total after the last.
        self._starts: list[int] = [0]
        self._layout_for: tuple[int, bool] | None = None
        #: Rendered entries: index -> its lines; valid for one paint token.
        self._rendered: dict[int, list[Strip]] = {}
        self._token: object = None
        self._paint: tuple[int, Style] = (0, Style())

    @property
    def entries(self) -> Sequence[LogRow]:
        return self._entries

    def show(
        self,
        entries: Sequence[LogRow],
        *,
        wrap: bool,
        search: str = "",
        empty: str = "",
        at_end: bool = False,
    ) -> None:
        """Show ``entries`` from the top (``at_end``: scrolled to the last one);
        ``search`` is highlighted; ``empty`` is shown when there are none."""
        self._entries = entries
        self.wrap = wrap
        self.search = search
        self._empty = empty
        self._widths = [(_cells(entry_prefix(e)), _cells(entry_body(e))) for e in entries]
        self._layout_for = None
        self._rendered.clear()
        self.scroll_to(0, 0, animate=False, immediate=True)
        self._lay_out()
        if at_end:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    @property
    def _text_width(self) -> int:
        return self.scrollable_content_region.width or self.size.width

    def _lay_out(self) -> None:
        """Work out how many lines each entry takes (from widths alone) and the size."""
        width = self._text_width
        if width <= 0:
            return
        key = (width, self.wrap)
        if key == self._layout_for:
            return
        self._layout_for = key
        self._rendered.clear()
        if not self._entries:
            self._starts = [0, 1]
            set_virtual_size(self, Size(_cells(self._empty), 1))
            return
        if not self.wrap:
            self._starts = list(range(len(self._entries) + 1))
            longest = max(p + b for p, b in self._widths)
            set_virtual_size(self, Size(longest, len(self._entries)))
            return
        heights = (self._height(i, width) for i in range(len(self._entries)))
        self._starts = [0, *accumulate(heights)]
        set_virtual_size(self, Size(width, self._starts[-1]))

    def _height(self, index: int, width: int) -> int:
        prefix, body = self._widths[index]
        if prefix + body <= width:
            return 1
        return len(self._folds(index, width))

    def _folds(self, index: int, width: int) -> list[tuple[int, int]]:
        """Where entry ``index`` is folded at ``width``: its lines as character ranges of
        its plain text (prefix and body)."""
        entry = self._entries[index]
        prefix = self._widths[index][0]
        indent = prefix if width - prefix >= _MIN_TEXT_WIDTH else 0
        plain = entry_prefix(entry) + entry_body(entry)
        return fold_words(plain, width, max(width - indent, 1), len(entry_prefix(entry)))

    def on_resize(self, _event: events.Resize) -> None:
        self._lay_out()

    # -- painting -------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        self._lay_out()
        # Resolving the style walks the DOM: once per paint, not once per line.
        base = self.rich_style
        self._paint = (self._text_width, base)
        token = (self._layout_for, self.app.theme_variables, base)
        if token != self._token:
            self._token = token
            self._rendered.clear()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width, base = self._paint
        line = int(self.scroll_offset.y) + y
        if not self._entries:
            if line == 0 and self._empty:
                # One styled segment (a span-less Text renders unstyled: see LineList).
                muted = base + colour_style(self.app, "$text-muted")
                return self._fit(Strip([Segment(safe_text(self._empty), muted)]), width, base)
            return Strip.blank(width, base)
        if not 0 <= line < self._starts[-1]:
            return Strip.blank(width, base)
        index = bisect_right(self._starts, line) - 1
        lines = self._rendered.get(index)
        if lines is None:
            if len(self._rendered) > 512:
                self._rendered.clear()
            lines = self._rendered[index] = self._render_entry(index, width, base)
        at = line - self._starts[index]
        strip = lines[at] if at < len(lines) else Strip.blank(width, base)
        return self._fit(strip, width, base)

    def _fit(self, strip: Strip, width: int, base: Style) -> Strip:
        if not self.wrap:
            x = int(self.scroll_offset.x)
            strip = strip.crop(x, x + width)
        return strip.adjust_cell_length(width, base)

    def entry_text(self, entry: LogRow) -> Text:
        """One entry as styled text (database text is never read as markup)."""
        muted = colour_style(self.app, "$text-muted")
        line = Text()
        line.append(f"{fmt_time(entry.at)}  ", muted)
        line.append(f"{entry.level:<{_LEVEL_WIDTH}}", level_style(self.app, entry.level))
        line.append("  ")
        line.append(_one_line(entry.message))
        if entry.field:
            line.append(f"  [{_one_line(entry.field)}]", muted)
        if self.search:
            highlight = colour_style(self.app, "$accent") + Style(bold=True, reverse=True)
            line.highlight_words([self.search], highlight, case_sensitive=False)
        return line

    def _render_entry(self, index: int, width: int, base: Style) -> list[Strip]:
        text = self.entry_text(self._entries[index])
        console = self.app.console
        if not self.wrap or self._height(index, width) == 1:
            return [Strip(Segment.apply_style(list(text.render(console)), base))]
        prefix = self._widths[index][0]
        indent = prefix if width - prefix >= _MIN_TEXT_WIDTH else 0
        folds = self._folds(index, width)
        # One divide at every fold (not a slice per line: a 64,000-character entry has
        # thousands of lines); the pieces between a line's end and the next line's start
        # are the spaces a fold falls on, not shown.
        cuts = sorted({at for span in folds for at in span} - {0, len(text)})
        pieces = dict(zip([0, *cuts], text.divide(cuts), strict=True))
        pad = Segment(" " * indent, base)
        lines: list[Strip] = []
        for n, (start, _end) in enumerate(folds):
            segments = Segment.apply_style(list(pieces[start].render(console)), base)
            lines.append(Strip([pad, *segments] if n else list(segments)))
        return lines


def fold_words(text: str, first: int, step: int, keep: int = 0) -> list[tuple[int, int]]:
    """``text`` folded into lines of ``first`` cells, then ``step`` cells each, between
    words: the character range of each line. A fold falls on spaces (they are not shown:
    the next line starts after them); a word longer than a line is cut where the line
    ends, and so is a wide character that does not fit the end of a line before the next
    one. The first ``keep`` characters (time and level) are never folded between."""
    ranges: list[tuple[int, int]] = []
    n = len(text)
    plain = text.isascii()
    start, room = 0, first
    while start < n:
        if plain:
            end = min(n, start + room)
        else:
            end, used = start, 0
            while end < n:
                size = get_character_cell_size(text[end])
                if used + size > room:
                    break
                used += size
                end += 1
            end = max(end, start + 1)  # wider than a whole line: it stays
        if end >= n:
            ranges.append((start, n))
            break
        cut = end
        if text[end] != " ":
            space = text.rfind(" ", max(start + 1, keep), end)
            if space != -1:
                cut = space
        ranges.append((start, cut))
        start = cut
        while start < n and text[start] == " ":
            start += 1
        room = step
    return ranges or [(0, 0)]
