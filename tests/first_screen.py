"""The UI's first screen, seen from a fresh interpreter: what it imported and what it shows.

Shared by the first-screen tests on SQLite (``test_tui_imports.py``) and PostgreSQL
(``test_tui_pg_start.py``). The UI's command-line entry runs with a small wrapper that,
when the app has drawn its first screen and is about to start its background work
(``SyncwatchApp.begin``, the app's public hook), records the imported modules, the rows the
list holds and the screen's text, then quits. A test of what is imported, not of time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

#: Top-level packages the first screen must not import (psycopg only on SQLite: it is the
#: PostgreSQL reader's own driver).
ORM = ("sqlalchemy", "sqlmodel", "pydantic", "pydantic_core", "alembic", "kombo")

WRAPPER = r"""
def begin(self):
    # The first screen is drawn and no worker has started: what is imported now is what
    # the first paint needed.
    items = self.main.integration_list.items
    report = {
        "modules": sorted(sys.modules),
        "ids": [row.id for row in items],
        "rows": [row.organization for row in items],
        "screen": self.export_screenshot(),
    }
    report_and_exit(self, report)


SyncwatchApp.begin = begin
"""


def first_screen(tmp_path: Path, db: str | Path) -> dict[str, Any]:
    """What the UI on ``db`` imported and showed by its first screen."""
    return _report(tmp_path, WRAPPER, db, "first-screen.json")


def heavy_imports(modules: list[str], heavy: tuple[str, ...]) -> list[str]:
    """The top-level packages of ``heavy`` among ``modules``, and the ORM store package."""
    found = sorted({m.split(".")[0] for m in modules} & set(heavy))
    return found + [m for m in modules if m == "syncwatch.db" or m.startswith("syncwatch.db.")]


SETTLED = r"""
finished = SyncwatchApp.on_pass_finished


def on_pass_finished(self, message):
    # The first pass, after every row loaded: what the app holds and has imported once
    # it has settled.
    finished(self, message)
    report = {
        "modules": sorted(sys.modules),
        "rows": len(self.rows),
        "loading": self.model.loading,
        "states": {iid: str(row.state) for iid, row in self.rows.items()},
    }
    report_and_exit(self, report)


SyncwatchApp.on_pass_finished = on_pass_finished
"""


def settled(tmp_path: Path, db: str | Path) -> dict[str, Any]:
    """What the UI on ``db`` held and had imported after its first evaluation pass."""
    return _report(tmp_path, SETTLED, db, "settled.json")


#: What every wrapper starts with: the report's path and the database from the command line,
#: and how a patched hook writes its report and ends the app.
_HEAD = r"""
import json
import sys

from syncwatch.tui.app import SyncwatchApp

report_path, db = sys.argv[1], sys.argv[2]


def report_and_exit(app, report):
    with open(report_path, "w", encoding="utf-8") as f:
        json.dump(report, f)
    app.exit(0)
"""

#: The UI's command-line entry on ``db`` (argv[2]), run after a wrapper patched the app.
_LAUNCH = r"""
from syncwatch.cli.parser import build_parser
from syncwatch.cli.tui import launch_tui
from syncwatch.clock import FixedClock

args = build_parser().parse_args(["--db", db, "--now", "2026-11-26T12:00:00Z"])
sys.exit(launch_tui(FixedClock(args.now), args, headless=True))
"""


def _report(tmp_path: Path, wrapper: str, db: str | Path, name: str) -> dict[str, Any]:
    """Run the UI on ``db`` under ``wrapper`` in a fresh interpreter; what it reported."""
    report = tmp_path / name
    # The timeout only keeps a broken app from hanging the suite; it bounds no figure.
    result = subprocess.run(
        [sys.executable, "-c", _HEAD + wrapper + _LAUNCH, str(report), str(db)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return data
