"""The bundled sample data, and loading it so that it looks live."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from syncwatch.db import Store
from syncwatch.importer.parse import newest_sync_end, parse_bytes
from syncwatch.importer.upsert import ImportReport, import_parsed


def load_sample(store: Store, now: datetime, path: Path | None = None) -> ImportReport:
    """Fill a database with the bundled sample, shifted so its newest sync is minutes old."""
    sample = path or sample_path()
    pf = parse_bytes(sample.read_bytes(), str(sample))
    newest = newest_sync_end(pf.integrations)
    shift = (now - timedelta(minutes=3) - newest) if newest else timedelta(0)
    return import_parsed(store, [pf], now, shift=shift)


def sample_path() -> Path:
    """The bundled sample data (in the wheel, or at the top of a source checkout)."""
    here = Path(__file__).resolve().parents[1]  # the syncwatch package
    for candidate in (
        here / "sample_data" / "integrations.json",
        here.parents[1] / "sample_data" / "integrations.json",
    ):
        if candidate.exists():
            return candidate
    raise FileNotFoundError("the bundled sample data (sample_data/integrations.json) is missing")
