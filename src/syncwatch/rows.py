"""The plain row types the CLI, the TUI and the services read.

Nothing here imports SQLAlchemy: a screen or a command can be built and tested from these
records without a database. The database package (``syncwatch.db``) fills them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from syncwatch.clock import iso
from syncwatch.evaluator import ApiView, IntegrationFacts, SyncFacts, api_view
from syncwatch.states import Environment, IntegrationState, QaStatus, SyncState


@dataclass(frozen=True, slots=True)
class IntegrationRow:
    """One integration as the list, the CLI and the TUI show it."""

    id: str
    tool: str
    category: str
    organization: str
    environment: str
    created_at: datetime
    enabled: bool
    filters_configured: bool
    qa_status: QaStatus | None
    credentials_invalid_at: datetime | None
    credentials_updated_at: datetime | None
    last_api_request_at: datetime | None
    last_reactivated_at: datetime | None
    disabled_reason: str | None
    disabled_at: datetime | None
    deleted_at: datetime | None
    purged_at: datetime | None
    state: IntegrationState | None
    state_reason: str | None
    state_since: datetime | None
    evaluated_at: datetime | None
    last_sync_id: str | None
    last_sync_state: SyncState | None
    last_sync_ended_at: datetime | None
    last_sync_warnings: int
    last_sync_errors: int
    next_due_at: datetime | None
    dirty: bool
    revision: int

    @property
    def deleted(self) -> bool:
        """Deleted as of its last evaluation: a ``deleted_at`` later than ``evaluated_at`` is
        a deletion still to come (the row shows its state until then)."""
        # The rule of IntegrationFacts.deleted_by, without building the facts: the list
        # asks it of every row it filters (100,000 at start-up).
        deleted_at, now = self.deleted_at, self.evaluated_at
        return deleted_at is not None and (now is None or deleted_at <= now)

    @property
    def api(self) -> ApiView | None:
        """Kombo's API view as of the last evaluation (``None`` when deleted by then)."""
        return api_view(
            self.facts, now=self.evaluated_at, has_finished_sync=self.last_sync_id is not None
        )

    @property
    def facts(self) -> IntegrationFacts:
        """The facts the evaluator reads."""
        return IntegrationFacts(
            id=self.id,
            created_at=self.created_at,
            environment=Environment(self.environment),
            enabled=self.enabled,
            filters_configured=self.filters_configured,
            qa_status=self.qa_status,
            credentials_invalid_at=self.credentials_invalid_at,
            credentials_updated_at=self.credentials_updated_at,
            last_api_request_at=self.last_api_request_at,
            last_reactivated_at=self.last_reactivated_at,
            disabled_reason=self.disabled_reason,
            disabled_at=self.disabled_at,
            deleted_at=self.deleted_at,
            purged_at=self.purged_at,
            state=self.state,
        )


@dataclass(frozen=True, slots=True)
class SyncRow:
    id: str
    integration_id: str
    type: str
    state: SyncState
    started_at: datetime
    ended_at: datetime | None
    warnings: int
    errors: int
    headline: str | None
    #: Kombo's page with this sync's log (syncs from webhooks), else None.
    log_url: str | None = None

    @property
    def facts(self) -> SyncFacts:
        return SyncFacts(
            self.id,
            self.state,
            self.started_at,
            self.ended_at,
            self.warnings,
            self.errors,
            self.headline,
        )


@dataclass(frozen=True, slots=True)
class LogRow:
    id: str
    sync_id: str
    integration_id: str
    at: datetime
    level: str
    message: str
    field: str | None


@dataclass(frozen=True, slots=True)
class HistoryRow:
    from_state: IntegrationState | None
    to_state: IntegrationState
    #: When it happened by the rules.
    at: datetime
    reason: str
    #: It rewrote history recorded before (a sync arrived late).
    correction: bool = False
    #: When syncwatch recorded it (``None`` where a read does not say).
    recorded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditRow:
    integration_id: str
    actor: str
    action: str
    at: datetime
    state_before: str | None
    state_after: str | None
    #: The database role that acted (PostgreSQL; None on SQLite and before schema 0006).
    db_role: str | None = None


@dataclass(frozen=True, slots=True)
class EventRow:
    integration_id: str
    kind: str
    at: datetime
    message: str


@dataclass(frozen=True, slots=True)
class Transition:
    """A change of the state an integration shows."""

    integration_id: str
    organization: str
    tool: str
    from_state: IntegrationState | None
    to_state: IntegrationState
    at: datetime
    reason: str
    category: str = ""
    #: Kombo's API view after the transition (``None`` once deleted).
    api: ApiView | None = None
    #: The id of its state-history entry (``syncwatch watch`` calls it ``seq``).
    seq: int | None = None
    #: It rewrote history recorded before (a sync arrived late and the rules now say
    #: otherwise): a correction, not news.
    correction: bool = False


@dataclass(slots=True)
class PassResult:
    """What one evaluation pass did."""

    evaluated: int = 0
    transitions: list[Transition] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)
    revision: int = 0
    #: The time the pass evaluated at (``None``: it evaluated nothing).
    at: datetime | None = None
    #: Whether the pass stored its result. A pass that could not (:attr:`not_stored` says
    #: why: a read-only database, a clock behind the last stored evaluation) ran in memory.
    stored: bool = True
    not_stored: str | None = None
    #: The integrations as evaluated, by id, when nothing was stored (else empty).
    rows: dict[str, IntegrationRow] = field(default_factory=dict)

    def current(self, rows: list[IntegrationRow]) -> list[IntegrationRow]:
        """``rows`` as stored, each replaced by its in-memory evaluation when there is one."""
        return [self.rows.get(r.id, r) for r in rows]


@dataclass(frozen=True, slots=True)
class KomboMark:
    """Kombo's side of one integration, as far as the list shows it."""

    open_issues: int = 0
    #: When a pull was answered 404 (None: Kombo knows it, or nobody asked).
    gone_at: datetime | None = None

    @property
    def empty(self) -> bool:
        return self.open_issues == 0 and self.gone_at is None


NO_MARK = KomboMark()


@dataclass(frozen=True, slots=True)
class UpstreamInfo:
    """What syncwatch knows of an integration from Kombo's side, for ``list`` and ``show``."""

    status: str | None
    checked_at: datetime | None
    gone_at: datetime | None

    @property
    def gone(self) -> bool:
        return self.gone_at is not None

    def json(self) -> dict[str, Any]:
        return {
            "upstream_status": self.status,
            "upstream_checked_at": iso(self.checked_at),
            "upstream_gone_at": iso(self.gone_at),
        }


@dataclass(frozen=True, slots=True)
class IssueRow:
    """One Kombo issue, as ``show`` and the drill-down list it."""

    id: str
    integration_id: str | None
    type: str
    title: str
    status: str
    message: str
    first_observed_at: datetime
    resolved_at: datetime | None
    updated_at: datetime

    @property
    def open(self) -> bool:
        return self.status == "OPEN"


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One Kombo webhook as stored: its body as received and what applying it did."""

    id: str
    seq: int
    type: str
    received_at: datetime
    body: str
    outcome: str
    integration_id: str | None
