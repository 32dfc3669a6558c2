"""Messages the thread workers post to the app. Workers never touch widgets."""

from __future__ import annotations

from datetime import datetime

from textual.message import Message

from syncwatch.actions import Action, ActionResult, Refusal
from syncwatch.store import HistoryRow, IntegrationRow, LogRow, PassResult, SyncRow


class PassFinished(Message):
    """An evaluation pass ran; ``rows`` are the integrations that changed since the last one."""

    def __init__(
        self, now: datetime, result: PassResult, rows: list[IntegrationRow], full: bool
    ) -> None:
        super().__init__()
        self.now = now
        self.result = result
        self.rows = rows
        self.full = full


class ActionFinished(Message):
    """An operator action was applied (to some rows, maybe refused for others)."""

    def __init__(
        self,
        action: Action,
        results: list[ActionResult],
        refusals: list[Refusal],
        unknown: list[str],
        rows: list[IntegrationRow],
        now: datetime | None = None,
    ) -> None:
        super().__init__()
        #: The time the action was applied at.
        self.now = now
        self.action = action
        self.results = results
        self.refusals = refusals
        self.unknown = unknown
        self.rows = rows


class DetailLoaded(Message):
    """The syncs and state history of one integration, for the drill-down."""

    def __init__(
        self, integration_id: str, syncs: list[SyncRow], history: list[HistoryRow]
    ) -> None:
        super().__init__()
        self.integration_id = integration_id
        self.syncs = syncs
        self.history = history


class LogsLoaded(Message):
    """The log entries of one sync, newest first."""

    def __init__(self, integration_id: str, sync_id: str, logs: list[LogRow]) -> None:
        super().__init__()
        self.integration_id = integration_id
        self.sync_id = sync_id
        self.logs = logs
