"""What the app tells the operator: its notifications and the header's sub-title.

Plain functions from facts to words (no Textual): a state change reads as
:func:`syncwatch.present.state_change_notice` words it, a state as
:func:`syncwatch.present.state_text`; the UI never words a transition itself. Text from
data is shown as plain text, made safe by :func:`syncwatch.present.safe_text` where it is
put into words; the app posts every :class:`Notice` with markup off (and through
``safe_text`` once more, keeping the notice's own lines).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from syncwatch.actions import Action, ActionResult, Refusal
from syncwatch.clock import Clock, FixedClock, SimulatedClock
from syncwatch.outages import Outage
from syncwatch.present import (
    fmt_time,
    safe_text,
    shown_reason,
    state_change_notice,
    state_text,
)
from syncwatch.rows import IntegrationRow
from syncwatch.states import IntegrationState
from syncwatch.tui.model import StateChange

Severity = Literal["information", "warning", "error"]

#: More state changes than this at once make one summary notification.
NOTIFY_ONE_BY_ONE = 3
#: At most this many refusals are listed (then "… and N more").
REFUSALS_SHOWN = 5

#: How loudly a change into a state is announced (the others: as information).
_SEVERITY: dict[IntegrationState, Severity] = {
    IntegrationState.QUALITY_ASSURANCE: "warning",
    IntegrationState.AUTHENTICATION_FAILING: "warning",
    IntegrationState.SYNC_FAILING: "error",
    IntegrationState.CREDENTIALS_INVALID: "error",
}
_SEVERITY_RANK: dict[Severity, int] = {"information": 0, "warning": 1, "error": 2}


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification: its text, title, severity and how long it shows (None: the
    app's default)."""

    message: str
    title: str = ""
    severity: Severity = "information"
    timeout: float | None = None


def notification_severity(state: IntegrationState) -> Severity:
    """How loudly a change into ``state`` is announced."""
    return _SEVERITY.get(state, "information")


# --------------------------------------------------------------------------- state changes


def state_changes(
    changes: Sequence[StateChange], folded: Container[str] = (), *, summary: bool = False
) -> list[Notice]:
    """One notice per state change, or one summary when many change at once (``summary``:
    when more than one changed, as at the end of a burst).

    ``folded``: integrations in a tool's outage; their changes are told by the outage's
    one notice (:func:`outage_started`), not one by one.
    """
    changes = [c for c in changes if c.new.id not in folded]
    if not changes:
        return []
    if len(changes) == 1 or (not summary and len(changes) <= NOTIFY_ONE_BY_ONE):
        notices = []
        for old, new in changes:
            assert new.state is not None
            notices.append(
                Notice(
                    state_change_notice(old, new),
                    "State changed",
                    notification_severity(new.state),
                )
            )
        return notices
    into = Counter(new.state for _old, new in changes if new.state is not None)
    worst = max((notification_severity(s) for s in into), key=_SEVERITY_RANK.__getitem__)
    parts = ", ".join(
        f"{n} → {state_text(s)}" for s, n in sorted(into.items(), key=lambda kv: -kv[0].severity)
    )
    return [Notice(f"{len(changes)} integrations changed state: {parts}", "State changes", worst)]


# --------------------------------------------------------------------------- outages


def outage_started(outage: Outage, now: datetime) -> Notice:
    """A tool's outage, once (not one notice per integration it hits)."""
    return Notice(
        f"{safe_text(outage.text(now))}.\nIts integrations' changes are not told one by one "
        "until it clears.",
        f"Outage: {safe_text(outage.tool)}",
        "error",
        timeout=15,
    )


def outage_cleared(tool: str) -> Notice:
    """A tool's outage no longer holds."""
    return Notice(
        f"{safe_text(tool)}: fewer than half of its integrations fail the same way now.",
        f"Outage over: {safe_text(tool)}",
    )


# --------------------------------------------------------------------------- operator actions


def action_refused(action: Action, problem: str) -> Notice:
    """An action key pressed where the action is not allowed: why not."""
    return Notice(problem, f"{action.label}: not allowed", "warning")


def action_done(
    action: Action,
    results: Sequence[ActionResult],
    refusals: Sequence[Refusal],
    unknown: Sequence[str],
    rows: Mapping[str, IntegrationRow],
) -> list[Notice]:
    """What an applied action did (the new state, or how many went into which) and what
    was refused."""
    notices: list[Notice] = []
    title = f"{action.label}: done"
    if len(results) == 1:
        r = results[0]
        row = rows.get(r.integration_id)
        name = f"{safe_text(row.organization)} ({safe_text(r.integration_id)})" if row else ""
        name = name or safe_text(r.integration_id)
        notices.append(
            Notice(f"{name} is now {state_text(r.state_after)}.\n{shown_reason(r.reason)}", title)
        )
    elif results:
        into = Counter(r.state_after for r in results)
        parts = ", ".join(f"{n} {state_text(s)}" for s, n in into.items())
        notices.append(Notice(f"Applied to {len(results)} integrations; now {parts}.", title))
    problems = [r.message for r in refusals]
    problems += [f"no integration with id {safe_text(repr(i))}" for i in unknown]
    if problems:
        shown = "\n".join(f"• {p}" for p in problems[:REFUSALS_SHOWN])
        more = len(problems) - REFUSALS_SHOWN
        if more > 0:
            shown += f"\n… and {more} more"
        notices.append(Notice(shown, f"{action.label}: {len(problems)} refused", "warning"))
    return notices


def asking_kombo(action: Action, ids: Sequence[str]) -> Notice:
    """Said while an action waits for Kombo (the call can take seconds, retries included)."""
    what = f"{len(ids)} integrations" if len(ids) > 1 else safe_text(ids[0])
    text = f"Asking Kombo to {action.label.lower()} {what} first ..."
    return Notice(text, action.label, timeout=3)


def action_cancelled(action: Action) -> Notice:
    """Said when a confirmation was cancelled."""
    return Notice(f"{action.label} cancelled; nothing changed.", timeout=3)


def kombo_off(error: str) -> Notice:
    """Remote actions were asked for but cannot be used."""
    return Notice(
        f"{error}. Actions change syncwatch only, not Kombo.",
        "Kombo remote actions are off",
        "error",
        timeout=15,
    )


# --------------------------------------------------------------------------- failures


def pass_failed(error: str, retry_in: float | None) -> Notice:
    """An evaluation pass failed; ``retry_in``: seconds to the next one (None: none due)."""
    retry = f" Retrying in {retry_in:g} s." if retry_in is not None else ""
    return Notice(f"{error}.{retry}", "Evaluation pass failed", "error")


def nothing_stored(why: str) -> Notice:
    """A pass ran in memory: what is shown is true now, but it was not stored."""
    return Notice(
        f"Showing the states as evaluated now; nothing is stored: {why}.",
        "Nothing stored",
        "warning",
    )


def action_failed(error: str) -> Notice:
    return Notice(f"{error}. Nothing was changed.", "Action failed", "error")


def load_failed(error: str) -> Notice:
    return Notice(error, "Could not load", "error")


# --------------------------------------------------------------------------- the clock


def paused(clock: Clock) -> Notice:
    what = "Demo paused" if isinstance(clock, SimulatedClock) else "Live refresh paused"
    return Notice(f"{what} (p resumes).", timeout=3)


def resumed(clock: Clock) -> Notice:
    simulated = isinstance(clock, SimulatedClock)
    return Notice("Demo resumed." if simulated else "Live refresh resumed.", timeout=3)


def muted(on: bool) -> Notice:
    """State-change notifications muted (``!``) or back."""
    if on:
        text = (
            "State-change notifications muted (! unmutes). Changed rows are still marked •, "
            "and the window title still counts the failing ones."
        )
        return Notice(text, "Muted", timeout=4)
    return Notice("State-change notifications back on.", "Unmuted", timeout=3)


def bell(on: bool) -> Notice:
    """The bell switched on or off (``B``); remembered for the next start."""
    if on:
        text = "The bell rings when an integration gets worse (B stops it; remembered)."
        return Notice(text, "Bell on", timeout=4)
    return Notice("No bell (B turns it back on; remembered).", "Bell off", timeout=3)


def clock_speed(speed: float) -> Notice:
    """The demo clock's new speed, and what it means (``×3600: an hour a second``)."""
    units = ((86400, "a day", "days"), (3600, "an hour", "hours"), (60, "a minute", "minutes"))
    size, one, many = next((u for u in units if speed >= u[0]), units[-1])
    count = speed / size
    amount = one if count == 1 else f"{count:g} {many}"
    return Notice(f"Simulated clock: ×{speed:g} ({amount} a second)", timeout=2)


def sub_title(
    clock: Clock,
    last_pass_at: datetime | None,
    *,
    paused: bool,
    live: bool,
    remote: bool,
    outages: Sequence[str] = (),
) -> str:
    """The header's second line: the clock, live or paused, the last pass, whether
    actions go to Kombo, and the tools in an outage (``outages``)."""
    now = clock.now()
    kind = " (fixed)" if isinstance(clock, FixedClock) else ""
    if isinstance(clock, SimulatedClock):
        kind = f" (simulated ×{clock.speed:g}{', paused' if clock.paused else ''})"
    when = f"{fmt_time(now)}:{now:%S} UTC{kind}"
    if last_pass_at is None:
        last = "evaluator: first pass running"
    else:
        last = f"last pass {last_pass_at:%H:%M:%S}"
    state = "paused" if paused else ("live" if live else "manual refresh")
    kombo = " · actions go to Kombo" if remote else ""
    down = f" · ⚡ outage: {', '.join(safe_text(t) for t in outages)}" if outages else ""
    return f"{when} · {state} · {last}{kombo}{down}"


def preferences_not_ours(problem: str) -> Notice:
    """The preferences file is not syncwatch's: not read, and not overwritten."""
    return Notice(
        f"{problem}. Your choices are not remembered this time; the file is left as it is.",
        "Preferences not read",
        "warning",
        timeout=8,
    )


def preferences_not_saved(problem: str) -> Notice:
    """Writing the preferences failed: said once, nothing more written this run."""
    return Notice(f"{problem}.", "Preferences not saved", "warning", timeout=8)


def demo_story(captions: Sequence[str], *, end: bool) -> Notice:
    """The demo's captions for the events of one pass (one notice, however many), or its
    end card."""
    shown = list(captions[:6])
    if len(captions) > len(shown):
        shown.append(f"... and {len(captions) - len(shown)} more")
    title = "Demo: the end" if end else "Demo"
    return Notice("\n".join(shown), title, timeout=30 if end else 8)
