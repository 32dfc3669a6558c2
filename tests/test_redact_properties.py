"""Property tests for :mod:`syncwatch.redact`.

For every family of :data:`syncwatch.redact.FAMILIES` there is a strategy that generates
a secret of that family the way it appears in real text (a header, a parameter, a URL, a
bare vendor key), with the parts of it that must not survive. Embedded between generated
text, none of those parts is in the output, and redaction is idempotent.
"""

from __future__ import annotations

import base64
import json
import re
import string
import tempfile
from datetime import timedelta
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from builders import NOW
from syncwatch.clock import iso
from syncwatch.db import Store
from syncwatch.importer.upsert import import_files
from syncwatch.redact import FAMILIES, REDACTED, redact

ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "_-"
UPPER_DIGITS = string.ascii_uppercase + string.digits

#: A generated secret: the text as it appears, and the parts that must not survive.
Secret = tuple[str, list[str]]


def chars(alphabet: str, low: int, high: int | None = None) -> st.SearchStrategy[str]:
    """Text of ``low`` to ``high`` (default: exactly ``low``) characters of ``alphabet``."""
    return st.text(alphabet=alphabet, min_size=low, max_size=low if high is None else high)


def cased(*words: str) -> st.SearchStrategy[str]:
    """One of ``words`` as written, lower-cased or upper-cased."""
    return st.sampled_from(words).flatmap(lambda w: st.sampled_from([w, w.lower(), w.upper()]))


def has_non_letter(s: str) -> bool:
    return any(not c.isalpha() for c in s)


# Values of ``name=value`` parameters: bare (query strings, logfmt) and quoted (JSON, repr).
BARE_VALUE = chars(ALNUM + "!$%*+-./:=?@^_`|~#", 6, 40).filter(has_non_letter)
QUOTED_VALUE = chars(ALNUM + " !#$%&()*+,-./:;<=>?@[]^_`{|}~", 6, 40).filter(
    lambda s: s.strip() == s and bool(s)
)
KV_FORMS = ("{n}={v}", "{n} = {v}", "{n}: {v}", "{n}:{v}")
QUOTED_FORMS = ('"{n}": "{v}"', "'{n}': '{v}'", '\\"{n}\\": \\"{v}\\"', '{n}="{v}"')


def parameter(names: st.SearchStrategy[str]) -> st.SearchStrategy[Secret]:
    """A secret-named parameter with its value, in every common notation."""
    bare = st.tuples(names, st.sampled_from(KV_FORMS), BARE_VALUE)
    quoted = st.tuples(names, st.sampled_from(QUOTED_FORMS), QUOTED_VALUE)
    return st.one_of(bare, quoted).map(lambda t: (t[1].format(n=t[0], v=t[2]), [t[2]]))


@st.composite
def pem_private_key(draw: st.DrawFn) -> Secret:
    kind = draw(st.sampled_from(["", "RSA ", "EC ", "OPENSSH ", "ENCRYPTED "]))
    body = draw(chars(B64, 24, 64))
    end = f"\n-----END {kind}PRIVATE KEY-----" if draw(st.booleans()) else ""
    return f"-----BEGIN {kind}PRIVATE KEY-----\n{body}{end}", [body]


@st.composite
def auth_header(draw: st.DrawFn) -> Secret:
    name = draw(cased("Authorization", "Proxy-Authorization", "X-API-Key", "api-key"))
    scheme = draw(st.sampled_from(["", "Bearer ", "Token ", "Basic ", "Bearer%20", "Bearer\u00a0"]))
    token = draw(chars(ALNUM + "._~+/-", 16, 60))
    form = draw(st.sampled_from(["{n}: {v}", "{n}={v}", '"{n}": "{v}"', "'{n}': '{v}'"]))
    return form.format(n=name, v=scheme + token), [token]


@st.composite
def cookie(draw: st.DrawFn) -> Secret:
    name = draw(cased("Cookie", "Set-Cookie"))
    value = draw(chars(ALNUM, 12, 40))
    return f"{name}: SESSIONID={value}; Path=/", [value]


@st.composite
def url_password(draw: st.DrawFn) -> Secret:
    scheme = draw(st.sampled_from(["https", "postgres", "ftp", "amqp", "redis"]))
    user = draw(st.sampled_from(["", "admin", "isu_sync", "api"]))
    password = draw(chars(ALNUM + "!$&'()*+,;=-._~%@:", 6, 30))
    return f"{scheme}://{user}:{password}@db.acme.example/x", [password]


@st.composite
def curl_user(draw: st.DrawFn) -> Secret:
    form = draw(st.sampled_from(["-u {c}", "--user {c}", "--user={c}", '-u "{c}"', "-u '{c}'"]))
    user = draw(st.sampled_from(["isu_sync", "api", ""]))
    password = draw(chars(ALNUM + "!@#$%^&*()-_=+[]{};:,.<>/?~", 6, 30))
    return "curl -s " + form.format(c=f"{user}:{password}") + " https://x.example", [password]


BEARER_SEPARATORS = [" ", "\t", "  ", "\u00a0", "\u2003", "\u2009", "\u202f", "\u3000"]
BEARER_SEPARATORS += ["\u200b", "%20", "+"]


@st.composite
def bearer(draw: st.DrawFn) -> Secret:
    word = draw(cased("Bearer"))
    sep = draw(st.sampled_from(BEARER_SEPARATORS))
    token = draw(chars(ALNUM + "-._~+/", 20, 60)) + draw(st.sampled_from(["", "=", "=="]))
    return f"{word}{sep}{token}", [token.rstrip("=")]


@st.composite
def basic(draw: st.DrawFn) -> Secret:
    user = draw(chars(ALNUM + "._-", 3, 20))
    password = draw(chars(ALNUM + "!#$%&*+-./:;=?@_~", 4, 30))
    cred = base64.b64encode(f"{user}:{password}".encode()).decode()
    # An all-letter word after Basic with no capital inside is prose ("Basic subscription").
    assume(not (cred.isalpha() and not any(c.isupper() for c in cred[1:])))
    sep = draw(st.sampled_from([" ", "\u00a0", "%20", "+"]))
    return f"{draw(cased('Basic'))}{sep}{cred}", [cred.rstrip("=")]


password = parameter(
    cased("password", "passwd", "pwd", "passphrase", "passcode", "pass", "db_pass")
    | st.sampled_from(["userPassword", "DB_PASSWORD"])
)
secret_parameter = parameter(
    cased("token", "access_token", "refresh_token", "client_secret", "secret", "api_key")
    | cased("private_key", "secret_key", "AccountKey", "SharedAccessKey", "X-Amz-Security-Token")
    | st.sampled_from(["clientSecret", "apiKey", "accessToken", "page_token"])
)


@st.composite
def url_signature(draw: st.DrawFn) -> Secret:
    name = draw(cased("sig", "signature", "X-Amz-Signature", "X-Goog-Signature", "oauth_signature"))
    value = draw(chars(ALNUM + "%-_.~", 16, 64))
    return f"https://files.example/e.csv?sv=2022&{name}={value}&se=1", [value]


@st.composite
def aws_access_key(draw: st.DrawFn) -> Secret:
    key_id = draw(st.sampled_from(["AKIA", "ASIA"])) + draw(chars(UPPER_DIGITS, 16))
    secret = draw(chars(B64, 40))
    form = draw(
        st.sampled_from(
            [
                "{i} {s}",
                "{i}:{s}",
                "{i},{s}",
                "{i}\t{s}",
                "{i} secret {s}",
                '"{i}", "{s}"',
                "aws_secret_access_key {s}",
                "AWS_SECRET_ACCESS_KEY={s}",
                '"SecretAccessKey": "{s}"',
                "{i}",
            ]
        )
    )
    text = form.format(i=key_id, s=secret)
    return text, [part for part in (key_id[4:], secret) if part in text]


@st.composite
def jwt(draw: st.DrawFn) -> Secret:
    header = "eyJ" + draw(chars(B64URL, 10, 40))
    payload = draw(chars(B64URL, 10, 80))
    signature = draw(chars(B64URL, 0, 43))
    return f"{header}.{payload}.{signature}", [f"{header[3:]}.{payload}"]


@st.composite
def slack_webhook(draw: st.DrawFn) -> Secret:
    path = "/".join(
        (draw(chars(UPPER_DIGITS, 9)), draw(chars(UPPER_DIGITS, 11)), draw(chars(ALNUM, 24)))
    )
    kind = draw(st.sampled_from(["services", "workflows", "triggers"]))
    return f"https://hooks.slack.com/{kind}/{path}", [path]


@st.composite
def slack_token(draw: st.DrawFn) -> Secret:
    prefix = draw(st.sampled_from(["xoxb-", "xoxp-", "xoxa-", "xoxe-", "xoxs-", "xoxr-", "xapp-"]))
    body = "-".join(
        (
            draw(chars(string.digits, 10, 13)),
            draw(chars(string.digits, 10, 13)),
            draw(chars(ALNUM, 24)),
        )
    )
    return prefix + body, [body]


def prefixed(prefixes: list[str], body: st.SearchStrategy[str]) -> st.SearchStrategy[Secret]:
    """A vendor key: a public prefix and a secret body."""
    return st.tuples(st.sampled_from(prefixes), body).map(lambda t: (t[0] + t[1], [t[1]]))


github_token = prefixed(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"], chars(ALNUM, 36)) | prefixed(
    ["github_pat_"], chars(ALNUM + "_", 82)
)
gitlab_prefixes = ["glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "gloas-", "glsoat-", "glft-"]
gitlab_token = prefixed(gitlab_prefixes, chars(ALNUM + "_-", 20, 40))
npm_token = prefixed(["npm_"], chars(ALNUM, 36))
stripe_key = prefixed(
    [f"{k}_{mode}_" for k in ("sk", "rk", "pk") for mode in ("live", "test")], chars(ALNUM, 24, 99)
) | prefixed(["whsec_"], chars(ALNUM, 32))
google_key = (
    prefixed(["AIza"], chars(B64URL, 35))
    | prefixed(["GOCSPX-"], chars(B64URL, 28))
    | prefixed(["ya29."], chars(B64URL, 40, 120))
)
sk_dash_key = prefixed(["sk-", "sk-proj-", "sk-ant-api03-"], chars(ALNUM + "_-", 32, 100))

#: One strategy per family of the table.
SECRETS: dict[str, st.SearchStrategy[Secret]] = {
    "pem_private_key": pem_private_key(),
    "auth_header": auth_header(),
    "cookie": cookie(),
    "url_password": url_password(),
    "curl_user": curl_user(),
    "bearer": bearer(),
    "basic": basic(),
    "password": password,
    "secret_parameter": secret_parameter,
    "url_signature": url_signature(),
    "aws_access_key": aws_access_key(),
    "jwt": jwt(),
    "slack_webhook": slack_webhook(),
    "slack_token": slack_token(),
    "github_token": github_token,
    "gitlab_token": gitlab_token,
    "npm_token": npm_token,
    "stripe_key": stripe_key,
    "google_key": google_key,
    "sk_dash_key": sk_dash_key,
}

# Test-side notion of "secret-looking": any secret parameter/header name, scheme or
# vendor prefix. Plain text generated for the property test must avoid these.
SECRETISH = re.compile(
    r"token|secret|pass|pwd|api.?key|private.?key|auth|bearer|basic|cookie|eyj|sig"
    r"|-u|k_live|k_test|whsec|gh[pousr]_|github|xox|xapp|akia|asia|aiza|gocspx|ya29"
    r"|npm_|gl[a-z]+-|sk-|hooks|://|-----|key",
    re.IGNORECASE,
)

# Text ending with a secret-looking word makes the secret's first word a value:
# "COOKIE: " + '"userPassword": "x"' reads as a cookie whose value is "userPassword".
ENDS_WITH_NAME = re.compile(rf"(?:{SECRETISH.pattern})[\w.-]*[\W_]*\Z", re.IGNORECASE)

# Where a secret sits in a line: between any text, after and before a separator.
SEPARATORS = [" ", "\n", "\t", ", ", "; ", "(", ")", "'", '"', "<", ">", "{", "}", ": ", " | "]
surrounding = st.text(max_size=40)


def test_every_family_has_a_strategy() -> None:
    """A family added to the table needs a generator here."""
    assert set(SECRETS) == {family.name for family in FAMILIES}


@pytest.mark.parametrize("family", sorted(SECRETS))
@given(data=st.data())
def test_generated_secret_never_survives(family: str, data: st.DataObject) -> None:
    """A secret of each family, embedded in generated text, is gone after redact()."""
    text, parts = data.draw(SECRETS[family], label="secret")
    before = data.draw(surrounding, label="before") + data.draw(st.sampled_from(SEPARATORS))
    after = data.draw(st.sampled_from(SEPARATORS)) + data.draw(surrounding, label="after")
    assume(not ENDS_WITH_NAME.search(before))
    line = before + text + after
    for part in parts:
        # Else what survives may not be the secret's; and a secret that contains a name
        # ("ab.token:") or a scheme word can be read as the start of another secret.
        assume(line.count(part) == 1 and part not in REDACTED and not SECRETISH.search(part))
    result = redact(line)
    for part in parts:
        assert part not in result
    assert redact(result) == result


@pytest.mark.parametrize("family", sorted(SECRETS))
@given(data=st.data())
def test_generated_secret_alone(family: str, data: st.DataObject) -> None:
    """A secret of each family is gone when it is the whole text (an organisation, a field)."""
    text, parts = data.draw(SECRETS[family], label="secret")
    for part in parts:
        assume(text.count(part) == 1 and part not in REDACTED and not SECRETISH.search(part))
    result = redact(text)
    for part in parts:
        assert part not in result
    assert REDACTED in result


# --------------------------------------------------------------------------------------
# Text without secrets, and idempotence on arbitrary text
# --------------------------------------------------------------------------------------
PLAIN_ALPHABET = string.ascii_letters + string.digits + " .,:;()/-"

plain_text = st.text(alphabet=PLAIN_ALPHABET, max_size=200).filter(
    lambda s: SECRETISH.search(s) is None
)

FRAGMENTS = [
    "Authorization: ",
    "Bearer ",
    "Bearer%20",
    "Bearer\u00a0",
    "Basic ",
    "Cookie: ",
    "X-API-Key:",
    "token=",
    "password: ",
    "pass=",
    "sig=",
    "%3D",
    '"client_secret": "',
    "'secret': '",
    '\\"pwd\\": \\"',
    "https://",
    "user:",
    "@",
    "curl -u ",
    "eyJhbGciOi",
    ".",
    "sk_live_",
    "xoxb-",
    "AKIA",
    "AKIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key ",
    "glpat-",
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----END RSA PRIVATE KEY-----",
    "hooks.slack.com/services/",
    REDACTED,
    "[",
    "]",
    '"',
    "'",
    "=",
    ",",
    "&",
    " ",
    "\n",
]
fragment_text = st.lists(
    st.one_of(
        st.sampled_from(FRAGMENTS),
        st.text(alphabet=string.ascii_letters + string.digits + "_-=/+", max_size=24),
    ),
    max_size=12,
).map("".join)


@given(st.one_of(st.text(max_size=300), fragment_text))
def test_redact_is_idempotent(text: str) -> None:
    """redact(redact(x)) == redact(x) for arbitrary and secret-heavy text."""
    once = redact(text)
    assert redact(once) == once


@given(plain_text)
def test_plain_text_unchanged(text: str) -> None:
    """Text without secret-looking tokens comes back unchanged."""
    assert redact(text) == text


@given(
    prefix=plain_text,
    suffix=plain_text,
    name=st.sampled_from(["api_key", "access_token", "client_secret", "password", "pwd", "pass"]),
    value=st.text(alphabet=string.ascii_letters + string.digits + "_-.~+/!$*%", min_size=1),
)
def test_embedded_parameter_value_is_scrubbed(
    prefix: str, suffix: str, name: str, value: str
) -> None:
    """A ``name=value`` pair inside plain text loses exactly its value."""
    assume(value.lower() not in {"true", "false", "null", "none"})  # JSON literals stay
    assume(not SECRETISH.search(value))  # "api_key=x_accesskey :" reads as a name
    text = f"{prefix} {name}={value} {suffix}"
    assert redact(text) == f"{prefix} {name}={REDACTED} {suffix}"


# --------------------------------------------------------------------------------------
# The database file: `strings` on it finds no generated secret of any family
# --------------------------------------------------------------------------------------
HEX = re.compile(r"[0-9a-f]+")


def _imported_bytes(message: str) -> bytes:
    """The bytes of a new database (file, -wal, -shm) after importing one sync whose only
    log line, an error, is ``message`` (it also becomes the headline, reason and history)."""
    at = NOW - timedelta(hours=1)
    line = {"at": iso(at), "level": "ERROR", "message": message}
    sync = {"id": "s1", "state": "FAILED", "started_at": iso(at), "ended_at": iso(at)}
    record = {
        "id": "personio:acme",
        "tool": "personio",
        "category": "HRIS",
        "organization": "Acme GmbH",
        "created_at": iso(NOW - timedelta(days=30)),
        "filters_configured": True,
        "syncs": [{**sync, "logs": [line]}],
    }
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "import.json"
        source.write_text(json.dumps({"integrations": [record]}), encoding="utf-8")
        store = Store.open(f"sqlite:///{Path(tmp) / 'secrets.db'}")
        try:
            import_files(store, [str(source)], NOW)
            (row,) = store.integrations()
            assert row.state_reason and message[:12] in row.state_reason  # it got there
        finally:
            store.close()
        return b"".join(p.read_bytes() for p in Path(tmp).glob("secrets.db*"))


@cache
def _plain_database() -> bytes:
    """The same database with no secret: what is in every one (schema, index names)."""
    return _imported_bytes("sync failed: nothing secret (retry 2)")


@pytest.mark.parametrize("family", sorted(SECRETS))
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_secret_is_not_in_the_database_file(family: str, data: st.DataObject) -> None:
    """A secret of each family in an imported log line, which also becomes the sync's
    headline, the state reason and the history, is nowhere in the database's bytes (the
    file and its -wal/-shm) once the store is closed."""
    text, parts = data.draw(SECRETS[family], label="secret")
    for part in parts:
        # A short or hex-only part could be found by chance in a hash or a time, and one
        # that is a name in every database (an index's) is no secret.
        assume(len(part) >= 8 and not HEX.fullmatch(part))
        assume(part.encode() not in _plain_database())
        assume(text.count(part) == 1 and part not in REDACTED and not SECRETISH.search(part))
    stored = _imported_bytes(f"sync failed: {text} (retry 2)")
    for part in parts:
        assert part.encode() not in stored
