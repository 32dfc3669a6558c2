"""What the terminal UI imports before its first screen is drawn: nothing heavy.

SQLAlchemy, SQLModel, pydantic, Alembic and the Kombo SDK take about a second to import
on a small machine; the first screen of a SQLite database at the schema head needs none
of them (its rows are read with ``sqlite3``). The UI's entry runs in a fresh interpreter
(``tests/first_screen.py``) that records the imported modules and what the screen shows
when the first screen is drawn. A test of what is imported, not of how long it takes.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from builders import NOW
from first_screen import ORM, first_screen, heavy_imports, settled
from syncwatch.db import Store
from syncwatch.importer import load_sample


@pytest.fixture
def sample_db(tmp_path: Path) -> Path:
    path = tmp_path / "sample.db"
    store = Store.open(path)
    load_sample(store, NOW)
    store.close()
    return path


def test_the_first_screen_shows_rows_without_importing_anything_heavy(
    tmp_path: Path, sample_db: Path
) -> None:
    data = first_screen(tmp_path, sample_db)
    rows = data["rows"]
    assert len(rows) == 60  # the sample but its 3 deleted ones
    assert str(rows[0]).split()[0] in data["screen"]  # drawn, not only held
    assert heavy_imports(data["modules"], (*ORM, "psycopg")) == []
    # Textual's DataTable (the errors screen's) loads when that screen first opens.
    assert "textual.widgets._data_table" not in data["modules"]


KOMBO_OPT_IN = r"""
import json
import sys
from datetime import UTC, datetime

from syncwatch.clock import FixedClock
from syncwatch.tui.gateway import Gateway

sent = []
clock = FixedClock(datetime(2026, 11, 26, 12, tzinfo=UTC))
for env in ({}, {"SYNCWATCH_KOMBO_REMOTE": "0"}, {"SYNCWATCH_KOMBO_REMOTE": "maybe"}):
    Gateway(lambda: None, clock, sent.append, env=env).connect_kombo()
off = [m for m in ("httpx", "kombo", "syncwatch.kombo.remote") if m in sys.modules]
on = {"SYNCWATCH_KOMBO_REMOTE": "1", "KOMBO_API_KEY": "k"}
Gateway(lambda: None, clock, sent.append, env=on).connect_kombo()
print(json.dumps({"off": off, "told": [[m.remote, m.error] for m in sent]}))
"""


def test_the_kombo_client_loads_only_for_users_who_turned_remote_actions_on() -> None:
    """Every start asks whether operator actions go to Kombo too. Unless the user opted in,
    answering imports nothing of Kombo's client (httpx, the SDK): at 100,000 integrations
    that import took a quarter of a second from the background load of the rows."""
    result = subprocess.run(
        [sys.executable, "-c", KOMBO_OPT_IN], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["off"] == []
    told = report["told"]
    assert told[:2] == [[False, None], [False, None]]
    assert told[2][0] is False and "must be 1 or 0, not 'maybe'" in told[2][1]
    assert told[3] == [True, None]  # opted in: the client loaded and connected


def test_a_pass_with_nothing_to_do_is_read_without_the_orm(tmp_path: Path, sample_db: Path) -> None:
    """Once every row is loaded, the first pass finds nothing dirty or due (the sample was
    evaluated at this instant): the app reads what changed with ``sqlite3`` and never
    imports SQLAlchemy, as the CLI's reading commands do."""
    data = settled(tmp_path, sample_db)
    assert data["rows"] == 63 and data["loading"] is None
    assert heavy_imports(data["modules"], ORM) == []


def test_a_pass_with_work_runs_the_evaluator(tmp_path: Path, sample_db: Path) -> None:
    """A dirty integration (an import or a webhook touched it) is work: the store's pass
    runs and evaluates it."""
    con = sqlite3.connect(sample_db)
    with con:
        (iid,) = con.execute(
            "SELECT id FROM integration WHERE state = 'ACTIVE' ORDER BY id LIMIT 1"
        ).fetchone()
        # Disabled by hand, as an older syncwatch would leave it: only a pass says INACTIVE.
        con.execute("UPDATE integration SET enabled = 0, dirty = 1 WHERE id = ?", (iid,))
    con.close()
    data = settled(tmp_path, sample_db)
    assert "sqlalchemy" in heavy_imports(data["modules"], ORM)
    assert data["states"][iid] == "INACTIVE"
    con = sqlite3.connect(sample_db)
    assert con.execute("SELECT dirty FROM integration WHERE id = ?", (iid,)).fetchone() == (0,)
    con.close()
