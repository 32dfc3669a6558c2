"""The demo's catalogue: the third-party tools it simulates and the names it makes up.

A :class:`Tool` says how one tool's API reads in a sync engine's log lines (its requests,
its warnings, its authentication error) and how big its customers' data tends to be.
:class:`OrgNames` makes up organisation names for a fleet; :func:`tenant_slug` turns one into
the tenant part of a tool's URLs.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from syncwatch.states import Category

__all__ = ["TOOLS", "TOOL_WEIGHTS", "OrgNames", "Tool", "tenant_slug"]


@dataclass(frozen=True, slots=True)
class Tool:
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
TOOLS: dict[str, Tool] = {t.key: t for t in (
    Tool("personio", "Personio", Category.HRIS, "employees", "GET /v1/company/employees", 100,
         "hris.employees", "time-off periods", "GET /v1/company/time-offs",
         (("Could not fetch field date_of_birth: permission missing "
           "(403 on GET /v1/company/employees/attributes)", "hris.employees.date_of_birth"),
          ("Could not fetch absence balances: 403 Forbidden on GET /v1/company/time-off-types "
           "(the API credentials have no read access to Absences)", "hris.time_off_balances")),
         "401 Unauthorized on POST /v1/auth: client credentials rejected by Personio "
         "(API credentials deleted or regenerated in Settings > Integrations)", (40, 4000)),
    Tool("workday", "Workday", Category.HRIS, "workers",
         "SOAP Get_Workers /ccx/service/{tenant}/Human_Resources/v42.0", 200, "hris.employees",
         "time-off plan balances",
         "SOAP Get_Time_Off_Plan_Balances /ccx/service/{tenant}/Absence_Management/v42.0",
         (("Could not fetch field ethnicity: the integration system user's security group has "
           "no access to the domain 'Worker Data: Personal Data' (field empty for {n} workers)",
           "hris.employees.ethnicity"),),
         "SOAP fault wsse:FailedAuthentication on Get_Workers: invalid username or password "
         "for integration system user ISU_Kombo@{tenant}", (1500, 40000)),
    Tool("bamboohr", "BambooHR", Category.HRIS, "employees",
         "GET /api/gateway.php/{tenant}/v1/reports/custom", 1000, "hris.employees",
         "time-off requests", "GET /api/gateway.php/{tenant}/v1/time_off/requests",
         (("Could not fetch time-off balances: 403 on GET /api/gateway.php/{tenant}/v1/"
           "employees/{id}/time_off/calculator (the API user has no access to Time Off)",
           "hris.time_off_balances"),),
         "401 Unauthorized on GET /api/gateway.php/{tenant}/v1/employees/directory: API key "
         "rejected by BambooHR (key revoked or expired)", (30, 1500)),
    Tool("hibob", "HiBob", Category.HRIS, "people", "POST /v1/people/search", 5000,
         "hris.employees", "time-off requests", "GET /v1/timeoff/requests/changes",
         (("Could not fetch field bank_accounts: the service user has no access to the "
           "'Payroll' category (403 on POST /v1/people/search)", "hris.employees.bank_accounts"),
          ("Could not fetch field work.reportsTo for {k} people: 403 on GET /v1/people/{id} "
           "(field permission 'Work > Reports to' not granted)", "hris.employees.manager")),
         "401 Unauthorized on POST /v1/people/search: service user rejected by HiBob "
         "(service user deactivated or its permission group removed)", (60, 5000)),
    Tool("successfactors", "SAP SuccessFactors", Category.HRIS, "employees",
         "GET /odata/v2/PerPerson", 1000, "hris.employees", "job records",
         "GET /odata/v2/EmpJob",
         (("Could not fetch job information for {k} employments: 403 on GET /odata/v2/EmpJob "
           "(role permission 'Job Information' missing for API user SFAPI_KOMBO)",
           "hris.employments"),),
         "401 Unauthorized: SAML bearer assertion for API user SFAPI_KOMBO rejected by SAP "
         "SuccessFactors (X.509 certificate expired)", (800, 30000)),
    Tool("factorial", "Factorial", Category.HRIS, "employees",
         "GET /api/2025-04-01/resources/employees/employees", 100, "hris.employees", "leaves",
         "GET /api/2025-04-01/resources/timeoff/leaves",
         (("Could not fetch field home_address: custom field 'Dirección particular' no longer "
           "exists in Factorial (404 on GET /api/2025-04-01/resources/custom_fields/fields/"
           "{id})", "hris.employees.home_address"),
          ("Could not map employment_type value 'Fijo discontinuo' for {k} employees; stored "
           "as null", "hris.employees.employment_type")),
         "401 Unauthorized on POST /oauth/token: OAuth refresh token rejected by Factorial "
         "(invalid_grant: the admin who connected the app was deactivated)", (20, 900)),
    Tool("adp_workforce_now", "ADP Workforce Now", Category.HRIS, "workers",
         "GET /hr/v2/workers", 100, "hris.employees", "time-off requests",
         "GET /time/v2/workers/{id}/time-off-requests",
         (("Could not fetch field ssn: the consumer application lacks the 'Personal Identity' "
           "data scope (403 on GET /hr/v2/workers)", "hris.employees.ssn"),),
         "401 Unauthorized on POST /auth/oauth/v2/token: ADP rejected the client certificate "
         "of the consumer application (certificate expired or consent revoked)", (200, 8000)),
    Tool("rippling", "Rippling", Category.HRIS, "employees", "GET /platform/api/employees", 100,
         "hris.employees", "groups", "GET /platform/api/groups",
         (("Could not fetch field compensation: scope 'employee:compensation' not granted "
           "(403 on GET /platform/api/employees/{id}/compensation)",
           "hris.employments.pay_rate"),),
         "403 Forbidden on GET /platform/api/employees: Rippling access token revoked (the app "
         "was uninstalled by a Rippling admin)", (40, 3000)),
    Tool("deel", "Deel", Category.HRIS, "people", "GET /rest/v2/people", 100, "hris.employees",
         "contracts", "GET /rest/v2/contracts",
         (("Skipped {k} EOR contracts without a worker profile (404 on GET /rest/v2/people/"
           "{id})", "hris.employments"),),
         "401 Unauthorized on GET /rest/v2/people: Deel API token rejected (token revoked in "
         "Deel > Developer Center)", (20, 2000)),
    Tool("greenhouse", "Greenhouse", Category.ATS, "candidates", "GET /v1/candidates", 500,
         "ats.candidates", "applications", "GET /v1/applications",
         (("Skipped {k} of {n} applications: 404 Not Found on GET /v1/applications/{id} "
           "(deleted during the sync)", "ats.applications"),
          ("Could not fetch field custom_fields.salary_expectation: the Harvest API key has no "
           "access to private fields (403 on GET /v1/candidates/{id})",
           "ats.candidates.custom_fields")),
         "401 Unauthorized on GET /v1/candidates: Harvest API key rejected by Greenhouse "
         "(key revoked)", (500, 50000)),
    Tool("lever", "Lever", Category.ATS, "opportunities", "GET /v1/opportunities", 100,
         "ats.applications", "postings", "GET /v1/postings",
         (("Could not fetch interview feedback: 403 on GET /v1/opportunities/{id}/feedback "
           "(scope feedback:read:admin not granted)", "ats.interviews"),),
         "401 Unauthorized on POST https://auth.lever.co/oauth/token: OAuth refresh token "
         "revoked by Lever (invalid_grant)", (300, 30000)),
    Tool("ashby", "Ashby", Category.ATS, "candidates", "POST /candidate.list", 100,
         "ats.candidates", "applications", "POST /application.list",
         (("Could not fetch field source: API key lacks permission 'hiringProcessMetadataRead' "
           "(403 on POST /source.list)", "ats.applications.source"),),
         "401 Unauthorized on POST /candidate.list: Ashby API key rejected (key deleted or "
         "its 'candidatesRead' permission removed)", (300, 20000)),
    Tool("teamtailor", "Teamtailor", Category.ATS, "candidates", "GET /v1/candidates", 30,
         "ats.candidates", "job applications", "GET /v1/job-applications",
         (("Could not fetch field resume: 403 on GET /v1/candidates/{id}/uploads (API key "
           "scope is 'Public', not 'Admin')", "ats.candidates.resume"),),
         "401 Unauthorized on GET /v1/candidates: Teamtailor API key rejected (key deleted in "
         "Settings > Integrations > API keys)", (200, 8000)),
    Tool("workable", "Workable", Category.ATS, "candidates", "GET /spi/v3/candidates", 100,
         "ats.candidates", "jobs", "GET /spi/v3/jobs",
         (("Could not fetch field phone: the access token lacks scope r_candidates for personal "
           "data (403 on GET /spi/v3/candidates/{id})", "ats.candidates.phone_numbers"),),
         "401 Unauthorized on GET /spi/v3/candidates: Workable access token rejected by "
         "{tenant}.workable.com (token revoked or expired)", (200, 10000)),
    Tool("smartrecruiters", "SmartRecruiters", Category.ATS, "candidates", "GET /candidates",
         100, "ats.candidates", "jobs", "GET /jobs",
         (("Could not fetch {k} applications: 403 Forbidden on GET /candidates/{id}/"
           "applications (missing scope candidates_read)", "ats.applications"),),
         "401 Unauthorized on GET /candidates: SmartRecruiters API key rejected (X-SmartToken "
         "deactivated)", (1000, 50000)),
    Tool("recruitee", "Recruitee", Category.ATS, "candidates", "GET /c/{tenant}/candidates",
         100, "ats.candidates", "offers", "GET /c/{tenant}/offers",
         (("Could not fetch field cover_letter for {k} candidates: 404 on GET /c/{tenant}/"
           "candidates/{id}/attachments", "ats.candidates.attachments"),),
         "401 Unauthorized on GET /c/{tenant}/candidates: Recruitee personal API token rejected "
         "(token deleted by a company admin)", (100, 6000)),
    Tool("testgorilla", "TestGorilla", Category.ASSESSMENT, "assessment orders",
         "GET /api/assessments/candidature", 100, "assessment.orders", "tests", "GET /api/tests",
         (("Could not fetch the result PDF for {k} candidates: 404 on GET /api/assessments/"
           "candidature/{id}/pdf_report", "assessment.orders.result_url"),),
         "401 Unauthorized on GET /api/assessments/candidature: TestGorilla API token rejected "
         "(token regenerated in Settings > API)", (100, 5000)),
    Tool("codility", "Codility", Category.ASSESSMENT, "test sessions",
         "GET /api/tests/{id}/sessions", 50, "assessment.orders", "tests", "GET /api/tests",
         (("Could not fetch similarity check for {k} sessions: 403 on GET /api/sessions/{id}"
           "/similarity (feature not in the customer's plan)", "assessment.orders.result"),),
         "401 Unauthorized on GET /api/tests: Codility API token rejected (token revoked)",
         (50, 3000)),
    Tool("docebo", "Docebo", Category.LMS, "users", "GET /manage/v1/user", 200, "lms.users",
         "course enrollments", "GET /course/v1/courses/enrollments",
         (("Could not fetch field manager for {k} users: 403 on GET /manage/v1/user/{id}"
           "/managers (power user profile lacks 'View managers')", "lms.users.manager"),),
         "401 Unauthorized on POST /oauth2/token: Docebo API app credentials rejected "
         "(client deactivated)", (200, 10000)),
    Tool("talentlms", "TalentLMS", Category.LMS, "users", "GET /api/v1/users", 1000,
         "lms.users", "courses", "GET /api/v1/courses",
         (("Could not fetch course progress for {k} users: 404 on GET /api/v1/"
           "getuserstatusincourse/course_id:{id},user_id:{id}", "lms.course_progressions"),),
         "401 Unauthorized on GET /api/v1/users: TalentLMS API key rejected (key reset by an "
         "administrator)", (100, 8000)),
)}
# fmt: on

#: How often each tool shows up in a realistic fleet.
TOOL_WEIGHTS: dict[str, int] = {
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


class OrgNames:
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


def tenant_slug(org: str) -> str:
    """The tenant part of a tool's URLs for ``org``: its first word, plain lower-case ASCII."""
    first = org.split()[0]
    plain = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum()) or "tenant"
