"""Issue 12, finding 9 (the clock): a pass at a time before the last stored evaluation must
not write history.

The flap of the issue: a failing sync ended Nov 10; the store evaluated it at Nov 20
(SYNC_FAILING). ``evaluate --full --now Nov 5`` then stored ``SYNC_FAILING -> ACTIVE`` at
Nov 5, and the next pass ``ACTIVE -> SYNC_FAILING`` at Nov 20: a flap that never happened,
seen by ``watch`` and hooks. Now such a pass stores nothing: ``evaluate`` exits 2 saying why,
``list`` and ``show`` print the states as of that time with a note on stderr, actions are
refused. A writer less than :data:`CLOCK_TOLERANCE` behind (two hosts' clocks) evaluates and
acts at the last stored evaluation's time instead.
"""

from __future__ import annotations

import io
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from builders import WriteImport, db_snapshot, integration_record, sync_record
from syncwatch.actions import Action, perform
from syncwatch.cli import main
from syncwatch.clock import FixedClock, iso
from syncwatch.db import ClockBehind, Store, tables
from syncwatch.db.evaluation import CLOCK_TOLERANCE
from syncwatch.headless import run_evaluator
from syncwatch.importer import import_files
from syncwatch.states import IntegrationState

St = IntegrationState
NOV1 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
NOV5 = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)
NOV10 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
NOV20 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
IID = "workday:flap"


def _failing_since_nov10(store: Store, write_import: WriteImport) -> None:
    """Imported (and evaluated) at Nov 20: a good sync Nov 1, a failed one ending Nov 10."""
    record = integration_record(
        IID,
        created_at=NOV1 - timedelta(days=1),
        filters_configured=True,
        syncs=[
            sync_record("flap_1", "SUCCEEDED", NOV1),
            sync_record("flap_2", "FAILED", NOV10 - timedelta(minutes=30), NOV10),
        ],
    )
    import_files(store, [write_import([record])], NOV20)


def _history(store: Store) -> list[tuple[St | None, St, datetime]]:
    return [(h.from_state, h.to_state, h.at) for h in store.history(IID)]


def test_a_full_pass_before_the_last_evaluation_stores_no_flap(
    store: Store, write_import: WriteImport
) -> None:
    _failing_since_nov10(store, write_import)
    true_history = [
        (None, St.ACTIVE, NOV1 - timedelta(days=1)),
        (St.ACTIVE, St.SYNC_FAILING, NOV10),
    ]
    assert _history(store) == true_history
    before = db_snapshot(store)

    with pytest.raises(ClockBehind) as behind:
        store.evaluate_pass(NOV5, full=True)
    assert "before the last stored evaluation" in str(behind.value)
    assert db_snapshot(store) == before

    # The next pass at the real time finds nothing to undo: no flap in the history.
    assert store.evaluate_pass(NOV20, full=True).transitions == []
    assert _history(store) == true_history


def test_reading_at_an_earlier_time_shows_that_time_and_stores_nothing(
    store: Store, write_import: WriteImport
) -> None:
    _failing_since_nov10(store, write_import)
    before = db_snapshot(store)
    result = store.evaluate_for_reading(NOV5, full=True)
    assert not result.stored
    assert result.not_stored is not None and "before the last stored evaluation" in (
        result.not_stored
    )
    (row,) = result.current(store.integrations())
    assert row.state is St.ACTIVE  # the failed sync had not ended yet on Nov 5
    assert db_snapshot(store) == before


def test_actions_at_an_earlier_time_are_refused_and_change_nothing(
    store: Store, write_import: WriteImport
) -> None:
    _failing_since_nov10(store, write_import)
    before = db_snapshot(store)
    with pytest.raises(ClockBehind):
        perform(store, Action.DEACTIVATE, IID, NOV5, actor="t")
    assert db_snapshot(store) == before


def test_a_writer_a_little_behind_evaluates_and_acts_at_the_last_evaluation_time(
    store: Store, write_import: WriteImport
) -> None:
    _failing_since_nov10(store, write_import)
    behind = NOV20 - CLOCK_TOLERANCE  # exactly the tolerance: still accepted
    done = perform(store, Action.DEACTIVATE, IID, behind, actor="t")
    assert done.state_after is St.INACTIVE
    assert _history(store)[-1] == (St.SYNC_FAILING, St.INACTIVE, NOV20)
    (audit,) = store.audit(IID)
    assert audit.at == NOV20
    row = store.get(IID)
    assert row is not None and row.disabled_at == NOV20

    # One second more is beyond the tolerance.
    with pytest.raises(ClockBehind):
        store.evaluate_pass(behind - timedelta(seconds=1), full=True)


# --------------------------------------------------------------------------- the CLI


@pytest.fixture
def db(tmp_path: Path, write_import: WriteImport) -> str:
    url = f"sqlite:///{tmp_path / 'flap.db'}"
    store = Store.open(url)
    try:
        _failing_since_nov10(store, write_import)
    finally:
        store.close()
    return url


def _run(db: str, now: datetime, *args: str) -> int:
    return main(["--db", db, "--now", iso(now) or "", *args])


def _snapshot(db: str) -> object:
    store = Store.open(db)
    try:
        return db_snapshot(store)
    finally:
        store.close()


def test_cli_evaluate_before_the_last_evaluation_exits_2_and_stores_nothing(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(db)
    assert _run(db, NOV5, "evaluate", "--full") == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert "evaluate stored nothing" in err and "before the last stored evaluation" in err
    assert _snapshot(db) == before


@pytest.mark.parametrize("command", [["list", "--json"], ["show", IID, "--json"]])
def test_cli_list_and_show_at_an_earlier_time_print_that_time_with_a_note(
    db: str, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(db)
    assert _run(db, NOV5, *command) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    row = doc[0] if isinstance(doc, list) else doc
    assert row["status"] == "ACTIVE"
    assert "nothing was stored" in err and "before the last stored evaluation" in err
    assert _snapshot(db) == before


def test_cli_action_at_an_earlier_time_is_refused_with_one_line(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(db)
    assert _run(db, NOV5, "deactivate", IID) == 2
    _, err = capsys.readouterr()
    assert err.startswith("syncwatch: deactivate refused: ")
    assert err.count("\n") == 1 and "nothing changed" in err
    assert _snapshot(db) == before


# --------------------------------------------------------------------------- the evaluator


class _Lines(io.StringIO):
    """A stream that sets ``stop`` once a line containing ``until`` is written."""

    def __init__(self, stop: threading.Event, until: str) -> None:
        super().__init__()
        self.stop = stop
        self.until = until

    def write(self, s: str) -> int:
        if self.until in s:
            self.stop.set()
        return super().write(s)


def test_the_headless_evaluator_waits_for_a_clock_behind_without_failing(db: str) -> None:
    store = Store.open(db)
    with store.write() as conn:  # new syncs arrived: the integration is due
        conn.execute(tables.integrations.update().values(dirty=True))
    before = _snapshot(db)
    stop = threading.Event()
    err = _Lines(stop, "before the last stored evaluation")
    try:
        code = run_evaluator(
            store,
            FixedClock(NOV5),
            interval=0.01,
            max_failures=1,
            out=_Lines(stop, ""),  # a transition printed: it was stored (the old flap)
            err=err,
            stop=stop,
        )
    finally:
        store.close()
    assert code == 0
    assert "0 failed pass(es)" in err.getvalue()
    assert _snapshot(db) == before
