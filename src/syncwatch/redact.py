"""Secret scrubbing: one table of secret families, one fast scan.

:func:`redact` replaces credentials in text that syncwatch stores or shows (log messages,
headlines, organisation names, Kombo event bodies and issues) with :data:`REDACTED` and
leaves everything else byte-identical. What it finds is the table :data:`FAMILIES`, one
entry per kind of secret: what it matches, an example and what the example becomes.
:func:`redact_fields` and :func:`redact_json` apply it to records and JSON documents.

It runs on every imported log message, so it is built for speed:

* A substring pre-check on the lower-cased text returns the common case (no trigger
  word of any family) without touching the regex engine. Triggers with ``_`` or ``-`` in
  them are looked for only when the text has that character (few log lines do).
* Everything else is scanned by one combined regex on the lower-cased text (no
  ``re.IGNORECASE``, which is slow in ``re``). Every alternative starts with a literal
  character and those sharing it are joined under it, so the engine skips positions that
  cannot start a match and tries one branch per character. Each alternative ends with an
  empty marker group naming the handler that builds the replacement; handlers read the
  original text at the same offsets and confirm case-exact prefixes (``AKIA``) there.

``redact(redact(x)) == redact(x)``: value patterns accept an already-redacted
``[REDACTED]`` (or cannot match it), and a changed text is scanned again until stable.

The module is long (about 650 lines) because the table is the point: each family's pattern,
handler, example and triggers stand together, so a reviewer checks one entry in one place;
split across files, a pattern and the handler that rewrites its match would drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FAMILIES",
    "REDACTED",
    "Family",
    "is_secret_name",
    "redact",
    "redact_fields",
    "redact_json",
]

REDACTED = "[REDACTED]"
"""Replacement marker for a scrubbed secret."""

# --------------------------------------------------------------------------------------
# Building blocks. All patterns run on lower-cased text, so letters are lower-case.
# --------------------------------------------------------------------------------------
_R = r"\[redacted\]"  # an already-redacted value, tried first so re-runs are no-ops
_Q = r"""(?:\\?["'])"""  # a quote, optionally JSON-escaped (\")
# Horizontal space: ASCII, the Unicode spaces (no-break, thin, ideographic, ...) and the
# zero-width ones. "Bearer\u00a0<token>" is as much a header as "Bearer <token>".
_SP = "[ \t\u00a0\u1680\u2000-\u200d\u202f\u205f\u2060\u3000\ufeff]"
_SEP = rf"{_SP}*[:=]{_SP}*"
# Between an auth scheme and its credential: space, or URL-encoded space (%20 or +).
_SCHEME_SEP = rf"(?:{_SP}|%20|\+)+"

# Parameter names whose value is a secret. A name may carry any prefix (``page_token``,
# ``clientSecret``, ``x_api_key``) but must be followed directly by its separator, so
# ``password_last_changed`` or ``tokens`` never match. ``pass`` and ``sig`` are short:
# they must not follow a letter (``bypass``, ``design``).
_PASSWORD_NAMES = (r"passw(?:or)?d", r"passphrase", r"passcode", r"p(?<![a-z]p)ass", r"pwd")
# (Each starts with a literal letter; AccountKey and SharedAccessKey are Azure's.)
_KEY_NAMES = (
    r"a(?:pi|ccess|ccount)[_-]?key",
    r"s(?:ecret|igning|ecret[_-]?access|hared[_-]?access)[_-]?key",
    r"private[_-]?key",
    r"encryption[_-]?key",
    r"token",
    r"secret",
)
_SIGNATURE_NAMES = (r"signature", r"s(?<![a-z]s)ig")
_HEADER_NAMES = ("proxy-authorization", "authorization", "x-api-key", "api-key")
_COOKIE_NAMES = ("set-cookie", "cookie")
_ALL_NAMES = (*_PASSWORD_NAMES, *_KEY_NAMES, *_SIGNATURE_NAMES, *_HEADER_NAMES, *_COOKIE_NAMES)

_B64TOKEN = r"[a-z0-9_.~+/%-]"  # RFC 6750 b64token characters, and %-escapes
_TOKEN_END = r"(?![a-z0-9_.~+/%=\[-])"  # a token is never cut short of its last char
# A Bearer token; a short all-letter word is prose ("Bearer token expired").
_BEARER_TOKEN = rf"(?![a-z]{{1,19}}{_TOKEN_END}){_B64TOKEN}+=*{_TOKEN_END}"

# Where a secret of more than one part starts: a secret-named parameter or header, a
# Bearer/Basic credential, a PEM key, an AWS key id, a URL with a password. A value never
# begins with one ("token: Cookie: SID=..."): taken as the token's value, "Cookie:" would
# be scrubbed and the cookie itself left.
_NEXT_SECRET = (
    rf"(?!-----begin|bearer{_SCHEME_SEP}(?:{_R}|{_BEARER_TOKEN})"
    rf"|basic{_SCHEME_SEP}(?:{_R}|[a-z0-9+/%]{{8}})"
    r"|(?:akia|asia)[0-9a-z]{16}(?![0-9a-z])|[a-z][a-z0-9+.-]*://[^\s/?#@\\]*:[^\s/?#\\]*@"
    rf"|(?:[a-z]+[_.-]){{0,4}}(?:{'|'.join(_ALL_NAMES)}){_Q}?{_SEP})"
)

# Credential of an Authorization-style header: a list of ``name=value`` auth params
# (Digest, OAuth 1, AWS4-HMAC-SHA256) or a single token (Bearer/Basic/bare tokens). A
# list needs at least two params, so base64 padding followed by a closing quote
# (``Basic YWJjOng="``) is never mistaken for ``name="quoted value"``.
_AUTH_PARAM = r"""[a-z][\w-]*=(?:"[^"\r\n]*"|[^\s"'\\,&)\]}>]*)"""
_CRED = (
    rf"""(?:{_R}|{_AUTH_PARAM}(?:{_SP}*,{_SP}*{_AUTH_PARAM})+"""
    rf"""|{_NEXT_SECRET}[^\s"'`\\,;&)\]}}>\u200b-\u200d\u2060\ufeff]+)"""
)
_AUTH_SCHEMES = r"bearer|basic|digest|token|bot|negotiate|ntlm|oauth|apikey|ssws|aws4-hmac-sha256"
_HDR_TAIL = rf"{_Q}?{_SEP}{_Q}?(?:(?:{_AUTH_SCHEMES}){_SCHEME_SEP})?(?P<cred>{_CRED})"

_COOKIE_TAIL = rf"""{_Q}?{_SEP}{_Q}?(?P<val>{_R}|[^\r\n"'\\()]*[^\s"'\\()])"""

# ``key=value``, ``key: value``, ``"key": "value"``, ``'key': 'value'``, ``\"key\": \"v\"``.
# Declined values are rejected inside the regex (lookaheads), not by the handler, so the
# scan resumes right after the key and a secret following a declined value is still seen.
_KV_BARE = r"""[^\s&"'\\,;<>(){}\[\]\u200b-\u200d\u2060\ufeff]"""  # query, form, logfmt
_NOT_LITERAL = rf"(?!(?:true|false|null|none)(?!{_KV_BARE}))"  # JSON literals: no secret
# After an unquoted ``key: `` (prose-like) a plain word or a short number is left alone,
# e.g. "Invalid token: expired", "POST /oauth/token: 401 Unauthorized".
_NOT_PROSE = rf"(?!(?:[a-z]+|\d{{1,5}})(?!{_KV_BARE}))"
_KV_TAIL = (
    rf"(?:(?:{_Q}{_SEP}|{_SP}*={_SP}*|{_SP}*:(?!{_SP})|{_SP}*:{_SP}+{_NOT_PROSE})"
    rf"(?P<val>{_R}"
    # A quoted value is scrubbed whole, unless it is an AWS key id: its secret may follow
    # ('"access_key": "AKIA...", "wJalr..."'), and the AWS family takes both.
    rf"|(?!{_Q}(?:akia|asia)[0-9a-z]{{16}}{_Q})(?:"
    r"""\\"(?:[^"\\\r\n]|\\[^"\r\n])*\\\""""  # \"json-escaped string\"
    r"""|"(?:[^"\\\r\n]|\\.)*\""""  # "json string"
    r"""|'[^'\r\n]*')"""  # 'python repr string'
    rf"|{_NOT_LITERAL}{_NEXT_SECRET}{_KV_BARE}+)"
    # A URL-encoded "=" (a query string inside a query string): the value ends at the
    # next encoded "&".
    r"|%3d(?P<enc>(?:(?!%26)[a-z0-9%._~+/-])+))"
)

_USERINFO = r"(?P<user>[^\s:/?#@\\]*):(?P<pw>[^\s/?#\\]+)@"  # user:password@ (after ://)
_CURL_CRED = r"""(?:[ \t]+|=)["']?(?P<user>[^\s:"'\\]*):(?P<pw>[^\s"'\\]*)"""
_B64URL = r"[a-z0-9_-]"
_AWS_SECRET = r"(?<![a-z0-9/+])(?P<secret>[a-z0-9/+]{40})(?![a-z0-9/+=])"
# Between an AWS key id and its secret: separators and at most two plain words
# ("AKIA... wJalr...", "AKIA...:wJalr...", "id AKIA... secret wJalr...").
_AWS_GAP = r"(?:[^a-z0-9/+\r\n]{1,4}(?:[a-z_]{1,30}[^a-z0-9/+\r\n]{1,4}){0,2})"

# Upper bound on re-scans in redact(); real log lines never need more than one.
_MAX_EXTRA_SCANS = 8
# ASCII-only case folding, used when str.lower() changes the length (e.g. "İ").
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


# --------------------------------------------------------------------------------------
# Handlers. Each gets the original text, the match (found in the lower-cased copy, same
# offsets) and the alternative's index ``i`` (its groups are named ``<name>_<i>``), and
# returns the replacement for the whole match, or None to decline it.
# --------------------------------------------------------------------------------------
_Handler = Callable[[str, "re.Match[str]", int], str | None]


def _edit(text: str, m: re.Match[str], *spans: tuple[int, int, str]) -> str:
    """The matched part of ``text`` with each ``(start, end, new)`` span (absolute offsets,
    ascending, not overlapping) replaced."""
    out: list[str] = []
    pos = m.start()
    for start, end, new in spans:
        out.append(text[pos:start])
        out.append(new)
        pos = end
    out.append(text[pos : m.end()])
    return "".join(out)


def _redact_group(name: str) -> _Handler:
    """Build a handler that replaces group ``name`` of the match by :data:`REDACTED`."""

    def handler(text: str, m: re.Match[str], i: int) -> str:
        start, end = m.span(f"{name}_{i}")
        return _edit(text, m, (start, end, REDACTED))

    return handler


_KEYLIKE_USER = re.compile(r"(?=[A-Za-z_-]*\d)[A-Za-z0-9_-]{32,}")  # BambooHR: <key>:x@


def _sub_userinfo(text: str, m: re.Match[str], i: int) -> str:
    """Scrub ``user:password``; the user is kept unless it looks like an API key (and
    is scanned itself: it is free text that this match hides from the scan)."""
    user_start, user_end = m.span(f"user_{i}")
    pw_start, pw_end = m.span(f"pw_{i}")
    spans: list[tuple[int, int, str]] = []
    if _KEYLIKE_USER.fullmatch(text, user_start, user_end):
        spans.append((user_start, user_end, REDACTED))
    elif user_end > user_start:
        spans.append((user_start, user_end, _scrub(text[user_start:user_end])))
    if pw_end > pw_start:
        spans.append((pw_start, pw_end, REDACTED))
    return _edit(text, m, *spans)


def _sub_kv(text: str, m: re.Match[str], i: int) -> str:
    """Scrub the value of a ``password=...``-style parameter, keeping its quotes."""
    start, end = m.span(f"enc_{i}")
    if start < 0:
        start, end = m.span(f"val_{i}")
    if text.startswith('\\"', start):
        quote = 2
    elif text[start] in "\"'":
        quote = 1
    else:
        return _edit(text, m, (start, end, REDACTED))
    if end - start == 2 * quote:  # empty string: nothing to hide
        return text[m.start() : m.end()]
    return _edit(text, m, (start + quote, end - quote, REDACTED))


def _sub_basic(text: str, m: re.Match[str], i: int) -> str | None:
    """Scrub a bare ``Basic <base64>``, unless what follows is a word ("Basic plan")."""
    start, end = m.span(f"cred_{i}")
    cred = text[start:end].rstrip("=")
    if cred.isalpha() and not any(c.isupper() for c in cred[1:]):
        return None
    return _edit(text, m, (start, end, REDACTED))


def _sub_jwt(text: str, m: re.Match[str], i: int) -> str | None:
    """Scrub a whole JWT (confirming the case-sensitive ``eyJ`` start)."""
    return REDACTED if text.startswith("eyJ", m.start()) else None


def _vendor(prefixes: tuple[str, ...]) -> _Handler:
    """Build a handler for vendor keys: keep the public type prefix (``sk_live_``,
    ``ghp_``) when it is written exactly so, and scrub the rest ("SK_LIVE_..." is no key)."""

    def handler(text: str, m: re.Match[str], i: int) -> str | None:
        for prefix in prefixes:
            if text.startswith(prefix, m.start()):
                return prefix + REDACTED
        return None

    return handler


_AWS_ID = re.compile(r"(?:AKIA|ASIA)[0-9A-Z]{16}")


def _sub_aws(text: str, m: re.Match[str], i: int) -> str | None:
    """Scrub an AWS key id (keeping ``AKIA``/``ASIA``) and the secret key beside it."""
    spans: list[tuple[int, int, str]] = []
    if f"id_{i}" in m.re.groupindex:  # the id's tail: its "a" is the pattern's first letter
        start, end = m.span(f"id_{i}")
        if not _AWS_ID.fullmatch(text, start - 1, end):  # "akia..." is no key id
            return None
        spans.append((start + 3, end, REDACTED))
        gap_start, gap_end = m.span(f"gap_{i}")
        if gap_end > gap_start:  # words between id and secret: hidden from the scan
            spans.append((gap_start, gap_end, _scrub(text[gap_start:gap_end])))
    start, end = m.span(f"secret_{i}")
    if start >= 0:
        spans.append((start, end, REDACTED))
    return _edit(text, m, *spans)


# --------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Family:
    """One kind of secret: its ``name`` (tests use it), what it ``matches`` in words, an
    ``example`` line and that line ``redacted``; the lower-case ``triggers`` of which every
    match contains one (or ``all_of`` them: the pre-check), the ``patterns`` on the
    lower-cased text (each starting with a literal character) and the ``handler`` that
    builds the replacement of a match."""

    name: str
    matches: str
    example: str
    redacted: str
    triggers: tuple[str, ...]
    handler: _Handler
    patterns: tuple[str, ...]
    all_of: tuple[str, ...] = ()


def _kv(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name + _KV_TAIL for name in names)


def _vendor_family(
    name: str, matches: str, example: str, redacted: str, prefixes: str, body: str
) -> Family:
    """A family of vendor keys: ``prefixes`` (space-separated, as the vendor writes them)
    followed by a secret matching ``body``. A prefix must not follow a letter or digit;
    it is kept, and its lower-case form is a trigger."""
    keep = tuple(prefixes.split())
    triggers = tuple(p.lower() for p in keep)
    patterns = tuple(f"{p[0]}(?<![a-z0-9]{p[0]}){re.escape(p[1:])}{body}" for p in triggers)
    return Family(name, matches, example, redacted, triggers, _vendor(keep), patterns)


# In priority order: where two alternatives can match at the same position, the earlier
# family wins (headers before bare Bearer, ``api-key:`` headers before ``api_key=``).
FAMILIES: tuple[Family, ...] = (
    Family(
        name="pem_private_key",
        matches="a PEM private key's body (armour kept; cut short: to the end of the text)",
        example="key: -----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
        redacted="key: -----BEGIN RSA PRIVATE KEY-----[REDACTED]-----END RSA PRIVATE KEY-----",
        triggers=("private key",),
        handler=_redact_group("body"),
        patterns=(
            r"-----begin [a-z0-9 ]*private key-----"
            r"(?P<body>(?s:.*?)(?=-----end [a-z0-9 ]*private key-----)|(?s:.+))",
        ),
    ),
    Family(
        name="auth_header",
        matches="Authorization, Proxy-Authorization, X-API-Key headers (scheme word kept)",
        example="401 (Authorization: Bearer%20eyJhbGciOi.x) retry",
        redacted="401 (Authorization: Bearer%20[REDACTED]) retry",
        triggers=("authorization", "api-key"),
        handler=_redact_group("cred"),
        patterns=tuple(name + _HDR_TAIL for name in _HEADER_NAMES),
    ),
    Family(
        name="cookie",
        matches="the whole value of a Cookie or Set-Cookie header",
        example="200, Set-Cookie: PHPSESSID=8f2c1a9d; path=/",
        redacted="200, Set-Cookie: [REDACTED]",
        triggers=("cookie",),
        handler=_redact_group("val"),
        patterns=tuple(name + _COOKIE_TAIL for name in _COOKIE_NAMES),
    ),
    Family(
        name="url_password",
        matches="the password of user:password@ in a URL (the user too if it is a key)",
        example="Acme (https://admin:hunter2@acme.example/x)",
        redacted="Acme (https://admin:[REDACTED]@acme.example/x)",
        triggers=(),
        all_of=("://", "@"),
        handler=_sub_userinfo,
        patterns=("://" + _USERINFO,),
    ),
    Family(
        name="curl_user",
        matches="the password of curl -u user:password / --user=user:password",
        example="curl -u isu_sync:Wd-P4ss https://x",
        redacted="curl -u isu_sync:[REDACTED] https://x",
        triggers=("-u ", "-u\t", "-u=", "--user"),
        handler=_sub_userinfo,
        patterns=(r"-(?<![\w-]-)u" + _CURL_CRED, r"-(?<![\w-]-)-user" + _CURL_CRED),
    ),
    Family(
        name="bearer",
        matches="a Bearer token after any space, Unicode, %20 or + (a short word is prose)",
        example="auth=Bearer%200b7e3c1a9f2d&x=1, Bearer\u00a0abc123def456",
        redacted="auth=Bearer%20[REDACTED]&x=1, Bearer\u00a0[REDACTED]",
        triggers=("bearer",),
        handler=_redact_group("tok"),
        patterns=(rf"b(?<![a-z]b)earer{_SCHEME_SEP}(?P<tok>{_R}|{_BEARER_TOKEN})",),
    ),
    Family(
        name="basic",
        matches="base64 of 8+ after a bare Basic (a word like 'Basic plan' is prose)",
        example="retrying with Basic dXNlcjpwYXNzd29yZA== now",
        redacted="retrying with Basic [REDACTED] now",
        triggers=("basic",),
        handler=_sub_basic,
        patterns=(
            rf"b(?<![a-z]b)asic{_SCHEME_SEP}(?P<cred>[a-z0-9+/%]{{8,}}=*)(?![a-z0-9+/%=_-])",
        ),
    ),
    Family(
        name="password",
        matches="password=, passwd, pwd, passphrase, passcode, pass values (also JSON)",
        example="login user=bob pass=hunter22 ok",
        redacted="login user=bob pass=[REDACTED] ok",
        triggers=("pass", "pwd"),
        handler=_sub_kv,
        patterns=_kv(_PASSWORD_NAMES),
    ),
    Family(
        name="secret_parameter",
        matches="token=, secret, client_secret, api_key, private_key, AccountKey, ... values",
        example='body {"client_id": "c-1", "client_secret": "gs_9f8e7d"}',
        redacted='body {"client_id": "c-1", "client_secret": "[REDACTED]"}',
        triggers=("key", "token", "secret"),
        handler=_sub_kv,
        patterns=_kv(_KEY_NAMES),
    ),
    Family(
        name="url_signature",
        matches="signed URLs: sig= (Azure SAS), signature=, X-Amz-/X-Goog-Signature=",
        example="GET https://a.blob.core.windows.net/c?sv=2022&sig=abcDEF%2B12%3D&se=1",
        redacted="GET https://a.blob.core.windows.net/c?sv=2022&sig=[REDACTED]&se=1",
        triggers=("sig",),
        handler=_sub_kv,
        patterns=_kv(_SIGNATURE_NAMES),
    ),
    Family(
        name="aws_access_key",
        matches="AKIA/ASIA key ids and the 40-character secret beside one or its name",
        example="AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        redacted="AKIA[REDACTED] [REDACTED]",
        triggers=("akia", "asia", "secret"),
        handler=_sub_aws,
        patterns=(
            rf"a(?<![a-z0-9]a)(?P<id>(?:kia|sia)[0-9a-z]{{16}})(?![0-9a-z])"
            rf"(?:(?P<gap>{_AWS_GAP}){_AWS_SECRET})?",
            rf"secret[_-]?access[_-]?key[^a-z0-9/+\r\n]{{1,8}}{_AWS_SECRET}",
        ),
    ),
    Family(
        name="jwt",
        matches="a JSON Web Token (or JWE): base64url segments, the first starting eyJ",
        example="received eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln for user 4711",
        redacted="received [REDACTED] for user 4711",
        triggers=("eyj",),
        handler=_sub_jwt,
        patterns=(
            rf"e(?<![a-z0-9_-]e)yj{_B64URL}+\.{_B64URL}+\.{_B64URL}*(?:\.{_B64URL}+){{0,2}}",
        ),
    ),
    Family(
        name="slack_webhook",
        matches="the path of a Slack incoming-webhook or workflow URL",
        example="posted to https://hooks.slack.com/services/T024/B01A/aBcDeF (200)",
        redacted="posted to https://hooks.slack.com/services/[REDACTED] (200)",
        triggers=("slack.com/",),
        handler=_redact_group("path"),
        patterns=(r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<path>[a-z0-9_/-]+)",),
    ),
    _vendor_family(
        name="slack_token",
        matches="Slack tokens: xoxb-, xoxp-, xoxa-, xoxo-, xoxs-, xoxr-, xoxe-, xapp-",
        example="notifier xoxb-1234567890-0987654321-AbCdEf failed",
        redacted="notifier xoxb-[REDACTED] failed",
        prefixes="xoxb- xoxp- xoxa- xoxo- xoxs- xoxr- xoxe- xapp-",
        body="[a-z0-9-]{10,}",
    ),
    _vendor_family(
        name="github_token",
        matches="GitHub tokens: ghp_, gho_, ghu_, ghs_, ghr_, github_pat_",
        example="hook ghp_16C7e42F292c6912E7710c838347Ae178B4a ok",
        redacted="hook ghp_[REDACTED] ok",
        prefixes="ghp_ gho_ ghu_ ghs_ ghr_ github_pat_",
        body="[a-z0-9_]{20,}",
    ),
    _vendor_family(
        name="gitlab_token",
        matches="GitLab tokens: glpat- (personal), gldt- (deploy), glrt- (runner), and the rest",
        example="clone with glpat-xY9zAbCdEfGhIjKlMnOp failed",
        redacted="clone with glpat-[REDACTED] failed",
        prefixes="glpat- gldt- glrt- glptt- glcbt- glimt- glft- glsoat- gloas- glffct- glagent-",
        body=r"[a-z0-9_-]{20,}(?:\.[a-z0-9_-]+)*",
    ),
    _vendor_family(
        name="npm_token",
        matches="npm access tokens: npm_ + 36 characters",
        example="publish with npm_abcdefghijklmnopqrstuvwxyz0123456789 denied",
        redacted="publish with npm_[REDACTED] denied",
        prefixes="npm_",
        body="[a-z0-9]{36}(?![a-z0-9])",
    ),
    _vendor_family(
        name="stripe_key",
        matches="Stripe keys sk_live_/sk_test_, rk_, pk_ and webhook secrets whsec_",
        example="billing keys sk_live_51HqLyjWDarjtT1zdp7dc rk_test_4eC39HqLyjWDarjt",
        redacted="billing keys sk_live_[REDACTED] rk_test_[REDACTED]",
        prefixes="sk_live_ sk_test_ rk_live_ rk_test_ pk_live_ pk_test_ whsec_",
        body="[a-z0-9]{8,}",
    ),
    _vendor_family(
        name="google_key",
        matches="Google API keys (AIza + 35), OAuth client secrets (GOCSPX-), tokens (ya29.)",
        example="geocoding with key AIzaSyD3x4mpl3K3yaaaaaaaaaaaaaaaaaaaaaa: 403",
        redacted="geocoding with key AIza[REDACTED]: 403",
        prefixes="AIza GOCSPX- ya29.",
        body=r"[0-9a-z_-]{20,}(?:\.[0-9a-z_-]+)*",
    ),
    _vendor_family(
        name="sk_dash_key",
        matches="sk- API keys (OpenAI sk-proj-..., Anthropic sk-ant-...): sk- + 32 or more",
        example="summary with sk-proj-abcdefghijklmnopqrstuvwxyz0123456789 failed",
        redacted="summary with sk-[REDACTED] failed",
        prefixes="sk-",
        body="[a-z0-9_-]{32,}",
    ),
)


# --------------------------------------------------------------------------------------
# Compiling the table
# --------------------------------------------------------------------------------------
_GROUP_NAME = re.compile(r"\(\?P<(\w+)>")
_NOT_LITERAL_START = set("\\[(.^$*+?{|)")


def _compile(families: tuple[Family, ...]) -> tuple[re.Pattern[str], tuple[_Handler, ...]]:
    """Join all alternatives into one pattern, suffixing group names with their index.

    Alternative ``i`` gets an empty marker group ``_i`` at its end; being the last group
    to close, it is the match's ``lastgroup`` and selects ``handlers[i]``. Alternatives
    are grouped by their first character, ``s(?:et-cookie...|ecret...)``: two that start
    differently never match at the same position, so only the order within a group
    matters, and it is kept.
    """
    by_first: dict[str, list[str]] = {}
    handlers: list[_Handler] = []
    for family in families:
        for alternative in family.patterns:
            first = alternative[0]
            assert first not in _NOT_LITERAL_START and alternative[1] not in "*+?{", alternative
            i = len(handlers)
            body = _GROUP_NAME.sub(rf"(?P<\g<1>_{i}>", alternative[1:]) + f"(?P<_{i}>)"
            by_first.setdefault(first, []).append(body)
            handlers.append(family.handler)
    parts = [
        re.escape(first) + "(?:" + "|".join(bodies) + ")" for first, bodies in by_first.items()
    ]
    return re.compile("|".join(parts)), tuple(handlers)


def _precheck(families: tuple[Family, ...], gates: str = "_-") -> Callable[[str], bool]:
    """The pre-check, a function of the lower-cased text: true when some family's
    triggers are in it.

    A trigger that contains another one is left out (the shorter finds it); one with a
    gate character in it is looked for only when the text has that character. It is
    compiled into a single ``or`` expression (``'token' in s or ... or ('_' in s and
    ('ghp_' in s or ...))``) from the table's constant strings: run on every log line,
    a Python loop over twenty triggers costs more than the searches.
    """
    every = list(dict.fromkeys(t for family in families for t in family.triggers))
    needed = [t for t in every if not any(o != t and o in t for o in every)]  # table order
    terms = [f"{t!r} in s" for t in needed if not any(g in t for g in gates)]
    for k, gate in enumerate(gates):
        gated = [t for t in needed if gate in t and not any(g in t for g in gates[:k])]
        if gated:
            terms.append(f"({gate!r} in s and ({' or '.join(f'{t!r} in s' for t in gated)}))")
    for family in families:
        if family.all_of:
            terms.append("(" + " and ".join(f"{part!r} in s" for part in family.all_of) + ")")
    check: Callable[[str], bool] = eval(f"lambda s: {' or '.join(terms)}")
    return check


_PATTERN, _HANDLERS = _compile(FAMILIES)
_TRIGGERED = _precheck(FAMILIES)


def _scrub(text: str) -> str:
    """Run one scan of the combined pattern over ``text`` and apply all handlers."""
    lowered = text.lower()
    if len(lowered) != len(text):  # keep offsets aligned with the original text
        lowered = text.translate(_ASCII_LOWER)
    out: list[str] = []
    pos = 0  # text before pos is in out
    search = _PATTERN.search
    m = search(lowered)
    while m is not None:
        start, end = m.span()
        marker = m.lastgroup
        assert marker is not None
        i = int(marker[1:])
        new = _HANDLERS[i](text, m, i)
        if new is None:
            # Declined ("akia..." in lower case, "Basic plan"): what the match spanned may
            # still hold a secret, so look again from the next position.
            m = search(lowered, start + 1)
            continue
        if new != text[start:end]:
            out.append(text[pos:start])
            out.append(new)
            pos = end
        m = search(lowered, end)
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def _may_contain_secret(text: str) -> bool:
    """Cheap pre-check: can any alternative of the combined pattern match ``text``?"""
    return _TRIGGERED(text.lower())


def redact(text: str) -> str:
    """Return text with secrets replaced by [REDACTED]; everything else unchanged."""
    if not _may_contain_secret(text):
        return text
    # Scrubbing can remove a character that made an earlier candidate fail (e.g. a stray
    # quote inside a PEM body that kept a "password": "... string unterminated). Rescan
    # until nothing changes so that redact() is idempotent; lines with no secret and
    # lines with ordinary secrets settle after one or two scans.
    previous, result = text, _scrub(text)
    for _ in range(_MAX_EXTRA_SCANS):
        if result == previous:
            break
        previous, result = result, _scrub(result)
    return result


# --------------------------------------------------------------------------------------
# Records and JSON documents
# --------------------------------------------------------------------------------------
_SECRET_NAME = re.compile(f"(?:{'|'.join(_ALL_NAMES)})\\Z")


def is_secret_name(name: str) -> bool:
    """Whether a field or parameter called ``name`` holds a secret (``client_secret``,
    ``password``, ``X-Api-Key``, ``Authorization``), by the same rule as :func:`redact`:
    the name ends with a secret word (``password_last_changed`` and ``tokens`` do not)."""
    return _SECRET_NAME.search(name.lower()) is not None


def redact_fields(mapping: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """A copy of ``mapping`` with the text values of ``keys`` redacted.

    Keys that are missing, and values that are not text (None, numbers, times), are left
    as they are. For the free-text fields of a record that is stored or shown, e.g. an
    integration's ``tool`` and ``organization``.
    """
    out = dict(mapping)
    for key in keys:
        value = out.get(key)
        if isinstance(value, str):
            out[key] = redact(value)
    return out


def redact_json(value: Any, keep: Callable[[str], bool] | None = None) -> Any:
    """A copy of a parsed JSON document with every secret in it replaced.

    Every string (keys too) is passed through :func:`redact`. Under a key that names a
    secret (:func:`is_secret_name`: ``"password"``, ``"client_secret"``), every string and
    number is replaced whole: ``{"password": "hunter2"}`` holds no pattern :func:`redact`
    could see once the JSON is parsed. Empty strings, booleans and null stay. Values under
    a key for which ``keep(key)`` is true (identifiers, enums, times) are kept exactly.
    """

    def walk(node: Any, key: str, secret: bool) -> Any:
        if isinstance(node, str):
            if keep is not None and keep(key):
                return node
            if secret and node and node != REDACTED:
                return REDACTED
            return redact(node)
        if isinstance(node, dict):
            return {
                redact(k) if isinstance(k, str) else k: walk(v, k, secret or is_secret_name(k))
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [walk(v, key, secret) for v in node]
        if secret and isinstance(node, int | float) and not isinstance(node, bool):
            return REDACTED
        return node

    return walk(value, "", False)
