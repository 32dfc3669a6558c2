"""Revision 0005 fills in the signatures of what an older syncwatch stored."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from builders import NOW
from syncwatch import migrations
from syncwatch.db import Store, upgrade_schema
from syncwatch.db.engine import new_engine
from syncwatch.signatures import signature

OUTAGE = (
    "Workday API returned 503 Service Unavailable on SOAP Get_Workers "
    "/ccx/service/{tenant}/Human_Resources/v42.0 (page {page}, attempt 3/3): the tool's API is down"
)


def _fill_at_0003(url: str) -> None:
    engine = new_engine(url)
    t = NOW - timedelta(days=1)
    try:
        with engine.connect() as conn, conn.begin():
            migrations.run_upgrade(conn, "0003")
            meta = sa.MetaData()
            table = {
                n: sa.Table(n, meta, autoload_with=conn)
                for n in ("integration", "sync", "log_entry")
            }
            conn.execute(
                table["integration"].insert(),
                [
                    {
                        "id": f"workday:{i}",
                        "tool": "workday",
                        "category": "HRIS",
                        "organization": f"Org {i}",
                        "environment": "production",
                        "created_at": t - timedelta(days=9),
                        "enabled": True,
                        "filters_configured": True,
                        "last_sync_warnings": 0,
                        "last_sync_errors": 1,
                        "dirty": True,
                        "revision": 0,
                    }
                    for i in range(2)
                ],
            )
            syncs = [
                {
                    "id": f"s{i}",
                    "integration_id": f"workday:{i}",
                    "type": "DELTA",
                    "state": "FAILED",
                    "started_at": t,
                    "ended_at": t + timedelta(minutes=5),
                    "warnings": 1,
                    "errors": 1,
                    "headline": OUTAGE.format(tenant=f"tenant{i}", page=i + 2),
                }
                for i in range(2)
            ]
            # A sync whose lines were purged keeps its headline only.
            syncs.append(syncs[0] | {"id": "purged", "headline": "Sync timed out after 2 h"})
            conn.execute(table["sync"].insert(), syncs)
            logs = []
            for i in range(2):
                for k, (level, text) in enumerate(
                    [
                        ("INFO", "Fetched 12 workers (page 1)"),
                        (
                            "WARNING",
                            "503 Service Unavailable on SOAP Get_Workers; retrying in 30 s",
                        ),
                        ("ERROR", OUTAGE.format(tenant=f"tenant{i}", page=i + 2)),
                    ]
                ):
                    logs.append(
                        {
                            "id": f"l{i}{k}",
                            "sync_id": f"s{i}",
                            "integration_id": f"workday:{i}",
                            "at": t + timedelta(minutes=k),
                            "level": level,
                            "message": text,
                        }
                    )
            conn.execute(table["log_entry"].insert(), logs)
    finally:
        engine.dispose()


def test_upgrade_fills_in_signatures_of_stored_lines_and_syncs(db_url: str) -> None:
    _fill_at_0003(db_url)
    if db_url.startswith("postgresql"):
        upgrade_schema(db_url)
    Store.open(db_url).close()  # SQLite: upgraded on open
    engine = new_engine(db_url)
    try:
        with engine.connect() as conn:
            assert migrations.stored_revision(conn) == migrations.head()
            logs = dict(conn.execute(sa.text("SELECT id, signature FROM log_entry")).all())
            syncs = dict(conn.execute(sa.text("SELECT id, signature FROM sync")).all())
    finally:
        engine.dispose()
    expected = signature(OUTAGE.format(tenant="x", page=1))
    assert expected is not None and "<tenant>" in expected
    # Warnings and errors get one; INFO lines none.
    assert logs["l00"] is None and logs["l10"] is None
    assert (
        logs["l01"]
        == logs["l11"]
        == "503 Service Unavailable on SOAP Get_Workers; retrying in <n> s"
    )
    assert logs["l02"] == logs["l12"] == expected
    # A sync: the signature of its headline's line (the error), same across tenants.
    assert syncs["s0"] == syncs["s1"] == expected
    assert syncs["purged"] == "Sync timed out after <n> h"
