"""Size limits for text that comes from data, and the two functions that apply them.

A log message is kept whole up to :data:`MESSAGE_LIMIT` characters; a longer one is cut
there and says so at its end (:func:`cap_message`), so an 11 MB line can no longer make a
40 MB database. Only the log entry keeps the message: a sync's headline, the state reason
built from it and every history entry carry a short, one-line form (:func:`headline`).
Names (ids, tool, organisation, environment, a log entry's field) longer than
:data:`NAME_LIMIT` are refused at import with their JSON path: a name that long is not a
name. The limits are documented in the README ("Size limits"); this module has no
dependencies so the importer, the evaluator and the Kombo code share it.
"""

from __future__ import annotations

__all__ = [
    "HEADLINE_LIMIT",
    "MESSAGE_LIMIT",
    "NAME_LIMIT",
    "cap_message",
    "cut_marker",
    "headline",
]

MESSAGE_LIMIT = 65_536
"""Characters of a log message (or a Kombo issue text) that are stored; the rest is cut."""

HEADLINE_LIMIT = 200
"""Characters of a sync's headline, and so of the headline inside a state reason."""

NAME_LIMIT = 1_000
"""Characters of an id, tool, organisation, environment or log field name."""

_ELLIPSIS = "…"


def cut_marker(total: int, kept: int = MESSAGE_LIMIT) -> str:
    """What ends a message that was cut: how long it was and how much is kept."""
    return f" {_ELLIPSIS} [cut by syncwatch: {total:,} characters, the first {kept:,} kept]"


def cap_message(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` whole when it has at most ``limit`` characters, else its first ``limit``
    characters followed by :func:`cut_marker`. Idempotent: a cut message is not cut again
    (it is at most ``limit`` plus the marker, and the marker is recognised)."""
    if len(text) <= limit:
        return text
    head, sep, _ = text.rpartition(f" {_ELLIPSIS} [cut by syncwatch: ")
    if sep and len(head) == limit and text.endswith(" kept]"):
        return text
    return text[:limit] + cut_marker(len(text), limit)


def headline(text: str | None, limit: int = HEADLINE_LIMIT) -> str | None:
    """The one-line, short form of a message, for a sync's headline and a state reason:
    runs of whitespace (newlines included) become one space, and a text longer than
    ``limit`` characters ends in ``…`` at ``limit``. ``None`` stays ``None``."""
    if text is None:
        return None
    # Only the first stretch matters: never split a 10 MB message to keep 200 characters.
    one_line = " ".join(text[: limit * 4 + 16].split())
    if len(one_line) > limit or len(text) > limit * 4 + 16:
        return one_line[: limit - 1].rstrip() + _ELLIPSIS
    return one_line
