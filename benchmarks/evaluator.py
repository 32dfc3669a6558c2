"""Benchmark the evaluation pass against a large, realistic database (SQLite or PostgreSQL).

Builds (seed 42) a database of N integrations, S syncs and L log entries with bulk inserts,
settles it with one pass, then times, each over ``--repeat`` runs (median, min, max):

(a)  a full re-evaluation: ``evaluate_pass(now, full=True)`` (every integration loaded and
     evaluated; nothing changes, so nothing is written);
(a2) every integration marked dirty with one UPDATE (not timed), then ``evaluate_pass(now)``
     (the same work, plus clearing the dirty flag of every row);
(b)  a pass when nothing changed;
(c)  a pass after 100 new syncs arrived across 100 integrations (inserted and marked dirty
     with a new revision, as the importer does; only the pass is timed);
(c2) the same arrival through the importer (``import_parsed``, which evaluates too);
(d)  the baseline :func:`evaluate_naive`, one sync query per integration.

    uv run python benchmarks/evaluator.py [--integrations 10000] [--syncs 1000000]
        [--logs 1000000] [--repeat 5] [--db URL_OR_PATH] [--reuse] [--profile] [--json]

Without --db it builds a temporary SQLite file. For PostgreSQL, pass the URL of an empty
database (its password is never printed). A throwaway server, as an unprivileged user (as
root, prefix each command with `runuser -u postgres --`; binaries are in
/usr/lib/postgresql/*/bin on Debian, package postgresql):

    initdb -D /tmp/swpg -U syncwatch --auth=trust --no-sync
    pg_ctl -D /tmp/swpg -l /tmp/swpg.log -o "-p 5433 -k /tmp -c listen_addresses=127.0.0.1" start
    createdb -h 127.0.0.1 -p 5433 -U syncwatch bench
    uv run python benchmarks/evaluator.py --db postgresql+psycopg://syncwatch@127.0.0.1:5433/bench
    pg_ctl -D /tmp/swpg stop -m fast && rm -rf /tmp/swpg

(--db with an existing, filled database needs --reuse; drop and re-create it to rebuild.)
PostgreSQL's autovacuum gathers planner statistics by itself a while after the build;
--analyze does it up front, so runs do not depend on when autovacuum got to it.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import json
import pstats
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from _common import (
    NOW,
    SEED,
    Messages,
    Stats,
    dump_json,
    generate_syncs,
    integration_row,
    machine_info,
    plan_integrations,
    print_table,
    progress,
    sync_and_log_rows,
)

from syncwatch.clock import to_utc
from syncwatch.db import Store, database_url, redact_url
from syncwatch.db.evaluation import needs_evaluation, syncs_for_evaluation
from syncwatch.db.records import integration_row as stored_integration
from syncwatch.db.records import sync_facts
from syncwatch.db.tables import integrations, log_entries, syncs
from syncwatch.evaluator import evaluate
from syncwatch.importer import import_parsed, parse_bytes
from syncwatch.rows import PassResult, Transition

#: Targets on the reference machine (2 cores), in milliseconds.
TARGETS_MS = {"no_change_pass": 20.0, "new_syncs_pass": 100.0, "full_pass": 2000.0}
_BATCH = 20_000  # syncs per insert transaction while building
_NEW_SYNCS = 100


# --------------------------------------------------------------------------- building


def _log_id(sync_id: str, j: int) -> str:
    # Shaped like the importer's derived ids (24 hex digits, in no particular order).
    return hashlib.blake2b(f"{sync_id}\x1f{j}".encode(), digest_size=12).hexdigest()


def build(store: Store, n: int, n_syncs: int, n_logs: int) -> dict[str, float]:
    """Fill an empty database; return the seconds spent generating and inserting."""
    rng = random.Random(SEED)
    msgs = Messages(rng, secret="[REDACTED]")  # stored text is already redacted
    gen = ins = 0.0
    t0 = time.perf_counter()
    plans = plan_integrations(rng, n, n_syncs, n_logs, NOW)
    gen += time.perf_counter() - t0
    t0 = time.perf_counter()
    with store.write() as conn:
        conn.execute(integrations.insert(), [integration_row(p) for p in plans])
    ins += time.perf_counter() - t0

    sync_buf: list[dict[str, Any]] = []
    log_buf: list[dict[str, Any]] = []
    done = 0

    def flush() -> float:
        t = time.perf_counter()
        with store.write() as conn:
            if sync_buf:
                conn.execute(syncs.insert(), sync_buf)
            if log_buf:
                conn.execute(log_entries.insert(), log_buf)
        sync_buf.clear()
        log_buf.clear()
        return time.perf_counter() - t

    for p in plans:
        t0 = time.perf_counter()
        sync_rows, log_rows = sync_and_log_rows(p.id, generate_syncs(rng, p, msgs), _log_id)
        sync_buf.extend(sync_rows)
        log_buf.extend(log_rows)
        gen += time.perf_counter() - t0
        if len(sync_buf) >= _BATCH:
            done += len(sync_buf)
            ins += flush()
            if done % 200_000 < _BATCH:
                progress(f"built {done:,} of {n_syncs:,} syncs")
    ins += flush()
    return {"generate_s": gen, "insert_s": ins}


def backend_info(store: Store) -> dict[str, str]:
    """Which database engine, and its version (the figures depend on both)."""
    with store.engine.connect() as conn:
        if store.is_sqlite:
            version = str(conn.exec_driver_sql("select sqlite_version()").scalar())
            return {"backend": "SQLite", "version": version}
        version = str(conn.exec_driver_sql("show server_version").scalar())
        return {"backend": store.engine.dialect.name, "version": version}


def analyze(store: Store) -> float:
    """Gather planner statistics (syncwatch itself never does; see ``--analyze``)."""
    t0 = time.perf_counter()
    with store.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return time.perf_counter() - t0


# --------------------------------------------------------------------------- the cases


def _timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Run ``fn`` once; return its wall time, its CPU time (both in s) and its result."""
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, time.process_time() - c0, out


def _profile(fn: Callable[[], Any], label: str, top: int = 18) -> None:
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(top)
    print(f"\n==== cProfile: {label} ====\n{buf.getvalue()}", file=sys.stderr)


def _eligible(store: Store) -> list[str]:
    """Integrations that sync: not deleted, enabled, filters configured."""
    with store.read() as conn:
        return sorted(
            conn.execute(
                sa.select(integrations.c.id).where(
                    integrations.c.deleted_at.is_(None),
                    integrations.c.enabled.is_(True),
                    integrations.c.filters_configured,
                )
            ).scalars()
        )


def _new_syncs(rng: random.Random, ids: list[str], tag: str, end: Any) -> list[dict[str, Any]]:
    states = (("SUCCEEDED", 0.9), ("PARTIALLY_FAILED", 0.05), ("FAILED", 0.03))
    out = []
    for i, iid in enumerate(ids):
        x = rng.random()
        state = "AUTHENTICATION_FAILED"
        for name, share in states:
            if x < share:
                state = name
                break
            x -= share
        ended = end - timedelta(seconds=i % 10)
        out.append(
            {
                "id": f"bench_{tag}_{i:03d}",
                "integration_id": iid,
                "type": "DELTA",
                "state": state,
                "started_at": ended - timedelta(minutes=3),
                "ended_at": ended,
            }
        )
    return out


def _arrive_direct(store: Store, new: list[dict[str, Any]]) -> None:
    """Insert new syncs (one log line each) and mark their integrations dirty."""
    level = {"PARTIALLY_FAILED": "WARNING", "SUCCEEDED": "INFO"}
    sync_rows, log_rows = [], []
    for s in new:
        lv = level.get(s["state"], "ERROR")
        msg = f"Sync finished ({s['state'].lower()})"
        sync_rows.append(
            s
            | {
                "warnings": int(lv == "WARNING"),
                "errors": int(lv == "ERROR"),
                "headline": None if lv == "INFO" else msg,
            }
        )
        log_rows.append(
            {
                "id": _log_id(s["id"], 0),
                "sync_id": s["id"],
                "integration_id": s["integration_id"],
                "at": s["ended_at"],
                "level": lv,
                "message": msg,
                "field": None,
            }
        )
    ids = sorted({s["integration_id"] for s in new})
    with store.write() as conn:
        revision = store.next_revision(conn)
        conn.execute(syncs.insert(), sync_rows)
        conn.execute(log_entries.insert(), log_rows)
        conn.execute(
            integrations.update()
            .where(integrations.c.id.in_(ids))
            .values(dirty=True, revision=revision)
        )


def _import_doc(store: Store, new: list[dict[str, Any]]) -> bytes:
    """An import file holding just the new syncs (the integrations' facts as stored)."""
    by_id = {s["integration_id"]: s for s in new}
    with store.read() as conn:
        rows = conn.execute(
            sa.select(
                integrations.c.id,
                integrations.c.tool,
                integrations.c.category,
                integrations.c.organization,
                integrations.c.created_at,
            ).where(integrations.c.id.in_(list(by_id)))
        ).all()
    recs = []
    for r in rows:
        s = by_id[r.id]
        recs.append(
            {
                "id": r.id,
                "tool": r.tool,
                "category": r.category,
                "organization": r.organization,
                "created_at": r.created_at.isoformat(),
                "syncs": [
                    {
                        "id": s["id"],
                        "state": s["state"],
                        "started_at": s["started_at"].isoformat(),
                        "ended_at": s["ended_at"].isoformat(),
                        "logs": [
                            {
                                "at": s["ended_at"].isoformat(),
                                "level": "INFO" if s["state"] == "SUCCEEDED" else "ERROR",
                                "message": f"Sync finished ({s['state'].lower()})",
                            }
                        ],
                    }
                ],
            }
        )
    return json.dumps({"integrations": recs}).encode()


def explain(store: Store, full: bool) -> list[dict[str, Any]]:
    """The plan and time of each query that loads syncs for a pass (``full`` or the usual).

    Uses the pass's own query builder, so the plans are exactly those of the pass.
    """
    captured: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, parameters: Any, *_a: Any) -> None:
        captured.append((statement, parameters))

    due = needs_evaluation(NOW, full)
    with store.read() as conn:
        sa.event.listen(conn, "before_cursor_execute", capture)
        syncs_for_evaluation(conn, due, NOW)
        sa.event.remove(conn, "before_cursor_execute", capture)
    out = []
    with store.engine.connect() as conn:
        for name, (statement, params) in zip(("tail", "first", "last"), captured, strict=True):
            plan = [
                row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
            ]
            t0 = time.perf_counter()
            rows = len(conn.exec_driver_sql(statement, params).fetchall())
            out.append(
                {
                    "query": name,
                    "ms": round((time.perf_counter() - t0) * 1000, 1),
                    "rows": rows,
                    "plan": plan,
                }
            )
    return out


def evaluate_naive(store: Store, now: datetime) -> PassResult:
    """A full pass that loads each integration's syncs with its own query.

    The baseline the set-based pass is compared against (case d); syncwatch never runs it.
    Like the pass it reads under the write lock, and it writes nothing.
    """
    now = to_utc(now)
    with store.write() as conn:
        rows = [stored_integration(r) for r in conn.execute(sa.select(integrations))]
        result = PassResult(evaluated=len(rows))
        for row in rows:
            found = [
                sync_facts(r)
                for r in conn.execute(sa.select(syncs).where(syncs.c.integration_id == row.id))
            ]
            ev = evaluate(row.facts, found, now)
            if ev.changed:
                result.transitions.append(
                    Transition(
                        row.id,
                        row.organization,
                        row.tool,
                        row.state,
                        ev.state,
                        now,
                        ev.reason,
                    )
                )
        return result


def state_counts(store: Store) -> dict[str, int]:
    with store.read() as conn:
        rows = conn.execute(
            sa.select(integrations.c.state, sa.func.count()).group_by(integrations.c.state)
        ).all()
    return {str(state): int(n) for state, n in sorted(rows, key=lambda r: -r[1])}


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--integrations", type=int, default=10_000)
    ap.add_argument("--syncs", type=int, default=1_000_000)
    ap.add_argument("--logs", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument(
        "--db",
        help="database URL or path, e.g. postgresql+psycopg://user:pw@host:5432/empty_db "
        "(default: a SQLite file in a temp dir); see above for starting a PostgreSQL server",
    )
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="benchmark the database at --db as it is, if it already holds data",
    )
    ap.add_argument(
        "--analyze",
        action="store_true",
        help="run ANALYZE after building (syncwatch does not; shows the planner's sensitivity)",
    )
    ap.add_argument("--profile", action="store_true", help="cProfile one run of each case")
    ap.add_argument(
        "--explain",
        action="store_true",
        help="print the query plans of the sync-loading queries (SQLite only)",
    )
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    return args


def run(args: argparse.Namespace) -> dict[str, Any]:
    tmp = None
    if args.db:
        target = args.db
    else:
        tmp = tempfile.TemporaryDirectory(prefix="syncwatch-bench-")
        target = str(Path(tmp.name) / "bench.db")
    store = Store.open(target)
    try:
        return _run(store, args, database_url(target))
    finally:
        store.close()
        if tmp is not None:
            tmp.cleanup()


def _run(store: Store, args: argparse.Namespace, url: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "benchmark": "evaluator",
        "params": {
            "integrations": args.integrations,
            "syncs": args.syncs,
            "logs": args.logs,
            "repeat": args.repeat,
            "seed": SEED,
            "now": NOW.isoformat(),
            "db": "temporary SQLite file" if not args.db else redact_url(url),
            "analyze": args.analyze,
        },
        "machine": machine_info(),
        "backend": backend_info(store),
    }
    existing = store.counts()["integrations"]
    build_s: dict[str, float] = {}
    if existing and not args.reuse:
        raise SystemExit(
            f"error: {args.db} already holds {existing:,} integrations; "
            "pass --reuse to benchmark it as it is, or remove it"
        )
    if not existing:
        progress(f"building {args.integrations:,} / {args.syncs:,} / {args.logs:,} ...")
        t0 = time.perf_counter()
        build_s = build(store, args.integrations, args.syncs, args.logs)
        build_s["total_s"] = time.perf_counter() - t0
    if args.analyze:
        build_s["analyze_s"] = analyze(store)
    settle_s, _cpu, settle = _timed(lambda: store.evaluate_pass(NOW))
    build_s["settle_ms"] = settle_s * 1000
    out["build"] = {k: round(v, 3) for k, v in build_s.items()}
    out["settle"] = {"evaluated": settle.evaluated, "transitions": len(settle.transitions)}
    out["counts"] = store.counts() | {"states": state_counts(store)}
    progress(f"settled in {settle_s * 1000:,.0f} ms ({settle.evaluated:,} evaluated)")

    cases: dict[str, dict[str, Any]] = {}
    rep = args.repeat

    def measure(name: str, fn: Callable[[], Any], prep: Callable[[int], Any] | None = None) -> None:
        times, cpu, evaluated, transitions = [], [], [], []
        for r in range(rep):
            if prep is not None:
                prep(r)
            sec, cpu_s, res = _timed(fn)
            times.append(sec)
            cpu.append(cpu_s)
            evaluated.append(getattr(res, "evaluated", None))
            transitions.append(len(getattr(res, "transitions", ())))
        st, cpu_st = Stats.of(times), Stats.of(cpu)
        cases[name] = st.as_json() | {
            "cpu_median_ms": round(cpu_st.median, 3),
            "evaluated": evaluated[-1],
            "transitions": transitions,
        }
        progress(f"{name}: median {st.median:,.1f} ms (CPU {cpu_st.median:,.1f} ms)")
        if args.profile:
            if prep is not None:
                prep(rep)
            _profile(fn, name)

    if args.explain and store.is_sqlite:
        out["explain"] = {"full": explain(store, True)}
        with store.write() as conn:  # 100 due integrations, as in (c)
            some = (
                sa.select(integrations.c.id)
                .order_by(integrations.c.id)
                .limit(_NEW_SYNCS)
                .scalar_subquery()
            )
            conn.execute(
                integrations.update().where(integrations.c.id.in_(some)).values(dirty=True)
            )
        out["explain"]["dirty"] = explain(store, False)
        store.evaluate_pass(NOW)  # back to settled

    measure("no_change_pass", lambda: store.evaluate_pass(NOW))
    measure("full_pass", lambda: store.evaluate_pass(NOW, full=True))

    def mark_all_dirty(_r: int) -> None:
        with store.write() as conn:
            conn.execute(integrations.update().values(dirty=True))

    measure("mark_dirty_pass", lambda: store.evaluate_pass(NOW), mark_all_dirty)

    eligible = _eligible(store)
    rng = random.Random(SEED + 1)
    n_new = min(_NEW_SYNCS, len(eligible))
    # Every round's syncs end after all earlier ones and before now.
    gap = timedelta(seconds=min(30.0, 240.0 / (2 * rep + 4)))
    rounds = iter(range(10**6))
    run_tag = format(time.time_ns(), "x")[-8:]  # new sync ids stay unique with --reuse

    def arrive(_r: int) -> None:
        k = next(rounds)
        end = NOW - gap * (2 * rep + 3 - k)
        _arrive_direct(store, _new_syncs(rng, rng.sample(eligible, n_new), f"{run_tag}c{k}", end))

    measure("new_syncs_pass", lambda: store.evaluate_pass(NOW), arrive)

    docs: list[Any] = []

    def prepare_import(_r: int) -> None:
        k = next(rounds)
        end = NOW - gap * (2 * rep + 3 - k)
        doc = _import_doc(
            store, _new_syncs(rng, rng.sample(eligible, n_new), f"{run_tag}c{k}", end)
        )
        docs.append(parse_bytes(doc, f"round{k}.json"))

    measure(
        "new_syncs_import", lambda: import_parsed(store, [docs[-1]], NOW).evaluation, prepare_import
    )
    measure("naive_baseline", lambda: evaluate_naive(store, NOW))
    out["cases"] = cases
    out["machine"]["loadavg_at_end"] = machine_info()["loadavg_1_5_15"]
    out["ratio_naive_over_full"] = round(
        cases["naive_baseline"]["median_ms"] / cases["full_pass"]["median_ms"], 2
    )
    out["targets"] = {
        name: {
            "target_ms": target,
            "median_ms": cases[name]["median_ms"],
            "met": cases[name]["median_ms"] < target,
        }
        for name, target in TARGETS_MS.items()
    }
    return out


_LABELS = {
    "full_pass": "(a)  full re-evaluation: evaluate_pass(full=True)",
    "mark_dirty_pass": "(a2) all marked dirty, then evaluate_pass()",
    "no_change_pass": "(b)  nothing changed",
    "new_syncs_pass": f"(c)  {_NEW_SYNCS} new syncs on {_NEW_SYNCS} integrations",
    "new_syncs_import": "(c2) same, through import_parsed (incl. its pass)",
    "naive_baseline": "(d)  evaluate_naive() baseline",
}


def report(out: dict[str, Any]) -> None:
    p, c, m = out["params"], out["counts"], out["machine"]
    print(
        f"syncwatch evaluator benchmark: {c['integrations']:,} integrations, "
        f"{c['syncs']:,} syncs, {c['log_entries']:,} log entries; repeat {p['repeat']}"
    )
    db = out["backend"]
    print(
        f"{db['backend']} {db['version']} ({p['db']}); Python {m['python']}, "
        f"SQLAlchemy {m['sqlalchemy']}, {m['cpu_count']} CPUs, {m['platform']}"
    )
    src = m["source"]
    changed = ", ".join(src["src_changes"]) or "none"
    print(f"measured commit {src['commit']}; uncommitted changes under src/: {changed}")
    print(
        f"load average (1/5/15 min) at start {m['loadavg_1_5_15']}, at end {m['loadavg_at_end']}"
        " (wall times include waiting for the CPU; the CPU column does not)"
    )
    b = out["build"]
    if "total_s" in b:
        print(
            f"build: {b['total_s']:.1f} s (generate {b['generate_s']:.1f} s, "
            f"insert {b['insert_s']:.1f} s)"
        )
    if "analyze_s" in b:
        print(f"ANALYZE: {b['analyze_s']:.1f} s (planner statistics present)")
    print(
        f"settle pass (first evaluation): {b['settle_ms']:,.0f} ms, "
        f"{out['settle']['evaluated']:,} evaluated"
    )
    print("states: " + ", ".join(f"{k} {v:,}" for k, v in c["states"].items()))
    print()
    rows = []
    for name, label in _LABELS.items():
        case = out["cases"][name]
        target = TARGETS_MS.get(name)
        verdict = ""
        if target is not None:
            verdict = f"< {target:,.0f} {'ok' if case['median_ms'] < target else 'MISSED'}"
        rows.append(
            [
                label,
                case["median_ms"],
                case["min_ms"],
                case["max_ms"],
                case["cpu_median_ms"],
                case["evaluated"] if case["evaluated"] is not None else "",
                verdict,
            ]
        )
    print_table(["case", "median ms", "min ms", "max ms", "CPU ms", "evaluated", "target"], rows)
    print(f"\nbaseline / full pass: {out['ratio_naive_over_full']:.1f}x")
    for kind, queries in out.get("explain", {}).items():
        print(f"\nsync-loading queries of a {kind} pass (EXPLAIN QUERY PLAN):")
        for q in queries:
            print(f"  {q['query']}: {q['ms']:,.1f} ms, {q['rows']:,} rows")
            for step in q["plan"]:
                print(f"      {step}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = run(args)
    if args.json:
        dump_json(out)
    else:
        report(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
