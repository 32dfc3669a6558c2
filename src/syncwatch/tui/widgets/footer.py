"""The footer: the keys that apply now, on one line, as many as fit.

Textual's ``Footer`` is a container of one widget per key, removed and mounted again
whenever the bindings may have changed; in syncwatch the allowed actions change from row to
row, so that would happen on many cursor moves, and a key that does not fit is cut off at
the right edge. This footer is one widget that draws one line: a change of which keys are
enabled repaints that line, and when the keys do not fit, the least needed ones are left out
(the command palette first, then refresh and pause, then others from the right) while help
and quit always stay: at 80 columns, read-only or in the demo, the way to find every other
key and the way out are on screen (docs/layout.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget

#: Left out first when the keys do not fit (lower goes first); other keys go from the right.
_DROP_FIRST: dict[str, int] = {
    "command_palette": 0,
    "app.command_palette": 0,
    "refresh_now": 1,
    "app.refresh_now": 1,
    "toggle_pause": 2,
    "app.toggle_pause": 2,
}
#: Never left out: the way to find every other key, and the way out.
_KEEP = frozenset({"help", "app.help", "quit", "app.quit"})


@dataclass(frozen=True, slots=True)
class FooterItem:
    """One key as the footer shows it."""

    key: str
    display: str
    description: str
    action: str
    enabled: bool

    @property
    def width(self) -> int:
        return cell_len(self.display) + 1 + cell_len(self.description)


def fit(items: list[FooterItem], width: int) -> tuple[list[FooterItem], int]:
    """The items that fit in ``width`` cells (in their order), leaving out the least needed,
    and the gap between them (narrower before anything is left out)."""
    kept = list(items)

    def needed(gap: int) -> int:
        return sum(i.width for i in kept) + gap * max(len(kept) - 1, 0) + 1

    while kept and needed(1) > width:
        droppable = [i for i in kept if i.action not in _KEEP]
        if not droppable:
            break
        ranked = sorted(
            range(len(droppable)),
            key=lambda n: (_DROP_FIRST.get(droppable[n].action, 99), -n),
        )
        kept.remove(droppable[ranked[0]])
    return kept, 2 if needed(2) <= width else 1


class KeyFooter(Widget, can_focus=False):
    """The keys of the current screen; disabled ones are dimmed (pressing one says why)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-footer--key",
        "key-footer--description",
        "key-footer--disabled",
    }

    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeyFooter > .key-footer--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyFooter > .key-footer--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeyFooter > .key-footer--disabled {
        text-style: dim;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.items: tuple[FooterItem, ...] = ()
        #: Where each shown item is: (first cell, end cell, item).
        self._spans: list[tuple[int, int, FooterItem]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def on_resize(self, _event: events.Resize) -> None:
        self.refresh()

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if screen is not self.screen:
            return
        items = self.wanted_items()
        if items != self.items:
            self.items = items
            self.refresh()

    def wanted_items(self) -> tuple[FooterItem, ...]:
        """What Textual's Footer would show: the screen's shown bindings, one per action,
        and the command palette's key last."""
        app = self.app
        active = self.screen.active_bindings
        out: list[FooterItem] = []
        actions: set[str] = set()
        for _node, binding, enabled, _tooltip in active.values():
            if not binding.show or binding.action in actions:
                continue
            actions.add(binding.action)
            out.append(
                FooterItem(
                    binding.key,
                    app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    enabled,
                )
            )
        if app.ENABLE_COMMAND_PALETTE:
            palette = active.get(app.COMMAND_PALETTE_BINDING)
            if palette is not None:
                _node, binding, enabled, _tooltip = palette
                out.append(
                    FooterItem(
                        binding.key,
                        app.get_key_display(binding),
                        binding.description or "palette",
                        "command_palette",
                        enabled,
                    )
                )
        return tuple(out)

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-footer--key", partial=True)
        text_style = self.get_component_rich_style("key-footer--description", partial=True)
        dim = self.get_component_rich_style("key-footer--disabled", partial=True)
        line = Text(" ", no_wrap=True, overflow="crop")
        self._spans = []
        shown, gap = fit(list(self.items), self.size.width)
        for n, item in enumerate(shown):
            if n:
                line.append(" " * gap)
            off: Style = Style() if item.enabled else dim
            start = line.cell_len
            line.append(item.display, key_style + off)
            line.append(" ")
            line.append(item.description, text_style + off)
            self._spans.append((start, line.cell_len, item))
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, item in self._spans:
            if start <= event.x < end:
                self.app.simulate_key(item.key)
                return
