"""Hostile data on every surface, checked in a real terminal (tmux).

Builds a database whose organisations, tools, reasons, log lines, log URLs and Kombo issue
titles carry Rich markup, terminal escape sequences, CR, BEL, bidi overrides, zero-width
characters and a 1 MB log message; then

- starts ``syncwatch --db <that file>`` in a detached tmux session of 160x45 (once as is,
  once with ``NO_COLOR=1``), moves over every row and opens its drill-down with
  ``send-keys``, and checks with ``capture-pane`` that the title line, the summary, the
  list's header and the footer stay intact (no wiped screen), that the hostile text shows
  literally, and that the app quits with exit code 0;
- runs ``list``, ``show`` and ``logs`` for those integrations and checks that the output
  has no ESC byte and shows the markup literally.

Waiting for the screen is polling ``capture-pane`` for an expected string, under a generous
overall limit (waiting on an event: no timing is asserted). Needs tmux on PATH.

Usage: ``uv run python scripts/hostile_check.py [--keep DIR] [-v]``; exits 0 when every
check passed, 1 otherwise (each failure printed on its own line).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

#: The clock every command runs at (``--now``): the screen does not tick.
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WIDTH, HEIGHT = 160, 45
#: The overall limit for one expected screen (generous: a loaded CI machine is slow).
WAIT_LIMIT = 90.0

ESC = "\x1b"
WIPE = f"{ESC}[2J{ESC}[H"
MARKUP_LINK = "[bold red]x[/bold red] [link=https://evil.example]login[/link]"
MARKUP_CLOSE = "Acme [/]"
HUGE_MESSAGE = "HUGE " + "A long line of a stack trace, again and again. " * 22_000  # ~1 MB


@dataclass(frozen=True)
class Hostile:
    """One integration of the hostile database and what must show literally for it."""

    id: str
    organization: str
    tool: str
    #: Text the list row must show (visible forms of the hostile parts).
    in_list: tuple[str, ...]
    #: Text its drill-down must show (title, facts, Kombo's issues, the log as the UI
    #: draws it: line breaks as spaces).
    in_detail: tuple[str, ...] = ()
    #: Text ``logs`` must print (line breaks as ␤).
    in_logs: tuple[str, ...] = ()
    log_message: str = "an ordinary line"
    log_field: str | None = None
    log_url: str | None = None
    #: How the drill-down shows that URL (its Kombo sync selected).
    url_shown: str | None = None
    issue_title: str | None = None


HOSTILE: tuple[Hostile, ...] = (
    Hostile(
        id="hostile:close",
        organization=MARKUP_CLOSE,
        tool="workday",
        in_list=(MARKUP_CLOSE,),
        in_detail=(MARKUP_CLOSE, "[/] closed nothing [/bold]  [[/]]"),
        in_logs=("[/] closed nothing [/bold]  [[/]]",),
        log_message="[/] closed nothing [/bold]",
        log_field="[/]",
    ),
    Hostile(
        id="hostile:link",
        organization=MARKUP_LINK,
        tool="[blink]personio[/blink]",
        in_list=("[bold red]x[/bold red]", "[blink]person"),
        in_detail=(
            "[bold red]x[/bold red]",
            "[link=https://evil.example]login[/link]",
        ),
        in_logs=(f"{MARKUP_LINK} reported", "[[link=https://evil.example]employee.email[/link]]"),
        log_message=f"{MARKUP_LINK} reported by the tool",
        log_field="[link=https://evil.example]employee.email[/link]",
        log_url="https://evil.example/logs/[link=x]",
        url_shown="Kombo log https://evil.example/logs/[link=x]  (u copies it)",
        issue_title=f"Issue {MARKUP_LINK}",
    ),
    Hostile(
        id="hostile:escape",
        organization=f"Evil {WIPE} Corp",
        tool=f"bamboo{ESC}[31mhr",
        in_list=("Evil ␛[2J␛[H Corp", "bamboo␛[31mhr"),
        in_detail=("Evil ␛[2J␛[H Corp", "wiped ␛[2J␛[H the screen", "Title ␛[2J␛[H of an"),
        in_logs=("wiped ␛[2J␛[H the screen␛]8;;https://evil.example␛\\link", "[field␛[2J␛[H]"),
        log_message=f"wiped {WIPE} the screen{ESC}]8;;https://evil.example{ESC}\\link",
        log_field=f"field{WIPE}",
        log_url=f"https://app.kombo.dev/logs/{ESC}[2J",
        url_shown="Kombo log https://app.kombo.dev/logs/␛[2J  (u copies it)",
        issue_title=f"Title {WIPE} of an issue",
    ),
    Hostile(
        id="hostile:crbel",
        organization="Good Corp\rEvil\x07",
        tool="greenhouse",
        in_list=("Good Corp␍Evil␇",),
        in_detail=("Good Corp␍Evil␇", "carriage␍return and bell␇"),
        in_logs=("carriage␍return and bell␇",),
        log_message="carriage\rreturn and bell\x07",
        log_url="javascript:alert(1)",
        url_shown="Kombo log javascript:alert(1)  (u copies it)",
    ),
    Hostile(
        id="hostile:bidi",
        organization="\u202eHbmG emcA",
        tool="Ac\u200bme\u2066tool\u2069",
        in_list=("<U+202E>HbmG emcA", "Ac<U+200B>me"),
        in_detail=("<U+202E>HbmG emcA", "line separator paragraph <U+202E>esrever"),
        in_logs=("line␤separator␤paragraph <U+202E>esrever",),
        log_message="line\u2028separator\u2029paragraph \u202eesrever",
        log_url="https://app.kombo.dev/env/production/logs/C3xUo6XAsB2sbKC7M1gyXaRX",
        url_shown="Kombo log https://app.kombo.dev/env/production/logs/C3xUo6XAsB2sbKC7M1gyXaRX",
    ),
    Hostile(
        id="hostile:huge",
        organization="Huge Log GmbH",
        tool="bamboohr",
        in_list=("Huge Log GmbH",),
        in_detail=("Huge Log GmbH", "HUGE A long line"),
        in_logs=("HUGE A long line",),
        log_message=HUGE_MESSAGE,
    ),
)


# --------------------------------------------------------------------------- the database


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _import_doc() -> dict[str, Any]:
    integrations = []
    for i, h in enumerate(HOSTILE):
        start = NOW - timedelta(hours=2, minutes=i)
        log: dict[str, Any] = {
            "at": _iso(start + timedelta(minutes=1)),
            "level": "ERROR",
            "message": h.log_message,
        }
        if h.log_field is not None:
            log["field"] = h.log_field
        integrations.append(
            {
                "id": h.id,
                "tool": h.tool,
                "category": "HRIS",
                "organization": h.organization,
                "created_at": _iso(NOW - timedelta(days=30)),
                "filters_configured": True,
                "qa_status": "PASSED",
                "syncs": [
                    {
                        "id": f"{h.id.split(':')[1]}-ok",
                        "state": "SUCCEEDED",
                        "started_at": _iso(start - timedelta(hours=6)),
                        "ended_at": _iso(start - timedelta(hours=5, minutes=30)),
                    },
                    {
                        "id": f"{h.id.split(':')[1]}-failed",
                        "state": "FAILED",
                        "started_at": _iso(start),
                        "ended_at": _iso(start + timedelta(minutes=5)),
                        "logs": [
                            log,
                            {
                                "at": _iso(start + timedelta(minutes=2)),
                                "level": "WARNING",
                                "message": f"{h.organization} warned",
                            },
                        ],
                    },
                ],
            }
        )
    return {"integrations": integrations}


def _kombo_events() -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for i, h in enumerate(HOSTILE):
        ref = {"organization_name": h.organization, "creator_email": None, "origin_id": None}
        start = NOW - timedelta(hours=4, minutes=i)  # before the failing sync
        if h.log_url is not None:
            events.append(
                {
                    "id": f"evt-sync-{i}",
                    "type": "sync-finished",
                    "data": {
                        "sync_id": f"{h.id.split(':')[1]}-kombo",
                        "sync_state": "FAILED",
                        "sync_started_at": _iso(start),
                        "sync_ended_at": _iso(start + timedelta(minutes=3)),
                        "integration_id": h.id,
                        "integration_tool": h.tool,
                        "integration_category": "HRIS",
                        "end_user": ref,
                        "log_url": h.log_url,
                    },
                }
            )
        if h.issue_title is not None:
            events.append(
                {
                    "id": f"evt-issue-{i}",
                    "type": "issue-status-changed",
                    "data": {
                        "change": "raised",
                        "issue": {
                            "id": f"issue-{i}",
                            "type": f"integration.{h.tool}",
                            "title": h.issue_title,
                            "status": "OPEN",
                            "markdown_message": f"**{h.organization}** {WIPE}\nsecond line",
                            "first_observed_at": _iso(start),
                            "resolved_at": None,
                        },
                        "integration": {
                            "id": h.id,
                            "tool": h.tool,
                            "category": "HRIS",
                            "end_user": ref,
                        },
                    },
                }
            )
    return events


def build_database(path: Path) -> None:
    """The hostile database at ``path`` (SQLite), through the importer and the public
    Kombo receiving API, evaluated at :data:`NOW`."""
    from syncwatch.db import Store
    from syncwatch.importer import import_files
    from syncwatch.kombo.apply import receive_event
    from syncwatch.kombo.events import parse_event

    source = path.with_suffix(".import.json")
    source.write_text(json.dumps(_import_doc()), encoding="utf-8")
    store = Store.open(path)
    try:
        import_files(store, [str(source)], NOW)
        for doc in _kombo_events():
            body = json.dumps(doc)
            receive_event(store, parse_event(body.encode()), body, NOW - timedelta(minutes=30))
        store.evaluate_pass(NOW)
    finally:
        store.close()
    source.unlink()


# --------------------------------------------------------------------------- checks


@dataclass
class Report:
    """What passed and what failed."""

    verbose: bool = False
    failures: list[str] = field(default_factory=list)
    passed: int = 0

    def check(self, ok: bool, what: str, evidence: str = "") -> bool:
        if ok:
            self.passed += 1
            if self.verbose:
                print(f"ok    {what}")
        else:
            self.failures.append(what)
            print(f"FAIL  {what}")
            if evidence:
                print("      " + evidence.replace("\n", "\n      "))
        return ok


def syncwatch_command() -> list[str]:
    """How to start this environment's syncwatch (the venv's script, else ``-m``)."""
    script = Path(sys.executable).with_name("syncwatch")
    return [str(script)] if script.exists() else [sys.executable, "-m", "syncwatch"]


def run_cli(db: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """One command against the hostile database, its output as bytes."""
    env = {**os.environ, "COLUMNS": str(WIDTH)}
    env.pop("NO_COLOR", None)
    return subprocess.run(
        [*syncwatch_command(), "--db", str(db), "--now", _iso(NOW), *args],
        capture_output=True,
        env=env,
        check=False,
    )


def check_cli(db: Path, report: Report) -> None:
    """``list``, ``show`` and ``logs`` print the hostile text literally, with no ESC byte."""
    runs: list[tuple[str, subprocess.CompletedProcess[bytes], tuple[str, ...]]] = []
    runs.append(("list", run_cli(db, "list"), (MARKUP_CLOSE, "Evil ␛[2J␛[H Corp")))
    for h in HOSTILE:
        runs.append((f"show {h.id}", run_cli(db, "show", h.id), h.in_list))
        runs.append((f"logs {h.id}", run_cli(db, "logs", h.id), h.in_logs))
    for name, done, expected in runs:
        out = done.stdout.decode("utf-8", "replace")
        err = done.stderr.decode("utf-8", "replace")
        report.check(
            done.returncode == 0 and "Traceback" not in err,
            f"cli {name}: exits 0 without a traceback",
            f"exit {done.returncode}: {err[-2000:]}",
        )
        report.check(
            b"\x1b" not in done.stdout and b"\x1b" not in done.stderr,
            f"cli {name}: no ESC byte in the output",
            repr(out[out.find(ESC) - 40 : out.find(ESC) + 40]) if ESC in out else "in stderr",
        )
        for raw in (b"\r", b"\x07", "\u202e".encode(), "\u200b".encode()):
            report.check(raw not in done.stdout, f"cli {name}: no raw {raw!r} in the output")
        for text in expected:
            report.check(text in out, f"cli {name}: shows {text!r} literally", out[:3000])


# --------------------------------------------------------------------------- tmux


class Tmux:
    """A private tmux server (its own socket) holding one session of WIDTH x HEIGHT."""

    def __init__(self, name: str) -> None:
        self.socket = f"syncwatch-hostile-{os.getpid()}-{name}"
        self.target = "hostile"

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def start(self, command: list[str], env: dict[str, str]) -> None:
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        # The shell reports the exit code and keeps the pane open to be read. COLUMNS and
        # LINES (a test runner may set them) would override the pane's real size.
        shell = (
            f"env -u COLUMNS -u LINES {exports} {shlex.join(command)}; "
            'echo "syncwatch exited with $?"; exec cat >/dev/null'
        )
        self.tmux(
            "new-session", "-d", "-s", self.target, "-x", str(WIDTH), "-y", str(HEIGHT), shell
        )

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.target)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.target, *keys)

    def wait_for(self, ready: Callable[[str], bool]) -> tuple[bool, str]:
        """Poll the screen until ``ready`` holds (or :data:`WAIT_LIMIT` passes)."""
        deadline = time.monotonic() + WAIT_LIMIT
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if ready(screen):
                return True, screen
            time.sleep(0.1)
        return False, screen

    def wait_for_text(self, *texts: str) -> tuple[bool, str]:
        """Poll the screen until it shows every one of ``texts``."""
        return self.wait_for(lambda screen: all(t in screen for t in texts))

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, check=False)


@contextmanager
def tmux_session(name: str, command: list[str], env: dict[str, str]) -> Iterator[Tmux]:
    session = Tmux(name)
    session.start(command, env)
    try:
        yield session
    finally:
        session.kill()


def intact(screen: str) -> list[str]:
    """What is wrong with the frame around the content (empty: intact)."""
    lines = screen.splitlines()
    problems = []
    if not lines or "syncwatch" not in lines[0]:
        problems.append("the title line (syncwatch) is not on the first line")
    if "Traceback" in screen:
        problems.append("a traceback is on screen")
    if not lines or "quit" not in lines[-1].lower():
        problems.append("the footer (keys, with ^q Quit) is not on the last line")
    return problems


def list_intact(screen: str) -> list[str]:
    problems = intact(screen)
    lines = screen.splitlines()
    if len(lines) < 3 or "Failing" not in lines[1] or "shown" not in lines[2]:
        problems.append("the summary (state counts, … shown) is not on lines 2 and 3")
    if "Organisation" not in screen:
        problems.append("the list's header (Organisation) is missing")
    return problems


def check_tui(db: Path, report: Report, *, no_color: bool) -> None:
    """Start the UI, move over every hostile row, open each drill-down, quit."""
    mode = "NO_COLOR=1" if no_color else "colour"
    env = {"TERM": "xterm-256color", "COLORTERM": "truecolor"}
    if no_color:
        env["NO_COLOR"] = "1"
    command = [*syncwatch_command(), "--db", str(db), "--now", _iso(NOW)]
    with tmux_session("nocolor" if no_color else "colour", command, env) as tmux:
        started, screen = tmux.wait_for_text("hostile:", "shown")
        if not report.check(started, f"tui {mode}: starts and lists the rows", screen):
            return
        problems = list_intact(screen)
        report.check(not problems, f"tui {mode}: the list screen is intact", "; ".join(problems))
        for h in HOSTILE:
            for text in h.in_list:
                report.check(text in screen, f"tui {mode}: the list shows {text!r}", screen)
        by_id = {h.id: h for h in HOSTILE}
        seen: list[str] = []
        tmux.keys("Home")
        for step in range(len(HOSTILE)):
            # Down to the next row: the preview beside the list follows the cursor.
            if step:
                tmux.keys("Down")
            moved, screen = tmux.wait_for(
                lambda s: (_previewed(s) or "") in by_id and _previewed(s) not in seen
            )
            if not report.check(moved, f"tui {mode}: the cursor reaches row {step + 1}", screen):
                break
            h = by_id[_previewed(screen) or ""]
            seen.append(h.id)
            problems = list_intact(screen)
            report.check(not problems, f"tui {mode}: intact on {h.id}", "; ".join(problems))
            tmux.keys("Enter")
            # Open once its failed sync's log is loaded (the sync selected on opening).
            opened, screen = tmux.wait_for_text(
                f"Log of {h.id.split(':')[1]}-failed", "2 of 2 entries"
            )
            report.check(opened, f"tui {mode}: the drill-down of {h.id} opens", screen)
            problems = intact(screen)
            report.check(
                not problems, f"tui {mode}: drill-down of {h.id} intact", "; ".join(problems)
            )
            for text in h.in_detail:
                report.check(
                    text in screen, f"tui {mode}: the drill-down of {h.id} shows {text!r}", screen
                )
            if h.url_shown is not None:
                # The Kombo sync, one below the failed one (newest first): its log URL.
                tmux.keys("Down")
                shown, screen = tmux.wait_for_text(f"Log of {h.id.split(':')[1]}-kombo")
                report.check(
                    shown and h.url_shown in screen,
                    f"tui {mode}: the drill-down of {h.id} shows {h.url_shown!r}",
                    screen,
                )
                problems = intact(screen)
                report.check(
                    not problems, f"tui {mode}: {h.id}'s Kombo sync intact", "; ".join(problems)
                )
            tmux.keys("Escape")
            back, screen = tmux.wait_for_text("Organisation", "shown")
            report.check(back, f"tui {mode}: back to the list from {h.id}", screen)
        tmux.keys("C-q")
        quit_ok, screen = tmux.wait_for_text("syncwatch exited with")
        report.check(
            quit_ok and "syncwatch exited with 0" in screen,
            f"tui {mode}: quits with exit code 0",
            screen,
        )


_PREVIEW_ID = re.compile(r"▏ (hostile:\w+)  ·")


def _previewed(screen: str) -> str | None:
    """The id the preview (beside the list at 160 columns) shows: the cursor's row."""
    found = _PREVIEW_ID.search(screen)
    return found.group(1) if found else None


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="build the database in this directory, keep it")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every check")
    parser.add_argument("--skip-tui", action="store_true", help="only the command line")
    args = parser.parse_args(argv)
    if not args.skip_tui and shutil.which("tmux") is None:
        print("tmux not found on PATH", file=sys.stderr)
        return 2
    report = Report(verbose=args.verbose)
    with tempfile.TemporaryDirectory(prefix="syncwatch-hostile-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        db = folder / "hostile.db"
        db.unlink(missing_ok=True)
        build_database(db)
        check_cli(db, report)
        if not args.skip_tui:
            check_tui(db, report, no_color=False)
            check_tui(db, report, no_color=True)
    print(f"{report.passed} checks passed, {len(report.failures)} failed")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
