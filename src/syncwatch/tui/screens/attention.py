"""The acknowledge (``A``) and snooze (``Z``) dialogs: a note or a duration, and the way
back out (remove the acknowledgement, end the snooze). Text from data (the organisation,
who acknowledged, the note) is shown as plain, safe text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from syncwatch.attention import NOTE_LIMIT, AttentionMark, is_stale, parse_snooze, snoozed
from syncwatch.present import fmt_ago, fmt_time, safe_text, state_text
from syncwatch.rows import IntegrationRow
from syncwatch.tui.keys import ATTENTION_DIALOG_KEYS, bindings

#: What a snooze dialog offers before anything is typed.
DEFAULT_SNOOZE = "1h"


@dataclass(frozen=True, slots=True)
class AttentionAnswer:
    """What the operator chose: ``ack`` (with ``note``), ``unack``, ``snooze`` (for
    ``duration``) or ``unsnooze``."""

    what: str
    note: str | None = None
    duration: timedelta | None = None


def _heading(row: IntegrationRow) -> Text:
    text = Text()
    text.append(safe_text(row.organization), Style(bold=True))
    text.append(f" ({safe_text(row.id)})  {state_text(row.state)}")
    return text


class _AttentionDialog(ModalScreen[AttentionAnswer | None]):
    """The shared frame: a title, what is known now, one input, and buttons."""

    BINDINGS: ClassVar[list[BindingType]] = bindings(ATTENTION_DIALOG_KEYS)
    TITLE_TEXT = ""

    def __init__(self, row: IntegrationRow, mark: AttentionMark | None, now: datetime) -> None:
        super().__init__()
        self.row = row
        self.mark = mark or AttentionMark()
        self.now = now

    def body(self) -> Text:
        raise NotImplementedError

    def field(self) -> Input:
        raise NotImplementedError

    def buttons(self) -> list[Button]:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Vertical(id="attention-dialog"):
            yield Static(self.TITLE_TEXT, id="attention-title")
            yield Static(self.body(), id="attention-body")
            yield self.field()
            yield Static("", id="attention-error")
            with Horizontal(id="attention-buttons"):
                yield Button("Cancel", id="cancel")
                yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "cancel":
            self.dismiss(None)
        elif event.button.id == "undo":
            self.undo()
        else:
            self.submit()

    def submit(self) -> None:
        raise NotImplementedError

    def undo(self) -> None:
        raise NotImplementedError


class AckDialog(_AttentionDialog):
    """Acknowledge the integration with an optional note, or remove its acknowledgement."""

    TITLE_TEXT = "Acknowledge: you are on it"

    def body(self) -> Text:
        text = _heading(self.row)
        ack = self.mark.ack
        if ack is not None:
            text.append("\nAcknowledged by ")
            text.append(safe_text(ack.by), Style(bold=True))
            text.append(f" {fmt_ago(ack.at, self.now)} ({ack.state.label})")
            if is_stale(ack, self.row.state):
                text.append(" — stale: it got worse since", Style(bold=True))
            if ack.note:
                text.append(f": {safe_text(ack.note)}")
        text.append(
            "\n\nThe team sees who is on it; its notifications stay silent until its state "
            "gets worse."
        )
        return text

    def field(self) -> Input:
        return Input(
            placeholder="Note (optional): on it, waiting for the customer …",
            max_length=NOTE_LIMIT,
            id="attention-input",
        )

    def buttons(self) -> list[Button]:
        shown = [Button("Acknowledge", id="do", variant="primary")]
        if self.mark.ack is not None:
            shown.insert(0, Button("Remove ack", id="undo", variant="warning"))
        return shown

    def submit(self) -> None:
        note = self.query_one(Input).value
        self.dismiss(AttentionAnswer("ack", note=note or None))

    def undo(self) -> None:
        self.dismiss(AttentionAnswer("unack"))


class SnoozeDialog(_AttentionDialog):
    """Snooze the integration's notifications for a duration, or end its snooze."""

    TITLE_TEXT = "Snooze notifications"

    def body(self) -> Text:
        text = _heading(self.row)
        snooze = self.mark.snooze
        if snooze is not None and snoozed(snooze, self.now):
            text.append(f"\nSnoozed until {fmt_time(snooze.until, self.now)} UTC by ")
            text.append(safe_text(snooze.by), Style(bold=True))
        text.append("\n\nFor how long? 30m, 2h, 1d (1 minute to 7 days).")
        return text

    def field(self) -> Input:
        return Input(value=DEFAULT_SNOOZE, placeholder="30m, 2h, 1d", id="attention-input")

    def buttons(self) -> list[Button]:
        shown = [Button("Snooze", id="do", variant="primary")]
        if snoozed(self.mark.snooze, self.now):
            shown.insert(0, Button("Unsnooze", id="undo", variant="warning"))
        return shown

    def submit(self) -> None:
        try:
            duration = parse_snooze(self.query_one(Input).value)
        except ValueError as why:
            # Stays open, saying what is wrong (the text typed is shown safely).
            self.query_one("#attention-error", Static).update(Text(safe_text(str(why))))
            return
        self.dismiss(AttentionAnswer("snooze", duration=duration))

    def undo(self) -> None:
        self.dismiss(AttentionAnswer("unsnooze"))
