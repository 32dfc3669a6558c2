"""The fleet's reads on both backends: what the importer stored is counted by signature,
deleted integrations are left out, and the outage inputs read as the rule needs them."""

from __future__ import annotations

from datetime import timedelta

from builders import NOW, WriteImport, ago, integration_record, log_record, sync_record
from syncwatch.actions import Action, perform
from syncwatch.db import Store
from syncwatch.db.fleet import (
    error_signatures,
    failing_integrations,
    signature_integrations,
    state_counts,
)
from syncwatch.fleet import GroupBy, rollup
from syncwatch.importer import import_files
from syncwatch.outages import find_outages
from syncwatch.states import IntegrationState as S

DOWN = "503 Service Unavailable on GET /c/{tenant}/candidates (page {page})"
SIG = "503 Service Unavailable on GET /c/<tenant>/candidates (page <n>)"


def _records() -> list[dict[str, object]]:
    records = []
    for i in range(4):
        ended = ago(minutes=10 + 15 * i)
        lines = [
            log_record(ended - timedelta(minutes=1), "INFO", f"Fetched {i} candidates"),
            log_record(ended, "ERROR", DOWN.format(tenant=f"org{i}", page=i + 1)),
            log_record(ended, "WARNING", f"Skipped {i + 2} candidates: 404 on GET /x/{i}"),
        ]
        records.append(
            integration_record(
                f"recruitee:{i}",
                category="ATS",
                organization=f"Org {i}",
                filters_configured=True,
                qa_status="PASSED",
                syncs=[sync_record(f"r{i}", "FAILED", ended - timedelta(minutes=5), ended, lines)],
            )
        )
    return records


def test_fleet_reads_on_both_backends(store: Store, write_import: WriteImport) -> None:
    import_files(store, [write_import(_records())], NOW)

    found = error_signatures(store)
    assert [(s.signature, s.level, s.lines, s.integrations) for s in found] == [
        (SIG, "ERROR", 4, 4),
        ("Skipped <n> candidates: 404 on GET /x/<n>", "WARNING", 4, 4),
    ]
    assert found[0].first_seen == ago(minutes=55) and found[0].last_seen == ago(minutes=10)
    assert error_signatures(store, since=ago(minutes=30))[0].lines == 2
    assert signature_integrations(store, SIG, "ERROR") == [f"recruitee:{i}" for i in range(4)]
    assert signature_integrations(store, SIG, "WARNING") == []

    failing, enabled = failing_integrations(store)
    assert enabled == {"recruitee": 4}
    assert {f.signature for f in failing} == {SIG}
    [outage] = find_outages(failing, enabled, NOW)
    assert (outage.tool, outage.failing, outage.enabled) == ("recruitee", 4, 4)

    groups = rollup(state_counts(store, GroupBy.ORGANIZATION))
    assert [(g.key, g.worst) for g in groups] == [(f"Org {i}", S.SYNC_FAILING) for i in range(4)]

    # A deleted integration's lines no longer count, nor does it in its tool.
    perform(store, Action.DELETE, "recruitee:0", NOW)
    assert [s.integrations for s in error_signatures(store)] == [3, 3]
    assert "recruitee:0" not in signature_integrations(store, SIG, "ERROR")
    failing, enabled = failing_integrations(store)
    assert enabled == {"recruitee": 3} and len(failing) == 3
