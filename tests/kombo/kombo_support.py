"""Helpers for the Kombo tests: bodies, signatures, a loopback client."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from syncwatch.db import Store
from syncwatch.db.tables import webhook_events
from syncwatch.kombo.events import sign
from syncwatch.kombo.receiver import WEBHOOK_PATH

#: The receiver's fixed clock (the same instant as the core tests' NOW).
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SECRET = b"whsec_test_0123456789abcdef"
EXAMPLES = Path(__file__).parent / "examples"


def example(name: str) -> bytes:
    """One of Kombo's documented example bodies, as bytes (see examples/SOURCES.md)."""
    return (EXAMPLES / f"{name}.json").read_bytes()


def event_body(event_id: str, kind: str, data: dict[str, Any]) -> bytes:
    return json.dumps({"id": event_id, "type": kind, "data": data}).encode()


def end_user(org: str = "Acme GmbH") -> dict[str, Any]:
    return {"organization_name": org, "creator_email": None, "origin_id": None}


def state_changed(
    event_id: str, updated_at: str, state: str = "ACTIVE", iid: str = "personio:acme", **extra: Any
) -> bytes:
    data = {
        "integration_id": iid,
        "integration_tool": "personio",
        "integration_category": "HRIS",
        "end_user": end_user(),
        "state": state,
        "qa_status": "PASSED",
        "setup_status": "COMPLETED",
        "updated_at": updated_at,
        **extra,
    }
    return event_body(event_id, "integration-state-changed", data)


def sync_finished(
    event_id: str, sync_id: str, state: str, started: str, ended: str, iid: str = "personio:acme"
) -> bytes:
    data = {
        "sync_id": sync_id,
        "sync_state": state,
        "sync_started_at": started,
        "sync_ended_at": ended,
        "sync_duration_seconds": 60,
        "integration_id": iid,
        "integration_tool": "personio",
        "integration_category": "HRIS",
        "end_user": end_user(),
        "log_url": f"https://app.kombo.dev/env/production/logs/{sync_id}",
    }
    return event_body(event_id, "sync-finished", data)


class Client:
    """Sends webhooks to the running receiver over loopback."""

    def __init__(self, url: str, store: Store) -> None:
        self.url = url
        self.store = store
        # Only a hang should meet this: a busy machine can take seconds over a request.
        self.http = httpx.Client(base_url=url, timeout=120)

    def post(
        self, body: bytes, *, secret: bytes | None = SECRET, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        sent = dict(headers or {})
        if secret is not None:
            sent.setdefault("X-Kombo-Signature", sign(secret, body))
        return self.http.post(WEBHOOK_PATH, content=body, headers=sent)

    def stored(self) -> dict[str, tuple[str, str]]:
        """Stored events: id -> (outcome, body)."""
        with self.store.read() as conn:
            return {r.id: (r.outcome, r.body) for r in conn.execute(sa.select(webhook_events))}
