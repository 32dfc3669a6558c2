"""The demo's scenarios: which integrations a demo has, how each behaves, what operators do.

A scenario is a plan made before the clock starts: a roster of :class:`DemoIntegration`
(each with a :class:`Profile`: healthy, flaky, hit by an outage, ...) and a script of
:class:`ScriptedAction`. :func:`build` draws one from a seed; the engine plays it.
"""

from __future__ import annotations

import math
import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from syncwatch.actions import Action
from syncwatch.demo.catalogue import TOOL_WEIGHTS, TOOLS, OrgNames
from syncwatch.states import Environment

__all__ = [
    "DEFAULT_UNTIL",
    "SCENARIOS",
    "SCENARIO_DESCRIPTIONS",
    "DemoIntegration",
    "Profile",
    "Scenario",
    "ScriptedAction",
    "build",
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
        """The tool's name as its vendor writes it (``"SAP SuccessFactors"``)."""
        return TOOLS[self.tool].name


@dataclass(frozen=True, slots=True)
class ScriptedAction:
    """An operator action the scenario performs when the simulated clock reaches ``at``."""

    at: datetime
    action: Action
    integration_id: str
    note: str


@dataclass(slots=True)
class Scenario:
    """A drawn scenario: its integrations, its script, and how much history to make up."""

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
    low, high = TOOLS[tool].size
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


def _tour(start: datetime, rng: random.Random, new_id: Callable[[str], str]) -> Scenario:
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
    return Scenario(
        [healthy, flaky, outage, expiring, needs_qa, setup, idle_dev, paused, churned],
        script,
        backfill=_h(26),
    )


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


def _incident(start: datetime, rng: random.Random, new_id: Callable[[str], str]) -> Scenario:
    """A Workday outage and a BambooHR credentials rotation gone wrong, in a fleet of 40."""
    s = start
    orgs = OrgNames(rng)
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
    others = [t for t in TOOL_WEIGHTS if t not in ("workday", "bamboohr")]
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
    return Scenario(out, sorted(script, key=lambda a: a.at), backfill=_h(24))


def _steady(start: datetime, rng: random.Random, new_id: Callable[[str], str]) -> Scenario:
    """A realistic, mostly healthy fleet of 300 integrations."""
    s = start
    orgs = OrgNames(rng)
    tools = list(TOOL_WEIGHTS)
    weights = list(TOOL_WEIGHTS.values())
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
    return Scenario(out, sorted(script, key=lambda a: a.at), backfill=_h(8))


_BUILDERS: dict[str, Callable[[datetime, random.Random, Callable[[str], str]], Scenario]] = {
    "tour": _tour,
    "incident": _incident,
    "steady": _steady,
}


def build(name: str, start: datetime, seed: int, attempt: int = 0) -> Scenario:
    """The scenario ``name`` drawn from ``seed``, starting at ``start``.

    Its integration ids are drawn apart from everything else, so a later ``attempt`` changes
    only the ids (for a database that already holds the first attempt's).
    """
    return _BUILDERS[name](start, random.Random(f"{seed}|{name}"), _Ids(seed, name, attempt))
