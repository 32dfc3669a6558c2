"""How things read: times and durations, transitions (as a line and as JSON), the facts of
an integration, the words for sync results, and the one function that makes text from data
safe to show.

The command line and the terminal UI both render from here, so a fact, a transition or a
time reads the same on every surface. Nothing here touches a database or a terminal: it
turns rows (``syncwatch.rows``) into words. All times are UTC.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from syncwatch.attention import AttentionMark, is_stale, snoozed
from syncwatch.clock import iso
from syncwatch.limits import cap_message
from syncwatch.rows import IntegrationRow, KomboMark, Transition
from syncwatch.states import IntegrationState, SyncState

# Times and durations live in the pure timefmt (the evaluator writes reasons with them);
# every surface takes them from here.
from syncwatch.timefmt import fmt_ago, fmt_duration, fmt_time, plural

__all__ = [
    "ISSUE_GLYPH",
    "REASON_SHOWN",
    "SYNC_WORDS",
    "Fact",
    "Tone",
    "api_view_text",
    "attention_facts",
    "attention_json",
    "deleted_fact",
    "enabled_text",
    "filters_text",
    "fmt_ago",
    "fmt_duration",
    "fmt_time",
    "gone_warning",
    "integration_facts",
    "iso",
    "kombo_mark_facts",
    "kombo_status_text",
    "last_sync_fact",
    "link_target",
    "plural",
    "pulled_text",
    "safe_json",
    "safe_text",
    "shown_reason",
    "state_change_notice",
    "state_text",
    "sync_result_text",
    "transition_json",
    "transition_line",
    "when_text",
]


# --------------------------------------------------------------------------- text from data


#: Characters that reorder or hide text: bidi marks, embeddings, overrides and isolates, and
#: the zero-width ones (one customer's name could pose as another's with them).
_INVISIBLE = "\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
#: The line and paragraph separators: Rich (and some terminals) break lines at them.
_SEPARATORS = "\u2028\u2029"
#: What must not reach a terminal as it is: C0 controls, DEL, C1 controls, the invisibles,
#: and the separators (in one line they would split it).
_UNSAFE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}{_SEPARATORS}]")
#: The same, keeping newlines and tabs (a log message's own layout); a separator becomes
#: a newline there.
_UNSAFE_BLOCK = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE}{_SEPARATORS}]")


#: What JSON leaves raw but a terminal would act on (or reorder a line by): DEL, C1
#: controls, the invisibles and the separators. (JSON escapes C0 controls itself.)
_UNSAFE_IN_JSON = re.compile(f"[\x7f-\x9f{_INVISIBLE}{_SEPARATORS}]")


def safe_json(value: Any) -> str:
    """``value`` as JSON, exact (parsing it gives ``value`` back) and safe to print
    on a terminal: besides what JSON escapes, DEL, C1 controls, bidi, zero-width characters
    and the line separators are written as ``\\uXXXX`` escapes (they occur only inside
    strings, so the JSON stays valid). Other text stays as it is (``ensure_ascii`` off).
    Objects are indented; a list of objects has one object a line."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        # A list of records (``list``, ``logs``, ``activity``, ...): one record a line. The
        # standard library encodes compact JSON in C but indented JSON in Python, about 10x
        # slower: at 100,000 integrations indenting was most of ``list --json``'s time.
        # A record a line also greps, and ``jq`` reads it all the same.
        encode = json.JSONEncoder(ensure_ascii=False).encode
        rows = ",\n".join(map(encode, value))
        text = f"[\n{rows}\n]"
    else:
        text = json.dumps(value, indent=2, ensure_ascii=False)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _visible_line(match: re.Match[str]) -> str:
    ch = match.group()
    if ch == "\n" or ch in _SEPARATORS:
        return "␤"
    return _visible(ch)


def _visible_block(match: re.Match[str]) -> str:
    ch = match.group()
    return "\n" if ch in _SEPARATORS else _visible(ch)


def _visible(ch: str) -> str:
    code = ord(ch)
    if ch == "\t":
        return " "
    if code < 0x20:
        return chr(0x2400 + code)  # the control pictures: ␛ ␍ ␇ ...
    if code == 0x7F:
        return "␡"
    return f"<U+{code:04X}>"  # C1 controls (0x9B is a one-byte CSI), bidi, zero-width


def safe_text(text: str, *, multiline: bool = False) -> str:
    """Text that came from data (an organisation, a tool, a reason, a log line, a Kombo
    issue), made safe to show on a terminal.

    Control characters become visible (``ESC [2J`` reads ``␛[2J``, a carriage return ``␍``,
    a bell ``␇``); C1 controls, bidi overrides and zero-width characters read as their code
    point (``<U+202E>``), so nothing reaches the terminal raw and one name cannot pose as
    another. Newlines and tabs are kept when ``multiline`` (a log message), else shown as
    ``␤`` and a space; the line and paragraph separators (U+2028, U+2029) count as
    newlines. Every surface passes data-provided text through here and shows the result as
    plain text, never as markup; JSON output keeps the data exact instead.
    """
    if multiline:
        return _UNSAFE_BLOCK.sub(_visible_block, text)
    return _UNSAFE_LINE.sub(_visible_line, text)


#: Characters of a reason (or a history entry's) the UI shows: a reason is one line, and
#: one stored before the size limits could be megabytes long. The rest is cut, saying so.
REASON_SHOWN = 2_000


def shown_reason(text: str | None) -> str:
    """A state reason as the UI shows it: safe (:func:`safe_text`) and at most
    :data:`REASON_SHOWN` characters (a longer one ends saying how long it was)."""
    return safe_text(cap_message(text or "", REASON_SHOWN))


#: The characters of a URL (RFC 3986's unreserved and reserved ones, and ``%``), without
#: the brackets (only an IPv6 host has them).
_URL_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]+")


def link_target(url: str) -> str | None:
    """``url`` when it may become a clickable link (a plain ``http``/``https`` URL with a
    host, of the characters URLs are made of: no space, control character, bracket or
    quote), else ``None``: show such a URL as text only, through :func:`safe_text`. A
    link's target is written into the terminal's OSC 8 sequence, so a control character
    in it, or another scheme (``javascript:``, ``file:``), never is."""
    if not _URL_CHARACTERS.fullmatch(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # an invalid IPv6 host, say
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


# --------------------------------------------------------------------------- sync results

#: The short word for each sync result and the theme colour it is drawn in.
SYNC_WORDS: dict[SyncState, tuple[str, str]] = {
    SyncState.SUCCEEDED: ("ok", "$success"),
    SyncState.PARTIALLY_FAILED: ("partial", "$warning"),
    SyncState.FAILED: ("failed", "$error"),
    SyncState.AUTHENTICATION_FAILED: ("auth fail", "$error"),
    SyncState.TIMED_OUT: ("timed out", "$error"),
    SyncState.RUNNING: ("running", "$primary"),
    SyncState.CANCELLED: ("cancelled", "$text-muted"),
}


def sync_result_text(state: SyncState) -> str:
    """A sync's result in words: ``partially failed``, ``authentication failed``."""
    return state.value.lower().replace("_", " ")


# --------------------------------------------------------------------------- transitions


def state_text(state: IntegrationState | None) -> str:
    """A state as glyph and label (``✖ Failing``), ``(new)`` before the first."""
    return f"{state.glyph} {state.label}" if state is not None else "(new)"


def transition_line(t: Transition) -> str:
    """One transition as the command line prints it:
    ``id  SYNC_FAILING -> ACTIVE  reason``."""
    before = t.from_state.value if t.from_state else "(new)"
    return f"{t.integration_id}  {before} -> {t.to_state.value}  {t.reason}"


def transition_json(t: Transition) -> dict[str, Any]:
    """One transition as JSON, the one shape of ``evaluate --json`` and ``pull --json``
    (``watch`` and the hooks wrap the same facts in Kombo's webhook envelope)."""
    return {
        "id": t.integration_id,
        "organization": t.organization,
        "tool": t.tool,
        "from": t.from_state.value if t.from_state else None,
        "to": t.to_state.value,
        "at": iso(t.at),
        "reason": t.reason,
    }


def state_change_notice(old: IntegrationRow, new: IntegrationRow) -> str:
    """A change of state as the UI notifies it: who, from, to, and why."""
    assert new.state is not None
    return (
        f"{safe_text(new.organization)} ({safe_text(new.id)}): {state_text(old.state)} → "
        f"{state_text(new.state)}\n{safe_text(new.state_reason or '')}"
    ).rstrip()


# --------------------------------------------------------------------------- facts

#: How a fact's value is drawn: plainly, muted, as a sync result's colour, or as an alarm.
Tone = Literal["plain", "muted", "error", "warning"] | SyncState


@dataclass(frozen=True, slots=True)
class Fact:
    """One line of an integration's facts: a name, its value and how it is drawn."""

    name: str
    value: str
    tone: Tone = "plain"


def api_view_text(row: IntegrationRow) -> str:
    """Kombo's API view in one line (``none`` for a deleted integration: it answers 404)."""
    api = row.api
    if api is None:
        return "none (deleted: the API answers 404)"
    return f"status {api.status}, setup {api.setup_status}, qa {api.qa_status}"


def enabled_text(row: IntegrationRow) -> str:
    return "yes" if row.enabled else f"no ({row.disabled_reason or 'disabled'})"


def filters_text(row: IntegrationRow) -> str:
    return "configured" if row.filters_configured else "not configured"


def when_text(t: datetime | None, now: datetime) -> str:
    """A time and how long ago it was: ``Nov 17 09:00 (3 d 4 h ago)``."""
    return f"{fmt_time(t)} ({fmt_ago(t, now)})"


def last_sync_fact(row: IntegrationRow, now: datetime) -> Fact:
    """The last finished sync: its result, when it ended, its warnings and errors."""
    if row.last_sync_state is None:
        return Fact("last sync", "none finished yet", "muted")
    return Fact(
        "last sync",
        f"{sync_result_text(row.last_sync_state)}, ended {when_text(row.last_sync_ended_at, now)}; "
        f"{plural(row.last_sync_warnings, 'warning')}, {plural(row.last_sync_errors, 'error')}",
        row.last_sync_state,
    )


def deleted_fact(row: IntegrationRow) -> Fact | None:
    """When it was deleted and what became of its data (None when not deleted)."""
    if row.deleted_at is None:
        return None
    if not row.deleted:
        return Fact("deleted", f"to be deleted {fmt_time(row.deleted_at)}")
    purge = "data purged" if row.purged_at else "data purged 14 days later"
    return Fact("deleted", f"{fmt_time(row.deleted_at)} ({purge}; deletion is final)")


ISSUE_GLYPH = "⚑"


def kombo_mark_facts(
    mark: KomboMark | None, deleted: bool, now: datetime, *, hint: str = "(below)"
) -> list[Fact]:
    """Kombo's side in the facts: gone upstream, open issues (``hint`` says where they are
    listed)."""
    facts: list[Fact] = []
    if mark is None:
        return facts
    if mark.gone_at is not None and not deleted:
        facts.append(Fact("kombo", f"gone (404 {fmt_ago(mark.gone_at, now)})", "error"))
    if mark.open_issues:
        facts.append(
            Fact(
                "kombo issues",
                f"{ISSUE_GLYPH} {plural(mark.open_issues, 'open issue')} {hint}",
                "warning",
            )
        )
    return facts


def attention_facts(
    mark: AttentionMark | None, state: IntegrationState | None, now: datetime
) -> list[Fact]:
    """Who is on it and whether it is snoozed, as facts: ``acknowledged`` (by whom, since
    when, for which state, the note; ``stale`` when the state got worse since) and
    ``snoozed`` (until when, by whom; nothing once the snooze ended). The values hold
    data (names, the note): the caller shows them through :func:`safe_text`."""
    facts: list[Fact] = []
    if mark is None:
        return facts
    ack = mark.ack
    if ack is not None:
        text = f"by {ack.by} {fmt_ago(ack.at, now)} ({ack.state.label})"
        stale = is_stale(ack, state)
        if stale and state is not None:
            text += f"; stale: now {state.label}"
        if ack.note:
            text += f": {ack.note}"
        facts.append(Fact("acknowledged", text, "warning" if stale else "muted"))
    if mark.snooze is not None and snoozed(mark.snooze, now):
        left = fmt_duration(mark.snooze.until - now)
        facts.append(
            Fact(
                "snoozed",
                f"until {fmt_time(mark.snooze.until, now)} ({left} left), by {mark.snooze.by}",
                "muted",
            )
        )
    return facts


def attention_json(
    mark: AttentionMark | None, state: IntegrationState | None, now: datetime
) -> dict[str, Any]:
    """``ack`` and ``snooze`` for ``list --json`` and ``show --json`` (``null`` when none;
    a snooze that ended is ``null``)."""
    ack = mark.ack if mark is not None else None
    snooze = mark.snooze if mark is not None and snoozed(mark.snooze, now) else None
    return {
        "ack": None
        if ack is None
        else {
            "by": ack.by,
            "at": iso(ack.at),
            "state": ack.state.value,
            "note": ack.note,
            "stale": is_stale(ack, state),
        },
        "snooze": None
        if snooze is None
        else {"until": iso(snooze.until), "by": snooze.by, "at": iso(snooze.at)},
    }


def gone_warning(gone_at: datetime, integration_id: str) -> str:
    """What to say of an integration Kombo answered 404 for (not for a deleted one)."""
    return (
        f"Gone from Kombo: it answered 404 on {fmt_time(gone_at)}. Deleted there, or another "
        f"region or API key. To delete it here only: syncwatch delete {integration_id} --local."
    )


def kombo_status_text(status: str | None) -> str:
    """Kombo's status as the last pull saw it: ``status ACTIVE``."""
    return f"status {status or 'unknown'}"


def pulled_text(checked_at: datetime | None, now: datetime) -> str:
    """When that pull was: ``, pulled 5 min ago`` (nothing when never pulled)."""
    return f", pulled {fmt_ago(checked_at, now)}" if checked_at is not None else ""


def integration_facts(
    row: IntegrationRow,
    now: datetime,
    *,
    compact: bool = False,
    kombo: KomboMark | None = None,
    kombo_hint: str = "(below)",
    attention: AttentionMark | None = None,
) -> list[Fact]:
    """The facts behind an integration's state, in the order every surface shows them
    (``compact``: the preview's short list)."""
    facts = [
        last_sync_fact(row, now),
        Fact("in state since", when_text(row.state_since, now)),
        *attention_facts(attention, row.state, now),
        *kombo_mark_facts(kombo, row.deleted, now, hint=kombo_hint),
        Fact("api view", api_view_text(row)),
        Fact("enabled", enabled_text(row)),
        Fact("filters", filters_text(row)),
    ]
    if not compact:
        facts.append(Fact("last API request", fmt_ago(row.last_api_request_at, now)))
        facts.append(Fact("credentials updated", fmt_ago(row.credentials_updated_at, now)))
        if row.credentials_invalid_at is not None:
            facts.append(
                Fact("credentials invalid", f"since {fmt_time(row.credentials_invalid_at)}")
            )
        facts.append(Fact("created", fmt_time(row.created_at, now)))
    deleted = deleted_fact(row)
    if deleted is not None:
        facts.append(deleted)
    return facts
