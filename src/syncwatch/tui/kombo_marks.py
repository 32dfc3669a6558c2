"""What the list and the preview mark about Kombo's side of an integration: gone upstream
(Kombo answered 404 to a pull) and how many Kombo issues are open.

Loaded in the evaluation worker with the rows: once for every integration on the first
load, then only for the rows a pass or an action changed (a pull that finds an integration
gone and an issue event both bump the integration's revision, so they arrive as changed
rows). Two set-based queries either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from syncwatch.rows import KomboMark
from syncwatch.store import I, Store

#: Ids per ``IN (...)`` list (well under every backend's limit on bound parameters).
_CHUNK = 900


def kombo_marks(store: Store, ids: Sequence[str] | None) -> dict[str, KomboMark]:
    """The marks of ``ids`` (every id given gets one, maybe empty), or with ``ids=None``
    those of every integration that has something to mark."""
    # Imported here: the Kombo modules are needed once the first pass runs, not to start.
    from syncwatch.kombo.apply import ISSUES
    from syncwatch.kombo.pull import upstream_info

    gone: dict[str, datetime] = {}
    counts: dict[str, int] = {}
    count_query = (
        sa.select(ISSUES.c.integration_id, sa.func.count())
        .where(ISSUES.c.status == "OPEN", ISSUES.c.integration_id.is_not(None))
        .group_by(ISSUES.c.integration_id)
    )
    if ids is None:
        # Only the gone ones (upstream_info of all would build a row per integration:
        # half a second at 100,000).
        gone_query = sa.select(I.c.id, I.c.upstream_gone_at).where(
            I.c.upstream_gone_at.is_not(None)
        )
        with store.read() as conn:
            gone.update((r[0], r[1]) for r in conn.execute(gone_query))
            counts.update((r[0], r[1]) for r in conn.execute(count_query))
        return {iid: KomboMark(counts.get(iid, 0), gone.get(iid)) for iid in gone.keys() | counts}
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        for iid, info in upstream_info(store, chunk).items():
            if info.gone_at is not None:
                gone[iid] = info.gone_at
        with store.read() as conn:
            query = count_query.where(ISSUES.c.integration_id.in_(chunk))
            counts.update((r[0], r[1]) for r in conn.execute(query))
    return {iid: KomboMark(counts.get(iid, 0), gone.get(iid)) for iid in ids}
