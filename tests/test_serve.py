"""``syncwatch serve`` (issue 16): its limits and its refusals, without a browser.

The server runs in a process of its own (:class:`serve_support.ServeProcess`) and is spoken
to as the page's script speaks to it: a websocket per visitor (aiohttp's client). A visitor
over ``--max-visitors`` is told to come back later (the page: HTTP 503; a websocket: the
message, then closed with "try again later"); a demo visitor's temporary database exists
while the session lasts and is gone when it ends (the tab closed, the session idle, the
server stopped or killed outright). The browser itself is in ``test_serve_browser.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from serve_support import ServeProcess, wait_for_exit
from syncwatch.cli import main
from syncwatch.cli.demo import SCENARIOS
from syncwatch.demo.scenarios import SCENARIOS as DEMO_SCENARIOS
from syncwatch.serve.server import remove_abandoned_roots, startup_lines
from syncwatch.serve.visitors import ServeOptions, Visitors, is_loopback, visitor_command
from syncwatch.tui.browser import SERVED_READ_ONLY, copied_notice
from syncwatch.tui.gate import ActionGate

#: What the visitor's app draws once its list is on screen (every scenario starts healthy).
DRAWN = b"Active"


@pytest.fixture
def serve_factory(tmp_path: Path) -> Iterator[list[ServeProcess]]:
    started: list[ServeProcess] = []
    yield started
    for server in started:
        server.close()


def start(started: list[ServeProcess], home: Path, *args: str) -> ServeProcess:
    server = ServeProcess(args, home=home)
    started.append(server)
    server.wait_ready()
    return server


@asynccontextmanager
async def visitor(server: ServeProcess) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    """A browser's session, as the page opens it (its terminal 120 x 40)."""
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{server.url}/ws?width=120&height=40") as websocket,
    ):
        yield websocket


async def first_screen(websocket: aiohttp.ClientWebSocketResponse) -> bytes:
    """What the visitor's process writes until its header is drawn."""
    seen = b""
    async for message in websocket:
        if message.type == aiohttp.WSMsgType.BINARY:
            seen += message.data
            if DRAWN in seen:
                return seen
    raise AssertionError(f"the session closed before anything was drawn: {seen[-500:]!r}")


async def closed(websocket: aiohttp.ClientWebSocketResponse) -> bytes:
    """Everything written until the server closes the session."""
    seen = b""
    async for message in websocket:
        if message.type == aiohttp.WSMsgType.BINARY:
            seen += message.data
    return seen


# --------------------------------------------------------------------------- the limits


async def test_a_visitor_over_the_limit_is_told_to_come_back_later(
    serve_factory: list[ServeProcess], tmp_path: Path
) -> None:
    server = start(serve_factory, tmp_path, "--demo", "--max-visitors", "1")
    async with aiohttp.ClientSession() as http:
        async with http.get(server.url) as page:
            assert page.status == 200
            assert "<title>syncwatch demo (tour) · read-only</title>" in await page.text()
        async with visitor(server) as first:
            await first_screen(first)
            server.wait_for_line(r"visitor 1 connected")
            # The page says so plainly...
            async with http.get(server.url) as page:
                assert page.status == 503
                assert "Retry-After" in page.headers
                text = await page.text()
            assert "syncwatch is busy: 1 visitor is connected" in text
            assert "try again" in text
            # ... and a websocket that comes anyway is told, then closed "try again later".
            async with visitor(server) as second:
                said = await closed(second)
                assert second.close_code == aiohttp.WSCloseCode.TRY_AGAIN_LATER
            assert b"syncwatch is busy" in said
            assert len(server.demo_databases()) == 1, "the refused visitor got no database"
        server.wait_for_line(r"visitor 1 left")
        async with http.get(server.url) as page:
            assert page.status == 200


async def test_a_demo_visitors_database_lasts_as_long_as_the_session(
    serve_factory: list[ServeProcess], tmp_path: Path
) -> None:
    server = start(serve_factory, tmp_path, "--demo", "--scenario", "incident")
    async with visitor(server) as websocket:
        await first_screen(websocket)
        databases = server.demo_databases()
        assert len(databases) == 1 and databases[0].stat().st_size > 0
        [pid] = server.visitor_pids()
    # The tab is closed (the websocket with it): the process ends, its database goes.
    server.wait_for_line(r"visitor 1 left")
    assert wait_for_exit(pid, timeout=30)
    assert server.demo_databases() == []
    assert [list(root.iterdir()) for root in server.roots()] == [[]]


async def test_two_demo_visitors_get_two_databases(
    serve_factory: list[ServeProcess], tmp_path: Path
) -> None:
    server = start(serve_factory, tmp_path, "--demo")
    async with visitor(server) as one, visitor(server) as two:
        await first_screen(one)
        await first_screen(two)
        assert len(server.demo_databases()) == 2
    server.wait_for_line(r"left \(0 now\)")
    assert server.demo_databases() == []


async def test_an_idle_session_is_closed_and_its_database_removed(
    serve_factory: list[ServeProcess], tmp_path: Path
) -> None:
    server = start(serve_factory, tmp_path, "--demo", "--idle-timeout", "2")
    async with visitor(server) as websocket:
        said = await closed(websocket)
        assert websocket.close_code == aiohttp.WSCloseCode.GOING_AWAY
    assert b"after 2 seconds without input" in said
    server.wait_for_line(r"visitor 1 left")
    assert server.demo_databases() == []


async def test_stopping_serve_ends_every_session_and_removes_every_folder(
    serve_factory: list[ServeProcess], tmp_path: Path
) -> None:
    server = start(serve_factory, tmp_path, "--demo")
    async with visitor(server) as websocket:
        await first_screen(websocket)
        [pid] = server.visitor_pids()
        assert server.stop(signal.SIGTERM) == 0
        await closed(websocket)
    assert wait_for_exit(pid, timeout=30)
    assert server.roots() == []


async def test_a_killed_serve_leaves_no_process_and_no_database(
    serve_factory: list[ServeProcess], tmp_path: Path
) -> None:
    server = start(serve_factory, tmp_path, "--demo")
    async with visitor(server) as websocket:
        await first_screen(websocket)
        [pid] = server.visitor_pids()
        server.stop(signal.SIGKILL)
    # The visitor's process sees its server gone, quits, and removes its database.
    assert wait_for_exit(pid, timeout=30)
    assert server.demo_databases() == []
    # The next serve removes the (empty) folders the killed one could not.
    leftover = server.roots()
    assert remove_abandoned_roots(server.tmpdir) == leftover
    assert server.roots() == []


def test_a_headless_demo_keeps_its_database_where_it_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # (The UI's demo removes its own: the killed-serve test above shows it, as nothing else
    # is left to remove it there.)
    monkeypatch.delenv("SYNCWATCH_DB", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert main(["demo", "--headless", "--until", "2h"]) == 0
    [database] = tmp_path.glob("syncwatch-demo-*/demo.db")
    assert f"Database: sqlite:///{database}" in capsys.readouterr().out


def test_folders_of_a_serve_that_is_gone_are_removed_and_others_kept(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    abandoned = tmp_path / f"syncwatch-serve-{gone.pid}-abc"
    (abandoned / "visitor-1").mkdir(parents=True)
    running = tmp_path / f"syncwatch-serve-{os.getpid()}-def"
    running.mkdir()
    unrelated = tmp_path / "syncwatch-demo-xyz"
    unrelated.mkdir()
    assert remove_abandoned_roots(tmp_path) == [abandoned]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([running.name, unrelated.name])


def test_visitors_are_admitted_up_to_the_limit_and_idle_after_the_timeout() -> None:
    now = [100.0]
    visitors = Visitors(2, 60, clock=lambda: now[0])
    a, b = visitors.admit(), visitors.admit()
    assert a is not None and b is not None
    assert visitors.full and visitors.admit() is None
    now[0] += 59
    visitors.typed(b)
    now[0] += 1
    assert visitors.idle() == [a]
    visitors.leave(a)
    assert not visitors.full and visitors.admit() is not None
    assert Visitors(1, 0, clock=lambda: now[0]).idle() == []


# --------------------------------------------------------------------------- the command


def test_a_demo_visitor_runs_the_demo_read_only_away_from_the_users_database(
    tmp_path: Path,
) -> None:
    command = visitor_command(ServeOptions(demo=True, scenario="steady"), tmpdir=tmp_path)
    assert command.startswith("exec env -u SYNCWATCH_DB ")
    assert f"TMPDIR={tmp_path}" in command
    assert "--read-only demo --scenario steady" in command
    assert "--db" not in command


def test_the_ui_visitor_runs_on_the_database_given_with_actions_only_when_allowed(
    tmp_path: Path,
) -> None:
    read_only = visitor_command(ServeOptions(db="/srv/fleet.db"), tmpdir=tmp_path)
    assert "--read-only" in read_only and "--db /srv/fleet.db" in read_only
    acting = visitor_command(ServeOptions(allow_actions=True), tmpdir=tmp_path)
    assert "--read-only" not in acting and "--db" not in acting
    assert acting.startswith(f"exec {sys.executable} -m syncwatch ")


def test_off_loopback_the_start_up_lines_say_there_is_no_authentication() -> None:
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        assert is_loopback(host)
        assert "authentication" not in " ".join(startup_lines(ServeOptions(), host, 8000, None))
    for host in ("0.0.0.0", "192.0.2.10", "::", "syncwatch.example.com"):
        assert not is_loopback(host)
        said = " ".join(startup_lines(ServeOptions(), host, 8000, None))
        assert "textual-serve has no authentication" in said
        assert "reverse proxy" in said and "docs/serve.md" in said


def test_the_start_up_lines_say_whether_visitors_can_act() -> None:
    said = "\n".join(startup_lines(ServeOptions(), "127.0.0.1", 8000, None))
    assert "read-only" in said and "at most 8 visitors" in said
    said = "\n".join(startup_lines(ServeOptions(allow_actions=True), "127.0.0.1", 8000, None))
    assert "ACTIONS ALLOWED" in said
    said = "\n".join(startup_lines(ServeOptions(idle_timeout=0), "127.0.0.1", 8000, None))
    assert "never closed for idleness" in said


def test_the_demo_scenarios_are_the_demos() -> None:
    assert SCENARIOS == DEMO_SCENARIOS


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["serve", "--scenario", "tour"], "--scenario is for --demo"),
        (["--db", "x.db", "serve", "--demo"], "leave --db out"),
        (["serve", "--public-url", "ftp://example.com"], "--public-url must start with"),
        (["--read-only", "serve", "--allow-actions"], "contradict"),
    ],
)
def test_contradictory_options_are_one_line_errors(
    capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1 and "Traceback" not in err


def test_without_the_serve_extra_serve_says_how_to_get_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "textual_serve", None)  # as if not installed
    assert main(["serve", "--demo"]) == 2
    err = capsys.readouterr().err
    assert "uv run --extra serve syncwatch serve" in err and err.count("\n") == 1


def test_a_port_in_use_is_a_one_line_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "syncwatch", "serve", "--demo", "--port", str(port)],
            capture_output=True,
            text=True,
            env={**os.environ, "TMPDIR": str(tmp_path)},
            timeout=120,
        )
    assert done.returncode == 2
    assert (
        done.stderr
        == f"syncwatch: cannot listen on 127.0.0.1 port {port}: Address already in use\n"
    )
    assert "Traceback" not in done.stderr
    assert list(tmp_path.glob("syncwatch-serve-*")) == []


# --------------------------------------------------------------------------- the adapter


def test_in_a_browser_a_copy_keeps_the_text_on_screen_to_select() -> None:
    url = "https://app.kombo.dev/logs/sync_1"
    terminal = copied_notice(url, "Log URL copied", in_browser=False)
    assert terminal.message.startswith(url) and "OSC 52" in terminal.message
    browser = copied_notice(url, "Log URL copied", in_browser=True)
    assert browser.message.startswith(url)
    assert "select" in browser.message and "Shift" in browser.message
    assert browser.timeout is not None and browser.timeout > 10


def test_the_read_only_refusal_says_why_it_is_read_only() -> None:
    from syncwatch.actions import Action

    gate = ActionGate(read_only=True)
    assert "(--read-only)" in (gate.problem(Action.REACTIVATE, []) or "")
    gate.read_only_why = SERVED_READ_ONLY
    said = gate.problem(Action.REACTIVATE, []) or ""
    assert said.startswith("syncwatch is read-only (served read-only")
    assert "--allow-actions" in said
