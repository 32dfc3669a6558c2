"""Asking Kombo from the UI: a reconnection link for the customer, and a sync now.

The app takes these actions from :class:`KomboRequests` (a base class of the app): each
checks its one target with the same check the command line uses
(:mod:`syncwatch.upstream_requests`), says why not when it does not apply, else tells
that Kombo is being asked and runs the gateway's worker
(:meth:`~syncwatch.tui.gateway.Gateway.relink_link`,
:meth:`~syncwatch.tui.gateway.Gateway.trigger_sync`), which posts :class:`KomboAnswered`.

- ``relink_link``: a **magic link** (valid a year), the kind an operator sends to the
  customer; the embedded kind only works inside one's own app (``syncwatch relink-link``
  makes either). The link is copied through the terminal (OSC 52, as ``u`` copies a log
  URL) and shown in a notification that stays a minute; syncwatch keeps it nowhere.
- ``trigger_sync``: a delta sync (``trigger_sync(True)``: full), with Kombo's advice in the
  answer: Kombo syncs periodically; trigger only for a reason.

Both are operator actions of a kind: refused in ``--read-only``, recorded in the audit log
with the operator (the drill-down's history and the activity feed show them).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from typing import TYPE_CHECKING, Protocol

from textual.message import Message

from syncwatch.present import safe_text
from syncwatch.rows import IntegrationRow
from syncwatch.timefmt import fmt_time
from syncwatch.tui.notices import Notice
from syncwatch.upstream_requests import (
    SYNC_ADVICE,
    LinkType,
    ReconnectionLink,
    SyncTriggered,
    SyncType,
    why_no_link,
    why_no_sync,
)

if TYPE_CHECKING:
    from syncwatch.tui.gate import ActionGate
    from syncwatch.tui.screens.detail import IntegrationScreen
    from syncwatch.tui.screens.feed import FeedScreen

__all__ = ["LINK_NOTICE_SECONDS", "KomboAnswered", "KomboRequests", "answered", "problem"]

#: How long the notification holding a link stays (long enough to copy it by hand where
#: the terminal does not support OSC 52).
LINK_NOTICE_SECONDS = 60.0

#: The titles of the two requests.
RELINK_TITLE = "Reconnection link"
SYNC_TITLE = "Trigger sync"


class KomboGateway(Protocol):
    """The gateway's workers these actions run (:class:`syncwatch.tui.gateway.Gateway`; a
    protocol, as the gateway imports this module)."""

    def relink_link(self, integration_id: str, link_type: LinkType) -> None: ...

    def trigger_sync(self, integration_id: str, sync_type: SyncType) -> None: ...


class KomboAnswered(Message):
    """Kombo answered a request (a link, a queued sync) or it was refused (``refusal``)."""

    def __init__(
        self,
        integration_id: str,
        title: str,
        *,
        link: ReconnectionLink | None = None,
        sync: SyncTriggered | None = None,
        refusal: str | None = None,
    ) -> None:
        super().__init__()
        self.integration_id = integration_id
        self.title = title
        self.link = link
        self.sync = sync
        self.refusal = refusal


def problem(
    check: Callable[[IntegrationRow], str | None],
    targets: Sequence[IntegrationRow],
    *,
    read_only: bool,
) -> str | None:
    """Why the request cannot go for ``targets`` (one line), or ``None``: one integration,
    not read-only, and ``check`` (``why_no_link``, ``why_no_sync``) allows it."""
    if read_only:
        return "Read-only mode: nothing is asked of Kombo."
    if not targets:
        return "No integration is highlighted."
    if len(targets) > 1:
        return f"{len(targets)} integrations are marked: this asks Kombo about one at a time."
    return check(targets[0])


def _name(row: IntegrationRow | None, integration_id: str) -> str:
    if row is None:
        return safe_text(integration_id)
    return f"{safe_text(row.organization)} ({safe_text(row.id)})"


def answered(message: KomboAnswered, row: IntegrationRow | None) -> Notice:
    """What the operator is told of Kombo's answer."""
    name = _name(row, message.integration_id)
    if message.refusal is not None:
        return Notice(message.refusal, f"{message.title}: not done", "error")
    if message.link is not None:
        link = message.link
        return Notice(
            f"{link.url}\n"
            f"For {name}; valid {link.link_type.validity_text}, until "
            f"{fmt_time(link.expires_at, link.created_at)} UTC. Copied through the terminal "
            "(OSC 52, where it supports it). Send it to the customer; syncwatch keeps it "
            "nowhere.",
            f"{link.link_type.label.capitalize()} made",
            timeout=LINK_NOTICE_SECONDS,
        )
    sync = message.sync
    assert sync is not None
    kind = sync.type.value.lower()
    if sync.already_queued:
        text = f"A {kind} sync of {name} was already queued or running ({sync.sync_id})."
    else:
        text = f"Kombo queued a {kind} sync of {name} ({sync.sync_id})."
    if sync.type is not sync.requested:
        text += f" ({sync.requested.value.lower()} was asked; Kombo chose {kind}.)"
    return Notice(f"{text}\nKombo's advice: {SYNC_ADVICE}", "Sync triggered", timeout=15)


class KomboRequests:
    """The app's actions ``relink_link`` and ``trigger_sync``, and the handler of their
    answers (a base class of :class:`~syncwatch.tui.app.SyncwatchApp`)."""

    if TYPE_CHECKING:
        gate: ActionGate
        gateway: KomboGateway

        def action_targets(self) -> list[IntegrationRow]: ...
        def tell(self, notice: Notice) -> None: ...
        def work(
            self, group: str, body: Callable[[], None], *, exclusive: bool = False
        ) -> None: ...
        def copy_to_clipboard(self, text: str) -> None: ...
        def load_detail(self, integration_id: str) -> None: ...
        def drill_downs(self, integration_ids: Container[str]) -> list[IntegrationScreen]: ...
        def feeds(self) -> list[FeedScreen]: ...
        @property
        def rows(self) -> dict[str, IntegrationRow]: ...

    def action_relink_link(self) -> None:
        """Ask Kombo for a magic link for the highlighted integration; copy and show it."""
        targets = self.action_targets()
        why = problem(why_no_link, targets, read_only=self.gate.read_only)
        if why is not None:
            self.tell(Notice(why, f"{RELINK_TITLE}: not for this one", "warning"))
            return
        row = targets[0]
        self.tell(
            Notice(
                f"Asking Kombo for a magic link for {_name(row, row.id)} ...",
                RELINK_TITLE,
                timeout=3,
            )
        )
        gateway = self.gateway
        self.work("action", lambda: gateway.relink_link(row.id, LinkType.MAGIC_LINK))

    def action_trigger_sync(self, full: bool = False) -> None:
        """Ask Kombo to sync the highlighted integration now (delta; ``full``: full)."""
        targets = self.action_targets()
        why = problem(why_no_sync, targets, read_only=self.gate.read_only)
        if why is not None:
            self.tell(Notice(why, f"{SYNC_TITLE}: not for this one", "warning"))
            return
        row = targets[0]
        sync_type = SyncType.FULL if full else SyncType.DELTA
        self.tell(
            Notice(
                f"Asking Kombo for a {sync_type.value.lower()} sync of {_name(row, row.id)} ...",
                SYNC_TITLE,
                timeout=3,
            )
        )
        gateway = self.gateway
        self.work("action", lambda: gateway.trigger_sync(row.id, sync_type))

    def on_kombo_answered(self, message: KomboAnswered) -> None:
        if message.link is not None:
            self.copy_to_clipboard(message.link.url)
        self.tell(answered(message, self.rows.get(message.integration_id)))
        if message.refusal is None:
            # The audit log has a new entry: the drill-down's history and the activity feed
            # show it.
            if self.drill_downs({message.integration_id}):
                self.load_detail(message.integration_id)
            for feed in self.feeds():
                feed.reload()
