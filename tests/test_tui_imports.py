"""What the terminal UI imports before its first screen is drawn: nothing heavy.

SQLAlchemy, SQLModel, pydantic, Alembic and the Kombo SDK take about a second to import
on a small machine; the first screen of a SQLite database at the schema head needs none
of them (its rows are read with ``sqlite3``). This runs the UI's command-line entry in a
fresh interpreter with a small wrapper that, when the app has drawn its first screen and
is about to start its background work (``SyncwatchApp.begin``, the app's public hook),
records the imported modules and what the screen shows, then quits. A test of what is
imported, not of how long it takes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syncwatch.db import Store
from syncwatch.importer import load_sample

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

#: Top-level packages the first screen must not import.
HEAVY = ("sqlalchemy", "sqlmodel", "pydantic", "pydantic_core", "alembic", "kombo", "psycopg")

WRAPPER = r"""
import json
import sys

from syncwatch.tui.app import SyncwatchApp

report_path, db = sys.argv[1], sys.argv[2]


def begin(self):
    # The first screen is drawn and no worker has started: what is imported now is what
    # the first paint needed.
    modules = sorted(sys.modules)
    rows = [row.organization for row in self.main.integration_list.items]
    screen = self.export_screenshot()
    with open(report_path, "w", encoding="utf-8") as f:
        json.dump({"modules": modules, "rows": rows, "screen": screen}, f)
    self.exit(0)


SyncwatchApp.begin = begin

from syncwatch.cli.parser import build_parser
from syncwatch.cli.tui import launch_tui
from syncwatch.clock import FixedClock, parse_instant

args = build_parser().parse_args(["--db", db, "--now", "2026-11-26T12:00:00Z"])
sys.exit(launch_tui(FixedClock(args.now), args, headless=True))
"""


@pytest.fixture
def sample_db(tmp_path: Path) -> Path:
    path = tmp_path / "sample.db"
    store = Store.open(path)
    load_sample(store, NOW)
    store.close()
    return path


def _first_screen(tmp_path: Path, db: Path) -> dict[str, object]:
    report = tmp_path / "first-screen.json"
    # The timeout only keeps a broken app from hanging the suite; it bounds no figure.
    result = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(report), str(db)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    data: dict[str, object] = json.loads(report.read_text(encoding="utf-8"))
    return data


def test_the_first_screen_shows_rows_without_importing_anything_heavy(
    tmp_path: Path, sample_db: Path
) -> None:
    data = _first_screen(tmp_path, sample_db)
    rows = data["rows"]
    assert isinstance(rows, list) and len(rows) == 60  # the sample but its 3 deleted ones
    screen = data["screen"]
    assert isinstance(screen, str)
    assert str(rows[0]).split()[0] in screen  # drawn, not only held
    modules = data["modules"]
    assert isinstance(modules, list)
    heavy = sorted({m.split(".")[0] for m in modules if m.split(".")[0] in HEAVY})
    assert heavy == []
    assert not [m for m in modules if m == "syncwatch.db" or m.startswith("syncwatch.db.")]
