"""The outage rule (pure): many of one tool's integrations failing the same way at once.

When at least half of one tool's enabled integrations are failing with the same error
(the same sync signature, :func:`syncwatch.signatures.signature` of their last sync's
headline), at least :data:`MIN_INTEGRATIONS` of them, and at least
:data:`MIN_INTEGRATIONS` of those began failing within :data:`WINDOW` of one another, the
tool has an outage: one banner and one notification instead of one per integration
("workday: 10 of 12 failing since Nov 5 14:05, 503 Service Unavailable"). It clears as
soon as that no longer holds (enough of them recovered, or fail differently now).

*Failing* is what the list shows: ``SYNC_FAILING`` or ``AUTHENTICATION_FAILING`` (the last
counted sync failed, at or before now). *Enabled* means enabled and not deleted. When an
integration *began failing* is its state's ``since``, or its failed sync's end when that is
earlier (a state recorded when the data arrived). *Since* is the earliest of them.

Why the hour is about how the failures began, and not how recent they are: syncs run
hours apart, so the integrations of a tool that is down fail one after the other over a
sync interval, and the newest failure with the shared error can be more than an hour old
while the tool is still down. Three integrations starting to fail within an hour is what
tells a tool's outage from customers' own troubles that happen to read alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from syncwatch.rows import IntegrationRow
from syncwatch.signatures import gist
from syncwatch.states import IntegrationState
from syncwatch.timefmt import fmt_time

__all__ = [
    "FAILING_STATES",
    "MIN_INTEGRATIONS",
    "WINDOW",
    "FailingIntegration",
    "Outage",
    "enabled_by_tool",
    "failing_from_rows",
    "find_outages",
]

#: The states the rule counts as failing (the last counted sync failed).
FAILING_STATES = frozenset((IntegrationState.SYNC_FAILING, IntegrationState.AUTHENTICATION_FAILING))
#: The states of integrations that are not enabled (or gone): not counted in a tool.
_NOT_ENABLED = frozenset((IntegrationState.INACTIVE, IntegrationState.DELETED))

#: Fewer failing integrations than this is never an outage (two is a coincidence).
MIN_INTEGRATIONS = 3
#: At least MIN_INTEGRATIONS of the failing integrations began failing within this span.
WINDOW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class FailingIntegration:
    """An enabled integration whose last counted sync failed."""

    id: str
    tool: str
    #: The signature of its last sync's headline (``None``: no error line to compare).
    signature: str | None
    #: When that sync ended.
    failed_at: datetime
    #: When it began failing (its state's ``since``); ``None`` reads as ``failed_at``.
    since: datetime | None = None

    @property
    def began(self) -> datetime:
        """When it began failing: its state's ``since``, but never after the failed sync
        ended (a state recorded when the data arrived, later than it happened)."""
        return self.failed_at if self.since is None else min(self.since, self.failed_at)


@dataclass(frozen=True, slots=True)
class Outage:
    """One tool's outage: how many of its enabled integrations fail, since when, with what."""

    tool: str
    failing: int
    enabled: int
    since: datetime
    last_failed_at: datetime
    signature: str
    integration_ids: tuple[str, ...]

    @property
    def summary(self) -> str:
        """The error in a few words (``503 Service Unavailable``)."""
        return gist(self.signature)

    def text(self, now: datetime | None = None) -> str:
        """``workday: 10 of 12 failing since Nov 5 14:05, 503 Service Unavailable`` (data:
        show it through ``present.safe_text``)."""
        return (
            f"{self.tool}: {self.failing} of {self.enabled} failing since "
            f"{fmt_time(self.since, now)}, {self.summary}"
        )


def find_outages(
    failing: Iterable[FailingIntegration], enabled: Mapping[str, int], now: datetime
) -> list[Outage]:
    """The outages at ``now``: at most one per tool, the most integrations first.

    ``failing``: the enabled integrations whose last counted sync failed; ``enabled``: how
    many enabled integrations each tool has. Per tool, of the signatures that make an
    outage, the one shared by the most integrations (ties: the most recent failure).
    """
    groups: dict[tuple[str, str], list[FailingIntegration]] = defaultdict(list)
    for f in failing:
        if f.signature is not None:
            groups[(f.tool, f.signature)].append(f)
    best: dict[str, Outage] = {}
    for (tool, sig), group in groups.items():
        members = [m for m in group if m.failed_at <= now]
        count, of = len(members), enabled.get(tool, 0)
        if count < MIN_INTEGRATIONS or 2 * count < of or not _together(members):
            continue
        newest = max(m.failed_at for m in members)
        outage = Outage(
            tool=tool,
            failing=count,
            enabled=max(of, count),
            since=min(m.began for m in members),
            last_failed_at=newest,
            signature=sig,
            integration_ids=tuple(sorted(m.id for m in members)),
        )
        held = best.get(tool)
        if held is None or (count, newest) > (held.failing, held.last_failed_at):
            best[tool] = outage
    return sorted(best.values(), key=lambda o: (-o.failing, o.tool))


def _together(members: list[FailingIntegration]) -> bool:
    """Did at least MIN_INTEGRATIONS of ``members`` begin failing within WINDOW?"""
    began = sorted(m.began for m in members)
    k = MIN_INTEGRATIONS - 1
    return any(began[i + k] - began[i] <= WINDOW for i in range(len(began) - k))


def failing_from_rows(
    rows: Iterable[IntegrationRow], signature_of: Mapping[str, str | None]
) -> list[FailingIntegration]:
    """The failing integrations among ``rows`` (as evaluated), with the signature of
    each one's last sync from ``signature_of`` (by sync id)."""
    return [
        FailingIntegration(
            r.id, r.tool, signature_of.get(r.last_sync_id), r.last_sync_ended_at, r.state_since
        )
        for r in rows
        if r.state in FAILING_STATES
        and r.last_sync_ended_at is not None
        and r.last_sync_id is not None
    ]


def enabled_by_tool(rows: Iterable[IntegrationRow]) -> dict[str, int]:
    """How many enabled (and not deleted) integrations each tool has among ``rows``."""
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        if r.state is not None and r.state not in _NOT_ENABLED:
            counts[r.tool] += 1
    return dict(counts)
