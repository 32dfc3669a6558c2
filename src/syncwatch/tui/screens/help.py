"""The ``?`` screen: every key binding, grouped by where it applies."""

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

HelpSection = tuple[str, Sequence[Binding]]


class HelpScreen(ModalScreen[None]):
    """Key bindings; Escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close"),
    ]

    def __init__(self, sections: Sequence[HelpSection], notes: str = "") -> None:
        super().__init__()
        self.sections = sections
        self.notes = notes

    def help_text(self) -> Text:
        text = Text()
        bold = Style(bold=True)
        seen: set[tuple[str, str]] = set()
        for title, bindings in self.sections:
            text.append(f"{title}\n", bold + Style(underline=True))
            for binding in bindings:
                if not binding.description:
                    continue
                key = ", ".join(
                    self.app.get_key_display(Binding(k.strip(), binding.action))
                    for k in binding.key.split(",")
                )
                if (key, binding.description) in seen:
                    continue
                seen.add((key, binding.description))
                text.append(f"  {key:<18}", bold)
                text.append(binding.description)
                if binding.tooltip:
                    text.append(f"  ({binding.tooltip})", Style(dim=True))
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
