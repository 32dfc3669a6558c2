"""Starting the UI from the command line: which path it takes, and refusals before the UI.

``launch_tui`` reads the first screen with ``sqlite3`` when it can and otherwise opens the
store first (so a refusal is a one-line error and exit 2, as before, and nothing starts).
``run_app`` is replaced by a recorder: these tests look at what the UI would be started
with, not at the UI.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import syncwatch.tui.app
from syncwatch.cli import main
from syncwatch.cli.parser import build_parser
from syncwatch.cli.tui import launch_tui
from syncwatch.clock import FixedClock
from syncwatch.db import Store, StoreError

NOW = "2026-11-26T12:00:00Z"


class Started:
    """What ``run_app`` was called with (the UI is not run)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, store: object, clock: object, **options: Any) -> int:
        preload = options.get("preload")
        self.calls.append({"store": store, **options})
        if preload is not None:
            preload.reader.close()
        return 0


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Started]:
    recorder = Started()
    monkeypatch.setattr(syncwatch.tui.app, "run_app", recorder)
    monkeypatch.delenv("SYNCWATCH_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    yield recorder


def launch(clock: FixedClock, *argv: str) -> int:
    return launch_tui(clock, build_parser().parse_args(list(argv)), headless=True)


def test_a_database_at_the_schema_head_starts_with_its_first_screen_and_no_store(
    db_path: Path, clock: FixedClock, started: Started
) -> None:
    assert launch(clock, "--db", str(db_path)) == 0
    (call,) = started.calls
    assert call["preload"] is not None and call["preload"].rows
    assert not isinstance(call["store"], Store)  # what opens it, after the first paint


def test_a_missing_default_database_is_created_with_the_sample_first(
    tmp_path: Path, clock: FixedClock, started: Started
) -> None:
    (tmp_path / "data" / "syncwatch").mkdir(parents=True)
    assert launch(clock) == 0
    (call,) = started.calls
    assert call.get("preload") is None and isinstance(call["store"], Store)
    assert (tmp_path / "data" / "syncwatch" / "syncwatch.db").exists()
    # The next start reads the sample's first screen straight away.
    assert launch(clock) == 0
    assert started.calls[1]["preload"] is not None


def test_another_programs_file_is_refused_before_the_ui_and_left_as_it_was(
    tmp_path: Path,
    clock: FixedClock,
    started: Started,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    with pytest.raises(StoreError, match="not a syncwatch database"):
        launch(clock, "--db", str(db))
    assert started.calls == []
    assert db.read_bytes() == before
    # Through the command line: one line, exit 2 (with or without the command line's own
    # early start of the UI).
    assert main(["--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "not a syncwatch database" in err and len(err.strip().splitlines()) == 1
    assert started.calls == []


def test_the_ui_records_actions_as_the_operator_given(
    db_path: Path, clock: FixedClock, started: Started
) -> None:
    assert launch(clock, "--db", str(db_path), "--operator", "alice") == 0
    (call,) = started.calls
    assert call["actor"] == "alice"


def test_a_bad_operator_name_is_one_line_before_any_ui(
    db_path: Path,
    started: Started,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SYNCWATCH_OPERATOR", "mallory\x1b[2J")
    assert main(["--db", str(db_path), "--now", NOW]) == 2
    err = capsys.readouterr().err
    assert "SYNCWATCH_OPERATOR" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert started.calls == []
