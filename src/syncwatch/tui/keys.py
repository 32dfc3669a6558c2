"""Every key binding of the terminal UI, in one table.

The screens' and the app's ``BINDINGS``, the ``?`` help screen, the footer and the command
palette are all made from the :class:`Key` entries here: a key's description, tooltip and
palette name are written once. Which key takes which operator action is here too; the
drill-down's next step names that key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from textual.binding import Binding, BindingType

from syncwatch.actions import Action

ACTION_KEYS: dict[Action, str] = {
    Action.REACTIVATE: "r",
    Action.DEACTIVATE: "x",
    Action.RELEASE_QA: "a",
    Action.UPDATE_CREDENTIALS: "c",
    Action.CONFIGURE_FILTERS: "f",
    Action.DELETE: "d",
}

#: Every operator action has one name (``Action.label``, the contract's: "Release from QA",
#: never "Approve"): the footer, the help, the palette, the notifications, the CLI's help and
#: the README all say it (docs/keys.md; tests/tui/test_keys.py checks the surfaces agree).


@dataclass(frozen=True, slots=True)
class Key:
    """One key binding: what it does, how the footer and help name it, and the command
    palette's name for it (``command``; None: not offered there)."""

    key: str
    action: str
    description: str = ""
    tooltip: str = ""
    show: bool = True
    priority: bool = False
    id: str | None = None
    command: str | None = None

    def binding(self) -> Binding:
        """The Textual binding for this key."""
        return Binding(
            self.key,
            self.action,
            self.description,
            show=self.show,
            priority=self.priority,
            tooltip=self.tooltip,
            id=self.id,
        )

    @property
    def first_key(self) -> str:
        """The first of the keys (``up`` of ``up,k``): the one the palette names."""
        return self.key.split(",")[0].strip()


def bindings(keys: Iterable[Key]) -> list[BindingType]:
    """The Textual bindings of ``keys``, in order."""
    return [k.binding() for k in keys]


#: Every list with a cursor (the integrations, a drill-down's syncs).
CURSOR_KEYS: tuple[Key, ...] = (
    Key("up,k", "cursor_up", "Up", show=False),
    Key("down,j", "cursor_down", "Down", show=False),
    Key("pageup", "page_up", "Page up", show=False),
    Key("pagedown", "page_down", "Page down", show=False),
    Key("home,g", "first", "Top", "The first row (the worst, sorted by state)", show=False),
    Key("end,G", "last", "Bottom", "The last row", show=False),
)

#: The integration list itself (grouped: a group's row opens and closes). Bound on the list
#: widget, as its scroll bindings would otherwise take these keys.
GROUP_KEYS: tuple[Key, ...] = (
    Key("right,l", "expand", "Open group", "Open the group under the cursor", show=False),
    Key(
        "left,h",
        "collapse",
        "Close group",
        "Close the group under the cursor, or the cursor's group",
        show=False,
    ),
)

#: The main screen's list.
LIST_KEYS: tuple[Key, ...] = (
    Key(
        "enter",
        "open",
        "Open",
        "Drill down: facts, history, syncs, logs; a group: open/close",
        command="Open the highlighted integration",
    ),
    Key(
        "space",
        "mark",
        "Mark",
        "Mark or unmark for a bulk action (a group's row: all it shows)",
    ),
    Key(
        "m",
        "mark_all",
        "Mark all",
        "Mark every integration the view and filter show (closed groups' too)",
        show=False,
        command="Mark every integration shown",
    ),
    Key(
        "M",
        "unmark_all",
        "Unmark all",
        "Clear every mark",
        show=False,
        command="Clear every mark",
    ),
    Key(
        "n",
        "next_attention",
        "Next attention",
        "The next integration needing attention (not Active, Inactive or Deleted; wraps)",
        show=False,
        command="Next integration needing attention",
    ),
    Key(
        "N",
        "previous_attention",
        "Previous attention",
        "The previous integration needing attention (wraps around)",
        show=False,
        command="Previous integration needing attention",
    ),
    Key(
        "y",
        "copy_id",
        "Copy id",
        "Copy the highlighted integration's id (in the drill-down: its own) to the clipboard "
        "(OSC 52)",
        show=False,
        command="Copy the integration's id",
    ),
    Key(
        "slash",
        "filter",
        "Filter",
        "Filter by organisation, tool or id",
        command="Filter by text",
    ),
    Key("v", "cycle_view", "View", "All → needs attention → only failing"),
    Key(
        "full_stop",
        "toggle_deleted",
        "Deleted",
        "Show or hide deleted",
        show=False,
        command="Show or hide deleted integrations",
    ),
    Key("s", "cycle_sort", "Sort", "Sort by the next column"),
    Key(
        "S",
        "reverse_sort",
        "Reverse",
        "Reverse the sort order",
        show=False,
        command="Reverse the sort order",
    ),
    Key(
        "b",
        "cycle_grouping",
        "Group",
        "Group the list: none → by tool → by organisation",
        # In the help and the palette (as w and E are): the footer has no room left at 160
        # columns, and the status line says when the list is grouped.
        show=False,
        command="Group the list (none, by tool, by organisation)",
    ),
    Key(
        "z",
        "toggle_groups",
        "Open/close all",
        "Open every group, or close them all",
        show=False,
        command="Open or close every group",
    ),
    Key("escape", "clear", "Clear filter/marks", show=False),
    Key(
        "w",
        "activity",
        "Activity",
        "Who did what: recent transitions and actions across the fleet",
        show=False,
        command="Activity: recent transitions and actions (who did what)",
    ),
    Key(
        "at",
        "app.as_of",
        "As of",
        "The fleet as it was: step back through the history (read-only)",
        show=False,
        command="The fleet as it was (as of a past time, read-only)",
    ),
)

#: The operator actions (the app's: they apply on the list and in the drill-down).
OPERATOR_KEYS: tuple[Key, ...] = tuple(
    Key(
        key,
        f"op({action.value!r})",
        action.label,
        action.description,
        id=action.value,
        command=action.label,
    )
    for action, key in ACTION_KEYS.items()
)

#: Tried only when the operator action of the same key is disabled: says why instead of
#: doing nothing.
EXPLAIN_KEYS: tuple[Key, ...] = tuple(
    Key(key, f"explain({action.value!r})", show=False) for action, key in ACTION_KEYS.items()
)

#: Requests to Kombo on the highlighted integration (``syncwatch.tui.kombo_actions``).
KOMBO_KEYS: tuple[Key, ...] = (
    Key(
        "L",
        "relink_link",
        "Relink link",
        "Ask Kombo for a magic reconnection link (valid 1 year) for credentials that fail; "
        "copy and show it",
        show=False,
        id="relink-link",
        command="Reconnection link for the customer (magic link, copied)",
    ),
    Key(
        "T",
        "trigger_sync",
        "Sync now",
        "Ask Kombo for a delta sync now, after a fix (Kombo syncs periodically: never on a "
        "schedule)",
        show=False,
        id="trigger-sync",
        command="Trigger a sync in Kombo (after a fix)",
    ),
)

#: Acknowledge and snooze the highlighted integration (``syncwatch.tui.attention_actions``).
ATTENTION_KEYS: tuple[Key, ...] = (
    Key(
        "A",
        "acknowledge",
        "Ack",
        "Acknowledge: you are on it (a note; silent until it gets worse); again to remove",
        show=False,
        id="ack",
        command="Acknowledge: you are on it (or remove the acknowledgement)",
    ),
    Key(
        "Z",
        "snooze",
        "Snooze",
        "Snooze its notifications for a while (30m, 2h, 1d); again to end it",
        show=False,
        id="snooze",
        command="Snooze notifications (or end the snooze)",
    ),
)

#: The acknowledge and snooze dialogs (Enter in the field does the main button).
ATTENTION_DIALOG_KEYS: tuple[Key, ...] = (Key("escape", "cancel", "Cancel"),)

#: The drill-down.
DETAIL_KEYS: tuple[Key, ...] = (
    Key("escape", "back", "Back", "Back to the list (or close the search)"),
    Key(
        "e",
        "toggle_issues",
        "Warn+err",
        "Show only warnings and errors",
        command="Show only warnings and errors, or every level",
    ),
    Key("slash", "search", "Search", "Highlight and filter log text", command="Search the log"),
    Key("w", "toggle_wrap", "Wrap", "Wrap long log lines", command="Wrap long log lines or not"),
    Key(
        "o",
        "toggle_order",
        "Order",
        "The log newest first or oldest first (its header says which)",
        command="Log: newest first or oldest first",
        # The log's header names the key; the footer at 160 columns has no room left.
        show=False,
    ),
    Key(
        "l",
        "toggle_follow",
        "Follow",
        "Follow new entries on each refresh",
        command="Follow new log entries or not",
    ),
    Key("tab", "switch_focus", "Pane", "Move focus between syncs and log"),
    Key(
        "t",
        "toggle_timeline",
        "7d/30d",
        "Timeline over the last 7 or 30 days",
        command="Show the timeline over 7 or 30 days",
        # In the help and the palette; the timeline's own title names the key, and the
        # footer at 160 columns has no room left before help and quit.
        show=False,
    ),
    Key(
        "u",
        "copy_log_url",
        "Copy log URL",
        "Copy the selected sync's Kombo log URL to the clipboard",
        show=False,
        command="Copy the sync's Kombo log URL",
    ),
    Key(
        "y",
        "copy_id",
        "Copy id",
        "Copy this integration's id to the clipboard (OSC 52)",
        show=False,
        command="Copy the integration's id",
    ),
)

#: The activity feed (``w`` on the list).
FEED_KEYS: tuple[Key, ...] = (
    Key("escape", "back", "Back", "Back to the list (or clear the filter)"),
    Key(
        "enter",
        "jump",
        "Show in list",
        "Back to the list with the cursor on this entry's integration",
        command="Show the entry's integration in the list",
    ),
    Key(
        "slash",
        "filter",
        "Filter",
        "Filter as you type (state:, tool:, org:, actor:, kind:, since:)",
    ),
    Key("m", "more", "Older", "Load the next page of older entries", command="Load older entries"),
)

#: Anywhere (the app's).
GLOBAL_KEYS: tuple[Key, ...] = (
    Key(
        "p",
        "toggle_pause",
        "Pause",
        "Pause or resume live refresh",
        command="Pause or resume live refresh",
    ),
    Key(
        "plus",
        "speed(2.0)",
        "Faster",
        "Demo: run the simulated clock faster",
        command="Demo: faster",
    ),
    Key(
        "minus",
        "speed(0.5)",
        "Slower",
        "Demo: run the simulated clock slower",
        command="Demo: slower",
    ),
    Key(
        "B",
        "toggle_bell",
        "Bell",
        "Ring the terminal's bell when an integration gets worse, or stop (remembered)",
        show=False,
        command="Bell on or off (on a change to a worse state)",
    ),
    Key(
        "exclamation_mark",
        "toggle_mute",
        "Mute",
        "Mute or unmute state-change notifications (marks, title and bell stay)",
        show=False,
        command="Mute or unmute state-change notifications",
    ),
    Key(
        "ctrl+r",
        "refresh_now",
        "Refresh",
        "Run an evaluation pass now",
        command="Refresh: run an evaluation pass now",
    ),
    Key(
        "E",
        "errors",
        "Errors",
        "Errors by signature across the fleet",
        show=False,
        command="Errors by signature",
    ),
    Key("question_mark", "help", "Help", "Every key binding", command="Help: key bindings"),
    Key("ctrl+q", "quit", "Quit", "Quit now", priority=True),
    Key(
        "q",
        "quit_asking",
        "Quit",
        "Quit (asks first only while an action or a Kombo request is in flight)",
        show=False,
    ),
)

#: Textual binds the command palette itself; listed so the help names it.
PALETTE_KEY = Key("ctrl+p", "command_palette", "Command palette")

#: The app's own bindings, in the order the footer shows them.
APP_KEYS: tuple[Key, ...] = (
    *OPERATOR_KEYS,
    *EXPLAIN_KEYS,
    *KOMBO_KEYS,
    *ATTENTION_KEYS,
    *GLOBAL_KEYS,
)

#: The help screen and the confirmations (delete; credentials on a row not failing
#: authentication).
HELP_SCREEN_KEYS: tuple[Key, ...] = (Key("escape,q,question_mark", "close", "Close"),)
CONFIRM_KEYS: tuple[Key, ...] = (
    Key("escape,n", "cancel", "Cancel", "Cancel: nothing changes"),
    Key("y", "confirm", "Confirm", "Confirm: do it"),
    Key("left,right", "switch", "Switch button", show=False),
)

#: The as-of screen (``syncwatch.tui.screens.as_of``): read-only, the actions refused.
AS_OF_KEYS: tuple[Key, ...] = (
    Key("escape", "back", "Leave", "Back to the live list (or close the time field)"),
    Key("left_square_bracket", "step(-3600)", "-1h", "One hour back"),
    Key("right_square_bracket", "step(3600)", "+1h", "One hour forward (at most now)"),
    Key("left_curly_bracket", "step(-86400)", "-1d", "One day back"),
    Key("right_curly_bracket", "step(86400)", "+1d", "One day forward (at most now)"),
    Key("t", "type_time", "Time", "Type a time: 2026-11-05T14:00Z, or 2h, 1d ago"),
    Key("full_stop", "toggle_deleted", "Deleted", "Show or hide deleted", show=False),
    Key("s", "cycle_sort", "Sort", "Sort by the next column", show=False),
    # Every operator action's key, and the keys that would open or mark: refused here.
    *(Key(key, f"refuse({action.value!r})", show=False) for action, key in ACTION_KEYS.items()),
    *(Key(k.key, f"refuse({k.id!r})", show=False) for k in KOMBO_KEYS),
    *(Key(k.key, f"refuse({k.id!r})", show=False) for k in ATTENTION_KEYS),
    Key("enter,space", "refuse('')", show=False),
)


#: The errors screen and the list of integrations a signature hit.
ERRORS_KEYS: tuple[Key, ...] = (
    Key("escape", "back", "Back", "Back to the previous screen"),
    Key("enter", "choose", "Open", "The integrations it hit / open the integration"),
)

HelpSection = tuple[str, Sequence[Key]]

#: What the ``?`` screen lists, by where the keys apply.
HELP_SECTIONS: tuple[HelpSection, ...] = (
    ("The list", (*LIST_KEYS, *GROUP_KEYS, *CURSOR_KEYS)),
    ("Operator actions (on the marked rows, or the highlighted one)", OPERATOR_KEYS),
    ("Confirmations (delete; credentials on a row not failing authentication)", CONFIRM_KEYS),
    ("Kombo (with SYNCWATCH_KOMBO_REMOTE=1)", KOMBO_KEYS),
    ("On call: acknowledge and snooze (the highlighted integration)", ATTENTION_KEYS),
    ("Drill-down", DETAIL_KEYS),
    ("Activity feed (w)", FEED_KEYS),
    ("Errors by signature", ERRORS_KEYS),
    ("The fleet as it was (@)", AS_OF_KEYS),
    ("Anywhere", (*GLOBAL_KEYS, PALETTE_KEY)),
)

HELP_NOTES = (
    "Greyed-out actions are not allowed for the highlighted integration; pressing one says why.\n"
    "State sort puts the worst first; a new view or filter puts the cursor on the top row.\n"
    "Marks (space; m: every row shown, M: none) make actions apply to every marked row.\n"
    "Needing attention (n, N, the view): any state but Active, Inactive and Deleted.\n"
    "Grouped (b), a group's row counts its integrations per state (deleted ones left out); "
    "actions need an integration: mark the group (space) to act on all of it.\n"
    "Beside an organisation: gone = Kombo answered 404 (deleted there?); ⚑2 = 2 open Kombo "
    "issues; @alice = alice acknowledged it (!@alice once it got worse); zZ = snoozed.\n"
    "With KOMBO_API_KEY and SYNCWATCH_KOMBO_REMOTE=1, reactivate, deactivate and delete go to "
    "Kombo first; L asks it for a reconnection link, T for a sync.\n"
    "Times are UTC. The list refreshes from the database every interval; p pauses it."
)
