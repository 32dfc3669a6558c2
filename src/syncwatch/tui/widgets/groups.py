"""The grouped integration list's groups: a row per tool (or organisation) with its counts
per state, and the members under the open ones.

Pure, apart from drawing with the list's styles: the list hands in its sorted, filtered
rows; the counts per state are :func:`syncwatch.fleet.rollup`'s, the roll-up
``syncwatch fleet`` prints, so the two agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter

from rich.segment import Segment
from rich.style import Style

from syncwatch.fleet import FleetGroup, GroupBy, rollup
from syncwatch.rows import IntegrationRow
from syncwatch.tui.widgets.line_list import cell

__all__ = ["GroupCounts", "GroupRow", "ListItem", "build_groups", "count_groups", "group_line"]

_BOLD = Style(bold=True)


class GroupRow:
    """A group's line in the grouped list: one tool's (or organisation's) integrations.

    ``fleet`` counts the whole group per state (:func:`syncwatch.fleet.rollup`, the same
    roll-up ``syncwatch fleet`` prints: deleted ones left out; None when the group has no
    live integration); ``members`` are the ones the filters let through, in list order;
    ``total`` is how many the filters could show (deleted ones only while they are shown).
    """

    __slots__ = ("by", "fleet", "key", "members", "open", "total")

    def __init__(
        self,
        by: GroupBy,
        key: str,
        fleet: FleetGroup | None,
        members: Sequence[IntegrationRow],
        total: int,
        open: bool,
    ) -> None:
        self.by = by
        self.key = key
        self.fleet = fleet
        self.members = members
        self.total = total
        self.open = open

    @property
    def shown(self) -> int:
        """How many of the group's integrations the filters let through."""
        return len(self.members)

    def __repr__(self) -> str:
        return f"GroupRow({self.by.value}={self.key!r}, {self.shown}/{self.total})"


#: A line of the list: an integration, or (grouped) a group's row.
ListItem = IntegrationRow | GroupRow

#: Width of the group row's worst-state summary (``10/12 ✖ Failing``).
SUMMARY_WIDTH = 26


@dataclass(frozen=True, slots=True)
class GroupCounts:
    """Every group's counts: per state (the roll-up, worst group first) and how many the
    filters could show. Worked out from every row, so kept until the rows change (opening
    a group, filtering or sorting does not count again)."""

    by: GroupBy
    show_deleted: bool
    #: The roll-up's groups by name, in its order (worst first).
    fleet: dict[str, FleetGroup]
    #: Integrations per group (deleted ones only when shown).
    totals: Counter[str]


def count_groups(by: GroupBy, every: Collection[IntegrationRow], show_deleted: bool) -> GroupCounts:
    """The counts of every group of ``every`` row: one pass, then
    :func:`syncwatch.fleet.rollup` (deleted integrations left out, as ``fleet`` does)."""
    key_of = attrgetter(by.value)
    by_state = Counter(map(attrgetter(by.value, "state"), every))
    fleet = {g.key: g for g in rollup((k, s, n) for (k, s), n in by_state.items())}
    totals: Counter[str] = Counter()
    for (key, _state), n in by_state.items():
        totals[key] += n
    if not show_deleted:
        # ``deleted`` works its facts out: asked only of rows with a deletion date.
        totals.subtract(key_of(r) for r in every if r.deleted_at is not None and r.deleted)
    return GroupCounts(by, show_deleted, fleet, totals)


def build_groups(
    counts: GroupCounts, shown: Iterable[IntegrationRow], opened: Collection[str]
) -> tuple[list[ListItem], dict[str, int], dict[str, int]]:
    """The lines of the grouped list and where each group's row and each member is.

    ``shown``: the rows the filters let through, in list order (members keep it);
    ``opened``: the groups whose members are listed. Worst group first (the roll-up's
    order), groups with no live integration last (only deleted ones, shown). One pass
    over ``shown``, no sort of the rows.
    """
    by = counts.by
    key_of = attrgetter(by.value)
    members: dict[str, list[IntegrationRow]] = {}
    for row in shown:
        key = key_of(row)
        bucket = members.get(key)
        if bucket is None:
            members[key] = [row]
        else:
            bucket.append(row)
    fleet, totals = counts.fleet, counts.totals
    order = [k for k in fleet if k in members]
    order += sorted((k for k in members if k not in fleet), key=lambda k: (k.casefold(), k))
    items: list[ListItem] = []
    group_at: dict[str, int] = {}
    row_at: dict[str, int] = {}
    for key in order:
        bucket = members[key]
        is_open = key in opened
        group_at[key] = len(items)
        items.append(GroupRow(by, key, fleet.get(key), bucket, totals[key], is_open))
        if is_open:
            start = len(items)
            row_at.update((r.id, start + i) for i, r in enumerate(bucket))
            items.extend(bucket)
    return items, group_at, row_at


def group_line(
    group: GroupRow,
    name_width: int,
    base: Style,
    marks: Collection[str],
    style_for: Callable[[str], Style],
) -> list[Segment]:
    """``▾ workday   10/12 ✖ Failing   ✖ 10  ● 2   (3 of 12 shown)``: whether any member
    is marked (``*`` all, ``+`` some), the group's name in ``name_width`` cells, its worst
    state's count of its total, the count per state worst first (coloured like the states,
    with their glyphs), and how many the filters show when not all. ``style_for``: a state
    name or colour spec to its style for the theme."""
    muted = style_for("$text-muted")
    marked = sum(1 for r in group.members if r.id in marks)
    mark = "* " if marked and marked == group.shown else "+ " if marked else "  "
    segments = [Segment(mark, base + style_for("$accent") + _BOLD)]
    segments.append(Segment("▾ " if group.open else "▸ ", base + _BOLD))
    segments.append(cell(group.key, name_width - 2, base + _BOLD))
    segments.append(Segment(" ", base))
    fleet = group.fleet
    if fleet is None:
        segments.append(cell("no live integration", SUMMARY_WIDTH, base + muted))
    else:
        worst, n = fleet.counts[0]
        text = f"{n}/{fleet.total} {worst.glyph} {worst.label}"
        segments.append(cell(text, SUMMARY_WIDTH, base + style_for(worst.value) + _BOLD))
        for state, count in fleet.counts:
            segments.append(Segment("  ", base))
            segments.append(Segment(f"{state.glyph} {count}", base + style_for(state.value)))
    if group.shown != group.total:
        segments.append(Segment(f"   ({group.shown} of {group.total} shown)", base + muted))
    return segments
