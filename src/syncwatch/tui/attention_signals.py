"""The app's attention signals: the window title, the bell, the unseen marks, the mute.

:class:`AttentionSignals` is a base class of :class:`~syncwatch.tui.app.SyncwatchApp`.
What deserves attention is decided in one place, :meth:`Attention.worth_attention
<syncwatch.tui.attention.Attention.worth_attention>`; this class only raises the signals it
allows (:meth:`AttentionSignals.signal_transitions`). See ``docs/attention.md``.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from typing import TYPE_CHECKING, Any

from textual.driver import Driver

from syncwatch.tui import notices
from syncwatch.tui.attention import Attention, window_title
from syncwatch.tui.messages import IntegrationLooked
from syncwatch.tui.model import Model, StateChange
from syncwatch.tui.notices import Notice
from syncwatch.tui.terminal_title import TerminalTitle, titled_driver

if TYPE_CHECKING:
    from syncwatch.tui.screens.main import MainScreen


class AttentionSignals:
    """Title, bell, unseen marks and mute, for the app (a base class of it)."""

    #: The window title (OSC 2); set before Textual's ``App.__init__`` picks the driver.
    terminal_title: TerminalTitle
    #: What deserves the operator's attention, the bell and the mute (``m``).
    attention: Attention

    if TYPE_CHECKING:
        model: Model
        main: MainScreen

        def tell(self, notice: Notice) -> None: ...
        def bell(self) -> None: ...

    def get_driver_class(self) -> type[Driver]:
        # Wrapped so the window title can be written through the driver (see
        # syncwatch.tui.terminal_title); headless runs use Textual's own, unwrapped.
        base: Any = super()
        return titled_driver(base.get_driver_class())

    def update_title(self) -> None:
        """The terminal window's title: the failing states' counts (see
        :func:`syncwatch.tui.attention.window_title`); just the name until every row is
        loaded (a partial count would read as the fleet's)."""
        counts = self.model.state_counts if self.model.loaded else None
        self.terminal_title.set(window_title(counts))

    def signal_transitions(
        self, transitions: Sequence[StateChange], folded: Container[str]
    ) -> None:
        """Raise the signals of ``transitions`` that are worth attention: unseen marks, the
        bell (when on and one got worse), and a notification (unless muted; ``folded``:
        integrations in a tool's outage, told by the outage's one notice)."""
        signals = self.attention.signals(transitions, self.model.now)
        self.model.mark_unseen(c.new.id for c in signals.noticed)
        self.update_title()
        if signals.ring:
            self.bell()
        if self.attention.muted:
            return
        for notice in notices.state_changes(signals.noticed, folded):
            self.tell(notice)

    def on_integration_looked(self, message: IntegrationLooked) -> None:
        self.looked_at(message.integration_id)

    def looked_at(self, integration_id: str) -> None:
        """The operator looked at an integration: its unseen mark goes."""
        if self.model.look(integration_id):
            self.main.show_looked()

    def action_toggle_mute(self) -> None:
        """Mute or unmute the state-change notifications (marks, title and bell stay)."""
        self.attention.muted = not self.attention.muted
        self.tell(notices.muted(self.attention.muted))
