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
    from textual.timer import Timer, TimerCallback

    from syncwatch.outages import Outage
    from syncwatch.tui.screens.main import MainScreen

#: Seconds after a state-change notification during which further state changes wait, to
#: be told together in one summary when it ends: a burst makes two notifications, not one
#: a pass stacked over the data. A little longer than a notification shows (5 s), so the
#: summary comes when the first has gone.
BURST_WINDOW = 6.0


class AttentionSignals:
    """Title, bell, unseen marks and mute, for the app (a base class of it)."""

    #: The window title (OSC 2); set before Textual's ``App.__init__`` picks the driver.
    terminal_title: TerminalTitle
    #: What deserves the operator's attention, the bell and the mute (``!``).
    attention: Attention

    if TYPE_CHECKING:
        model: Model
        main: MainScreen
        outages: list[Outage]

        def tell(self, notice: Notice) -> None: ...
        def bell(self) -> None: ...
        def remember(self, **changes: str | bool | None) -> None: ...
        def set_timer(
            self,
            delay: float,
            callback: TimerCallback | None = None,
            *,
            name: str | None = None,
            pause: bool = False,
        ) -> Timer: ...

    #: State changes waiting for the end of the burst window (None: no window open).
    burst: list[StateChange] | None = None

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
        if self.attention.muted or not signals.noticed:
            return
        if self.burst is not None:
            self.burst.extend(signals.noticed)
            return
        self.tell_state_changes(notices.state_changes(signals.noticed, folded))

    def tell_state_changes(self, told: list[Notice]) -> None:
        """Post state-change notices, then hold the next ones for :data:`BURST_WINDOW`."""
        for notice in told:
            self.tell(notice)
        if told:
            self.burst = []
            self.set_timer(BURST_WINDOW, self.burst_ended)

    def burst_ended(self) -> None:
        """The burst window ended: what changed meanwhile, in one summary (each integration
        from its state before the burst to its state now; one that came back is left out)."""
        held, self.burst = self.burst or [], None
        if self.attention.muted:
            return
        first: dict[str, StateChange] = {}
        for c in held:
            first[c.new.id] = StateChange(
                first[c.new.id].old if c.new.id in first else c.old, c.new
            )
        net = [c for c in first.values() if c.old.state != c.new.state]
        folded = {i for o in self.outages for i in o.integration_ids}
        self.tell_state_changes(notices.state_changes(net, folded, summary=True))

    def on_integration_looked(self, message: IntegrationLooked) -> None:
        self.looked_at(message.integration_id)

    def looked_at(self, integration_id: str) -> None:
        """The operator looked at an integration: its unseen mark goes."""
        if self.model.look(integration_id):
            self.main.show_looked()

    def action_toggle_bell(self) -> None:
        """Ring the bell on a change to a worse state, or stop; remembered for the next
        start (the ``bell`` preference)."""
        self.attention.bell = not self.attention.bell
        self.remember(bell=self.attention.bell)
        self.tell(notices.bell(self.attention.bell))

    def action_toggle_mute(self) -> None:
        """Mute or unmute the state-change notifications (marks, title and bell stay)."""
        self.attention.muted = not self.attention.muted
        self.tell(notices.muted(self.attention.muted))
