"""Temporary: removed when the renovation is merged.

The old home of the state history as a stream, now :mod:`syncwatch.transitions` (its
queries: :mod:`syncwatch.db.transitions`). Re-exported so that modules being restructured
on other branches keep working until their imports are rewritten. ``transition_json`` is
:func:`syncwatch.transitions.transition_event` (it took the stream's record; the stream now
yields :class:`syncwatch.rows.Transition` itself, so ``TransitionRecord`` and
``as_transition`` are gone).
"""

from syncwatch.db.transitions import latest_seq, transitions_after
from syncwatch.transitions import POLL_INTERVAL, follow, transition_text
from syncwatch.transitions import transition_event as transition_json

__all__ = [
    "POLL_INTERVAL",
    "follow",
    "latest_seq",
    "transition_json",
    "transition_text",
    "transitions_after",
]
