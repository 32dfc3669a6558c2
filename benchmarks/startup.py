"""Start-up: from the process starting to real rows on screen, and the quick commands.

What the user waits for is the figure: this starts syncwatch in a real pseudo-terminal
(160x45, driven by this script), reads what it draws and notes when the first integration
row is on screen (an organisation name of the database, drawn in the list), when every row
is in the list (``tui.N.all_rows``: the status line counts them all, "… of N shown"; the
first screen is a preload, the rest load in the background), and how much memory the
process held by then and at its peak once it settles (every row loaded, the store opened
and the first evaluation pass done: CPU use under 5 % of a core for a second). It also
times ``--help``, ``list --json`` and ``show ID --json`` to their exit.

In the same run, and alternated with it round by round:

* floors: ``python -c pass``, ``python -c "import textual.app"`` and a minimal Textual app
  that draws one line in the same pseudo-terminal (the least a Textual app can take);
* with ``--baseline REF``, the same figures for that commit's syncwatch (checked out with
  ``git worktree``, run with this tree's virtual environment and its own ``src`` first on
  ``PYTHONPATH``; each side builds its own databases with its own code).

    uv run python benchmarks/startup.py [--sizes sample,100,10000,100000] [--rounds 5]
                                        [--baseline REF] [--postgres URL|start] [--json]

The sample case runs ``syncwatch`` with no ``--db`` in a fresh data directory
(``XDG_DATA_HOME``), as a newcomer does; the first run, which creates the database and
imports the bundled sample, is reported apart (``first_start``). The generated databases
(``benchmarks/tui.py``'s builder: about 2 syncs and 2 log entries per integration,
evaluated at its fixed instant) are opened with ``--now`` at that instant, so nothing is
due and the figure is the start itself. Medians are in milliseconds; ratios are new /
baseline (below 1 is faster). Nothing here asserts a time: it prints figures.

``--postgres`` adds the same starts on PostgreSQL (cases ``*.pg.*``): ``URL`` names a
server by a database to connect to (``postgresql+psycopg://user:pw@host:port/postgres``;
the user creates and drops the ``swbench_*`` databases), ``start`` starts a throwaway one
with ``initdb``/``pg_ctl`` on a loopback port (as the tests do, ``tests/pg_support.py``).
Each side builds its databases there with its own code: ``sample`` is the bundled sample
(63 integrations) loaded at the builder's instant, a count is ``benchmarks/tui.py``'s data.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import fcntl
import os
import re
import select
import shutil
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _common import dump_json, print_table, progress  # noqa: E402

NOW_TEXT = "2026-11-26T12:00:00Z"  # _common.NOW: the builder evaluates at this instant
COLS, ROWS = 160, 45
#: How long one start may take before the run counts as failed (a benchmark, not a test).
DEADLINE_S = float(os.environ.get("STARTUP_DEADLINE_S", "120"))
#: After the rows are on screen, how long the output must stay quiet to count as settled.
QUIET_S = 0.5

TARGETS_MS: dict[str, float] = {
    "tui.sample.venv": 500,
    "tui.sample.uv_run": 700,
    "tui.10000": 800,
    "tui.10000.all_rows": 800,
    "tui.100000": 1000,
    "tui.100000.all_rows": 2000,
    "cli.help": 150,
    "cli.list_json.100": 300,
    "cli.list_json.10000": 800,
    "cli.show_json.10000": 300,
    "tui.pg.sample": 500,
    "tui.pg.10000": 800,
    "tui.pg.10000.all_rows": 800,
    "tui.pg.100000": 1000,
    "tui.pg.100000.all_rows": 2000,
    "cli.list_json.pg.10000": 800,
    "cli.show_json.pg.10000": 300,
}

_FLOOR_APP = """
from textual.app import App
from textual.widgets import Static
class Floor(App):
    def compose(self):
        yield Static("floor-marker-line")
Floor().run()
"""


@dataclass
class Tree:
    """A syncwatch to measure: this working tree, or a baseline commit's checkout."""

    name: str
    path: Path
    data: Path  # its own databases and data directory
    dbs: dict[int, Path] = field(default_factory=dict)
    ids: dict[int, str] = field(default_factory=dict)
    markers: dict[str, re.Pattern[str]] = field(default_factory=dict)
    #: size -> the status line once every row is in the list ("... of N shown")
    everything: dict[str, re.Pattern[str]] = field(default_factory=dict)
    #: size ("sample" or a count) -> (URL of its PostgreSQL database, an id, its marker)
    pg: dict[str, tuple[str, str, re.Pattern[str]]] = field(default_factory=dict)

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor", **extra)
        env.pop("SYNCWATCH_DB", None)
        env.pop("SYNCWATCH_NOW", None)
        env.pop("NO_COLOR", None)
        if self.name != "new":
            env["PYTHONPATH"] = str(self.path / "src")
        else:
            env.pop("PYTHONPATH", None)
        return env


@dataclass
class Screen:
    """What one start in the pseudo-terminal gave."""

    first_output_s: float
    rows_s: float
    rss_at_rows_mb: float
    rss_peak_mb: float
    #: Every row in the list (the status line counts them all), when asked for.
    all_rows_s: float | None = None


def venv_bin(name: str) -> str:
    return str(ROOT / ".venv" / "bin" / name)


def org_marker(db: Path) -> re.Pattern[str]:
    """A pattern matching any organisation of the database as the list draws it (its first
    14 characters: the list cuts long names, and the start of a name is always drawn)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        names = {row[0][:14] for row in con.execute("SELECT organization FROM integration")}
    finally:
        con.close()
    names = {n for n in names if len(n) >= 4}
    return re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))


def all_rows_marker(count: int) -> re.Pattern[str]:
    """The status line once the list holds all ``count`` integrations: "… of N shown" (N
    counts the rows loaded, deleted ones too; while loading it says "Loading… n of N")."""
    return re.compile(rf" of {count} shown")


def _rss_mb(pid: int, key: str) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


#: Settled: the process used less than this share of one core over a whole window.
SETTLE_CPU_SHARE = 0.05
SETTLE_WINDOW_S = 1.0
#: How long to wait for it to settle before taking the peak anyway.
SETTLE_MAX_S = 90.0


def _cpu_ticks(pid: int) -> int:
    """The process's user + system clock ticks so far (all its threads)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return -1
    return int(fields[11]) + int(fields[12])  # utime, stime


def _settle(pid: int, master: int) -> None:
    """Wait until the app has finished its work after the first rows (the rest of the rows,
    the store opening in the worker, the first evaluation pass): until it uses less than
    :data:`SETTLE_CPU_SHARE` of a core over :data:`SETTLE_WINDOW_S`, draining what it draws
    meanwhile. The peak memory is taken then, so it counts what loads after the first
    screen (quiet output alone came too early: the worker's pass draws nothing)."""
    hz = os.sysconf("SC_CLK_TCK")
    deadline = time.perf_counter() + SETTLE_MAX_S
    before = _cpu_ticks(pid)
    window_end = time.perf_counter() + SETTLE_WINDOW_S
    while time.perf_counter() < deadline:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                if not os.read(master, 1 << 16):
                    return
            except OSError:
                return
        if time.perf_counter() >= window_end:
            ticks = _cpu_ticks(pid)
            if ticks < 0:
                return
            if (ticks - before) / hz < SETTLE_CPU_SHARE * SETTLE_WINDOW_S:
                return
            before, window_end = ticks, time.perf_counter() + SETTLE_WINDOW_S


def run_in_pty(
    cmd: Sequence[str],
    env: dict[str, str],
    marker: re.Pattern[str],
    cwd: Path,
    everything: re.Pattern[str] | None = None,
) -> Screen:
    """Start ``cmd`` on a fresh pseudo-terminal and read its output until ``marker`` shows
    (and ``everything``, when given: the status line counting every row as loaded); then
    until the output is quiet for :data:`QUIET_S`; then stop it."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd), stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
        start_new_session=True, close_fds=True,
    )  # fmt: skip
    os.close(slave)
    first = rows = all_rows = None
    rss_at_rows = float("nan")
    tail = ""
    last_output = time.perf_counter()
    try:
        while True:
            now = time.perf_counter()
            if now - t0 > DEADLINE_S:
                raise RuntimeError(
                    f"no rows on screen after {DEADLINE_S:.0f} s: {' '.join(cmd)}; "
                    f"it last drew: {tail[-200:]!r}"
                )
            waited = rows is not None and (everything is None or all_rows is not None)
            if waited and now - last_output > QUIET_S:
                break
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                if proc.poll() is not None and rows is None:
                    raise RuntimeError(
                        f"exited with {proc.returncode} before rows: {' '.join(cmd)}"
                    )
                continue
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:  # the child closed the terminal
                chunk = b""
            if not chunk:
                if rows is None:
                    raise RuntimeError(f"output ended before rows: {' '.join(cmd)}")
                break
            now = last_output = time.perf_counter()
            if first is None:
                first = now - t0
            text = tail + decoder.decode(chunk)
            if rows is None and marker.search(text):
                rows = now - t0
                rss_at_rows = _rss_mb(proc.pid, "VmRSS")
            if rows is not None and all_rows is None and everything and everything.search(text):
                all_rows = now - t0
            tail = text[-256:]
        _settle(proc.pid, master)
        peak = _rss_mb(proc.pid, "VmHWM")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)
    assert first is not None and rows is not None
    return Screen(first, rows, rss_at_rows, peak, all_rows)


def run_to_exit(cmd: Sequence[str], env: dict[str, str], cwd: Path) -> float:
    """Seconds from start to exit of a command whose output goes to a pipe."""
    t0 = time.perf_counter()
    done = subprocess.run(list(cmd), env=env, cwd=cwd, capture_output=True)
    took = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr[-2000:]!r}")
    return took


# ------------------------------------------------------------------------------ building


def build(tree: Tree, n: int) -> None:
    """The tree's own code builds an ``n``-integration database (in a child process)."""
    db = tree.data / f"db-{n}.sqlite"
    if not db.exists():
        progress(f"{tree.name}: building {n:,} integrations")
        subprocess.run(
            [sys.executable, str(HERE / "startup.py"), "--child-build", str(n), "--db", str(db)],
            env=tree.env(), cwd=tree.path, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        (tree.ids[n],) = con.execute(
            "SELECT id FROM integration WHERE deleted_at IS NULL ORDER BY id LIMIT 1"
        ).fetchone()
        (count,) = con.execute("SELECT count(*) FROM integration").fetchone()
    finally:
        con.close()
    tree.everything[str(n)] = all_rows_marker(count)
    tree.dbs[n] = db
    tree.markers[str(n)] = org_marker(db)


def child_build(n: int, db: str) -> None:
    from tui import build_db  # benchmarks/tui.py: the same data as the UI benchmark

    build_db(Path(db), n)


def prepare_sample(tree: Tree) -> float:
    """The newcomer's first start: creates the default database with the sample. Returns
    its time to rows (the marker is the sample's organisations, read from the bundled file)."""
    import json

    sample = tree.path / "sample_data" / "integrations.json"
    orgs = {i["organization"][:14] for i in json.loads(sample.read_text())["integrations"]}
    tree.markers["sample"] = re.compile("|".join(re.escape(o) for o in orgs if len(o) >= 4))
    xdg = tree.data / "xdg"
    shutil.rmtree(xdg, ignore_errors=True)
    xdg.mkdir()
    screen = run_in_pty(
        [venv_bin("syncwatch")], tree.env(XDG_DATA_HOME=str(xdg)), tree.markers["sample"], tree.path
    )
    return screen.rows_s


# ------------------------------------------------------------------------------ PostgreSQL


class PgSide:
    """The PostgreSQL server the ``*.pg.*`` cases run on: given, or started here."""

    def __init__(self, spec: str) -> None:
        self.server: Any = None
        if spec == "start":
            sys.path.insert(0, str(ROOT / "tests"))
            from pg_support import PgServer

            progress("starting a throwaway PostgreSQL server")
            self.server = PgServer.start()
            spec = self.server.url("postgres")
        self.admin_url = spec
        self.made: list[str] = []

    def _admin(self, sql: str) -> None:
        import psycopg

        from syncwatch.pgread import connect_args

        args = connect_args(self.admin_url)
        if args is None:
            raise SystemExit(f"--postgres: not a postgresql+psycopg URL: {self.admin_url}")
        with psycopg.connect(autocommit=True, **args) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def fresh(self, name: str) -> str:
        """A fresh database ``name``; returns its URL."""
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        head, _, _ = self.admin_url.rpartition("/")
        return f"{head}/{name}"

    def close(self) -> None:
        for name in self.made:
            with contextlib.suppress(Exception):
                self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if self.server is not None:
            self.server.stop()


def build_pg(tree: Tree, pg: PgSide, size: str) -> None:
    """The tree's own code fills a fresh PostgreSQL database for ``size``."""
    url = pg.fresh(f"swbench_{tree.name}_{size}")
    progress(f"{tree.name}: building {size} on PostgreSQL")
    subprocess.run(
        [sys.executable, str(HERE / "startup.py"), "--child-build-pg", size, "--db", url],
        env=tree.env(), cwd=tree.path, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    import psycopg

    from syncwatch.pgread import connect_args

    with psycopg.connect(**(connect_args(url) or {})) as conn:
        orgs = {r[0][:14] for r in conn.execute("SELECT organization FROM integration")}
        row = conn.execute(
            "SELECT id FROM integration WHERE deleted_at IS NULL ORDER BY id LIMIT 1"
        ).fetchone()
        counted = conn.execute("SELECT count(*) FROM integration").fetchone()
    assert row is not None and counted is not None
    tree.everything[f"pg.{size}"] = all_rows_marker(counted[0])
    names = sorted((o for o in orgs if len(o) >= 4), key=len, reverse=True)
    tree.pg[size] = (url, row[0], re.compile("|".join(re.escape(o) for o in names)))


def child_build_pg(size: str, url: str) -> None:
    if size == "sample":
        from datetime import UTC, datetime

        from syncwatch.db import Store
        from syncwatch.importer import load_sample

        store = Store.open(url)
        load_sample(store, datetime.fromisoformat(NOW_TEXT).astimezone(UTC))
        store.close()
        return
    from tui import build_db

    build_db(url, int(size))  # type: ignore[arg-type]  # Store.open takes a URL too


# ------------------------------------------------------------------------------ the cases


def cases(tree: Tree, sizes: Sequence[str]) -> dict[str, Any]:
    """name -> a function returning figures (seconds, MB) for one start of ``tree``."""
    out: dict[str, Any] = {}
    sw = venv_bin("syncwatch")
    xdg = {"XDG_DATA_HOME": str(tree.data / "xdg")}
    for size in sizes:
        if size == "sample":
            marker = tree.markers["sample"]
            out["tui.sample.venv"] = lambda m=marker: run_in_pty(
                [sw], tree.env(**xdg), m, tree.path
            )
            out["tui.sample.uv_run"] = lambda m=marker: run_in_pty(
                ["uv", "run", "--project", str(ROOT), "syncwatch"], tree.env(**xdg), m, tree.path
            )
            continue
        n = int(size)
        db, marker = str(tree.dbs[n]), tree.markers[str(n)]
        base = [sw, "--db", db, "--now", NOW_TEXT]
        if n >= 1000:
            out[f"tui.{n}"] = lambda b=base, m=marker, e=tree.everything[str(n)]: run_in_pty(
                b, tree.env(), m, tree.path, e
            )
        out[f"cli.list_json.{n}"] = lambda b=base: run_to_exit(
            [*b, "list", "--json"], tree.env(), tree.path
        )
        if n >= 1000:
            out[f"cli.show_json.{n}"] = lambda b=base, i=tree.ids[n]: run_to_exit(
                [*b, "show", i, "--json"], tree.env(), tree.path
            )
    for size, (url, iid, marker) in tree.pg.items():
        base = [sw, "--db", url, "--now", NOW_TEXT]
        everything = tree.everything[f"pg.{size}"] if size != "sample" else None
        out[f"tui.pg.{size}"] = lambda b=base, m=marker, e=everything: run_in_pty(
            b, tree.env(), m, tree.path, e
        )
        out[f"cli.list_json.pg.{size}"] = lambda b=base: run_to_exit(
            [*b, "list", "--json"], tree.env(), tree.path
        )
        out[f"cli.show_json.pg.{size}"] = lambda b=base, i=iid: run_to_exit(
            [*b, "show", i, "--json"], tree.env(), tree.path
        )
    out["cli.help"] = lambda: run_to_exit([sw, "--help"], tree.env(), tree.path)
    return out


def floors() -> dict[str, Any]:
    py = venv_bin("python")
    env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
    marker = re.compile("floor-marker-line")
    return {
        "floor.python": lambda: run_to_exit([py, "-c", "pass"], env, ROOT),
        "floor.import_textual_app": lambda: run_to_exit(
            [py, "-c", "import textual.app"], env, ROOT
        ),
        "floor.textual_app_on_screen": lambda: run_in_pty(
            [py, "-c", _FLOOR_APP], env, marker, ROOT
        ),
    }


def figures_of(result: Any, name: str) -> dict[str, float]:
    if isinstance(result, Screen) and name.endswith("uv_run"):
        # The process measured is uv's, not syncwatch's: its memory says nothing.
        return {"ms": result.rows_s * 1000, "first_output_ms": result.first_output_s * 1000}
    if isinstance(result, Screen):
        out = {
            "ms": result.rows_s * 1000,
            "first_output_ms": result.first_output_s * 1000,
            "rss_at_rows_mb": result.rss_at_rows_mb,
            "rss_peak_mb": result.rss_peak_mb,
        }
        if result.all_rows_s is not None:
            out["all_rows_ms"] = result.all_rows_s * 1000
        return out
    return {"ms": float(result) * 1000}


def split_all_rows(runs: dict[str, list[dict[str, float]]]) -> None:
    """A start's time to every row becomes a case of its own (``tui.N.all_rows``), with
    its own target, next to the first screen's (``tui.N``)."""
    split: dict[str, list[dict[str, float]]] = {}
    for name, starts in runs.items():
        split[name] = starts
        if "all_rows_ms" in starts[0]:
            split[f"{name}.all_rows"] = [{"ms": r.pop("all_rows_ms")} for r in starts]
    runs.clear()
    runs.update(split)


def summarise(runs: list[dict[str, float]]) -> dict[str, Any]:
    keys = runs[0].keys()
    out: dict[str, Any] = {
        f"median_{k}": round(statistics.median(r[k] for r in runs), 1) for k in keys
    }
    out["runs_ms"] = [round(r["ms"], 1) for r in runs]
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--sizes", default="sample,100,10000,100000", help="sample and/or integration counts"
    )
    p.add_argument("--rounds", type=int, default=5, help="starts of each case and side (default 5)")
    p.add_argument("--baseline", help="a commit to compare with, in the same run (e.g. HEAD~1)")
    p.add_argument("--keep", help="build the databases here and keep them (reused next time)")
    p.add_argument(
        "--postgres",
        metavar="URL|start",
        help="the same starts on PostgreSQL: a server's URL, or start a throwaway one",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--child-build", type=int, help=argparse.SUPPRESS)
    p.add_argument("--child-build-pg", help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    ns = p.parse_args(argv)
    if ns.rounds < 1:
        p.error("--rounds must be at least 1")
    return ns


def main(argv: list[str] | None = None) -> int:
    ns = parse_args(argv)
    if ns.child_build:
        child_build(ns.child_build, ns.db)
        return 0
    if ns.child_build_pg:
        child_build_pg(ns.child_build_pg, ns.db)
        return 0
    sizes = [s.strip() for s in ns.sizes.split(",") if s.strip()]
    work = Path(ns.keep) if ns.keep else Path(tempfile.mkdtemp(prefix="syncwatch-startup-"))
    work.mkdir(parents=True, exist_ok=True)
    trees = [Tree("new", ROOT, work / "new")]
    base_checkout = None
    if ns.baseline:
        base_checkout = work / "baseline-tree"
        shutil.rmtree(base_checkout, ignore_errors=True)
        subprocess.run(
            [
                "git",
                "-C",
                str(ROOT),
                "worktree",
                "add",
                "--detach",
                "-q",
                str(base_checkout),
                ns.baseline,
            ],
            check=True,
        )
        trees.append(Tree("baseline", base_checkout, work / "baseline"))
    pg = None
    try:
        if ns.postgres:
            pg = PgSide(ns.postgres)
        first_start: dict[str, float] = {}
        for tree in trees:
            tree.data.mkdir(parents=True, exist_ok=True)
            for size in sizes:
                if size != "sample":
                    build(tree, int(size))
            if "sample" in sizes:
                first_start[tree.name] = prepare_sample(tree) * 1000
            if pg is not None:
                for size in sizes:
                    build_pg(tree, pg, size)
        plan = {t.name: cases(t, sizes) for t in trees}
        plan["floor"] = floors()
        runs: dict[str, dict[str, list[dict[str, float]]]] = {side: {} for side in plan}
        for i in range(ns.rounds):
            order = list(plan) if i % 2 == 0 else list(reversed(plan))
            for side in order:
                for name, fn in plan[side].items():
                    progress(f"round {i + 1}/{ns.rounds}: {side} {name}")
                    runs[side].setdefault(name, []).append(figures_of(fn(), name))
    finally:
        if pg is not None:
            pg.close()
        if base_checkout is not None:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_checkout)],
                check=False,
            )
        if not ns.keep:
            shutil.rmtree(work, ignore_errors=True)
    for side_runs in runs.values():
        split_all_rows(side_runs)
    result: dict[str, Any] = {
        "rounds": ns.rounds,
        "baseline": ns.baseline,
        "terminal": f"{COLS}x{ROWS}",
        "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "first_start_ms": {k: round(v, 1) for k, v in first_start.items()},
        "cases": {},
    }
    for name in runs["new"]:
        entry: dict[str, Any] = {
            "new": summarise(runs["new"][name]),
            "target_ms": TARGETS_MS.get(name),
        }
        if "baseline" in runs and name in runs["baseline"]:
            entry["baseline"] = summarise(runs["baseline"][name])
            entry["ratio"] = round(entry["new"]["median_ms"] / entry["baseline"]["median_ms"], 3)
        result["cases"][name] = entry
    result["floors"] = {name: summarise(r) for name, r in runs["floor"].items()}
    if ns.json:
        dump_json(result)
        return 0
    headers = ["case", "new ms", "target", "peak MB"]
    if ns.baseline:
        headers += ["baseline ms", "ratio"]
    table = []
    for name, e in result["cases"].items():
        row: list[Any] = [
            name,
            e["new"]["median_ms"],
            e["target_ms"] or "-",
            e["new"].get("median_rss_peak_mb", "-"),
        ]
        if ns.baseline:
            row += [e.get("baseline", {}).get("median_ms", "-"), e.get("ratio", "-")]
        table.append(row)
    for name, e in result["floors"].items():
        table.append(
            [
                name,
                e["median_ms"],
                "-",
                e.get("median_rss_peak_mb", "-"),
                *(["-", "-"] if ns.baseline else []),
            ]
        )
    print(f"start-up, medians of {ns.rounds} alternated runs, {COLS}x{ROWS} pseudo-terminal")
    print_table(headers, table)
    if first_start:
        print("first start (creates the database, imports the sample): "
              + ", ".join(f"{k} {v:,.0f} ms" for k, v in first_start.items()))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
