"""Which key takes which operator action: shared by the bindings, the help screen, the
command palette and the next step the drill-down shows."""

from __future__ import annotations

from syncwatch.actions import Action

ACTION_KEYS: dict[Action, str] = {
    Action.REACTIVATE: "r",
    Action.DEACTIVATE: "x",
    Action.RELEASE_QA: "a",
    Action.UPDATE_CREDENTIALS: "c",
    Action.CONFIGURE_FILTERS: "f",
    Action.DELETE: "d",
}

#: Short footer labels.
ACTION_SHORT: dict[Action, str] = {
    Action.REACTIVATE: "Reactivate",
    Action.DEACTIVATE: "Deactivate",
    Action.RELEASE_QA: "Approve",
    Action.UPDATE_CREDENTIALS: "Credentials",
    Action.CONFIGURE_FILTERS: "Filters",
    Action.DELETE: "Delete",
}
