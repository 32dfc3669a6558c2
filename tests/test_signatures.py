"""Error signatures: lines that fail the same way read the same, what went wrong is kept."""

from __future__ import annotations

import pytest

from syncwatch.demo.catalogue import TOOLS
from syncwatch.signatures import SIGNATURE_LIMIT, gist, signature

# (two lines that differ only in what varies, the signature both have)
SAME = [
    (
        "Workday API returned 503 Service Unavailable on SOAP Get_Workers "
        "/ccx/service/helios/Human_Resources/v42.0 (page 3, attempt 3/3): the tool's API is down",
        "Workday API returned 503 Service Unavailable on SOAP Get_Workers "
        "/ccx/service/nordwind/Human_Resources/v42.0 (page 12, attempt 3/3): the tool's API is "
        "down",
        "Workday API returned 503 Service Unavailable on SOAP Get_Workers "
        "/ccx/service/<tenant>/Human_Resources/v42.0 (page <n>, attempt <n>/<n>): the tool's API "
        "is down",
    ),
    (
        "Skipped 7 of 1,234 candidates: 404 Not Found on GET /v1/applications/48213 (deleted "
        "during the sync)",
        "Skipped 12 of 404 candidates: 404 Not Found on GET /v1/applications/5 (deleted during "
        "the sync)",
        "Skipped <n> of <n> candidates: 404 Not Found on GET /v1/applications/<n> (deleted during "
        "the sync)",
    ),
    (
        "401 Unauthorized on GET /spi/v3/candidates: Workable access token rejected by "
        "helios.workable.com (token revoked or expired)",
        "401 Unauthorized on GET /spi/v3/candidates: Workable access token rejected by "
        "zenith-labs.workable.com (token revoked or expired)",
        "401 Unauthorized on GET /spi/v3/candidates: Workable access token rejected by "
        "<*>.workable.com (token revoked or expired)",
    ),
    (
        "GET https://acme.example.com/v1/employees?api_key=[REDACTED]&page=12 returned 429 Too "
        "Many Requests (warning)",
        "GET https://beta.example.com/v1/employees?api_key=[REDACTED]&page=3 returned 429 Too "
        "Many Requests (warning)",
        "GET https://<*>.example.com/v1/employees?api_key=<*>&page=<*> returned 429 Too Many "
        "Requests (warning)",
    ),
    (
        "Sync sync_8Fz2QaLk_0042 of personio:8Fz2QaLk failed at 2026-11-01T09:20:03Z (request "
        "3f2b9c1e-1a2b-4c3d-9e8f-0123456789ab, trace a1b2c3d4e5f6a7b8)",
        "Sync sync_Q1w2E3r4_0007 of personio:Q1w2E3r4 failed at 2026-11-02T19:00:00+00:00 "
        "(request 00000000-1111-4222-8333-444455556666, trace 0f0f0f0f0f0f0f0f)",
        "Sync <id> of personio:<id> failed at <time> (request <uuid>, trace <hex>)",
    ),
    (
        "Token for jane.doe@acme.com expired on Nov 5, 12:00 UTC",
        "Token for ops+hr@zenith.io expired on Dec 24, 09:30 UTC",
        "Token for <email> expired on <date>, <time>",
    ),
    (
        "SOAP fault wsse:FailedAuthentication on Get_Workers: invalid username or password for "
        "integration system user ISU_Kombo@helios",
        "SOAP fault wsse:FailedAuthentication on Get_Workers: invalid username or password for "
        "integration system user ISU_Kombo@zenith",
        "SOAP fault wsse:FailedAuthentication on Get_Workers: invalid username or password for "
        "integration system user <email>",
    ),
    (
        "503 Service Unavailable on GET /api/gateway.php/acme/v1/reports/custom (page 2); "
        "retrying in 30 s (attempt 1/3)",
        "503 Service Unavailable on GET /api/gateway.php/zenith/v1/reports/custom (page 9); "
        "retrying in 60 s (attempt 2/3)",
        "503 Service Unavailable on GET /api/gateway.php/<tenant>/v1/reports/custom (page <n>); "
        "retrying in <n> s (attempt <n>/<n>)",
    ),
]


@pytest.mark.parametrize(("one", "other", "expected"), SAME)
def test_lines_that_fail_the_same_way_share_a_signature(
    one: str, other: str, expected: str
) -> None:
    assert signature(one) == signature(other) == expected


@pytest.mark.parametrize(
    ("one", "other"),
    [
        # The status code says what went wrong: 503 is not 502, 401 not 403.
        (
            "Retrying GET /v1/employees after 502 Bad Gateway (attempt 2 of 5)",
            "Retrying GET /v1/employees after 503 Service Unavailable (attempt 2 of 5)",
        ),
        (
            "Could not fetch field bank_accounts: 403 on POST /v1/people/search",
            "Could not fetch field bank_accounts: 404 on POST /v1/people/search",
        ),
        (
            "Request failed: POST https://a.personio.de/oauth/token returned 401",
            "Request failed: POST https://a.personio.de/oauth/token returned 403",
        ),
        # Different fields, different endpoints, different words.
        (
            "Could not fetch field date_of_birth: permission missing",
            "Could not fetch field ssn: permission missing",
        ),
        ("Missing permission: the API user cannot read salary", "Sync timed out after 2 h"),
    ],
)
def test_what_went_wrong_tells_signatures_apart(one: str, other: str) -> None:
    assert signature(one) != signature(other)


def test_status_codes_kept_and_counts_stripped() -> None:
    assert signature("Fetched 450 employees, status 500 then code 404") == (
        "Fetched <n> employees, status 500 then code 404"
    )
    assert signature("HTTP 502 from the gateway") == "HTTP 502 from the gateway"
    assert signature("(403 on GET /v1/x)") == "(403 on GET /v1/x)"


def test_versions_names_and_redactions_are_kept() -> None:
    text = "OAuth2 refresh failed on /v42.0/workers: Bearer [REDACTED] rejected"
    assert signature(text) == text


def test_whitespace_folds_and_long_lines_are_cut() -> None:
    assert signature("  disk\n\tfull  ") == "disk full"
    long = signature("x" * 5000)
    assert long is not None and len(long) == SIGNATURE_LIMIT and long.endswith("…")
    assert signature(None) is None
    assert signature(" \n ") is None


def test_every_demo_tool_warning_groups_across_tenants() -> None:
    """The demo's own lines, filled for two customers, give one signature per template."""
    for tool in TOOLS.values():
        templates = [w for w, _ in tool.warnings] + [tool.auth]
        for template in templates:
            a = template.replace("{tenant}", "helios").replace("{n}", "1,234")
            a = a.replace("{k}", "3").replace("{id}", "48213")
            b = template.replace("{tenant}", "nordwindlogistics").replace("{n}", "87")
            b = b.replace("{k}", "17").replace("{id}", "99001")
            assert signature(a) == signature(b), template


def test_gist_is_the_status_or_the_start() -> None:
    assert gist("Workday API returned 503 Service Unavailable on SOAP x") == (
        "503 Service Unavailable"
    )
    assert gist("disk full") == "disk full"
    cut = gist("Request timed out after <n> s on GET /v1/company/employees (page <n>)")
    assert cut.endswith("…") and len(cut) <= 60
