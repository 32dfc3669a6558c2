"""The fleet at a glance (pure): counts per state by tool or by organisation.

A group is every integration sharing a tool (or an organisation), deleted ones left out;
its counts follow the states' severity, worst first, and the groups are ordered worst
first too: by their worst state, then by how many need attention, then by name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from syncwatch.states import STATES_BY_SEVERITY, IntegrationState

__all__ = ["FleetGroup", "GroupBy", "rollup"]


class GroupBy(StrEnum):
    """What the fleet is grouped by."""

    TOOL = "tool"
    ORGANIZATION = "organization"


@dataclass(frozen=True, slots=True)
class FleetGroup:
    """One tool's (or organisation's) integrations, counted per state."""

    key: str
    total: int
    #: Count per state, worst first; only states with at least one integration.
    counts: tuple[tuple[IntegrationState, int], ...]

    @property
    def worst(self) -> IntegrationState:
        """The worst state in the group."""
        return self.counts[0][0]

    @property
    def needs_attention(self) -> int:
        """How many of the group's integrations need an engineer's attention."""
        return sum(n for s, n in self.counts if s.needs_attention)


def rollup(counts: Iterable[tuple[str, IntegrationState | None, int]]) -> list[FleetGroup]:
    """Groups from ``(key, state, how many)`` triples (the same key and state may come
    more than once: they add up), worst first.

    Deleted integrations and ones never evaluated (state ``None``) are left out.
    """
    counted: dict[str, Counter[IntegrationState]] = {}
    for key, state, n in counts:
        if state is None or state is IntegrationState.DELETED or n <= 0:
            continue
        counted.setdefault(key, Counter())[state] += n
    rank = {s: i for i, s in enumerate(STATES_BY_SEVERITY)}
    groups = [
        FleetGroup(
            key=key,
            total=sum(c.values()),
            counts=tuple(sorted(c.items(), key=lambda item: rank[item[0]])),
        )
        for key, c in counted.items()
    ]
    groups.sort(key=lambda g: (rank[g.worst], -g.needs_attention, g.key.lower(), g.key))
    return groups
