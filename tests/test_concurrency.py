"""Many writers on one database, with real processes, on both backends.

Two headless evaluators (``python -m syncwatch evaluator``), three processes performing
random operator actions through :mod:`syncwatch.actions`, and an importer adding syncs run
against one database at once. The importer's syncs end a moment in the future, so they come
due for the evaluators' passes while the actions change the same integrations: a pass that
wrote back facts it read before an action committed would undo the action, and two passes
that evaluated the same integration at once would record its transition twice.

A second test kills an evaluator with SIGKILL in the middle of a long pass.

This file is also the worker program:
``python tests/test_concurrency.py actions|import|evaluator-stopped-in-its-pass ...``.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

#: How much each worker does: hundreds of actions in all, while the importer runs.
ACTION_WORKERS = 3
ACTIONS_PER_WORKER = 70
IMPORTS = 40
INTEGRATIONS = 40
#: Kinds of action, by how often a worker picks them (delete is final: rare).
ACTION_WEIGHTS = {
    "reactivate": 6,
    "deactivate": 6,
    "release-qa": 4,
    "update-credentials": 4,
    "configure-filters": 3,
    "delete": 1,
}
SYNC_STATES = ("SUCCEEDED", "PARTIALLY_FAILED", "FAILED", "AUTHENTICATION_FAILED")


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def world_records(now: datetime) -> list[dict[str, Any]]:
    """Integrations in SETUP, QA hold, failing authentication and healthy, all enabled."""
    records = []
    for n in range(INTEGRATIONS):
        kind = n % 4
        first = "PARTIALLY_FAILED" if kind == 1 else "SUCCEEDED"
        last = "AUTHENTICATION_FAILED" if kind == 2 else "SUCCEEDED"
        records.append(
            {
                "id": f"personio:n{n:02d}",
                "tool": "personio",
                "category": "HRIS",
                "organization": f"Org {n:02d}",
                "created_at": _iso(now - timedelta(days=30)),
                "filters_configured": kind != 0,
                "syncs": [
                    {
                        "id": f"w{n:02d}_1",
                        "state": first,
                        "started_at": _iso(now - timedelta(days=2)),
                        "ended_at": _iso(now - timedelta(days=2) + timedelta(minutes=30)),
                    },
                    {
                        "id": f"w{n:02d}_2",
                        "state": last,
                        "started_at": _iso(now - timedelta(hours=2)),
                        "ended_at": _iso(now - timedelta(hours=1)),
                    },
                ],
            }
        )
    return records


# --------------------------------------------------------------------------- the workers


def worker_actions(url: str, seed: int, count: int) -> None:
    """Perform ``count`` random actions; print one JSON line per action: what happened."""
    from syncwatch.actions import Action, perform_many
    from syncwatch.db import Store, StoreError

    rng = random.Random(seed)
    store = Store.open(url)
    ids = [r.id for r in store.integrations()]
    kinds = list(ACTION_WEIGHTS)
    weights = list(ACTION_WEIGHTS.values())
    for _ in range(count):
        iid = rng.choice(ids)
        action = Action(rng.choices(kinds, weights)[0])
        now = datetime.now(UTC)
        record: dict[str, Any] = {"id": iid, "action": action.value, "at": _iso(now)}
        try:
            applied, _refused, _unknown = perform_many(store, action, [iid], now, f"w{seed}")
        except StoreError as err:
            record["outcome"] = f"error: {err}"
        else:
            record["outcome"] = "applied" if applied else "refused"
            if applied and applied[0].at is not None:
                # A clock a little behind the last stored evaluation acts at that time.
                record["at"] = _iso(applied[0].at)
        print(json.dumps(record), flush=True)
        # Spreads the actions out so they interleave with passes and imports differently each
        # time; nothing waits on it, and every assertion holds whatever the interleaving.
        time.sleep(rng.uniform(0, 0.01))
    store.close()


def worker_import(url: str, seed: int, count: int) -> None:
    """Import ``count`` files, each adding a sync to five random integrations.

    The syncs end up to half a second in the future: the import's own evaluation does not
    count them yet, so they come due for the evaluators' passes.
    """
    from syncwatch.db import Store, StoreError
    from syncwatch.importer import ImportRejected, import_files

    rng = random.Random(seed)
    store = Store.open(url)
    world = {
        r.id: {
            "id": r.id,
            "tool": r.tool,
            "category": r.category,
            "organization": r.organization,
            "created_at": _iso(r.created_at),
        }
        for r in store.integrations()
    }
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(count):
            now = datetime.now(UTC)
            records = []
            for iid in rng.sample(sorted(world), 5):
                ends = now + timedelta(milliseconds=rng.uniform(20, 500))
                record: dict[str, Any] = dict(world[iid])
                record["syncs"] = [
                    {
                        "id": f"imp{seed}_{i}_{iid}",
                        "state": rng.choice(SYNC_STATES),
                        "started_at": _iso(now - timedelta(minutes=20)),
                        "ended_at": _iso(ends),
                    }
                ]
                records.append(record)
            path = Path(tmp) / f"{i}.json"
            path.write_text(json.dumps({"integrations": records}), encoding="utf-8")
            try:
                import_files(store, [str(path)], now)
                outcome = "imported"
            except (StoreError, ImportRejected) as err:
                outcome = f"error: {err}"
            print(json.dumps({"import": i, "outcome": outcome}), flush=True)
            time.sleep(rng.uniform(0, 0.05))  # as in worker_actions: varies the interleaving
    store.close()


def worker_evaluator_stopped_in_its_pass(url: str, now: str, fd: str) -> None:
    """``syncwatch --now NOW evaluator`` in this process, stopped in its first pass that
    records history, right before the insert: the pass holds the write lock and has updated
    every integration it evaluated, uncommitted. Writes one byte to ``fd`` there, then waits
    for the test's SIGKILL."""
    import sqlalchemy as sa
    from sqlalchemy.engine import Engine

    from syncwatch.cli import main

    @sa.event.listens_for(Engine, "before_cursor_execute")
    def _stop(*args: Any) -> None:
        statement: str = args[2]
        if statement.lstrip().upper().startswith("INSERT INTO STATE_CHANGE"):
            os.write(int(fd), b"!")
            threading.Event().wait()  # forever: only SIGKILL ends this process

    sys.exit(main(["--db", url, "--now", now, "evaluator", "--interval", "60"]))


if __name__ == "__main__":
    _kind, *_args = sys.argv[1:]
    if _kind == "evaluator-stopped-in-its-pass":
        worker_evaluator_stopped_in_its_pass(*_args)
    else:
        _url, _seed, _count = _args
        {"actions": worker_actions, "import": worker_import}[_kind](_url, int(_seed), int(_count))
    sys.exit(0)


# --------------------------------------------------------------------------- the tests

import pytest  # noqa: E402  (the worker program above needs only syncwatch)
import sqlalchemy as sa  # noqa: E402

from syncwatch.db import Store  # noqa: E402
from syncwatch.db.engine import WRITE_LOCK_KEY  # noqa: E402
from syncwatch.db.tables import state_changes  # noqa: E402
from syncwatch.evaluator import OPERATOR_INACTIVE_REASON  # noqa: E402
from syncwatch.importer import import_files  # noqa: E402

HERE = Path(__file__).resolve()


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCWATCH_")}
    env.update(HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"), SYNCWATCH_DB=url)
    env["PYTHONUNBUFFERED"] = "1"
    return env


#: How long a wait for an event may last before the test fails instead of hanging. Only a
#: broken program reaches it: nothing here waits for time to pass.
HANG = 120.0


def _spawn(
    tmp_path: Path, url: str, name: str, *args: str, pass_fds: tuple[int, ...] = ()
) -> subprocess.Popen[str]:
    """A process whose stdout and stderr go to files named after it (no pipe to fill)."""
    out = (tmp_path / f"{name}.out").open("w")
    err = (tmp_path / f"{name}.err").open("w")
    return subprocess.Popen(
        [sys.executable, *args],
        env=_env(tmp_path, url),
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=err,
        text=True,
        pass_fds=pass_fds,
    )


class Watched:
    """A process whose stdout goes to ``NAME.out`` and whose stderr is copied line by line to
    ``NAME.err`` and to a queue, so the test can wait for a line as it is written."""

    def __init__(self, tmp_path: Path, url: str, name: str, *args: str) -> None:
        self.name = name
        self.err_path = tmp_path / f"{name}.err"
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            env=_env(tmp_path, url),
            stdin=subprocess.DEVNULL,
            stdout=(tmp_path / f"{name}.out").open("w"),
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._copier = threading.Thread(target=self._copy, daemon=True)
        self._copier.start()

    def _copy(self) -> None:
        assert self.proc.stderr is not None
        with self.err_path.open("w") as err:
            for line in self.proc.stderr:
                err.write(line)
                err.flush()
                self._lines.put(line)
        self._lines.put(None)  # end of output: the process is ending

    def wait_for(self, needle: str) -> None:
        """Wait until the process writes a stderr line containing ``needle``."""
        while (line := self._lines.get(timeout=HANG)) is None or needle not in line:
            assert line is not None, f"{self.name} ended first: {self.err_path.read_text()}"

    def wait(self, timeout: float) -> int:
        """Wait for the exit; then ``NAME.err`` holds everything it wrote."""
        code = self.proc.wait(timeout)
        self._copier.join(HANG)
        return code


def _check_history(store: Store) -> dict[str, int]:
    """Every history is a chain: no entry repeats a state, none is recorded twice, and the
    stored state is the last entry's. Returns the number of entries per integration."""
    lengths = {}
    for row in store.integrations():
        history = store.history(row.id)
        lengths[row.id] = len(history)
        if not history:
            assert row.state is None, f"{row.id}: state {row.state} without history"
            continue
        assert history[0].from_state is None, f"{row.id}: first entry {history[0]}"
        for before, after in itertools.pairwise(history):
            assert after.from_state == before.to_state, f"{row.id}: {before} then {after}"
            assert after.to_state != before.to_state, f"{row.id}: {before} then {after}"
        assert row.state == history[-1].to_state, f"{row.id}: {row.state} vs {history[-1]}"
    return lengths


def test_actions_evaluators_and_an_importer_racing(db_url: str, tmp_path: Path) -> None:
    setup = Store.open(db_url)
    world = tmp_path / "world.json"
    world.write_text(json.dumps({"integrations": world_records(datetime.now(UTC))}))
    import_files(setup, [str(world)], datetime.now(UTC))
    setup.close()

    evaluators = [
        Watched(
            tmp_path,
            db_url,
            f"evaluator{n}",
            "-m",
            "syncwatch",
            "evaluator",
            "--interval",
            "0.05",
            "--json",
        )
        for n in range(2)
    ]
    for evaluator in evaluators:  # both loop before the writers start
        evaluator.wait_for("evaluating")
    workers = {
        f"actions{n}": _spawn(
            tmp_path,
            db_url,
            f"actions{n}",
            str(HERE),
            "actions",
            db_url,
            str(n),
            str(ACTIONS_PER_WORKER),
        )
        for n in range(ACTION_WORKERS)
    }
    workers["importer"] = _spawn(
        tmp_path, db_url, "importer", str(HERE), "import", db_url, "99", str(IMPORTS)
    )
    for name, proc in workers.items():
        assert proc.wait(timeout=180) == 0, (tmp_path / f"{name}.err").read_text()
    for evaluator in evaluators:
        evaluator.proc.send_signal(signal.SIGTERM)
    for evaluator in evaluators:
        assert evaluator.wait(timeout=HANG) == 0, evaluator.err_path.read_text()

    # No process crashed or gave up.
    names = [*workers, "evaluator0", "evaluator1"]
    for name in names:
        err = (tmp_path / f"{name}.err").read_text()
        assert "Traceback" not in err and "pass failed" not in err, f"{name}: {err}"
    done = [
        json.loads(line)
        for name in workers
        for line in (tmp_path / f"{name}.out").read_text().splitlines()
    ]
    assert not [d for d in done if d["outcome"].startswith("error")]
    assert sum("action" in d for d in done) == ACTION_WORKERS * ACTIONS_PER_WORKER
    assert sum("import" in d for d in done) == IMPORTS
    applied = Counter(
        (d["id"], d["action"], d["at"]) for d in done if d.get("outcome") == "applied"
    )

    store = Store.open(db_url)
    try:
        audit = store.audit()
        # Every applied action is audited once, and nothing else is.
        assert Counter((a.integration_id, a.action, _iso(a.at)) for a in audit) == applied
        assert len(applied) > 50, "the race needs actions that were allowed"

        # Every action's effect is present: the facts agree with the audit log.
        by_id: dict[str, list[Any]] = defaultdict(list)
        for a in audit:
            by_id[a.integration_id].append(a)
        for row in store.integrations():
            kind = int(row.id[-2:]) % 4
            actions = by_id[row.id]
            names_ = [a.action for a in actions]
            switches = [a for a in actions if a.action in ("reactivate", "deactivate")]
            for n, a in enumerate(switches):  # each allowed only from the other state
                assert a.action == ("deactivate" if n % 2 == 0 else "reactivate"), names_
            enabled = not switches or switches[-1].action == "reactivate"
            assert row.enabled is enabled, f"{row.id}: {names_}"
            if not enabled:
                assert row.disabled_reason == OPERATOR_INACTIVE_REASON
            # Filters can be configured once, and only where they were not.
            assert names_.count("configure-filters") <= (1 if kind == 0 else 0)
            assert row.filters_configured is (kind != 0 or "configure-filters" in names_)
            assert names_.count("release-qa") <= 1
            if "release-qa" in names_:
                assert row.qa_status is not None and row.qa_status.value == "PASSED"
            creds = [a.at for a in actions if a.action == "update-credentials"]
            if creds:
                assert row.credentials_updated_at == creds[-1]
                assert row.credentials_invalid_at is None
            if "delete" in names_:
                assert names_.count("delete") == 1 and names_[-1] == "delete"
                assert row.deleted_at == actions[-1].at
            else:
                assert row.deleted_at is None

        # Histories are chains ending in the stored state; the two evaluators did work,
        # and printed no transition twice between them.
        lengths = _check_history(store)
        printed = [
            json.loads(line)
            for n in range(2)
            for line in (tmp_path / f"evaluator{n}.out").read_text().splitlines()
        ]
        assert printed, "the evaluators' passes must have had work to do"
        seen = Counter(
            (e["data"]["integration_id"], e["data"]["updated_at"], e["data"]["status"])
            for e in printed
        )
        assert not [t for t, n in seen.items() if n > 1], "a transition printed twice"
        assert sum(lengths.values()) >= len(printed)
        # What the evaluators printed is what they recorded, under the same `seq`.
        with store.read() as conn:
            recorded = {
                r.id: (r.integration_id, _iso(r.at), r.to_state)
                for r in conn.execute(sa.select(state_changes))
            }
        for e in printed:
            d = e["data"]
            assert recorded[e["seq"]] == (d["integration_id"], d["updated_at"], d["status"])
    finally:
        store.close()


# --------------------------------------------------------------------------- SIGKILL


KILL_INTEGRATIONS = 5_000


def _fill_unevaluated(url: str, now: datetime) -> None:
    """Many integrations nobody has evaluated yet: a pass over them takes seconds."""
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    integration = sa.Table("integration", meta, autoload_with=engine)
    sync = sa.Table("sync", meta, autoload_with=engine)
    rows = [
        {
            "id": f"bulk:{n:05d}",
            "tool": "bulk",
            "category": "HRIS",
            "organization": f"Bulk {n}",
            "environment": "production",
            "created_at": now - timedelta(days=30),
            "enabled": True,
            "filters_configured": True,
            "dirty": True,
            "revision": 0,
            "last_sync_warnings": 0,
            "last_sync_errors": 0,
        }
        for n in range(KILL_INTEGRATIONS)
    ]
    syncs = [
        {
            "id": f"bulk_{n:05d}_{k}",
            "integration_id": f"bulk:{n:05d}",
            "type": "DELTA",
            "state": ("SUCCEEDED", "FAILED")[(n + k) % 2],
            "started_at": now - timedelta(hours=3 - k),
            "ended_at": now - timedelta(hours=3 - k) + timedelta(minutes=10),
            "warnings": 0,
            "errors": 0,
        }
        for n in range(KILL_INTEGRATIONS)
        for k in range(2)
    ]
    with engine.begin() as conn:
        conn.execute(integration.insert(), rows)
        conn.execute(sync.insert(), syncs)
    engine.dispose()


def _write_lock_held(url: str) -> bool:
    """Whether some process is inside a write transaction right now."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split("///", 1)[1], timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        finally:
            conn.close()
        return False
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            held = conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = "
                    "current_database()) AND objid = :lo"
                ),
                {"lo": WRITE_LOCK_KEY & 0xFFFFFFFF},
            ).scalar()
        return bool(held)
    finally:
        engine.dispose()


def test_an_evaluator_killed_mid_pass_leaves_every_state_matching_its_history(
    db_url: str, tmp_path: Path
) -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    Store.open(db_url).close()  # the schema
    _fill_unevaluated(db_url, now)
    # The evaluator says, through a pipe, when its pass has done everything but record the
    # history and commit; it is killed right there (not after some time: after that event).
    stopped, signal_end = os.pipe()
    try:
        proc = _spawn(
            tmp_path, db_url, "evaluator", str(HERE), "evaluator-stopped-in-its-pass", db_url,
            _iso(now), str(signal_end), pass_fds=(signal_end,),
        )  # fmt: skip
    finally:
        os.close(signal_end)  # the child's copy is the only one left: EOF if it dies first
    with os.fdopen(stopped, "rb", buffering=0) as pipe:
        assert pipe.read(1) == b"!", (tmp_path / "evaluator.err").read_text()
    assert _write_lock_held(db_url), "the pass holds the write lock, uncommitted"
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=HANG) == -signal.SIGKILL

    store = Store.open(db_url)
    try:
        lengths = _check_history(store)
        assert sum(lengths.values()) == 0, "the killed pass must have committed nothing"
        assert (tmp_path / "evaluator.out").read_text() == ""

        # The next pass does all the work, once.
        result = store.evaluate_pass(now)
        assert result.evaluated == KILL_INTEGRATIONS
        # Each: active from its creation, then held or failing from its failing sync's end.
        assert len(result.transitions) == 2 * KILL_INTEGRATIONS
        lengths = _check_history(store)
        assert set(lengths.values()) == {2}
        assert store.evaluate_pass(now).evaluated == 0
        states = Counter(r.state.value for r in store.integrations() if r.state)
        half = KILL_INTEGRATIONS // 2  # first sync failed: QA hold; else the last one failed
        assert states == {"QUALITY_ASSURANCE": half, "SYNC_FAILING": half}
    finally:
        store.close()


def test_a_writer_waits_for_the_lock_and_then_says_the_database_is_locked(
    db_url: str,
) -> None:
    """Locked is a clear StoreError after the bounded wait, never a traceback or a hang."""
    from syncwatch.db import StoreError
    from syncwatch.db import engine as engine_module

    holder, waiter = Store.open(db_url), Store.open(db_url)
    if waiter.is_sqlite:

        @sa.event.listens_for(waiter.engine, "connect")
        def _short_busy_timeout(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute("PRAGMA busy_timeout = 100")

    waiter.engine.dispose()
    try:
        with holder.write():
            started = time.monotonic()
            patch = pytest.MonkeyPatch()
            patch.setattr(engine_module, "PG_LOCK_TIMEOUT_S", 1)
            try:
                with pytest.raises(StoreError, match="the database is locked"), waiter.write():
                    pass
            finally:
                patch.undo()
            waited = time.monotonic() - started
        assert waited >= 0.2  # it waited (2 x 100 ms on SQLite, 1 s on PostgreSQL)
        with waiter.write() as conn:  # the lock is free again
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
    finally:
        holder.close()
        waiter.close()
