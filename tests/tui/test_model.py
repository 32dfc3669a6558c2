"""The UI's model without a terminal: what a load changes, which state changes are announced."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from row_support import NOW, row

from syncwatch.rows import IntegrationRow, KomboMark
from syncwatch.states import IntegrationState as St
from syncwatch.tui.model import Model, StateChange


def loaded(*rows: IntegrationRow) -> Model:
    model = Model(NOW)
    model.apply(rows, full=True)
    return model


def test_the_first_load_takes_every_row_and_announces_nothing() -> None:
    model = Model(NOW)
    rows = [row("a:1", St.ACTIVE, 3), row("b:2", St.SYNC_FAILING, 5), row("c:3", None, 4)]
    changes = model.apply(rows, full=True)
    assert changes.full and changes.added == {"a:1", "b:2", "c:3"}
    assert not changes.updated and not changes.transitions
    assert list(model.rows) == ["a:1", "b:2", "c:3"]
    assert model.state_counts == {St.ACTIVE: 1, St.SYNC_FAILING: 1, None: 1}
    assert model.revision == 5


def test_an_empty_first_load_still_moves_the_feed_position() -> None:
    model = Model(NOW)
    assert model.revision is None
    assert not model.apply([], full=True).rows
    assert model.revision == 0  # the next load asks for changes, not everything


def test_a_changed_state_is_announced_and_counted() -> None:
    model = loaded(row("a:1", St.ACTIVE, 1), row("b:2", St.ACTIVE, 2))
    before = model.rows["a:1"]
    failing = row("a:1", St.SYNC_FAILING, 7)
    changes = model.apply([failing])
    assert changes.updated == {"a:1"} and not changes.added
    assert changes.transitions == (StateChange(before, failing),)
    assert model.rows["a:1"] is failing
    assert model.state_counts[St.ACTIVE] == 1 and model.state_counts[St.SYNC_FAILING] == 1
    assert model.revision == 7
    assert changes.ids == {"a:1"}


def test_what_is_not_announced() -> None:
    model = loaded(row("a:1", St.ACTIVE, 1), row("b:2", St.ACTIVE, 2), row("c:3", St.ACTIVE, 3))
    changes = model.apply(
        [
            row("a:1", St.INACTIVE, 4),  # the operator's own action: its notice says it
            row("b:2", None, 5),  # not evaluated yet: nothing to say
            row("c:3", St.ACTIVE, 6),  # same state, newer facts
            row("d:4", St.SYNC_FAILING, 6),  # new: nothing to compare with
        ],
        quiet=["a:1"],
    )
    assert not changes.transitions
    assert changes.added == {"d:4"} and changes.updated == {"a:1", "b:2", "c:3"}


def test_an_older_row_never_replaces_a_newer_one() -> None:
    model = loaded(row("a:1", St.SYNC_FAILING, 9))
    changes = model.apply([row("a:1", St.ACTIVE, 8)])
    assert not changes and not changes.rows
    assert model.rows["a:1"].state is St.SYNC_FAILING
    assert model.revision == 9


def test_a_full_load_after_the_first_replaces_everything_quietly() -> None:
    model = loaded(row("a:1", St.ACTIVE, 1), row("b:2", St.ACTIVE, 2))
    changes = model.apply([row("a:1", St.SYNC_FAILING, 3)], full=True)
    assert changes.removed == {"b:2"} and changes.updated == {"a:1"}
    assert not changes.transitions
    assert set(model.rows) == {"a:1"}
    assert +model.state_counts == {St.SYNC_FAILING: 1}


def test_kombo_marks_follow_their_rows() -> None:
    model = Model(NOW)
    gone = KomboMark(0, NOW)
    model.apply([row("a:1"), row("b:2")], full=True, marks={"a:1": gone})
    kombo = model.kombo
    assert kombo == {"a:1": gone}
    # Marks of changed rows: an empty one is dropped, a new one added; the dict is the same
    # object (the list holds it).
    model.apply([row("a:1", revision=5), row("b:2", revision=5)], marks={
        "a:1": KomboMark(), "b:2": KomboMark(2)
    })  # fmt: skip
    assert model.kombo is kombo and kombo == {"b:2": KomboMark(2)}
    # Not loaded: the marks stay.
    model.apply([row("b:2", revision=6)])
    assert kombo == {"b:2": KomboMark(2)}


def test_times_follow_passes_and_actions() -> None:
    model = Model(NOW)
    later = NOW + timedelta(minutes=5)
    model.pass_finished(later)
    assert model.now == later and model.last_pass_at == later and model.passes == 1
    model.action_applied(NOW)  # an earlier action time does not move relative times back
    assert model.now == later
    model.action_applied(later + timedelta(seconds=1))
    assert model.now == later + timedelta(seconds=1) and model.passes == 1


# --------------------------------------------------------------------------- attention


def test_take_attention_reports_changed_marks_and_silenced_follows_the_rule() -> None:
    """The marks of a pass replace the held ones (a removed ack is gone); the ids whose
    mark changed come back for a repaint; a change is silenced as
    ``syncwatch.attention.silenced`` says, at the model's time."""
    from syncwatch.attention import Ack, AttentionMark, Snooze

    model = Model(now=NOW)
    acked = AttentionMark(Ack("alice", NOW, St.SYNC_FAILING))
    snoozed = AttentionMark(snooze=Snooze(NOW + timedelta(hours=1), "bob", NOW))
    assert model.take_attention({"a": acked, "b": snoozed}) == {"a", "b"}
    assert model.take_attention({"a": acked, "b": snoozed}) == frozenset()
    assert model.take_attention(None) == frozenset()  # not loaded: kept
    assert set(model.attention) == {"a", "b"}

    def change(iid: str, old: St, new: St) -> StateChange:
        return StateChange(row(iid, state=old), row(iid, state=new))

    S = St
    assert model.silenced(change("a", S.SYNC_FAILING, S.ACTIVE))
    assert not model.silenced(change("a", S.SYNC_FAILING, S.CREDENTIALS_INVALID))
    assert model.silenced(change("b", S.ACTIVE, S.CREDENTIALS_INVALID))
    assert not model.silenced(change("c", S.ACTIVE, S.SYNC_FAILING))
    model.now = NOW + timedelta(hours=1)  # the snooze ended
    assert not model.silenced(change("b", S.ACTIVE, S.CREDENTIALS_INVALID))
    assert model.take_attention({"a": acked}) == {"b"}
    assert set(model.attention) == {"a"}


@pytest.mark.parametrize(
    ("deleted_at", "evaluated_at", "deleted"),
    [
        (None, NOW, False),
        (NOW - timedelta(hours=1), NOW, True),
        (NOW, NOW, True),
        # A deletion dated after the last evaluation is still to come: the row shows its state.
        (NOW + timedelta(hours=1), NOW, False),
        (NOW + timedelta(hours=1), None, True),  # no evaluation time: a set deletion counts
    ],
)
def test_a_row_is_deleted_as_the_evaluator_says(
    deleted_at: datetime | None, evaluated_at: datetime | None, deleted: bool
) -> None:
    r = row(deleted_at=deleted_at, evaluated_at=evaluated_at)
    assert r.deleted is deleted
    assert r.facts.deleted_by(r.evaluated_at) is deleted  # the list and the evaluator agree
