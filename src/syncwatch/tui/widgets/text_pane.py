"""A scrolling pane of Rich renderables on the Line API.

Shown in a ``Static`` inside a scrolling container, content of another height makes Textual
lay out the whole screen again. Here the renderables are rendered once per width into lines
and the pane shows the lines in view: new content only repaints the pane (see
:func:`~syncwatch.tui.widgets.line_list.set_virtual_size`).
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from syncwatch.tui.widgets.line_list import set_virtual_size


class TextPane(ScrollView):
    """Rich renderables one below the other, wrapped to the pane's width."""

    DEFAULT_CSS = """
    TextPane {
        overflow-x: hidden;
        overflow-y: scroll;
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._parts: tuple[RenderableType, ...] = ()
        self._lines: list[list[Segment]] = []
        #: What the lines were rendered for: (width, theme variables).
        self._rendered_for: tuple[int, object] | None = None
        self._paint: tuple[int, Style] = (0, Style())

    def show(self, *parts: RenderableType, scroll_home: bool = False) -> None:
        """Show ``parts`` (rendered now if the pane has a width, else when it gets one)."""
        self._parts = parts
        self._rendered_for = None
        if scroll_home:
            self.scroll_to(y=0, animate=False, immediate=True)
        self._render_parts()
        self.refresh()

    @property
    def text(self) -> str:
        """What the pane shows, as plain text (as last rendered)."""
        return "\n".join("".join(seg.text for seg in line).rstrip() for line in self._lines)

    def _render_parts(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0:
            return
        key = (width, self.app.theme_variables)
        if key == self._rendered_for:
            return
        self._rendered_for = key
        console = self.app.console
        options = self.app.console_options.update(width=width, highlight=False)
        lines: list[list[Segment]] = []
        for part in self._parts:
            lines += console.render_lines(part, options, pad=False)
        self._lines = lines
        set_virtual_size(self, Size(width, len(lines)))

    def on_resize(self, _event: events.Resize) -> None:
        self._render_parts()

    def render_lines(self, crop: Region) -> list[Strip]:
        self._render_parts()  # after a theme change
        # Resolving the style walks the DOM: once per paint, not once per line.
        self._paint = (self.scrollable_content_region.width, self.rich_style)
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width, base = self._paint
        index = int(self.scroll_offset.y) + y
        if not 0 <= index < len(self._lines):
            return Strip.blank(width, base)
        segments = Segment.apply_style(self._lines[index], base)
        return Strip(segments).adjust_cell_length(width, base)
