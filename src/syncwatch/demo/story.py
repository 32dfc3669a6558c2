"""The demo's story: the captions the UI shows when each scripted event happens.

Derived from the scenario itself (its integrations' outages, revoked credentials, first
syncs with issues, and the script of operator actions), so every scenario has one and a
caption never says something the engine does not do. Pure: no store, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from syncwatch.actions import Action
from syncwatch.demo.scenarios import DemoIntegration, ScriptedAction
from syncwatch.timefmt import fmt_duration

__all__ = ["END_AFTER", "Beat", "story_beats"]

#: The end card comes this long after the last scripted event (its consequences play out).
END_AFTER = timedelta(hours=12)

_DOING: dict[Action, str] = {
    Action.REACTIVATE: "reactivates",
    Action.DEACTIVATE: "deactivates",
    Action.RELEASE_QA: "releases from QA",
    Action.UPDATE_CREDENTIALS: "updates the credentials of",
    Action.CONFIGURE_FILTERS: "configures the filters of",
    Action.DELETE: "deletes",
}


@dataclass(frozen=True, slots=True)
class Beat:
    """One moment of the story: when, and what the caption says (``end``: the end card)."""

    at: datetime
    text: str
    end: bool = False

    def caption(self, start: datetime) -> str:
        """``+5 h: the Workday API goes down``."""
        return f"+{fmt_duration(self.at - start)}: {self.text}"


def story_beats(
    integrations: Iterable[DemoIntegration], script: Iterable[ScriptedAction], start: datetime
) -> list[Beat]:
    """The scenario's beats in time order, one per event (an outage shared by many
    integrations of a tool is one beat), the end card last. Events before ``start`` (the
    made-up history) are not told."""
    found: dict[tuple[datetime, str], Beat] = {}
    by_id = {}
    for integration in integrations:
        by_id[integration.id] = integration
        name = integration.tool_name
        for down, up in integration.outages:
            for at, text in ((down, f"the {name} API goes down"), (up, f"the {name} API is back")):
                found.setdefault((at, text), Beat(at, text))
        if integration.credentials_expire_at is not None:
            at = integration.credentials_expire_at
            text = f"{name} revokes {integration.organization}'s API key"
            found.setdefault((at, text), Beat(at, text))
        if integration.first_sync_issue and integration.first_sync_at is not None:
            at = integration.first_sync_at
            text = f"{integration.organization}'s first {name} sync runs, and finds issues"
            found.setdefault((at, text), Beat(at, text))
    for scripted in script:
        target = by_id.get(scripted.integration_id)
        whom = f"{target.organization}'s {target.tool_name}" if target else scripted.integration_id
        text = f"(scripted) the operator {_DOING[scripted.action]} {whom}: {scripted.note}"
        found.setdefault((scripted.at, text), Beat(scripted.at, text))
    beats = sorted((b for b in found.values() if b.at > start), key=lambda b: (b.at, b.text))
    if beats:
        end = beats[-1].at + END_AFTER
        beats.append(
            Beat(
                end,
                "the story is told. Everything scripted has happened; the fleet keeps "
                "syncing. Act on it yourself, or q to quit.",
                end=True,
            )
        )
    return beats
