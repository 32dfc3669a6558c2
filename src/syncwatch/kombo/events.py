"""Kombo webhook events: signatures, and parsing a raw body into a typed event.

Pure: no I/O. The receiver verifies the signature over the raw bytes *before* anything is
parsed, then :func:`parse_event` checks the envelope (``{"id", "type", "data"}``) and, for
the five types syncwatch understands, the fields it reads. Any other type is an
:class:`UnknownEvent`: stored and acknowledged, never an error (Kombo adds types over time).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from syncwatch.clock import parse_instant
from syncwatch.limits import NAME_LIMIT, cap_message
from syncwatch.redact import redact, redact_json
from syncwatch.states import SyncState

#: Kombo's signature header: base64url(HMAC-SHA256(secret, raw body)), no padding.
SIGNATURE_HEADER = "X-Kombo-Signature"
#: The longest event id accepted (Kombo's are 24 characters).
MAX_ID_LENGTH = 200

CATEGORIES = ("HRIS", "ATS", "ASSESSMENT", "LMS")
KOMBO_STATES = ("ACTIVE", "INVALID", "INACTIVE")
SETUP_STATUSES = ("INCOMPLETE", "FINAL_SYNC_PENDING", "COMPLETED")
QA_STATUSES = ("PENDING", "FAILED", "PASSED")
ISSUE_STATUSES = ("OPEN", "RESOLVED")


class MalformedEvent(ValueError):
    """The body is not a Kombo event syncwatch can read; the message says why."""


# --------------------------------------------------------------------------- signatures


def sign(secret: bytes, body: bytes) -> str:
    """Kombo's signature of ``body``: base64url of its HMAC-SHA256, without padding."""
    digest = hmac.new(secret, body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def signature_valid(secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the signature of ``body``, compared in constant time."""
    if not header:
        return False
    given = header.strip().rstrip("=").encode("latin-1", errors="replace")
    return hmac.compare_digest(given, sign(secret, body).encode("ascii"))


# --------------------------------------------------------------------------- typed events


@dataclass(frozen=True, slots=True)
class IntegrationRef:
    """What an event says about an integration: enough to create a placeholder for it."""

    id: str
    tool: str
    category: str
    organization: str


@dataclass(frozen=True, slots=True)
class IntegrationCreated:
    integration: IntegrationRef


@dataclass(frozen=True, slots=True)
class IntegrationStateChanged:
    integration: IntegrationRef
    state: str
    #: ``None`` when Kombo left it out (it sometimes does).
    setup_status: str | None
    qa_status: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class IntegrationDeleted:
    integration: IntegrationRef
    deleted_at: datetime


@dataclass(frozen=True, slots=True)
class SyncFinished:
    integration: IntegrationRef
    sync_id: str
    #: Kombo's sync state; ``None`` when it is one syncwatch does not know (ignored).
    state: SyncState | None
    raw_state: str
    started_at: datetime
    ended_at: datetime
    log_url: str | None


@dataclass(frozen=True, slots=True)
class IssueStatusChanged:
    #: ``None`` for an environment-wide issue.
    integration: IntegrationRef | None
    change: str
    issue_id: str
    issue_type: str
    title: str
    status: str
    message: str
    first_observed_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class UnknownEvent:
    """A type syncwatch does not know: stored and acknowledged, changes nothing."""


Payload = (
    IntegrationCreated
    | IntegrationStateChanged
    | IntegrationDeleted
    | SyncFinished
    | IssueStatusChanged
    | UnknownEvent
)


@dataclass(frozen=True, slots=True)
class KomboEvent:
    """One webhook event: its envelope, and what it says."""

    id: str
    type: str
    payload: Payload

    @property
    def integration_id(self) -> str | None:
        """The integration the event is about, if any."""
        ref = getattr(self.payload, "integration", None)
        return ref.id if isinstance(ref, IntegrationRef) else None


# --------------------------------------------------------------------------- parsing


def parse_event(body: bytes) -> KomboEvent:
    """Parse a raw body; raises :class:`MalformedEvent` naming what is wrong."""
    try:
        doc = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise MalformedEvent("the body is not UTF-8") from None
    except (json.JSONDecodeError, RecursionError):
        raise MalformedEvent("the body is not JSON") from None
    if not isinstance(doc, dict):
        raise MalformedEvent("the body is not a JSON object")
    event_id = doc.get("id")
    if not isinstance(event_id, str) or not event_id.strip():
        raise MalformedEvent("id must be a non-empty string")
    if len(event_id) > MAX_ID_LENGTH:
        raise MalformedEvent(f"id is longer than {MAX_ID_LENGTH} characters")
    _no_secret(event_id, "id")
    kind = doc.get("type")
    if not isinstance(kind, str) or not kind.strip():
        raise MalformedEvent("type must be a non-empty string")
    if len(kind) > MAX_ID_LENGTH:
        raise MalformedEvent(f"type is longer than {MAX_ID_LENGTH} characters")
    _no_secret(kind, "type")
    data = doc.get("data")
    if not isinstance(data, dict):
        raise MalformedEvent("data must be a JSON object")
    parser = _PARSERS.get(kind)
    payload: Payload = parser(_Fields(data, "data")) if parser else UnknownEvent()
    return KomboEvent(event_id, kind, payload)


def _no_secret(value: str, path: str) -> None:
    """Refuse an identifier that holds a secret.

    Ids (and the event type) are kept exact: they join an event to its rows, so a redacted
    id would be another id. One that holds a secret can be neither stored nor changed, so
    the event is refused (400); the message names the field, never the value.
    """
    if redact(value) != value:
        raise MalformedEvent(
            f"{path} holds what looks like a secret; ids are stored exactly as sent, "
            "so the event is refused"
        )


def name_text(value: str) -> str:
    """A name Kombo sent (organisation, tool, issue type or title), as it is stored and
    shown: redacted, then cut to :data:`~syncwatch.limits.NAME_LIMIT` characters ending in
    ``…`` (a name that long is not a name; the event still applies)."""
    value = redact(value)
    return value if len(value) <= NAME_LIMIT else value[: NAME_LIMIT - 1] + "…"


class _Fields:
    """Typed access to a JSON object's fields, with the JSON path in every error."""

    def __init__(self, data: Mapping[str, Any], path: str) -> None:
        self.data = data
        self.path = path

    def _get(self, key: str, optional: bool) -> Any:
        value = self.data.get(key)
        if value is None and not optional:
            raise MalformedEvent(f"{self.path}.{key} is missing")
        return value

    def text(self, key: str) -> str:
        value = self._get(key, False)
        if not isinstance(value, str) or not value:
            raise MalformedEvent(f"{self.path}.{key} must be a non-empty string")
        return value

    def ident(self, key: str) -> str:
        """An identifier: a non-empty string of at most NAME_LIMIT characters, no secret."""
        value = self.text(key)
        if len(value) > NAME_LIMIT:
            raise MalformedEvent(f"{self.path}.{key} is longer than {NAME_LIMIT} characters")
        _no_secret(value, f"{self.path}.{key}")
        return value

    def maybe_text(self, key: str) -> str | None:
        value = self._get(key, True)
        if value is not None and not isinstance(value, str):
            raise MalformedEvent(f"{self.path}.{key} must be a string or null")
        return value

    def choice(self, key: str, allowed: tuple[str, ...], optional: bool = False) -> str | None:
        value = self._get(key, optional)
        if value is None:
            return None
        if value not in allowed:
            raise MalformedEvent(f"{self.path}.{key} must be one of {', '.join(allowed)}")
        return str(value)

    def time(self, key: str) -> datetime:
        value = self.text(key)
        try:
            return parse_instant(value)
        except ValueError as err:
            raise MalformedEvent(f"{self.path}.{key}: {err}") from None

    def maybe_time(self, key: str) -> datetime | None:
        return self.time(key) if self._get(key, True) is not None else None

    def obj(self, key: str, optional: bool = False) -> _Fields | None:
        value = self._get(key, optional)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise MalformedEvent(f"{self.path}.{key} must be an object")
        return _Fields(value, f"{self.path}.{key}")


def _organization(f: _Fields) -> str:
    end_user = f.obj("end_user")
    assert end_user is not None
    return name_text(end_user.text("organization_name"))


def _ref(f: _Fields, id_key: str, tool_key: str, category_key: str) -> IntegrationRef:
    category = f.choice(category_key, CATEGORIES)
    assert category is not None
    return IntegrationRef(f.ident(id_key), name_text(f.text(tool_key)), category, _organization(f))


def _created(f: _Fields) -> IntegrationCreated:
    return IntegrationCreated(_ref(f, "id", "tool", "category"))


def _state_changed(f: _Fields) -> IntegrationStateChanged:
    state = f.choice("state", KOMBO_STATES)
    assert state is not None
    return IntegrationStateChanged(
        integration=_ref(f, "integration_id", "integration_tool", "integration_category"),
        state=state,
        setup_status=f.choice("setup_status", SETUP_STATUSES, optional=True),
        qa_status=f.choice("qa_status", QA_STATUSES, optional=True),
        updated_at=f.time("updated_at"),
    )


def _deleted(f: _Fields) -> IntegrationDeleted:
    return IntegrationDeleted(_ref(f, "id", "tool", "category"), f.time("deleted_at"))


def _sync_finished(f: _Fields) -> SyncFinished:
    raw_state = f.text("sync_state")
    try:
        state: SyncState | None = SyncState(raw_state)
    except ValueError:
        state = None
    if state is SyncState.RUNNING:
        state = None  # a finished sync cannot be running: nothing to apply
    started, ended = f.time("sync_started_at"), f.time("sync_ended_at")
    if ended < started:
        raise MalformedEvent(f"{f.path}.sync_ended_at is before sync_started_at")
    log_url = redact(f.maybe_text("log_url") or "")
    return SyncFinished(
        integration=_ref(f, "integration_id", "integration_tool", "integration_category"),
        sync_id=f.ident("sync_id"),
        state=state,
        raw_state=raw_state,
        started_at=started,
        ended_at=ended,
        # A link cut short leads nowhere: one longer than a name is not kept.
        log_url=log_url if log_url and len(log_url) <= NAME_LIMIT else None,
    )


def _issue_status_changed(f: _Fields) -> IssueStatusChanged:
    change = f.choice("change", ("raised", "resolved"))
    issue = f.obj("issue")
    assert issue is not None and change is not None
    status = issue.choice("status", ISSUE_STATUSES)
    assert status is not None
    owner = f.obj("integration", optional=True)
    return IssueStatusChanged(
        integration=_ref(owner, "id", "tool", "category") if owner else None,
        change=change,
        issue_id=issue.ident("id"),
        issue_type=name_text(issue.text("type")),
        title=name_text(issue.text("title")),
        status=status,
        message=cap_message(redact(issue.maybe_text("markdown_message") or "")),
        first_observed_at=issue.time("first_observed_at"),
        resolved_at=issue.maybe_time("resolved_at"),
    )


_PARSERS: dict[str, Callable[[_Fields], Payload]] = {
    "integration-created": _created,
    "integration-state-changed": _state_changed,
    "integration-deleted": _deleted,
    "sync-finished": _sync_finished,
    "issue-status-changed": _issue_status_changed,
}

#: The event types syncwatch applies; any other is stored and ignored.
KNOWN_TYPES = tuple(_PARSERS)


# --------------------------------------------------------------------------- stored bodies


def body_for_storage(body: bytes) -> str:
    """The body as it is stored: as received, unless a secret hides in it.

    The common case keeps the bytes exactly (an audit record of what Kombo sent). When
    redacting the parsed document changes anything (:func:`~syncwatch.redact.redact_json`:
    every string and key, and whole values under a name like ``password``), the redacted
    document is stored instead. It is the parsed document that is checked, not the raw
    text: a JSON escape (``Bearer\\u0020...``) hides a secret from a scan of the bytes.
    Replaying a stored body gives the same facts: ids hold no secret (:func:`parse_event`
    refuses those), and redacting an already redacted text changes nothing.
    """
    text = body.decode("utf-8")
    doc = json.loads(text)
    redacted = redact_json(doc)
    if redacted == doc:
        return text
    return json.dumps(redacted, ensure_ascii=False)
