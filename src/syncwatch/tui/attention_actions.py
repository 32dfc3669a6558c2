"""Acknowledge (``A``) and snooze (``Z``) from the UI: a base class of the app, as
:class:`~syncwatch.tui.kombo_actions.KomboRequests` is.

Each takes the one highlighted integration (marks: one at a time, as the Kombo requests),
is refused in ``--read-only`` and in the as-of view, opens its dialog
(:mod:`syncwatch.tui.screens.attention`) and runs the gateway's worker
(:meth:`~syncwatch.tui.gateway.Gateway.attend`), which posts
:class:`~syncwatch.tui.messages.AttentionChanged`. The writes and their audit are the
command line's (:mod:`syncwatch.ack_actions`).
"""

from __future__ import annotations

from collections.abc import Callable, Container
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol, cast

from syncwatch.rows import IntegrationRow
from syncwatch.tui.messages import AttentionChanged
from syncwatch.tui.notices import Notice
from syncwatch.tui.screens.attention import AckDialog, AttentionAnswer, SnoozeDialog

if TYPE_CHECKING:
    from textual.app import App

    from syncwatch.tui.gate import ActionGate
    from syncwatch.tui.model import Model
    from syncwatch.tui.screens.detail import IntegrationScreen
    from syncwatch.tui.screens.feed import FeedScreen

__all__ = ["AttentionRequests", "attention_problem"]


class AttentionGateway(Protocol):
    """The gateway's worker these actions run (:class:`syncwatch.tui.gateway.Gateway`)."""

    def attend(
        self,
        what: str,
        integration_id: str,
        *,
        note: str | None = None,
        duration: timedelta | None = None,
    ) -> None: ...


def attention_problem(targets: list[IntegrationRow], *, read_only: bool) -> str | None:
    """Why ``A`` / ``Z`` cannot go for ``targets`` (one line), or ``None``."""
    if read_only:
        return "Read-only mode: nothing is acknowledged or snoozed."
    if not targets:
        return "No integration is highlighted."
    if len(targets) > 1:
        return f"{len(targets)} integrations are marked: acknowledge or snooze one at a time."
    if targets[0].deleted:
        return "It is deleted: there is nothing to acknowledge or snooze."
    return None


class AttentionRequests:
    """The app's actions ``acknowledge`` and ``snooze`` and the handler of their answers."""

    if TYPE_CHECKING:
        gate: ActionGate
        gateway: AttentionGateway
        model: Model

        def action_targets(self) -> list[IntegrationRow]: ...
        def tell(self, notice: Notice) -> None: ...
        def work(
            self, group: str, body: Callable[[], None], *, exclusive: bool = False
        ) -> None: ...
        def load_detail(self, integration_id: str) -> None: ...
        def drill_downs(self, integration_ids: Container[str]) -> list[IntegrationScreen]: ...
        def feeds(self) -> list[FeedScreen]: ...
        def attention_shown(self, ids: frozenset[str]) -> None: ...

    def _attention_target(self, title: str) -> IntegrationRow | None:
        targets = self.action_targets()
        why = attention_problem(targets, read_only=self.gate.read_only)
        if why is not None:
            self.tell(Notice(why, f"{title}: not for this one", "warning"))
            return None
        return targets[0]

    def _attend(self, row: IntegrationRow, answer: AttentionAnswer | None) -> None:
        if answer is None:
            return
        gateway = self.gateway
        self.work(
            "action",
            lambda: gateway.attend(answer.what, row.id, note=answer.note, duration=answer.duration),
        )

    def action_acknowledge(self) -> None:
        """Acknowledge the highlighted integration (a note), or remove its ack."""
        self._ask("Acknowledge", AckDialog)

    def action_snooze(self) -> None:
        """Snooze the highlighted integration's notifications, or end its snooze."""
        self._ask("Snooze", SnoozeDialog)

    def _ask(self, title: str, dialog: type[AckDialog] | type[SnoozeDialog]) -> None:
        """Open ``dialog`` on the highlighted integration (if it may have one) and record
        the answer."""
        row = self._attention_target(title)
        if row is None:
            return
        mark = self.model.attention.get(row.id)
        screen = dialog(row, mark, self.model.now)
        cast("App[object]", self).push_screen(screen, lambda answer: self._attend(row, answer))

    def on_attention_changed(self, message: AttentionChanged) -> None:
        if message.refusal is not None:
            self.tell(Notice(message.refusal, f"{message.title}: not done", "warning"))
            return
        self.attention_shown(self.model.take_attention(message.marks))
        self.tell(Notice(message.text, message.title))
        # The audit log has a new entry: the drill-down's history and the feed show it.
        if self.drill_downs({message.integration_id}):
            self.load_detail(message.integration_id)
        for feed in self.feeds():
            feed.reload()
