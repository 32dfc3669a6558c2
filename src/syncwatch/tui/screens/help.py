"""The ``?`` screen: every key binding, grouped by where it applies (from :mod:`..keys`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from syncwatch.tui.keys import HELP_SCREEN_KEYS, HelpSection, bindings


class HelpScreen(ModalScreen[None]):
    """Key bindings; Escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = bindings(HELP_SCREEN_KEYS)

    def __init__(self, sections: Sequence[HelpSection], notes: str = "") -> None:
        super().__init__()
        self.sections = sections
        self.notes = notes

    def help_text(self) -> Text:
        """Every section's keys with their descriptions and tooltips, then the notes."""
        text = Text()
        bold = Style(bold=True)
        seen: set[tuple[str, str]] = set()
        for title, keys in self.sections:
            text.append(f"{title}\n", bold + Style(underline=True))
            for key in keys:
                if not key.description:
                    continue
                shown = ", ".join(
                    self.app.get_key_display(Binding(k.strip(), key.action))
                    for k in key.key.split(",")
                )
                if (shown, key.description) in seen:
                    continue
                seen.add((shown, key.description))
                text.append(f"  {shown:<18}", bold)
                text.append(key.description)
                if key.tooltip:
                    text.append(f"  ({key.tooltip})", Style(dim=True))
                text.append("\n")
            text.append("\n")
        if self.notes:
            text.append(self.notes)
        text.rstrip()
        return text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static("Keys", id="help-title")
            yield Static(self.help_text())

    def action_close(self) -> None:
        self.dismiss(None)
