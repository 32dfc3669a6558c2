"""A plain integration row for the tests that need no database (``from row_support import row``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from syncwatch.rows import IntegrationRow
from syncwatch.states import IntegrationState, QaStatus

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def row(
    iid: str = "personio:acme",
    state: IntegrationState | None = IntegrationState.ACTIVE,
    revision: int = 1,
    **fields: Any,
) -> IntegrationRow:
    """An enabled production integration with filters, in ``state`` at ``revision``."""
    values: dict[str, Any] = {
        "id": iid,
        "tool": iid.split(":")[0],
        "category": "HRIS",
        "organization": f"Org {iid}",
        "environment": "production",
        "created_at": NOW,
        "enabled": True,
        "filters_configured": True,
        "qa_status": QaStatus.PASSED,
        "credentials_invalid_at": None,
        "credentials_updated_at": None,
        "last_api_request_at": None,
        "last_reactivated_at": None,
        "disabled_reason": None,
        "disabled_at": None,
        "deleted_at": None,
        "purged_at": None,
        "state": state,
        "state_reason": f"reason for {state.value if state else 'nothing'}",
        "state_since": NOW,
        "evaluated_at": NOW,
        "last_sync_id": None,
        "last_sync_state": None,
        "last_sync_ended_at": None,
        "last_sync_warnings": 0,
        "last_sync_errors": 0,
        "next_due_at": None,
        "dirty": False,
        "revision": revision,
    }
    values.update(fields)
    return IntegrationRow(**values)
