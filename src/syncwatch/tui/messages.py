"""The typed messages of the terminal UI.

Results the thread workers (:mod:`syncwatch.tui.gateway`) post to the app (workers never
touch widgets), and requests the screens send up to the app (no screen imports the app).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from textual.message import Message

from syncwatch.actions import Action, ActionResult, Refusal
from syncwatch.attention import AttentionMark
from syncwatch.rows import (
    AuditRow,
    HistoryRow,
    IntegrationRow,
    KomboMark,
    LogRow,
    PassResult,
    SyncRow,
)

if TYPE_CHECKING:
    # Plain row types that live beside their queries for now; named here once for the
    # views (re-exported), so no view names the Kombo package.
    from syncwatch.rows import IssueRow as IssueRow
    from syncwatch.rows import UpstreamInfo as UpstreamInfo
    from syncwatch.trends import RecentResults, ResultStrip


# --------------------------------------------------------------------------- worker results


class PassFinished(Message):
    """An evaluation pass ran; ``rows`` are the integrations that changed since the last one."""

    def __init__(
        self,
        now: datetime,
        result: PassResult,
        rows: list[IntegrationRow],
        full: bool,
        kombo: Mapping[str, KomboMark] | None = None,
        recent: Mapping[str, RecentResults] | None = None,
        attention: Mapping[str, AttentionMark] | None = None,
    ) -> None:
        super().__init__()
        self.now = now
        self.result = result
        #: Every acknowledgement and snooze (None: not loaded; they stay as they are).
        self.attention = attention
        #: The recent-results strips, of the same integrations as ``kombo`` (None: not loaded).
        self.recent = recent
        self.rows = rows
        self.full = full
        #: Kombo marks: of every marked integration (``full``), else of ``rows``; None:
        #: not loaded (the marks stay as they are).
        self.kombo = kombo


class AttentionChanged(Message):
    """An acknowledgement or a snooze was written from the UI (or refused: ``refusal``);
    ``marks`` are every integration's, read after it."""

    def __init__(
        self,
        integration_id: str,
        title: str,
        text: str,
        marks: Mapping[str, AttentionMark] | None,
        refusal: str | None = None,
    ) -> None:
        super().__init__()
        self.integration_id = integration_id
        self.title = title
        #: What was done, in words (data in it already made safe).
        self.text = text
        self.marks = marks
        self.refusal = refusal


class RowsLoaded(Message):
    """More of the integrations the first screen did not hold, read in the list's order."""

    def __init__(
        self,
        rows: list[IntegrationRow],
        *,
        done: bool,
        recent: Mapping[str, RecentResults] | Mapping[str, ResultStrip] | None = None,
    ) -> None:
        super().__init__()
        self.rows = rows
        #: The recent-results strips of ``rows`` (the background load sends what the list
        #: draws: :class:`~syncwatch.trends.ResultStrip`).
        self.recent = recent
        #: The last of them: every integration is now loaded.
        self.done = done


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
        kombo: Mapping[str, KomboMark] | None = None,
        recent: Mapping[str, RecentResults] | None = None,
    ) -> None:
        super().__init__()
        #: The recent-results strips of ``rows`` (None: not loaded).
        self.recent = recent
        #: The time the action was applied at.
        self.now = now
        #: Kombo marks of ``rows`` (None: not loaded).
        self.kombo = kombo
        self.action = action
        self.results = results
        self.refusals = refusals
        self.unknown = unknown
        self.rows = rows


class DetailLoaded(Message):
    """The syncs, state history and Kombo issues of one integration, for the drill-down."""

    def __init__(
        self,
        integration_id: str,
        syncs: list[SyncRow],
        history: list[HistoryRow],
        issues: list[IssueRow] | None = None,
        upstream: UpstreamInfo | None = None,
        audit: list[AuditRow] | None = None,
    ) -> None:
        super().__init__()
        self.integration_id = integration_id
        self.syncs = syncs
        self.history = history
        #: Its operator actions, oldest first (who caused which transition).
        self.audit: list[AuditRow] = audit or []
        #: Kombo's issues about it, open first.
        self.issues: list[IssueRow] = issues or []
        #: What the last pull learned from Kombo.
        self.upstream = upstream


class LogsLoaded(Message):
    """The log entries of one sync, newest first."""

    def __init__(self, integration_id: str, sync_id: str, logs: list[LogRow]) -> None:
        super().__init__()
        self.integration_id = integration_id
        self.sync_id = sync_id
        self.logs = logs


class KomboConnected(Message):
    """Whether operator actions go to Kombo too (and why not, when misconfigured)."""

    def __init__(self, remote: bool, error: str | None = None) -> None:
        super().__init__()
        self.remote = remote
        self.error = error


# --------------------------------------------------------------------------- screen requests


class OpenIntegration(Message):
    """The operator asked for an integration's drill-down."""

    def __init__(self, integration_id: str) -> None:
        super().__init__()
        self.integration_id = integration_id


class DetailWanted(Message):
    """The drill-down wants its integration's syncs, history and Kombo issues (again)."""

    def __init__(self, integration_id: str) -> None:
        super().__init__()
        self.integration_id = integration_id


class LogsWanted(Message):
    """The drill-down wants the log of one sync."""

    def __init__(self, integration_id: str, sync_id: str) -> None:
        super().__init__()
        self.integration_id = integration_id
        self.sync_id = sync_id


class IntegrationLooked(Message):
    """The operator looked at an integration (the cursor moved onto it): its unseen mark
    goes (see :mod:`syncwatch.tui.attention`)."""

    def __init__(self, integration_id: str) -> None:
        super().__init__()
        self.integration_id = integration_id
