"""The errors screen: warning and error lines counted by signature across the fleet, worst
first (errors before warnings, then by integrations hit); Enter on one lists the
integrations it hit, and Enter there opens one's drill-down.

Fed from above: the app loads the signatures (and the integrations one hit) in workers and
hands them down (:meth:`ErrorsScreen.show_signatures`); the screens send requests up as
messages. Signatures come from log text: every cell is plain, safe Text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from syncwatch.present import fmt_ago, safe_text, state_text
from syncwatch.rows import IntegrationRow
from syncwatch.signatures import SignatureCount
from syncwatch.tui.fleet_messages import ErrorsWanted, SignatureChosen
from syncwatch.tui.keys import ERRORS_KEYS, bindings
from syncwatch.tui.messages import OpenIntegration
from syncwatch.tui.widgets.footer import KeyFooter

_LEVEL_STYLE = {"ERROR": "bold red", "WARNING": "yellow"}


class ErrorsScreen(Screen[None]):
    """Signatures worst first; Enter lists the integrations one hit; Esc goes back."""

    BINDINGS: ClassVar[list[BindingType]] = bindings(ERRORS_KEYS)

    def __init__(self) -> None:
        super().__init__(id="errors")
        self.signatures: list[SignatureCount] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Errors by signature · loading…", id="errors-title")
        table: DataTable[Text | str] = DataTable(id="signatures", cursor_type="row")
        table.add_columns("Level", "Hit", "Lines", "Last seen", "Signature")
        yield table
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.app.post_message(ErrorsWanted())

    def show_signatures(self, signatures: Sequence[SignatureCount], now: datetime) -> None:
        """Show these signatures (worst first, as given), keeping the cursor's row."""
        table: DataTable[Text | str] = self.query_one("#signatures", DataTable)
        keep = table.cursor_row if self.signatures else 0
        self.signatures = list(signatures)
        table.clear()
        for s in signatures:
            table.add_row(
                Text(s.level, style=_LEVEL_STYLE.get(s.level, "")),
                f"{s.integrations:,}",
                f"{s.lines:,}",
                fmt_ago(s.last_seen, now, compact=True),
                Text(safe_text(s.signature)),
            )
        if signatures:
            table.move_cursor(row=min(keep, len(signatures) - 1))
        title = self.query_one("#errors-title", Static)
        errors = sum(1 for s in signatures if s.level == "ERROR")
        title.update(
            f"Errors by signature · {len(signatures)} signatures ({errors} of errors), worst "
            "first · Enter: the integrations it hit"
            if signatures
            else "Errors by signature · no warning or error lines stored"
        )

    @on(DataTable.RowSelected, "#signatures")
    def _row_selected(self) -> None:
        self.action_choose()  # Enter on the table (the table takes the key first)

    def action_choose(self) -> None:
        table: DataTable[Text | str] = self.query_one("#signatures", DataTable)
        if not self.signatures:
            return
        self.app.post_message(SignatureChosen(self.signatures[table.cursor_row]))

    def action_back(self) -> None:
        self.dismiss(None)


class SignatureHitsScreen(Screen[None]):
    """The integrations one signature hit, worst state first; Enter opens one."""

    BINDINGS: ClassVar[list[BindingType]] = bindings(ERRORS_KEYS)

    def __init__(
        self,
        signature: SignatureCount,
        integration_ids: Sequence[str],
        rows: Mapping[str, IntegrationRow],
    ) -> None:
        super().__init__(id="signature-hits")
        self.signature = signature
        found = [rows[i] for i in integration_ids if i in rows]
        found.sort(key=lambda r: (-(r.state.severity if r.state else 0), r.organization, r.id))
        self.hits = found

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            Text(f"{len(self.hits)} integrations hit by: " + safe_text(self.signature.signature)),
            id="hits-title",
        )
        table: DataTable[Text | str] = DataTable(id="hits", cursor_type="row")
        table.add_columns("State", "Id", "Organization", "Tool")
        for r in self.hits:
            table.add_row(
                Text(state_text(r.state) if r.state else "?"),
                Text(safe_text(r.id)),
                Text(safe_text(r.organization)),
                Text(safe_text(r.tool)),
            )
        yield table
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()

    @on(DataTable.RowSelected, "#hits")
    def _row_selected(self) -> None:
        self.action_choose()  # Enter on the table (the table takes the key first)

    def action_choose(self) -> None:
        table: DataTable[Text | str] = self.query_one("#hits", DataTable)
        if self.hits:
            self.app.post_message(OpenIntegration(self.hits[table.cursor_row].id))

    def action_back(self) -> None:
        self.dismiss(None)
