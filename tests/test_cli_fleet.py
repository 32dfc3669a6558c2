"""``syncwatch fleet`` and ``syncwatch errors``: the roll-up with its outages, the errors by
signature; JSON exact, text shown literally."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from builders import NOW, WriteImport, ago, integration_record, log_record, sync_record
from syncwatch.cli import main

DOWN = (
    "Workday API returned 503 Service Unavailable on SOAP Get_Workers "
    "/ccx/service/{tenant}/Human_Resources/v42.0 (page {page}, attempt 3/3): "
    "the tool's API is down"
)
DOWN_SIG = (
    "Workday API returned 503 Service Unavailable on SOAP Get_Workers "
    "/ccx/service/<tenant>/Human_Resources/v42.0 (page <n>, attempt <n>/<n>): "
    "the tool's API is down"
)
EVIL_ORG = "[bold red]Evil[/] \x1b[2J Corp"


def workday(
    i: int, failing: bool, *, logs: bool = True, org: str | None = None, spacing: int = 20
) -> dict[str, Any]:
    """A Workday integration; failing ones fail with the 503 (``spacing`` * i minutes
    before 11:50)."""
    ended = ago(minutes=10 + spacing * i)
    started = ended - timedelta(minutes=5)
    good = sync_record(f"w{i}_0", "SUCCEEDED", ago(days=1))
    if failing:
        lines = [log_record(ended, "ERROR", DOWN.format(tenant=f"tenant{i}", page=i + 2))]
        last = sync_record(f"w{i}_1", "FAILED", started, ended, logs=lines if logs else None)
    else:
        last = sync_record(f"w{i}_1", "SUCCEEDED", started, ended)
    return integration_record(
        f"workday:{i}",
        organization=org or f"Org {i}",
        filters_configured=True,
        created_at=ago(days=30),
        syncs=[good, last],
    )


def fleet_records() -> list[dict[str, Any]]:
    records = [workday(i, failing=i < 3, org=EVIL_ORG if i == 0 else None) for i in range(4)]
    # Two Lever integrations failing the same way: two is not an outage.
    for i in range(2):
        ended = ago(minutes=15)
        line = log_record(ended, "ERROR", f"502 Bad Gateway on GET /v1/postings (page {i + 4})")
        records.append(
            integration_record(
                f"lever:{i}",
                category="ATS",
                filters_configured=True,
                created_at=ago(days=30),
                syncs=[
                    sync_record(f"l{i}_0", "SUCCEEDED", ago(days=1)),
                    sync_record(
                        f"l{i}_1", "FAILED", ended - timedelta(minutes=3), ended, logs=[line]
                    ),
                ],
            )
        )
    # An old warning, ten days ago, with a control character in it.
    old = ago(days=10)
    records.append(
        integration_record(
            "personio:old",
            filters_configured=True,
            qa_status="PASSED",
            created_at=ago(days=30),
            syncs=[
                sync_record(
                    "p_0",
                    "PARTIALLY_FAILED",
                    old,
                    logs=[
                        log_record(
                            old, "WARNING", "Could not fetch field \x1b[31mssn: 403 on GET /v1/x"
                        )
                    ],
                ),
                sync_record("p_1", "SUCCEEDED", ago(hours=2)),
            ],
        )
    )
    return records


@pytest.fixture
def db(tmp_path: Path, write_import: WriteImport, run: Any) -> str:
    path = str(tmp_path / "fleet.db")
    code, _, err = run("--db", path, "import", write_import(fleet_records()))
    assert code == 0, err
    return path


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("SYNCWATCH_DB", raising=False)
    monkeypatch.setenv("SYNCWATCH_NOW", NOW.isoformat())

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = main(list(args))
        except SystemExit as exit:  # argparse's own usage errors
            code = int(exit.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_fleet_json_rolls_up_by_tool_with_the_outage(db: str, run: Any) -> None:
    code, out, err = run("--db", db, "fleet", "--json")
    assert (code, err) == (0, "")
    got = json.loads(out)
    assert got["by"] == "tool"
    assert got["groups"] == [
        {
            "key": "workday",
            "total": 4,
            "worst": "SYNC_FAILING",
            "needs_attention": 3,
            "states": {"SYNC_FAILING": 3, "ACTIVE": 1},
        },
        {
            "key": "lever",
            "total": 2,
            "worst": "SYNC_FAILING",
            "needs_attention": 2,
            "states": {"SYNC_FAILING": 2},
        },
        {
            "key": "personio",
            "total": 1,
            "worst": "ACTIVE",
            "needs_attention": 0,
            "states": {"ACTIVE": 1},
        },
    ]
    [outage] = got["outages"]
    assert outage == {
        "tool": "workday",
        "failing": 3,
        "enabled": 4,
        "since": outage["since"],
        "last_failed_at": "2026-11-26T11:50:00Z",
        "signature": DOWN_SIG,
        "summary": "503 Service Unavailable",
        "text": f"workday: 3 of 4 failing since {outage['text'].split('since ')[1].split(',')[0]}, "
        "503 Service Unavailable",
        "integrations": ["workday:0", "workday:1", "workday:2"],
    }


def test_fleet_by_organization_keeps_names_exact_in_json(db: str, run: Any) -> None:
    code, out, _ = run("--db", db, "fleet", "--by", "organization", "--json")
    assert code == 0
    keys = [g["key"] for g in json.loads(out)["groups"]]
    assert EVIL_ORG in keys and "Org 3" in keys
    assert "\\u001b[2J" in out  # JSON escapes what a terminal would act on


def test_fleet_text_shows_groups_outage_and_names_literally(db: str, run: Any) -> None:
    code, out, _ = run("--db", db, "fleet")
    assert code == 0
    lines = out.splitlines()
    assert any(line.split()[:4] == ["workday", "3/4", "✖", "Failing"] for line in lines)
    assert "⚡ Outage: workday: 3 of 4 failing since" in out
    assert out.rstrip().endswith("503 Service Unavailable")
    code, out, _ = run("--db", db, "fleet", "--by", "organization")
    assert "[bold red]Evil[/] ␛[2J Corp" in out
    assert "\x1b" not in out


def test_the_outage_clears_when_the_tool_recovers(
    db: str, run: Any, write_import: WriteImport
) -> None:
    recovered = []
    for i in range(2):  # two of three succeed again: 1 of 4 is not an outage
        rec = workday(i, failing=False)
        rec["syncs"] = [sync_record(f"w{i}_2", "SUCCEEDED", ago(minutes=4), ago(minutes=1))]
        recovered.append(rec)
    assert run("--db", db, "import", write_import(recovered, name="later.json"))[0] == 0
    _, out, _ = run("--db", db, "fleet", "--json")
    assert json.loads(out)["outages"] == []


def test_failures_that_began_hours_apart_are_not_an_outage(
    tmp_path: Path, run: Any, write_import: WriteImport
) -> None:
    """Three customers whose Workday syncs began failing the same way 3 h apart: each
    integration's own trouble, not the tool's (the same three within the hour are)."""
    for spacing, outages in ((180, 0), (30, 1)):
        path = str(tmp_path / f"apart{spacing}.db")
        records = [workday(i, failing=i < 3, spacing=spacing) for i in range(4)]
        assert run("--db", path, "import", write_import(records, name=f"{spacing}.json"))[0] == 0
        _, out, _ = run("--db", path, "fleet", "--json")
        assert len(json.loads(out)["outages"]) == outages


def test_signatures_set_when_lines_arrive_after_their_sync(
    tmp_path: Path, run: Any, write_import: WriteImport
) -> None:
    """Syncs first, their error lines in a later import (the importer recounts them): the
    syncs' signatures are set then, and the outage is found."""
    path = str(tmp_path / "late.db")
    bare = [workday(i, failing=i < 3, logs=False) for i in range(4)]
    assert run("--db", path, "import", write_import(bare, name="bare.json"))[0] == 0
    assert json.loads(run("--db", path, "fleet", "--json")[1])["outages"] == []
    full = [workday(i, failing=i < 3) for i in range(4)]
    assert run("--db", path, "import", write_import(full, name="full.json"))[0] == 0
    [outage] = json.loads(run("--db", path, "fleet", "--json")[1])["outages"]
    assert outage["signature"] == DOWN_SIG


def test_errors_json_counts_signatures_worst_first(db: str, run: Any) -> None:
    code, out, err = run("--db", db, "errors", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == [
        {
            "signature": DOWN_SIG,
            "level": "ERROR",
            "lines": 3,
            "integrations": 3,
            "first_seen": "2026-11-26T11:10:00Z",
            "last_seen": "2026-11-26T11:50:00Z",
        },
        {
            "signature": "502 Bad Gateway on GET /v1/postings (page <n>)",
            "level": "ERROR",
            "lines": 2,
            "integrations": 2,
            "first_seen": "2026-11-26T11:45:00Z",
            "last_seen": "2026-11-26T11:45:00Z",
        },
        {
            "signature": "Could not fetch field \x1b[<id>: 403 on GET /v1/x",
            "level": "WARNING",
            "lines": 1,
            "integrations": 1,
            "first_seen": "2026-11-16T12:00:00Z",
            "last_seen": "2026-11-16T12:00:00Z",
        },
    ]


def test_errors_since_leaves_older_lines_out(db: str, run: Any) -> None:
    code, out, _ = run("--db", db, "errors", "--since", "1d", "--json")
    assert code == 0
    assert [e["level"] for e in json.loads(out)] == ["ERROR", "ERROR"]
    code, out, _ = run("--db", db, "errors", "--since", "12m", "--json")
    assert [e["lines"] for e in json.loads(out)] == [1]  # only the 11:50 line


def test_errors_text_shows_signatures_literally(db: str, run: Any) -> None:
    code, out, _ = run("--db", db, "errors")
    assert code == 0
    assert "Could not fetch field ␛[<id>: 403" in out
    assert "\x1b" not in out
    assert out.rstrip().endswith("3 signature(s)")


@pytest.mark.parametrize("bad", ["yesterday", "0s", "-1h"])
def test_errors_with_a_bad_since_is_one_line_exit_2(db: str, run: Any, bad: str) -> None:
    code, out, err = run("--db", db, "errors", "--since", bad)
    assert code == 2 and out == ""
    assert "--since" in err and "Traceback" not in err


def test_the_demo_incident_shows_the_workday_outage(tmp_path: Path, run: Any) -> None:
    """The incident scenario's story: Workday goes down for ten customers at +6 h; by +9 h
    the fleet shows one outage for Workday (the demo's lines carry their signatures)."""
    path = str(tmp_path / "incident.db")
    start = "2026-11-20T08:00:00Z"
    code, _, err = run(
        "--db",
        path,
        "--now",
        start,
        "demo",
        "--scenario",
        "incident",
        "--headless",
        "--until",
        "9h",
    )
    assert code == 0, err
    code, out, _ = run("--db", path, "--now", "2026-11-20T17:00:00Z", "fleet", "--json")
    [outage] = json.loads(out)["outages"]
    assert outage["tool"] == "workday" and outage["enabled"] == 10
    assert outage["summary"] == "503 Service Unavailable"
    assert outage["failing"] >= 5


def test_fleet_at_a_time_before_the_last_evaluation_says_nothing_was_stored(
    db: str, run: Any
) -> None:
    """As ``list`` does: the states as evaluated then, in memory, and a note on stderr."""
    before = (NOW - timedelta(hours=1, minutes=30)).isoformat()  # before every failure
    code, out, err = run("--db", db, "--now", before, "fleet", "--json")
    assert code == 0
    assert "nothing was stored" in err
    got = json.loads(out)
    assert got["outages"] == []
    workday = next(g for g in got["groups"] if g["key"] == "workday")
    assert workday["states"] == {"ACTIVE": 4}
