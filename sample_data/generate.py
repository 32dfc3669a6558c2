#!/usr/bin/env python3
"""Generate syncwatch's bundled sample data set: ``sample_data/integrations.json``.

The data is deterministic (seeded ``random.Random``, standard library only) and is written
relative to a fixed ``REFERENCE`` time, 2026-11-26T12:00:00Z, taken as "now": the newest
finished sync in the file ends a few minutes before it. syncwatch shifts every time in the
file by the same amount at load time, so the states below hold whenever the file is opened.

Usage::

    uv run python sample_data/generate.py           # write the file, then self-check it
    uv run python sample_data/generate.py --check   # only self-check the existing file
    uv run python sample_data/generate.py --check -v  # ... and list every integration

The self-check re-reads the JSON, applies the contract's precedence rules (see
``/work/shared/CONTRACT.md``) at ``REFERENCE`` and asserts that every integration lands in
the state it was designed for and that all nine states are present.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import string
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SEED = 20261126
REFERENCE = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
# The one newest finished sync in the file ends exactly here (3 min 13 s before REFERENCE);
# every other time in the file is at or before it.
NEWEST_END = REFERENCE - timedelta(minutes=3, seconds=13)
# Every other sync must have ended by CUTOFF; a sync still going then is RUNNING.
CUTOFF = REFERENCE - timedelta(minutes=6)

DELTA_EVERY = timedelta(hours=3)
FULL_EVERY = timedelta(hours=10)
CREDENTIALS_PAUSE = timedelta(hours=72)
DEV_INACTIVITY = timedelta(days=14)
OUT = Path(__file__).resolve().parent / "integrations.json"

STATES = (
    "ACTIVE",
    "SYNC_HAS_WARNINGS",
    "SYNC_FAILING",
    "AUTHENTICATION_FAILING",
    "CREDENTIALS_INVALID",
    "QUALITY_ASSURANCE",
    "SETUP",
    "INACTIVE",
    "DELETED",
)
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase

Msg = tuple[str, str | None]  # (message template, field)
LogLine = tuple[str, str, str | None]  # (level, message, field)


# --------------------------------------------------------------------------------------
# Tools
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tool:
    """One third-party tool: how its API looks in log messages."""

    name: str
    category: str
    noun: str  # what the main request returns ("employees")
    request: str  # main request ("GET /v1/company/employees")
    page_size: int
    model: str  # unified model of the main request ("hris.employees")
    noun2: str
    request2: str
    messages: dict[str, Msg] = field(default_factory=dict)


# Message templates: "{tenant}", "{n}" (record count), "{k}" (small count), "{page}" and
# "{offset}" are filled in; "{id}" stays literal (it stands for a path parameter).
# fmt: off
TOOLS: dict[str, Tool] = {
    "personio": Tool(
        "Personio", "HRIS", "employees", "GET /v1/company/employees", 100, "hris.employees",
        "time-off periods", "GET /v1/company/time-offs",
        {
            "warn": (
                "Could not fetch field date_of_birth: permission missing "
                "(403 on GET /v1/company/employees/attributes)",
                "hris.employees.date_of_birth",
            ),
            "warn2": (
                "Could not fetch absence balances: 403 Forbidden on GET "
                "/v1/company/time-off-types (the API credentials have no read access to "
                "Absences)",
                "hris.time_off_balances",
            ),
            "auth": (
                "401 Unauthorized on POST /v1/auth: client credentials rejected by Personio "
                "(API credentials deleted or regenerated in Settings > Integrations)",
                None,
            ),
            "outage": (
                "Personio API returned 502 Bad Gateway on GET "
                "/v1/company/employees?limit=100&offset={offset} (tool downtime)",
                None,
            ),
        },
    ),
    "workday": Tool(
        "Workday", "HRIS", "workers",
        "SOAP Get_Workers /ccx/service/{tenant}/Human_Resources/v42.0", 200, "hris.employees",
        "time-off plan balances",
        "SOAP Get_Time_Off_Plan_Balances /ccx/service/{tenant}/Absence_Management/v42.0",
        {
            "outage": (
                "Workday API returned 503 Service Unavailable on GET "
                "/ccx/service/{tenant}/Human_Resources/v42.0 (tool downtime)",
                None,
            ),
            "auth": (
                "SOAP fault wsse:FailedAuthentication on Get_Workers: invalid username or "
                "password for integration system user ISU_Kombo@{tenant}",
                None,
            ),
            "auth_secret": (
                "SOAP fault wsse:FailedAuthentication on Get_Workers: invalid username or "
                "password for ISU_Kombo@{tenant} (UsernameToken password=Winter2026!Kombo)",
                None,
            ),
            "warn": (
                "Could not fetch field ethnicity: the integration system user's security "
                "group has no access to the domain 'Worker Data: Personal Data' (field empty "
                "for {n} workers)",
                "hris.employees.ethnicity",
            ),
        },
    ),
    "bamboohr": Tool(
        "BambooHR", "HRIS", "employees", "GET /api/gateway.php/{tenant}/v1/reports/custom",
        1000, "hris.employees", "time-off requests",
        "GET /api/gateway.php/{tenant}/v1/time_off/requests",
        {
            "auth": (
                "401 Unauthorized: API token rejected by BambooHR "
                "(credentials revoked or expired)",
                None,
            ),
            "outage": (
                "BambooHR API returned 503 Service Unavailable on GET "
                "/api/gateway.php/{tenant}/v1/reports/custom (scheduled maintenance)",
                None,
            ),
            "warn": (
                "Could not fetch time-off balances: 403 on GET /api/gateway.php/{tenant}/v1/"
                "employees/{id}/time_off/calculator (the API user has no access to Time Off)",
                "hris.time_off_balances",
            ),
        },
    ),
    "hibob": Tool(
        "HiBob", "HRIS", "people", "POST /v1/people/search", 5000, "hris.employees",
        "time-off requests", "GET /v1/timeoff/requests/changes",
        {
            "warn": (
                "Could not fetch field bank_accounts: the service user has no access to the "
                "'Payroll' category (403 on POST /v1/people/search)",
                "hris.employees.bank_accounts",
            ),
            "auth": (
                "401 Unauthorized on POST /v1/people/search: service user rejected by HiBob "
                "(service user deactivated or its permission group removed)",
                None,
            ),
            "auth_secret": (
                "401 Unauthorized on POST https://api.hibob.com/v1/people/search: token "
                "rejected (Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ."
                "sflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c)",
                None,
            ),
        },
    ),
    "successfactors": Tool(
        "SAP SuccessFactors", "HRIS", "employees", "GET /odata/v2/PerPerson", 1000,
        "hris.employees", "job records", "GET /odata/v2/EmpJob",
        {
            "outage": (
                "SAP SuccessFactors API returned 503 Service Unavailable on GET "
                "/odata/v2/PerPerson?$skiptoken={page} (data center maintenance)",
                None,
            ),
            "outage_secret": (
                "GET https://svc_kombo:hunter2@api4.successfactors.eu/odata/v2/User?$top=1000 "
                "failed: 503 Service Unavailable (data center maintenance)",
                None,
            ),
            "perm": (
                "403 Forbidden on GET /odata/v2/EmpJob: API user SFAPI_KOMBO lacks the role "
                "permission 'Employee Central Effective Dated Entities > Job Information' "
                "(0 of {n} employments fetched)",
                "hris.employments",
            ),
            "auth": (
                "401 Unauthorized: SAML bearer assertion for API user SFAPI_KOMBO rejected by "
                "SAP SuccessFactors (X.509 certificate expired)",
                None,
            ),
        },
    ),
    "factorial": Tool(
        "Factorial", "HRIS", "employees", "GET /api/2025-04-01/resources/employees/employees",
        100, "hris.employees", "leaves", "GET /api/2025-04-01/resources/timeoff/leaves",
        {
            "warn": (
                "Could not fetch field home_address: custom field 'Dirección particular' no "
                "longer exists in Factorial (404 on GET "
                "/api/2025-04-01/resources/custom_fields/fields/{id})",
                "hris.employees.home_address",
            ),
            "warn2": (
                "Could not map employment_type value 'Fijo discontinuo' for {k} employees; "
                "stored as null",
                "hris.employees.employment_type",
            ),
            "auth": (
                "401 Unauthorized: OAuth refresh token rejected by Factorial (invalid_grant: "
                "the admin who connected the app was deactivated)",
                None,
            ),
        },
    ),
    "adp_workforce_now": Tool(
        "ADP Workforce Now", "HRIS", "workers", "GET /hr/v2/workers", 100, "hris.employees",
        "time-off requests", "GET /time/v2/workers/{id}/time-off-requests",
        {
            "warn": (
                "Could not fetch field ssn: the consumer application lacks the 'Personal "
                "Identity' data scope (403 on GET /hr/v2/workers)",
                "hris.employees.ssn",
            ),
            "auth": (
                "401 Unauthorized: ADP rejected the client certificate of the Kombo consumer "
                "application (certificate expired or consent revoked)",
                None,
            ),
        },
    ),
    "rippling": Tool(
        "Rippling", "HRIS", "employees", "GET /platform/api/employees", 100, "hris.employees",
        "groups", "GET /platform/api/groups",
        {
            "warn": (
                "Could not fetch field compensation: scope 'employee:compensation' not granted "
                "(403 on GET /platform/api/employees/{id}/compensation)",
                "hris.employments.pay_rate",
            ),
            "auth": (
                "403 Forbidden: Rippling access token revoked (the Kombo app was uninstalled "
                "by a Rippling admin)",
                None,
            ),
        },
    ),
    "deel": Tool(
        "Deel", "HRIS", "people", "GET /rest/v2/people", 100, "hris.employees", "contracts",
        "GET /rest/v2/contracts",
        {
            "warn": (
                "Skipped {k} EOR contracts without a worker profile "
                "(404 on GET /rest/v2/people/{id})",
                "hris.employments",
            ),
            "auth": (
                "401 Unauthorized: Deel API token rejected (token revoked in Deel > "
                "Developer Center)",
                None,
            ),
        },
    ),
    "greenhouse": Tool(
        "Greenhouse", "ATS", "candidates", "GET /v1/candidates", 500, "ats.candidates",
        "applications", "GET /v1/applications",
        {
            "timeout": ("Request timed out after 120 s on GET /v1/candidates?page={page}", None),
            "warn": (
                "Skipped {k} of {n} applications: 404 Not Found on GET /v1/applications/{id} "
                "(deleted during the sync)",
                "ats.applications",
            ),
            "auth": (
                "401 Unauthorized: Harvest API key rejected by Greenhouse on GET /v1/candidates "
                "(key revoked)",
                None,
            ),
        },
    ),
    "lever": Tool(
        "Lever", "ATS", "opportunities", "GET /v1/opportunities", 100, "ats.applications",
        "postings", "GET /v1/postings",
        {
            "ratelimit": (
                "429 Too Many Requests on GET /v1/opportunities?offset={offset} (rate limit of "
                "10 requests/s still exhausted after 8 retries)",
                None,
            ),
            "warn": (
                "Could not fetch interview feedback: 403 on GET "
                "/v1/opportunities/{id}/feedback (scope feedback:read:admin not granted)",
                "ats.interviews",
            ),
            "auth": (
                "401 Unauthorized: OAuth refresh token revoked by Lever (invalid_grant on POST "
                "https://auth.lever.co/oauth/token)",
                None,
            ),
        },
    ),
    "ashby": Tool(
        "Ashby", "ATS", "candidates", "POST /candidate.list", 100, "ats.candidates",
        "applications", "POST /application.list",
        {
            "timeout": (
                "Request timed out after 120 s on POST /application.list (cursor page {page})",
                None,
            ),
            "warn": (
                "Could not fetch field source: API key lacks permission "
                "'hiringProcessMetadataRead' (403 on POST /source.list)",
                "ats.applications.source",
            ),
            "auth": (
                "401 Unauthorized: Ashby API key rejected (key deleted or its "
                "'candidatesRead' permission removed)",
                None,
            ),
        },
    ),
    "teamtailor": Tool(
        "Teamtailor", "ATS", "candidates", "GET /v1/candidates", 30, "ats.candidates",
        "job applications", "GET /v1/job-applications",
        {
            "outage_secret": (
                "GET https://api.teamtailor.com/v1/candidates?page[number]={page}"
                "&api_key=sk_live_51HxyzT9kQmL2vR8pZ4nW7aBcD returned 500 Internal Server Error",
                None,
            ),
            "warn": (
                "Could not fetch field resume: 403 on GET /v1/candidates/{id}/uploads "
                "(API key scope is 'Public', not 'Admin')",
                "ats.candidates.resume",
            ),
            "auth": (
                "401 Unauthorized: Teamtailor API key rejected (key deleted in Settings > "
                "Integrations > API keys)",
                None,
            ),
        },
    ),
    "workable": Tool(
        "Workable", "ATS", "candidates", "GET /spi/v3/candidates", 100, "ats.candidates",
        "jobs", "GET /spi/v3/jobs",
        {
            "warn": (
                "Could not fetch field phone: the access token lacks scope r_candidates for "
                "personal data (403 on GET /spi/v3/candidates/{id})",
                "ats.candidates.phone_numbers",
            ),
            "auth": (
                "401 Unauthorized: Workable access token rejected by {tenant}.workable.com "
                "(token revoked or expired)",
                None,
            ),
        },
    ),
    "smartrecruiters": Tool(
        "SmartRecruiters", "ATS", "candidates", "GET /candidates", 100, "ats.candidates",
        "jobs", "GET /jobs",
        {
            "perm": (
                "403 Forbidden on GET /candidates/{id}/applications: missing scope "
                "candidates_read for application data (0 of {n} applications fetched)",
                "ats.applications",
            ),
            "auth": (
                "401 Unauthorized: SmartRecruiters API key rejected (X-SmartToken deactivated)",
                None,
            ),
        },
    ),
    "recruitee": Tool(
        "Recruitee", "ATS", "candidates", "GET /c/{tenant}/candidates", 100, "ats.candidates",
        "offers", "GET /c/{tenant}/offers",
        {
            "auth": (
                "401 Unauthorized: Recruitee personal API token rejected (token deleted by a "
                "company admin)",
                None,
            ),
        },
    ),
    "testgorilla": Tool(
        "TestGorilla", "ASSESSMENT", "assessment orders", "GET /api/assessments/candidature",
        100, "assessment.orders", "tests", "GET /api/tests",
    ),
    "codility": Tool(
        "Codility", "ASSESSMENT", "assessment orders", "GET /api/tests/{id}/sessions", 50,
        "assessment.orders", "tests", "GET /api/tests",
    ),
    "docebo": Tool(
        "Docebo", "LMS", "users", "GET /manage/v1/user", 200, "lms.users",
        "course enrollments", "GET /course/v1/courses/enrollments",
    ),
    "talentlms": Tool(
        "TalentLMS", "LMS", "users", "GET /api/v1/users", 1000, "lms.users", "courses",
        "GET /api/v1/courses",
        {
            "warn": (
                "Could not fetch course progress for {k} users: 404 on GET "
                "/api/v1/getuserstatusincourse/course_id:{id},user_id:{id}",
                "lms.course_progressions",
            ),
        },
    ),
}
# fmt: on


def template(tool: Tool, kind: str) -> Msg:
    """The message template of a problem kind, with generic fallbacks."""
    if kind in tool.messages:
        return tool.messages[kind]
    path = tool.request.split(" ", 1)[1]
    if kind in ("outage", "outage_secret"):
        return (
            f"{tool.name} API returned 503 Service Unavailable on {tool.request} (tool downtime)",
            None,
        )
    if kind == "timeout":
        return (f"Request timed out after 120 s on GET {path}?page={{page}}", None)
    if kind == "ratelimit":
        return (
            f"429 Too Many Requests on {tool.request} (rate limit still exhausted after 8 retries)",
            None,
        )
    if kind in ("auth", "auth_secret"):
        return (
            f"401 Unauthorized: API credentials rejected by {tool.name} (credentials revoked "
            "or expired)",
            None,
        )
    if kind == "perm":
        return (
            f"403 Forbidden on {tool.request2}: the API user has no permission to read "
            f"{tool.noun2}",
            None,
        )
    # warnings
    return (
        f"Skipped {{k}} of {{n}} {tool.noun}: 404 Not Found on {tool.request}/{{id}} "
        "(deleted during the sync)",
        tool.model,
    )


# --------------------------------------------------------------------------------------
# The roster: one Spec per integration, with the state it must show at REFERENCE.
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spec:
    """How one integration's facts and sync history are generated."""

    tool: str
    org: str
    expect: str
    env: str = "production"
    created_days: float = 200.0  # days before REFERENCE
    size: int | None = None  # employees / candidates / users; random when None
    # (hours before REFERENCE, kind): from then on every sync has this outcome. Kinds:
    # ok, warn, warn2, outage, outage_secret, perm, timeout, ratelimit, auth, auth_secret
    phases: tuple[tuple[float, str], ...] = ()
    first: str | None = None  # outcome of the very first sync (QA cases)
    pause: bool = False  # syncs pause 72 h into a run of authentication failures
    credentials_updated_hours: float | None = None
    last_api_hours: float | None = None  # None: minutes to hours before REFERENCE
    enabled: bool = True
    filters: bool = True
    stop_hours: float | None = None  # no sync after this (disabled by an operator)
    deleted_days: float | None = None
    history_days: float | None = None  # None: 5 to 7 days
    running: bool = False  # the last sync is still RUNNING
    full_anchor_minutes: float | None = None  # latest FULL slot starts this long before REF
    noise: bool = True  # sprinkle a few transient problems into the middle of the history
    pin: bool = False  # this integration holds the newest finished sync of the file


P, D = "production", "development"
A, W, F = "ACTIVE", "SYNC_HAS_WARNINGS", "SYNC_FAILING"
AF, CI, QA = "AUTHENTICATION_FAILING", "CREDENTIALS_INVALID", "QUALITY_ASSURANCE"
SU, IN, DE = "SETUP", "INACTIVE", "DELETED"

# fmt: off
ROSTER: tuple[Spec, ...] = (
    # ---- ACTIVE: healthy, the bulk ----------------------------------------------------
    Spec("personio", "Acme GmbH", A, created_days=412, size=1284, pin=True),
    Spec("personio", "Acme GmbH", A, D, created_days=30, size=1284, last_api_hours=50),
    Spec("workday", "Nordlicht Logistics AB", A, created_days=300, size=8412),
    Spec("bamboohr", "Tulip & Finch B.V.", A, created_days=190, size=214),
    Spec("hibob", "Fjordline Software AS", A, created_days=260, size=612),
    Spec("hibob", "Fjordline Software AS", A, D, created_days=70, size=612,
         last_api_hours=12.5 * 24),
    Spec("hibob", "Meridian Legal Partners LLP", A, created_days=150),
    Spec("factorial", "Helios Solar Systems S.L.", A, created_days=120),
    Spec("factorial", "Helios Solar Systems S.L.", A, D, created_days=25, last_api_hours=8 * 24),
    Spec("factorial", "Café Olé Barcelona S.L.", A, created_days=4.5, size=46),
    Spec("rippling", "Quantix Robotics Inc.", A, created_days=95, size=2730, running=True,
         full_anchor_minutes=14),
    Spec("rippling", "Ironbark Construction Pty Ltd", A, created_days=340),
    Spec("deel", "Polaris Payments Ltd", A, created_days=80),
    Spec("adp_workforce_now", "Marlowe & Crane LLP", A, created_days=610, size=2950),
    Spec("greenhouse", "Lumen Analytics GmbH", A, created_days=220, size=18400),
    Spec("greenhouse", "Cobalt Security Labs Inc.", A, D, created_days=12, last_api_hours=1.2),
    Spec("lever", "Copperleaf Studios Ltd", A, created_days=140),
    Spec("lever", "Copperleaf Studios Ltd", A, D, created_days=40, last_api_hours=96),
    Spec("ashby", "Northwind Mobility SE", A, created_days=60),
    Spec("ashby", "Northwind Mobility SE", A, D, created_days=9, last_api_hours=6),
    Spec("teamtailor", "Havsbris Consulting AB", A, created_days=110),
    Spec("workable", "Pixelmint Games Oy", A, created_days=200),
    Spec("smartrecruiters", "Atlas Freight Group plc", A, created_days=380, size=41000,
         running=True, full_anchor_minutes=27),
    Spec("recruitee", "Bakkerij de Zon B.V.", A, created_days=90),
    Spec("testgorilla", "Orbital Talent Partners Ltd", A, created_days=70),
    Spec("docebo", "Kestrel Aviation Training GmbH", A, created_days=250, size=3900),
    # ACTIVE, filters configured, first sync still running (no finished sync yet)
    Spec("personio", "Kaffeerösterei Böhm GmbH", A, created_days=42 / 1440, size=87,
         running=True),
    # ACTIVE after a tool outage (a few FAILED syncs, then SUCCEEDED again)
    Spec("workday", "Brightwave Health Inc.", A, created_days=520, size=5630,
         phases=((46, "outage"), (37, "ok"))),
    Spec("successfactors", "Alpenblick Hotels AG", A, created_days=430, size=2310,
         phases=((31, "outage_secret"), (24, "ok"))),
    # ACTIVE after authentication failures and a credentials update
    Spec("greenhouse", "Wildflower Foods Inc.", A, created_days=175,
         phases=((52, "auth"), (39.3, "ok")), credentials_updated_hours=39.3),
    # ACTIVE: credentials were invalid (syncs paused), updated 27 min ago, new sync running
    Spec("bamboohr", "Verdant Grocers Ltd", A, created_days=330, size=780,
         phases=((120, "auth"), (0.45, "ok")), pause=True, credentials_updated_hours=0.45,
         running=True),
    # ---- SYNC_HAS_WARNINGS --------------------------------------------------------------
    Spec("personio", "Rheinwerk Maschinenbau GmbH", W, created_days=280, size=1930,
         phases=((36, "warn"),)),
    Spec("hibob", "Oakridge Property Management Ltd", W, created_days=160,
         phases=((60, "warn"),)),
    Spec("greenhouse", "Saltmarsh Ventures Ltd", W, created_days=300, size=9800,
         phases=((10, "warn"),)),
    Spec("factorial", "Grupo Marea Restauración S.L.", W, created_days=75, size=640,
         phases=((80, "warn2"),)),
    Spec("workable", "Pixelmint Games Oy", W, D, created_days=20, last_api_hours=26,
         phases=((20, "warn"),)),
    # ---- SYNC_FAILING -------------------------------------------------------------------
    Spec("workday", "Cascadia Medical Center", F, created_days=700, size=11200,
         phases=((7, "outage"),)),
    Spec("successfactors", "Silverline Insurance Group", F, created_days=365, size=4120,
         phases=((44, "perm"),)),
    Spec("greenhouse", "Orchid Biotech GmbH", F, created_days=130, size=52000,
         phases=((16, "timeout"),)),
    Spec("lever", "Redwood Talent Partners Inc.", F, created_days=210, size=23000,
         phases=((9, "ratelimit"),)),
    Spec("teamtailor", "Lindqvist & Berg Advokatbyrå AB", F, created_days=240,
         phases=((13, "outage_secret"),)),
    Spec("successfactors", "Alpenblick Hotels AG", F, D, created_days=50, size=120,
         last_api_hours=72, phases=((70, "perm"),)),
    # ---- AUTHENTICATION_FAILING (trailing auth failures, earliest < 72 h ago) -----------
    Spec("bamboohr", "Sunnyside Childcare Ltd", AF, created_days=145, phases=((7, "auth"),)),
    Spec("hibob", "Vantage Realty Group", AF, created_days=230,
         phases=((40, "auth_secret"),)),
    Spec("workable", "Glasshouse Media GmbH", AF, created_days=180, phases=((62, "auth"),)),
    Spec("deel", "Polaris Payments Ltd", AF, D, created_days=35, last_api_hours=72,
         phases=((20, "auth"),)),
    # ---- CREDENTIALS_INVALID (auth failures for 72 h and more; syncs paused) ------------
    Spec("personio", "Eisvogel Reisen GmbH", CI, created_days=390, phases=((76, "auth"),),
         pause=True),
    Spec("workday", "Granite Peak Outfitters Inc.", CI, created_days=480, size=3400,
         phases=((100, "auth_secret"),), pause=True, credentials_updated_hours=61 * 24),
    Spec("recruitee", "Studio Noord B.V.", CI, created_days=155, history_days=7,
         phases=((130, "auth"),), pause=True),
    # ---- QUALITY_ASSURANCE (the first sync had issues) -----------------------------------
    Spec("factorial", "Lisboa Coworking Lda.", QA, created_days=30 / 24, size=58,
         first="warn", noise=False),
    Spec("smartrecruiters", "Tidewater Shipping Co.", QA, created_days=44 / 24, size=3410,
         first="perm", noise=False),
    Spec("ashby", "Quill & Quire Publishing Ltd", QA, created_days=26 / 24, size=7200,
         first="timeout", noise=False),
    Spec("talentlms", "Bright Minds Academy", QA, D, created_days=40 / 24, size=930,
         first="warn", noise=False, last_api_hours=3),
    # ---- SETUP (no filters configured yet, no syncs) --------------------------------------
    Spec("deel", "Mosaic Remote Ltd", SU, created_days=6 / 24, filters=False),
    Spec("teamtailor", "Skärgård Outdoor AB", SU, created_days=2.2, filters=False),
    Spec("codility", "Stackforge Academy", SU, D, created_days=3.5, filters=False,
         last_api_hours=3.4 * 24),
    # ---- INACTIVE -----------------------------------------------------------------------
    # disabled by an operator 51 h ago: syncs stop there
    Spec("bamboohr", "Coastline Yoga Studios LLC", IN, created_days=310, enabled=False,
         stop_hours=51, last_api_hours=52),
    # development, no API request for 15 to 30 days: disabled by the rule at evaluation
    Spec("personio", "Rheinwerk Maschinenbau GmbH", IN, D, created_days=60, size=1930,
         last_api_hours=18 * 24),
    Spec("greenhouse", "Lumen Analytics GmbH", IN, D, created_days=45, size=18400,
         last_api_hours=27 * 24),
    Spec("workable", "Glasshouse Media GmbH", IN, D, created_days=38, last_api_hours=21 * 24),
    # ---- DELETED ------------------------------------------------------------------------
    Spec("lever", "Foxglove Apparel Ltd", DE, created_days=200, deleted_days=3 + 2 / 24),
    Spec("bamboohr", "Paperkite Design Studio", DE, created_days=150, deleted_days=20,
         history_days=22.5),
    Spec("hibob", "Vantage Realty Group", DE, D, created_days=30, deleted_days=9 / 24),
)
# fmt: on


# --------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------
def iso(t: datetime) -> str:
    """ISO 8601 in UTC with a trailing Z, whole seconds."""
    return t.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(s: str) -> datetime:
    return datetime.fromisoformat(s).astimezone(UTC)


def ago(hours: float) -> datetime:
    return (REFERENCE - timedelta(hours=hours)).replace(microsecond=0)


def tenant_of(org: str) -> str:
    first = org.split()[0]
    ascii_ = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_.lower() if c.isalnum())


def rng_for(spec: Spec) -> random.Random:
    return random.Random(f"{SEED}|{spec.tool}|{spec.org}|{spec.env}")


def integration_id(spec: Spec) -> str:
    rng = rng_for(spec)
    return f"{spec.tool}:{''.join(rng.choice(BASE62) for _ in range(8))}"


def fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def state_of(kind: str) -> str:
    if kind == "ok":
        return "SUCCEEDED"
    if kind.startswith("warn") or kind == "blip_warn":
        return "PARTIALLY_FAILED"
    if kind.startswith("auth"):
        return "AUTHENTICATION_FAILED"
    if kind == "timeout":
        return "TIMED_OUT"
    if kind == "cancel":
        return "CANCELLED"
    return "FAILED"


@dataclass
class Slot:
    start: datetime
    type: str  # FULL / DELTA
    kind: str = "ok"
    end: datetime | None = None


class Builder:
    """Builds one integration record from its Spec."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.tool = TOOLS[spec.tool]
        self.rng = rng_for(spec)
        self.id = f"{spec.tool}:{''.join(self.rng.choice(BASE62) for _ in range(8))}"
        self.suffix = self.id.split(":", 1)[1]
        self.tenant = tenant_of(spec.org)
        if spec.size is not None:
            self.size = spec.size
        else:
            low, high = (60, 4000) if self.tool.category == "HRIS" else (400, 30000)
            self.size = int(math.exp(self.rng.uniform(math.log(low), math.log(high))))
        self.created = ago(spec.created_days * 24) - timedelta(seconds=self.rng.randint(0, 59))
        self.deleted = (
            ago(spec.deleted_days * 24) - timedelta(seconds=self.rng.randint(0, 3599))
            if spec.deleted_days is not None
            else None
        )
        history = spec.history_days if spec.history_days is not None else self.rng.uniform(5, 7)
        self.history_start = ago(history * 24)
        self.cred_update = (
            ago(spec.credentials_updated_hours) if spec.credentials_updated_hours else None
        )

    # ---- durations -----------------------------------------------------------------
    def _scale(self) -> float:
        """0 for a tiny company, 1 for a huge one."""
        frac = (math.log(self.size) - math.log(40)) / (math.log(50000) - math.log(40))
        return min(1.0, max(0.0, frac))

    def duration(self, slot: Slot) -> timedelta:
        s, rng = self._scale(), self.rng
        kind = slot.kind
        if kind.startswith("auth"):
            return timedelta(seconds=rng.randint(3, 14))
        if kind in ("outage", "outage_secret", "ratelimit", "blip_fail"):
            return timedelta(seconds=rng.randint(40, 330))  # retries with backoff, then gives up
        if slot.type == "FULL":
            minutes = (5 + 33 * s) * rng.uniform(0.85, 1.15)
            if kind == "timeout":
                minutes = minutes * 1.3 + 6
            return timedelta(
                seconds=int(60 * min(40.0 if kind != "timeout" else 55.0, max(5.0, minutes)))
            )
        seconds = (20 + 200 * s) * rng.uniform(0.7, 1.25)
        if kind == "timeout":
            seconds = seconds + 300
        return timedelta(
            seconds=int(min(240.0 if kind != "timeout" else 540.0, max(20.0, seconds)))
        )

    # ---- schedule --------------------------------------------------------------------
    def slots(self) -> list[Slot]:
        spec, rng = self.spec, self.rng
        start = max(self.history_start, self.created)
        initial: Slot | None = None
        if self.created >= self.history_start:
            # the first sync: a FULL sync right after filters were configured
            initial = Slot(self.created + timedelta(seconds=rng.randint(5 * 60, 45 * 60)), "FULL")
            if spec.running and spec.created_days * 24 < 1:
                initial.start = self.created + timedelta(seconds=rng.randint(240, 420))
        if spec.full_anchor_minutes is not None:
            full_anchor = REFERENCE - timedelta(minutes=spec.full_anchor_minutes)
        else:
            full_anchor = REFERENCE - timedelta(seconds=rng.randint(0, 10 * 3600 - 1))
        delta_anchor = REFERENCE - timedelta(seconds=rng.randint(0, 3 * 3600 - 1))
        periodic_from = initial.start + timedelta(hours=2) if initial else start
        raw: list[Slot] = []
        for anchor, every, typ in (
            (full_anchor, FULL_EVERY, "FULL"),
            (delta_anchor, DELTA_EVERY, "DELTA"),
        ):
            t = anchor
            while t >= periodic_from:
                raw.append(Slot(t, typ))
                t -= every
        fulls = [s.start for s in raw if s.type == "FULL"]
        raw = [
            s
            for s in raw
            if s.type == "FULL" or all(abs(s.start - f) > timedelta(minutes=45) for f in fulls)
        ]
        if initial:
            raw.append(initial)
        if self.cred_update and self.cred_update >= start:
            # updating the credentials triggers a FULL sync straight away
            raw.append(Slot(self.cred_update + timedelta(seconds=rng.randint(100, 260)), "FULL"))
            raw = [
                s
                for s in raw
                if not (
                    s.type == "DELTA"
                    and timedelta(0) <= s.start - self.cred_update <= timedelta(minutes=50)
                )
            ]
        for s in raw:  # queueing jitter
            if s is not initial:
                s.start += timedelta(seconds=rng.randint(0, 95))
        return sorted(raw, key=lambda s: s.start)

    def kind_at(self, t: datetime) -> str:
        kind = "ok"
        for hours, k in sorted(self.spec.phases, key=lambda p: -p[0]):
            if t >= ago(hours):
                kind = k
        return kind

    def history(self) -> list[Slot]:
        spec = self.spec
        stop = CUTOFF
        if spec.stop_hours is not None:
            stop = ago(spec.stop_hours)
        if self.deleted is not None:
            stop = min(stop, self.deleted - timedelta(minutes=self.rng.randint(10, 90)))
        done: list[Slot] = []
        run_first_end: datetime | None = None
        paused = False
        for slot in self.slots():
            if done and slot.start < (done[-1].end or slot.start) + timedelta(minutes=5):
                continue  # still busy with the previous sync
            if slot.start > stop:
                break
            if paused:
                if self.cred_update is None or slot.start < self.cred_update:
                    continue
                paused, run_first_end = False, None
            slot.kind = self.kind_at(slot.start)
            if not done and spec.first is not None:
                slot.kind = spec.first
            if not done and slot.kind != "ok" and spec.first is None:
                raise ValueError(f"{spec.org}: the first sync must succeed, got {slot.kind}")
            if (
                slot.kind.startswith("auth")
                and spec.pause
                and run_first_end is not None
                and slot.start > run_first_end + CREDENTIALS_PAUSE
            ):
                paused = True  # Kombo pauses syncs once the credentials are invalid
                continue
            slot.end = slot.start + self.duration(slot)
            if slot.kind.startswith("auth"):
                if run_first_end is None:
                    run_first_end = slot.end
            else:
                run_first_end = None
            if (spec.stop_hours is not None or self.deleted is not None) and slot.end > stop:
                break  # disabled or deleted while this sync would have run
            done.append(slot)
        # a few transient problems in the middle of healthy stretches
        if spec.noise:
            for i in range(1, len(done) - 2):
                slot = done[i]
                if slot.kind == "ok" and slot.end is not None and self.rng.random() < 0.05:
                    slot.kind = self.rng.choice(
                        ("blip_warn", "blip_warn", "blip_fail", "blip_fail", "cancel")
                    )
                    shorter = (slot.end - slot.start) * self.rng.uniform(0.2, 0.9)
                    slot.end = slot.start + timedelta(seconds=max(9, int(shorter.total_seconds())))
        if spec.pin:
            pin_start = NEWEST_END - timedelta(seconds=94)
            done = [s for s in done if s.start < pin_start - timedelta(minutes=40)]
            done.append(Slot(pin_start, "DELTA", "ok", NEWEST_END))
        elif done and done[-1].end is not None and done[-1].end > CUTOFF:
            done[-1].end = None  # still running at REFERENCE
        if spec.running and done:
            done[-1].end = None
        return done

    # ---- logs ------------------------------------------------------------------------
    def logs(self, slot: Slot) -> list[LogLine]:
        rng, tool = self.rng, self.tool
        n = max(1, self.size + rng.randint(-3, 4))
        pages = max(1, math.ceil(n / tool.page_size))
        values = {
            "tenant": self.tenant,
            "n": f"{n:,}",
            "k": str(rng.randint(2, 19)),
            "page": str(41 if slot.type == "FULL" else rng.randint(2, 6)),
            "offset": str(tool.page_size * rng.randint(3, max(3, pages - 1))),
        }
        req, req2 = fill(tool.request, values), fill(tool.request2, values)
        fetched = f"Fetched {n:,} {tool.noun} from {req} (page {pages}/{pages})"
        kind = slot.kind
        lines: list[LogLine] = []
        if kind == "ok":
            if slot.type == "FULL":
                if rng.random() < 0.6:
                    lines.append(("INFO", fetched, None))
                    if rng.random() < 0.5:
                        m = max(1, int(n * rng.uniform(0.05, 1.4)))
                        lines.append(("INFO", f"Fetched {m:,} {tool.noun2} from {req2}", None))
                    created, updated = rng.randint(0, 6), rng.randint(3, 60)
                    lines.append(
                        (
                            "INFO",
                            f"Sync finished: {created} created, {updated} "
                            f"updated, {rng.randint(0, 2)} deleted",
                            None,
                        )
                    )
            elif rng.random() < 0.15:
                changed = rng.randint(1, 25)
                lines.append(
                    (
                        "INFO",
                        f"Delta sync: {changed} {tool.noun} changed since the "
                        f"previous sync ({req}, 1 page)",
                        None,
                    )
                )
            return lines
        if kind == "cancel":
            return [
                (
                    "INFO",
                    "Sync cancelled: superseded by a FULL sync triggered from the dashboard",
                    None,
                )
            ]
        if kind == "blip_warn":
            msg, fld = template(tool, "blip")
            return [("WARNING", fill(msg, values), fld)]
        if kind == "blip_fail":
            return [
                ("WARNING", f"Retrying {req} after 502 Bad Gateway (attempt 4 of 5)", None),
                (
                    "ERROR",
                    f"{tool.name} API returned 502 Bad Gateway on {req} after 5 "
                    "attempts; the next scheduled sync will retry",
                    None,
                ),
            ]
        msg, fld = template(tool, kind)
        text = fill(msg, values)
        if kind.startswith("warn"):
            if slot.type == "FULL" and rng.random() < 0.5:
                lines.append(("INFO", fetched, None))
            return [*lines, ("WARNING", text, fld)]
        if kind in ("outage", "outage_secret"):
            status = re.search(r"5\d\d(?: [A-Z][a-z]+)+", text)
            reason = status.group(0) if status else "a server error"
            return [
                (
                    "WARNING",
                    f"Retrying {req} after {reason} (attempt 3 of 5, backing off 40 s)",
                    None,
                ),
                ("ERROR", text, fld),
            ]
        if kind == "ratelimit":
            return [
                ("WARNING", f"429 Too Many Requests on {req}: Retry-After 30 s", None),
                ("ERROR", text, fld),
            ]
        if kind == "timeout":
            pages_done = int(values["page"]) - 1
            return [
                (
                    "INFO",
                    f"Fetched {pages_done * tool.page_size:,} {tool.noun} so far "
                    f"(page {pages_done})",
                    None,
                ),
                ("ERROR", text, fld),
            ]
        return [("ERROR", text, fld)]  # auth, perm

    def build(self) -> dict[str, Any]:
        spec, rng = self.spec, self.rng
        syncs: list[dict[str, Any]] = []
        history = self.history() if spec.filters else []
        first_number = 1
        if self.created < self.history_start and history:
            # the syncs before the window are not generated; keep the numbering realistic
            days = (self.history_start - self.created).total_seconds() / 86400
            first_number = int(days * (24 / 3 + 24 / 10) * 0.93) + 1
        for i, slot in enumerate(history):
            entries: list[dict[str, Any]] = []
            if slot.end is not None:
                lines = self.logs(slot)
                span = (slot.end - slot.start).total_seconds()
                stamps = sorted(rng.uniform(0.05, 0.97) * span for _ in lines)
                if lines and lines[-1][0] == "ERROR":
                    stamps[-1] = span - rng.uniform(0, min(2.0, span))
                for (level, message, fld), offset in zip(lines, stamps, strict=True):
                    entries.append(
                        {
                            "at": iso(slot.start + timedelta(seconds=offset)),
                            "level": level,
                            "message": message,
                            "field": fld,
                        }
                    )
            syncs.append(
                {
                    "id": f"sync_{self.suffix}_{first_number + i:04d}",
                    "type": slot.type,
                    "state": "RUNNING" if slot.end is None else state_of(slot.kind),
                    "started_at": iso(slot.start),
                    "ended_at": None if slot.end is None else iso(slot.end),
                    "logs": entries,
                }
            )
        # last API request of the customer's backend
        if spec.last_api_hours is not None:
            last_api = ago(spec.last_api_hours) - timedelta(seconds=rng.randint(0, 900))
        else:
            last_api = REFERENCE - timedelta(seconds=rng.randint(4 * 60, 4 * 3600))
        if self.deleted is not None:
            last_api = self.deleted - timedelta(seconds=rng.randint(3600, 30 * 3600))
        last_api = min(max(last_api, self.created + timedelta(minutes=2)), NEWEST_END)
        return {
            "id": self.id,
            "tool": spec.tool,
            "category": self.tool.category,
            "organization": spec.org,
            "environment": spec.env,
            "created_at": iso(self.created),
            "filters_configured": spec.filters,
            "enabled": spec.enabled,
            "last_api_request_at": iso(last_api),
            "credentials_updated_at": iso(self.cred_update) if self.cred_update else None,
            # long-running integrations passed QA long before the generated history
            "qa_status": "PASSED" if spec.created_days >= 30 else None,
            "deleted_at": iso(self.deleted) if self.deleted else None,
            "syncs": syncs,
        }


def generate() -> dict[str, Any]:
    records = [Builder(spec).build() for spec in ROSTER]
    ids = [r["id"] for r in records]
    assert len(set(ids)) == len(ids), "duplicate integration id"
    return {"integrations": sorted(records, key=lambda r: r["id"])}


def dumps(data: dict[str, Any]) -> str:
    """Diff-friendly JSON: one field per line, one sync (with its logs) per line."""

    def j(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    out = ["{", ' "integrations": [']
    records = data["integrations"]
    for n, rec in enumerate(records):
        out.append("  {")
        for key, value in rec.items():
            if key == "syncs":
                continue
            out.append(f"   {j(key)}: {j(value)},")
        if rec["syncs"]:
            out.append('   "syncs": [')
            syncs = rec["syncs"]
            out.extend(
                f"    {j(s)}{',' if i < len(syncs) - 1 else ''}" for i, s in enumerate(syncs)
            )
            out.append("   ]")
        else:
            out.append('   "syncs": []')
        out.append("  }," if n < len(records) - 1 else "  }")
    out += [" ]", "}"]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------
# Self-check: the contract's precedence rules, re-implemented in a few lines
# --------------------------------------------------------------------------------------
def expected_state(rec: dict[str, Any], now: datetime) -> str:
    """The UI state of an import record at ``now`` (first evaluation, no operator action)."""
    if rec["deleted_at"]:
        return "DELETED"
    enabled = rec["enabled"]
    if enabled and rec["environment"] == "development":
        activity = max(parse(t) for t in (rec["created_at"], rec["last_api_request_at"]) if t)
        enabled = now - activity < DEV_INACTIVITY
    if not enabled:
        return "INACTIVE"
    if not rec["filters_configured"]:
        return "SETUP"
    finished = [s for s in rec["syncs"] if s["state"] not in ("RUNNING", "CANCELLED")]
    qa = rec["qa_status"]
    if qa is None and finished:
        first = min(finished, key=lambda s: (parse(s["started_at"]), s["id"]))
        qa = "PASSED" if first["state"] == "SUCCEEDED" else "FAILED"
    if qa == "FAILED":
        return "QUALITY_ASSURANCE"
    epoch = parse(rec["credentials_updated_at"]) if rec["credentials_updated_at"] else None
    counted = sorted(
        (s for s in finished if epoch is None or parse(s["started_at"]) >= epoch),
        key=lambda s: (parse(s["ended_at"]), parse(s["started_at"]), s["id"]),
    )
    run: list[dict[str, Any]] = []
    for s in reversed(counted):
        if s["state"] != "AUTHENTICATION_FAILED":
            break
        run.append(s)
    if run and now - parse(run[-1]["ended_at"]) >= CREDENTIALS_PAUSE:
        return "CREDENTIALS_INVALID"
    last = counted[-1]["state"] if counted else None
    return {
        "AUTHENTICATION_FAILED": "AUTHENTICATION_FAILING",
        "FAILED": "SYNC_FAILING",
        "TIMED_OUT": "SYNC_FAILING",
        "PARTIALLY_FAILED": "SYNC_HAS_WARNINGS",
    }.get(last or "", "ACTIVE")


def auth_run_age(rec: dict[str, Any]) -> float | None:
    """Hours between the earliest sync of the trailing auth-failure run and REFERENCE."""
    finished = sorted(
        (s for s in rec["syncs"] if s["state"] not in ("RUNNING", "CANCELLED")),
        key=lambda s: (s["ended_at"], s["started_at"], s["id"]),
    )
    earliest = None
    for s in reversed(finished):
        if s["state"] != "AUTHENTICATION_FAILED":
            break
        earliest = parse(s["ended_at"])
    return None if earliest is None else (REFERENCE - earliest).total_seconds() / 3600


def all_times(data: dict[str, Any]) -> Iterable[str]:
    for rec in data["integrations"]:
        for key in ("created_at", "last_api_request_at", "credentials_updated_at", "deleted_at"):
            if rec[key]:
                yield rec[key]
        for s in rec["syncs"]:
            yield s["started_at"]
            if s["ended_at"]:
                yield s["ended_at"]
            for log in s["logs"]:
                yield log["at"]


def check(path: Path = OUT, verbose: bool = False) -> None:
    raw = path.read_text(encoding="utf-8")
    data = json.loads(raw)
    assert list(data) == ["integrations"], "the top level must hold only 'integrations'"
    records: list[dict[str, Any]] = data["integrations"]
    expect = {integration_id(spec): spec.expect for spec in ROSTER}

    # format
    rec_keys = [
        "id",
        "tool",
        "category",
        "organization",
        "environment",
        "created_at",
        "filters_configured",
        "enabled",
        "last_api_request_at",
        "credentials_updated_at",
        "qa_status",
        "deleted_at",
        "syncs",
    ]
    sync_ids: set[str] = set()
    for rec in records:
        assert list(rec) == rec_keys, rec["id"]
        assert rec["category"] in ("HRIS", "ATS", "ASSESSMENT", "LMS")
        assert rec["environment"] in ("production", "development")
        assert rec["id"].startswith(rec["tool"] + ":") and len(rec["id"].split(":")[1]) == 8
        created = parse(rec["created_at"])
        for s in rec["syncs"]:
            assert list(s) == ["id", "type", "state", "started_at", "ended_at", "logs"]
            assert s["id"] not in sync_ids and s["id"].startswith(
                f"sync_{rec['id'].split(':')[1]}_"
            ), s["id"]
            sync_ids.add(s["id"])
            assert s["type"] in ("FULL", "DELTA")
            assert (s["ended_at"] is None) == (s["state"] == "RUNNING"), s["id"]
            assert parse(s["started_at"]) > created, s["id"]
            if s["ended_at"]:
                assert parse(s["ended_at"]) >= parse(s["started_at"]), s["id"]
            for log in s["logs"]:
                assert list(log) == ["at", "level", "message", "field"]
                assert log["level"] in ("INFO", "WARNING", "ERROR")
                assert parse(s["started_at"]) <= parse(log["at"])
                assert s["ended_at"] is None or parse(log["at"]) <= parse(s["ended_at"])
            if s["state"] in ("PARTIALLY_FAILED",):
                assert any(log["level"] == "WARNING" for log in s["logs"]), s["id"]
            if s["state"] in ("FAILED", "TIMED_OUT", "AUTHENTICATION_FAILED"):
                assert any(log["level"] == "ERROR" for log in s["logs"]), s["id"]
        starts = [s["started_at"] for s in rec["syncs"]]
        assert starts == sorted(starts), rec["id"]
    times = list(all_times(data))
    assert all(t.endswith("Z") and len(t) == 20 for t in times)
    newest = max(parse(s["ended_at"]) for r in records for s in r["syncs"] if s["ended_at"])
    age = REFERENCE - newest
    assert timedelta(minutes=2) <= age <= timedelta(minutes=5), age
    assert max(parse(t) for t in times) == newest, "a time in the file is after the newest sync"

    # states
    counts: Counter[str] = Counter()
    for rec in records:
        state = expected_state(rec, REFERENCE)
        counts[state] += 1
        assert state == expect[rec["id"]], f"{rec['id']} {rec['organization']}: {state}"
        last_api = REFERENCE - parse(rec["last_api_request_at"])
        if state not in ("DELETED", "INACTIVE"):
            if rec["environment"] == "production":
                assert last_api <= timedelta(hours=6), rec["id"]
            else:
                assert last_api < DEV_INACTIVITY, rec["id"]
        if state == "AUTHENTICATION_FAILING":
            run_age = auth_run_age(rec)
            assert run_age is not None and run_age < 72, rec["id"]
        if state == "QUALITY_ASSURANCE":
            assert rec["qa_status"] is None
        if verbose:
            finished = [s for s in rec["syncs"] if s["ended_at"]]
            run_age = auth_run_age(rec)
            note = f" auth run {run_age:.1f} h" if run_age is not None else ""
            print(
                f"  {state:<23} {rec['environment'][:4]} {rec['id']:<30} "
                f"{rec['organization']:<34} syncs={len(rec['syncs']):>3} "
                f"last={finished[-1]['state'] if finished else '-'}{note}"
            )
    print("integrations per state at REFERENCE", iso(REFERENCE))
    for state in STATES:
        print(f"  {state:<23} {counts[state]:>3}")
    missing = [s for s in STATES if counts[s] < 3]
    assert not missing, f"fewer than 3 integrations in {missing}"
    assert counts["ACTIVE"] == max(counts.values()), "ACTIVE must be the bulk"

    tools = {r["tool"] for r in records}
    n_syncs = sum(len(r["syncs"]) for r in records)
    n_logs = sum(len(s["logs"]) for r in records for s in r["syncs"])
    levels = Counter(log["level"] for r in records for s in r["syncs"] for log in s["logs"])
    sync_states = Counter(s["state"] for r in records for s in r["syncs"])
    dev = sum(r["environment"] == "development" for r in records)
    size = path.stat().st_size
    assert len(records) >= 44 and len(tools) >= 12
    assert size < 3 * 1024 * 1024, size
    secrets = ("Bearer eyJ", ":hunter2@", "api_key=sk_live_", "password=")
    for secret in secrets:
        assert secret in raw, f"no sample secret {secret!r}"
    print(f"file: {path.name}, {size:,} bytes")
    print(f"integrations: {len(records)} ({dev} development) over {len(tools)} tools")
    print(f"syncs: {n_syncs:,} ({', '.join(f'{k} {v}' for k, v in sorted(sync_states.items()))})")
    print(f"log entries: {n_logs:,} ({', '.join(f'{k} {v}' for k, v in sorted(levels.items()))})")
    print(f"newest finished sync ends {iso(newest)} ({age} before REFERENCE)")
    print("check passed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only check the existing file")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every integration")
    parser.add_argument("--out", type=Path, default=OUT, help="output file")
    args = parser.parse_args(argv)
    if not args.check:
        args.out.write_text(dumps(generate()), encoding="utf-8")
        print(f"wrote {args.out}")
    check(args.out, verbose=args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
