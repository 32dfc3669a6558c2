"""A sync's log on the Line API: only the entries in view are rendered.

Writing thousands of entries into a ``Log``/``RichLog`` renders every one of them up front.
Here showing 5,000 entries costs one pass over their lengths: with wrapping on, a long
entry is folded at the pane's width (as a terminal does) under a hanging indent, so how
many lines it takes follows from its length alone and the pane knows its height without
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
        self, entries: Sequence[LogRow], *, wrap: bool, search: str = "", empty: str = ""
    ) -> None:
        """Show ``entries`` from the top; ``search`` is highlighted; ``empty`` is shown when
        there are none."""
        self._entries = entries
        self.wrap = wrap
        self.search = search
        self._empty = empty
        self._widths = [(_cells(entry_prefix(e)), _cells(entry_body(e))) for e in entries]
        self._layout_for = None
        self._rendered.clear()
        self.scroll_to(0, 0, animate=False, immediate=True)
        self._lay_out()
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
        heights = (self._height(p, b, width) for p, b in self._widths)
        self._starts = [0, *accumulate(heights)]
        set_virtual_size(self, Size(width, self._starts[-1]))

    @staticmethod
    def _height(prefix: int, body: int, width: int) -> int:
        indent = prefix if width - prefix >= _MIN_TEXT_WIDTH else 0
        first = max(width - prefix, 1)
        if body <= first:
            return 1
        return 1 + -(-(body - first) // max(width - indent, 1))

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
        segments = list(self.entry_text(self._entries[index]).render(self.app.console))
        whole = Strip(Segment.apply_style(segments, base))
        if not self.wrap:
            return [whole]
        prefix, body = self._widths[index]
        height = self._height(prefix, body, width)
        if height == 1:
            return [whole]
        indent = prefix if width - prefix >= _MIN_TEXT_WIDTH else 0
        step = max(width - indent, 1)
        first, *rest = _fold(whole, width, step)
        pad = Segment(" " * indent, base)
        return [Strip(first)] + [Strip([pad, *part]) for part in rest]


def _fold(strip: Strip, first: int, step: int) -> list[list[Segment]]:
    """The segments of ``strip`` folded into lines: ``first`` cells, then ``step`` cells
    each. One pass over the text (Strip.divide measures what is left at every cut: a
    64,000-character entry took seconds). A wide character that does not fit the end of a
    line starts the next one, as a terminal does."""
    lines: list[list[Segment]] = [[]]
    room = first
    for segment in strip:
        text, style = segment.text, segment.style
        ascii_text = text.isascii()
        while text:
            if room <= 0:
                lines.append([])
                room = step
            if ascii_text:
                cut = min(room, len(text))
                used = cut
            else:
                cut = used = 0
                for ch in text:
                    size = get_character_cell_size(ch)
                    if used + size > room:
                        break
                    cut += 1
                    used += size
                if cut == 0:  # a wide character at the end of a line
                    if room == (first if len(lines) == 1 else step):
                        cut, used = 1, room  # wider than a whole line: it stays
                    else:
                        room = 0
                        continue
            lines[-1].append(Segment(text[:cut], style))
            text = text[cut:]
            room -= used
    return lines
