"""Commands pay only for what they use (issue 13).

``--help`` builds its parser without the database package; ``list``, ``show`` and ``logs``
read a SQLite file at the schema head with the standard library alone
(:mod:`syncwatch.fastread`) when a pass would have nothing to do, and print exactly what the
``Store`` path prints then. When a pass has work, or the database is anything else, the
``Store`` path runs as it always did (the pass runs and is stored, notes on stderr).

What is imported is checked in fresh interpreters: a small wrapper runs ``python -m
syncwatch`` and writes, at exit, which heavy packages were loaded. The same wrapper can run
the ``Store`` path on purpose (``FastReader.open`` answering ``None``, as it does for a
database it cannot serve) to compare the two outputs byte for byte.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import cli_probe
from builders import NOW, integration_record, log_record, sync_record
from cli_probe import ORM, Run
from syncwatch.actions import Action, perform
from syncwatch.cli import main
from syncwatch.cli.actions import ACTION_HELP
from syncwatch.clock import iso
from syncwatch.db import Store, tables
from syncwatch.db.kombo import insert_issue
from syncwatch.fastread import FastReader
from syncwatch.importer import import_files, load_sample
from syncwatch.states import IntegrationState

#: What --help and --json must not load: the ORM and the UI, Rich, nor serve's web server.
HEAVY = (*ORM, "rich", "aiohttp", "textual_serve")

ESC = "\x1b"
EVIL = f"evil:{ESC}[2J\u202e"
EVIL_ORG = f"Org {ESC}[31m\x9b2J\x7f\u200b\u2028[bold]x[/bold]"
EVIL_MESSAGE = f"boom {ESC}]8;;https://evil.example{ESC}\\link\r\x07 \u2029 [/]"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample at ``NOW`` plus a hostile integration with a sync, log entries,
    Kombo issues (open and resolved), an operator action, and one integration gone from
    Kombo; evaluated, so that nothing is due at ``NOW``."""
    root = tmp_path_factory.mktemp("world")
    path = root / "world.db"
    store = Store.open(path)
    try:
        load_sample(store, NOW)
        record = integration_record(
            EVIL,
            tool=f"tool{ESC}[5m",
            organization=EVIL_ORG,
            filters_configured=True,
            syncs=[
                sync_record(
                    f"sync{ESC}[K",
                    "FAILED",
                    NOW - timedelta(hours=2),
                    logs=[
                        log_record(NOW - timedelta(hours=2), "ERROR", EVIL_MESSAGE, field="f\x07"),
                        log_record(NOW - timedelta(hours=2), "INFO", "[red]not markup[/red]"),
                    ],
                )
            ],
        )
        source = root / "evil.json"
        source.write_text(json.dumps({"integrations": [record]}), encoding="utf-8")
        import_files(store, [str(source)], NOW)
        ids = [r.id for r in store.integrations()]
        perform(store, Action.DEACTIVATE, ids[3], NOW)
        with store.write() as conn:
            for k, (iid, status) in enumerate(
                [(EVIL, "OPEN"), (EVIL, "RESOLVED"), (ids[0], "OPEN"), (None, "OPEN")]
            ):
                insert_issue(
                    conn,
                    {
                        "id": f"iss{k}",
                        "integration_id": iid,
                        "type": "integration.sync_failed",
                        "title": f"title {k} {ESC}[1m[b]",
                        "status": status,
                        "message": f"{EVIL_MESSAGE}\nsecond line",
                        "first_observed_at": NOW - timedelta(hours=k + 1),
                        "resolved_at": NOW - timedelta(minutes=5) if status == "RESOLVED" else None,
                        "updated_at": NOW,
                    },
                )
            conn.execute(
                tables.integrations.update()
                .where(tables.integrations.c.id.in_([EVIL, ids[1]]))
                .values(
                    upstream_gone_at=NOW - timedelta(hours=1),
                    upstream_status="ACTIVE",
                    upstream_checked_at=NOW - timedelta(hours=1),
                )
            )
    finally:
        store.close()
    reader = FastReader.open(path)
    assert reader is not None
    with reader:
        assert not reader.work_due(NOW), "the fixture must leave nothing to do at NOW"
    return path


@pytest.fixture
def db(world: Path, tmp_path: Path) -> Path:
    """A private copy of the world (Store.close() left no WAL beside it)."""
    copy = tmp_path / "world.db"
    copy.write_bytes(world.read_bytes())
    return copy


def run(tmp_path: Path, *args: str, store_path: bool = False, **env: str) -> Run:
    """``python -m syncwatch ARGS`` in a fresh interpreter (``store_path``: the Store path)."""
    return cli_probe.run(tmp_path, *args, watched=HEAVY, store_path=store_path, **env)


def at(t: datetime) -> str:
    return iso(t) or ""


def _file_state(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


# --------------------------------------------------------------------------- what is imported


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["list", "--help"],
        ["show", "--help"],
        ["trigger-sync", "--help"],
        ["serve", "--help"],
    ],
)
def test_help_loads_nothing_heavy(tmp_path: Path, args: list[str]) -> None:
    result = run(tmp_path, *args)
    assert result.code == 0, result.err
    assert "usage: syncwatch" in result.out
    assert result.loaded == set()


def test_help_lists_every_command(tmp_path: Path) -> None:
    out = run(tmp_path, "--help").out
    for command in ("import", "list", "show", "logs", "watch", *ACTION_HELP, "relink-link"):
        assert command in out
    for description in ACTION_HELP.values():
        assert description in " ".join(out.split())


def test_reading_with_nothing_due_loads_no_orm_and_changes_nothing(
    tmp_path: Path, db: Path
) -> None:
    before = _file_state(db)
    common = ["--db", str(db), "--now", at(NOW)]
    for args in (
        ["list", "--json"],
        ["list", "--all", "--status", "deleted", "--json"],
        ["show", EVIL, "--json"],
        ["logs", EVIL, "--json"],
    ):
        result = run(tmp_path, *common, *args)
        assert result.code == 0, result.err
        assert result.err == ""
        assert json.loads(result.out)
        assert result.loaded == set(), args
    for args in (["list"], ["show", EVIL], ["logs", EVIL]):
        result = run(tmp_path, *common, *args)
        assert result.code == 0, result.err
        assert result.loaded <= {"rich"}, args
    # Read only: the database file is as it was, byte for byte and mtime.
    assert _file_state(db) == before


def test_unknown_id_with_nothing_due_exits_1_without_the_orm(tmp_path: Path, db: Path) -> None:
    for command in ("show", "logs"):
        fast = run(tmp_path, "--db", str(db), "--now", at(NOW), command, "nope:x", "--json")
        store = run(
            tmp_path,
            "--db",
            str(db),
            "--now",
            at(NOW),
            command,
            "nope:x",
            "--json",
            store_path=True,
        )
        assert fast.loaded == set()
        assert (fast.code, fast.out, fast.err) == (store.code, store.out, store.err)
        assert fast.code == 1 and "no integration with id 'nope:x'" in fast.err


def _last_evaluated(db: Path) -> datetime | None:
    reader = FastReader.open(db)
    assert reader is not None
    with reader:
        return reader.last_evaluated_at()


def test_work_due_runs_the_pass_and_stores_it(tmp_path: Path, db: Path) -> None:
    later = NOW + timedelta(days=20)  # every time-based deadline of the sample has come
    result = run(tmp_path, "--db", str(db), "--now", at(later), "list", "--json")
    assert result.code == 0, result.err
    assert {"sqlalchemy", "sqlmodel"} <= result.loaded
    assert result.err == ""
    assert _last_evaluated(db) == later, "the pass was stored"
    # Stored: at that time there is nothing left to do, and the stored rows are read.
    again = run(tmp_path, "--db", str(db), "--now", at(later), "list", "--json")
    assert again.loaded == set()
    assert again.out == result.out


def test_a_dirty_integration_runs_the_pass(tmp_path: Path, db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE integration SET dirty = 1 WHERE id = ?", (EVIL,))
    conn.close()
    result = run(tmp_path, "--db", str(db), "--now", at(NOW), "show", EVIL, "--json")
    assert result.code == 0, result.err
    assert "sqlalchemy" in result.loaded
    with sqlite3.connect(db) as conn:
        (dirty,) = conn.execute("SELECT dirty FROM integration WHERE id = ?", (EVIL,)).fetchone()
    conn.close()
    assert dirty == 0, "the pass evaluated it and stored that"


def test_a_clock_behind_the_last_evaluation_takes_the_store_path(tmp_path: Path, db: Path) -> None:
    """Before the last stored evaluation every state may be from after ``now``: the pass
    runs in memory and says that nothing was stored, as before."""
    before = _file_state(db)
    earlier = at(NOW - timedelta(hours=1))
    result = run(tmp_path, "--db", str(db), "--now", earlier, "list", "--json")
    store = run(tmp_path, "--db", str(db), "--now", earlier, "list", "--json", store_path=True)
    assert "sqlalchemy" in result.loaded
    assert "nothing was stored" in result.err
    assert (result.code, result.out, result.err) == (store.code, store.out, store.err)
    assert _file_state(db)[0] == before[0]


def test_a_foreign_sqlite_file_is_refused_as_before(tmp_path: Path) -> None:
    foreign = tmp_path / "notes.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    conn.close()
    content = foreign.read_bytes()
    fast = run(tmp_path, "--db", str(foreign), "list", "--json")
    store = run(tmp_path, "--db", str(foreign), "list", "--json", store_path=True)
    assert fast.code == 2 and fast.out == ""
    assert (fast.code, fast.out, fast.err) == (store.code, store.out, store.err)
    assert foreign.read_bytes() == content


def test_the_default_database_is_still_created_with_the_sample(tmp_path: Path) -> None:
    first = run(tmp_path, "list", "--json")
    assert first.code == 0, first.err
    assert "sqlalchemy" in first.loaded  # created and filled by the Store path
    assert {r["status"] for r in json.loads(first.out)} >= {"ACTIVE", "SYNC_FAILING"}
    # Its clock is the system's: the next read finds nothing due until a deadline comes.
    second = run(tmp_path, "list", "--json")
    assert second.code == 0, second.err
    assert json.loads(second.out) == json.loads(first.out)


# --------------------------------------------------------------------------- the same output


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--json"],
        ["list"],
        ["list", "--all"],
        ["show", EVIL, "--json"],
        ["show", EVIL],
        ["logs", EVIL],
    ],
)
def test_a_fresh_process_prints_what_the_store_path_prints(
    tmp_path: Path, db: Path, args: list[str]
) -> None:
    common = ["--db", str(db), "--now", at(NOW)]
    fast = run(tmp_path, *common, *args)
    store = run(tmp_path, *common, *args, store_path=True)
    assert "sqlalchemy" not in fast.loaded and "sqlalchemy" in store.loaded
    assert fast.code == 0, fast.err
    assert (fast.code, fast.out, fast.err) == (store.code, store.out, store.err)


@contextmanager
def _fast_only() -> Iterator[None]:
    """Within: opening a Store fails the test (the stored rows must be read without it)."""

    def refuse(*args: Any, **kwargs: Any) -> Store:
        raise AssertionError("the Store path was taken")

    patch = pytest.MonkeyPatch()
    patch.setattr(Store, "open", refuse)
    try:
        yield
    finally:
        patch.undo()


@contextmanager
def _store_only() -> Iterator[None]:
    """Within: the fast reader serves nothing, so every command runs on Store."""
    patch = pytest.MonkeyPatch()
    patch.setattr(FastReader, "open", classmethod(lambda cls, *a, **k: None))
    try:
        yield
    finally:
        patch.undo()


def _commands(db: Path) -> list[list[str]]:
    reader = FastReader.open(db)
    assert reader is not None
    with reader:
        rows = reader.integrations()
        syncs = {r.id: reader.syncs(r.id) for r in rows}
    assert {r.state for r in rows} == set(IntegrationState)
    commands: list[list[str]] = [
        ["list"],
        ["list", "--json"],
        ["list", "--all"],
        ["list", "--all", "--json"],
        ["list", "--status", "sync-failing", "--status", "DELETED"],
        ["list", "--status", "inactive", "--json"],
    ]
    for row in rows:
        commands += [["show", row.id], ["show", row.id, "--json"]]
        commands += [["logs", row.id], ["logs", row.id, "--json", "--level", "warning"]]
        for sync in syncs[row.id][:1]:
            commands.append(["logs", row.id, "--sync", sync.id, "--limit", "2"])
        commands.append(["logs", row.id, "--sync", "nope:sync"])
    return commands


def test_every_reading_command_prints_what_the_store_path_prints(
    db: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Every integration of the sample (all nine states) and the hostile one, every form of
    ``list``, ``show`` and ``logs``: the same bytes on stdout and stderr, the same exit code."""
    commands = _commands(db)
    before = _file_state(db)
    common = ["--db", str(db), "--now", at(NOW)]

    def outputs(path: Callable[[], AbstractContextManager[None]]) -> list[tuple[int, str, str]]:
        got = []
        with path():
            for args in commands:
                capfd.readouterr()
                code = main([*common, *args])
                out, err = capfd.readouterr()
                got.append((code, out, err))
        return got

    fast = outputs(_fast_only)
    assert _file_state(db) == before, "reading from the stored rows changed the file"
    store = outputs(_store_only)
    for args, f, s in zip(commands, fast, store, strict=True):
        assert f == s, args
    assert {code for code, _, _ in fast} == {0, 1}  # an unknown sync is refused alike
