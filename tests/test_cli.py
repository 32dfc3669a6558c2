"""End-to-end tests of the ``syncwatch`` command line, each run in a real subprocess.

Every invocation runs ``python -m syncwatch`` with an environment built from scratch: no
``SYNCWATCH_*`` variable leaks in from the user's shell, and ``HOME`` / ``XDG_*`` point into a
temporary directory, so the default database never touches the real user directory.

Most tests start from a copy of one "world" database: ten integrations, one or more in each
of the nine UI states, imported once per module at ``T``. Fixtures live in this file on
purpose (no reliance on ``conftest.py``).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

# --------------------------------------------------------------------------- time helpers

#: The instant the world is imported (and evaluated) at.
T = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def ts(t: datetime) -> str:
    """An aware time as ISO 8601 with a ``Z`` suffix."""
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def at(**delta: float) -> str:
    """``T`` moved by ``delta`` (``days=``, ``hours=``, ``minutes=``), as ISO 8601."""
    return ts(T + timedelta(**delta))


def later(**delta: float) -> datetime:
    return T + timedelta(**delta)


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$")

ALL_STATES = {
    "ACTIVE",
    "SYNC_HAS_WARNINGS",
    "SYNC_FAILING",
    "AUTHENTICATION_FAILING",
    "CREDENTIALS_INVALID",
    "QUALITY_ASSURANCE",
    "SETUP",
    "INACTIVE",
    "DELETED",
}

LIST_FIELDS = {
    "id",
    "tool",
    "category",
    "organization",
    "environment",
    "status",
    "api_status",
    "setup_status",
    "qa_status",
    "status_reason",
    "status_since",
    "last_sync_state",
    "last_sync_ended_at",
}

# --------------------------------------------------------------------------- import documents


def log(when: str, level: str, message: str, field: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"at": when, "level": level, "message": message}
    if field is not None:
        entry["field"] = field
    return entry


def sync(
    sync_id: str,
    state: str,
    started: str,
    ended: str | None,
    *,
    type_: str = "DELTA",
    logs: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": sync_id,
        "type": type_,
        "state": state,
        "started_at": started,
        "logs": list(logs),
    }
    if ended is not None:
        record["ended_at"] = ended
    return record


def integration(
    integration_id: str,
    organization: str,
    *,
    category: str = "HRIS",
    created: str | None = None,
    syncs: Sequence[dict[str, Any]] = (),
    **fields: Any,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": integration_id,
        "tool": integration_id.split(":", 1)[0],
        "category": category,
        "organization": organization,
        "environment": "production",
        "created_at": created or at(days=-10),
        "filters_configured": True,
        "enabled": True,
        "syncs": list(syncs),
    }
    record.update(fields)
    return record


def document(*integrations: dict[str, Any]) -> dict[str, Any]:
    return {"integrations": list(integrations)}


def write_json(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


OK_ID = "personio:ok01"
WARN_ID = "hibob:warn01"
FAIL_ID = "lever:fail01"
AUTH_ID = "bamboohr:auth01"
CRED_ID = "deel:cred01"
QA_ID = "greenhouse:qa01"
SETUP_ID = "factorial:setup01"
DEV_ID = "ashby:dev01"
OFF_ID = "personio:off01"
DEL_ID = "workday:del01"

SECRET_TOKEN = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
SECRET_PASSWORD = "hunter2-Secret"

#: The state each world integration shows when imported at ``T``.
WORLD_STATES = {
    OK_ID: "ACTIVE",
    WARN_ID: "SYNC_HAS_WARNINGS",
    FAIL_ID: "SYNC_FAILING",
    AUTH_ID: "AUTHENTICATION_FAILING",
    CRED_ID: "CREDENTIALS_INVALID",
    QA_ID: "QUALITY_ASSURANCE",
    SETUP_ID: "SETUP",
    DEV_ID: "ACTIVE",
    OFF_ID: "INACTIVE",
    DEL_ID: "DELETED",
}


def world_doc() -> dict[str, Any]:
    """Ten integrations covering all nine states at ``T``."""
    return document(
        integration(
            OK_ID,
            "Acme GmbH",
            last_api_request_at=at(hours=-1),
            syncs=[
                sync(
                    "ok01-s1",
                    "SUCCEEDED",
                    at(days=-3),
                    at(days=-3, minutes=30),
                    type_="FULL",
                    logs=[log(at(days=-3, minutes=30), "INFO", "Full sync: 120 employees")],
                ),
                sync(
                    "ok01-s2",
                    "PARTIALLY_FAILED",
                    at(days=-2),
                    at(days=-2, minutes=10),
                    logs=[
                        log(at(days=-2, minutes=1), "INFO", "Fetching employees"),
                        log(
                            at(days=-2, minutes=2),
                            "WARNING",
                            "Could not fetch field date_of_birth: permission missing",
                            "hris.employees.date_of_birth",
                        ),
                        log(
                            at(days=-2, minutes=3),
                            "WARNING",
                            f"Retrying after 401 with Authorization: Bearer {SECRET_TOKEN}",
                        ),
                        log(
                            at(days=-2, minutes=4),
                            "ERROR",
                            f"Absence request failed: password={SECRET_PASSWORD} rejected",
                        ),
                    ],
                ),
                sync(
                    "ok01-s3",
                    "SUCCEEDED",
                    at(hours=-1),
                    at(minutes=-50),
                    logs=[log(at(minutes=-55), "INFO", "Fetched 121 employees")],
                ),
            ],
        ),
        integration(
            WARN_ID,
            "Beta AG",
            syncs=[
                sync("warn01-s1", "SUCCEEDED", at(days=-2), at(days=-2, minutes=20)),
                sync(
                    "warn01-s2",
                    "PARTIALLY_FAILED",
                    at(hours=-3),
                    at(hours=-2),
                    logs=[log(at(hours=-2, minutes=-5), "WARNING", "Field jobTitle missing")],
                ),
            ],
        ),
        integration(
            FAIL_ID,
            "Gamma Ltd",
            category="ATS",
            syncs=[
                sync("fail01-s1", "SUCCEEDED", at(days=-2), at(days=-2, minutes=20)),
                sync(
                    "fail01-s2",
                    "FAILED",
                    at(hours=-4),
                    at(hours=-3),
                    logs=[log(at(hours=-3, minutes=-1), "ERROR", "Upstream API returned 503")],
                ),
            ],
        ),
        integration(
            AUTH_ID,
            "Delta Inc",
            syncs=[
                sync("auth01-s1", "SUCCEEDED", at(days=-2), at(days=-2, minutes=15)),
                # The trailing run of authentication failures starts at T - 1 h.
                sync(
                    "auth01-s2",
                    "AUTHENTICATION_FAILED",
                    at(hours=-1, minutes=-10),
                    at(hours=-1),
                    logs=[log(at(hours=-1, minutes=-1), "ERROR", "401 Unauthorized")],
                ),
            ],
        ),
        integration(
            CRED_ID,
            "Epsilon SA",
            syncs=[
                sync("cred01-s1", "SUCCEEDED", at(days=-6), at(days=-6, minutes=10)),
                sync("cred01-s2", "AUTHENTICATION_FAILED", at(days=-4), at(days=-4, minutes=5)),
                sync("cred01-s3", "AUTHENTICATION_FAILED", at(days=-2), at(days=-2, minutes=5)),
                sync("cred01-s4", "AUTHENTICATION_FAILED", at(hours=-3), at(hours=-2)),
            ],
        ),
        integration(
            QA_ID,
            "Zeta BV",
            category="ATS",
            created=at(days=-2),
            syncs=[
                sync(
                    "qa01-s1",
                    "PARTIALLY_FAILED",
                    at(days=-1),
                    at(days=-1, minutes=40),
                    type_="FULL",
                    logs=[log(at(days=-1, minutes=20), "WARNING", "Could not fetch offers")],
                )
            ],
        ),
        integration(SETUP_ID, "Eta Oy", filters_configured=False),
        integration(
            DEV_ID,
            "Theta Labs",
            category="ATS",
            environment="development",
            created=at(days=-20),
            last_api_request_at=at(days=-5),
            syncs=[sync("dev01-s1", "SUCCEEDED", at(hours=-6), at(hours=-5))],
        ),
        integration(
            OFF_ID,
            "Iota KG",
            enabled=False,
            syncs=[sync("off01-s1", "SUCCEEDED", at(days=-3), at(days=-3, minutes=5))],
        ),
        integration(
            DEL_ID,
            "Kappa Corp",
            category="LMS",
            deleted_at=at(days=-1),
            syncs=[
                sync(
                    "del01-s1",
                    "SUCCEEDED",
                    at(days=-3),
                    at(days=-3, minutes=5),
                    logs=[log(at(days=-3, minutes=1), "INFO", "Fetched 12 courses")],
                )
            ],
        ),
    )


# --------------------------------------------------------------------------- running the CLI


@dataclass(frozen=True)
class Result:
    args: list[str]
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def __str__(self) -> str:
        command = " ".join(self.args)
        return f"syncwatch {command} -> {self.code}\n--stdout--\n{self.out}\n--stderr--\n{self.err}"


class Cli:
    """Runs ``python -m syncwatch`` against one database with a clean environment."""

    def __init__(self, root: Path, pycache: Path, db: Path | None) -> None:
        self.root = root
        self.home = root / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.data_home = self.home / "xdg-data"
        self.db = db
        self.pycache = pycache

    @property
    def default_db(self) -> Path:
        """Where the default database lives under this environment (platformdirs, Linux)."""
        return self.data_home / "syncwatch" / "syncwatch.db"

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """An environment that takes nothing from the user's but PATH."""
        env = {
            "PATH": os.environ.get("PATH", os.defpath),
            "HOME": str(self.home),
            "XDG_DATA_HOME": str(self.data_home),
            "XDG_CONFIG_HOME": str(self.home / "xdg-config"),
            "XDG_CACHE_HOME": str(self.home / "xdg-cache"),
            "XDG_STATE_HOME": str(self.home / "xdg-state"),
            "LOGNAME": "e2e-operator",
            "USER": "e2e-operator",
            "LANG": "C.UTF-8",
            "PYTHONIOENCODING": "utf-8",
            "NO_COLOR": "1",
            "TERM": "dumb",
            # Byte-compile once per test session, outside the project and the venv.
            "PYTHONPYCACHEPREFIX": str(self.pycache),
        }
        if sys.platform == "win32":  # pragma: no cover
            env["SYSTEMROOT"] = os.environ.get("SYSTEMROOT", "")
        env.update(extra or {})
        return env

    def __call__(
        self,
        *args: str,
        now: datetime | str | None = T,
        use_db: bool = True,
        input: str | None = None,
        stdin: int | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> Result:
        argv: list[str] = []
        if use_db and self.db is not None:
            argv += ["--db", str(self.db)]
        if now is not None:
            argv += ["--now", now if isinstance(now, str) else ts(now)]
        argv += list(args)
        proc = subprocess.run(
            [sys.executable, "-m", "syncwatch", *argv],
            input=input,
            stdin=stdin if input is None else None,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=self.env(env),
            cwd=self.root,
            timeout=timeout,
        )
        result = Result(argv, proc.returncode, proc.stdout, proc.stderr)
        # No foreseeable error may ever show the user a traceback.
        assert "Traceback" not in proc.stderr, str(result)
        assert "Traceback" not in proc.stdout, str(result)
        return result

    def ok(self, *args: str, **kwargs: Any) -> Result:
        result = self(*args, **kwargs)
        assert result.code == 0, str(result)
        return result

    def json(self, *args: str, **kwargs: Any) -> Any:
        return self.ok(*args, "--json", **kwargs).json()

    def by_id(self, **kwargs: Any) -> dict[str, dict[str, Any]]:
        """``list --all --json`` as a dict by id."""
        return {row["id"]: row for row in self.json("list", "--all", **kwargs)}


#: Independent invocations run side by side, this many at once.
PARALLEL = max(2, min(4, os.cpu_count() or 2))


def run_many(calls: Sequence[Callable[[], Result]]) -> list[Result]:
    """Run independent invocations concurrently; results in the order of ``calls``."""
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        return list(pool.map(lambda call: call(), calls))


def copy_db(src: Path, dst: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{src}{suffix}")
        if source.exists():
            shutil.copyfile(source, f"{dst}{suffix}")
    return dst


@dataclass(frozen=True)
class World:
    db: Path
    file: Path
    imported: Result
    #: ``list --all --json`` at ``T`` straight after the import.
    snapshot: list[dict[str, Any]]

    @property
    def by_id(self) -> dict[str, dict[str, Any]]:
        return {row["id"]: row for row in self.snapshot}


@pytest.fixture(scope="session")
def pycache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pycache")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, pycache: Path) -> World:
    root = tmp_path_factory.mktemp("world")
    file = write_json(root / "world.json", world_doc())
    cli = Cli(root, pycache, root / "world.db")
    imported = cli("import", str(file))
    assert imported.code == 0, str(imported)
    snapshot = cli.json("list", "--all")
    return World(cli.db, file, imported, snapshot)  # type: ignore[arg-type]


@pytest.fixture
def cli(tmp_path: Path, pycache: Path) -> Cli:
    """A CLI on a database that does not exist yet, in a folder that does."""
    (tmp_path / "db").mkdir()
    return Cli(tmp_path, pycache, tmp_path / "db" / "syncwatch.db")


@pytest.fixture
def wcli(tmp_path: Path, pycache: Path, world: World) -> Cli:
    """A CLI on a private copy of the world database."""
    return Cli(tmp_path, pycache, copy_db(world.db, tmp_path / "world.db"))


# --------------------------------------------------------------------------- import


def test_import_prints_a_summary_and_evaluates_at_once(world: World) -> None:
    doc = world_doc()
    n_syncs = sum(len(i["syncs"]) for i in doc["integrations"])
    n_logs = sum(len(s["logs"]) for i in doc["integrations"] for s in i["syncs"])
    out = world.imported.out
    assert "10 added" in out, out
    assert f"{n_syncs} syncs added" in out, out
    assert f"{n_logs} log entries added" in out, out
    # Each new integration is evaluated straight away and its first transition is printed.
    lines = out.splitlines()
    for iid, state in WORLD_STATES.items():
        assert any(iid in line and state in line for line in lines), (iid, state, out)
    # All nine states, as expected; the auth failure ended 1 h before T: AUTHENTICATION_FAILING.
    assert {row["id"]: row["status"] for row in world.snapshot} == WORLD_STATES
    assert {row["status"] for row in world.snapshot} == ALL_STATES


def test_reimport_is_idempotent_and_never_undoes_a_deletion(wcli: Cli, world: World) -> None:
    again = wcli.ok("import", str(world.file))
    assert "0 added" in again.out, str(again)
    assert "0 syncs added" in again.out, str(again)
    assert "0 log entries added" in again.out, str(again)
    skipped = [line for line in again.out.splitlines() if DEL_ID in line]
    assert skipped and "skip" in skipped[0].lower(), str(again)
    assert wcli.json("list", "--all") == world.snapshot


def test_import_update_keeps_fields_left_out(wcli: Cli, world: World, tmp_path: Path) -> None:
    # Only the required fields: enabled, filters_configured etc. keep their stored values.
    record = {
        "id": OFF_ID,
        "tool": "personio",
        "category": "HRIS",
        "organization": "Iota KG (renamed)",
        "created_at": at(days=-10),
    }
    path = write_json(tmp_path / "partial.json", {"integrations": [record]})
    result = wcli.ok("import", str(path), now=later(minutes=5))
    assert "1 updated" in result.out, str(result)
    rows = wcli.by_id(now=later(minutes=5))
    assert rows[OFF_ID]["organization"] == "Iota KG (renamed)"
    assert rows[OFF_ID]["status"] == "INACTIVE"
    assert rows[OFF_ID]["setup_status"] == "COMPLETED"
    assert rows[OFF_ID]["last_sync_state"] == "SUCCEEDED"
    for iid in set(WORLD_STATES) - {OFF_ID}:
        assert rows[iid] == world.by_id[iid]


def test_import_from_stdin(cli: Cli) -> None:
    doc = document(
        integration(
            "recruitee:in01",
            "Stdin GmbH",
            category="ATS",
            # Times with another offset are stored (and shown) in UTC.
            created="2026-11-10T10:00:00+01:00",
            syncs=[
                sync("in01-s1", "SUCCEEDED", "2026-11-20T11:00:00+02:00", at(hours=-1)),
            ],
        )
    )
    result = cli.ok("import", "-", input=json.dumps(doc))
    assert "1 added" in result.out, str(result)
    shown = cli.json("show", "recruitee:in01")
    assert shown["status"] == "ACTIVE"
    assert shown["organization"] == "Stdin GmbH"
    assert [s["id"] for s in shown["syncs"]] == ["in01-s1"]
    assert shown["syncs"][0]["started_at"] in ("2026-11-20T09:00:00Z", "2026-11-20T09:00:00+00:00")
    assert parse_time(shown["created_at"]) == datetime(2026, 11, 10, 9, 0, tzinfo=UTC)

    bad = cli("import", "-", input='{"integrations": [{"id": "x:1"}]}')
    assert bad.code == 2, str(bad)
    assert "stdin" in bad.err, str(bad)
    assert "integrations[0]" in bad.err, str(bad)


def test_bad_file_imports_nothing(wcli: Cli, world: World, tmp_path: Path) -> None:
    bad = document(
        integration(
            "recruitee:new01",
            "New Co",
            category="ATS",
            syncs=[sync("new01-s1", "EXPLODED", at(hours=-2), at(hours=-1))],
        ),
        # A valid update to an existing integration: must not be applied either.
        integration(OK_ID, "Acme Renamed GmbH", last_api_request_at=at(minutes=-1)),
    )
    path = write_json(tmp_path / "bad-state.json", bad)
    result = wcli("import", str(path))
    assert result.code == 2, str(result)
    assert "bad-state.json" in result.err, str(result)
    assert "integrations[0].syncs[0].state" in result.err, str(result)
    assert wcli.json("list", "--all") == world.snapshot


def test_multi_file_import_with_a_bad_second_file_imports_nothing(
    wcli: Cli, world: World, tmp_path: Path
) -> None:
    good = write_json(
        tmp_path / "good.json",
        document(integration("recruitee:good01", "Good Co", category="ATS")),
    )
    bad = write_json(
        tmp_path / "second-bad.json",
        document(integration("recruitee:bad01", "Bad Co", created="2026-11-01T09:00:00")),
    )
    result = wcli("import", str(good), str(bad))
    assert result.code == 2, str(result)
    assert "second-bad.json" in result.err, str(result)
    assert "integrations[0].created_at" in result.err, str(result)
    assert wcli.json("list", "--all") == world.snapshot


#: Invalid import files: (name, content, the JSON path the error must name or None).
INVALID_FILES: list[tuple[str, Any, str | None]] = [
    (
        "naive-time",
        document(integration("x:1", "X", created="2026-11-01T09:00:00")),
        "integrations[0].created_at",
    ),
    (
        "ended-before-started",
        document(integration("x:1", "X", syncs=[sync("s1", "FAILED", at(hours=-1), at(hours=-2))])),
        "integrations[0].syncs[0].ended_at",
    ),
    (
        "finished-without-end",
        document(integration("x:1", "X", syncs=[sync("s1", "FAILED", at(hours=-1), None)])),
        "integrations[0].syncs[0].ended_at",
    ),
    (
        "missing-category",
        {
            "integrations": [
                {"id": "x:1", "tool": "x", "organization": "X", "created_at": at(days=-1)}
            ]
        },
        "integrations[0].category",
    ),
    (
        "bad-log-level",
        document(
            integration(
                "x:1",
                "X",
                syncs=[
                    sync(
                        "s1",
                        "SUCCEEDED",
                        at(hours=-2),
                        at(hours=-1),
                        logs=[log(at(hours=-1), "DEBUG", "hello")],
                    )
                ],
            )
        ),
        "integrations[0].syncs[0].logs[0].level",
    ),
    ("not-json", "this is { not json", None),
]


def test_invalid_import_files_are_rejected_naming_file_and_path(
    tmp_path: Path, pycache: Path
) -> None:
    # One database per file: they run side by side (two processes creating the same new
    # SQLite file at once is not what this test is about).
    calls = []
    for case, content, _ in INVALID_FILES:
        root = tmp_path / case
        root.mkdir()
        path = root / f"{case}.json"
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            write_json(path, content)
        calls.append(partial(Cli(root, pycache, root / "sw.db"), "import", str(path)))
    for (case, _, where), result in zip(INVALID_FILES, run_many(calls), strict=True):
        assert result.code == 2, str(result)
        assert f"{case}.json" in result.err, str(result)
        if where is not None:
            assert where in result.err, str(result)


def test_missing_import_file_is_rejected(cli: Cli, tmp_path: Path) -> None:
    result = cli("import", str(tmp_path / "nowhere.json"))
    assert result.code == 2, str(result)
    assert "nowhere.json" in result.err, str(result)


# --------------------------------------------------------------------------- over time


def test_trailing_auth_failures_become_credentials_invalid_after_72_hours(wcli: Cli) -> None:
    # At T (1 h after the failure) it is AUTHENTICATION_FAILING: see the world snapshot.
    # 71 h after the failure: still nothing to change.
    assert wcli.json("evaluate", now=later(hours=70)) == []
    # 72 h after the failure: credentials invalid, and the transition is printed.
    result = wcli.ok("evaluate", now=later(hours=71))
    lines = [line for line in result.out.splitlines() if AUTH_ID in line]
    assert len(lines) == 1, str(result)
    assert "AUTHENTICATION_FAILING" in lines[0] and "CREDENTIALS_INVALID" in lines[0], str(result)
    assert "1 transition" in result.out, str(result)

    shown = wcli.json("show", AUTH_ID, now=later(hours=72))
    assert shown["status"] == "CREDENTIALS_INVALID"
    assert shown["api_status"] == "INVALID"
    assert parse_time(shown["status_since"]) == later(hours=71)
    assert f"syncwatch update-credentials {AUTH_ID}" in shown["next_step"]
    # Active from its creation, failing from the failed sync's end, invalid at the mark.
    assert [(h["from"], h["to"]) for h in shown["history"]] == [
        (None, "ACTIVE"),
        ("ACTIVE", "AUTHENTICATION_FAILING"),
        ("AUTHENTICATION_FAILING", "CREDENTIALS_INVALID"),
    ]
    assert [parse_time(h["at"]) for h in shown["history"]] == [
        parse_time(shown["created_at"]),
        later(hours=-1),
        later(hours=71),
    ]

    # New credentials: no sync since, so ACTIVE again.
    wcli.ok("update-credentials", AUTH_ID, now=later(hours=73))
    shown = wcli.json("show", AUTH_ID, now=later(hours=73))
    assert shown["status"] == "ACTIVE"
    assert shown["api_status"] == "ACTIVE"
    assert shown["history"][-1]["from"] == "CREDENTIALS_INVALID"
    assert shown["history"][-1]["to"] == "ACTIVE"
    assert parse_time(shown["history"][-1]["at"]) == later(hours=73)


def test_development_integration_goes_inactive_after_14_days(wcli: Cli) -> None:
    # Its last API request was at T - 5 d: the 14 days end at T + 9 d.
    early = wcli.json("evaluate", now=later(days=9, minutes=-1))
    assert DEV_ID not in {t["id"] for t in early}, early
    due = wcli.json("evaluate", now=later(days=9))
    mine = [t for t in due if t["id"] == DEV_ID]
    assert len(mine) == 1, due
    assert (mine[0]["from"], mine[0]["to"]) == ("ACTIVE", "INACTIVE")
    assert "14 days" in mine[0]["reason"]
    assert parse_time(mine[0]["at"]) == later(days=9)

    # A month on, the production integration with an old last request is still enabled.
    inactive = {r["id"]: r for r in wcli.json("list", "--status", "INACTIVE", now=later(days=30))}
    assert set(inactive) == {DEV_ID, OFF_ID}
    assert inactive[DEV_ID]["api_status"] == "INACTIVE"
    assert "14 days" in inactive[DEV_ID]["status_reason"]

    wcli.ok("reactivate", DEV_ID, now=later(days=30))
    shown = wcli.json("show", DEV_ID, now=later(days=30, hours=1))
    assert shown["status"] == "ACTIVE"
    assert [(h["from"], h["to"]) for h in shown["history"]] == [
        (None, "ACTIVE"),
        ("ACTIVE", "INACTIVE"),
        ("INACTIVE", "ACTIVE"),
    ]


def test_purge_14_days_after_deletion_keeps_the_tombstone(wcli: Cli) -> None:
    # Deleted at T - 1 d: purged at T + 13 d.
    before = wcli.json("show", DEL_ID, now=later(days=13, minutes=-1))
    assert before["status"] == "DELETED"
    assert [s["id"] for s in before["syncs"]] == ["del01-s1"]
    assert "syncwatch" not in before["next_step"]  # deletion is final: nothing to run
    assert len(wcli.json("logs", DEL_ID, now=later(days=13, minutes=-1))) == 1

    wcli.ok("evaluate", now=later(days=13))
    after = wcli.json("show", DEL_ID, now=later(days=13, minutes=1))
    assert after["status"] == "DELETED"
    assert after["syncs"] == []
    assert after["history"] == before["history"]
    assert wcli.json("logs", DEL_ID, now=later(days=13, minutes=1)) == []
    listed = wcli.by_id(now=later(days=13, minutes=1))
    assert listed[DEL_ID]["status"] == "DELETED"
    assert listed[DEL_ID]["api_status"] is None


# --------------------------------------------------------------------------- list


def test_text_from_data_is_printed_as_written_never_as_markup(cli: Cli) -> None:
    name = "Bracket [bold]Co[/bold] [link=http://x]y[/link]"
    doc = document(
        integration(
            "recruitee:mk01",
            name,
            syncs=[
                sync(
                    "mk01-s1",
                    "FAILED",
                    at(hours=-2),
                    at(hours=-1),
                    logs=[log(at(hours=-1), "ERROR", "got [red]500[/red]", "[b]field[/b]")],
                )
            ],
        )
    )
    cli.ok("import", "-", input=json.dumps(doc))
    assert name in cli.ok("list").out
    assert name in cli.ok("show", "recruitee:mk01").out
    logs = cli.ok("logs", "recruitee:mk01").out
    assert "got [red]500[/red]" in logs and "[[b]field[/b]]" in logs, logs


def test_list_json_fields(wcli: Cli, world: World) -> None:
    rows = world.by_id
    for row in world.snapshot:
        assert set(row) >= LIST_FIELDS, sorted(LIST_FIELDS - set(row))
        assert isinstance(row["status_reason"], str) and row["status_reason"], row
        for key in ("status_since", "last_sync_ended_at"):
            if row[key] is not None:
                assert ISO_UTC.match(row[key]), (key, row[key])
        # Since when the state began by the rules: never before creation, never after now.
        assert parse_time(row["created_at"]) <= parse_time(row["status_since"]) <= T, row
    # True times in state: the failing sync's end, the first failure's, the 72-hour mark,
    # the first sync's end (QA), creation (no filters).
    assert {i: parse_time(rows[i]["status_since"]) for i in (FAIL_ID, AUTH_ID, CRED_ID)} == {
        FAIL_ID: later(hours=-3),
        AUTH_ID: later(hours=-1),
        CRED_ID: later(days=-4, minutes=5) + timedelta(hours=72),
    }
    assert parse_time(rows[QA_ID]["status_since"]) == later(days=-1, minutes=40)
    assert rows[SETUP_ID]["status_since"] == rows[SETUP_ID]["created_at"]
    for key in ("api_status", "setup_status", "qa_status"):
        assert rows[DEL_ID][key] is None, rows[DEL_ID]
        assert all(r[key] is not None for r in world.snapshot if r["id"] != DEL_ID), key

    ok = rows[OK_ID]
    assert (ok["tool"], ok["category"], ok["organization"], ok["environment"]) == (
        "personio",
        "HRIS",
        "Acme GmbH",
        "production",
    )
    assert (ok["api_status"], ok["setup_status"], ok["qa_status"]) == (
        "ACTIVE",
        "COMPLETED",
        "PASSED",
    )
    assert ok["last_sync_state"] == "SUCCEEDED"
    assert parse_time(ok["last_sync_ended_at"]) == later(minutes=-50)
    assert rows[DEV_ID]["environment"] == "development"
    assert rows[SETUP_ID]["setup_status"] == "INCOMPLETE"
    assert rows[SETUP_ID]["qa_status"] == "PENDING"
    assert rows[SETUP_ID]["last_sync_state"] is None
    assert rows[SETUP_ID]["last_sync_ended_at"] is None
    assert rows[QA_ID]["qa_status"] == "FAILED"
    assert rows[CRED_ID]["api_status"] == "INVALID"
    assert rows[OFF_ID]["api_status"] == "INACTIVE"
    assert rows[AUTH_ID]["last_sync_state"] == "AUTHENTICATION_FAILED"

    # Without --all the deleted one is left out.
    listed = wcli.json("list")
    assert {r["id"] for r in listed} == set(WORLD_STATES) - {DEL_ID}


def test_list_status_filter_is_repeatable_and_case_insensitive(wcli: Cli) -> None:
    picked = wcli.json("list", "--status", "sync_failing", "--status", "Authentication_Failing")
    assert {r["id"] for r in picked} == {FAIL_ID, AUTH_ID}
    picked = wcli.json("list", "--all", "--status", "deleted", "--status", "INACTIVE")
    assert {r["id"] for r in picked} == {DEL_ID, OFF_ID}
    table = wcli.ok("list")
    assert OK_ID in table.out and SETUP_ID in table.out, str(table)
    assert DEL_ID not in table.out, str(table)


# --------------------------------------------------------------------------- show


def test_show_json_history_syncs_and_audit(wcli: Cli) -> None:
    wcli.ok("deactivate", OK_ID, now=later(hours=1))
    wcli.ok("reactivate", OK_ID, now=later(hours=2))
    shown = wcli.json("show", OK_ID, now=later(hours=3))
    assert LIST_FIELDS | {"next_step", "history", "syncs"} <= set(shown)
    assert shown["id"] == OK_ID and shown["status"] == "ACTIVE"
    assert "syncwatch" not in shown["next_step"]  # ACTIVE: no command to run

    history = shown["history"]
    assert all(set(h) >= {"from", "to", "at", "reason"} for h in history), history
    # From its creation; warnings from the end of the sync that had them until the next
    # good sync ended; then the operator's actions at their times.
    assert [(h["from"], h["to"]) for h in history] == [
        (None, "ACTIVE"),
        ("ACTIVE", "SYNC_HAS_WARNINGS"),
        ("SYNC_HAS_WARNINGS", "ACTIVE"),
        ("ACTIVE", "INACTIVE"),
        ("INACTIVE", "ACTIVE"),
    ]
    assert [parse_time(h["at"]) for h in history] == [
        parse_time(shown["created_at"]),
        later(days=-2, minutes=10),
        later(minutes=-50),
        later(hours=1),
        later(hours=2),
    ]
    assert all(ISO_UTC.match(h["at"]) for h in history), history
    assert "set inactive by an operator" in history[3]["reason"]

    syncs = shown["syncs"]
    assert [s["id"] for s in syncs] == ["ok01-s3", "ok01-s2", "ok01-s1"]  # newest first
    assert all(
        set(s) >= {"id", "type", "state", "started_at", "ended_at", "warnings", "errors"}
        for s in syncs
    )
    assert [(s["state"], s["warnings"], s["errors"]) for s in syncs] == [
        ("SUCCEEDED", 0, 0),
        ("PARTIALLY_FAILED", 2, 1),
        ("SUCCEEDED", 0, 0),
    ]
    assert syncs[2]["type"] == "FULL" and syncs[0]["type"] == "DELTA"
    assert parse_time(syncs[1]["started_at"]) == later(days=-2)
    assert all(ISO_UTC.match(s["started_at"]) and ISO_UTC.match(s["ended_at"]) for s in syncs)

    # The audit log: who, what, when, before and after.
    audit = shown.get("audit")
    assert audit is not None, "show --json exposes no audit log"
    assert [(a["action"], a["state_before"], a["state_after"]) for a in audit] == [
        ("deactivate", "ACTIVE", "INACTIVE"),
        ("reactivate", "INACTIVE", "ACTIVE"),
    ]
    assert {a["actor"] for a in audit} == {"e2e-operator"}

    text = wcli.ok("show", OK_ID, now=later(hours=3))
    assert OK_ID in text.out and "Acme GmbH" in text.out, str(text)
    assert "ok01-s2" in text.out, str(text)


def shown_facts(text: str) -> dict[str, str]:
    """The facts block of ``show``'s text (between the next step and the history), by name."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  Next step: "))
    end = lines.index("History")
    return {line[2:22].rstrip(): line[23:] for line in lines[start + 1 : end]}


def test_show_lists_the_facts_in_the_drill_downs_order_and_words(wcli: Cli) -> None:
    text = wcli.ok("show", OK_ID, now=later(hours=3)).out
    assert text.splitlines()[0].endswith(f"Acme GmbH  {OK_ID}  ·  personio · HRIS · production")
    assert shown_facts(text) == {
        "last sync": "succeeded, ended Nov 20 11:10 (3 h 50 min ago); 0 warnings, 0 errors",
        "in state since": "Nov 20 11:10 (3 h 50 min ago)",  # the last good sync's end
        "api view": "status ACTIVE, setup COMPLETED, qa PASSED",
        "enabled": "yes",
        "filters": "configured",
        "last API request": "4 h 0 min ago",
        "credentials updated": "never",
        "created": "Nov 10 12:00",
    }

    invalid = shown_facts(wcli.ok("show", CRED_ID, now=later(hours=1)).out)
    assert invalid["credentials invalid"].startswith("since Nov ")
    wcli.ok("update-credentials", CRED_ID, now=later(hours=1))
    updated = shown_facts(wcli.ok("show", CRED_ID, now=later(hours=3)).out)
    assert updated["credentials updated"] == "2 h 0 min ago"  # relative, as in the UI
    assert "credentials invalid" not in updated

    deleted = shown_facts(wcli.ok("show", DEL_ID).out)
    assert deleted["deleted"] == "Nov 19 12:00 (data purged 14 days later; deletion is final)"
    assert deleted["api view"] == "none (deleted: the API answers 404)"


def test_show_next_step_names_the_command(wcli: Cli) -> None:
    steps = {
        SETUP_ID: "configure-filters",
        QA_ID: "release-qa",
        CRED_ID: "update-credentials",
        OFF_ID: "reactivate",
    }
    results = run_many([partial(wcli, "show", iid, "--json") for iid in steps])
    for (iid, command), result in zip(steps.items(), results, strict=True):
        assert result.code == 0, str(result)
        shown = result.json()
        assert shown["status"] == WORLD_STATES[iid]
        assert f"syncwatch {command} {iid}" in shown["next_step"], shown["next_step"]


# --------------------------------------------------------------------------- logs


def test_logs_newest_first_filtered_and_redacted(wcli: Cli, world: World) -> None:
    entries = wcli.json("logs", OK_ID)
    assert len(entries) == 6
    times = [parse_time(e["at"]) for e in entries]
    assert times == sorted(times, reverse=True)
    assert entries[0]["sync_id"] == "ok01-s3"
    assert entries[-1]["sync_id"] == "ok01-s1"
    assert all(ISO_UTC.match(e["at"]) for e in entries)

    # Secrets are gone from what was stored; the rest of the message is kept.
    messages = " | ".join(e["message"] for e in entries)
    assert SECRET_TOKEN not in messages and SECRET_PASSWORD not in messages, messages
    assert "Retrying after 401 with Authorization" in messages
    assert "Absence request failed" in messages
    stored = b"".join(
        Path(f"{world.db}{suffix}").read_bytes()
        for suffix in ("", "-wal")
        if Path(f"{world.db}{suffix}").exists()
    )
    assert SECRET_TOKEN.encode() not in stored
    assert SECRET_PASSWORD.encode() not in stored

    of_sync = wcli.json("logs", OK_ID, "--sync", "ok01-s2")
    assert [e["sync_id"] for e in of_sync] == ["ok01-s2"] * 4
    assert [e["level"] for e in of_sync] == ["ERROR", "WARNING", "WARNING", "INFO"]

    serious = wcli.json("logs", OK_ID, "--level", "WARNING")
    assert sorted(e["level"] for e in serious) == ["ERROR", "WARNING", "WARNING"]

    text = wcli.ok("logs", OK_ID, "--level", "ERROR")
    assert "Absence request failed" in text.out, str(text)
    assert "Fetched 121 employees" not in text.out, str(text)
    assert SECRET_PASSWORD not in text.out

    foreign = wcli("logs", OK_ID, "--sync", "fail01-s2")
    assert foreign.code == 1, str(foreign)
    assert "fail01-s2" in foreign.err, str(foreign)


# --------------------------------------------------------------------------- actions


def test_every_operator_action_succeeds_when_allowed(wcli: Cli, world: World) -> None:
    when = later(hours=1)
    actions = [
        ("deactivate", OK_ID),
        ("reactivate", OFF_ID),
        ("release-qa", QA_ID),
        ("update-credentials", CRED_ID),
        ("configure-filters", SETUP_ID),
        ("delete", "--yes", FAIL_ID),
    ]
    # Each acts on another integration: they may run side by side.
    results = run_many([partial(wcli, *args, now=when) for args in actions])
    for args, result in zip(actions, results, strict=True):
        assert result.code == 0, str(result)
        assert args[-1] in result.out, str(result)

    rows = wcli.by_id(now=when)
    expected = {
        OK_ID: ("INACTIVE", "INACTIVE", "COMPLETED", "PASSED"),
        OFF_ID: ("ACTIVE", "ACTIVE", "COMPLETED", "PASSED"),
        QA_ID: ("SYNC_HAS_WARNINGS", "ACTIVE", "COMPLETED", "PASSED"),
        CRED_ID: ("ACTIVE", "ACTIVE", "COMPLETED", "PASSED"),
        SETUP_ID: ("ACTIVE", "ACTIVE", "FINAL_SYNC_PENDING", "PENDING"),
        FAIL_ID: ("DELETED", None, None, None),
    }
    for iid, want in expected.items():
        row = rows[iid]
        got = (row["status"], row["api_status"], row["setup_status"], row["qa_status"])
        assert got == want, (iid, row)
        assert parse_time(row["status_since"]) == when, row
    assert "set inactive by an operator" in rows[OK_ID]["status_reason"]
    # The others are untouched.
    for iid in set(WORLD_STATES) - set(expected):
        assert rows[iid] == world.by_id[iid]


def test_refused_actions_say_why_and_change_nothing(wcli: Cli, world: World) -> None:
    cases: list[tuple[tuple[str, ...], dict[str, str]]] = [
        (("reactivate", OK_ID, DEL_ID), {OK_ID: "enabled", DEL_ID: "deleted"}),
        (("deactivate", OFF_ID), {OFF_ID: "inactive"}),
        (("release-qa", OK_ID), {OK_ID: "quality assurance"}),
        (("configure-filters", OK_ID), {OK_ID: "filters"}),
        (("update-credentials", DEL_ID), {DEL_ID: "deleted"}),
        (("delete", "--yes", DEL_ID), {DEL_ID: "deleted"}),
    ]
    results = run_many([partial(wcli, *args, now=later(hours=1)) for args, _ in cases])
    for (_, reasons), result in zip(cases, results, strict=True):
        assert result.code == 1, str(result)
        assert result.out.strip() == "", str(result)
        err_lines = result.err.lower().splitlines()
        for iid, why in reasons.items():
            assert any(iid in line and why in line for line in err_lines), (iid, why, str(result))
    assert wcli.json("list", "--all") == world.snapshot


def test_delete_without_yes_and_without_a_tty_deletes_nothing(wcli: Cli, world: World) -> None:
    result = wcli("delete", FAIL_ID, stdin=subprocess.DEVNULL)
    assert result.code == 2, str(result)
    assert "--yes" in result.err, str(result)
    assert wcli.json("list", "--all") == world.snapshot


def test_unknown_id_exits_1_for_show_logs_and_every_action(wcli: Cli) -> None:
    commands = [
        ("show", "nobody:here"),
        ("logs", "nobody:here"),
        ("reactivate", "nobody:here"),
        ("deactivate", "nobody:here"),
        ("release-qa", "nobody:here"),
        ("update-credentials", "nobody:here"),
        ("configure-filters", "nobody:here"),
        ("delete", "--yes", "nobody:here"),
        ("delete", "nobody:here"),
    ]
    results = run_many([partial(wcli, *args, stdin=subprocess.DEVNULL) for args in commands])
    for result in results:
        assert result.code == 1, str(result)
        assert "nobody:here" in result.err, str(result)


# --------------------------------------------------------------------------- bad usage


def test_bad_usage_exits_2_with_a_message(cli: Cli) -> None:
    now = ("--now", "2026-11-20T12:00:00Z")
    cases: list[tuple[tuple[str, ...], str]] = [
        (("frobnicate",), "frobnicate"),
        (("--now", "yesterday", "list"), "yesterday"),
        (("--now", "2026-11-20T12:00:00", "list"), "zone"),
        ((*now, "list", "--status", "GREEN"), "GREEN"),
        ((*now, "logs", OK_ID, "--level", "DEBUG"), "DEBUG"),
        ((*now, "show"), "id"),
        ((*now, "import"), "FILE"),
    ]
    results = run_many([partial(cli, *args, now=None) for args, _ in cases])
    for (_, mentions), result in zip(cases, results, strict=True):
        assert result.code == 2, str(result)
        assert mentions in result.err, str(result)
    assert cli.db is not None and not cli.db.exists(), "bad usage must not touch the database"


def test_out_of_range_now_is_bad_usage(cli: Cli) -> None:
    # Valid ISO 8601 with a zone, but before the first representable UTC instant.
    result = cli("list", now="0001-01-01T00:00:00+01:00")
    assert result.code == 2, str(result)
    assert "0001-01-01" in result.err, str(result)


@pytest.mark.parametrize(
    ("case", "created", "ok_codes"),
    [
        # Not representable in UTC: must be rejected as invalid input.
        ("before-year-1", "0001-01-01T00:30:00+01:00", {2}),
        # Representable, but the 14-day rule's deadline is not: accept it or reject it.
        ("end-of-time", "9999-12-31T23:00:00Z", {0, 2}),
    ],
    ids=["before-year-1", "end-of-time"],
)
def test_out_of_range_times_in_an_import_file(
    cli: Cli, tmp_path: Path, case: str, created: str, ok_codes: set[int]
) -> None:
    doc = document(integration("x:1", "X", created=created, environment="development"))
    path = write_json(tmp_path / f"{case}.json", doc)
    result = cli("import", str(path))
    assert result.code in ok_codes, str(result)
    if result.code == 2:
        assert f"{case}.json" in result.err, str(result)


# --------------------------------------------------------------------------- the database


@pytest.mark.parametrize("kind", ["random-bytes", "text-file", "truncated"])
def test_corrupt_database_exits_2_with_a_clear_message(cli: Cli, world: World, kind: str) -> None:
    assert cli.db is not None
    if kind == "random-bytes":
        content = random.Random(1234).randbytes(8192)
    elif kind == "text-file":
        content = b"these are my notes, not a database\n" * 100
    else:  # a real syncwatch database cut in half (a disk filled up, a bad copy)
        whole = world.db.read_bytes()
        content = whole[: len(whole) // 2]
    cli.db.write_bytes(content)
    result = cli("list", "--json")
    assert result.code == 2, str(result)
    assert result.out == "", str(result)
    message = result.err.lower()
    assert "corrupt" in message or "not a database" in message, str(result)
    assert cli.db.read_bytes() == content, "the unreadable file must be left as it was"


def test_unreachable_database_url_exits_2_without_showing_the_password(cli: Cli) -> None:
    """A PostgreSQL URL (the README's example) that cannot be used: driver or server missing."""
    url = "postgresql+psycopg://syncwatch:s3cretPw@127.0.0.1:1/syncwatch"
    result = cli("--db", url, "list", "--json", use_db=False)
    assert result.code == 2, str(result)
    assert "database" in result.err.lower(), str(result)
    assert "s3cretPw" not in result.err, str(result)


def test_database_path_that_is_a_directory_exits_2(cli: Cli) -> None:
    assert cli.db is not None
    cli.db.mkdir(parents=True)
    result = cli("list", "--json")
    assert result.code == 2, str(result)
    assert "database" in result.err.lower(), str(result)


def test_locked_database_exits_2_saying_locked(wcli: Cli, world: World) -> None:
    """Another connection holds an exclusive lock; the action waits its busy timeout (~10 s)."""
    assert wcli.db is not None
    extra = write_json(
        wcli.root / "extra.json", document(integration("recruitee:late01", "Late Co"))
    )
    holder = sqlite3.connect(wcli.db, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        # An action and an import wait side by side, so the busy timeout is paid once.
        results = run_many(
            [
                partial(wcli, "deactivate", OK_ID, timeout=90),
                partial(wcli, "import", str(extra), timeout=90),
            ]
        )
    finally:
        holder.rollback()
        holder.close()
    for result in results:
        assert result.code == 2, str(result)
        # Exiting 2 with "locked" is giving up by itself: a hang would meet the timeout.
        assert "locked" in result.err.lower(), str(result)
    # Nothing changed.
    assert wcli.json("list", "--all") == world.snapshot


# --------------------------------------------------------------------------- environment


def test_env_vars_syncwatch_db_and_now_are_honoured(wcli: Cli) -> None:
    assert wcli.db is not None
    # SYNCWATCH_DB as an SQLAlchemy URL (elsewhere --db is a plain path).
    env = {"SYNCWATCH_DB": f"sqlite:///{wcli.db}", "SYNCWATCH_NOW": ts(later(hours=71))}
    # --now wins over SYNCWATCH_NOW: at T nothing has changed yet.
    rows = wcli.json("list", "--status", "CREDENTIALS_INVALID", use_db=False, env=env)
    assert {r["id"] for r in rows} == {CRED_ID}
    # Without --db and --now both come from the environment: at T + 71 h the auth failure
    # is 72 h old.
    rows = wcli.json("list", "--status", "CREDENTIALS_INVALID", use_db=False, now=None, env=env)
    assert {r["id"] for r in rows} == {CRED_ID, AUTH_ID}
    assert not wcli.default_db.exists(), "SYNCWATCH_DB given: the default database is not used"

    bad = wcli("list", use_db=False, now=None, env={**env, "SYNCWATCH_NOW": "yesterday"})
    assert bad.code == 2, str(bad)
    assert "SYNCWATCH_NOW" in bad.err or "yesterday" in bad.err, str(bad)


def test_default_database_is_created_with_the_sample(cli: Cli) -> None:
    assert not cli.default_db.exists()
    rows = cli.json("list", "--all", use_db=False, now=None)
    assert cli.default_db.exists()
    assert {r["status"] for r in rows} == ALL_STATES
    sample = Path(__file__).resolve().parents[1] / "sample_data" / "integrations.json"
    if sample.exists():
        expected = {i["id"] for i in json.loads(sample.read_text("utf-8"))["integrations"]}
        assert {r["id"] for r in rows} == expected


def test_console_script_help(cli: Cli) -> None:
    script = Path(sys.executable).with_name("syncwatch")
    if not script.exists():
        pytest.skip("the syncwatch console script is not installed next to the interpreter")
    proc = subprocess.run(
        [str(script), "--help"],
        capture_output=True,
        text=True,
        env=cli.env(),
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    for command in ("import", "evaluate", "list", "show", "logs", "delete"):
        assert command in proc.stdout
