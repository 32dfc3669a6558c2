"""Transitions out: the state history as a stream, and the two shapes its lines take.

``syncwatch watch`` polls the state-history table by its id (every write appends there
whatever wrote it: the evaluator, an action, an import, the webhook receiver) and prints
each new transition, as text or as one JSON object per line shaped like Kombo's
``integration-state-changed`` webhook plus syncwatch's own ``status`` and ``reason``.
Each line carries ``seq``, the history id: ``watch --since SEQ`` resumes after it. The
headless evaluator (:mod:`syncwatch.headless`) prints its transitions in the same shapes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from syncwatch.clock import iso
from syncwatch.db import Store
from syncwatch.db.transitions import latest_seq, transitions_after
from syncwatch.present import transition_json
from syncwatch.rows import Transition

#: How often ``watch`` looks for new transitions, in seconds.
POLL_INTERVAL = 0.5
#: Transitions read per query.
_BATCH = 500


def follow(
    store: Store, since: int | None, stop: threading.Event, interval: float = POLL_INTERVAL
) -> Iterator[Transition]:
    """Yield transitions as they are recorded until ``stop`` is set.

    ``since=None`` starts with the transitions recorded from now on. Each carries its
    ``seq`` and the integration's names and Kombo API view as they are now.
    """
    seq = latest_seq(store) if since is None else since
    while not stop.is_set():
        batch = transitions_after(store, seq, _BATCH)
        for t in batch:
            yield t
            assert t.seq is not None
            seq = t.seq
        if len(batch) < _BATCH:
            stop.wait(interval)


def transition_event(t: Transition) -> dict[str, Any]:
    """A transition as Kombo's ``integration-state-changed`` webhook, plus our state.

    The shape ``syncwatch watch --json`` and ``syncwatch evaluator --json`` print and
    ``--on-transition`` commands read: ``seq`` (and the ``id`` built from it) is the
    transition's state-history id; ``data.state``/``setup_status``/``qa_status`` are Kombo's
    API view after the transition (``null`` once deleted: Kombo answers 404);
    ``data.status`` and ``data.previous_status`` are syncwatch's states and ``data.reason``
    says why. The fields are those of :func:`syncwatch.present.transition_json` (the one
    flat shape), placed where Kombo's webhook has them.
    """
    flat = transition_json(t)
    api = t.api
    return {
        "id": f"syncwatch-transition-{t.seq}",
        "type": "integration-state-changed",
        "seq": t.seq,
        # A correction rewrote history recorded before (a sync arrived late): not news.
        "correction": t.correction,
        "data": {
            "integration_id": flat["id"],
            "integration_tool": flat["tool"],
            "integration_category": t.category,
            "end_user": {
                "organization_name": flat["organization"],
                "creator_email": None,
                "origin_id": None,
            },
            "state": api.status.value if api else None,
            "setup_status": api.setup_status.value if api else None,
            "qa_status": api.qa_status.value if api else None,
            "updated_at": flat["at"],
            "status": flat["to"],
            "previous_status": flat["from"],
            "reason": flat["reason"],
        },
    }


def transition_text(t: Transition) -> str:
    """One line: time, id, organization, old -> new state, reason (as ``watch`` prints);
    a correction says so before the reason."""
    before = t.from_state.value if t.from_state else "(new)"
    mark = "(correction)  " if t.correction else ""
    return (
        f"{iso(t.at)}  {t.integration_id}  {t.organization}  "
        f"{before} -> {t.to_state.value}  {mark}{t.reason}"
    )
