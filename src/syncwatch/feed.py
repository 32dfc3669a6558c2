"""The fleet's activity: recent state transitions and operator actions, newest first, and
who did what.

Pure: the row type of the feed (:class:`FeedEntry`), what a reader asks for
(:class:`FeedQuery`: filters, a page size, and where the previous page ended), the one
order entries are read in, how an entry reads (text and JSON), the filter language the
UI's feed screen types in, and an integration's history with each transition attributed to
the action that caused it. The reads are :mod:`syncwatch.db.feed`; the command is
``syncwatch activity`` (:mod:`syncwatch.cli.activity`) and the screen
:mod:`syncwatch.tui.screens.feed`.

The order is newest first by time; entries of the same time are grouped by integration
(its id, descending: any fixed order would do), and within one integration a transition
comes before the action that caused it (the effect above its cause, as a newest-first list
reads), then the larger id first. A page ends at a :class:`FeedCursor`; the next page is
what comes strictly after it in that order (keyset paging: no offset, so a page is as quick
at the end as at the start, and nothing is skipped or shown twice when entries arrive
meanwhile).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from syncwatch.actions import Action
from syncwatch.clock import iso, parse_instant
from syncwatch.present import safe_text
from syncwatch.rows import AuditRow, HistoryRow
from syncwatch.states import IntegrationState
from syncwatch.timefmt import fmt_time
from syncwatch.upstream_requests import request_expiry, request_label

__all__ = [
    "DEFAULT_PAGE",
    "FeedCursor",
    "FeedEntry",
    "FeedKind",
    "FeedQuery",
    "HistoryItem",
    "action_label",
    "actor_text",
    "attributed_history",
    "entry_json",
    "filter_help",
    "parse_filter",
    "parse_since",
    "parse_state",
    "what_text",
]

#: Entries a page holds unless asked otherwise.
DEFAULT_PAGE = 50


class FeedKind(StrEnum):
    """What an entry of the feed is."""

    #: A change of the state an integration shows (its state history).
    TRANSITION = "transition"
    #: An operator action (its audit log).
    ACTION = "action"

    @property
    def rank(self) -> int:
        """Its place among entries of the same time, newest first: the transition (the
        effect) above the action (the cause)."""
        return 1 if self is FeedKind.TRANSITION else 0


@dataclass(frozen=True, slots=True)
class FeedCursor:
    """Where a page ended: the next page starts strictly after this entry."""

    at: datetime
    integration_id: str
    kind: FeedKind
    id: int

    @property
    def token(self) -> str:
        """The cursor as one word (``--before`` takes it back)."""
        return f"{iso(self.at)}~{self.kind.value}~{self.id}~{self.integration_id}"

    @classmethod
    def parse(cls, token: str) -> FeedCursor:
        """A cursor from :attr:`token`; ``ValueError`` saying what is wrong."""
        problem = (
            f"{token!r} is not a feed cursor (expected TIME~KIND~NUMBER~ID, as a page's "
            "'cursor' gives it)"
        )
        parts = token.strip().split("~", 3)
        if len(parts) != 4:
            raise ValueError(problem)
        at, kind, number, integration_id = parts
        try:
            return cls(parse_instant(at), integration_id, FeedKind(kind), int(number))
        except ValueError:
            raise ValueError(problem) from None

    def sort_key(self) -> tuple[datetime, str, int, int]:
        return (self.at, self.integration_id, self.kind.rank, self.id)


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One transition or one operator action, with the integration's names."""

    kind: FeedKind
    #: Its id in its own table (a transition's is its ``seq``, as ``watch`` numbers it).
    id: int
    at: datetime
    integration_id: str
    organization: str
    tool: str
    #: A transition's from and to; an action's state before and after.
    from_state: IntegrationState | None
    to_state: IntegrationState | None
    #: A transition's reason ("" for an action).
    reason: str = ""
    #: An action's name (``deactivate``; None for a transition).
    action: str | None = None
    #: Who acted (None for a transition: the rules, an import, Kombo or the demo engine).
    actor: str | None = None
    #: The database role that recorded the action (PostgreSQL only).
    db_role: str | None = None
    #: A transition that rewrote history recorded before (a sync arrived late): not news.
    correction: bool = False

    @property
    def cursor(self) -> FeedCursor:
        return FeedCursor(self.at, self.integration_id, self.kind, self.id)

    def sort_key(self) -> tuple[datetime, str, int, int]:
        """Larger is newer (see the module's order)."""
        return (self.at, self.integration_id, self.kind.rank, self.id)


@dataclass(frozen=True, slots=True)
class FeedQuery:
    """What to read: every filter given must match (an empty one matches everything)."""

    #: Transitions into one of these states; actions that left it in one of them.
    states: frozenset[IntegrationState] = frozenset()
    #: Tools, exactly (case aside).
    tools: frozenset[str] = frozenset()
    #: Organisations containing one of these (case aside).
    organizations: tuple[str, ...] = ()
    #: Actors, exactly (case aside): only actions have one.
    actors: frozenset[str] = frozenset()
    kinds: frozenset[FeedKind] = frozenset()
    #: Only entries at or after this time.
    since: datetime | None = None
    #: Only this integration's entries.
    integration_id: str | None = None
    #: Entries where some word of this appears in the id, organisation, tool, actor,
    #: action, reason or states (the UI's filter; every word must appear, case aside).
    text: str = ""
    limit: int = DEFAULT_PAGE
    #: The previous page's end: this page holds what comes after it.
    after: FeedCursor | None = None

    def wants(self, kind: FeedKind) -> bool:
        """Whether entries of ``kind`` can match (an actor filter rules out transitions)."""
        if self.kinds and kind not in self.kinds:
            return False
        return not (self.actors and kind is FeedKind.TRANSITION)

    @property
    def words(self) -> list[str]:
        return [w.casefold() for w in self.text.split()]

    def next_page(self, last: FeedEntry) -> FeedQuery:
        """The same query, for the page after ``last``."""
        return replace(self, after=last.cursor)


def merge_newest_first(pages: Iterable[Sequence[FeedEntry]], limit: int) -> list[FeedEntry]:
    """Entries of several tables, each newest first, as one page of at most ``limit``."""
    merged = sorted((e for page in pages for e in page), key=FeedEntry.sort_key, reverse=True)
    return merged[:limit]


# --------------------------------------------------------------------------- parsing

_DURATION = re.compile(r"^\s*(\d{1,6})\s*(s|sec|m|min|h|d|w)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str, now: datetime) -> datetime:
    """``--since``: a duration before ``now`` (``90m``, ``2h``, ``3d``, ``1w``) or an ISO
    8601 instant with a time zone; ``ValueError`` in words for anything else."""
    match = _DURATION.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        return now - timedelta(seconds=amount * _UNIT_SECONDS[unit])
    try:
        return parse_instant(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a duration (90m, 2h, 3d, 1w) nor an ISO 8601 time with a "
            "time zone (2026-11-26T09:00:00Z)"
        ) from None


def parse_state(text: str) -> IntegrationState:
    """A state by its name (``sync_failing``, ``SYNC-FAILING``) or its label (``failing``,
    ``creds invalid``); ``ValueError`` listing the names otherwise."""
    key = text.strip().upper().replace("-", "_").replace(" ", "_")
    try:
        return IntegrationState(key)
    except ValueError:
        pass
    for state in IntegrationState:
        if state.label.upper().replace(" ", "_") == key:
            return state
    names = ", ".join(s.value.lower() for s in IntegrationState)
    raise ValueError(f"unknown state {text!r} (one of {names})")


def parse_kind(text: str) -> FeedKind:
    """``transition`` or ``action`` (plurals too); ``ValueError`` otherwise."""
    key = text.strip().lower().removesuffix("s")
    try:
        return FeedKind(key)
    except ValueError:
        raise ValueError(f"unknown kind {text!r} (transition or action)") from None


#: The filter words the feed screen understands, and what each filters.
_FILTER_KEYS = ("state", "tool", "org", "actor", "kind", "since")


def filter_help() -> str:
    """What the feed screen's filter takes, in one line."""
    return (
        "words match anywhere; state:failing tool:workday org:acme actor:alice "
        "kind:action since:2h narrow it"
    )


def parse_filter(text: str, now: datetime, base: FeedQuery | None = None) -> FeedQuery:
    """The feed screen's filter: ``key:value`` words (:data:`_FILTER_KEYS`) narrow by that
    field, every other word must appear somewhere; a ``key:`` without a value yet narrows
    nothing. A ``key:value`` that does not parse (``state:nonsense``) raises ``ValueError``
    naming it."""
    states: set[IntegrationState] = set()
    tools: set[str] = set()
    orgs: list[str] = []
    actors: set[str] = set()
    kinds: set[FeedKind] = set()
    since: datetime | None = None
    words: list[str] = []
    for word in text.split():
        key, sep, value = word.partition(":")
        key = key.lower()
        if not sep or key not in _FILTER_KEYS:
            words.append(word)
            continue
        if not value:
            continue  # ``state:`` being typed: nothing to narrow by yet
        if key == "state":
            states.add(parse_state(value))
        elif key == "tool":
            tools.add(value)
        elif key == "org":
            orgs.append(value)
        elif key == "actor":
            actors.add(value)
        elif key == "kind":
            kinds.add(parse_kind(value))
        else:
            since = parse_since(value, now)
    start = base or FeedQuery()
    return replace(
        start,
        states=frozenset(states) or start.states,
        tools=frozenset(tools) or start.tools,
        organizations=tuple(orgs) or start.organizations,
        actors=frozenset(actors) or start.actors,
        kinds=frozenset(kinds) or start.kinds,
        since=since or start.since,
        text=" ".join(words),
        after=None,
    )


# --------------------------------------------------------------------------- how it reads


def action_label(action: str | None) -> str:
    """An action's title (``Release from QA``), or its stored name if it is not one we know."""
    if action is None:
        return ""
    try:
        return Action(action).label
    except ValueError:
        from syncwatch.ack_actions import AUDIT_LABELS

        return request_label(action) or AUDIT_LABELS.get(action) or action


def actor_text(actor: str | None, db_role: str | None = None) -> str:
    """Who acted, safe to show: ``alice``, ``alice (role sw_ops)`` when the database role
    is known and differs from the name; "" when nobody acted (a transition)."""
    if actor is None:
        return ""
    if db_role is None or db_role == actor:
        return safe_text(actor)
    return f"{safe_text(actor)} (role {safe_text(db_role)})"


def _state(state: IntegrationState | None) -> str:
    return f"{state.glyph} {state.label}" if state is not None else "(new)"


def what_text(entry: FeedEntry) -> str:
    """What happened, in one line: ``● Active → ✖ Failing`` for a transition,
    ``Deactivate (✖ Failing → ○ Inactive)`` for an action."""
    change = f"{_state(entry.from_state)} → {_state(entry.to_state)}"
    if entry.kind is FeedKind.TRANSITION:
        return f"{change} (correction)" if entry.correction else change
    if entry.from_state == entry.to_state:
        expiry = request_expiry(entry.action or "", entry.at)
        until = f", expires {fmt_time(expiry, entry.at)}" if expiry is not None else ""
        return f"{action_label(entry.action)} (stays {_state(entry.to_state)}{until})"
    return f"{action_label(entry.action)} ({change})"


def entry_json(entry: FeedEntry) -> dict[str, Any]:
    """One entry as JSON: the data exact (the caller's writer makes it terminal-safe)."""
    return {
        "kind": entry.kind.value,
        "at": iso(entry.at),
        "id": entry.integration_id,
        "organization": entry.organization,
        "tool": entry.tool,
        "from": entry.from_state.value if entry.from_state else None,
        "to": entry.to_state.value if entry.to_state else None,
        "reason": entry.reason if entry.kind is FeedKind.TRANSITION else None,
        "action": entry.action,
        "actor": entry.actor,
        "db_role": entry.db_role,
        # A transition that rewrote history recorded before (a sync arrived late).
        "correction": entry.correction if entry.kind is FeedKind.TRANSITION else None,
        # A transition's seq is the number ``watch --since`` takes.
        "seq": entry.id if entry.kind is FeedKind.TRANSITION else None,
        "cursor": entry.cursor.token,
        # A reconnection link's end of validity (the link itself is never stored).
        "expires_at": iso(request_expiry(entry.action or "", entry.at)),
    }


def matches_words(entry: FeedEntry, words: Sequence[str]) -> bool:
    """Whether every word appears in one of the entry's texts (case aside): what the
    database's text filter does, for entries already in memory."""
    haystack = " ".join(
        (
            entry.integration_id,
            entry.organization,
            entry.tool,
            entry.actor or "",
            entry.action or "",
            action_label(entry.action),
            entry.reason,
            entry.from_state.value if entry.from_state else "",
            entry.to_state.value if entry.to_state else "",
        )
    ).casefold()
    return all(w in haystack for w in words)


# --------------------------------------------------------------------------- history


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One line of an integration's history: a transition (with the action that caused it,
    if one did), or an action that changed no state."""

    at: datetime
    #: The transition (None: an action that changed no state).
    change: HistoryRow | None = None
    #: The operator action behind it (None: the rules, an import, Kombo, the demo engine).
    action: AuditRow | None = None
    #: The database role of the action (PostgreSQL), when known.
    db_role: str | None = field(default=None)

    @property
    def actor(self) -> str | None:
        return self.action.actor if self.action is not None else None


def attributed_history(
    history: Sequence[HistoryRow], audit: Sequence[AuditRow]
) -> list[HistoryItem]:
    """An integration's history (oldest first) with its operator actions: a transition an
    action caused (same time, its state before and after) carries it; an action that caused
    none (updating the credentials of an active integration) is an item of its own, at its
    time. Each action attributes at most one transition."""
    unused = list(audit)
    items: list[HistoryItem] = []
    for change in history:
        cause = next(
            (
                a
                for a in unused
                if a.at == change.at
                and a.state_after == change.to_state.value
                and a.state_before == (change.from_state.value if change.from_state else None)
            ),
            None,
        )
        if cause is not None:
            unused.remove(cause)
        items.append(HistoryItem(change.at, change, cause, _role(cause)))
    items += [HistoryItem(a.at, None, a, _role(a)) for a in unused]
    # Stable: transitions keep their recorded order; a lone action goes after what
    # happened at its time.
    items.sort(key=lambda item: item.at)
    return items


def _role(audit: AuditRow | None) -> str | None:
    # ``AuditRow.db_role`` once rows.py has it (see syncwatch.db.feed.integration_audit).
    return audit.db_role if audit is not None else None
