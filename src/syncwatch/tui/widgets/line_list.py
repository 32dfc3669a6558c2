"""A fast list with a cursor on Textual's Line API.

Rows live in a plain Python list and only the lines on screen are rendered, so a list of
100,000 rows paints as fast as one of ten. An optional header line stays put while the rows
scroll beneath it.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import ClassVar, Generic, TypeVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from syncwatch.present import safe_text
from syncwatch.tui.keys import CURSOR_KEYS, bindings

T = TypeVar("T")


def set_virtual_size(view: ScrollView, size: Size) -> None:
    """Set a scroll view's virtual size, without a layout pass when the scrollbars stay.

    Textual lays out the whole screen again when a virtual size changes (it may show or
    hide a scrollbar, which changes the content width). A Line-API view whose row count
    changed while its scrollbars stay shown or hidden only needs its scrollbar told and
    itself repainted. Public API only: ``set_reactive`` skips the layout, and the
    scrollbars' ``window_virtual_size`` is what a layout would have set.
    """
    if size == view.virtual_size:
        return
    width, height = view.container_size
    if not view.is_mounted or not width or not height:
        view.virtual_size = size
        return
    styles = view.styles
    bar_v, bar_h = styles.scrollbar_size_vertical, styles.scrollbar_size_horizontal
    show_v = styles.overflow_y == "scroll" or (styles.overflow_y == "auto" and size.height > height)
    show_h = styles.overflow_x == "scroll" or (
        styles.overflow_x == "auto" and size.width > width - (bar_v if show_v else 0)
    )
    if not show_v and show_h and styles.overflow_y == "auto":
        show_v = size.height > height - bar_h
    if (show_v, show_h) != (view.show_vertical_scrollbar, view.show_horizontal_scrollbar):
        view.virtual_size = size  # a scrollbar comes or goes: the layout changes
        return
    view.set_reactive(ScrollView.virtual_size, size)
    if show_v and bar_v:
        view.vertical_scrollbar.window_virtual_size = size.height
    if show_h and bar_h:
        view.horizontal_scrollbar.window_virtual_size = size.width
    if view.scroll_y > view.max_scroll_y or view.scroll_x > view.max_scroll_x:
        view.scroll_to(
            x=min(view.scroll_x, view.max_scroll_x),
            y=min(view.scroll_y, view.max_scroll_y),
            animate=False,
            immediate=True,
        )
    view.refresh()


def cell(text: str, width: int, style: Style, *, right: bool = False) -> Segment:
    """``text`` padded or cut to exactly ``width`` cells (cut text ends with an ellipsis).

    Every cell of a list goes through here, and most show data (an organisation, a tool,
    an id): it is made safe to show first (:func:`~syncwatch.present.safe_text`), so no
    control character reaches the terminal and no bidi override reorders the row."""
    if width <= 0:
        return Segment("", style)
    text = safe_text(text)
    length = cell_len(text)
    if length > width:
        return Segment(set_cell_size(set_cell_size(text, width - 1) + "…", width), style)
    if length < width:
        pad = " " * (width - length)
        text = pad + text if right else text + pad
    return Segment(text, style)


class LineList(ScrollView, Generic[T], can_focus=True):
    """A scrolling list of rows with a cursor; subclasses say how a row is drawn."""

    BINDINGS: ClassVar[list[BindingType]] = bindings(CURSOR_KEYS)

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "line-list--cursor",
        "line-list--header",
        "line-list--muted",
    }

    DEFAULT_CSS = """
    /* The vertical scrollbar always shows: a list that grows past its height (or
       shrinks) is then only repainted, never the cause of a layout pass. */
    LineList {
        background: $surface;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
        overflow-y: scroll;
    }
    LineList > .line-list--cursor {
        background: $block-cursor-blurred-background;
        text-style: bold;
    }
    /* A tint, not solid $primary: state colours on the cursor row must stay readable. */
    LineList:focus > .line-list--cursor {
        background: $primary 40%;
        text-style: bold;
    }
    LineList > .line-list--header {
        background: $panel;
        color: $text;
        text-style: bold;
    }
    LineList > .line-list--muted {
        color: $text-muted;
    }
    """

    class CursorMoved(Message):
        """The cursor moved to another row (or the row under it changed)."""

        def __init__(self, list_widget: LineList[object], index: int) -> None:
            super().__init__()
            self.list_widget = list_widget
            self.index = index

        @property
        def control(self) -> LineList[object]:
            return self.list_widget

    show_header: ClassVar[bool] = False

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._items: Sequence[T] = []
        self.cursor = 0
        self._posted: object = None
        self._paint_styles: tuple[Style, Style, Style] | None = None
        #: Rendered rows: line_key -> (the item drawn, its strip). Valid for one paint token.
        self._line_cache: dict[Hashable, tuple[object, Strip]] = {}
        self._line_token: Hashable = None
        #: Shown (dimmed) on the first line when there are no items; see :meth:`set_empty_text`.
        self._empty_text = ""
        self._paint_width = 0

    # -- data -------------------------------------------------------------------------

    @property
    def items(self) -> Sequence[T]:
        return self._items

    @property
    def cursor_item(self) -> T | None:
        if 0 <= self.cursor < len(self._items):
            return self._items[self.cursor]
        return None

    def set_items(self, items: Sequence[T], cursor: int | None = None) -> None:
        """Replace the rows; the cursor stays at ``cursor`` (or its index), clamped."""
        self._items = items
        self.cursor = max(0, min(self.cursor if cursor is None else cursor, len(items) - 1))
        self._update_size()
        self._scroll_to_cursor()
        self.refresh()
        self._announce()

    def _update_size(self) -> None:
        header = 1 if self.show_header else 0
        set_virtual_size(self, Size(self.size.width, len(self._items) + header))

    def _announce(self) -> None:
        item = self.cursor_item
        if item is not self._posted:
            self._posted = item
            self.post_message(self.CursorMoved(self, self.cursor))  # type: ignore[arg-type]

    # -- cursor -----------------------------------------------------------------------

    @property
    def _page(self) -> int:
        return max(1, self.size.height - (1 if self.show_header else 0))

    def move_cursor(self, index: int) -> None:
        if not self._items:
            return
        old = self.cursor
        self.cursor = max(0, min(index, len(self._items) - 1))
        if self._scroll_to_cursor():
            self.refresh()
        elif self.cursor != old:
            # Only the two lines the cursor left and reached change.
            self._refresh_index(old)
            self._refresh_index(self.cursor)
        self._announce()

    def _refresh_index(self, index: int) -> None:
        """Repaint the line showing item ``index`` (if it is on screen)."""
        y = index - int(self.scroll_offset.y) + (1 if self.show_header else 0)
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, max(self.virtual_size.width, self.size.width), 1))

    def _scroll_to_cursor(self) -> bool:
        """Scroll so the cursor is on screen; True if that scrolled."""
        page = self._page
        top = int(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + page:
            self.scroll_to(y=self.cursor - page + 1, animate=False, immediate=True)
        else:
            return False
        return True

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor - self._page)

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor + self._page)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self._items) - 1)

    def on_resize(self, _event: events.Resize) -> None:
        self._update_size()
        self._scroll_to_cursor()

    def on_click(self, event: events.Click) -> None:
        header = 1 if self.show_header else 0
        if event.y < header:
            return
        self.move_cursor(int(self.scroll_offset.y) + event.y - header)

    # -- rendering --------------------------------------------------------------------

    def render_header(self, width: int, base: Style) -> list[Segment]:
        """Segments of the header line (subclasses with ``show_header``)."""
        return []

    def render_item(self, item: T, index: int, width: int, base: Style) -> list[Segment]:
        """Segments of one row, ``width`` cells wide, painted over ``base``."""
        raise NotImplementedError

    def line_key(self, item: T) -> Hashable:
        """What, besides the item itself and the cursor, decides how its line looks.

        Return ``None`` to render the line every time. Lines are cached by this key (and
        whether the cursor is on them) while the item is the same object and the paint
        token (width, styles, :meth:`paint_token`) stays the same.
        """
        return None

    def paint_token(self) -> Hashable:
        """Anything else every line depends on (the theme, the clock, ...)."""
        return None

    def set_empty_text(self, text: str) -> None:
        """What the list says while it has no items (repaints only when it changes)."""
        if text != self._empty_text:
            self._empty_text = text
            if not self._items:
                self.refresh()

    def render_lines(self, crop: Region) -> list[Strip]:
        # Resolving styles walks the DOM: do it once per paint, not once per line.
        base = self.rich_style
        self._paint_styles = (
            base,
            base + self.get_component_rich_style("line-list--header"),
            base + self.get_component_rich_style("line-list--cursor"),
        )
        self._paint_width = self.scrollable_content_region.width or self.size.width
        token = (self._paint_width, self._paint_styles, self.paint_token())
        if token != self._line_token:
            self._line_token = token
            self._line_cache.clear()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self._paint_width or self.scrollable_content_region.width or self.size.width
        if self._paint_styles is None:
            base = self.rich_style
            self._paint_styles = (base, base, base)
        base, header_style, cursor_style = self._paint_styles
        header = 1 if self.show_header else 0
        if y < header:
            segments = self.render_header(width, header_style)
            return Strip(segments).adjust_cell_length(width, header_style)
        index = int(self.scroll_offset.y) + y - header
        if index >= len(self._items):
            if index == 0 and self._empty_text:
                # One segment with its style: plain text, never parsed as markup. (Text's
                # render() leaves a span-less text unstyled: a segment without a style,
                # which Textual's NO_COLOR filter cannot take.)
                line = Segment(" " + safe_text(self._empty_text), base + Style(dim=True))
                return Strip([line]).adjust_cell_length(width, base)
            return Strip.blank(width, base)
        item = self._items[index]
        on_cursor = index == self.cursor
        key = self.line_key(item)
        if key is not None:
            key = (key, on_cursor)
            hit = self._line_cache.get(key)
            if hit is not None and hit[0] is item:
                return hit[1]
        if on_cursor:
            base = cursor_style
        strip = Strip(self.render_item(item, index, width, base)).adjust_cell_length(width, base)
        if key is not None:
            if len(self._line_cache) > 8 * self._page + 64:
                self._line_cache.clear()
            self._line_cache[key] = (item, strip)
        return strip
