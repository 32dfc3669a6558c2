"""The command palette: operator actions, views, sorting and the evaluator."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from syncwatch.tui.keys import ACTION_KEYS
from syncwatch.tui.widgets.integration_list import COLUMNS, StateFilter

if TYPE_CHECKING:
    from syncwatch.tui.app import SyncwatchApp

Command = tuple[str, str, Callable[[], object]]


class SyncwatchCommands(Provider):
    """Everything a key does, findable by name."""

    def commands(self) -> list[Command]:
        app = cast("SyncwatchApp", self.app)
        found: list[Command] = []
        for action, key in ACTION_KEYS.items():
            found.append(
                (
                    f"{action.label} ({key})",
                    action.description,
                    partial(app.action_op, action.value),
                )
            )
        for mode in StateFilter:
            found.append(
                (
                    f"Show {mode.value}",
                    f"Filter the list: {mode.value}",
                    partial(app.set_state_filter, mode),
                )
            )
        found.append(
            (
                "Show or hide deleted integrations (.)",
                "Deleted ones are hidden by default",
                app.toggle_deleted,
            )
        )
        found.append(("Filter by text (/)", "Organisation, tool or id", app.open_filter))
        for column in COLUMNS:
            found.append(
                (
                    f"Sort by {column.title.lower()}",
                    "Sort the integration list",
                    partial(app.sort_by, column.key),
                )
            )
        found.append(
            (
                "Pause or resume live refresh (p)",
                "Stop or restart the background evaluator",
                app.action_toggle_pause,
            )
        )
        found.append(("Evaluate now (g)", "Run an evaluation pass now", app.action_refresh_now))
        found.append(("Help: key bindings (?)", "Every key binding", app.action_help))
        return found

    async def discover(self) -> Hits:
        for name, help_text, callback in self.commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self.commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
