"""The confirmations: they say what will happen (data as plain, safe text); focus starts on
Cancel; ``y`` confirms and ``n`` or Escape cancels, besides Tab and Enter.

- :class:`ConfirmDelete` names what will be destroyed;
- :class:`ConfirmCredentials` asks before *update credentials* on integrations whose
  credentials are not what fails (it would show them Active until their next sync).
"""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from syncwatch.actions import Action, credentials_failing
from syncwatch.present import safe_text
from syncwatch.rows import IntegrationRow
from syncwatch.states import IntegrationState
from syncwatch.tui.keys import CONFIRM_KEYS, bindings

_SHOWN = 8
_BOLD = Style(bold=True)


def _name_list(text: Text, rows: list[IntegrationRow]) -> None:
    """Up to :data:`_SHOWN` integrations, one a line, then how many more."""
    for row in rows[:_SHOWN]:
        text.append("  • ")
        text.append(safe_text(row.organization), _BOLD)
        text.append(f" ({safe_text(row.id)})")
        if row.state is not None:
            text.append(f"  {row.state.glyph} {row.state.label}")
        text.append("\n")
    if len(rows) > _SHOWN:
        text.append(f"  … and {len(rows) - _SHOWN} more\n")


class ConfirmDialog(ModalScreen[bool]):
    """Ask first; dismisses with ``True`` only when confirmed (the confirm button or ``y``)."""

    BINDINGS: ClassVar[list[BindingType]] = bindings(CONFIRM_KEYS)

    def title_text(self) -> str:
        raise NotImplementedError

    def body(self) -> Text:
        raise NotImplementedError

    def confirm_label(self) -> str:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.title_text(), id="dialog-title")
            yield Static(self.body(), id="dialog-body")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel (n)", id="cancel", variant="primary")
                yield Button(f"{self.confirm_label()} (y)", id="confirm", variant="error")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm")

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_switch(self) -> None:
        self.focus_next(Button)


class ConfirmDelete(ConfirmDialog):
    """Ask before deleting: what will be destroyed, and that it is final."""

    def __init__(self, rows: list[IntegrationRow], refused: int = 0) -> None:
        super().__init__()
        self.rows = rows
        self.refused = refused

    def title_text(self) -> str:
        n = len(self.rows)
        return "Delete integration" if n == 1 else f"Delete {n} integrations"

    def confirm_label(self) -> str:
        n = len(self.rows)
        return "Delete" if n == 1 else f"Delete {n}"

    def body(self) -> Text:
        text = Text()
        n = len(self.rows)
        if n == 1:
            row = self.rows[0]
            text.append("Delete ")
            text.append(safe_text(row.organization), _BOLD)
            text.append(f" ({safe_text(row.id)})?\n\n")
        else:
            text.append(f"Delete these {n} integrations?\n\n", _BOLD)
            _name_list(text, self.rows)
            text.append("\n")
        text.append(
            "Syncing stops now; their syncs and log entries are purged 14 days later. "
            if n > 1
            else "Syncing stops now; its syncs and log entries are purged 14 days later. "
        )
        text.append("Deletion is final: it cannot be undone.", _BOLD)
        if self.refused:
            text.append(
                f"\n\n{self.refused} marked integration(s) cannot be deleted and stay as they are."
            )
        return text


class ConfirmCredentials(ConfirmDialog):
    """Ask before *update credentials* when some targets do not fail on their credentials:
    the update would hide their failure (Active until the next sync) and fix nothing.

    ``rows``: every integration the update applies to; ``not_auth``: those of them whose
    credentials are not what fails (:func:`syncwatch.actions.credentials_failing` False)."""

    def __init__(self, rows: list[IntegrationRow], not_auth: list[IntegrationRow]) -> None:
        super().__init__()
        self.rows = rows
        self.not_auth = not_auth

    def title_text(self) -> str:
        return Action.UPDATE_CREDENTIALS.label

    def confirm_label(self) -> str:
        n = len(self.rows)
        return Action.UPDATE_CREDENTIALS.label if n == 1 else f"Update {n}"

    def body(self) -> Text:
        text = Text()
        n, odd = len(self.rows), self.not_auth
        if n == 1:
            row = self.rows[0]
            text.append("Update the credentials of ")
            text.append(safe_text(row.organization), _BOLD)
            text.append(f" ({safe_text(row.id)})?\n\n")
            state = row.state
            shown = f"{state.glyph} {state.label}" if state is not None else "no state yet"
            text.append(f"It shows {shown}, which is not about authentication", _BOLD)
            reason = row.state_reason
            text.append(f": {safe_text(reason)}\n\n" if reason else ".\n\n")
        else:
            text.append(f"Update the credentials of these {n} integrations?\n\n")
            states = Counter(r.state for r in odd)
            parts = ", ".join(
                f"{count} {s.glyph} {s.label}" if s is not None else f"{count} without a state"
                for s, count in states.most_common()
            )
            text.append(f"{len(odd)} of the {n} are not about authentication ({parts}):\n", _BOLD)
            _name_list(text, odd)
            text.append("\n")
        active = IntegrationState.ACTIVE
        text.append(
            "Updating credentials records new ones and counts only the syncs from now on: "
            "a state that comes from the last sync (Failing, Warnings) shows "
            f"{active.glyph} {active.label} until the next sync, which shows the real state "
            "again. It fixes nothing that is not about the credentials (a tool answering "
            "503 still does)."
        )
        return text


class ConfirmQuit(ConfirmDialog):
    """Ask before quitting while operator actions or Kombo requests are in flight."""

    def __init__(self, running: int) -> None:
        super().__init__()
        self.running = running

    def title_text(self) -> str:
        return "Quit syncwatch"

    def confirm_label(self) -> str:
        return "Quit"

    def body(self) -> Text:
        text = Text()
        what = "1 action is" if self.running == 1 else f"{self.running} actions are"
        text.append(f"{what} still in flight (an operator action or a Kombo request).\n\n", _BOLD)
        text.append(
            "Quitting now leaves it unfinished and its result unseen: syncwatch may stop "
            "before it is recorded, and Kombo may or may not have done it. Wait for its "
            "notification, or quit anyway."
        )
        return text


def confirmation(
    action: Action, targets: list[IntegrationRow], allowed: list[IntegrationRow]
) -> ConfirmDialog | None:
    """The dialog ``action`` on ``targets`` asks first (None: none, it goes ahead);
    ``allowed``: the targets the action is allowed for. Delete always asks; update
    credentials asks when any of them does not fail on its credentials (it would show them
    Active until the next sync and fix nothing)."""
    if action is Action.DELETE:
        return ConfirmDelete(allowed, len(targets) - len(allowed))
    if action is Action.UPDATE_CREDENTIALS:
        not_auth = [r for r in allowed if not credentials_failing(r)]
        if not_auth:
            return ConfirmCredentials(allowed, not_auth)
    return None
