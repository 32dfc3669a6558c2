"""Updating a Static without a layout pass when its height stays the same.

``Static.update`` asks for a layout of the whole screen (every widget is arranged again) in
case the new content is taller or shorter. Measured here the way Textual measures it, a
content that takes as many lines as the shown one only needs a repaint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.console import RenderableType
from rich.text import Text
from textual.visual import visualize
from textual.widgets import Static

if TYPE_CHECKING:
    from textual.css.styles import RulesMap


def content_height(static: Static, content: Text | RenderableType, width: int) -> int:
    """How many lines ``content`` takes in ``static`` at ``width`` (as Textual works it out:
    ``Widget.get_content_height`` passes the widget's styles as the rules, too)."""
    rules = cast("RulesMap", static.styles)
    return visualize(static, content, markup=False).get_height(rules, width)


def update_static(static: Static, content: Text | RenderableType) -> None:
    """``static.update(content)``, with a layout pass only if its height changes.

    For Rich renderables and Text only (a plain string could be markup).
    """
    width, height = static.size
    layout = not width or content_height(static, content, width) != height
    static.update(content, layout=layout)
