"""Secret scrubbing for sync-log text.

:func:`redact` replaces credentials that leak into engine log messages (auth headers,
bearer tokens, JWTs, ``password=``-style parameters, URL passwords, vendor API keys and
PEM private keys) with :data:`REDACTED`, and leaves everything else byte-identical.

It runs on the import path for every stored log message, so it is built for speed:

* A substring pre-check on the lower-cased text returns the common case (a plain message
  with no secret-looking trigger word) without touching the regex engine.
* Everything else is scanned by a single combined compiled regex. It runs on the
  lower-cased text (no ``re.IGNORECASE``, which is slow in ``re``) and every top-level
  alternative starts with a literal character, so the engine can skip positions that
  cannot start a match and reject alternatives after a one-character compare. Each
  alternative ends with an empty marker group whose name says which handler builds the
  replacement; handlers read values from the original text at the same offsets.

The result is idempotent: ``redact(redact(x)) == redact(x)``. Every value pattern accepts
an already-redacted ``[REDACTED]`` and reproduces it unchanged, and when a scan changed
something, the text is scanned again until it is stable (one extra scan in practice).
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["REDACTED", "redact"]

REDACTED = "[REDACTED]"
"""Replacement marker for a scrubbed secret."""

# --------------------------------------------------------------------------------------
# Pre-check: every alternative of the combined regex needs one of these lower-case
# substrings, so text containing none of them cannot match. ``in`` on a str is a fast C
# search, much cheaper than any regex scan.
# --------------------------------------------------------------------------------------
_TRIGGERS: tuple[str, ...] = (
    "token",  # token=, access_token, refreshToken, X-Auth-Token
    "pass",  # password, passwd, passphrase
    "secret",  # secret, client_secret, whsec_ is separate
    "key",  # api_key, apikey, x-api-key, private_key, -----BEGIN ... PRIVATE KEY-----
    "auth",  # (Proxy-)Authorization
    "bearer",
    "cookie",  # Cookie, Set-Cookie
    "pwd",
    "eyj",  # JWT
    "k_live_",  # sk_/rk_/pk_live_
    "k_test_",
    "whsec_",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "xox",  # Slack xoxb-/xoxp-/...
    "akia",  # AWS access key ids
    "asia",
    "aiza",  # Google API keys
    "slack.com/",  # Slack webhooks
    "-u",  # curl -u user:pass, curl --user user:pass
)

# --------------------------------------------------------------------------------------
# Building blocks. All patterns run on lower-cased text, so letters are lower-case.
# --------------------------------------------------------------------------------------
_R = r"\[redacted\]"  # an already-redacted value, tried first so re-runs are no-ops
_Q = r"""(?:\\?["'])"""  # a quote, optionally JSON-escaped (\")
_SEP = r"[ \t]*[:=][ \t]*"

# Credential of an Authorization-style header: a list of ``name=value`` auth params
# (Digest, OAuth 1, AWS4-HMAC-SHA256) or a single token (Bearer/Basic/bare tokens). A
# list needs at least two params, so base64 padding followed by a closing quote
# (``Basic YWJjOng="``) is never mistaken for ``name="quoted value"``.
_AUTH_PARAM = r"""[a-z][\w-]*=(?:"[^"\r\n]*"|[^\s"'\\,&)\]}>]*)"""
_CRED = rf"""(?:{_R}|{_AUTH_PARAM}(?:[ \t]*,[ \t]*{_AUTH_PARAM})+|[^\s"'\\,;&)\]}}>]+)"""
_AUTH_SCHEMES = r"bearer|basic|digest|token|bot|negotiate|ntlm|oauth|apikey|ssws|aws4-hmac-sha256"
_HDR_TAIL = rf"{_Q}?{_SEP}{_Q}?(?:(?:{_AUTH_SCHEMES})[ \t]+)?(?P<cred>{_CRED})"

_COOKIE_TAIL = rf"""{_Q}?{_SEP}{_Q}?(?P<val>{_R}|[^\r\n"'\\()]*[^\s"'\\()])"""

# ``key=value``, ``key: value``, ``"key": "value"``, ``'key': 'value'``, ``\"key\": \"v\"``.
# Declined values are rejected inside the regex (lookaheads), not by the handler, so the
# scan resumes right after the key and a secret following a declined value is still seen.
_KV_BARE = r"""[^\s&"'\\,;<>(){}\[\]]"""  # bare value: query string, form body, logfmt
_NOT_LITERAL = rf"(?!(?:true|false|null|none)(?!{_KV_BARE}))"  # JSON literals: no secret
# After an unquoted ``key: `` (prose-like) a plain word or a short number is left alone,
# e.g. "Invalid token: expired", "POST /oauth/token: 401 Unauthorized".
_NOT_PROSE = rf"(?!(?:[a-z]+|\d{{1,5}})(?!{_KV_BARE}))"
_KV_TAIL = (
    rf"(?:{_Q}{_SEP}|[ \t]*=[ \t]*|[ \t]*:(?![ \t])|[ \t]*:[ \t]+{_NOT_PROSE})"
    rf"(?P<val>{_R}"
    r"""|\\"(?:[^"\\\r\n]|\\[^"\r\n])*\\\""""  # \"json-escaped string\"
    r"""|"(?:[^"\\\r\n]|\\.)*\""""  # "json string"
    r"""|'[^'\r\n]*'"""  # 'python repr string'
    rf"|{_NOT_LITERAL}{_KV_BARE}+)"
)
# Parameter names whose value is a secret. A name may carry any prefix (``page_token``,
# ``clientSecret``, ``x_api_key``) but must be followed directly by its separator, so
# ``password_last_changed`` or ``tokens`` never match.
_KEYWORDS = (
    r"api[_-]?key",
    r"secret[_-]?access[_-]?key",
    r"private[_-]?key",
    r"token",
    r"secret",
    r"passw(?:or)?d",
    r"passphrase",
    r"pwd",
)

_USERINFO = r"(?P<user>[^\s:/?#@\\]*):(?P<pw>[^\s/?#\\]+)@"  # user:password@ (after ://)
_CURL_CRED = r"""(?:[ \t]+|=)["']?(?P<user>[^\s:"'\\]*):(?P<pw>[^\s"'\\]*)"""
_B64URL = r"[a-z0-9_-]"
_B64TOKEN = r"[a-z0-9_.~+/-]"  # RFC 6750 b64token characters (before "=" padding)
_TOKEN_END = r"(?![a-z0-9_.~+/=\[-])"  # a token is never cut short of its last char

# Vendor keys with well-known prefixes. The finder alternatives are case-folded; a hit
# is confirmed against the original text with the case-sensitive ``_VENDOR_EXACT``.
_VENDOR_ALTS = (
    r"s(?<![a-z0-9]s)k_(?:live|test)_[a-z0-9]{8,}",  # Stripe secret key
    r"r(?<![a-z0-9]r)k_(?:live|test)_[a-z0-9]{8,}",  # Stripe restricted key
    r"p(?<![a-z0-9]p)k_(?:live|test)_[a-z0-9]{8,}",  # Stripe publishable key
    r"w(?<![a-z0-9]w)hsec_[a-z0-9]{16,}",  # Stripe webhook signing secret
    r"g(?<![a-z0-9]g)h[pousr]_[a-z0-9]{20,}",  # GitHub tokens
    r"g(?<![a-z0-9]g)ithub_pat_[a-z0-9_]{20,}",  # GitHub fine-grained PAT
    r"x(?<![a-z0-9]x)ox[abposr]-[a-z0-9-]{10,}",  # Slack tokens
    r"a(?<![a-z0-9]a)(?:kia|sia)[0-9a-z]{16}(?![0-9a-z])",  # AWS access key id
    r"a(?<![a-z0-9]a)iza[0-9a-z_-]{35}(?![0-9a-z_-])",  # Google API key
)
_VENDOR_EXACT = re.compile(
    r"(?P<prefix>(?:sk|rk|pk)_(?:live|test)_|whsec_|gh[pousr]_|github_pat_|xox[abposr]-|AIza)"
    r"[A-Za-z0-9_-]+"
    r"|(?P<aws>AKIA|ASIA)[0-9A-Z]{16}"
)

# A userinfo "user" that is really an API key (BambooHR: https://<api key>:x@...).
_KEYLIKE_USER = re.compile(r"(?=[A-Za-z_-]*\d)[A-Za-z0-9_-]{32,}")
# Upper bound on re-scans in redact(); real log lines never need more than one.
_MAX_EXTRA_SCANS = 8
# ASCII-only case folding, used when str.lower() changes the length (e.g. "İ").
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


# --------------------------------------------------------------------------------------
# Handlers. Each gets the original text, the match (found in the lower-cased copy, same
# offsets) and the alternative's index ``i`` (its groups are named ``<name>_<i>``), and
# returns the replacement for the whole match.
# --------------------------------------------------------------------------------------
_Handler = Callable[[str, "re.Match[str]", int], str]


def _edit(text: str, m: re.Match[str], *spans: tuple[int, int, str]) -> str:
    """Return the matched part of ``text`` with each ``(start, end, new)`` span replaced.

    Spans are absolute offsets, in ascending order and non-overlapping.
    """
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

    handler.__doc__ = f"Replace the ``{name}`` part of the match by REDACTED."
    return handler


def _sub_userinfo(text: str, m: re.Match[str], i: int) -> str:
    """Scrub ``user:password``; the user is kept unless it looks like an API key."""
    user_start, user_end = m.span(f"user_{i}")
    pw_start, pw_end = m.span(f"pw_{i}")
    spans: list[tuple[int, int, str]] = []
    if _KEYLIKE_USER.fullmatch(text, user_start, user_end):
        spans.append((user_start, user_end, REDACTED))
    if pw_end > pw_start:
        spans.append((pw_start, pw_end, REDACTED))
    return _edit(text, m, *spans)


def _sub_kv(text: str, m: re.Match[str], i: int) -> str:
    """Scrub the value of a ``password=...``-style parameter, keeping its quotes."""
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


def _sub_jwt(text: str, m: re.Match[str], i: int) -> str:
    """Scrub a whole JWT (confirming the case-sensitive ``eyJ`` start)."""
    if text.startswith("eyJ", m.start()):
        return REDACTED
    return text[m.start() : m.end()]


def _sub_vendor(text: str, m: re.Match[str], i: int) -> str:
    """Scrub a vendor API key, keeping its public type prefix (``sk_live_``, ``ghp_``)."""
    key = text[m.start() : m.end()]
    exact = _VENDOR_EXACT.fullmatch(key)
    if exact is None:  # e.g. "SK_LIVE_..." or "akia...": not the real, case-exact prefix
        return key
    return (exact.group("prefix") or exact.group("aws")) + REDACTED


# --------------------------------------------------------------------------------------
# The combined pattern: (handler, alternatives) in priority order. Every alternative
# starts with a literal character and has no top-level "|".
# --------------------------------------------------------------------------------------
_BRANCHES: tuple[tuple[_Handler, tuple[str, ...]], ...] = (
    # PEM private key: keep the BEGIN/END armour, scrub the body. A block truncated by
    # the logger (no END line) is scrubbed to the end of the text.
    (
        _redact_group("body"),
        (
            r"-----begin [a-z0-9 ]*private key-----"
            r"(?P<body>(?s:.*?)(?=-----end [a-z0-9 ]*private key-----)|(?s:.+))",
        ),
    ),
    # Authorization-style headers, also as JSON/dict keys; a known scheme word is kept.
    (
        _redact_group("cred"),
        tuple(
            name + _HDR_TAIL
            for name in ("proxy-authorization", "authorization", "x-api-key", "api-key")
        ),
    ),
    # Cookie / Set-Cookie: the whole header value (up to a quote, bracket or line end).
    (_redact_group("val"), ("set-cookie" + _COOKIE_TAIL, "cookie" + _COOKIE_TAIL)),
    # Password in a URL's userinfo: scheme://user:password@host.
    (_sub_userinfo, ("://" + _USERINFO,)),
    # curl -u user:password / --user=user:password.
    (_sub_userinfo, (r"-(?<![\w-]-)u" + _CURL_CRED, r"-(?<![\w-]-)-user" + _CURL_CRED)),
    # Bare "Bearer <token>" anywhere (JSON fragments, curl lines). A short all-letter word
    # after it is prose ("Bearer token expired") and is rejected by a lookahead.
    (
        _redact_group("tok"),
        (
            rf"b(?<![a-z]b)earer[ \t]+(?P<tok>{_R}"
            rf"|(?![a-z]{{1,19}}{_TOKEN_END}){_B64TOKEN}+=*{_TOKEN_END})",
        ),
    ),
    # Secret-named parameters.
    (_sub_kv, tuple(keyword + _KV_TAIL for keyword in _KEYWORDS)),
    # JWT / JWE: base64url segments, the first starting with eyJ ('{"').
    (
        _sub_jwt,
        (
            rf"e(?<![a-z0-9_-]e)yj{_B64URL}+\.{_B64URL}+\.{_B64URL}*"
            rf"(?:\.{_B64URL}+){{0,2}}",
        ),
    ),
    # Slack incoming-webhook / workflow URLs: the path after the kind is the secret.
    (
        _redact_group("path"),
        (r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<path>[a-z0-9_/-]+)",),
    ),
    (_sub_vendor, _VENDOR_ALTS),
)

_GROUP_NAME = re.compile(r"\(\?P<(\w+)>")


def _compile(
    branches: tuple[tuple[_Handler, tuple[str, ...]], ...],
) -> tuple[re.Pattern[str], tuple[_Handler, ...]]:
    """Join all alternatives into one pattern, suffixing group names with their index.

    Alternative ``i`` gets an empty marker group ``_i`` at its end; being the last group
    to close, it is the match's ``lastgroup`` and selects ``handlers[i]``.
    """
    parts: list[str] = []
    handlers: list[_Handler] = []
    for handler, alternatives in branches:
        for alternative in alternatives:
            i = len(handlers)
            parts.append(_GROUP_NAME.sub(rf"(?P<\g<1>_{i}>", alternative) + f"(?P<_{i}>)")
            handlers.append(handler)
    return re.compile("|".join(parts)), tuple(handlers)


_PATTERN, _HANDLERS = _compile(_BRANCHES)


def _scrub(text: str) -> str:
    """Run one scan of the combined pattern over ``text`` and apply all handlers."""
    lowered = text.lower()
    if len(lowered) != len(text):  # keep offsets aligned with the original text
        lowered = text.translate(_ASCII_LOWER)
    out: list[str] = []
    pos = 0
    for m in _PATTERN.finditer(lowered):
        marker = m.lastgroup
        assert marker is not None
        i = int(marker[1:])
        out.append(text[pos : m.start()])
        out.append(_HANDLERS[i](text, m, i))
        pos = m.end()
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def _may_contain_secret(text: str) -> bool:
    """Cheap pre-check: can any alternative of the combined pattern match ``text``?"""
    lowered = text.lower()
    for trigger in _TRIGGERS:
        if trigger in lowered:
            return True
    return "@" in text and "://" in text  # scheme://user:password@host


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
