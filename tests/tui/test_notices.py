"""What the app tells the operator, and the action gate, without a terminal."""

from __future__ import annotations

from datetime import timedelta

from row_support import NOW, row

from syncwatch.actions import Action, ActionResult, Refusal
from syncwatch.clock import FixedClock, SimulatedClock
from syncwatch.present import state_change_notice
from syncwatch.states import IntegrationState as St
from syncwatch.tui import notices
from syncwatch.tui.gate import ActionGate
from syncwatch.tui.model import StateChange


def change(iid: str, old: St | None, new: St) -> StateChange:
    return StateChange(row(iid, old, 1), row(iid, new, 2))


# --------------------------------------------------------------------------- state changes


def test_a_few_state_changes_are_told_one_by_one_in_present_words() -> None:
    changes = [change("a:1", St.ACTIVE, St.SYNC_FAILING), change("b:2", None, St.ACTIVE)]
    told = notices.state_changes(changes)
    assert [n.message for n in told] == [state_change_notice(c.old, c.new) for c in changes]
    assert [(n.title, n.severity) for n in told] == [
        ("State changed", "error"),
        ("State changed", "information"),
    ]


def test_many_state_changes_make_one_summary_as_loud_as_the_worst() -> None:
    changes = [change(f"x:{i}", St.ACTIVE, St.SYNC_HAS_WARNINGS) for i in range(3)]
    changes.append(change("y:1", St.ACTIVE, St.QUALITY_ASSURANCE))
    (told,) = notices.state_changes(changes)
    assert told.title == "State changes" and told.severity == "warning"
    assert told.message == ("4 integrations changed state: 1 → ◆ QA hold, 3 → ▲ Warnings")
    assert notices.state_changes([]) == []


# --------------------------------------------------------------------------- actions


def result(iid: str, after: St) -> ActionResult:
    return ActionResult(iid, Action.DEACTIVATE, St.ACTIVE, after, "set inactive", None)


def test_an_action_on_one_integration_names_it_and_its_new_state() -> None:
    rows = {"a:1": row("a:1", organization="Acme")}
    (told,) = notices.action_done(Action.DEACTIVATE, [result("a:1", St.INACTIVE)], [], [], rows)
    assert told.title == "Deactivate: done"
    assert told.message == "Acme (a:1) is now ○ Inactive.\nset inactive"


def test_a_bulk_action_counts_and_lists_at_most_five_refusals() -> None:
    results = [result("a:1", St.INACTIVE), result("b:2", St.INACTIVE)]
    refusals = [Refusal(f"r:{i}", f"r:{i} is already inactive.") for i in range(5)]
    done, refused = notices.action_done(Action.DEACTIVATE, results, refusals, ["zz:9"], {})
    assert done.message == "Applied to 2 integrations; now 2 ○ Inactive."
    assert refused.title == "Deactivate: 6 refused" and refused.severity == "warning"
    assert refused.message.count("•") == 5
    assert refused.message.endswith("… and 1 more")


def test_failures_and_the_clock() -> None:
    assert notices.pass_failed("locked", 5.0).message == "locked. Retrying in 5 s."
    assert notices.pass_failed("locked", None).message == "locked."
    assert notices.action_failed("boom").message == "boom. Nothing was changed."
    assert notices.paused(FixedClock(NOW)).message == "Live refresh paused (p resumes)."
    assert notices.resumed(SimulatedClock(NOW)).message == "Demo resumed."
    title = notices.sub_title(FixedClock(NOW), None, paused=False, live=False, remote=True)
    assert title == (
        "Nov 26 12:00:00 UTC (fixed) · manual refresh · evaluator: first pass running"
        " · actions go to Kombo"
    )
    later = NOW + timedelta(seconds=7)
    title = notices.sub_title(FixedClock(NOW), later, paused=True, live=True, remote=False)
    assert title.endswith("· paused · last pass 12:00:07")


# --------------------------------------------------------------------------- the action gate


def test_the_gate_allows_what_why_not_allows_and_says_why_not() -> None:
    gate = ActionGate()
    active, inactive = row("a:1"), row("b:2", St.INACTIVE, enabled=False)
    assert Action.DEACTIVATE in gate.allowed(active)
    assert Action.REACTIVATE not in gate.allowed(active)
    assert gate.enabled([active]) == gate.allowed(active)
    # Marked rows: enabled when allowed for one of them; refused only when for none.
    assert {Action.REACTIVATE, Action.DEACTIVATE} <= gate.enabled([active, inactive])
    assert gate.problem(Action.REACTIVATE, [active, inactive]) is None
    problem = gate.problem(Action.RELEASE_QA, [active, inactive])
    assert problem is not None and "not allowed for any of the 2 marked" in problem
    assert gate.allowed_targets(Action.REACTIVATE, [active, inactive]) == [inactive]
    assert gate.problem(Action.DELETE, []) == "No integration is highlighted."


def test_a_read_only_gate_enables_nothing() -> None:
    gate = ActionGate(read_only=True)
    assert gate.enabled([row()]) == frozenset()
    problem = gate.problem(Action.DELETE, [row()])
    assert problem is not None and problem.startswith("syncwatch is read-only")


def test_the_gate_asks_again_for_a_new_row_object() -> None:
    gate = ActionGate()
    assert Action.DEACTIVATE in gate.allowed(row("a:1"))
    assert Action.DEACTIVATE not in gate.allowed(row("a:1", St.INACTIVE, enabled=False))
