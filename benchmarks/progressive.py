"""Progressive loading: what the UI thread pays while a large database's rows arrive.

Since issue 13 the app does not wait for every row: it draws the first screenful (read with
the standard library's ``sqlite3`` before anything heavy is imported), then a worker reads
every row with its strip in the table's order, in growing batches (``BATCHES``: 5,000,
10,000, 20,000, then 40,000 rows a message), and each message is merged into the list.
``benchmarks/tui.py``'s "first paint" hands the app every row at once (what the app did
before); this script measures what the user now waits for on the UI thread, in a fresh
app per round, headless (160x45), each figure UI-thread CPU time (``time.thread_time``)
from handing the rows over until the screen is painted (``tui.py``'s method):

first_screen     the first screenful (200 rows, the preload's size) into an empty list
batch            each following batch merged into what is loaded (median,
                 and ``batch_max``: the longest the UI thread is ever busy with one)
batches_total    the sum of the batches: the UI thread's whole share of the load
all_at_once      every row in one message, for comparison (the path before issue 13)

    uv run python benchmarks/progressive.py [--sizes 10000,100000] [--repeat 3] [--json]

Nothing asserts a time: it prints figures (``--json``: one JSON object).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import textual.screen
from _common import NOW, dump_json, machine_info, print_table, progress

from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.fastread import FastReader
from syncwatch.rows import IntegrationRow
from syncwatch.trends import RecentResults, ResultStrip
from syncwatch.tui.messages import RowsLoaded
from syncwatch.tui.preload import BATCHES, SCREENFUL, read_first_screen
from syncwatch.tui.widgets.integration_list import IntegrationList
from tui import SIZE, BenchApp, Sample, _wait_for, build_db, settle

Batch = tuple[list[IntegrationRow], Mapping[str, RecentResults | ResultStrip]]


def read_batches(db: Path) -> list[Batch]:
    """The rows as the app reads them: the first screenful (the preload), then every row
    with its strip in ``BATCHES`` (the app keeps the ones it does not hold yet)."""
    reader = FastReader.open(db)
    assert reader is not None, "the database is not at this syncwatch's schema head"
    with reader:
        preload = read_first_screen(reader, SCREENFUL)
        out: list[Batch] = [(preload.rows, preload.recent)]
        out += reader.iter_with_strips(BATCHES)
    return out


async def one_round(store: Store, batches: list[Batch]) -> dict[str, Any]:
    """A fresh app: the first screen, then every batch; and a fresh one for all at once."""
    figures: dict[str, Any] = {}
    app = BenchApp(store, FixedClock(NOW), live=False, env={})
    async with app.run_test(size=SIZE):
        await _wait_for(app, lambda: bool(app.held))  # the first pass: held back
        await app.workers.wait_for_complete()
        await settle(app)
        lst = app.main.query_one(IntegrationList)
        times: list[float] = []
        for i, (rows, recent) in enumerate(batches):
            done = i == len(batches) - 1
            message = RowsLoaded(rows, done=done, recent=recent)
            sample = await Sample().measure(app, lambda m=message: app.post_message(m))
            times.append(sample.shown_cpu * 1000)
        shown = len({row.id for rows, _ in batches for row in rows if not row.deleted})
        assert len(lst.items) == shown, f"rows missing: {len(lst.items)} of {shown}"
    figures["first_screen"] = times[0]
    figures["batch"] = statistics.median(times[1:]) if len(times) > 1 else 0.0
    figures["batch_max"] = max(times[1:], default=0.0)
    figures["batches_total"] = sum(times[1:])
    figures["batches"] = len(times) - 1

    everything = list({row.id: row for rows, _ in batches for row in rows}.values())
    strips = {k: v for _, recent in batches for k, v in recent.items()}
    app = BenchApp(store, FixedClock(NOW), live=False, env={})
    async with app.run_test(size=SIZE):
        await _wait_for(app, lambda: bool(app.held))
        await app.workers.wait_for_complete()
        await settle(app)
        message = RowsLoaded(everything, done=True, recent=strips)
        sample = await Sample().measure(app, lambda: app.post_message(message))
        figures["all_at_once"] = sample.shown_cpu * 1000
    return figures


async def child(db: Path, repeat: int) -> dict[str, Any]:
    store = Store.open(db)
    batches = read_batches(db)
    runs: list[dict[str, Any]] = []
    for r in range(repeat):
        runs.append(await one_round(store, batches))
        progress(
            f"round {r + 1}/{repeat}: first screen {runs[-1]['first_screen']:.1f} ms, "
            f"batch max {runs[-1]['batch_max']:.1f} ms, "
            f"all at once {runs[-1]['all_at_once']:.0f} ms"
        )
    store.close()
    names = ("first_screen", "batch", "batch_max", "batches_total", "all_at_once")
    return {
        "batches": runs[0]["batches"],
        "figures": {
            n: {
                "median_ms": round(statistics.median(run[n] for run in runs), 3),
                "runs_ms": [round(run[n], 3) for run in runs],
            }
            for n in names
        },
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", default="100000", help="integration counts, comma separated")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        textual.screen.UPDATE_PERIOD = 3600.0  # type: ignore[misc]  # as tui.py: paint on settle
        json.dump(asyncio.run(child(Path(args.child), args.repeat)), sys.stdout)
        return 0
    report: dict[str, Any] = {
        "benchmark": "progressive",
        "machine": machine_info(),
        "terminal_size": list(SIZE),
        "unit": "ms of UI-thread CPU time (time.thread_time), median over rounds",
        "screenful": SCREENFUL,
        "batch_rows": list(BATCHES),
        "sizes": {},
    }
    with tempfile.TemporaryDirectory(prefix="syncwatch-progressive-") as tmp:
        for n in [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]:
            db = Path(tmp) / f"p-{n}.db"
            progress(f"building {n:,} integrations ...")
            info = build_db(db, n)
            cmd = [sys.executable, __file__, "--child", str(db), "--repeat", str(args.repeat)]
            out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
            report["sizes"][str(n)] = {"database": info, **json.loads(out)}
    if args.json:
        dump_json(report)
        return 0
    for n, entry in report["sizes"].items():
        rows = [(name, f"{fig['median_ms']:.1f}") for name, fig in entry["figures"].items()]
        sizes = ", ".join(f"{b:,}" for b in BATCHES)
        print(f"{int(n):,} integrations ({entry['batches']} batches of {sizes}, ... rows)")
        print_table(("figure", "median ms"), rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
