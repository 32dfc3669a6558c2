"""The list's attention badge: who acknowledged an integration and whether it is snoozed,
short enough to sit after the organisation with Kombo's badge.

``@alice`` acknowledged by alice (``!@alice`` in the warning colour once stale: the state
got worse than the state acknowledged); ``zZ`` its notifications are snoozed. Who and since
when in full are in the preview and the drill-down's facts. The name is data: made safe by
:func:`~syncwatch.present.safe_text` and cut to :data:`NAME_SHOWN` characters.
"""

from __future__ import annotations

from datetime import datetime

from syncwatch.attention import AttentionMark, is_stale, snoozed
from syncwatch.present import safe_text
from syncwatch.states import IntegrationState

#: Characters of the acknowledging operator's name the badge shows.
NAME_SHOWN = 8
ACK_GLYPH = "@"
SNOOZE_BADGE = "zZ"


def attention_badge_parts(
    mark: AttentionMark | None, state: IntegrationState | None, now: datetime
) -> list[tuple[str, str]]:
    """The badge as (text, colour) parts; none for a deleted integration."""
    if mark is None or state is IntegrationState.DELETED:
        return []
    parts: list[tuple[str, str]] = []
    if mark.ack is not None:
        name = safe_text(mark.ack.by)
        name = name if len(name) <= NAME_SHOWN else name[: NAME_SHOWN - 1] + "…"
        if is_stale(mark.ack, state):
            parts.append((f"!{ACK_GLYPH}{name}", "$warning"))
        else:
            parts.append((f"{ACK_GLYPH}{name}", "$text-muted"))
    if snoozed(mark.snooze, now):
        parts.append((SNOOZE_BADGE, "$text-muted"))
    return parts
