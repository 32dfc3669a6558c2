"""Benchmark the standard-library read path (``syncwatch.fastread``) against the ORM path.

Builds (seed 42, in a temporary directory) SQLite databases of N integrations with 3 syncs
each (``_common.py``'s plan; one log entry per integration, Kombo issues on 1 % and 0.5 %
gone upstream, as ``tui.py`` builds them), evaluated once at the fixed instant. Then, for
each size, ``--repeat`` rounds, the two paths alternated (fast first in odd rounds, ORM
first in even ones), each run in a fresh process:

fast   ``import syncwatch.fastread``, ``FastReader.open(db)``, ``work_due(now)``,
       ``integrations()`` and ``kombo_marks()`` (what the list's first screen needs);
orm    ``import syncwatch.db`` (and ``syncwatch.db.kombo``), ``Store.open(db)``, the pass's
       probe (``any_due``), ``Store.integrations()`` and ``kombo_marks(store, None)``.

Each child reports its phases (wall time, ``time.perf_counter``) from before its first
syncwatch import, and its peak memory (``ru_maxrss``: each its own process, so its own).
The parent also times each child to its exit (interpreter start included). Nothing due:
both paths read, neither evaluates.

``--construct`` also times, in this process, the ways of building one ``IntegrationRow``
from a row of values (the frozen dataclass's ``__init__`` costs most of a row), and how
many distinct values each time column holds (what the parse memo saves).

    uv run python benchmarks/fastread.py [--sizes 100,10000,100000] [--repeat 5]
        [--construct] [--json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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

SYNCS_PER_INTEGRATION = 3
PATHS = ("fast", "orm")
PHASES = ("import", "open", "work_due", "rows", "marks", "total")


# --------------------------------------------------------------------------- the database


def build_db(path: Path, n: int) -> dict[str, Any]:
    """N integrations, 3 syncs and 1 log entry each, Kombo marks, evaluated once."""
    import sqlalchemy as sa

    from syncwatch.db import Store, tables

    t0 = time.perf_counter()
    store = Store.open(path)
    rng = random.Random(SEED)
    msgs = Messages(rng, secret="[REDACTED]")
    plans = plan_integrations(rng, n, SYNCS_PER_INTEGRATION * n, n, NOW)
    with store.write() as conn:
        conn.execute(tables.integrations.insert(), [integration_row(p) for p in plans])
    sync_buf: list[dict[str, Any]] = []
    log_buf: list[dict[str, Any]] = []

    def flush() -> None:
        with store.write() as conn:
            if sync_buf:
                conn.execute(tables.syncs.insert(), sync_buf)
            if log_buf:
                conn.execute(tables.log_entries.insert(), log_buf)
        sync_buf.clear()
        log_buf.clear()

    for p in plans:
        s_rows, l_rows = sync_and_log_rows(
            p.id, generate_syncs(rng, p, msgs), lambda s, j: f"{s}_{j:05d}"
        )
        sync_buf += s_rows
        log_buf += l_rows
        if len(sync_buf) >= 50_000:
            flush()
    flush()
    issues = [
        {
            "id": f"iss_{i}_{k}", "integration_id": p.id, "type": "integration.sync_failed",
            "title": f"Sync failing for {p.id}", "status": "OPEN" if k == 0 else "RESOLVED",
            "message": "Kombo could not fetch **employees**: the tool answered `503`.",
            "first_observed_at": NOW - timedelta(hours=k + 1), "updated_at": NOW,
            "resolved_at": None if k == 0 else NOW - timedelta(hours=k),
        }
        for i, p in enumerate(plans) if i % 100 == 1 for k in range(3)
    ]  # fmt: skip
    gone = [p.id for i, p in enumerate(plans) if i % 200 == 3]
    with store.write() as conn:
        if issues:
            conn.execute(tables.issues.insert(), issues)
        conn.execute(
            tables.integrations.update()
            .where(tables.integrations.c.id.in_(gone))
            .values(upstream_gone_at=NOW)
        )
    built = time.perf_counter() - t0
    t0 = time.perf_counter()
    store.evaluate_pass(NOW)
    evaluated = time.perf_counter() - t0
    with store.read() as conn:
        syncs = conn.execute(sa.select(sa.func.count()).select_from(tables.syncs)).scalar()
    store.close()
    return {
        "integrations": n,
        "syncs": syncs,
        "build_s": round(built, 2),
        "evaluate_s": round(evaluated, 2),
        "file_mb": round(path.stat().st_size / 1e6, 1),
    }


# --------------------------------------------------------------------------- the children


def _peak_mb() -> float:
    """ru_maxrss of this process in MB (Linux reports kilobytes, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def child_fast(db: str, now: datetime) -> dict[str, Any]:
    marks: dict[str, float] = {}
    t0 = time.perf_counter()
    from syncwatch.fastread import FastReader

    marks["import"] = time.perf_counter()
    reader = FastReader.open(db)
    assert reader is not None, "the fast path refused the database"
    marks["open"] = time.perf_counter()
    due = reader.work_due(now)
    marks["work_due"] = time.perf_counter()
    rows = reader.integrations()
    marks["rows"] = time.perf_counter()
    kombo = reader.kombo_marks()
    marks["marks"] = time.perf_counter()
    reader.close()
    return _phases(t0, marks) | {"rows_read": len(rows), "marks_read": len(kombo), "due": due}


def child_orm(db: str, now: datetime) -> dict[str, Any]:
    marks: dict[str, float] = {}
    t0 = time.perf_counter()
    from syncwatch.db import Store
    from syncwatch.db.evaluation import any_due, needs_evaluation
    from syncwatch.db.kombo import kombo_marks

    marks["import"] = time.perf_counter()
    store = Store.open(db)
    marks["open"] = time.perf_counter()
    with store.read() as conn:
        due = any_due(conn, needs_evaluation(now, False))
    marks["work_due"] = time.perf_counter()
    rows = store.integrations()
    marks["rows"] = time.perf_counter()
    kombo = kombo_marks(store, None)
    marks["marks"] = time.perf_counter()
    store.close()
    return _phases(t0, marks) | {"rows_read": len(rows), "marks_read": len(kombo), "due": due}


def _phases(t0: float, marks: dict[str, float]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    last = t0
    for phase in PHASES[:-1]:
        out[phase] = (marks[phase] - last) * 1000
        last = marks[phase]
    out["total"] = (last - t0) * 1000
    out["peak_rss_mb"] = _peak_mb()
    return out


def run_child(kind: str, db: Path) -> dict[str, Any]:
    """One measurement in a fresh interpreter; ``process`` is its wall time to exit."""
    cmd = [sys.executable, __file__, "--child", kind, "--db", str(db)]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    process = (time.perf_counter() - t0) * 1000
    result: dict[str, Any] = json.loads(out)
    result["process"] = process
    return result


# --------------------------------------------------------------------------- construction


def construct_options(db: Path, count: int = 20_000) -> dict[str, Any]:
    """Per-row cost of the ways to build an ``IntegrationRow`` from its values (µs), and
    the share of distinct values in each time column of ``db``."""
    from syncwatch.fastread import INTEGRATION_COLUMNS, FastReader
    from syncwatch.rows import IntegrationRow

    reader = FastReader.open(db)
    assert reader is not None
    sample = reader.integrations()[:count]
    reader.close()
    values = [tuple(getattr(r, f) for f in INTEGRATION_COLUMNS) for r in sample]

    fields = [(f.name, f.type) for f in dataclasses.fields(IntegrationRow)]
    Mutable: Any = dataclasses.make_dataclass(
        "MutableRow", fields, slots=True, frozen=False, eq=False
    )
    Plain: Any = dataclasses.make_dataclass("PlainRow", fields, slots=False, eq=False)
    new = object.__new__
    setattr_ = object.__setattr__
    names = INTEGRATION_COLUMNS
    setters = [getattr(IntegrationRow, n).__set__ for n in names]

    def frozen_init(v: tuple[Any, ...]) -> Any:
        return IntegrationRow(*v)

    def new_setattr(v: tuple[Any, ...]) -> Any:
        obj = new(IntegrationRow)
        for name, value in zip(names, v, strict=True):
            setattr_(obj, name, value)
        return obj

    def slot_set(v: tuple[Any, ...]) -> Any:
        obj = new(IntegrationRow)
        for setter, value in zip(setters, v, strict=True):
            setter(obj, value)
        return obj

    def mutable_slots(v: tuple[Any, ...]) -> Any:
        return Mutable(*v)

    def plain_dict(v: tuple[Any, ...]) -> Any:
        return Plain(*v)

    def class_swap(v: tuple[Any, ...]) -> Any:
        obj = Mutable(*v)
        obj.__class__ = IntegrationRow
        return obj

    def tuple_only(v: tuple[Any, ...]) -> Any:
        return tuple(v)

    options: dict[str, Callable[[tuple[Any, ...]], Any]] = {
        "frozen slotted dataclass: IntegrationRow(*values) (today)": frozen_init,
        "object.__new__ + object.__setattr__ per field": new_setattr,
        "object.__new__ + slot descriptor __set__ per field": slot_set,
        "a non-frozen slotted dataclass (rows.py changed)": mutable_slots,
        "a plain dataclass with __dict__ (rows.py changed)": plain_dict,
        "non-frozen twin, then __class__ = IntegrationRow": class_swap,
        "floor: tuple(values)": tuple_only,
    }
    assert class_swap(values[0]) == sample[0] and slot_set(values[0]) == sample[0]
    per_row: dict[str, float] = {}
    for name, fn in options.items():
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            for v in values:
                fn(v)
            runs.append((time.perf_counter() - t0) / len(values) * 1e6)
        per_row[name] = round(statistics.median(runs), 3)

    # What the time memo saves: distinct texts per time column, and the cost of a parse.
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    time_columns = [c for c in INTEGRATION_COLUMNS if c.endswith("_at") or c == "state_since"]
    distinct: dict[str, list[int]] = {}
    for c in time_columns:
        query = f"SELECT count({c}), count(DISTINCT {c}) FROM integration"
        total, unique = conn.execute(query).fetchone()
        distinct[c] = [total, unique]
    texts = [r[0] for r in conn.execute("SELECT created_at FROM integration LIMIT 20000")]
    conn.close()
    t0 = time.perf_counter()
    for t in texts:
        datetime.fromisoformat(t).replace(tzinfo=UTC)
    parse_us = (time.perf_counter() - t0) / max(len(texts), 1) * 1e6
    memo = {t: datetime.fromisoformat(t) for t in texts}
    t0 = time.perf_counter()
    for t in texts:
        memo[t]
    hit_us = (time.perf_counter() - t0) / max(len(texts), 1) * 1e6
    return {
        "rows": len(values),
        "per_row_us": per_row,
        "time_columns_non_null_distinct": distinct,
        "parse_us": round(parse_us, 3),
        "memo_hit_us": round(hit_us, 3),
    }


# --------------------------------------------------------------------------- the parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--sizes", default="100,10000,100000", help="integration counts, comma separated"
    )
    p.add_argument("--repeat", type=int, default=5, help="rounds per size (paths alternated)")
    p.add_argument("--construct", action="store_true", help="also time ways to build a row")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--child", choices=("build", *PATHS), help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        if args.child == "build":
            out = build_db(Path(args.db), args.n)
        elif args.child == "fast":
            out = child_fast(args.db, NOW)
        else:
            out = child_orm(args.db, NOW)
        json.dump(out, sys.stdout)
        return 0

    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    report: dict[str, Any] = {
        "benchmark": "fastread",
        "machine": machine_info(),
        "repeat": args.repeat,
        "unit": "ms wall time (perf_counter), median over rounds; peak RSS in MB",
        "sizes": {},
    }
    with tempfile.TemporaryDirectory(prefix="syncwatch-fastread-bench-") as tmp:
        for n in sizes:
            db = Path(tmp) / f"fastread-{n}.db"
            progress(f"building {n:,} integrations ...")
            cmd = [sys.executable, __file__, "--child", "build", "--db", str(db), "--n", str(n)]
            built = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
            info = json.loads(built)
            progress(f"built in {info['build_s']} s, evaluated in {info['evaluate_s']} s")
            runs: dict[str, list[dict[str, Any]]] = {k: [] for k in PATHS}
            for i in range(args.repeat):
                order = PATHS if i % 2 == 0 else tuple(reversed(PATHS))
                for kind in order:
                    progress(f"{n:,}: round {i + 1}/{args.repeat}: {kind}")
                    runs[kind].append(run_child(kind, db))
            entry: dict[str, Any] = {"database": info, "load_before": os.getloadavg()[0]}
            for kind in PATHS:
                entry[kind] = _summary(runs[kind])
            if args.construct and n == max(sizes):
                progress("construction options ...")
                report["construct"] = construct_options(db)
            report["sizes"][str(n)] = entry
    report["loadavg_1_5_15_after"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        dump_json(report)
    else:
        _print_report(report)
    return 0


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        phase: Stats.of([r[phase] / 1000 for r in runs]).as_json() for phase in (*PHASES, "process")
    }
    out["peak_rss_mb"] = statistics.median(r["peak_rss_mb"] for r in runs)
    out["rows_read"] = runs[0]["rows_read"]
    out["marks_read"] = runs[0]["marks_read"]
    out["due"] = runs[0]["due"]
    return out


def _print_report(report: dict[str, Any]) -> None:
    m = report["machine"]
    print(
        f"fastread vs ORM: {m['cpu_count']} cores, Python {m['python']}, SQLite {m['sqlite']}, "
        f"load {m['loadavg_1_5_15']} before, {report['loadavg_1_5_15_after']} after; "
        f"medians of {report['repeat']} alternated rounds, ms"
    )
    headers = ["size / path", *PHASES, "process", "peak MB"]
    rows: list[list[Any]] = []
    for size, entry in report["sizes"].items():
        for kind in PATHS:
            e = entry[kind]
            rows.append(
                [
                    f"{int(size):,} {kind}",
                    *(e[p]["median_ms"] for p in (*PHASES, "process")),
                    e["peak_rss_mb"],
                ]
            )
        fast, orm = entry["fast"], entry["orm"]
        ratio = fast["total"]["median_ms"] / max(orm["total"]["median_ms"], 1e-9)
        rows.append([f"{int(size):,} fast/orm total", "", "", "", "", "", f"{ratio:.2f}", "", ""])
    print()
    print_table(headers, rows)
    construct = report.get("construct")
    if construct:
        print()
        print(f"building one IntegrationRow ({construct['rows']:,} rows), µs per row:")
        print_table(["option", "µs"], list(construct["per_row_us"].items()))
        print()
        print(
            f"time text: fromisoformat + tzinfo {construct['parse_us']} µs, memo hit "
            f"{construct['memo_hit_us']} µs; non-null / distinct per column:"
        )
        print_table(
            ["column", "non-null", "distinct"],
            [[c, *v] for c, v in construct["time_columns_non_null_distinct"].items()],
        )


if __name__ == "__main__":
    sys.exit(main())
