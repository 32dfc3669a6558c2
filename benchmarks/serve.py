"""``syncwatch serve``: how long a visitor waits, and what each visitor costs.

Two cases: ``demo`` (``serve --demo``: each visitor's own tour on a fresh database) and
``ui`` (``serve`` on the bundled sample, 63 integrations, as a newcomer's default database).
A real headless Chromium (Debian's; ``tests/serve_support.py`` drives it over the DevTools
protocol) opens the page of the server on a loopback port, one session after the other;
each is timed from the page being asked for to the integration list drawn in the browser's
terminal (a state and an organisation of the data on screen, read from xterm.js's buffer on
its own "write parsed" event). The visitor's process (the server's child) is
measured when the list is drawn (RSS) and once settled, after its first evaluation pass (the
store open, the workers started): its resident set (RSS) and its proportional set (PSS:
shared pages divided among the processes that share them). Then ``--concurrent`` visitors
are opened at once and measured together, with the server's own RSS.

The baseline, in the same run and alternated with the browser round by round: the same
thing (``syncwatch demo``, ``syncwatch``) started in a pseudo-terminal (160x45, as
``benchmarks/startup.py``) to the same list on screen, and its RSS then: what the browser
adds is the difference.

    uv run python benchmarks/serve.py [--cases demo,ui] [--sessions 7] [--concurrent 4] [--json]

Medians are in milliseconds, memory in MiB. Nothing here asserts a time: it prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import fcntl
import json
import os
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from _common import dump_json, machine_info, print_table, progress  # noqa: E402

from serve_support import (  # noqa: E402
    Chromium,
    Page,
    ServeProcess,
    find_chromium,
    pss_kib,
    rss_kib,
)
from syncwatch.states import STATE_INFO  # noqa: E402

#: Organisations of the tour (``syncwatch.demo.scenarios``).
TOUR = ("Acme GmbH", "Fjordline Software AS", "Helios Retail Group plc")
#: Organisations of the bundled sample (what ``serve`` without ``--demo`` shows a newcomer).
SAMPLE = tuple(
    sorted(
        {i["organization"] for i in json.loads(
            (HERE.parent / "sample_data" / "integrations.json").read_text()
        )["integrations"]}
    )
)  # fmt: skip
STATES = "|".join(re.escape(i.label) for i in STATE_INFO.values())
#: The header once the first evaluation pass has run.
SETTLED = r"last pass \d"


@dataclass(frozen=True)
class Case:
    """What is served, the same thing in a terminal, and what on screen says it is drawn."""

    name: str
    serve_args: tuple[str, ...]
    terminal_args: tuple[str, ...]
    organisations: tuple[str, ...]

    @property
    def drawn(self) -> str:
        """A state and an organisation of the data, on the browser's screen."""
        return f"({STATES}).*({'|'.join(re.escape(o) for o in self.organisations)})"


CASES = {
    "demo": Case("demo", ("--demo",), ("demo",), TOUR),
    "ui": Case("ui", (), (), SAMPLE),
}
#: The baseline's pseudo-terminal, as benchmarks/startup.py's.
COLS, ROWS = 160, 45
DEADLINE_S = 120.0


async def browser_session(
    page: Page, server: ServeProcess, number: int, case: Case
) -> dict[str, float]:
    """One visitor: the page asked for, to the list drawn; the visitor's memory then."""
    t0 = time.perf_counter()
    await page.open(server.url)
    loaded = time.perf_counter() - t0
    await page.wait_for_screen(case.drawn)
    drawn = time.perf_counter() - t0
    [pid] = server.visitor_pids()
    at_drawn = rss_kib(pid) / 1024
    # Settled: the first evaluation pass has run (the store is open, the workers started).
    await page.wait_for_screen(SETTLED)
    figures = {
        "page_loaded_s": loaded,
        "list_drawn_s": drawn,
        "rss_at_drawn_mib": at_drawn,
        "rss_mib": rss_kib(pid) / 1024,
        "pss_mib": pss_kib(pid) / 1024,
    }
    await page.open("about:blank")  # the tab leaves: the session ends
    server.wait_for_line(rf"visitor {number} left")
    return figures


async def concurrent(
    browser: Chromium, server: ServeProcess, count: int, case: Case
) -> dict[str, Any]:
    """``count`` visitors at once, settled: each one's RSS and PSS, and the server's RSS."""
    pages = [await browser.new_page() for _ in range(count)]
    await asyncio.gather(*(p.open(server.url) for p in pages))
    await asyncio.gather(*(p.wait_for_screen(case.drawn) for p in pages))
    await asyncio.gather(*(p.wait_for_screen(SETTLED) for p in pages))
    pids = server.visitor_pids()
    result = {
        "visitors": len(pids),
        "rss_mib_each": sorted(round(rss_kib(p) / 1024, 1) for p in pids),
        "pss_mib_each": sorted(round(pss_kib(p) / 1024, 1) for p in pids),
        "server_rss_mib": round(rss_kib(server.process.pid) / 1024, 1),
    }
    for page in pages:
        await page.close()
    return result


def terminal_session(tmp: Path, case: Case) -> dict[str, float]:
    """The baseline: the same in a pseudo-terminal, to an organisation of the list on screen
    (the demo redraws every second, so the reading stops there)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCWATCH_")}
    # The same data folder as the server's (its default database, made when it started).
    env.update(TERM="xterm-256color", TMPDIR=str(tmp / "tmp"), XDG_DATA_HOME=str(tmp / "data"))
    marker = re.compile("|".join(re.escape(o) for o in case.organisations))
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    t0 = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "syncwatch", *case.terminal_args],
        stdin=slave, stdout=slave, stderr=slave, env=env, cwd=tmp, start_new_session=True,
    )  # fmt: skip
    os.close(slave)
    tail = ""
    drawn: float | None = None
    at_drawn = 0.0
    settled = re.compile(SETTLED)
    try:
        while True:
            if time.perf_counter() - t0 > DEADLINE_S:
                raise RuntimeError(f"no list on the terminal after {DEADLINE_S:.0f} s")
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                continue
            chunk = os.read(master, 1 << 16)
            if not chunk:
                raise RuntimeError("the terminal demo ended before its list was drawn")
            text = tail + decoder.decode(chunk)
            if drawn is None and marker.search(text):
                drawn = time.perf_counter() - t0
                at_drawn = rss_kib(process.pid) / 1024
            if drawn is not None and settled.search(text):
                return {
                    "list_drawn_s": drawn,
                    "rss_at_drawn_mib": at_drawn,
                    "rss_mib": rss_kib(process.pid) / 1024,
                }
            tail = text[-256:]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        os.close(master)


async def measure(case: Case, args: argparse.Namespace, chromium: str) -> dict[str, Any]:
    """One case: the sessions one after the other, alternated with the terminal, then
    ``--concurrent`` visitors at once."""
    home = Path(tempfile.mkdtemp(prefix="swbench-serve-"))
    visitors = str(max(8, args.concurrent))
    server = ServeProcess([*case.serve_args, "--max-visitors", visitors], home=home)
    browser_runs: list[dict[str, float]] = []
    terminal_runs: list[dict[str, float]] = []
    try:
        server.wait_ready()
        async with Chromium.launched(chromium) as browser:
            page = await browser.new_page()
            # One session first, not counted: Chromium's own first page, the caches.
            await browser_session(page, server, 1, case)
            for n in range(args.sessions):
                progress(f"{case.name}: session {n + 1}/{args.sessions}")
                browser_runs.append(await browser_session(page, server, n + 2, case))
                terminal_runs.append(terminal_session(home, case))
            await page.close()
            progress(f"{case.name}: {args.concurrent} visitors at once")
            together = await concurrent(browser, server, args.concurrent, case)
    finally:
        server.close()
        shutil.rmtree(home, ignore_errors=True)

    def median(runs: list[dict[str, float]], key: str, scale: float = 1.0) -> float:
        return round(statistics.median(r[key] for r in runs) * scale, 1)

    return {
        "serve_args": list(case.serve_args),
        "browser": {
            "page_loaded_median_ms": median(browser_runs, "page_loaded_s", 1000),
            "list_drawn_median_ms": median(browser_runs, "list_drawn_s", 1000),
            "list_drawn_runs_ms": [round(r["list_drawn_s"] * 1000, 1) for r in browser_runs],
            "visitor_rss_at_drawn_median_mib": median(browser_runs, "rss_at_drawn_mib"),
            "visitor_rss_median_mib": median(browser_runs, "rss_mib"),
            "visitor_pss_median_mib": median(browser_runs, "pss_mib"),
        },
        "terminal_baseline": {
            "list_drawn_median_ms": median(terminal_runs, "list_drawn_s", 1000),
            "list_drawn_runs_ms": [round(r["list_drawn_s"] * 1000, 1) for r in terminal_runs],
            "rss_at_drawn_median_mib": median(terminal_runs, "rss_at_drawn_mib"),
            "rss_median_mib": median(terminal_runs, "rss_mib"),
        },
        "concurrent": together,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("benchmarks/serve.py needs Chromium (apt-get install chromium)")
    cases = {name: await measure(CASES[name], args, chromium) for name in args.cases}
    return {"benchmark": "serve", "sessions": args.sessions, "cases": cases,
            "machine": machine_info()}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=7, help="sessions timed (default 7)")
    parser.add_argument(
        "--concurrent", type=int, default=4, help="visitors at once, for memory (default 4)"
    )
    parser.add_argument(
        "--cases",
        default="demo,ui",
        type=lambda text: [c for c in text.split(",") if c],
        help="demo (serve --demo), ui (serve on the bundled sample); default both",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    unknown = set(args.cases) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    result = asyncio.run(run(args))
    if args.json:
        dump_json(result)
        return 0
    print(f"syncwatch serve, {args.sessions} sessions per case (medians)")
    rows: list[list[Any]] = []
    for name, case in result["cases"].items():
        b, t = case["browser"], case["terminal_baseline"]
        rows.append(
            [
                f"{name}: browser",
                b["list_drawn_median_ms"],
                b["visitor_rss_median_mib"],
                b["visitor_pss_median_mib"],
            ]
        )
        rows.append([f"{name}: terminal (baseline)", t["list_drawn_median_ms"],
                     t["rss_median_mib"], "-"])  # fmt: skip
    # RSS and PSS: once settled (after the first evaluation pass).
    print_table(["", "list drawn ms", "RSS MiB", "PSS MiB"], rows)
    for name, case in result["cases"].items():
        c = case["concurrent"]
        print(
            f"{name}: page loaded {case['browser']['page_loaded_median_ms']} ms (median); "
            f"{c['visitors']} visitors at once: RSS {c['rss_mib_each']} MiB, "
            f"PSS {c['pss_mib_each']} MiB; server {c['server_rss_mib']} MiB"
        )
    print(f"load average at the end: {result['machine']['loadavg_1_5_15']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
