"""Fleet benchmark: ``syncwatch fleet --json`` and ``errors --json`` at 10,000 integrations
and 1,000,000 syncs, and what computing signatures adds to an import.

    uv run python benchmarks/fleet.py [--integrations 10000] [--syncs 1000000]
        [--logs 1000000] [--repeat 5] [--keep DB] [--import-syncs 100000]
        [--baseline 7e57f11] [--json]

1. Builds the database the evaluator benchmark builds (``_common``: same seed, same mix),
   with each warning and error line's signature and each sync's headline signature
   stored as the importer stores them, runs one pass to settle, then times
   ``python -m syncwatch --db DB --now NOW fleet --json`` and ``errors --json`` as
   subprocesses: wall and CPU time (the child's ``getrusage``), ``--repeat`` times each;
   medians. ``--help`` (the same interpreter start and imports) gives the fixed floor.
2. The import cost: ``importer.py``'s file (``--import-syncs`` syncs, 3 log entries
   each) imported into a fresh database by this tree and by ``--baseline`` (a
   ``git archive`` of that commit's ``src``, in a temporary directory), alternated, the
   same number of times each; CPU time of the child, medians and the ratio.

``--keep DB`` keeps (and reuses) the built database. Prints a table, or with ``--json``
one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _common import (  # noqa: E402
    NOW,
    SEED,
    Messages,
    dump_json,
    generate_syncs,
    integration_row,
    machine_info,
    plan_integrations,
    print_table,
    progress,
    source_info,
    sync_and_log_rows,
)

_BATCH = 20_000


def build(path: Path, n: int, n_syncs: int, n_logs: int) -> None:
    """Fill an empty database (as ``evaluator.py`` does), with signatures as stored."""
    import hashlib

    from syncwatch.db import Store
    from syncwatch.db.tables import integrations, log_entries, syncs
    from syncwatch.signatures import signature

    def log_id(sync_id: str, j: int) -> str:
        return hashlib.blake2b(f"{sync_id}\x1f{j}".encode(), digest_size=12).hexdigest()

    memo: dict[str, str | None] = {}

    def sign(text: str) -> str | None:
        if text not in memo:
            memo[text] = signature(text)
        return memo[text]

    rng = random.Random(SEED)
    msgs = Messages(rng, secret="[REDACTED]")
    plans = plan_integrations(rng, n, n_syncs, n_logs, NOW)
    store = Store.open(path)
    try:
        with store.write() as conn:
            conn.execute(integrations.insert(), [integration_row(p) for p in plans])
        sync_buf: list[dict[str, Any]] = []
        log_buf: list[dict[str, Any]] = []
        done = 0

        def flush() -> None:
            with store.write() as conn:
                if sync_buf:
                    conn.execute(syncs.insert(), sync_buf)
                if log_buf:
                    conn.execute(log_entries.insert(), log_buf)
            sync_buf.clear()
            log_buf.clear()

        for p in plans:
            sync_rows, log_rows = sync_and_log_rows(p.id, generate_syncs(rng, p, msgs), log_id)
            for s in sync_rows:
                # _common's headline is the whole message of the headline line.
                s["signature"] = sign(s["headline"]) if s["headline"] else None
            for entry in log_rows:
                entry["signature"] = None if entry["level"] == "INFO" else sign(entry["message"])
            sync_buf.extend(sync_rows)
            log_buf.extend(log_rows)
            if len(sync_buf) >= _BATCH:
                done += len(sync_buf)
                flush()
                if done % 200_000 < _BATCH:
                    progress(f"built {done:,} of {n_syncs:,} syncs")
        flush()
        progress("settling: one evaluation pass")
        store.evaluate_pass(NOW)
    finally:
        store.close()


def _child(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, bytes]:
    """Run ``args``; (wall s, CPU s of the child, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def _env(src: Path, cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src)
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    env.pop("SYNCWATCH_DB", None)
    env.pop("SYNCWATCH_NOW", None)
    return env


def time_commands(db: Path, repeat: int, cache: Path) -> dict[str, Any]:
    env = _env(ROOT / "src", cache)
    now = NOW.isoformat()
    base = [sys.executable, "-m", "syncwatch", "--db", str(db), "--now", now]
    cases = {
        "help (floor)": [sys.executable, "-m", "syncwatch", "--help"],
        "fleet --json": [*base, "fleet", "--json"],
        "fleet --by organization --json": [*base, "fleet", "--by", "organization", "--json"],
        "errors --json": [*base, "errors", "--json"],
        "errors --since 1d --json": [*base, "errors", "--since", "1d", "--json"],
    }
    for argv in cases.values():  # warm the bytecode cache and the file cache
        _child(argv, ROOT, env)
    out: dict[str, Any] = {}
    for name, argv in cases.items():
        walls, cpus = [], []
        size = 0
        for _ in range(repeat):
            wall, cpu, stdout = _child(argv, ROOT, env)
            walls.append(wall)
            cpus.append(cpu)
            size = len(stdout)
        out[name] = {
            "wall_median_s": statistics.median(walls),
            "cpu_median_s": statistics.median(cpus),
            "wall_min_s": min(walls),
            "stdout_bytes": size,
        }
    fleet = json.loads(_child(cases["fleet --json"], ROOT, env)[2])
    errors = json.loads(_child(cases["errors --json"], ROOT, env)[2])
    out["shape"] = {
        "groups": len(fleet["groups"]),
        "outages": len(fleet["outages"]),
        "signatures": len(errors),
        "lines_counted": sum(e["lines"] for e in errors),
    }
    return out


def time_imports(n_syncs: int, rounds: int, baseline: str, tmp: Path) -> dict[str, Any]:
    """CPU of ``import FILE`` by this tree and by ``baseline``, alternated."""
    import importer as importer_bench  # benchmarks/importer.py

    file = tmp / "import.json"
    progress(f"writing an import file of {n_syncs:,} syncs")
    importer_bench.write_file(file, n_syncs // 100, n_syncs, n_syncs * 3)
    base_tree = tmp / "baseline"
    base_tree.mkdir()
    # The baseline's sources, exported (no worktree, nothing added to the repository).
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", baseline, "src"], check=True, capture_output=True
    )
    subprocess.run(["tar", "-x", "-C", str(base_tree)], input=archive.stdout, check=True)
    try:
        trees = {"this tree": ROOT / "src", f"baseline {baseline}": base_tree / "src"}
        cpu: dict[str, list[float]] = {name: [] for name in trees}
        now = NOW.isoformat()
        for src in trees.values():  # each child must import the tree it is given
            where = subprocess.run(
                [sys.executable, "-c", "import syncwatch; print(syncwatch.__file__)"],
                env=_env(src, tmp / "cache-check"),
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            if not where.startswith(str(src)):
                raise SystemExit(f"{src}: the child imported {where}")
        for r in range(rounds + 1):  # the first round warms the caches and is dropped
            for name, src in trees.items():
                db = tmp / f"import-{r}-{len(cpu[name])}-{name[:4]}.db"
                env = _env(src, tmp / f"cache-{name[:4]}")
                argv = [sys.executable, "-m", "syncwatch", "--db", str(db), "--now", now]
                _, seconds, _ = _child([*argv, "import", str(file)], src.parent, env)
                db.unlink()
                if r:
                    cpu[name].append(seconds)
        medians = {name: statistics.median(v) for name, v in cpu.items()}
        this, base = medians["this tree"], medians[f"baseline {baseline}"]
        return {
            "syncs": n_syncs,
            "log_entries": n_syncs * 3,
            "rounds": rounds,
            "cpu_median_s": medians,
            "cpu_s": cpu,
            "ratio": this / base,
        }
    finally:
        shutil.rmtree(base_tree, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--integrations", type=int, default=10_000)
    ap.add_argument("--syncs", type=int, default=1_000_000)
    ap.add_argument("--logs", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="build the database here (reused if it exists)")
    ap.add_argument("--import-syncs", type=int, default=100_000)
    ap.add_argument("--import-rounds", type=int, default=3)
    ap.add_argument("--baseline", default="7e57f11")
    ap.add_argument("--skip-import", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="syncwatch-fleet-") as tmp_name:
        tmp = Path(tmp_name)
        db = args.keep or tmp / "fleet.db"
        if not db.exists():
            progress(f"building {args.integrations:,} integrations, {args.syncs:,} syncs")
            build(db, args.integrations, args.syncs, args.logs)
        result: dict[str, Any] = {
            "benchmark": "fleet",
            "params": {
                "integrations": args.integrations,
                "syncs": args.syncs,
                "logs": args.logs,
                "repeat": args.repeat,
                "seed": SEED,
                "now": NOW.isoformat(),
            },
            "machine": machine_info(),
            "source": source_info(),
            "commands": time_commands(db, args.repeat, tmp / "cache"),
        }
        if not args.skip_import:
            result["import"] = time_imports(
                args.import_syncs, args.import_rounds, args.baseline, tmp
            )
    if args.json:
        dump_json(result)
        return 0
    rows = [
        [
            name,
            f"{v['cpu_median_s'] * 1000:.0f}",
            f"{v['wall_median_s'] * 1000:.0f}",
            v["stdout_bytes"],
        ]
        for name, v in result["commands"].items()
        if name != "shape"
    ]
    print_table(["command (process)", "CPU ms (median)", "wall ms (median)", "stdout bytes"], rows)
    print(f"shape: {result['commands']['shape']}")
    if "import" in result:
        imp = result["import"]
        print_table(
            ["import of", "tree", "CPU s (median)"],
            [[f"{imp['syncs']:,} syncs", k, f"{v:.2f}"] for k, v in imp["cpu_median_s"].items()],
        )
        print(f"ratio this / baseline: {imp['ratio']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
