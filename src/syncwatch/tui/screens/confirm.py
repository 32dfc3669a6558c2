"""The delete confirmation: names what will be destroyed (as plain, safe text); focus starts
on Cancel."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from syncwatch.present import safe_text
from syncwatch.rows import IntegrationRow
from syncwatch.tui.keys import CONFIRM_KEYS, bindings

_SHOWN = 8


class ConfirmDelete(ModalScreen[bool]):
    """Ask before deleting; dismisses with ``True`` only when Delete is pressed."""

    BINDINGS: ClassVar[list[BindingType]] = bindings(CONFIRM_KEYS)

    def __init__(self, rows: list[IntegrationRow], refused: int = 0) -> None:
        super().__init__()
        self.rows = rows
        self.refused = refused

    def body(self) -> Text:
        text = Text()
        n = len(self.rows)
        bold = Style(bold=True)
        if n == 1:
            row = self.rows[0]
            text.append("Delete ")
            text.append(safe_text(row.organization), bold)
            text.append(f" ({safe_text(row.id)})?\n\n")
        else:
            text.append(f"Delete these {n} integrations?\n\n", bold)
            for row in self.rows[:_SHOWN]:
                text.append("  • ")
                text.append(safe_text(row.organization), bold)
                text.append(f" ({safe_text(row.id)})\n")
            if n > _SHOWN:
                text.append(f"  … and {n - _SHOWN} more\n")
            text.append("\n")
        text.append(
            "Syncing stops now; their syncs and log entries are purged 14 days later. "
            if n > 1
            else "Syncing stops now; its syncs and log entries are purged 14 days later. "
        )
        text.append("Deletion is final: it cannot be undone.", bold)
        if self.refused:
            text.append(
                f"\n\n{self.refused} marked integration(s) cannot be deleted and stay as they are."
            )
        return text

    def compose(self) -> ComposeResult:
        n = len(self.rows)
        with Vertical(id="dialog"):
            yield Static(
                "Delete integration" if n == 1 else f"Delete {n} integrations", id="dialog-title"
            )
            yield Static(self.body(), id="dialog-body")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button("Delete" if n == 1 else f"Delete {n}", id="delete", variant="error")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "delete")

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_switch(self) -> None:
        self.focus_next(Button)
