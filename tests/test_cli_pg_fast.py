"""``list``, ``show`` and ``logs`` on PostgreSQL with nothing due: read with psycopg alone,
printing exactly what the ``Store`` path prints.

Each command runs in a fresh interpreter (as ``tests/test_cli_imports.py`` does), once as
it is and once with the fast path switched off (``PgReader.open`` answering ``None``), and
the two outputs must be the same bytes; the first must not have loaded the ORM. Needs the
test PostgreSQL server (``tests/conftest.py``).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

import cli_probe
from builders import NOW, integration_record, log_record, sync_record
from cli_probe import ORM, Run
from syncwatch.actions import Action, perform
from syncwatch.db import Store, tables
from syncwatch.db.kombo import insert_issue
from syncwatch.importer import import_files, load_sample
from syncwatch.pgread import PgReader
from syncwatch.present import iso

ESC = "\x1b"
ODD = "odd:Ärzte"


@pytest.fixture
def world(pg_url: str, tmp_path: Path) -> str:
    """The sample, an integration with odd text, logs, Kombo issues, an operator action and
    one gone from Kombo, evaluated so that nothing is due at ``NOW``."""
    store = Store.open(pg_url)
    try:
        load_sample(store, NOW)
        record = integration_record(
            ODD,
            organization=f"Org {ESC}[31m[bold]ß[/bold]",
            filters_configured=True,
            syncs=[
                sync_record(
                    "odd-sync",
                    "FAILED",
                    NOW - timedelta(hours=2),
                    logs=[
                        log_record(NOW - timedelta(hours=2), "ERROR", f"boom {ESC}[2J", field="f"),
                        log_record(NOW - timedelta(hours=2), "INFO", "[red]not markup[/red]"),
                    ],
                )
            ],
        )
        source = tmp_path / "odd.json"
        source.write_text(json.dumps({"integrations": [record]}), encoding="utf-8")
        import_files(store, [str(source)], NOW)
        ids = [r.id for r in store.integrations()]
        perform(store, Action.DEACTIVATE, ids[3], NOW)
        with store.write() as conn:
            for k, (iid, status) in enumerate([(ODD, "OPEN"), (ODD, "RESOLVED"), (None, "OPEN")]):
                insert_issue(
                    conn,
                    {
                        "id": f"iss{k}",
                        "integration_id": iid,
                        "type": "integration.sync_failed",
                        "title": f"title {k}",
                        "status": status,
                        "message": "m\nsecond line",
                        "first_observed_at": NOW - timedelta(hours=k + 1),
                        "resolved_at": NOW - timedelta(minutes=5) if status == "RESOLVED" else None,
                        "updated_at": NOW,
                    },
                )
            conn.execute(
                tables.integrations.update()
                .where(tables.integrations.c.id.in_([ODD, ids[1]]))
                .values(upstream_gone_at=NOW - timedelta(hours=1), upstream_status="ACTIVE")
            )
    finally:
        store.close()
    reader = PgReader.open(pg_url)
    assert reader is not None
    with reader:
        assert not reader.work_due(NOW), "the fixture must leave nothing to do at NOW"
    return pg_url


def run(tmp_path: Path, *args: str, store_path: bool = False) -> Run:
    """``python -m syncwatch ARGS`` in a fresh interpreter (``store_path``: the Store path)."""
    return cli_probe.run(
        tmp_path, *args, watched=(*ORM, "psycopg"), store_path=store_path, COLUMNS="200"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--json"],
        ["list"],
        ["list", "--all", "--status", "deleted", "--json"],
        ["show", ODD, "--json"],
        ["show", ODD],
        ["logs", ODD, "--json"],
        ["logs", ODD, "--level", "error"],
        ["show", "nope:x", "--json"],
    ],
)
def test_reading_with_nothing_due_prints_what_the_store_prints_without_the_orm(
    tmp_path: Path, world: str, args: list[str]
) -> None:
    common = ["--db", world, "--now", iso(NOW) or ""]
    fast = run(tmp_path, *common, *args)
    store = run(tmp_path, *common, *args, store_path=True)
    assert (fast.code, fast.out, fast.err) == (store.code, store.out, store.err)
    assert fast.loaded == {"psycopg"}, args
    assert "sqlalchemy" in store.loaded
    if args[0] != "show" or args[1] != "nope:x":
        assert fast.code == 0 and fast.out


def test_work_due_takes_the_store_path(tmp_path: Path, world: str) -> None:
    later = iso(NOW + timedelta(days=30)) or ""
    result = run(tmp_path, "--db", world, "--now", later, "list", "--json")
    assert result.code == 0, result.err
    assert "sqlalchemy" in result.loaded  # the pass ran
