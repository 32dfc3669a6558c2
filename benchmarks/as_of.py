"""How long ``syncwatch list --as-of TIME`` takes at fleet scale: 10,000 integrations,
200,000 transitions over 30 days, 200,000 syncs (a SQLite file in a temp directory; rows
inserted straight into the tables, every integration evaluated so a plain ``list`` has
nothing to do).

Figures, each the median of 5 runs (in-process: imports already paid, output to
/dev/null): the whole command ``list --as-of T --json`` (the light read path,
``syncwatch.fastread``) at three times (an hour, 15 days and 29 days ago: the more history
before T, the more rows the reads rank); the read alone on that path
(``FastReader.fleet_as_of``) and on ``Store`` (``syncwatch.db.asof.fleet_as_of``, what the
UI's as-of screen runs); and, as the baseline of the same run, the plain ``list --json``.

    uv run python benchmarks/as_of.py [--integrations N] [--transitions N] [--syncs N]
        [--runs N] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import NOW, dump_json, print_table, progress

from syncwatch.cli import main as cli
from syncwatch.clock import iso
from syncwatch.db import Store, tables
from syncwatch.db.asof import fleet_as_of
from syncwatch.fastread import FastReader
from syncwatch.states import IntegrationState, SyncState

TOOLS = ("personio", "workday", "bamboohr", "hibob", "greenhouse", "lever")
STATES = [s.value for s in IntegrationState if s is not IntegrationState.DELETED]
RESULTS = [
    SyncState.SUCCEEDED.value,
    SyncState.SUCCEEDED.value,
    SyncState.PARTIALLY_FAILED.value,
    SyncState.FAILED.value,
    SyncState.AUTHENTICATION_FAILED.value,
]
SPAN = 30 * 86400


def fill(store: Store, n_integrations: int, n_transitions: int, n_syncs: int) -> None:
    rng = random.Random(42)
    ids = [f"{TOOLS[i % len(TOOLS)]}:{i:06d}" for i in range(n_integrations)]
    with store.write() as conn:
        conn.execute(
            tables.integrations.insert(),
            [
                {
                    "id": iid,
                    "tool": iid.split(":")[0],
                    "category": "HRIS",
                    "organization": f"Org {i % 3000} GmbH",
                    "created_at": NOW - timedelta(days=31),
                    "filters_configured": True,
                    "state": rng.choice(STATES),
                    "state_reason": "as the benchmark left it",
                    "state_since": NOW - timedelta(days=1),
                    "evaluated_at": NOW,
                    "dirty": False,
                    "next_due_at": None,
                }
                for i, iid in enumerate(ids)
            ],
        )
        for start in range(0, n_transitions, 20_000):
            conn.execute(
                tables.state_changes.insert(),
                [
                    {
                        "integration_id": rng.choice(ids),
                        "from_state": rng.choice(STATES),
                        "to_state": rng.choice(STATES),
                        "at": NOW - timedelta(seconds=rng.randrange(SPAN)),
                        "reason": "Last sync finished and failed: 503 Service Unavailable",
                    }
                    for _ in range(min(20_000, n_transitions - start))
                ],
            )
        # Every integration's first entry, before the window: each has a state at any T.
        conn.execute(
            tables.state_changes.insert(),
            [
                {
                    "integration_id": iid,
                    "from_state": None,
                    "to_state": "ACTIVE",
                    "at": NOW - timedelta(days=31),
                    "reason": "first",
                }
                for iid in ids
            ],
        )
        for start in range(0, n_syncs, 20_000):
            rows = []
            for k in range(start, min(start + 20_000, n_syncs)):
                started = NOW - timedelta(seconds=rng.randrange(SPAN))
                rows.append(
                    {
                        "id": f"s{k:07d}",
                        "integration_id": rng.choice(ids),
                        "state": rng.choice(RESULTS),
                        "started_at": started,
                        "ended_at": started + timedelta(minutes=rng.randrange(1, 40)),
                    }
                )
            conn.execute(tables.syncs.insert(), rows)


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def command(*args: str) -> Callable[[], None]:
    def run() -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            code = cli(list(args))
        assert code == 0, args

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--integrations", type=int, default=10_000)
    parser.add_argument("--transitions", type=int, default=200_000)
    parser.add_argument("--syncs", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ["SYNCWATCH_NOW"] = iso(NOW) or ""
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        store = Store.open(path)
        progress(
            f"filling {args.integrations} integrations, {args.transitions} transitions, "
            f"{args.syncs} syncs"
        )
        fill(store, args.integrations, args.transitions, args.syncs)
        db = str(path)
        figures["list --json (baseline)"] = median_ms(
            command("--db", db, "list", "--json"), args.runs
        )
        for label, back in (("1h", "1h"), ("15d", "15d"), ("29d", "29d")):
            figures[f"list --as-of {label} --json"] = median_ms(
                command("--db", db, "list", "--as-of", back, "--json"), args.runs
            )
        at = NOW - timedelta(days=15)
        reader = FastReader.open(path)
        assert reader is not None
        with reader:
            n = len(reader.fleet_as_of(at).rows)
            assert n == args.integrations, n
            figures["read alone, fast path (15d)"] = median_ms(
                lambda: reader.fleet_as_of(at), args.runs
            )
        figures["read alone, Store (15d)"] = median_ms(lambda: fleet_as_of(store, at), args.runs)
        store.close()
    if args.json:
        dump_json({"median_ms": figures, **vars(args)})
    else:
        print_table(("case", f"ms (median of {args.runs})"), list(figures.items()))


if __name__ == "__main__":
    main()
