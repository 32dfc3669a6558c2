"""Fixtures for the pilot tests: a small database built in the test, a fixed clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.importer import import_parsed, parse_bytes

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _sync(
    sid: str, state: str, start: str, end: str, logs: list[dict[str, str]] | None = None
) -> dict[str, object]:
    return {
        "id": sid,
        "type": "DELTA",
        "state": state,
        "started_at": start,
        "ended_at": end,
        "logs": logs or [],
    }


def _integration(iid: str, org: str, **extra: object) -> dict[str, object]:
    record: dict[str, object] = {
        "id": iid,
        "tool": iid.split(":")[0],
        "category": "HRIS",
        "organization": org,
        "environment": "production",
        "created_at": "2026-11-01T09:00:00Z",
        "filters_configured": True,
        "enabled": True,
        "last_api_request_at": "2026-11-26T10:00:00Z",
    }
    record.update(extra)
    return record


SAMPLE = {
    "integrations": [
        _integration(
            "personio:acme",
            "Acme GmbH",
            syncs=[_sync("s_acme_1", "SUCCEEDED", "2026-11-26T10:00:00Z", "2026-11-26T10:05:00Z")],
        ),
        _integration(
            "greenhouse:orchid",
            "Orchid Biotech",
            category="ATS",
            syncs=[
                _sync("s_orc_1", "SUCCEEDED", "2026-11-20T10:00:00Z", "2026-11-20T10:05:00Z"),
                _sync(
                    "s_orc_2",
                    "FAILED",
                    "2026-11-26T11:00:00Z",
                    "2026-11-26T11:10:00Z",
                    [
                        {"at": "2026-11-26T11:01:00Z", "level": "INFO", "message": "Sync started"},
                        {
                            "at": "2026-11-26T11:05:00Z",
                            "level": "WARNING",
                            "message": "Skipped 3 candidates [deleted]",
                        },
                        {
                            "at": "2026-11-26T11:09:00Z",
                            "level": "ERROR",
                            "message": "500 Internal Server Error on GET /v1/candidates",
                        },
                    ],
                ),
            ],
        ),
        _integration("hibob:vantage", "Vantage Realty", enabled=False),
        _integration(
            "ashby:quill",
            "Quill [bold]Quire[/bold] Ltd",
            category="ATS",
            syncs=[
                _sync(
                    "s_quill_1",
                    "PARTIALLY_FAILED",
                    "2026-11-25T10:00:00Z",
                    "2026-11-25T10:30:00Z",
                    [{"at": "2026-11-25T10:10:00Z", "level": "WARNING", "message": "field x"}],
                )
            ],
        ),
        _integration("deel:mosaic", "Mosaic Remote", filters_configured=False),
        _integration("lever:foxglove", "Foxglove Apparel", deleted_at="2026-11-25T08:00:00Z"),
    ]
}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "ui.db"
    store = Store.open(path)
    import_parsed(store, [parse_bytes(json.dumps(SAMPLE), "sample.json")], NOW)
    store.close()
    return path


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    s = Store.open(db_path)
    yield s
    s.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)
