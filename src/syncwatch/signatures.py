"""Error signatures: a warning or error line with what varies taken out (pure, no I/O).

Two integrations that fail the same way write lines that differ only in ids, counts,
times, tenants and URL details: ``503 Service Unavailable on GET /c/acme/candidates
(page 3)`` and ``... /c/zenith/candidates (page 12)``. :func:`signature` maps both to
``503 Service Unavailable on GET /c/<tenant>/candidates (page <n>)``, so lines can be
counted across the fleet and a tool-wide outage recognised (:mod:`syncwatch.outages`).

What is taken out, each replaced by a placeholder that says what was there: UUIDs
(``<uuid>``), e-mail addresses and ``user@tenant`` logins (``<email>``), dates
(``<date>``) and times (``<time>``), long hex strings (``<hex>``), ids mixing letters and
digits (``<id>``), numbers (``<n>``), query-string values (``?page=<*>``), the tenant
label of a host name (``<*>.workable.com``) and the tenant segment of the URL schemes of
tools that put it in the path (Workday ``/ccx/service/<tenant>``, BambooHR
``/gateway.php/<tenant>``, Recruitee ``/c/<tenant>``). What is kept is what says what
went wrong: the words, HTTP status codes where they read as one (``503 Service
Unavailable``, ``403 on GET``, ``returned 401``), API versions (``v42.0``), names like
``OAuth2``, and ``[REDACTED]``.

The text given is the stored one (already redacted). Whitespace runs become one space;
only the first :data:`INPUT_LIMIT` characters are read and a signature is at most
:data:`SIGNATURE_LIMIT` characters (cut ones end in ``…``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus

__all__ = ["INPUT_LIMIT", "SIGNATURE_LIMIT", "SignatureCount", "gist", "signature"]

#: Characters of a message that are read (a signature is about how a line starts).
INPUT_LIMIT = 2_000
#: Characters of a signature at most.
SIGNATURE_LIMIT = 200

_ELLIPSIS = "…"

# Reason phrases, longest first so "Service Unavailable" wins over a shorter prefix.
_PHRASES = sorted({s.phrase for s in HTTPStatus}, key=len, reverse=True)
_PHRASE_AFTER = re.compile(r"\s+(?:" + "|".join(re.escape(p) for p in _PHRASES) + r")\b")
_METHOD_AFTER = re.compile(r"\s+on\s+(?:GET|POST|PUT|PATCH|DELETE|HEAD|SOAP)\b")
_WORD_AFTER = re.compile(r"\s+(?:on|from|for|error|response|when|while)\b|\)|:|,|$")
# Words after which a 3-digit number is a status code whatever follows...
_SURE_BEFORE = re.compile(r"\b(?:HTTP(?:/\d(?:\.\d)?)?|status(?: code)?|code)\s+$", re.IGNORECASE)
# ...and after which it is one when what follows reads so too.
_MAYBE_BEFORE = re.compile(
    r"(?:\b(?:returned|returns|got|error|answered|with)\s+|\()$", re.IGNORECASE
)
_THOUSANDS = re.compile(r"(?<![\w.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w,])")

_URL = re.compile(r"\bhttps?://[^\s'\"<>()\[\]{}]+", re.IGNORECASE)
#: Top-level domains a host name ends in (a dotted field name such as
#: ``hris.employees.ssn`` is not a host).
_TLDS = (
    "com|net|org|io|co|de|eu|uk|fr|nl|se|no|dk|fi|es|it|ch|at|be|us|ca|au|app|dev|cloud|"
    "hr|ai|jp|in|br|pl|pt|ie|cz|local|internal"
)
_HOST = re.compile(rf"\b(?:[a-z0-9][a-z0-9-]*\.){{2,}}(?:{_TLDS})\b(?![.\w-])", re.IGNORECASE)
_QUERY_VALUE = re.compile(r"([?&][\w.\[\]-]+)=([^&\s#'\")]*)")
_TENANT_PATH = re.compile(r"(/ccx/service/|/gateway\.php/|/c/)(?!<)[^/\s?#()'\"]+")
_UUID = re.compile(
    r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE
)
_EMAIL = re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
_MONTHS = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATETIME = re.compile(
    r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
    r"(?:\s*UTC)?"
)
_DATE = re.compile(
    r"\b\d{4}-\d{2}-\d{2}\b|\b\d{4}/\d{2}/\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b"
    rf"|\b{_MONTHS} \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?\b"
    rf"|\b\d{{1,2}} {_MONTHS}(?:,? \d{{4}})?\b"
)
_TIME = re.compile(
    r"\b\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*(?:AM|PM|am|pm))?(?:Z|[+-]\d{2}:?\d{2})?"
    r"(?:\s*UTC)?\b"
)
_HEX = re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b", re.IGNORECASE)
# A token holding a digit: a number, a version, a name like OAuth2, or an id.
_TOKEN = re.compile(r"(?<![\w<])[\w.-]*\d[\w.-]*")
_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_VERSION = re.compile(r"v\d+(?:\.\d+)*", re.IGNORECASE)
_NAME_WITH_DIGITS = re.compile(r"[A-Za-z]{2,}\d{1,3}")
_STATUS = re.compile(r"[1-5]\d\d")
_SPACES = re.compile(r"\s+")


def _host(match: re.Match[str]) -> str:
    """A host name of three labels or more loses its first one (the tenant's)."""
    host = match.group(0)
    return "<*>." + host.split(".", 1)[1]


def _url(match: re.Match[str]) -> str:
    url = match.group(0)
    scheme, _, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    userless = host.rpartition("@")[2]  # user:password@ (redacted already) is not kept
    host = _HOST.sub(_host, userless)
    return f"{scheme}://{host}{slash}{path}"


def _token(match: re.Match[str]) -> str:
    token = match.group(0)
    core = token.strip(".-")
    if not core:
        return token
    lead = token[: len(token) - len(token.lstrip(".-"))]
    trail = token[len(token.rstrip(".-")) :]
    if _NUMBER.fullmatch(core):
        if _STATUS.fullmatch(core) and _reads_as_status(match.string, match.start(), match.end()):
            return token
        return f"{lead}<n>{trail}"
    if _VERSION.fullmatch(core) or _NAME_WITH_DIGITS.fullmatch(core):
        return token
    return f"{lead}<id>{trail}"


def _reads_as_status(text: str, start: int, end: int) -> bool:
    """Is the 3-digit number at ``text[start:end]`` an HTTP status (kept) or a count?"""
    after = text[end : end + 40]
    if _PHRASE_AFTER.match(after) or _METHOD_AFTER.match(after):
        return True
    before = text[max(0, start - 24) : start]
    if _SURE_BEFORE.search(before):
        return True
    return bool(_MAYBE_BEFORE.search(before)) and bool(_WORD_AFTER.match(after))


def signature(message: str | None) -> str | None:
    """The signature of a (stored, redacted) log message: what varies taken out.

    ``None`` (and a text with nothing but whitespace) gives ``None``. Pure and
    deterministic: the same text always gives the same signature.
    """
    if message is None:
        return None
    text = _SPACES.sub(" ", message[:INPUT_LIMIT]).strip()
    if not text:
        return None
    text = _URL.sub(_url, text)
    text = _QUERY_VALUE.sub(r"\1=<*>", text)
    text = _TENANT_PATH.sub(r"\1<tenant>", text)
    text = _UUID.sub("<uuid>", text)
    text = _EMAIL.sub("<email>", text)
    text = _HOST.sub(_host, text)
    text = _DATETIME.sub("<time>", text)
    text = _DATE.sub("<date>", text)
    text = _TIME.sub("<time>", text)
    text = _HEX.sub("<hex>", text)
    text = _THOUSANDS.sub("<n>", text)
    text = _TOKEN.sub(_token, text)
    if len(text) > SIGNATURE_LIMIT:
        text = text[: SIGNATURE_LIMIT - 1].rstrip() + _ELLIPSIS
    return text


_GIST_STATUS = re.compile(
    r"\b[1-5]\d\d(?: (?:" + "|".join(re.escape(p) for p in _PHRASES) + r"))?\b"
)
_GIST_LIMIT = 60


def gist(sig: str) -> str:
    """A few words for a banner: the HTTP status with its phrase when the signature has
    one (``503 Service Unavailable``), else the signature's start (at most 60 characters)."""
    found = _GIST_STATUS.search(sig)
    if found is not None and " " in found.group(0):
        return found.group(0)
    if len(sig) <= _GIST_LIMIT:
        return sig
    return sig[: _GIST_LIMIT - 1].rstrip() + _ELLIPSIS


@dataclass(frozen=True, slots=True)
class SignatureCount:
    """A signature counted across the fleet: its lines, the integrations it hit, when."""

    signature: str
    #: ``ERROR`` or ``WARNING``.
    level: str
    lines: int
    integrations: int
    first_seen: datetime
    last_seen: datetime

    def worst_first(self) -> tuple[int, int, int, float, str]:
        """The sort key that puts the worst first: errors, then the most integrations,
        then the most lines, then the most recent."""
        return (
            0 if self.level == "ERROR" else 1,
            -self.integrations,
            -self.lines,
            -self.last_seen.timestamp(),
            self.signature,
        )
