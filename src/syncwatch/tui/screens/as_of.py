"""The fleet as it was: the list as the state history records it at a past time, read-only,
for the post-incident review (:mod:`syncwatch.asof`; the CLI's ``list --as-of``).

Opened from the list (the app's ``as_of`` action), it starts an hour before now. ``[`` and
``]`` step an hour back and forward, ``{`` and ``}`` a day, ``t`` types a time (the
``--as-of`` syntax: ``2026-11-05T14:00Z``, ``2h``, ``1d``); a step past now stops at now,
one before the history's start stops there, and the status line says so. Escape leaves.

Unmistakably the past: a banner in the warning colour (``AS OF 2026-11-05 14:00 UTC -
read-only``) over the list, and no operator action works here (each of their keys says
why). The list is the main list's widget, read-only: the same columns, with "In state" and
"Last sync" relative to the time shown, and no "Next" countdown (what came next is known).

Fed from above like every screen: it asks with :class:`AsOfWanted` (the app runs
:meth:`syncwatch.tui.gateway.Gateway.load_as_of` on a worker) and is handed
:class:`AsOfLoaded`; an answer to an earlier request than the last one is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static

from syncwatch.actions import Action
from syncwatch.asof import FleetAsOf, as_of_label
from syncwatch.present import safe_text
from syncwatch.rows import IntegrationRow
from syncwatch.trends import NextChange
from syncwatch.tui.colours import colour_style
from syncwatch.tui.keys import AS_OF_KEYS, bindings
from syncwatch.tui.widgets.footer import KeyFooter
from syncwatch.tui.widgets.integration_list import IntegrationList

__all__ = ["AS_OF_KEYS", "AsOfList", "AsOfLoaded", "AsOfScreen", "AsOfWanted"]

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
#: How far before now the screen opens.
OPENS_AT = HOUR

# --------------------------------------------------------------------------- messages


@dataclass(frozen=True, slots=True)
class AsOfRequest:
    """A time asked for: a time, or text as typed (read at the app's clock)."""

    ticket: int
    at: datetime | None = None
    text: str | None = None


class AsOfWanted(Message):
    """The as-of screen wants the fleet at a time."""

    def __init__(self, request: AsOfRequest) -> None:
        super().__init__()
        self.request = request


class AsOfLoaded(Message):
    """The fleet at the time asked (clamped to the history), or why there is none."""

    def __init__(
        self,
        request: AsOfRequest,
        fleet: FleetAsOf | None,
        now: datetime,
        note: str | None = None,
    ) -> None:
        super().__init__()
        self.request = request
        self.fleet = fleet
        self.now = now
        #: What was not as asked ("in the future: showing now"), or why nothing is shown.
        self.note = note


# --------------------------------------------------------------------------- the list


class AsOfList(IntegrationList):
    """The main list's widget, read-only, as of a past time: no countdown ("Next"), since
    what came next is in the history, not a rule's forecast."""

    def next_change_of(self, row: IntegrationRow) -> NextChange | None:
        return None


# --------------------------------------------------------------------------- the screen


class AsOfScreen(Screen[None]):
    """The fleet as the history records it at a past time; read-only."""

    BINDINGS: ClassVar[list[BindingType]] = bindings(AS_OF_KEYS)

    DEFAULT_CSS = """
    AsOfScreen #as-of-banner {
        height: 1;
        padding: 0 1;
        background: $warning;
        color: $background;
        text-style: bold;
    }
    AsOfScreen #as-of-status {
        height: 1;
        padding: 0 1;
    }
    AsOfScreen AsOfList {
        border-left: thick $warning;
    }
    AsOfScreen #as-of-time {
        dock: bottom;
        margin: 0;
        border: tall $warning;
    }
    """

    def __init__(self, now: datetime) -> None:
        super().__init__(id="as-of")
        #: The time shown (None until the first answer).
        self.at: datetime | None = None
        #: The time last asked for (steps add to it, so quick presses add up).
        self.wanted: datetime = now - OPENS_AT
        self.now = now
        self.fleet: FleetAsOf | None = None
        self.note: str | None = None
        self._ticket = 0
        self._pending: int | None = None

    @property
    def as_of_list(self) -> AsOfList:
        return self.query_one(AsOfList)

    def compose(self) -> ComposeResult:
        yield Static(id="as-of-banner")
        yield Static(id="as-of-status")
        yield AsOfList(id="as-of-list")
        yield Input(
            placeholder="As of: 2026-11-05T14:00Z, or how long ago: 2h, 1d (enter: go)",
            id="as-of-time",
        )
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#as-of-time", Input).display = False
        lst = self.as_of_list
        lst.set_empty_text("Reading the history…")
        lst.focus()
        self.ask(AsOfRequest(self._next_ticket(), at=self.wanted))
        self.show_banner()

    # -- requests and answers -----------------------------------------------------------

    def _next_ticket(self) -> int:
        self._ticket += 1
        return self._ticket

    def ask(self, request: AsOfRequest) -> None:
        """Ask the app for the fleet at a time (the app is the only handler)."""
        self._pending = request.ticket
        self.show_status()
        self.app.post_message(AsOfWanted(request))

    def show_as_of(self, message: AsOfLoaded) -> None:
        """An answer: shown if it is to the last request, else dropped."""
        if message.request.ticket != self._pending:
            return
        self._pending = None
        self.now = message.now
        self.note = message.note
        fleet = message.fleet
        if fleet is not None:
            self.fleet = fleet
            self.at = self.wanted = fleet.at
            lst = self.as_of_list
            lst.recent = {iid: results.strip for iid, results in fleet.recent.items()}
            lst.kombo = {}
            lst.now = fleet.at
            lst.set_empty_text("No integration had a state recorded by then.")
            lst.set_rows(fleet.rows)
        self.show_banner()
        self.show_status()

    # -- what it says -------------------------------------------------------------------

    def banner_text(self) -> str:
        """``AS OF 2026-11-05 14:00 UTC - read-only`` (and how to move and leave)."""
        when = as_of_label(self.at) if self.at is not None else "…"
        latest = " (now)" if self.at is not None and self.at >= self.now else ""
        return (
            f"AS OF {when}{latest} - read-only: the fleet as the history records it  "
            "·  [ ] hour  { } day  t time  esc leave"
        )

    def show_banner(self) -> None:
        self.query_one("#as-of-banner", Static).update(
            Text(self.banner_text(), no_wrap=True, overflow="ellipsis"), layout=False
        )

    def status_text(self) -> Text:
        muted = colour_style(self.app, "$text-muted")
        line = Text(no_wrap=True, overflow="ellipsis")
        if self.note:
            line.append(safe_text(self.note), colour_style(self.app, "$warning"))
            line.append("  ·  ", muted)
        fleet = self.fleet
        if fleet is None:
            line.append("reading the history…" if self._pending is not None else "", muted)
            return line
        shown = len([r for r in fleet.rows if not r.deleted])
        line.append(f"{shown} integrations then", Style(bold=True))
        deleted = len(fleet.rows) - shown
        if deleted:
            line.append(f", {deleted} deleted by then (.)", muted)
        if fleet.unrecorded:
            line.append(f", {fleet.unrecorded} with no state recorded yet", muted)
        line.append("  ·  times are relative to then; no action works here", muted)
        if self._pending is not None:
            line.append("  (loading…)", muted)
        return line

    def show_status(self) -> None:
        self.query_one("#as-of-status", Static).update(self.status_text(), layout=False)

    # -- keys ---------------------------------------------------------------------------

    def action_step(self, seconds: float) -> None:
        """Step back or forward from the time last asked for (the app clamps it)."""
        self.ask(AsOfRequest(self._next_ticket(), at=self.wanted + timedelta(seconds=seconds)))
        self.wanted += timedelta(seconds=seconds)

    def action_type_time(self) -> None:
        field = self.query_one("#as-of-time", Input)
        field.display = True
        field.focus()

    @on(Input.Submitted, "#as-of-time")
    def _time_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        field = self.query_one("#as-of-time", Input)
        field.value = ""
        field.display = False
        self.as_of_list.focus()
        if text:
            self.ask(AsOfRequest(self._next_ticket(), text=text))

    def action_toggle_deleted(self) -> None:
        lst = self.as_of_list
        lst.show_deleted = not lst.show_deleted

    def action_cycle_sort(self) -> None:
        self.as_of_list.cycle_sort()

    def action_refuse(self, name: str) -> None:
        """An operator action's key (or open/mark): nothing is done to the past."""
        requests = {
            "relink-link": "A reconnection link",
            "trigger-sync": "Triggering a sync",
            "ack": "Acknowledging",
            "snooze": "Snoozing",
        }
        if name in requests:
            what = f"{requests[name]} is"
        else:
            what = f"{Action(name).label} is" if name else "Opening and marking are"
        self.notify(
            f"{what} not available here: this is the fleet as it was "
            f"{'then' if self.at is None else 'at ' + as_of_label(self.at)}, read-only. "
            "Press escape to go back to the live list, then act.",
            title="Read-only: as of a past time",
            severity="warning",
            markup=False,
        )

    def action_back(self) -> None:
        field = self.query_one("#as-of-time", Input)
        if field.display:
            field.value = ""
            field.display = False
            self.as_of_list.focus()
            return
        self.dismiss(None)
