"""Benchmark ``syncwatch import`` end to end, and where its time goes.

Generates (seed 42) an import file in the contract's JSON format with N integrations,
S syncs and L log entries: realistic messages, about 2 % of them carrying a credential
(``Authorization: Bearer <jwt>``, ``api_key=...``, ``client_secret=...``, a JSON ``token``),
log ids left out so the importer derives them. Then:

* end to end: ``python -m syncwatch --db DB --now NOW import FILE`` as a subprocess into a
  fresh database each repeat (median, min, max), as log entries and syncs per second; the
  same command on an empty file gives the fixed cost (interpreter start, imports, schema);
* in process, each repeat into a fresh database: ``json.loads`` of the file alone (the
  baseline: the raw parse cost), parse + validate (``read_file``), then ``import_parsed``
  split into SQL time per statement, the evaluation of what was imported
  (``evaluate_ids``), commit, and the Python work around them; redaction and log-id hashing
  over every message are also timed on their own. Each repeat runs twice: as
  ``syncwatch import`` runs (a worker forked before the parse shares the preparation of log
  rows on the other core) and with no worker (everything on one core), for comparison.

    uv run python benchmarks/importer.py [--integrations 1000] [--syncs 100000]
        [--logs 300000] [--repeat 3] [--keep FILE] [--profile] [--json]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from _common import (
    NOW,
    SEED,
    Messages,
    Plan,
    Stats,
    dump_json,
    generate_syncs,
    machine_info,
    plan_integrations,
    print_table,
    progress,
)

from syncwatch import importer
from syncwatch.db import Store
from syncwatch.importer import prepare
from syncwatch.redact import redact

#: Log entries per second, end to end, on the reference machine (2 cores).
TARGET_LOGS_PER_S = 50_000.0
_NOW_ARG = NOW.isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- the file


def _t(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _record(rng: random.Random, p: Plan, msgs: Messages) -> dict[str, Any]:
    syncs = []
    for s in generate_syncs(rng, p, msgs):
        logs = []
        for log in s.logs:
            entry: dict[str, Any] = {"at": _t(log.at), "level": log.level, "message": log.message}
            if log.field is not None:
                entry["field"] = log.field
            logs.append(entry)
        sync: dict[str, Any] = {
            "id": s.id,
            "type": s.type,
            "state": s.state,
            "started_at": _t(s.started_at),
        }
        if s.ended_at is not None:
            sync["ended_at"] = _t(s.ended_at)
        sync["logs"] = logs
        syncs.append(sync)
    return {
        "id": p.id,
        "tool": p.tool,
        "category": p.category,
        "organization": p.organization,
        "environment": p.environment,
        "created_at": _t(p.created_at),
        "filters_configured": p.filters_configured,
        "enabled": p.enabled,
        "last_api_request_at": _t(p.last_api_request_at),
        "credentials_updated_at": _t(p.credentials_updated_at),
        "qa_status": p.qa_status,
        "deleted_at": _t(p.deleted_at),
        "syncs": syncs,
    }


def write_file(path: Path, n: int, n_syncs: int, n_logs: int) -> dict[str, int]:
    """Write the import file; return what it holds."""
    rng = random.Random(SEED)
    msgs = Messages(rng, secret=None)  # real-looking credentials: the importer redacts them
    plans = plan_integrations(rng, n, n_syncs, n_logs, NOW)
    syncs = logs = 0
    with path.open("w", encoding="utf-8") as f:
        f.write('{"integrations": [\n')
        for i, p in enumerate(plans):
            rec = _record(rng, p, msgs)
            syncs += len(rec["syncs"])
            logs += sum(len(s["logs"]) for s in rec["syncs"])
            f.write(("" if i == 0 else ",\n") + json.dumps(rec, ensure_ascii=False))
        f.write("\n]}\n")
    return {"integrations": len(plans), "syncs": syncs, "logs": logs, "bytes": path.stat().st_size}


# --------------------------------------------------------------------------- end to end


def _fresh_db(tmp: Path, tag: str) -> Path:
    d = tmp / tag
    d.mkdir()
    return d / "import.db"


def child_env(pycache: Path | None) -> dict[str, str]:
    """The environment of ``syncwatch import``: with a private bytecode cache, or as it is.

    With ``pycache`` the child reads and writes compiled bytecode under that directory (as an
    installed app has it), whatever ``PYTHONDONTWRITEBYTECODE`` says; without it the child
    runs exactly as this environment runs Python.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCWATCH_")}
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def run_cli(db: Path, file: Path, env: dict[str, str]) -> tuple[float, float]:
    """Run ``syncwatch import``; return its wall time and CPU time (user + system), in s."""
    cmd = [sys.executable, "-m", "syncwatch", "--db", str(db), "--now", _NOW_ARG, "import"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([*cmd, str(file)], capture_output=True, text=True, check=False, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"syncwatch import failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return wall, cpu


# --------------------------------------------------------------------------- in process


def _statement_kind(sql: str) -> str:
    words = sql.split()
    verb = words[0].upper()
    if verb == "INSERT":
        return f"INSERT {words[2]}"
    if verb == "UPDATE":
        return f"UPDATE {words[1]}"
    if verb == "DELETE":
        return f"DELETE {words[2]}"
    if verb == "SELECT":
        upper = [w.upper() for w in words]
        table = words[upper.index("FROM") + 1] if "FROM" in upper else "?"
        return f"SELECT {table}"
    return verb


def _messages(parsed: importer.ParsedFile) -> Iterator[tuple[str, Any]]:
    for rec in parsed.integrations:
        assert isinstance(rec, dict)
        for sync in rec.get("syncs", ()):
            for log in sync.get("logs", ()):
                yield sync["id"], log


def _now() -> tuple[float, float]:
    """Wall clock and this process's CPU time, in s."""
    return time.perf_counter(), time.process_time()


def _since(mark: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = _now()
    return wall - mark[0], cpu - mark[1]


def in_process(tmp: Path, file: Path, tag: str, *, worker: bool = True) -> dict[str, Any]:
    """One in-process import into a fresh database, timed by phase (wall and CPU).

    CPU times are this process's: a worker's (``worker=True``, as ``syncwatch import``
    runs) are not in them. The garbage collector is paused as ``import_files`` pauses it.
    """
    phases: dict[str, tuple[float, float]] = {}
    gc.collect()
    gc.disable()
    try:
        return _in_process(tmp, file, tag, worker, phases)
    finally:
        gc.enable()


def _in_process(
    tmp: Path, file: Path, tag: str, worker: bool, phases: dict[str, tuple[float, float]]
) -> dict[str, Any]:
    data = file.read_bytes()
    mark = _now()
    json.loads(data)  # the baseline: parsing alone, no validation
    phases["json_loads"] = _since(mark)
    del data

    # Redaction and log-id hashing on their own, over every message (not stored).
    entries = list(_messages(importer.read_file(str(file))))
    mark = _now()
    redacted = [redact(log["message"]) for _, log in entries]
    phases["redact_standalone"] = _since(mark)
    changed = sum(1 for (_, log), r in zip(entries, redacted, strict=True) if r != log["message"])
    mark = _now()
    for (sync_id, log), message in zip(entries, redacted, strict=True):
        importer.derive_log_id(sync_id, log["at"], log["level"], log.get("field"), message, 1)
    phases["log_id_standalone"] = _since(mark)
    del entries, redacted

    store = Store.open(_fresh_db(tmp, tag))
    # (phase, statement) -> [wall s, CPU s, calls]
    sql: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    phase = ["upsert"]
    started: list[tuple[float, float]] = []

    def before(*_a: Any) -> None:
        started.append(_now())

    def after(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        wall, cpu = _since(started.pop())
        cell = sql[(phase[0], _statement_kind(statement))]
        cell[0] += wall
        cell[1] += cpu
        cell[2] += 1

    sa.event.listen(store.engine, "before_cursor_execute", before)
    sa.event.listen(store.engine, "after_cursor_execute", after)
    evaluate_ids = store.evaluate_ids
    marks: dict[str, tuple[float, float]] = {}

    def timed_evaluate_ids(*args: Any, **kwargs: Any) -> Any:
        phase[0] = "evaluate"
        marks["eval_start"] = _now()
        try:
            return evaluate_ids(*args, **kwargs)
        finally:
            marks["eval_end"] = _now()
            phase[0] = "commit"

    store.evaluate_ids = timed_evaluate_ids  # type: ignore[method-assign]
    parallel_min = prepare.PARALLEL_MIN_BYTES
    if not worker:
        prepare.PARALLEL_MIN_BYTES = sys.maxsize
    try:
        # As import_files runs: the worker (if any) is forked first and parses the file
        # too, at the same time as this process does.
        with importer.preparation_worker(store, [str(file)], None) as helper:
            mark = _now()
            parsed = importer.read_file(str(file))
            phases["parse_validate"] = _since(mark)
            start = _now()
            report = importer.import_parsed(store, [parsed], NOW, worker=helper)
            end = _now()
    finally:
        prepare.PARALLEL_MIN_BYTES = parallel_min
        store.close()

    def span(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
        return b[0] - a[0], b[1] - a[1]

    def sql_sum(ph: str) -> tuple[float, float]:
        cells = [v for (p, _), v in sql.items() if p == ph]
        return sum(c[0] for c in cells), sum(c[1] for c in cells)

    phases["import_parsed"] = span(start, end)
    phases["upsert"] = span(start, marks["eval_start"])
    phases["upsert_sql"] = sql_sum("upsert")
    phases["evaluate"] = span(marks["eval_start"], marks["eval_end"])
    phases["evaluate_sql"] = sql_sum("evaluate")
    phases["commit"] = span(marks["eval_end"], end)
    for name in ("upsert", "evaluate"):
        whole, in_sql = phases[name], phases[f"{name}_sql"]
        phases[f"{name}_python"] = (whole[0] - in_sql[0], whole[1] - in_sql[1])
    out: dict[str, Any] = {}
    for name, (wall, cpu) in phases.items():
        out[f"{name}_s"] = wall
        out[f"{name}_cpu_s"] = cpu
    return out | {
        "messages_redacted": changed,
        "logs_added": report.logs_added,
        "syncs_added": report.syncs_added,
        "evaluated": report.evaluation.evaluated,
        "statements": {
            f"{ph}: {kind}": {"s": round(v[0], 4), "cpu_s": round(v[1], 4), "calls": int(v[2])}
            for (ph, kind), v in sorted(sql.items(), key=lambda kv: -kv[1][0])
        },
    }


def profile(file: Path, tmp: Path, top: int = 25) -> str:
    store = Store.open(_fresh_db(tmp, "profile"))
    prof = cProfile.Profile()
    try:
        prof.enable()
        importer.import_parsed(store, [importer.read_file(str(file))], NOW)
        prof.disable()
    finally:
        store.close()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    return buf.getvalue()


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--integrations", type=int, default=1_000)
    ap.add_argument("--syncs", type=int, default=100_000)
    ap.add_argument("--logs", type=int, default=300_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="also write the generated file here")
    ap.add_argument("--profile", action="store_true", help="cProfile one in-process import")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    return args


def run(args: argparse.Namespace) -> dict[str, Any]:
    load_at_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="syncwatch-import-bench-") as tmp_name:
        tmp = Path(tmp_name)
        file = args.keep or tmp / "import.json"
        progress(f"writing {args.integrations:,} / {args.syncs:,} / {args.logs:,} to {file} ...")
        t0 = time.perf_counter()
        held = write_file(file, args.integrations, args.syncs, args.logs)
        generate_s = time.perf_counter() - t0
        empty = tmp / "empty.json"
        empty.write_text('{"integrations": []}\n')

        warm_env = child_env(tmp / "pycache")
        cold_env = child_env(None)
        run_cli(_fresh_db(tmp, "warmup"), empty, warm_env)  # fills the bytecode cache
        e2e, e2e_cpu, fixed, fixed_cpu = [], [], [], []
        for r in range(args.repeat):
            wall, cpu = run_cli(_fresh_db(tmp, f"empty{r}"), empty, warm_env)
            fixed.append(wall)
            fixed_cpu.append(cpu)
            db = _fresh_db(tmp, f"cli{r}")
            wall, cpu = run_cli(db, file, warm_env)
            e2e.append(wall)
            e2e_cpu.append(cpu)
            progress(f"end to end {r + 1}/{args.repeat}: {wall:.2f} s (CPU {cpu:.2f} s)")
        with _closing(Store.open(db)) as store:
            stored = store.counts()
        cold_fixed = run_cli(_fresh_db(tmp, "cold-empty"), empty, cold_env)
        cold_e2e = run_cli(_fresh_db(tmp, "cold"), file, cold_env)
        progress(f"end to end without a bytecode cache: {cold_e2e[0]:.2f} s")

        phases, single = [], []
        for r in range(args.repeat):
            phases.append(in_process(tmp, file, f"inproc{r}"))
            progress(f"in process {r + 1}/{args.repeat}: {phases[-1]['import_parsed_s']:.2f} s")
            single.append(in_process(tmp, file, f"single{r}", worker=False))
            progress(
                f"in process, no worker {r + 1}/{args.repeat}: "
                f"{single[-1]['import_parsed_s']:.2f} s"
            )
        prof_text = profile(file, tmp) if args.profile else None

    e2e_st, fixed_st = Stats.of(e2e), Stats.of(fixed)
    median_s = e2e_st.median / 1000
    keys = [k for k, v in phases[0].items() if k.endswith("_s") and isinstance(v, float)]
    phase_medians = {k: round(Stats.of([p[k] for p in phases]).median, 1) for k in keys}
    single_medians = {k: round(Stats.of([p[k] for p in single]).median, 1) for k in keys}
    cpu_median_s = Stats.of(e2e_cpu).median / 1000
    logs_per_s = held["logs"] / median_s
    out: dict[str, Any] = {
        "benchmark": "importer",
        "params": {
            "integrations": args.integrations,
            "syncs": args.syncs,
            "logs": args.logs,
            "repeat": args.repeat,
            "seed": SEED,
            "now": _NOW_ARG,
        },
        "machine": machine_info() | {"loadavg_at_start": [round(x, 2) for x in load_at_start]},
        "file": held | {"generate_s": round(generate_s, 3)},
        "stored": stored,
        "end_to_end": e2e_st.as_json()
        | {
            "cpu_ms": Stats.of(e2e_cpu).as_json(),
            "logs_per_s": round(logs_per_s),
            "syncs_per_s": round(held["syncs"] / median_s),
            # What an idle machine would approach: the import is single-threaded.
            "logs_per_cpu_s": round(held["logs"] / cpu_median_s),
            "fixed_cost": fixed_st.as_json() | {"cpu_ms": Stats.of(fixed_cpu).as_json()},
            "logs_per_s_without_fixed_cost": round(
                held["logs"] / max(median_s - fixed_st.median / 1000, 1e-9)
            ),
            "bytecode_cache": "private PYTHONPYCACHEPREFIX, warmed before timing",
        },
        "end_to_end_without_bytecode_cache": {
            "wall_ms": round(cold_e2e[0] * 1000, 1),
            "cpu_ms": round(cold_e2e[1] * 1000, 1),
            "fixed_cost_wall_ms": round(cold_fixed[0] * 1000, 1),
            "fixed_cost_cpu_ms": round(cold_fixed[1] * 1000, 1),
            "logs_per_s": round(held["logs"] / cold_e2e[0]),
            "env": "as inherited (PYTHONDONTWRITEBYTECODE="
            + os.environ.get("PYTHONDONTWRITEBYTECODE", "unset")
            + ")",
        },
        "phases_ms": phase_medians,
        "phases_no_worker_ms": single_medians,
        "in_process_runs": phases,
        "in_process_no_worker_runs": single,
        "target": {
            "logs_per_s": TARGET_LOGS_PER_S,
            "measured": round(logs_per_s),
            "met": logs_per_s > TARGET_LOGS_PER_S,
        },
    }
    if prof_text is not None:
        out["profile"] = prof_text
    return out


class _closing:
    """``with`` for a Store (it has ``close`` but is no context manager)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __enter__(self) -> Store:
        return self.store

    def __exit__(self, *_exc: object) -> None:
        self.store.close()


_PHASES = (
    ("json_loads", "baseline: json.loads of the file (parsing alone)"),
    ("parse_validate", "read_file: parse + validate (pydantic, from bytes) + checks"),
    ("import_parsed", "import_parsed, total"),
    ("upsert", "  upsert (before the evaluation)"),
    ("upsert_sql", "    of which SQL execution"),
    ("upsert_python", "    of which Python (rows; with no worker: redact, ids too)"),
    ("evaluate", "  evaluate_ids of the imported integrations"),
    ("evaluate_sql", "    of which SQL execution"),
    ("evaluate_python", "    of which Python"),
    ("commit", "  commit"),
    ("redact_standalone", "redact() over every message, alone"),
    ("log_id_standalone", "derive_log_id() over every entry, alone"),
)


def report(out: dict[str, Any]) -> None:
    f, e, m = out["file"], out["end_to_end"], out["machine"]
    print(
        f"syncwatch import benchmark: {f['integrations']:,} integrations, {f['syncs']:,} syncs, "
        f"{f['logs']:,} log entries ({f['bytes'] / 1e6:.1f} MB); repeat {out['params']['repeat']}"
    )
    print(
        f"Python {m['python']}, SQLite {m['sqlite']}, SQLAlchemy {m['sqlalchemy']}, "
        f"{m['cpu_count']} CPUs, {m['platform']}"
    )
    src = m["source"]
    changed = ", ".join(src["src_changes"]) or "none"
    print(f"measured commit {src['commit']}; uncommitted changes under src/: {changed}")
    print(
        f"load average (1/5/15 min) at start {m['loadavg_at_start']}, at end "
        f"{m['loadavg_1_5_15']} (wall times include waiting for the CPU; CPU times do not)"
    )
    print(f"file generated in {f['generate_s']:.1f} s; stored after import: {out['stored']}")
    print()
    fixed = e["fixed_cost"]
    cold = out["end_to_end_without_bytecode_cache"]
    print_table(
        ["end to end (subprocess)", "median ms", "min ms", "max ms", "CPU ms"],
        [
            ["syncwatch import FILE", e["median_ms"], e["min_ms"], e["max_ms"],
             e["cpu_ms"]["median_ms"]],
            ["syncwatch import EMPTY (fixed cost)", fixed["median_ms"], fixed["min_ms"],
             fixed["max_ms"], fixed["cpu_ms"]["median_ms"]],
            ["FILE, no bytecode cache (1 run)", cold["wall_ms"], "", "", cold["cpu_ms"]],
            ["EMPTY, no bytecode cache (1 run)", cold["fixed_cost_wall_ms"], "", "",
             cold["fixed_cost_cpu_ms"]],
        ],
    )  # fmt: skip
    t = out["target"]
    print(
        f"\nlog entries/s: {e['logs_per_s']:,} (target > {t['logs_per_s']:,.0f}: "
        f"{'ok' if t['met'] else 'MISSED'}); syncs/s: {e['syncs_per_s']:,}; "
        f"without the fixed cost: {e['logs_per_s_without_fixed_cost']:,} log entries/s; "
        f"per CPU second: {e['logs_per_cpu_s']:,} log entries"
    )
    print()
    ph, one = out["phases_ms"], out["phases_no_worker_ms"]
    print_table(
        ["in process, median of repeats", "wall ms", "CPU ms", "no worker: wall", "CPU"],
        [
            [label, ph[f"{key}_s"], ph[f"{key}_cpu_s"], one[f"{key}_s"], one[f"{key}_cpu_s"]]
            for key, label in _PHASES
        ],
    )
    print(
        "(CPU ms are the importing process's own; the worker that prepares log rows on the "
        "other core is not in them. The end-to-end CPU figure includes it.)"
    )
    last = out["in_process_runs"][-1]
    print(f"\n{last['messages_redacted']:,} messages changed by redaction")
    print()
    rows = [
        [name, v["s"] * 1000, v["cpu_s"] * 1000, v["calls"]]
        for name, v in list(last["statements"].items())[:12]
    ]
    print_table(["SQL by statement (last in-process run)", "wall ms", "CPU ms", "calls"], rows)
    if "profile" in out:
        print("\ncProfile of one in-process import (sorted by own time):")
        print(out["profile"])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = run(args)
    if args.json:
        dump_json(out)
    else:
        report(out)
    return 0


if __name__ == "__main__":
    os.environ.pop("SYNCWATCH_DB", None)
    os.environ.pop("SYNCWATCH_NOW", None)
    sys.exit(main())
