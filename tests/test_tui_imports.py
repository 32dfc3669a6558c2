"""What the terminal UI imports before its first screen is drawn: nothing heavy.

SQLAlchemy, SQLModel, pydantic, Alembic and the Kombo SDK take about a second to import
on a small machine; the first screen of a SQLite database at the schema head needs none
of them (its rows are read with ``sqlite3``). The UI's entry runs in a fresh interpreter
(``tests/first_screen.py``) that records the imported modules and what the screen shows
when the first screen is drawn. A test of what is imported, not of how long it takes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from builders import NOW
from first_screen import ORM, first_screen, heavy_imports
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
