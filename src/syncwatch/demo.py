"""Demo mode: a simulated sync engine on a fast clock, against the real database and rules.

Nobody can wait three days to show how an integration's credentials go invalid. A
:class:`DemoEngine` plays a scripted scenario: it creates integrations, writes the syncs a
real engine would run (with log lines that read like one) through the importer, performs the
scenario's operator actions through :func:`syncwatch.actions.perform`, and runs the real
evaluator (:meth:`Store.evaluate_pass`) after every step. Nothing in here decides a state: the
engine only produces facts, and the rules in :mod:`syncwatch.evaluator` do the rest.

The engine honours what the store says: it starts no sync while an integration is inactive,
deleted, in setup, held in QA or has invalid credentials, and starts one soon after an
operator (scripted or at the keyboard) lifts the block.

Everything is deterministic from ``seed`` and ``start``: no wall clock, no global random.
"""

from __future__ import annotations

import math
import random
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from syncwatch.actions import Action, ActionRefused, UnknownIntegration, perform
from syncwatch.clock import to_utc
from syncwatch.evaluator import IntegrationFacts, SyncFacts, evaluate
from syncwatch.importer import IntegrationIn, LogIn, ParsedFile, SyncIn, import_parsed
from syncwatch.present import fmt_duration, fmt_time
from syncwatch.rows import EventRow, IntegrationRow, Transition
from syncwatch.states import (
    Category,
    Environment,
    IntegrationState,
    LogLevel,
    QaStatus,
    SyncState,
    SyncType,
)
from syncwatch.store import Store

__all__ = [
    "DEFAULT_UNTIL",
    "OPERATOR",
    "SCENARIOS",
    "SCENARIO_DESCRIPTIONS",
    "ActionDone",
    "AdvanceResult",
    "DemoEngine",
    "DemoIntegration",
    "HeadlessResult",
    "Profile",
    "ScriptedAction",
    "SyncWrite",
    "parse_duration",
    "run_headless",
]

SCENARIOS = ("tour", "incident", "steady")

SCENARIO_DESCRIPTIONS: dict[str, str] = {
    "tour": "Nine integrations that between them pass through all nine states in about "
    "15 simulated days (most of them on day 1).",
    "incident": "40 integrations: a Workday outage hits ten of them at once, and a BambooHR "
    "credentials rotation goes wrong for eight; operators update the credentials later.",
    "steady": "A realistic fleet of 300 integrations across 20 tools: mostly healthy, a few "
    "flaky ones, rare outages.",
}

#: How long each scenario is worth watching (simulated time).
DEFAULT_UNTIL: dict[str, timedelta] = {
    "tour": timedelta(days=16),
    "incident": timedelta(days=5),
    "steady": timedelta(days=7),
}

#: The actor recorded in the audit log for scripted operator actions.
OPERATOR = "demo-operator"

DELTA_EVERY = timedelta(hours=3)
FULL_EVERY = timedelta(hours=10)
#: A scheduled DELTA is skipped when the previous sync started less than this before it.
_DELTA_AFTER_ANY = timedelta(minutes=45)
#: A scheduled FULL is skipped when a FULL (e.g. a kick-off) started less than this before it.
_FULL_AFTER_FULL = timedelta(hours=2)
#: How far the stored ``last_api_request_at`` may lag the customer's latest request.
_ACTIVITY_STALE = timedelta(hours=6)
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


class Profile(StrEnum):
    """How a simulated integration behaves."""

    HEALTHY = "healthy"
    FLAKY = "flaky"
    OUTAGE = "outage"
    EXPIRING_CREDENTIALS = "expiring credentials"
    NEEDS_QA = "needs QA"
    IDLE_DEVELOPMENT = "idle development"
    NOT_SET_UP = "not set up"


# --------------------------------------------------------------------------- tools


@dataclass(frozen=True, slots=True)
class _Tool:
    """One third-party tool: how its API looks in an engine's log lines.

    Templates may use ``{tenant}``, ``{n}`` (records), ``{k}`` (a small count) and ``{id}``.
    """

    key: str
    name: str
    category: Category
    noun: str
    request: str
    page_size: int
    model: str
    noun2: str
    request2: str
    warnings: tuple[tuple[str, str], ...]
    auth: str
    size: tuple[int, int]


# fmt: off
_TOOLS: dict[str, _Tool] = {t.key: t for t in (
    _Tool("personio", "Personio", Category.HRIS, "employees", "GET /v1/company/employees", 100,
          "hris.employees", "time-off periods", "GET /v1/company/time-offs",
          (("Could not fetch field date_of_birth: permission missing "
            "(403 on GET /v1/company/employees/attributes)", "hris.employees.date_of_birth"),
           ("Could not fetch absence balances: 403 Forbidden on GET /v1/company/time-off-types "
            "(the API credentials have no read access to Absences)", "hris.time_off_balances")),
          "401 Unauthorized on POST /v1/auth: client credentials rejected by Personio "
          "(API credentials deleted or regenerated in Settings > Integrations)", (40, 4000)),
    _Tool("workday", "Workday", Category.HRIS, "workers",
          "SOAP Get_Workers /ccx/service/{tenant}/Human_Resources/v42.0", 200, "hris.employees",
          "time-off plan balances",
          "SOAP Get_Time_Off_Plan_Balances /ccx/service/{tenant}/Absence_Management/v42.0",
          (("Could not fetch field ethnicity: the integration system user's security group has "
            "no access to the domain 'Worker Data: Personal Data' (field empty for {n} workers)",
            "hris.employees.ethnicity"),),
          "SOAP fault wsse:FailedAuthentication on Get_Workers: invalid username or password "
          "for integration system user ISU_Kombo@{tenant}", (1500, 40000)),
    _Tool("bamboohr", "BambooHR", Category.HRIS, "employees",
          "GET /api/gateway.php/{tenant}/v1/reports/custom", 1000, "hris.employees",
          "time-off requests", "GET /api/gateway.php/{tenant}/v1/time_off/requests",
          (("Could not fetch time-off balances: 403 on GET /api/gateway.php/{tenant}/v1/"
            "employees/{id}/time_off/calculator (the API user has no access to Time Off)",
            "hris.time_off_balances"),),
          "401 Unauthorized on GET /api/gateway.php/{tenant}/v1/employees/directory: API key "
          "rejected by BambooHR (key revoked or expired)", (30, 1500)),
    _Tool("hibob", "HiBob", Category.HRIS, "people", "POST /v1/people/search", 5000,
          "hris.employees", "time-off requests", "GET /v1/timeoff/requests/changes",
          (("Could not fetch field bank_accounts: the service user has no access to the "
            "'Payroll' category (403 on POST /v1/people/search)", "hris.employees.bank_accounts"),
           ("Could not fetch field work.reportsTo for {k} people: 403 on GET /v1/people/{id} "
            "(field permission 'Work > Reports to' not granted)", "hris.employees.manager")),
          "401 Unauthorized on POST /v1/people/search: service user rejected by HiBob "
          "(service user deactivated or its permission group removed)", (60, 5000)),
    _Tool("successfactors", "SAP SuccessFactors", Category.HRIS, "employees",
          "GET /odata/v2/PerPerson", 1000, "hris.employees", "job records",
          "GET /odata/v2/EmpJob",
          (("Could not fetch job information for {k} employments: 403 on GET /odata/v2/EmpJob "
            "(role permission 'Job Information' missing for API user SFAPI_KOMBO)",
            "hris.employments"),),
          "401 Unauthorized: SAML bearer assertion for API user SFAPI_KOMBO rejected by SAP "
          "SuccessFactors (X.509 certificate expired)", (800, 30000)),
    _Tool("factorial", "Factorial", Category.HRIS, "employees",
          "GET /api/2025-04-01/resources/employees/employees", 100, "hris.employees", "leaves",
          "GET /api/2025-04-01/resources/timeoff/leaves",
          (("Could not fetch field home_address: custom field 'Dirección particular' no longer "
            "exists in Factorial (404 on GET /api/2025-04-01/resources/custom_fields/fields/"
            "{id})", "hris.employees.home_address"),
           ("Could not map employment_type value 'Fijo discontinuo' for {k} employees; stored "
            "as null", "hris.employees.employment_type")),
          "401 Unauthorized on POST /oauth/token: OAuth refresh token rejected by Factorial "
          "(invalid_grant: the admin who connected the app was deactivated)", (20, 900)),
    _Tool("adp_workforce_now", "ADP Workforce Now", Category.HRIS, "workers",
          "GET /hr/v2/workers", 100, "hris.employees", "time-off requests",
          "GET /time/v2/workers/{id}/time-off-requests",
          (("Could not fetch field ssn: the consumer application lacks the 'Personal Identity' "
            "data scope (403 on GET /hr/v2/workers)", "hris.employees.ssn"),),
          "401 Unauthorized on POST /auth/oauth/v2/token: ADP rejected the client certificate "
          "of the consumer application (certificate expired or consent revoked)", (200, 8000)),
    _Tool("rippling", "Rippling", Category.HRIS, "employees", "GET /platform/api/employees", 100,
          "hris.employees", "groups", "GET /platform/api/groups",
          (("Could not fetch field compensation: scope 'employee:compensation' not granted "
            "(403 on GET /platform/api/employees/{id}/compensation)",
            "hris.employments.pay_rate"),),
          "403 Forbidden on GET /platform/api/employees: Rippling access token revoked (the app "
          "was uninstalled by a Rippling admin)", (40, 3000)),
    _Tool("deel", "Deel", Category.HRIS, "people", "GET /rest/v2/people", 100, "hris.employees",
          "contracts", "GET /rest/v2/contracts",
          (("Skipped {k} EOR contracts without a worker profile (404 on GET /rest/v2/people/"
            "{id})", "hris.employments"),),
          "401 Unauthorized on GET /rest/v2/people: Deel API token rejected (token revoked in "
          "Deel > Developer Center)", (20, 2000)),
    _Tool("greenhouse", "Greenhouse", Category.ATS, "candidates", "GET /v1/candidates", 500,
          "ats.candidates", "applications", "GET /v1/applications",
          (("Skipped {k} of {n} applications: 404 Not Found on GET /v1/applications/{id} "
            "(deleted during the sync)", "ats.applications"),
           ("Could not fetch field custom_fields.salary_expectation: the Harvest API key has no "
            "access to private fields (403 on GET /v1/candidates/{id})",
            "ats.candidates.custom_fields")),
          "401 Unauthorized on GET /v1/candidates: Harvest API key rejected by Greenhouse "
          "(key revoked)", (500, 50000)),
    _Tool("lever", "Lever", Category.ATS, "opportunities", "GET /v1/opportunities", 100,
          "ats.applications", "postings", "GET /v1/postings",
          (("Could not fetch interview feedback: 403 on GET /v1/opportunities/{id}/feedback "
            "(scope feedback:read:admin not granted)", "ats.interviews"),),
          "401 Unauthorized on POST https://auth.lever.co/oauth/token: OAuth refresh token "
          "revoked by Lever (invalid_grant)", (300, 30000)),
    _Tool("ashby", "Ashby", Category.ATS, "candidates", "POST /candidate.list", 100,
          "ats.candidates", "applications", "POST /application.list",
          (("Could not fetch field source: API key lacks permission 'hiringProcessMetadataRead' "
            "(403 on POST /source.list)", "ats.applications.source"),),
          "401 Unauthorized on POST /candidate.list: Ashby API key rejected (key deleted or "
          "its 'candidatesRead' permission removed)", (300, 20000)),
    _Tool("teamtailor", "Teamtailor", Category.ATS, "candidates", "GET /v1/candidates", 30,
          "ats.candidates", "job applications", "GET /v1/job-applications",
          (("Could not fetch field resume: 403 on GET /v1/candidates/{id}/uploads (API key "
            "scope is 'Public', not 'Admin')", "ats.candidates.resume"),),
          "401 Unauthorized on GET /v1/candidates: Teamtailor API key rejected (key deleted in "
          "Settings > Integrations > API keys)", (200, 8000)),
    _Tool("workable", "Workable", Category.ATS, "candidates", "GET /spi/v3/candidates", 100,
          "ats.candidates", "jobs", "GET /spi/v3/jobs",
          (("Could not fetch field phone: the access token lacks scope r_candidates for personal "
            "data (403 on GET /spi/v3/candidates/{id})", "ats.candidates.phone_numbers"),),
          "401 Unauthorized on GET /spi/v3/candidates: Workable access token rejected by "
          "{tenant}.workable.com (token revoked or expired)", (200, 10000)),
    _Tool("smartrecruiters", "SmartRecruiters", Category.ATS, "candidates", "GET /candidates",
          100, "ats.candidates", "jobs", "GET /jobs",
          (("Could not fetch {k} applications: 403 Forbidden on GET /candidates/{id}/"
            "applications (missing scope candidates_read)", "ats.applications"),),
          "401 Unauthorized on GET /candidates: SmartRecruiters API key rejected (X-SmartToken "
          "deactivated)", (1000, 50000)),
    _Tool("recruitee", "Recruitee", Category.ATS, "candidates", "GET /c/{tenant}/candidates",
          100, "ats.candidates", "offers", "GET /c/{tenant}/offers",
          (("Could not fetch field cover_letter for {k} candidates: 404 on GET /c/{tenant}/"
            "candidates/{id}/attachments", "ats.candidates.attachments"),),
          "401 Unauthorized on GET /c/{tenant}/candidates: Recruitee personal API token rejected "
          "(token deleted by a company admin)", (100, 6000)),
    _Tool("testgorilla", "TestGorilla", Category.ASSESSMENT, "assessment orders",
          "GET /api/assessments/candidature", 100, "assessment.orders", "tests", "GET /api/tests",
          (("Could not fetch the result PDF for {k} candidates: 404 on GET /api/assessments/"
            "candidature/{id}/pdf_report", "assessment.orders.result_url"),),
          "401 Unauthorized on GET /api/assessments/candidature: TestGorilla API token rejected "
          "(token regenerated in Settings > API)", (100, 5000)),
    _Tool("codility", "Codility", Category.ASSESSMENT, "test sessions",
          "GET /api/tests/{id}/sessions", 50, "assessment.orders", "tests", "GET /api/tests",
          (("Could not fetch similarity check for {k} sessions: 403 on GET /api/sessions/{id}"
            "/similarity (feature not in the customer's plan)", "assessment.orders.result"),),
          "401 Unauthorized on GET /api/tests: Codility API token rejected (token revoked)",
          (50, 3000)),
    _Tool("docebo", "Docebo", Category.LMS, "users", "GET /manage/v1/user", 200, "lms.users",
          "course enrollments", "GET /course/v1/courses/enrollments",
          (("Could not fetch field manager for {k} users: 403 on GET /manage/v1/user/{id}"
            "/managers (power user profile lacks 'View managers')", "lms.users.manager"),),
          "401 Unauthorized on POST /oauth2/token: Docebo API app credentials rejected "
          "(client deactivated)", (200, 10000)),
    _Tool("talentlms", "TalentLMS", Category.LMS, "users", "GET /api/v1/users", 1000,
          "lms.users", "courses", "GET /api/v1/courses",
          (("Could not fetch course progress for {k} users: 404 on GET /api/v1/"
            "getuserstatusincourse/course_id:{id},user_id:{id}", "lms.course_progressions"),),
          "401 Unauthorized on GET /api/v1/users: TalentLMS API key rejected (key reset by an "
          "administrator)", (100, 8000)),
)}
# fmt: on

#: How often each tool shows up in a realistic fleet.
_TOOL_WEIGHTS: dict[str, int] = {
    "personio": 30, "hibob": 20, "bamboohr": 20, "workday": 15, "factorial": 15,
    "successfactors": 8, "adp_workforce_now": 8, "rippling": 10, "deel": 10,
    "greenhouse": 25, "lever": 15, "ashby": 15, "teamtailor": 12, "workable": 12,
    "smartrecruiters": 8, "recruitee": 10, "testgorilla": 6, "codility": 5, "docebo": 6,
    "talentlms": 6,
}  # fmt: skip

_ORG_WORDS = (
    "Nordwind", "Alpenblick", "Cobalt", "Copperleaf", "Ironbark", "Meridian", "Polaris",
    "Saltmarsh", "Tidewater", "Verdant", "Wildflower", "Granite Peak", "Silverline", "Cascadia",
    "Oakridge", "Redwood", "Havsbris", "Pixelmint", "Atlas", "Orbital", "Marlowe", "Lindqvist",
    "Sunnyside", "Glasshouse", "Eisvogel", "Paperkite", "Mosaic", "Skärgård", "Stackforge",
    "Quill", "Bluefin", "Harbourlight", "Kiefernwald", "Montclair", "Zephyr", "Larkspur",
    "Blackthorn", "Solvang", "Aurelia", "Birchwood", "Castellan", "Driftwood", "Emberly",
    "Fennick", "Goldcrest", "Highmoor", "Juniper", "Kittiwake",
)  # fmt: skip
_ORG_TRADES = (
    "Logistics", "Software", "Health", "Robotics", "Retail", "Foods", "Energy", "Analytics",
    "Consulting", "Insurance", "Hotels", "Media", "Games", "Freight", "Labs", "Studios",
    "Pharma", "Solar", "Mobility", "Construction", "Legal", "Payments", "Apparel", "Aviation",
    "Outfitters", "Academy", "Biotech", "Realty",
)  # fmt: skip
_ORG_FORMS = (
    "GmbH", "AG", "Ltd", "Inc.", "B.V.", "AB", "AS", "Oy", "S.L.", "SAS", "S.p.A.", "plc",
    "LLC", "Pty Ltd", "SE",
)  # fmt: skip


# --------------------------------------------------------------------------- public types


@dataclass(frozen=True, slots=True)
class DemoIntegration:
    """One simulated integration: its facts at creation and how it behaves."""

    id: str
    tool: str
    organization: str
    environment: Environment
    created_at: datetime
    profile: Profile
    #: What this integration is there to show (one line, for a legend).
    role: str
    size: int
    filters_configured: bool = True
    #: Set up long before ``start``: QA passed, a day of sync history before ``start``.
    established: bool = True
    last_api_request_at: datetime | None = None
    #: The customer calls the API (bumps ``last_api_request_at``); idle ones never do.
    calls_api: bool = True
    #: The first sync finishes with warnings (and so holds the integration in QA).
    first_sync_issue: bool = False
    #: Chance that a sync finishes with warnings (flaky).
    warning_rate: float = 0.0
    #: Chance that a sync fails on a transient error (rate limit, 502).
    blip_rate: float = 0.0
    #: Every sync starting in one of these windows finishes with warnings.
    warning_windows: tuple[tuple[datetime, datetime], ...] = ()
    #: The tool's API is down in these windows: syncs fail or time out.
    outages: tuple[tuple[datetime, datetime], ...] = ()
    #: From here on every sync fails on authentication until the credentials are updated.
    credentials_expire_at: datetime | None = None
    #: The auth error carries the rejected header, to show that logs are redacted.
    leaky_auth_log: bool = False
    #: The first sync of a new integration (filters configured at creation).
    first_sync_at: datetime | None = None

    @property
    def tool_name(self) -> str:
        return _TOOLS[self.tool].name


@dataclass(frozen=True, slots=True)
class ScriptedAction:
    """An operator action the scenario performs when the simulated clock reaches ``at``."""

    at: datetime
    action: Action
    integration_id: str
    note: str


@dataclass(frozen=True, slots=True)
class ActionDone:
    """A scripted action as it was performed (at ``performed_at``) or refused."""

    scripted: ScriptedAction
    performed_at: datetime
    state_before: IntegrationState | None
    state_after: IntegrationState | None
    #: Why the action was refused; ``None`` when it was applied.
    refused: str | None = None


@dataclass(frozen=True, slots=True)
class SyncWrite:
    """One sync record the engine wrote (a sync is written again when it finishes)."""

    integration_id: str
    sync_id: str
    type: SyncType
    state: SyncState
    started_at: datetime
    ended_at: datetime | None


@dataclass(slots=True)
class AdvanceResult:
    """What one :meth:`DemoEngine.advance` did, in the window ``(since, now]``."""

    since: datetime
    now: datetime
    syncs: list[SyncWrite] = field(default_factory=list)
    #: Integrations whose ``last_api_request_at`` was bumped.
    activity: list[str] = field(default_factory=list)
    actions: list[ActionDone] = field(default_factory=list)
    #: Every state change in this step (the engine's integrations and any others in the DB).
    transitions: list[Transition] = field(default_factory=list)
    #: Things engineering is notified of (QA hold, credentials invalid, ...).
    events: list[EventRow] = field(default_factory=list)

    @property
    def started(self) -> list[SyncWrite]:
        """Syncs that started in this step."""
        return [s for s in self.syncs if s.started_at > self.since]

    @property
    def finished(self) -> list[SyncWrite]:
        """Syncs that finished (or were cancelled) in this step."""
        return [s for s in self.syncs if s.state is not SyncState.RUNNING]

    @property
    def changed(self) -> bool:
        """Whether this step wrote anything."""
        return bool(self.syncs or self.activity or self.actions or self.transitions)


@dataclass(slots=True)
class HeadlessResult:
    """What :func:`run_headless` did."""

    scenario: str
    seed: int
    start: datetime
    end: datetime
    steps: int = 0
    integrations: int = 0
    syncs_started: int = 0
    syncs_finished: int = 0
    actions: list[ActionDone] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    #: How many of the engine's integrations show each state at ``end``.
    final_states: dict[IntegrationState, int] = field(default_factory=dict)
    #: The scenario's integrations and its scripted actions.
    roster: list[DemoIntegration] = field(default_factory=list)
    script: list[ScriptedAction] = field(default_factory=list)

    @property
    def states_reached(self) -> set[IntegrationState]:
        """Every state some integration entered."""
        return {t.to_state for t in self.transitions}


# --------------------------------------------------------------------------- durations

_DURATION = re.compile(
    r"(?:(?P<w>\d+)w)?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m(?:in)?)?(?:(?P<s>\d+)s)?"
)


def parse_duration(text: str) -> timedelta:
    """``"5d"``, ``"36h"``, ``"90m"``, ``"2d12h"``, ``"1w"``, ``"45s"`` -> a timedelta.

    Units, largest first, each at most once: ``w``, ``d``, ``h``, ``m`` (or ``min``), ``s``.
    Raises ``ValueError`` with a message fit for a user.
    """
    raw = text.strip().lower().replace(" ", "")
    match = _DURATION.fullmatch(raw)
    if not raw or match is None or not any(match.groupdict().values()):
        raise ValueError(
            f"{text!r} is not a duration: use whole numbers with the units d, h, m or s, "
            "largest first, e.g. 5d, 36h, 90m or 2d12h"
        )
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    value = timedelta(
        weeks=parts.get("w", 0),
        days=parts.get("d", 0),
        hours=parts.get("h", 0),
        minutes=parts.get("m", 0),
        seconds=parts.get("s", 0),
    )
    if value <= timedelta(0):
        raise ValueError(f"{text!r} is not a duration: it must be longer than zero")
    return value


# --------------------------------------------------------------------------- scenarios


@dataclass(slots=True)
class _Scenario:
    integrations: list[DemoIntegration]
    script: list[ScriptedAction]
    backfill: timedelta


class _Ids:
    """Kombo-style integration ids (``personio:8Fz2QaLk``), deterministic per attempt."""

    def __init__(self, seed: int, scenario: str, attempt: int) -> None:
        self._rng = random.Random(f"syncwatch-demo|{scenario}|{seed}|ids|{attempt}")
        self._seen: set[str] = set()

    def __call__(self, tool: str) -> str:
        while True:
            token = "".join(self._rng.choice(_BASE62) for _ in range(8))
            if token not in self._seen:
                self._seen.add(token)
                return f"{tool}:{token}"


def _h(hours: float) -> timedelta:
    """Hours as a timedelta of whole seconds (stored times read better without fractions)."""
    return timedelta(seconds=round(hours * 3600))


def _size(rng: random.Random, tool: str) -> int:
    low, high = _TOOLS[tool].size
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


def _tour(start: datetime, rng: random.Random, new_id: Callable[[str], str]) -> _Scenario:
    """Nine integrations; together they show all nine states within about 15 days."""
    s = start

    def established(
        tool: str, org: str, size: int, profile: Profile, role: str, **kw: object
    ) -> DemoIntegration:
        values: dict[str, object] = {
            "created_at": s - _h(rng.uniform(24 * 90, 24 * 500)),
            "last_api_request_at": s - _h(rng.uniform(0.1, 2.0)),
        }
        values.update(kw)
        return DemoIntegration(
            id=new_id(tool),
            tool=tool,
            organization=org,
            environment=Environment.PRODUCTION,
            profile=profile,
            role=role,
            size=size,
            **values,  # type: ignore[arg-type]
        )

    healthy = established(
        "personio", "Acme GmbH", 1284, Profile.HEALTHY,
        "healthy: every sync succeeds (ACTIVE)",
    )  # fmt: skip
    flaky = established(
        "hibob", "Fjordline Software AS", 612, Profile.FLAKY,
        "flaky: some syncs finish with warnings (SYNC_HAS_WARNINGS, then ACTIVE again)",
        warning_rate=0.1, warning_windows=((s + _h(1.5), s + _h(7)), (s + _h(60), s + _h(64))),
    )  # fmt: skip
    outage = established(
        "workday", "Helios Retail Group plc", 8412, Profile.OUTAGE,
        "Workday's API is down for six hours (SYNC_FAILING, then ACTIVE with the next good sync)",
        outages=((s + _h(4.5), s + _h(11)),),
    )  # fmt: skip
    expiring = established(
        "bamboohr", "Kestrel Labs Ltd", 214, Profile.EXPIRING_CREDENTIALS,
        "its API key is revoked (AUTHENTICATION_FAILING, after 72 h CREDENTIALS_INVALID, "
        "ACTIVE once an operator updates the credentials)",
        credentials_expire_at=s + _h(3), leaky_auth_log=True,
    )  # fmt: skip
    needs_qa = DemoIntegration(
        id=new_id("greenhouse"),
        tool="greenhouse",
        organization="Brightwave Health Inc.",
        environment=Environment.PRODUCTION,
        created_at=s - _h(0.4),
        profile=Profile.NEEDS_QA,
        role="just connected; its first sync has issues (QUALITY_ASSURANCE until released)",
        size=18400,
        established=False,
        last_api_request_at=None,
        first_sync_issue=True,
        first_sync_at=s + _h(rng.uniform(8, 15) / 60),
    )
    setup = DemoIntegration(
        id=new_id("lever"),
        tool="lever",
        organization="Quanta Robotics Inc.",
        environment=Environment.PRODUCTION,
        created_at=s - _h(2.5),
        profile=Profile.NOT_SET_UP,
        role="connected without filters (SETUP until an operator configures them)",
        size=2730,
        filters_configured=False,
        established=False,
    )
    idle_dev = DemoIntegration(
        id=new_id("personio"),
        tool="personio",
        organization="Acme GmbH",
        environment=Environment.DEVELOPMENT,
        created_at=s - timedelta(days=41),
        profile=Profile.IDLE_DEVELOPMENT,
        role="a development integration nobody calls (INACTIVE: no API request for 14 days)",
        size=1284,
        last_api_request_at=s - timedelta(days=14) + _h(15 + rng.uniform(0, 50) / 60),
        calls_api=False,
    )
    paused = established(
        "factorial", "Lumen Health S.L.", 340, Profile.HEALTHY,
        "an operator pauses it, then reactivates it (INACTIVE, then ACTIVE)",
    )  # fmt: skip
    churned = established(
        "teamtailor", "Foxglove Apparel Ltd", 1900, Profile.HEALTHY,
        "the customer churns (DELETED; its syncs and logs are purged 14 days later)",
    )  # fmt: skip
    script = [
        ScriptedAction(s + _h(10), Action.CONFIGURE_FILTERS, setup.id,
                       "The customer chose which departments to sync; filters configured."),
        ScriptedAction(s + _h(20), Action.RELEASE_QA, needs_qa.id,
                       "Engineering reviewed the first sync's warnings and released it."),
        ScriptedAction(s + _h(36), Action.DELETE, churned.id,
                       "The customer cancelled their contract; integration deleted."),
        ScriptedAction(s + _h(42), Action.DEACTIVATE, paused.id,
                       "The customer asked to pause syncs during their payroll migration."),
        ScriptedAction(s + _h(60), Action.REACTIVATE, idle_dev.id,
                       "A developer picked the sandbox integration back up."),
        ScriptedAction(s + _h(72), Action.REACTIVATE, paused.id,
                       "Payroll migration done; automatic syncs resumed."),
        ScriptedAction(s + _h(96), Action.UPDATE_CREDENTIALS, expiring.id,
                       "The customer sent a new API key; credentials updated."),
    ]  # fmt: skip
    return _Scenario(
        [healthy, flaky, outage, expiring, needs_qa, setup, idle_dev, paused, churned],
        script,
        backfill=_h(26),
    )


class _Orgs:
    """Made-up organisation names, never the same one twice."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._seen: set[str] = set()

    def __call__(self) -> str:
        while True:
            name = (
                f"{self._rng.choice(_ORG_WORDS)} {self._rng.choice(_ORG_TRADES)} "
                f"{self._rng.choice(_ORG_FORMS)}"
            )
            if name not in self._seen:
                self._seen.add(name)
                return name


def _fleet_member(
    rng: random.Random,
    new_id: Callable[[str], str],
    start: datetime,
    tool: str,
    org: str,
    profile: Profile = Profile.HEALTHY,
    role: str = "healthy",
    environment: Environment = Environment.PRODUCTION,
    **kw: object,
) -> DemoIntegration:
    values: dict[str, object] = {
        "created_at": start - _h(rng.uniform(24 * 20, 24 * 700)),
        "last_api_request_at": start - _h(rng.uniform(0.05, 3)),
        "blip_rate": 0.002,
    }
    values.update(kw)
    return DemoIntegration(
        id=new_id(tool),
        tool=tool,
        organization=org,
        environment=environment,
        profile=profile,
        role=role,
        size=_size(rng, tool),
        **values,  # type: ignore[arg-type]
    )


def _incident(start: datetime, rng: random.Random, new_id: Callable[[str], str]) -> _Scenario:
    """A Workday outage and a BambooHR credentials rotation gone wrong, in a fleet of 40."""
    s = start
    orgs = _Orgs(rng)
    out: list[DemoIntegration] = []
    script: list[ScriptedAction] = []
    down = (s + _h(6), s + _h(9.5))
    for _ in range(10):
        out.append(
            _fleet_member(
                rng, new_id, s, "workday", orgs(), Profile.OUTAGE,
                "hit by the Workday outage (SYNC_FAILING, then ACTIVE)", outages=(down,),
            )
        )  # fmt: skip
    rotation = s + _h(8)
    for i in range(8):
        forgotten = i >= 6
        member = _fleet_member(
            rng, new_id, s, "bamboohr", orgs(), Profile.EXPIRING_CREDENTIALS,
            "hit by the BambooHR credentials rotation" + (
                " and forgotten (CREDENTIALS_INVALID)" if forgotten
                else " (AUTHENTICATION_FAILING)"
            ),
            credentials_expire_at=rotation,
        )  # fmt: skip
        out.append(member)
        if forgotten:
            at = s + _h(24 * 3 + 20) + timedelta(minutes=9 * (i - 6))
            note = "Found during the weekly review: new BambooHR API key entered."
        else:
            at = s + _h(28) + timedelta(minutes=7 * i)
            note = "Incident follow-up: new BambooHR API key entered."
        script.append(ScriptedAction(at, Action.UPDATE_CREDENTIALS, member.id, note))
    others = [t for t in _TOOL_WEIGHTS if t not in ("workday", "bamboohr")]
    for i in range(22):
        tool = others[i % len(others)] if i < len(others) else rng.choice(others)
        if i in (3, 9, 15):
            out.append(
                _fleet_member(
                    rng, new_id, s, tool, orgs(), Profile.FLAKY,
                    "flaky (SYNC_HAS_WARNINGS now and then)", warning_rate=0.3,
                )
            )  # fmt: skip
        elif i in (5, 12):
            out.append(
                _fleet_member(
                    rng, new_id, s, tool, orgs(), role="healthy development integration",
                    environment=Environment.DEVELOPMENT,
                )
            )  # fmt: skip
        else:
            out.append(_fleet_member(rng, new_id, s, tool, orgs()))
    return _Scenario(out, sorted(script, key=lambda a: a.at), backfill=_h(24))


def _steady(start: datetime, rng: random.Random, new_id: Callable[[str], str]) -> _Scenario:
    """A realistic, mostly healthy fleet of 300 integrations."""
    s = start
    orgs = _Orgs(rng)
    tools = list(_TOOL_WEIGHTS)
    weights = list(_TOOL_WEIGHTS.values())
    # Rare outages: two tools go down for a couple of hours at some point in the week.
    tool_outages: dict[str, tuple[tuple[datetime, datetime], ...]] = {}
    for tool in rng.sample(tools, 2):
        begin = s + _h(rng.uniform(20, 24 * 6))
        tool_outages[tool] = ((begin, begin + _h(rng.uniform(1.5, 3.5))),)
    out: list[DemoIntegration] = []
    script: list[ScriptedAction] = []
    previous_org: str | None = None
    for _ in range(300):
        tool = rng.choices(tools, weights)[0]
        org = previous_org if previous_org and rng.random() < 0.15 else orgs()
        previous_org = org
        roll = rng.random()
        outages = tool_outages.get(tool, ())
        if roll < 0.05:
            member = _fleet_member(
                rng, new_id, s, tool, org, Profile.FLAKY, "flaky", warning_rate=0.3,
                outages=outages,
            )  # fmt: skip
        elif roll < 0.07:
            begin = s + _h(rng.uniform(6, 24 * 6))
            member = _fleet_member(
                rng, new_id, s, tool, org, Profile.OUTAGE, "a short outage of its own",
                outages=(*outages, (begin, begin + _h(rng.uniform(2, 5)))),
            )  # fmt: skip
        elif roll < 0.08:
            member = _fleet_member(
                rng, new_id, s, tool, org, Profile.IDLE_DEVELOPMENT,
                "idle development integration", Environment.DEVELOPMENT, calls_api=False,
                last_api_request_at=s - _h(rng.uniform(24 * 8, 24 * 13.9)),
            )  # fmt: skip
        elif roll < 0.16:
            member = _fleet_member(
                rng, new_id, s, tool, org, role="healthy development integration",
                environment=Environment.DEVELOPMENT, outages=outages,
            )  # fmt: skip
        elif roll < 0.18:
            member = _fleet_member(
                rng, new_id, s, tool, org, Profile.NOT_SET_UP, "waiting for filters",
                created_at=s - _h(rng.uniform(1, 48)), filters_configured=False,
                established=False, last_api_request_at=None,
            )  # fmt: skip
            at = s + _h(rng.uniform(2, 24 * 3))
            script.append(
                ScriptedAction(at, Action.CONFIGURE_FILTERS, member.id, "Filters configured.")
            )
        else:
            member = _fleet_member(rng, new_id, s, tool, org, outages=outages)
        out.append(member)
    return _Scenario(out, sorted(script, key=lambda a: a.at), backfill=_h(8))


_BUILDERS: dict[str, Callable[[datetime, random.Random, Callable[[str], str]], _Scenario]] = {
    "tour": _tour,
    "incident": _incident,
    "steady": _steady,
}


# --------------------------------------------------------------------------- the engine


class _Cause(StrEnum):
    """Why a sync ends the way it does (picks its log lines)."""

    OK = "ok"
    WARNINGS = "warnings"
    OUTAGE = "outage"
    TIMEOUT = "timeout"
    BLIP = "blip"
    AUTH = "auth"


@dataclass(slots=True)
class _Sync:
    """A sync the engine has started: its whole future is decided when it starts."""

    id: str
    type: SyncType
    state: SyncState
    started_at: datetime
    ended_at: datetime
    logs: list[LogIn]

    def record(self, upto: datetime) -> SyncIn:
        """The sync as an import record, as it looks at ``upto``."""
        if self.ended_at <= upto:
            return SyncIn(
                id=self.id,
                type=self.type,
                state=self.state,
                started_at=self.started_at,
                ended_at=self.ended_at,
                logs=list(self.logs),
            )
        return SyncIn(
            id=self.id,
            type=self.type,
            state=SyncState.RUNNING,
            started_at=self.started_at,
            logs=[x for x in self.logs if x.at <= upto],
        )

    def cancelled(self, at: datetime, why: str) -> SyncIn:
        logs = [x for x in self.logs if x.at <= at]
        logs.append(
            LogIn(
                id=f"{self.id}-cancel", at=at, level=LogLevel.INFO, message=f"Sync cancelled: {why}"
            )
        )
        return SyncIn(
            id=self.id,
            type=self.type,
            state=SyncState.CANCELLED,
            started_at=self.started_at,
            ended_at=at,
            logs=logs,
        )


@dataclass(slots=True)
class _Sim:
    """The engine's running state for one integration."""

    plan: DemoIntegration
    rng: random.Random
    tenant: str
    token: str
    seq: int = 0
    next_delta: datetime | None = None
    next_full: datetime | None = None
    kickoff: datetime | None = None
    kickoff_reason: str = ""
    running: _Sync | None = None
    free_at: datetime | None = None
    last_start: datetime | None = None
    last_full_start: datetime | None = None
    last_success_end: datetime | None = None
    next_request: datetime | None = None
    latest_request: datetime | None = None
    written_request: datetime | None = None
    #: The finished syncs the rules can still see (first one + the tail since the last
    #: non-authentication failure): enough for the evaluator to tell whether a sync may start.
    memory: list[SyncFacts] = field(default_factory=list)
    #: The operator-controlled facts as last seen, to notice an operator lifting a block.
    seen: tuple[object, ...] | None = None
    finished: bool = False  # deleted: nothing more to do

    def remember(self, sync: _Sync) -> None:
        if not sync.state.is_finished:
            return
        self.memory.append(SyncFacts(sync.id, sync.state, sync.started_at, sync.ended_at))
        last_other = max(
            (
                i
                for i, m in enumerate(self.memory)
                if m.state is not SyncState.AUTHENTICATION_FAILED
            ),
            default=-1,
        )
        if last_other > 1:
            self.memory = [self.memory[0], *self.memory[last_other:]]


def _tenant(org: str) -> str:
    first = org.split()[0]
    plain = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum()) or "tenant"


def _seconds(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(seconds=int(rng.uniform(low, high)))


class DemoEngine:
    """A simulated sync engine for one scenario, writing into ``store``.

    Call :meth:`setup` once, then :meth:`advance` with a non-decreasing ``now`` (e.g. a
    :class:`~syncwatch.clock.SimulatedClock`'s). Not thread-safe: one caller at a time.
    """

    def __init__(
        self, store: Store, *, scenario: str = "tour", seed: int = 0, start: datetime
    ) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(
                f"unknown demo scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}"
            )
        self.store = store
        self.scenario = scenario
        self.seed = seed
        self.start = to_utc(start)
        self.now = self.start
        self._built: _Scenario | None = None
        self._sims: dict[str, _Sim] = {}
        self._done: set[int] = set()
        self.setup_result: AdvanceResult | None = None
        self._rows: dict[str, IntegrationRow] = {}
        self._revision = -1

    # -- what the scenario holds ------------------------------------------------------

    @property
    def integrations(self) -> tuple[DemoIntegration, ...]:
        """The scenario's integrations (after :meth:`setup`)."""
        return tuple(self._scenario.integrations)

    @property
    def script(self) -> tuple[ScriptedAction, ...]:
        """The scenario's operator actions, in time order (after :meth:`setup`)."""
        return tuple(self._scenario.script)

    def pending_actions(self) -> list[ScriptedAction]:
        """Scripted actions not yet performed."""
        return [a for i, a in enumerate(self._scenario.script) if i not in self._done]

    @property
    def _scenario(self) -> _Scenario:
        if self._built is None:
            raise RuntimeError("call DemoEngine.setup() first")
        return self._built

    # -- setup ------------------------------------------------------------------------

    def setup(self) -> None:
        """Create the scenario's integrations, with some sync history before ``start``.

        Works on an empty database or next to existing data; if the scenario's ids are taken
        (the same scenario and seed were set up in this database before), fresh ids are drawn.
        Raises ``ValueError`` if the database was already evaluated after ``start``: the
        demo's history would run backwards.
        """
        if self._built is not None:
            raise RuntimeError("DemoEngine.setup() was already called")
        rows = self.store.integrations()
        latest = max((r.evaluated_at for r in rows if r.evaluated_at is not None), default=None)
        if latest is not None and latest > self.start:
            raise ValueError(
                f"this database was already evaluated at {latest.isoformat()}, after the demo "
                f"start {self.start.isoformat()}; use a fresh database or a later start"
            )
        existing = {row.id for row in rows}
        builder = _BUILDERS[self.scenario]
        for attempt in range(100):
            ids = _Ids(self.seed, self.scenario, attempt)
            built = builder(self.start, random.Random(f"{self.seed}|{self.scenario}"), ids)
            if not existing.intersection(p.id for p in built.integrations):
                break
        else:  # pragma: no cover - a hundred collisions means something else is wrong
            raise RuntimeError("could not find free ids for the demo integrations")
        self._built = built
        result = AdvanceResult(since=self.start, now=self.start)
        records: list[IntegrationIn] = []
        for index, plan in enumerate(built.integrations):
            sim = self._new_sim(index, plan, built.backfill)
            self._sims[plan.id] = sim
            syncs: dict[str, SyncIn] = {}
            if plan.established:
                # History before start, so the UI has something to show at once.
                self._run_syncs(sim, None, self.start - built.backfill, self.start, syncs, result)
            records.append(self._record(plan, full=True, syncs=list(syncs.values())))
        report = import_parsed(self.store, [ParsedFile(self._file_name, records)], self.start)
        result.transitions.extend(report.evaluation.transitions)
        result.events.extend(report.evaluation.events)
        for row in self._fresh_rows().values():
            self._sims[row.id].seen = self._operator_facts(row)
        self.setup_result = result

    @property
    def _file_name(self) -> str:
        return f"<demo {self.scenario} seed {self.seed}>"

    def _new_sim(self, index: int, plan: DemoIntegration, backfill: timedelta) -> _Sim:
        rng = random.Random(f"{self.seed}|{self.scenario}|{index}")
        sim = _Sim(plan, rng, _tenant(plan.organization), plan.id.split(":", 1)[1])
        origin = self.start - backfill if plan.established else self.start
        sim.next_full = origin + _seconds(rng, 0, FULL_EVERY.total_seconds())
        sim.next_delta = origin + _seconds(rng, 0, DELTA_EVERY.total_seconds())
        if not plan.established:
            sim.next_full += _h(2)
            sim.next_delta += _h(1)
        if plan.first_sync_at is not None and plan.filters_configured:
            sim.kickoff = plan.first_sync_at
            sim.kickoff_reason = "initial sync of a new integration"
        if plan.calls_api:
            sim.next_request = self.start + _seconds(rng, 60, 2 * 3600)
        return sim

    def _record(
        self,
        plan: DemoIntegration,
        *,
        full: bool = False,
        syncs: Sequence[SyncIn] = (),
        last_api_request_at: datetime | None = None,
    ) -> IntegrationIn:
        tool = _TOOLS[plan.tool]
        if not full:
            # Identity only: fields left out keep their stored values.
            extra: dict[str, object] = {}
            if last_api_request_at is not None:
                extra["last_api_request_at"] = last_api_request_at
            return IntegrationIn(
                id=plan.id,
                tool=plan.tool,
                category=tool.category,
                organization=plan.organization,
                created_at=plan.created_at,
                syncs=list(syncs),
                **extra,
            )
        facts: dict[str, object] = {}
        if plan.established:
            facts["qa_status"] = QaStatus.PASSED
        return IntegrationIn(
            id=plan.id,
            tool=plan.tool,
            category=tool.category,
            organization=plan.organization,
            environment=plan.environment,
            created_at=plan.created_at,
            filters_configured=plan.filters_configured,
            enabled=True,
            last_api_request_at=plan.last_api_request_at,
            syncs=list(syncs),
            **facts,
        )

    # -- advancing --------------------------------------------------------------------

    def advance(self, now: datetime) -> AdvanceResult:
        """Run the simulated engine from the last ``now`` up to ``now``.

        Writes every sync that starts and/or finishes in ``(last now, now]`` (a sync still
        going is written as ``RUNNING`` with its log so far), bumps API activity, performs the
        scripted operator actions due by ``now``, then runs the evaluator at ``now``.
        """
        scenario = self._scenario
        now = to_utc(now)
        if now < self.now:
            raise ValueError(
                f"demo time cannot go backwards ({now.isoformat()} is before "
                f"{self.now.isoformat()})"
            )
        result = AdvanceResult(since=self.now, now=now)
        if now == self.now:
            return result
        since = self.now
        rows = self._fresh_rows()
        records: list[IntegrationIn] = []
        for plan in scenario.integrations:
            sim = self._sims[plan.id]
            row = rows.get(plan.id)
            if sim.finished or row is None:
                continue
            if row.deleted:
                # Deleted (by the script or at the keyboard): imports can no longer touch it.
                sim.finished = True
                continue
            self._notice_operator(sim, row, since)
            syncs: dict[str, SyncIn] = {}
            self._run_syncs(sim, row.facts, since, now, syncs, result)
            bumped = self._api_activity(sim, row, now, writing=bool(syncs))
            if bumped is not None:
                result.activity.append(plan.id)
            if syncs or bumped is not None:
                records.append(
                    self._record(plan, syncs=list(syncs.values()), last_api_request_at=bumped)
                )
        if records:
            report = import_parsed(self.store, [ParsedFile(self._file_name, records)], now)
            result.transitions.extend(report.evaluation.transitions)
            result.events.extend(report.evaluation.events)
        self._perform_due(now, result)
        evaluation = self.store.evaluate_pass(now)
        result.transitions.extend(evaluation.transitions)
        result.events.extend(evaluation.events)
        self.now = now
        return result

    def catch_up(
        self, now: datetime, step: timedelta = timedelta(minutes=15)
    ) -> list[AdvanceResult]:
        """Advance to ``now`` in steps of at most ``step`` (after a pause or a lagging tick).

        Each step is evaluated on its own, so short-lived states are not skipped over.
        """
        if step <= timedelta(0):
            raise ValueError("step must be longer than zero")
        now = to_utc(now)
        results = []
        while self.now < now:
            results.append(self.advance(min(self.now + step, now)))
        return results

    def _fresh_rows(self) -> dict[str, IntegrationRow]:
        """The engine's integrations as stored now, reading only rows changed since last time.

        Every visible change to a row (import, action, evaluation) raises its revision, and
        writers are serialised, so the highest revision seen is a safe watermark.
        """
        changed = self.store.integrations(since_revision=self._revision)
        for row in changed:
            self._revision = max(self._revision, row.revision)
            if row.id in self._sims:
                self._rows[row.id] = row
        return self._rows

    # -- operators --------------------------------------------------------------------

    @staticmethod
    def _operator_facts(row: IntegrationRow) -> tuple[object, ...]:
        return (
            row.credentials_updated_at,
            row.last_reactivated_at,
            row.filters_configured,
            row.qa_status,
        )

    def _notice_operator(self, sim: _Sim, row: IntegrationRow, since: datetime) -> None:
        """Start a sync soon after an operator lifted a block (scripted or by hand)."""
        seen = self._operator_facts(row)
        before = sim.seen
        sim.seen = seen
        if before is None or before == seen:
            return
        cred, react, filters, qa = seen
        reason = ""
        if cred != before[0]:
            reason = "triggered by a credentials update"
        elif react != before[1]:
            reason = "triggered by reactivation"
        elif filters and not before[2]:
            reason = "initial sync after filters were configured"
        elif before[3] is QaStatus.FAILED and qa is QaStatus.PASSED:
            reason = "triggered by the release from QA"
        if reason:
            sim.kickoff = since + _seconds(sim.rng, 60, 240)
            sim.kickoff_reason = reason

    def _perform_due(self, now: datetime, result: AdvanceResult) -> None:
        for i, scripted in enumerate(self._scenario.script):
            if i in self._done or scripted.at > now:
                continue
            self._done.add(i)
            sim = self._sims[scripted.integration_id]
            if scripted.action is Action.DELETE and sim.running is not None:
                # A deleted integration takes no more imports: end its sync first.
                cancelled = sim.running.cancelled(now, "the integration is being deleted")
                sim.running = None
                plan = sim.plan
                import_parsed(
                    self.store,
                    [ParsedFile(self._file_name, [self._record(plan, syncs=[cancelled])])],
                    now,
                )
                result.syncs.append(self._write(plan.id, cancelled))
            try:
                done = perform(self.store, scripted.action, scripted.integration_id, now, OPERATOR)
            except (ActionRefused, UnknownIntegration) as err:
                result.actions.append(ActionDone(scripted, now, None, None, refused=str(err)))
                continue
            result.actions.append(ActionDone(scripted, now, done.state_before, done.state_after))
            if done.transition is not None:
                result.transitions.append(done.transition)

    # -- syncs ------------------------------------------------------------------------

    @staticmethod
    def _write(integration_id: str, sync: SyncIn) -> SyncWrite:
        return SyncWrite(
            integration_id, sync.id, sync.type, sync.state, sync.started_at, sync.ended_at
        )

    def _run_syncs(
        self,
        sim: _Sim,
        facts: IntegrationFacts | None,
        since: datetime,
        now: datetime,
        out: dict[str, SyncIn],
        result: AdvanceResult,
    ) -> None:
        """Start and finish ``sim``'s syncs in ``(since, now]``; ``facts=None``: no gating."""
        while True:
            running = sim.running
            if running is not None:
                if running.ended_at > now:
                    if any(since < x.at <= now for x in running.logs) or running.started_at > since:
                        out[running.id] = running.record(now)
                        result.syncs.append(self._write(sim.plan.id, out[running.id]))
                    return
                out[running.id] = running.record(now)
                result.syncs.append(self._write(sim.plan.id, out[running.id]))
                sim.remember(running)
                if running.state in (SyncState.SUCCEEDED, SyncState.PARTIALLY_FAILED):
                    sim.last_success_end = running.ended_at
                sim.free_at = running.ended_at + _seconds(sim.rng, 45, 180)
                sim.running = None
            slot = self._next_slot(sim)
            if slot is None:
                return
            at, kind = slot
            begin = max(at, sim.free_at) if sim.free_at else at
            if begin > now:
                return  # due, but waits for the previous sync to end: a later step starts it
            reason = self._consume(sim, kind)
            if kind != "kickoff":
                begin += _seconds(sim.rng, 0, 95)  # queueing jitter
                if begin > now:
                    begin = now
            begin = max(begin, since + timedelta(seconds=1))
            sync_type = SyncType.DELTA if kind == "delta" else SyncType.FULL
            if kind == "delta" and sim.last_start and begin - sim.last_start < _DELTA_AFTER_ANY:
                continue
            if (
                kind == "full"
                and sim.last_full_start
                and begin - sim.last_full_start < (_FULL_AFTER_FULL)
            ):
                continue
            if facts is not None and not _may_sync(facts, sim.memory, begin):
                continue
            sim.running = self._start(sim, facts, sync_type, begin, reason)
            sim.last_start = begin
            if sync_type is SyncType.FULL:
                sim.last_full_start = begin

    @staticmethod
    def _next_slot(sim: _Sim) -> tuple[datetime, str] | None:
        options: list[tuple[datetime, int, str]] = []
        if sim.kickoff is not None:
            options.append((sim.kickoff, 0, "kickoff"))
        if sim.next_full is not None:
            options.append((sim.next_full, 1, "full"))
        if sim.next_delta is not None:
            options.append((sim.next_delta, 2, "delta"))
        if not options:
            return None
        at, _, kind = min(options)
        return at, kind

    @staticmethod
    def _consume(sim: _Sim, kind: str) -> str:
        if kind == "kickoff":
            sim.kickoff = None
            return sim.kickoff_reason
        if kind == "full":
            assert sim.next_full is not None
            sim.next_full += FULL_EVERY
        else:
            assert sim.next_delta is not None
            sim.next_delta += DELTA_EVERY
        return "scheduled"

    @staticmethod
    def _api_activity(
        sim: _Sim, row: IntegrationRow, now: datetime, *, writing: bool
    ) -> datetime | None:
        """The customer's latest API request to write now, if any (idle ones: never).

        An import reads the whole stored history of every integration it names, so a bump
        rides along with the integration's sync writes and goes on its own only when the
        stored value is :data:`_ACTIVITY_STALE` behind.
        """
        calls = row.enabled and row.filters_configured and not row.deleted
        while sim.next_request is not None and sim.next_request <= now:
            if calls:
                sim.latest_request = sim.next_request
            sim.next_request += _seconds(sim.rng, 40 * 60, 3 * 3600)
        latest = sim.latest_request
        if latest is None or latest == sim.written_request:
            return None
        stored = row.last_api_request_at
        if writing or stored is None or latest - stored >= _ACTIVITY_STALE:
            sim.written_request = latest
            return latest
        return None

    def _outcome(
        self, sim: _Sim, facts: IntegrationFacts | None, begin: datetime
    ) -> tuple[SyncState, _Cause]:
        plan, rng = sim.plan, sim.rng
        updated = facts.credentials_updated_at if facts is not None else None
        expiry = plan.credentials_expire_at
        if expiry is not None and begin >= expiry and (updated is None or updated <= expiry):
            return SyncState.AUTHENTICATION_FAILED, _Cause.AUTH
        if any(a <= begin < b for a, b in plan.outages):
            if rng.random() < 0.3:
                return SyncState.TIMED_OUT, _Cause.TIMEOUT
            return SyncState.FAILED, _Cause.OUTAGE
        first = not sim.memory and (facts is None or facts.qa_status is None)
        if plan.first_sync_issue and first:
            return SyncState.PARTIALLY_FAILED, _Cause.WARNINGS
        if any(a <= begin < b for a, b in plan.warning_windows):
            return SyncState.PARTIALLY_FAILED, _Cause.WARNINGS
        roll = rng.random()
        if roll < plan.warning_rate:
            return SyncState.PARTIALLY_FAILED, _Cause.WARNINGS
        if roll < plan.warning_rate + plan.blip_rate and not first:
            return SyncState.FAILED, _Cause.BLIP
        return SyncState.SUCCEEDED, _Cause.OK

    def _start(
        self,
        sim: _Sim,
        facts: IntegrationFacts | None,
        sync_type: SyncType,
        begin: datetime,
        reason: str,
    ) -> _Sync:
        state, cause = self._outcome(sim, facts, begin)
        sim.seq += 1
        sync_id = f"sync_{sim.token}_{sim.seq:04d}"
        lines = _LogWriter(sim, sync_type, begin).write(cause, state, reason)
        end = lines[-1][0]
        logs = [
            LogIn(id=f"{sync_id}-{n:02d}", at=at, level=level, message=msg, field=fld)
            for n, (at, level, msg, fld) in enumerate(lines, start=1)
        ]
        return _Sync(sync_id, sync_type, state, begin, end, logs)


def _may_sync(facts: IntegrationFacts, memory: Iterable[SyncFacts], at: datetime) -> bool:
    """Whether the rules let a sync start at ``at``: the same evaluator the store runs."""
    if facts.deleted_at is not None:
        return False
    f = evaluate(facts, memory, at).facts
    return (
        f.enabled
        and f.filters_configured
        and f.qa_status is not QaStatus.FAILED
        and f.credentials_invalid_at is None
    )


# --------------------------------------------------------------------------- log lines

_Line = tuple[datetime, LogLevel, str, str | None]


class _LogWriter:
    """Writes the log of one sync, the way a real engine would, and decides its duration."""

    def __init__(self, sim: _Sim, sync_type: SyncType, begin: datetime) -> None:
        self.sim = sim
        self.rng = sim.rng
        self.tool = _TOOLS[sim.plan.tool]
        self.type = sync_type
        self.begin = begin
        size = sim.plan.size
        self.n = max(1, size + self.rng.randint(-3, 4))
        frac = (math.log(max(size, 40)) - math.log(40)) / (math.log(50000) - math.log(40))
        self.scale = min(1.0, max(0.0, frac))
        self.lines: list[_Line] = []

    def fill(self, text: str) -> str:
        values = {
            "tenant": self.sim.tenant,
            "n": f"{self.n:,}",
            "k": str(self.rng.randint(2, 19)),
            "id": str(self.rng.randint(10000, 99999)),
        }
        for key, value in values.items():
            text = text.replace("{" + key + "}", value)
        return text

    def add(self, at: datetime, level: LogLevel, message: str, fld: str | None = None) -> None:
        self.lines.append((at, level, message, fld))

    def duration(self) -> timedelta:
        if self.type is SyncType.FULL:
            minutes = (5 + 33 * self.scale) * self.rng.uniform(0.85, 1.15)
            return timedelta(seconds=int(60 * min(40.0, max(5.0, minutes))))
        seconds = (20 + 200 * self.scale) * self.rng.uniform(0.7, 1.25)
        return timedelta(seconds=int(min(240.0, max(20.0, seconds))))

    def write(self, cause: _Cause, state: SyncState, reason: str) -> list[_Line]:
        tool, t0, kind = self.tool, self.begin, self.type.value
        if self.type is SyncType.DELTA and self.sim.last_success_end is not None:
            opening = f"{kind} sync started ({reason}; changes since "
            opening += f"{fmt_time(self.sim.last_success_end)} UTC)"
        else:
            opening = f"{kind} sync started ({reason})"
        self.add(t0, LogLevel.INFO, opening)
        if cause is _Cause.AUTH:
            end = t0 + _seconds(self.rng, 4, 15)
            message = self.fill(tool.auth)
            if self.sim.plan.leaky_auth_log:
                token = "".join(self.rng.choice("0123456789abcdef") for _ in range(32))
                message += f" (request sent with Authorization: Bearer {token})"
            self.add(end - timedelta(seconds=1), LogLevel.ERROR, message)
            self.add(
                end,
                LogLevel.ERROR,
                f"{kind} sync aborted: {tool.name} rejected the credentials; "
                "update them to resume syncing",
            )
            return self.lines
        if cause in (_Cause.OUTAGE, _Cause.TIMEOUT, _Cause.BLIP):
            return self._failure(cause)
        duration = self.duration()
        end = t0 + duration
        request = self.fill(tool.request)
        pages = max(1, math.ceil(self.n / tool.page_size))
        if self.type is SyncType.FULL:
            m = max(1, int(self.n * self.rng.uniform(0.1, 1.4)))
            pages2 = max(1, math.ceil(m / tool.page_size))
            self.add(
                t0 + duration * 0.45,
                LogLevel.INFO,
                f"Fetched {self.n:,} {tool.noun} from {request} "
                f"({pages} page{'s' if pages > 1 else ''})",
            )
            self.add(
                t0 + duration * 0.8,
                LogLevel.INFO,
                f"Fetched {m:,} {tool.noun2} from {self.fill(tool.request2)} "
                f"({pages2} page{'s' if pages2 > 1 else ''})",
            )
            created, updated = self.rng.randint(0, 6), self.rng.randint(3, 60)
            deleted = self.rng.randint(0, 2)
            records = f"{self.n:,} {tool.noun}, {m:,} {tool.noun2}"
        else:
            changed = self.rng.randint(0, max(2, min(40, self.n // 20)))
            self.add(
                t0 + duration * 0.6,
                LogLevel.INFO,
                f"Fetched {changed} changed {tool.noun} from {request} (1 page)",
            )
            created, updated, deleted = 0, changed, 0
            records = f"{changed} {tool.noun}"
        self.add(
            end - timedelta(seconds=2),
            LogLevel.INFO,
            f"Wrote {tool.model}: {created} created, {updated} updated, {deleted} deleted",
        )
        warnings = 0
        if cause is _Cause.WARNINGS:
            picked = self.rng.sample(
                tool.warnings, k=min(len(tool.warnings), self.rng.choice((1, 1, 2)))
            )
            for i, (message, fld) in enumerate(picked):
                self.add(t0 + duration * (0.5 + 0.1 * i), LogLevel.WARNING, self.fill(message), fld)
            warnings = len(picked)
        took = fmt_duration(duration)
        if warnings:
            noun = "warning" if warnings == 1 else "warnings"
            summary = f"{kind} sync finished with {warnings} {noun} in {took}: {records}"
        else:
            summary = f"{kind} sync succeeded in {took}: {records}"
        self.add(end, LogLevel.INFO, summary)
        self.lines.sort(key=lambda x: x[0])
        return self.lines

    def _failure(self, cause: _Cause) -> list[_Line]:
        tool, t0, rng, kind = self.tool, self.begin, self.rng, self.type.value
        request = self.fill(tool.request)
        pages = max(2, math.ceil(self.n / tool.page_size))
        page = rng.randint(1, pages - 1) if self.type is SyncType.FULL else 1
        t = t0 + _seconds(rng, 5, 40)
        if page > 1:
            got = min(self.n - 1, page * tool.page_size)
            self.add(t, LogLevel.INFO, f"Fetched {got:,} of {self.n:,} {tool.noun} (page {page})")
        page += 1
        if cause is _Cause.BLIP:
            message = rng.choice(
                (
                    f"429 Too Many Requests on {request} (page {page}): rate limit still "
                    "exhausted after 8 retries",
                    f"502 Bad Gateway on {request} (page {page}) after 3 attempts",
                )
            )
            end = t + _seconds(rng, 20, 100)
            self.add(end - timedelta(seconds=1), LogLevel.ERROR, message)
            self.add(end, LogLevel.ERROR, f"{kind} sync failed: transient error; will retry at "
                     "the next scheduled sync")  # fmt: skip
            return self.lines
        if cause is _Cause.TIMEOUT:
            for attempt in (1, 2):
                t += timedelta(seconds=120)
                self.add(
                    t,
                    LogLevel.WARNING,
                    f"Request timed out after 120 s on {request} (page {page}); retrying "
                    f"(attempt {attempt}/3)",
                )
            t += timedelta(seconds=120)
            self.add(
                t,
                LogLevel.ERROR,
                f"Request timed out after 120 s on {request} (page {page}, attempt 3/3)",
            )
            end = t + timedelta(seconds=1)
            self.add(end, LogLevel.ERROR, f"{kind} sync timed out after {fmt_duration(end - t0)}"
                     f": {tool.name} stopped answering; 0 records written")  # fmt: skip
            return self.lines
        for attempt, wait in ((1, 30), (2, 60)):
            t += _seconds(rng, 2, 8)
            self.add(
                t,
                LogLevel.WARNING,
                f"503 Service Unavailable on {request} (page {page}); retrying in {wait} s "
                f"(attempt {attempt}/3)",
            )
            t += timedelta(seconds=wait)
        t += _seconds(rng, 2, 8)
        self.add(
            t,
            LogLevel.ERROR,
            f"{tool.name} API returned 503 Service Unavailable on {request} (page {page}, "
            "attempt 3/3): the tool's API is down",
        )
        end = t + timedelta(seconds=1)
        self.add(end, LogLevel.ERROR, f"{kind} sync failed after {fmt_duration(end - t0)}: "
                 f"{tool.name} unavailable; 0 records written")  # fmt: skip
        return self.lines


# --------------------------------------------------------------------------- headless


def run_headless(
    store: Store,
    *,
    scenario: str,
    seed: int,
    start: datetime,
    until: timedelta,
    step: timedelta = timedelta(minutes=15),
) -> HeadlessResult:
    """Set a scenario up and run it to ``start + until`` in steps of ``step``, as fast as the
    database allows. Returns counts and every transition, in order."""
    if until <= timedelta(0):
        raise ValueError("until must be longer than zero")
    if step <= timedelta(0):
        raise ValueError("step must be longer than zero")
    engine = DemoEngine(store, scenario=scenario, seed=seed, start=start)
    engine.setup()
    end = engine.start + until
    result = HeadlessResult(scenario, seed, engine.start, end)
    result.integrations = len(engine.integrations)
    result.roster = list(engine.integrations)
    result.script = list(engine.script)
    if engine.setup_result is not None:
        result.transitions.extend(engine.setup_result.transitions)
        result.events.extend(engine.setup_result.events)
    for res in engine.catch_up(end, step):
        result.steps += 1
        result.syncs_started += len(res.started)
        result.syncs_finished += len(res.finished)
        result.actions.extend(res.actions)
        result.transitions.extend(res.transitions)
        result.events.extend(res.events)
    ids = {p.id for p in engine.integrations}
    counts = Counter(
        row.state for row in store.integrations() if row.id in ids and row.state is not None
    )
    result.final_states = dict(counts)
    return result
