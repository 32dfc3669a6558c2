"""Tests for :mod:`syncwatch.redact`: one example per secret family and per case the
issues found kept, each checking that the secret is gone and the text around it is
byte-identical, and look-alikes that must stay. Generated secrets: test_redact_properties.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from syncwatch.redact import (
    FAMILIES,
    REDACTED,
    is_secret_name,
    redact,
    redact_fields,
    redact_json,
)

JWT = (
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiJjbGllbnQtNDIiLCJleHAiOjE3MTQ1NjAwMDB9"
    ".c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
)
PEM_BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0"
GOOGLE_KEY = "AIzaSyD3x4mpl3K3y" + "a" * 22  # AIza + 35 characters

# (log line, secrets that must disappear, exact expected output)
SECRET_CASES: list[tuple[str, list[str], str]] = [
    # --- Authorization headers ---------------------------------------------------------
    (
        "Request to https://api.personio.de/v1/company/employees failed: 401 Unauthorized "
        f"(Authorization: Bearer {JWT})",
        [JWT, "eyJ"],
        "Request to https://api.personio.de/v1/company/employees failed: 401 Unauthorized "
        "(Authorization: Bearer [REDACTED])",
    ),
    (
        "Request to https://api.personio.de/v1/company/employees failed: 401 Unauthorized "
        "(Authorization: Bearer eyJhbGciOi...)",
        ["eyJhbGciOi"],
        "Request to https://api.personio.de/v1/company/employees failed: 401 Unauthorized "
        "(Authorization: Bearer [REDACTED])",
    ),
    (
        "BambooHR GET https://api.bamboohr.com/api/gateway.php/acme/v1/employees/directory "
        "returned 403 Forbidden (Authorization: Basic NGY5YTFjMmI3ZDhlOng=)",
        ["NGY5YTFjMmI3ZDhlOng="],
        "BambooHR GET https://api.bamboohr.com/api/gateway.php/acme/v1/employees/directory "
        "returned 403 Forbidden (Authorization: Basic [REDACTED])",
    ),
    (
        "HiBob request headers: authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
        ["9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"],
        "HiBob request headers: authorization: Token [REDACTED]",
    ),
    (
        "Greenhouse webhook rejected, AUTHORIZATION: 9944b09199c62bcf9418ad846dd0e4bb; retrying",
        ["9944b09199c62bcf9418ad846dd0e4bb"],
        "Greenhouse webhook rejected, AUTHORIZATION: [REDACTED]; retrying",
    ),
    (
        'Workday proxy returned 407 (Proxy-Authorization: Basic c3luYzpwcm94eXBhc3M=")',
        ["c3luYzpwcm94eXBhc3M="],
        'Workday proxy returned 407 (Proxy-Authorization: Basic [REDACTED]")',
    ),
    (
        'Authorization: Digest username="isu_sync", realm="workday", nonce="dcd98b7102dd2f0e", '
        'response="6629fae49393a05397450978507c4ef1"',
        ["6629fae49393a05397450978507c4ef1", "dcd98b7102dd2f0e"],
        "Authorization: Digest [REDACTED]",
    ),
    (
        "Greenhouse Harvest GET https://harvest.greenhouse.io/v1/candidates?per_page=500 "
        "returned 429 Too Many Requests (X-API-Key: 3f9a1c2b7d8e4f60a1b2c3d4e5f60718) retry in 10s",
        ["3f9a1c2b7d8e4f60a1b2c3d4e5f60718"],
        "Greenhouse Harvest GET https://harvest.greenhouse.io/v1/candidates?per_page=500 "
        "returned 429 Too Many Requests (X-API-Key: [REDACTED]) retry in 10s",
    ),
    (
        "Personio response 200, Set-Cookie: PHPSESSID=8f2c1a9d7e6b5a4c; path=/; HttpOnly",
        ["8f2c1a9d7e6b5a4c", "PHPSESSID="],
        "Personio response 200, Set-Cookie: [REDACTED]",
    ),
    (
        "Workday request headers: {'Cookie': 'JSESSIONID=1A2B3C4D5E6F; wd-browser-id=77ab', "
        "'Accept': 'application/json'}",
        ["1A2B3C4D5E6F", "77ab"],
        "Workday request headers: {'Cookie': '[REDACTED]', 'Accept': 'application/json'}",
    ),
    # --- curl lines ----------------------------------------------------------------------
    (
        "curl -X POST https://harvest.greenhouse.io/v1/candidates "
        '-H "Authorization: Basic Z2hfNGY5YTFjMmI3ZDhlOg==" '
        "-H 'Content-Type: application/json' --data '{\"first_name\": \"Ada\"}'",
        ["Z2hfNGY5YTFjMmI3ZDhlOg=="],
        "curl -X POST https://harvest.greenhouse.io/v1/candidates "
        '-H "Authorization: Basic [REDACTED]" '
        "-H 'Content-Type: application/json' --data '{\"first_name\": \"Ada\"}'",
    ),
    (
        "curl -u isu_sync:Wd-P4ss!word https://wd2-impl-services1.workday.com/ccx/service/acme",
        ["Wd-P4ss!word"],
        "curl -u isu_sync:[REDACTED] https://wd2-impl-services1.workday.com/ccx/service/acme",
    ),
    (
        'curl -s -u "3f9a1c2b7d8e4f60a1b2c3d4e5f6071829304a5b:x" '
        "https://api.bamboohr.com/api/gateway.php/acme/v1/meta/fields",
        ["3f9a1c2b7d8e4f60a1b2c3d4e5f6071829304a5b"],
        'curl -s -u "[REDACTED]:[REDACTED]" '
        "https://api.bamboohr.com/api/gateway.php/acme/v1/meta/fields",
    ),
    # --- bare Bearer and JWTs ------------------------------------------------------------
    (
        'Retrying Personio call with {"headers": {"auth": "Bearer papi_7f3c9e1d2b4a6f80"}}',
        ["papi_7f3c9e1d2b4a6f80"],
        'Retrying Personio call with {"headers": {"auth": "Bearer [REDACTED]"}}',
    ),
    (
        "token exchange ok, using bearer 0b7e3c1a9f2d4e6b8a0c for next page",
        ["0b7e3c1a9f2d4e6b8a0c"],
        "token exchange ok, using bearer [REDACTED] for next page",
    ),
    (
        f"OIDC callback for Workday tenant acme received {JWT} for user 4711",
        [JWT, "eyJ"],
        "OIDC callback for Workday tenant acme received [REDACTED] for user 4711",
    ),
    # --- key=value / key: value / JSON parameters ----------------------------------------
    (
        "GET https://api.hibob.com/v1/people?api_key=abc123&page=2 returned 200",
        ["abc123"],
        "GET https://api.hibob.com/v1/people?api_key=[REDACTED]&page=2 returned 200",
    ),
    (
        "POST https://login.microsoftonline.com/acme/oauth2/v2.0/token body: "
        "grant_type=refresh_token&refresh_token=0.AXYA8f2c-1a9d&client_id=4711"
        "&client_secret=Q~8Rz.x_Yv",
        ["0.AXYA8f2c-1a9d", "Q~8Rz.x_Yv"],
        "POST https://login.microsoftonline.com/acme/oauth2/v2.0/token body: "
        "grant_type=refresh_token&refresh_token=[REDACTED]&client_id=4711"
        "&client_secret=[REDACTED]",
    ),
    (
        'Greenhouse OAuth request body: {"grant_type": "client_credentials", '
        '"client_id": "c-1029", "client_secret": "gs_9f8e7d6c5b4a"} -> 400 invalid_client',
        ["gs_9f8e7d6c5b4a"],
        'Greenhouse OAuth request body: {"grant_type": "client_credentials", '
        '"client_id": "c-1029", "client_secret": "[REDACTED]"} -> 400 invalid_client',
    ),
    (
        'Workday ISU login payload {"username":"isu_sync","password":"hunter2 \\"x\\" ok"}',
        ["hunter2", '\\"x\\" ok'],
        'Workday ISU login payload {"username":"isu_sync","password":"[REDACTED]"}',
    ),
    (
        'Personio auth response {"accessToken": "ya29.a0AfH6SMB", "expiresIn": 3599}',
        ["ya29.a0AfH6SMB"],
        'Personio auth response {"accessToken": "[REDACTED]", "expiresIn": 3599}',
    ),
    (
        "BambooHR settings {'client_secret': 'bhr-3c2b1a', 'scope': 'employees:read'}",
        ["bhr-3c2b1a"],
        "BambooHR settings {'client_secret': '[REDACTED]', 'scope': 'employees:read'}",
    ),
    (
        'raw body="{\\"password\\": \\"Tr0ub4dor&3\\", \\"login\\": \\"isu\\"}"',
        ["Tr0ub4dor&3"],
        'raw body="{\\"password\\": \\"[REDACTED]\\", \\"login\\": \\"isu\\"}"',
    ),
    (
        "sync config loaded: tenant=acme passwd=s3cr3t! pwd=0000 retries=3",
        ["s3cr3t!", "0000"],
        "sync config loaded: tenant=acme passwd=[REDACTED] pwd=[REDACTED] retries=3",
    ),
    (
        "Workday credentials from env: PASSWORD: Summer2024! (user isu_sync)",
        ["Summer2024!"],
        "Workday credentials from env: PASSWORD: [REDACTED] (user isu_sync)",
    ),
    (
        "Greenhouse next page: GET /v1/candidates?page_token=c2tpcDo1MDA&per_page=500",
        ["c2tpcDo1MDA"],
        "Greenhouse next page: GET /v1/candidates?page_token=[REDACTED]&per_page=500",
    ),
    # --- passwords in URLs ---------------------------------------------------------------
    (
        "SOAP call to https://isu_syncwatch:W0rkd@y-Secret@wd2-impl-services1.workday.com"
        "/ccx/service/acme/Human_Resources/v42.0 failed: 500 Internal Server Error",
        ["W0rkd@y-Secret", "W0rkd"],
        "SOAP call to https://isu_syncwatch:[REDACTED]@wd2-impl-services1.workday.com"
        "/ccx/service/acme/Human_Resources/v42.0 failed: 500 Internal Server Error",
    ),
    (
        "staging db postgres://syncwatch:pg-pa55@db.internal:5432/syncwatch unreachable",
        ["pg-pa55"],
        "staging db postgres://syncwatch:[REDACTED]@db.internal:5432/syncwatch unreachable",
    ),
    # --- vendor keys ---------------------------------------------------------------------
    (
        "Alert posted to https://hooks.slack.com/services/T024BE7LD/B01ABCD2EFG/"
        "aBcDeFgHiJkLmNoPqRsTuVwX (200 OK)",
        ["aBcDeFgHiJkLmNoPqRsTuVwX", "T024BE7LD"],
        "Alert posted to https://hooks.slack.com/services/[REDACTED] (200 OK)",
    ),
    (
        "Slack notifier using xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUv "
        "failed: invalid_auth",
        ["1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUv"],
        "Slack notifier using xoxb-[REDACTED] failed: invalid_auth",
    ),
    (
        "billing sync keys sk_live_51HqLyjWDarjtT1zdp7dc rk_test_4eC39HqLyjWDarjt "
        "pk_live_TYooMQauvdEDq54NiTphI7jx",
        ["51HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjt", "TYooMQauvdEDq54NiTphI7jx"],
        "billing sync keys sk_live_[REDACTED] rk_test_[REDACTED] pk_live_[REDACTED]",
    ),
    (
        "release hook: ghp_16C7e42F292c6912E7710c838347Ae178B4a, "
        "gho_16C7e42F292c6912E7710c838347Ae178B4a, "
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
        ["16C7e42F292c6912E7710c838347Ae178B4a", "11ABCDEFG0123456789_abcdef"],
        "release hook: ghp_[REDACTED], gho_[REDACTED], github_pat_[REDACTED]",
    ),
    (
        "S3 export to s3://acme-hris-exports failed for AKIAIOSFODNN7EXAMPLE (AccessDenied)",
        ["IOSFODNN7EXAMPLE"],
        "S3 export to s3://acme-hris-exports failed for AKIA[REDACTED] (AccessDenied)",
    ),
    (
        f"Geocoding office address with key {GOOGLE_KEY}: 403 PERMISSION_DENIED",
        [GOOGLE_KEY[4:]],
        "Geocoding office address with key AIza[REDACTED]: 403 PERMISSION_DENIED",
    ),
    (
        "Loaded Workday x509 key:\n-----BEGIN RSA PRIVATE KEY-----\n"
        f"{PEM_BODY}\n-----END RSA PRIVATE KEY-----\nfingerprint 3a:7f:c2",
        ["MIIEowIBAAKCAQEA", "VTLw7onLRnrq0"],
        "Loaded Workday x509 key:\n-----BEGIN RSA PRIVATE KEY-----"
        "[REDACTED]-----END RSA PRIVATE KEY-----\nfingerprint 3a:7f:c2",
    ),
    (
        '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEv'
        'QIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n", "client_email": "x"}',
        ["MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"],
        '{"type": "service_account", "private_key": "[REDACTED]", "client_email": "x"}',
    ),
    (
        "key file truncated: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA",
        ["b3BlbnNzaC1rZXktdjEAAAAA"],
        "key file truncated: -----BEGIN OPENSSH PRIVATE KEY-----[REDACTED]",
    ),
]

# Ordinary engine log lines that must come back byte-identical.
ORDINARY_MESSAGES: list[str] = [
    "hris.employees.date_of_birth",
    "Could not fetch field password_last_changed: permission missing",
    "token refresh failed: 401 Unauthorized",
    "Invalid token: expired",
    "POST https://api.greenhouse.io/oauth/token: 401 Unauthorized",
    "GET /v1/employees?page=3 returned 503",
    "GET /v1/employees?page=3&limit=100 returned 200 in 532ms",
    "Synced 1,284 records for hris.employees in 12.4s (sync_8Fz2QaLk_0001)",
    "2024-05-01T12:00:03.123Z sync_8Fz2QaLk_0001 finished: 1284 created, 17 updated, 0 deleted",
    "Greenhouse: candidate 3f2b9c1e-8d6a-4b7e-9c3f-1a2b3c4d5e6f has no email",
    "Workday: Worker_Reference WID=7c4b8a1e2f3d4c5b6a7980a1b2c3d4e5 not found",
    "Bearer token missing for Personio request",
    "Authorization failed for BambooHR: 403 Forbidden",
    "Unauthorized: token expired at 2024-05-01T12:00:00Z",
    "Refreshing OAuth access token for Workday tenant acme (attempt 2/3)",
    "token_type=Bearer expires_in=3599 scope=employees:read",
    'OAuth response {"token_type": "Bearer", "expires_in": 3599, "hasPassword": true}',
    "Field mapping: employee.password_hash is not exposed by BambooHR",
    "password reset email sent to 3 employees",
    "Skipping secret rotation: no secrets configured",
    "api key rotated for Greenhouse integration",
    "Primary key employee_id is missing in 3 rows",
    "User jane.doe@acme.com synced from https://api.personio.de/v1/company/employees",
    "Connecting to https://api.personio.de:443/v1 as api@acme.com",
    "Asia/Tokyo timezone applied to 12 employees",
    "Personio attribute 'dynamic_1234567' (Passport number) is not mapped",
    "Rate limit: 100 requests per 10s (X-RateLimit-Remaining: 0)",
    "Missing scope employees:read for token",
    "Workday RaaS report Employee_Details returned 0 rows; retrying in 30s",
    "BambooHR custom field api_key_id skipped (not mapped)",
    "Re-used 4 cached pages; follow-up sync scheduled at 2024-05-02T00:00:00+02:00",
    'Employee 4711: field "secret_question" skipped',
]


@pytest.mark.parametrize(("text", "secrets", "expected"), SECRET_CASES)
def test_redacts_secret_and_keeps_context(text: str, secrets: list[str], expected: str) -> None:
    """Each secret is removed and everything around it survives byte-for-byte."""
    result = redact(text)
    for secret in secrets:
        assert secret not in result
    assert REDACTED in result
    assert result == expected


@pytest.mark.parametrize(("text", "secrets", "expected"), SECRET_CASES)
def test_redaction_is_idempotent_on_examples(text: str, secrets: list[str], expected: str) -> None:
    """Scrubbing already scrubbed text changes nothing."""
    assert redact(expected) == expected


@pytest.mark.parametrize(
    "name",
    [
        "api_key",
        "apikey",
        "api-key",
        "API_KEY",
        "access_token",
        "refresh_token",
        "token",
        "client_secret",
        "secret",
        "password",
        "Password",
        "passwd",
        "pwd",
    ],
)
@pytest.mark.parametrize(
    ("template", "expected_template"),
    [
        (
            "GET /v1/employees?{name}=s3cr3tV4lue&page=2",
            "GET /v1/employees?{name}=[REDACTED]&page=2",
        ),
        (
            "engine kwargs: {name}=s3cr3tV4lue, retries=3",
            "engine kwargs: {name}=[REDACTED], retries=3",
        ),
        ("{name}:s3cr3tV4lue next", "{name}:[REDACTED] next"),
        ("{name}: s3cr3tV4lue next", "{name}: [REDACTED] next"),
        ('{{"{name}": "s3cr3tV4lue", "page": 2}}', '{{"{name}": "[REDACTED]", "page": 2}}'),
        ("{{'{name}': 's3cr3tV4lue'}}", "{{'{name}': '[REDACTED]'}}"),
    ],
)
def test_secret_parameter_names(name: str, template: str, expected_template: str) -> None:
    """Every secret-named parameter has only its value replaced, in every notation."""
    text = template.format(name=name)
    result = redact(text)
    assert "s3cr3tV4lue" not in result
    assert result == expected_template.format(name=name)


@pytest.mark.parametrize("message", ORDINARY_MESSAGES)
def test_ordinary_messages_unchanged(message: str) -> None:
    """Ordinary log text, including words like "password" or "token", is untouched."""
    assert redact(message) == message


def test_multiple_secrets_in_one_line() -> None:
    """All secrets of a line are scrubbed in one pass."""
    text = (
        "Personio sync sync_8Fz2QaLk_0001 failed: POST https://api.personio.de/v1/auth "
        '{"client_id": "p-77", "client_secret": "psec_1a2b3c"} -> 200, then '
        "GET /v1/company/employees?page=3 (Authorization: Bearer papi_9z8y7x6w) -> 401"
    )
    assert redact(text) == (
        "Personio sync sync_8Fz2QaLk_0001 failed: POST https://api.personio.de/v1/auth "
        '{"client_id": "p-77", "client_secret": "[REDACTED]"} -> 200, then '
        "GET /v1/company/employees?page=3 (Authorization: Bearer [REDACTED]) -> 401"
    )


def test_secret_after_prose_is_still_found() -> None:
    """A value that is left alone does not hide a secret right behind it."""
    assert redact("Bearer Bearer 0b7e3c1a9f2d") == "Bearer Bearer [REDACTED]"
    assert redact("Invalid token: Bearer 0b7e3c1a9f2d") == "Invalid token: Bearer [REDACTED]"


@pytest.mark.parametrize(
    "text",
    [
        # Scrubbing the PEM body removes the stray quote that kept the escaped string open.
        'Authorization: x \\"pwd\\": \\"a -----BEGIN RSA PRIVATE KEY-----"b": "'
        '-----END RSA PRIVATE KEY-----\\"pwd\\": \\"',
        "Bearer token=abc",
        "password=abc[def",
        "'password': 'it's'",
        "https://a:b@c@d.example/x",
    ],
)
def test_idempotent_on_tricky_inputs(text: str) -> None:
    """Inputs where one scrub could enable a new match still give a stable result."""
    once = redact(text)
    assert redact(once) == once


def test_empty_and_non_ascii_text() -> None:
    """Empty text and case-folding that changes length are handled."""
    assert redact("") == ""
    text = "İstanbul office: password=geheim123 for Müller"
    assert redact(text) == "İstanbul office: password=[REDACTED] for Müller"


# --------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_family_example(family: Any) -> None:
    """Each family's example in the table becomes exactly its documented redaction."""
    assert redact(family.example) == family.redacted
    assert redact(family.redacted) == family.redacted


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_family_example_has_its_trigger(family: Any) -> None:
    """The pre-check words of a family occur in its example (they are what lets it in)."""
    lowered = family.example.lower()
    assert any(t in lowered for t in family.triggers) or (
        family.all_of and all(part in lowered for part in family.all_of)
    )


def test_family_names_are_unique() -> None:
    """Tests and the property strategies refer to families by name."""
    names = [f.name for f in FAMILIES]
    assert len(names) == len(set(names))


# --------------------------------------------------------------------------------------
# What issue 12 found kept (and what a careful reviewer adds), one case each
# --------------------------------------------------------------------------------------
AWS_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
B64_CRED = "c3luY3dhdGNoOlMzY3IzdCE="  # base64("syncwatch:S3cr3t!")

# (text, secret parts that must disappear, exact expected output)
KEPT_BEFORE: list[tuple[str, list[str], str]] = [
    # Bearer, URL-encoded
    (
        "GET https://api.personio.de/v1/x?auth=Bearer%200b7e3c1a9f2d4e6b&page=2 returned 401",
        ["0b7e3c1a9f2d4e6b"],
        "GET https://api.personio.de/v1/x?auth=Bearer%20[REDACTED]&page=2 returned 401",
    ),
    (
        "headers: Authorization: Bearer%20eyJhbGciOiJIUzI1NiJ9.e30.c2ln (retry 2)",
        ["eyJhbGciOiJIUzI1NiJ9"],
        "headers: Authorization: Bearer%20[REDACTED] (retry 2)",
    ),
    (
        "form body auth=Bearer+0b7e3c1a9f2d4e6b%2Fx%3D&grant=1",
        ["0b7e3c1a9f2d4e6b"],
        "form body auth=Bearer+[REDACTED]&grant=1",
    ),
    # Bearer after a no-break space and other Unicode spaces
    (
        "Personio rejected Bearer\u00a0papi_7f3c9e1d2b4a6f80 (401)",
        ["papi_7f3c9e1d2b4a6f80"],
        "Personio rejected Bearer\u00a0[REDACTED] (401)",
    ),
    (
        "Bearer\u2009papi_7f3c9e1d2b4a6f80, Bearer\u202fpapi_8f3c9e1d2b4a6f81, "
        "Bearer\u3000papi_9f3c9e1d2b4a6f82, Bearer\u200bpapi_af3c9e1d2b4a6f83",
        ["7f3c9e1d2b4a6f80", "8f3c9e1d2b4a6f81", "9f3c9e1d2b4a6f82", "af3c9e1d2b4a6f83"],
        "Bearer\u2009[REDACTED], Bearer\u202f[REDACTED], Bearer\u3000[REDACTED], "
        "Bearer\u200b[REDACTED]",
    ),
    (
        "Authorization:\u00a0Bearer\u00a0papi_7f3c9e1d2b4a6f80",
        ["papi_7f3c9e1d2b4a6f80"],
        "Authorization:\u00a0Bearer\u00a0[REDACTED]",
    ),
    (
        "Workday credentials: password:\u00a0Summer2024! (isu)",
        ["Summer2024!"],
        "Workday credentials: password:\u00a0[REDACTED] (isu)",
    ),
    # A bare Basic credential
    (
        f"BambooHR retry with Basic {B64_CRED} failed",
        [B64_CRED, "c3luY3dhdGNo"],
        "BambooHR retry with Basic [REDACTED] failed",
    ),
    (
        "proxy=Basic%20c3luY3dhdGNoOlMzY3IzdCE%3D&x=1",
        ["c3luY3dhdGNo"],
        "proxy=Basic%20[REDACTED]&x=1",
    ),
    # An AWS secret access key beside its key id, or after its name
    (
        f"S3 export with {AWS_ID} {AWS_SECRET} failed",
        [AWS_ID, AWS_SECRET],
        "S3 export with AKIA[REDACTED] [REDACTED] failed",
    ),
    (
        f"credentials {AWS_ID}:{AWS_SECRET}",
        [AWS_ID, AWS_SECRET],
        "credentials AKIA[REDACTED]:[REDACTED]",
    ),
    (
        f"key id ASIAIOSFODNN7EXAMPLE secret {AWS_SECRET} session expired",
        ["IOSFODNN7EXAMPLE", AWS_SECRET],
        "key id ASIA[REDACTED] secret [REDACTED] session expired",
    ),
    (
        f"env AWS_SECRET_ACCESS_KEY {AWS_SECRET} and aws_secret_access_key = {AWS_SECRET}",
        [AWS_SECRET],
        "env AWS_SECRET_ACCESS_KEY [REDACTED] and aws_secret_access_key = [REDACTED]",
    ),
    (
        f'{{"AccessKeyId": "{AWS_ID}", "SecretAccessKey": "{AWS_SECRET}"}}',
        [AWS_ID, AWS_SECRET],
        '{"AccessKeyId": "AKIA[REDACTED]", "SecretAccessKey": "[REDACTED]"}',
    ),
    # pass=, and the other short password names
    (
        "ldap bind user=isu_sync pass=hunter22 failed; db.pass: S3cr3t! ; {'pass': 'x1'}",
        ["hunter22", "S3cr3t!", "x1"],
        "ldap bind user=isu_sync pass=[REDACTED] failed; db.pass: [REDACTED] ; "
        "{'pass': '[REDACTED]'}",
    ),
    ("SSO passcode=482913 accepted", ["482913"], "SSO passcode=[REDACTED] accepted"),
    # Google, GitLab, npm
    (
        "Maps call with key=AIzaSyA1b2C3d4E5f6G7h8I9j0K_lMnOpQrStU- returned 403",
        ["SyA1b2C3d4E5f6G7h8I9j0K_lMnOpQrStU-"],
        "Maps call with key=AIza[REDACTED] returned 403",
    ),
    (
        "oauth client 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, token ya29.a0AfH6SMBx1y2z3A4b5C6d7E8f9",
        ["1a2B3c4D5e6F7g8H9i0J1k2L3m4N", "a0AfH6SMBx1y2z3A4b5C6d7E8f9"],
        "oauth client GOCSPX-[REDACTED], token ya29.[REDACTED]",
    ),
    (
        "git clone https://gitlab.com/acme/hr.git with glpat-xY9zAbCdEfGhIjKlMnOp failed",
        ["xY9zAbCdEfGhIjKlMnOp"],
        "git clone https://gitlab.com/acme/hr.git with glpat-[REDACTED] failed",
    ),
    (
        "deploy token gldt-AbCdEfGhIjKlMnOpQrSt and glpat-AbCdEfGhIjKlMnOpQrStUvWxYz0.01.0w1x2y3z.",
        ["AbCdEfGhIjKlMnOpQrSt", "0w1x2y3z"],
        "deploy token gldt-[REDACTED] and glpat-[REDACTED].",
    ),
    (
        "npm publish: //registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789",
        ["abcdefghijklmnopqrstuvwxyz0123456789"],
        "npm publish: //registry.npmjs.org/:_authToken=[REDACTED]",
    ),
    (
        "NPM_TOKEN is npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 (revoked)",
        ["AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"],
        "NPM_TOKEN is npm_[REDACTED] (revoked)",
    ),
    # Signed URLs
    (
        "GET https://acme.blob.core.windows.net/exports/e.csv?sv=2022-11-02&ss=b&srt=o"
        "&sp=r&se=2024-05-01T12:00:00Z&sig=Kx9%2Bv3Yq0aBcDeF%2FgH1jK2lM3nO4pQ5rS6tU7vW8xY%3D 403",
        ["Kx9%2Bv3Yq0aBcDeF"],
        "GET https://acme.blob.core.windows.net/exports/e.csv?sv=2022-11-02&ss=b&srt=o"
        "&sp=r&se=2024-05-01T12:00:00Z&sig=[REDACTED] 403",
    ),
    (
        "GET https://acme.s3.amazonaws.com/e.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Date=20240501T120000Z&X-Amz-Expires=900"
        "&X-Amz-Signature=4f1c7a9e2b3d5f6a8c0e1b2d3f4a5c6e7f8091a2b3c4d5e6f708192a3b4c5d6e",
        ["4f1c7a9e2b3d5f6a8c0e1b2d3f4a5c6e"],
        "GET https://acme.s3.amazonaws.com/e.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Date=20240501T120000Z&X-Amz-Expires=900&X-Amz-Signature=[REDACTED]",
    ),
    (
        "download https://storage.googleapis.com/b/o?X-Goog-Signature=a1b2c3d4e5f60718 and "
        "https://d111.cloudfront.net/x?Expires=1&Signature=Zm9vYmFy~bGFt&Key-Pair-Id=K2",
        ["a1b2c3d4e5f60718", "Zm9vYmFy~bGFt"],
        "download https://storage.googleapis.com/b/o?X-Goog-Signature=[REDACTED] and "
        "https://d111.cloudfront.net/x?Expires=1&Signature=[REDACTED]&Key-Pair-Id=K2",
    ),
    # A header quoted in Markdown (a Kombo issue's text): the closing backtick stays
    (
        "Kombo tried `Authorization: Bearer%200b7e3c1a9f2d4e6b`, then `X-API-Key: 3f9a1c2b7d8e`",
        ["0b7e3c1a9f2d4e6b", "3f9a1c2b7d8e"],
        "Kombo tried `Authorization: Bearer%20[REDACTED]`, then `X-API-Key: [REDACTED]`",
    ),
    # A key in a log entry's field (the path of the field that could not be fetched)
    (
        "hris.employees[api_key=3f9a1c2b7d8e4f60].custom_fields",
        ["3f9a1c2b7d8e4f60"],
        "hris.employees[api_key=[REDACTED]].custom_fields",
    ),
    (
        "custom_fields.ghp_16C7e42F292c6912E7710c838347Ae178B4a.value",
        ["16C7e42F292c6912E7710c838347Ae178B4a"],
        "custom_fields.ghp_[REDACTED].value",
    ),
    # A secret inside a URL-encoded query string (a redirect URI)
    (
        "redirect_uri=https%3A%2F%2Fapp%2Fcb%3Faccess_token%3Dya29abc123%26state%3Dx9 rejected",
        ["ya29abc123"],
        "redirect_uri=https%3A%2F%2Fapp%2Fcb%3Faccess_token%3D[REDACTED]%26state%3Dx9 rejected",
    ),
    # A password in a URL anywhere, e.g. in an organisation name
    (
        "Acme GmbH (https://admin:hunter2@acme.example/hr)",
        ["hunter2"],
        "Acme GmbH (https://admin:[REDACTED]@acme.example/hr)",
    ),
    (
        "mirror ftp://backup:p%40ss%3Aw0rd@files.acme.example and "
        "amqp://guest:guest@mq:5672, redis://:r3d1s@cache:6379/0",
        ["p%40ss%3Aw0rd", "r3d1s"],
        "mirror ftp://backup:[REDACTED]@files.acme.example and "
        "amqp://guest:[REDACTED]@mq:5672, redis://:[REDACTED]@cache:6379/0",
    ),
    # A token hidden in the user part of a URL is still found
    (
        "push to https://x,Bearer%20abcdef0123456789:pw@git.example/x",
        ["abcdef0123456789"],
        "push to https://x,Bearer%20[REDACTED]:[REDACTED]@git.example/x",
    ),
    # More vendors
    (
        "Slack app token xapp-1-A0123456789-1234567890123-abcdef0123456789 and "
        "refresh xoxe-1-My0xLTEtMTIzNDU2Nzg5",
        ["A0123456789-1234567890123", "My0xLTEtMTIzNDU2Nzg5"],
        "Slack app token xapp-[REDACTED] and refresh xoxe-[REDACTED]",
    ),
    (
        "actions: ghs_16C7e42F292c6912E7710c838347Ae178B4a "
        "ghu_16C7e42F292c6912E7710c838347Ae178B4a ghr_16C7e42F292c6912E7710c838347Ae178B4a",
        ["16C7e42F292c6912E7710c838347Ae178B4a"],
        "actions: ghs_[REDACTED] ghu_[REDACTED] ghr_[REDACTED]",
    ),
    (
        "summariser key sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78 and "
        "sk-ant-api03-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90",
        ["Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78"],
        "summariser key sk-[REDACTED] and sk-[REDACTED]",
    ),
    (
        "stripe webhook whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw rejected",
        ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
        "stripe webhook whsec_[REDACTED] rejected",
    ),
    # More secret parameter names
    (
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=Zm9v+YmFy/YmF6==;"
        "EndpointSuffix=core.windows.net",
        ["Zm9v+YmFy/YmF6=="],
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=[REDACTED];"
        "EndpointSuffix=core.windows.net",
    ),
    (
        "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=send;"
        "SharedAccessKey=AbC123dEf456=",
        ["AbC123dEf456="],
        "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=send;"
        "SharedAccessKey=[REDACTED]",
    ),
    (
        "config secret_key=9f8e7d6c signing_key: 'a1b2c3' encryption_key=k3y",
        ["9f8e7d6c", "a1b2c3", "k3y"],
        "config secret_key=[REDACTED] signing_key: '[REDACTED]' encryption_key=[REDACTED]",
    ),
    (
        '{"type": "service_account", "client_email": "sync@acme.iam", '
        '"private_key_id": "1a2b", "private_key": "MIIEvQIBADANBgkq"}',
        ["MIIEvQIBADANBgkq"],
        '{"type": "service_account", "client_email": "sync@acme.iam", '
        '"private_key_id": "1a2b", "private_key": "[REDACTED]"}',
    ),
]


@pytest.mark.parametrize(("text", "secrets", "expected"), KEPT_BEFORE)
def test_redacts_what_was_kept_before(text: str, secrets: list[str], expected: str) -> None:
    """Each secret the issue (or a review) found kept is removed; the rest is untouched."""
    result = redact(text)
    for secret in secrets:
        assert secret not in result
    assert result == expected
    assert redact(result) == result


# Look-alikes: ordinary text near the new families that must come back byte-identical.
LOOK_ALIKES: list[str] = [
    "Basic plan does not include the API",
    "Basic Information section skipped",
    "BASIC subscription: 12 seats",
    "Basic auth failed for BambooHR",
    "basic fields synced: 42",
    "Signature verification failed for webhook evt_123",
    "Signature: invalid",
    "design=compact signal=SIGTERM assigned=3",
    "bypass=true compass=north passthrough=enabled passed=12",
    "The password\u00a0is required for Workday ISU accounts",
    "secret access key rotated by the customer",
    "deployed 3f9a1c2b7d8e4f60a1b2c3d4e5f6071829304a5b to production",
    "commit 3f9a1c2b7d8e4f60a1b2c3d4e5f6071829304a5b, uuid 3f2b9c1e-8d6a-4b7e-9c3f-1a2b3c4d5e6f",
    "task-1234567890abcdef1234567890abcdef12 finished",
    "npm_config_cache=/tmp/npm-cache",
    "AKIA prefixes mark AWS access key ids",
    "msg.id=42 msg.kind=sync",
    "Bearer\u00a0token expired",
    "employees in Asia-Pacific region",
    "global-x-1234567890abcdefghij created",
    "Key rotation for Personio scheduled (key id 42)",
    "hris.employees.passport_number could not be fetched",
    "User jane.doe@acme.com synced from https://api.personio.de/v1/company/employees",
]


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_look_alikes_unchanged(text: str) -> None:
    """Prose and identifiers that resemble a secret family are left alone."""
    assert redact(text) == text


# --------------------------------------------------------------------------------------
# Field names, records, JSON documents
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        *("password", "Password", "db_pass", "pwd", "client_secret", "clientSecret"),
        *("access_token", "X-Api-Key", "apiKey", "private_key", "Authorization", "set-cookie"),
        *("sig", "AccountKey"),
    ],
)
def test_secret_names(name: str) -> None:
    """Names that end with a secret word name a secret."""
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        *("password_last_changed", "tokens", "token_type", "bypass", "design", "hasPasswordSet"),
        *("private_key_id", "key", "organization", "id", "message"),
    ],
)
def test_ordinary_names(name: str) -> None:
    """Names that merely contain a secret word, or none, do not."""
    assert not is_secret_name(name)


def test_redact_fields() -> None:
    """The given text fields are redacted; others, None and non-text values are kept."""
    record = {
        "id": "personio:8Fz2QaLk",
        "organization": "Acme (https://admin:hunter2@acme.example)",
        "tool": "personio Bearer 0b7e3c1a9f2d4e6b",
        "field": None,
        "enabled": True,
        "note": "password=kept-because-not-asked",
    }
    out = redact_fields(record, ("organization", "tool", "field", "enabled", "missing"))
    assert out == {
        **record,
        "organization": "Acme (https://admin:[REDACTED]@acme.example)",
        "tool": "personio Bearer [REDACTED]",
    }
    assert record["organization"].endswith("hunter2@acme.example)")  # a copy: input unchanged


def test_redact_json() -> None:
    """Strings are redacted, values under secret names replaced whole, kept keys kept."""
    doc = {
        "id": "evt_password=abc",
        "type": "issue-status-changed",
        "data": {
            "title": "Token leaked: Bearer 0b7e3c1a9f2d4e6b",
            "password": "hunter2",
            "pin": 1234,
            "client_secret": 987654,
            "has_password": False,
            "token": None,
            "secret": "",
            "credentials": {"api_key": ["k1", "k2"], "note": "fine"},
            "auth": {"token": {"value": "abc", "n": 5, "flag": True}},
            "items": [{"message": "pwd=x1"}, "AIzaSyA1b2C3d4E5f6G7h8I9j0K_lMnOpQrStU-"],
            "Bearer 0b7e3c1a9f2d4e6b": 1,
        },
    }
    out = redact_json(doc, keep=lambda key: key in ("id", "type"))
    assert out == {
        "id": "evt_password=abc",
        "type": "issue-status-changed",
        "data": {
            "title": "Token leaked: Bearer [REDACTED]",
            "password": REDACTED,
            "pin": 1234,
            "client_secret": REDACTED,
            "has_password": False,
            "token": None,
            "secret": "",
            "credentials": {"api_key": [REDACTED, REDACTED], "note": "fine"},
            "auth": {"token": {"value": REDACTED, "n": REDACTED, "flag": True}},
            "items": [{"message": "pwd=[REDACTED]"}, "AIza[REDACTED]"],
            "Bearer [REDACTED]": 1,
        },
    }
    assert redact_json(out, keep=lambda key: key in ("id", "type")) == out
    assert doc["data"]["password"] == "hunter2"  # type: ignore[index]
