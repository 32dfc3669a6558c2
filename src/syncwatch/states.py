"""The vocabulary of syncwatch: states, statuses and their labels, glyphs and colours.

One concept, one home: the UI state's label, glyph, colour, severity and next step live here
and nowhere else. The precedence of states lives in :mod:`syncwatch.evaluator`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class IntegrationState(StrEnum):
    """The nine states the UI shows for an integration."""

    ACTIVE = "ACTIVE"
    SYNC_HAS_WARNINGS = "SYNC_HAS_WARNINGS"
    SYNC_FAILING = "SYNC_FAILING"
    AUTHENTICATION_FAILING = "AUTHENTICATION_FAILING"
    CREDENTIALS_INVALID = "CREDENTIALS_INVALID"
    QUALITY_ASSURANCE = "QUALITY_ASSURANCE"
    SETUP = "SETUP"
    INACTIVE = "INACTIVE"
    DELETED = "DELETED"

    @property
    def info(self) -> StateInfo:
        """Presentation facts for this state."""
        return STATE_INFO[self]

    @property
    def label(self) -> str:
        return STATE_INFO[self].label

    @property
    def glyph(self) -> str:
        return STATE_INFO[self].glyph

    @property
    def severity(self) -> int:
        return STATE_INFO[self].severity

    @property
    def needs_attention(self) -> bool:
        """True for states an on-call engineer should look at."""
        return self not in (
            IntegrationState.ACTIVE,
            IntegrationState.INACTIVE,
            IntegrationState.DELETED,
        )


class ApiStatus(StrEnum):
    """Kombo's integration ``status`` as its API reports it."""

    ACTIVE = "ACTIVE"
    INVALID = "INVALID"
    INACTIVE = "INACTIVE"


class SetupStatus(StrEnum):
    INCOMPLETE = "INCOMPLETE"
    FINAL_SYNC_PENDING = "FINAL_SYNC_PENDING"
    COMPLETED = "COMPLETED"


class QaStatus(StrEnum):
    PENDING = "PENDING"
    FAILED = "FAILED"
    PASSED = "PASSED"


class SyncState(StrEnum):
    """Kombo's sync states."""

    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    PARTIALLY_FAILED = "PARTIALLY_FAILED"
    FAILED = "FAILED"
    AUTHENTICATION_FAILED = "AUTHENTICATION_FAILED"
    TIMED_OUT = "TIMED_OUT"
    CANCELLED = "CANCELLED"

    @property
    def is_finished(self) -> bool:
        """Whether this sync counts for the evaluator (RUNNING and CANCELLED do not)."""
        return self not in (SyncState.RUNNING, SyncState.CANCELLED)

    @property
    def effective(self) -> SyncState:
        """The state the rules see: TIMED_OUT counts as FAILED."""
        return SyncState.FAILED if self is SyncState.TIMED_OUT else self

    @property
    def has_issues(self) -> bool:
        """A first sync in one of these states holds the integration in QA."""
        return self.effective in (
            SyncState.PARTIALLY_FAILED,
            SyncState.FAILED,
            SyncState.AUTHENTICATION_FAILED,
        )


FINISHED_SYNC_STATES: tuple[str, ...] = tuple(s.value for s in SyncState if s.is_finished)


class SyncType(StrEnum):
    FULL = "FULL"
    DELTA = "DELTA"


class LogLevel(StrEnum):
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class Category(StrEnum):
    HRIS = "HRIS"
    ATS = "ATS"
    ASSESSMENT = "ASSESSMENT"
    LMS = "LMS"


class Environment(StrEnum):
    PRODUCTION = "production"
    DEVELOPMENT = "development"


@dataclass(frozen=True, slots=True)
class StateInfo:
    """How a state is shown: never by colour alone."""

    label: str
    glyph: str
    #: Textual theme variable (or a named colour) the state is painted with.
    colour: str
    #: A plain named colour for non-Textual output (the CLI's tables).
    plain_colour: str
    #: Higher is worse; used to sort by state.
    severity: int
    #: What the operator should do; the action that does it is ``actions.NEXT_ACTION``.
    next_step: str


STATE_INFO: dict[IntegrationState, StateInfo] = {
    IntegrationState.ACTIVE: StateInfo(
        "Active", "●", "$success", "green", 1, "None: the integration is running as expected."
    ),
    IntegrationState.SYNC_HAS_WARNINGS: StateInfo(
        "Warnings",
        "▲",
        "$warning",
        "yellow",
        4,
        "Read the warnings in the last sync's log.",
    ),
    IntegrationState.SYNC_FAILING: StateInfo(
        "Failing",
        "✖",
        "$error",
        "red",
        7,
        "Read the errors in the last sync's log; a tool outage clears with the next good sync.",
    ),
    IntegrationState.AUTHENTICATION_FAILING: StateInfo(
        "Auth failing",
        "⚠",
        "#ff8c00",
        "dark_orange",
        6,
        "Get new credentials from the customer and update them; after 3 days syncs pause.",
    ),
    IntegrationState.CREDENTIALS_INVALID: StateInfo(
        "Creds invalid",
        # Not ⛔: terminals draw it as a two-cell colour emoji that ignores the state colour.
        "⊘",
        "#ff3fbf",
        "bright_magenta",
        8,
        "Update the credentials to resume syncing.",
    ),
    IntegrationState.QUALITY_ASSURANCE: StateInfo(
        "QA hold",
        "◆",
        "$primary",
        "blue",
        5,
        "Review the first sync's issues, then release from QA.",
    ),
    IntegrationState.SETUP: StateInfo(
        "Setup",
        "◌",
        # Cyan per docs/rules.md; Textual themes have no cyan variable, and $accent is orange.
        "#0097a7",
        "cyan",
        3,
        "Configure filters to start syncing.",
    ),
    IntegrationState.INACTIVE: StateInfo(
        "Inactive",
        "○",
        "$text-muted",
        "grey50",
        2,
        "Reactivate to resume automatic syncs.",
    ),
    IntegrationState.DELETED: StateInfo(
        "Deleted", "✝", "$text-disabled", "grey37", 0, "None: deletion is final."
    ),
}

#: The order states are listed in summaries: worst first.
STATES_BY_SEVERITY: tuple[IntegrationState, ...] = tuple(
    sorted(IntegrationState, key=lambda s: -STATE_INFO[s].severity)
)
