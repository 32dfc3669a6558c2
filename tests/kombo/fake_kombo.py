"""A fake Kombo API on a free loopback port, for pointing the real SDK at (``server_url``).

It speaks what ``kombo`` 1.4 calls: ``GET /v1/integrations/{id}``,
``PUT /v1/integrations/{id}/enabled`` (``{"value": bool}``),
``DELETE /v1/integrations/{id}`` (``{}``), ``POST /v1/integrations/{id}/relink``
(``{"language", "link_type"}``: a link) and ``POST /v1/force-sync`` (``{"type"}``, the
integration in the ``X-Integration-Id`` header: a queued sync, one per integration and
type at a time), with ``Authorization: Bearer <key>``, and answers
with the shapes of the SDK's models (``{"status": "success", "data": ...}``, errors as
``{"status": "error", "error": {code, title, message, log_url}}``).

Each integration can be given a script of replies, used in order, the last one repeating:
``fake.script("a", Reply(429, retry_after="1"), Reply(200))`` is one 429, then success.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import unquote

from syncwatch.db import Store
from syncwatch.importer import import_parsed, parse_bytes

API_KEY = "sk_test_fake_kombo_key_1234567890"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def seed(store: Store, *records: dict[str, Any], now: datetime = NOW) -> None:
    """Import integrations (import-format records; times as ISO strings) at ``now``."""
    doc = {"integrations": list(records)}
    import_parsed(store, [parse_bytes(json.dumps(doc), "seed.json")], now)


def record(integration_id: str, **fields: Any) -> dict[str, Any]:
    """An import record for a healthy integration with filters configured."""
    return {
        "id": integration_id,
        "tool": integration_id.split(":", 1)[0],
        "category": "HRIS",
        "organization": f"Org {integration_id}",
        "created_at": "2026-10-01T09:00:00Z",
        "filters_configured": True,
        **fields,
    }


_ERROR_CODES = {
    401: ("PLATFORM.AUTHENTICATION_INVALID", "Authentication invalid"),
    404: ("PLATFORM.INTEGRATION_NOT_FOUND", "Integration not found"),
    429: ("PLATFORM.RATE_LIMIT_EXCEEDED", "Rate limit exceeded"),
}


@dataclass(frozen=True)
class Reply:
    """One scripted answer. 200 means "behave like Kombo"."""

    status: int = 200
    retry_after: str | None = None
    #: Never answer while the fake runs (a Kombo that hangs): only the client's time-out ends
    #: the request, however slow the machine is.
    hang: bool = False
    #: Answer only once this many requests have been in flight at once (0: at once), so a
    #: test sees requests overlap without counting on their timing.
    together: int = 0
    #: A raw body instead of Kombo's JSON error (a proxy's HTML page, say).
    raw: bytes | None = None


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    integration_id: str | None
    authorization: str | None
    body: bytes


@dataclass
class FakeKombo:
    """The fake API. Use as a context manager; ``url`` is the ``server_url`` for the SDK."""

    api_key: str = API_KEY
    integrations: dict[str, dict[str, Any]] = field(default_factory=dict)
    scripts: dict[str, list[Reply]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    #: Syncs queued by ``force-sync``, by (integration, type): a second trigger of the same
    #: type answers ``already_queued``.
    queued: dict[tuple[str, str], str] = field(default_factory=dict)
    #: Tools without delta syncs: a DELTA trigger runs FULL (as Kombo says it may).
    full_only: set[str] = field(default_factory=set)
    #: The links made, in order (what a test compares the printed link with).
    links: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._stopped = False
        self._server: ThreadingHTTPServer | None = None

    # -- programming it ---------------------------------------------------------------

    def add(
        self,
        integration_id: str,
        *,
        status: str = "ACTIVE",
        setup_status: str = "COMPLETED",
        organization: str = "Acme GmbH",
        category: str = "HRIS",
    ) -> None:
        """An integration Kombo knows, as ``get_integration_details`` returns it."""
        tool = integration_id.split(":", 1)[0]
        self.integrations[integration_id] = {
            "id": integration_id,
            "tool": {
                "id": tool,
                "label": tool.title(),
                "internal_label": None,
                "logo_url": f"https://storage.googleapis.com/kombo-assets/integrations/{tool}/logo.svg",
                "icon_url": f"https://storage.googleapis.com/kombo-assets/integrations/{tool}/icon.svg",
            },
            "category": category,
            "status": status,
            "setup_status": setup_status,
            "end_user": {
                "organization_name": organization,
                "creator_email": "it@example.com",
                "origin_id": "123",
            },
            "scope_config": {"id": "B5YnEnnSLeZ5fPTK8CGWD4GL", "name": "Default"},
            "data_expired_at": None,
            "created_at": "2026-11-01T09:00:00.000Z",
            "beta": False,
            "read_models": [],
            "write_actions": [],
        }

    def script(self, integration_id: str, *replies: Reply) -> None:
        """Answer requests about ``integration_id`` with these replies, in order."""
        self.scripts[integration_id] = list(replies)

    def calls(self, integration_id: str, method: str | None = None) -> list[Request]:
        with self._lock:
            return [
                r
                for r in self.requests
                if r.integration_id == integration_id and (method is None or r.method == method)
            ]

    # -- serving ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> FakeKombo:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self)

            def do_PUT(self) -> None:
                fake._handle(self)

            def do_DELETE(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep the test output clean

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        with self._lock:  # requests held back end, unanswered
            self._stopped = True
            self._lock.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeKombo:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- answering --------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("content-length") or 0)
        body = h.rfile.read(length) if length else b""
        parts = [unquote(p) for p in h.path.split("?", 1)[0].split("/") if p]
        iid = parts[2] if len(parts) >= 3 and parts[:2] == ["v1", "integrations"] else None
        if parts == ["v1", "force-sync"]:
            iid = h.headers["x-integration-id"]
        with self._lock:
            self.requests.append(Request(h.command, h.path, iid, h.headers["authorization"], body))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._lock.notify_all()
            script = self.scripts.get(iid or "", [])
            reply = (script.pop(0) if len(script) > 1 else script[0]) if script else Reply()
            self._lock.wait_for(
                lambda: self._stopped or (not reply.hang and self.max_in_flight >= reply.together)
            )
        try:
            if self._stopped:
                return
            if h.headers["authorization"] != f"Bearer {self.api_key}":
                self._error(h, 401, "The API key is invalid.")
            elif reply.status != 200:
                self._scripted(h, reply)
            else:
                self._route(h, parts, iid, body)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _route(
        self, h: BaseHTTPRequestHandler, parts: list[str], iid: str | None, body: bytes
    ) -> None:
        with self._lock:
            known = iid is not None and iid in self.integrations
        if not known:
            self._error(h, 404, f"Integration {iid} not found.")
            return
        assert iid is not None
        tail = parts[3:]
        if h.command == "GET" and not tail:
            with self._lock:
                data = json.loads(json.dumps(self.integrations[iid]))
            self._send(h, 200, {"status": "success", "data": data})
        elif h.command == "PUT" and tail == ["enabled"]:
            value = json.loads(body or b"{}").get("value")
            if not isinstance(value, bool):
                self._error(h, 400, "value must be a boolean", code="PLATFORM.INPUT_INVALID")
                return
            with self._lock:
                self.integrations[iid]["status"] = "ACTIVE" if value else "INACTIVE"
            self._send(h, 200, {"status": "success", "data": {}})
        elif h.command == "DELETE" and not tail:
            with self._lock:
                del self.integrations[iid]
            self._send(h, 200, {"status": "success", "data": {}})
        elif h.command == "POST" and tail == ["relink"]:
            kind = json.loads(body or b"{}").get("link_type", "EMBEDDED")
            with self._lock:
                link = (
                    f"https://connect.kombo.dev/v1/relink/{kind.lower()}?token=tok{len(self.links)}"
                )
                self.links.append(link)
            self._send(h, 200, {"status": "success", "data": {"link": link}})
        elif h.command == "POST" and parts == ["v1", "force-sync"]:
            kind = json.loads(body or b"{}").get("type", "FULL")
            with self._lock:
                if iid.split(":", 1)[0] in self.full_only:
                    kind = "FULL"
                queued = (iid, kind) in self.queued
                sync_id = self.queued.setdefault((iid, kind), f"sync_{len(self.queued) + 1}")
            data = {"already_queued": queued, "sync_id": sync_id, "type": kind}
            self._send(h, 200, {"status": "success", "data": data})
        else:
            self._error(h, 404, "No such route.", code=None)

    def _scripted(self, h: BaseHTTPRequestHandler, reply: Reply) -> None:
        headers = {"Retry-After": reply.retry_after} if reply.retry_after else {}
        if reply.raw is not None:
            self._send_raw(h, reply.status, reply.raw, "text/html", headers)
        else:
            self._error(h, reply.status, "Scripted failure.", headers=headers)

    def _error(
        self,
        h: BaseHTTPRequestHandler,
        status: int,
        message: str,
        *,
        code: str | None = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        default_code, title = _ERROR_CODES.get(status, ("PLATFORM.UNKNOWN_ERROR", "Error"))
        body = {
            "status": "error",
            "error": {
                "code": default_code if code == "" else code,
                "title": title,
                "message": message,
                "log_url": None,
            },
        }
        self._send(h, status, body, headers)

    def _send(
        self,
        h: BaseHTTPRequestHandler,
        status: int,
        doc: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        self._send_raw(h, status, json.dumps(doc).encode(), "application/json", headers)

    @staticmethod
    def _send_raw(
        h: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        try:
            h.send_response(status)
            h.send_header("Content-Type", content_type)
            h.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                h.send_header(name, value)
            h.end_headers()
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a time-out test)
