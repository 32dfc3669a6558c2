"""The first screen, read before the database package loads.

Importing SQLAlchemy, SQLModel and pydantic takes about a second on a small machine; the
first screen needs only the stored rows. :func:`read_first_screen` reads them with
:class:`~syncwatch.fastread.FastReader` (the standard library's ``sqlite3``; on
PostgreSQL its twin :class:`~syncwatch.pgread.PgReader`, psycopg alone): the first
screenful in the list's order, every Kombo mark, how many integrations there are and the
change-feed position. The app shows them at once; the rest of the rows load in a worker
(:meth:`syncwatch.tui.gateway.Gateway.load_rest`) and the first evaluation pass, with the
store, after the first paint.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from syncwatch.rows import IntegrationRow, KomboMark

if TYPE_CHECKING:
    from syncwatch.fastread import FastReader
    from syncwatch.trends import RecentResults

#: Rows read before the first paint: more than a tall terminal shows.
SCREENFUL = 200
#: Rows per batch of the background load, growing (the last repeats): each batch is one
#: message and one merge into the list, so the count on screen moves early and a large
#: fleet costs a few merges, not one per 5,000 rows.
BATCHES = (5000, 10000, 20000, 40000)


@dataclass(frozen=True, slots=True)
class Preload:
    """What the app starts with instead of an empty list."""

    #: The first rows in the list's default order (worst state first).
    rows: list[IntegrationRow]
    #: How many integrations there are (deleted ones too).
    total: int
    #: The change-feed position read before the rows: a pass loads what changed after it.
    revision: int
    #: Kombo's marks of every integration that has one.
    marks: dict[str, KomboMark]
    #: The recent-results strips of ``rows``.
    recent: dict[str, RecentResults]
    #: Where the rest of the rows come from (the app's worker reads them, then closes it).
    reader: FastReader


def read_first_screen(reader: FastReader, screenful: int = SCREENFUL) -> Preload:
    """The first screenful of ``reader``'s database, its count, revision and marks."""
    revision = reader.revision()
    # A generator (typed as an iterator): closing it ends its read transaction.
    batches = cast(
        Generator[list[IntegrationRow]],
        reader.iter_integrations(batch=screenful, order="list"),
    )
    try:
        rows = next(batches, [])
    finally:
        batches.close()
    return Preload(
        rows=rows,
        total=reader.count(),
        revision=revision,
        marks=reader.kombo_marks(),
        recent=reader.recent_results([r.id for r in rows]),
        reader=reader,
    )
