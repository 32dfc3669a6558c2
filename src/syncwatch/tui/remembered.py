"""The operator's remembered preferences in the UI (:mod:`syncwatch.preferences` stores
them): the theme, and the list's view, sort and grouping applied at start; what the operator
changes written back. A stored word that no longer means anything (a theme removed, a column
renamed) is ignored: the UI keeps its default.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

from syncwatch.fleet import GroupBy
from syncwatch.preferences import Loaded, Preferences, PreferencesError, load, update
from syncwatch.tui import notices
from syncwatch.tui.notices import Notice
from syncwatch.tui.widgets.integration_list import COLUMN_BY_KEY, IntegrationList, StateFilter

if TYPE_CHECKING:
    from textual.signal import Signal
    from textual.theme import Theme

#: The list settings the preferences follow (reactives of :class:`IntegrationList`).
REMEMBERED = ("sort_key", "sort_reverse", "state_filter", "group_by")


def apply_to_list(lst: IntegrationList, preferences: Preferences) -> None:
    """Show the list as the operator left it (the valid parts of ``preferences``)."""
    if preferences.view in {v.value for v in StateFilter}:
        lst.state_filter = StateFilter(preferences.view)
    if preferences.grouping in {g.value for g in GroupBy}:
        lst.group_by = GroupBy(str(preferences.grouping))
    elif preferences.grouping == "none":
        lst.group_by = None
    if preferences.sort in COLUMN_BY_KEY:
        lst.sort_by(str(preferences.sort), reverse=preferences.sort_reversed)


def list_choices(lst: IntegrationList) -> dict[str, str | bool | None]:
    """The list's settings as preferences' keys and values."""
    return {
        "view": lst.state_filter.value,
        "sort": lst.sort_key,
        "sort_reversed": lst.sort_reverse,
        "grouping": lst.group_by.value if lst.group_by is not None else "none",
    }


class ViewChosen(Message):
    """The operator changed how the list shows (view, sort, grouping): the screen tells
    the app, which remembers it."""

    def __init__(self, choices: Mapping[str, str | bool | None]) -> None:
        super().__init__()
        self.choices = dict(choices)


class RememberedPreferences:
    """The app's side of the preferences (a base class of
    :class:`~syncwatch.tui.app.SyncwatchApp`): read at start, the theme applied, written
    when the operator changes the theme or the list's view (:class:`ViewChosen`).

    The seam for other preferences: read ``app.preferences`` (the bell:
    ``app.preferences.bell``) and store a change with ``app.remember(bell=True)``.
    """

    if TYPE_CHECKING:
        theme: str
        theme_changed_signal: Signal[Theme]

        @property
        def available_themes(self) -> dict[str, Theme]: ...
        def tell(self, notice: Notice) -> None: ...

    #: The preferences file (None: nothing remembered, as in most tests).
    preferences_path: Path | None = None
    #: What the operator chose last time, and since.
    preferences: Preferences = Preferences()
    #: Why the preferences are neither read nor written (told once, at mount).
    preferences_problem: str | None = None

    def load_preferences(self, path: Path | None, theme: str | None) -> Preferences | None:
        """Read ``path`` and apply the theme (``theme``, this run's ``--theme``, before the
        remembered one); returns what the main screen should apply to the list (None:
        nothing remembered: no file given, or not ours)."""
        self.preferences_path = path
        loaded = Loaded(Preferences()) if path is None else load(path)
        self.preferences = loaded.preferences
        self.preferences_problem = loaded.problem
        chosen = theme or self.preferences.theme
        if chosen is not None and chosen in self.available_themes:
            self.theme = chosen
        return self.preferences if path is not None and loaded.problem is None else None

    def remember_from_now_on(self) -> None:
        """Remember the theme the operator picks from now on (the main screen tells the
        list's changes: :class:`ViewChosen`). A file that is not ours is said once, and left
        alone. Called at mount."""
        if self.preferences_path is None:
            return
        if self.preferences_problem is not None:
            self.tell(notices.preferences_not_ours(self.preferences_problem))
            return
        self.theme_changed_signal.subscribe(
            self,  # type: ignore[arg-type]  # the app
            lambda theme: self.remember(theme=theme.name),
        )

    def on_view_chosen(self, message: ViewChosen) -> None:
        self.remember(**message.choices)

    def remember(self, **changes: str | bool | None) -> None:
        """Store these preferences (keys of :class:`~syncwatch.preferences.Preferences`) in
        the preferences file, if there is one. Written at once, on this thread: a few
        hundred bytes, on a key press. A failure is told once; nothing more is written this
        run."""
        path = self.preferences_path
        if path is None or self.preferences_problem is not None:
            return
        try:
            self.preferences = update(path, **changes)
        except PreferencesError as error:
            self.preferences_problem = str(error)
            self.tell(notices.preferences_not_saved(str(error)))
