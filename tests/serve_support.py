"""``syncwatch serve`` in a process of its own, and a headless Chromium to look at it.

:class:`ServeProcess` starts ``python -m syncwatch serve ...`` on a free loopback port, in
a temporary folder of the test's (``TMPDIR``: the visitors' folders are made there), and
waits for its lines (it prints that it listens, and logs each visitor who comes and goes).

:class:`Chromium` is Debian's Chromium (``/usr/bin/chromium``), headless, driven over the
DevTools protocol with aiohttp's websocket client: nothing is downloaded. The page's
terminal (xterm.js) draws on a canvas, so its text is read from xterm's buffer: a script
given to every new document keeps the terminal object textual-serve's page creates (it
keeps it in a local variable), and :meth:`Page.wait_for_screen` waits, in the page, for
the terminal's own "write parsed" event until the screen holds what is asked for.

Without Chromium the browser tests skip saying how to get it; under ``CI`` they fail
(``.ci/run`` installs it). Also used by ``benchmarks/serve.py``.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_HINT = "install Debian's chromium package (apt-get install chromium), as .ci/run does"
#: What ``serve`` prints once it listens.
READY_LINE = re.compile(r"^Press Ctrl\+C to stop\.")


def find_chromium() -> str | None:
    """The system's Chromium, or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# --------------------------------------------------------------------------- serve


class ServeProcess:
    """``syncwatch serve`` running in a process, its output read line by line."""

    def __init__(self, args: Sequence[str], *, home: Path, env: Mapping[str, str] | None = None):
        """``home``: the test's folder; ``TMPDIR`` and the data folder are made in it."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tmpdir = home / "tmp"
        self.tmpdir.mkdir(parents=True, exist_ok=True)
        environment = {
            k: v for k, v in os.environ.items() if not k.startswith(("SYNCWATCH_", "TEXTUAL"))
        }
        environment.update(
            TMPDIR=str(self.tmpdir),
            XDG_DATA_HOME=str(home / "data"),
            PYTHONUNBUFFERED="1",
            COLUMNS="200",  # the server's log lines are not wrapped
        )
        environment.update(env or {})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "syncwatch", "serve", "--port", str(self.port), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=environment,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for_line(self, pattern: str | re.Pattern[str], timeout: float = 60.0) -> str:
        """The next line matching ``pattern`` (the lines before it are kept in ``lines``);
        fails if the process ends or says nothing matching within ``timeout``."""
        wanted = re.compile(pattern) if isinstance(pattern, str) else pattern
        while True:
            try:
                line = self._queue.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(
                    f"serve said nothing matching {wanted.pattern!r} in {timeout} s:\n"
                    + "\n".join(self.lines)
                ) from None
            if line is None:
                raise AssertionError(
                    f"serve ended ({self.process.wait()}) before {wanted.pattern!r}:\n"
                    + "\n".join(self.lines)
                )
            self.lines.append(line)
            if wanted.search(line):
                return line

    def wait_ready(self) -> None:
        self.wait_for_line(READY_LINE)

    def roots(self) -> list[Path]:
        """The server's visitor-folder roots in its ``TMPDIR``."""
        return sorted(self.tmpdir.glob("syncwatch-serve-*"))

    def demo_databases(self) -> list[Path]:
        """Every demo visitor's database now on disk."""
        return sorted(self.tmpdir.glob("syncwatch-serve-*/visitor-*/syncwatch-demo-*/demo.db"))

    def visitor_pids(self) -> list[int]:
        """The visitors' processes (the server's children)."""
        return children_of(self.process.pid)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> int:
        """Send ``sig`` and wait for the server to end; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)

    def close(self) -> None:
        """Whatever happened: nothing of it left running."""
        if self.process.poll() is None:
            self.stop()
        for pid in children_of(self.process.pid):
            _kill(pid)


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses.
        fields = stat.rpartition(")")[2].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def rss_kib(pid: int) -> int:
    """A process's resident set size in KiB (``VmRSS``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise ValueError(f"no VmRSS for {pid}")


def pss_kib(pid: int) -> int:
    """A process's proportional set size in KiB (shared pages divided among their users)."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    raise ValueError(f"no Pss for {pid}")


def wait_for_exit(pid: int, timeout: float) -> bool:
    """Whether process ``pid`` (not a child of this one) ended within ``timeout`` seconds:
    waits on a pidfd, which becomes readable when the process ends."""
    import select

    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([fd], [], [], timeout)
        return bool(readable)
    finally:
        os.close(fd)


def _kill(pid: int) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


# --------------------------------------------------------------------------- Chromium

#: Given to every new document before its own scripts: keeps each xterm.js terminal that a
#: script stores as ``this.terminal`` (textual-serve's page does, in a local object).
KEEP_TERMINAL = """
(() => {
  const terminals = [];
  Object.defineProperty(window, "__terminals", { value: terminals });
  Object.defineProperty(Object.prototype, "terminal", {
    configurable: true,
    set(value) {
      Object.defineProperty(this, "terminal", {
        value, writable: true, configurable: true, enumerable: true,
      });
      if (value && typeof value.onWriteParsed === "function") terminals.push(value);
    },
  });
})();
"""

#: The terminal's visible lines, as text (a function of the terminal).
SCREEN_JS = """
function screenOf(t) {
  const b = t.buffer.active;
  const lines = [];
  for (let i = 0; i < t.rows; i++) {
    const line = b.getLine(b.viewportY + i);
    lines.push(line ? line.translateToString(true) : "");
  }
  return lines.join("\\n");
}
"""


class CdpError(Exception):
    """The DevTools protocol answered with an error."""


class Cdp:
    """A DevTools protocol connection (the browser's), with sessions for its pages."""

    def __init__(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        self.websocket = websocket
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._events: dict[str | None, asyncio.Queue[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.websocket:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            if "id" in data:
                future = self._waiting.pop(data["id"], None)
                if future is not None and not future.done():
                    if "error" in data:
                        future.set_exception(CdpError(json.dumps(data["error"])))
                    else:
                        future.set_result(data.get("result", {}))
            else:
                self.events(data.get("sessionId")).put_nowait(data)
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(CdpError("the browser closed the connection"))

    def events(self, session: str | None) -> asyncio.Queue[dict[str, Any]]:
        return self._events.setdefault(session, asyncio.Queue())

    async def send(
        self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None
    ) -> dict[str, Any]:
        number = next(self._ids)
        message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[number] = future
        await self.websocket.send_str(json.dumps(message))
        return await future

    async def close(self) -> None:
        await self.websocket.close()
        self._reader.cancel()


class Page:
    """One browser tab."""

    def __init__(self, cdp: Cdp, target: str, session: str) -> None:
        self.cdp = cdp
        self.target = target
        self.session = session

    async def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.cdp.send(method, params, session=self.session)

    async def wait_event(self, method: str, timeout: float = 60.0) -> dict[str, Any]:
        events = self.cdp.events(self.session)
        async with asyncio.timeout(timeout):
            while True:
                event = await events.get()
                if event.get("method") == method:
                    return event

    async def open(self, url: str) -> None:
        """Load ``url`` and wait for its load event."""
        await self.send("Page.navigate", {"url": url})
        await self.wait_event("Page.loadEventFired")

    async def evaluate(self, expression: str, timeout: float = 60.0) -> Any:
        """The value of ``expression`` (awaited if a promise)."""
        async with asyncio.timeout(timeout):
            result = await self.send(
                "Runtime.evaluate",
                {"expression": expression, "awaitPromise": True, "returnByValue": True},
            )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CdpError(str(text))
        return result["result"].get("value")

    async def screen(self) -> str:
        """The terminal's visible text now ("" before the terminal exists)."""
        value = await self.evaluate(
            f"(() => {{ {SCREEN_JS} const t = window.__terminals[0];"
            " return t ? screenOf(t) : ''; })()"
        )
        return str(value)

    async def wait_for_screen(self, pattern: str, timeout: float = 60.0) -> str:
        """The terminal's text once it matches the regular expression ``pattern``: checked
        in the page each time xterm.js has parsed what the server wrote."""
        script = f"""
        new Promise((resolve, reject) => {{
          {SCREEN_JS}
          const wanted = new RegExp({json.dumps(pattern)}, "s");
          let terminal = null;
          const timer = setTimeout(() => reject(new Error(
            "the screen never matched " + wanted + ":\\n" +
            (terminal ? screenOf(terminal) : "(no terminal)"))), {int(timeout * 1000)});
          const check = () => {{
            const text = screenOf(terminal);
            if (wanted.test(text)) {{ clearTimeout(timer); resolve(text); }}
          }};
          const attach = () => {{
            terminal = window.__terminals[0] || null;
            if (terminal === null) {{ requestAnimationFrame(attach); return; }}
            terminal.onWriteParsed(check);
            check();
          }};
          attach();
        }})
        """
        return str(await self.evaluate(script, timeout=timeout + 5))

    async def press(self, key: str) -> None:
        """Type one printable ``key`` into the page's terminal (as a keyboard would)."""
        await self.evaluate("document.querySelector('.xterm-helper-textarea').focus(), true")
        code = f"Key{key.upper()}" if key.isalpha() else ""
        base = {"key": key, "code": code, "windowsVirtualKeyCode": ord(key.upper())}
        await self.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": key, **base})
        await self.send("Input.dispatchKeyEvent", {"type": "keyUp", **base})

    async def screenshot(self, path: Path) -> Path:
        """A PNG of the page as shown."""
        shot = await self.send("Page.captureScreenshot", {"format": "png"})
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    async def close(self) -> None:
        await self.cdp.send("Target.closeTarget", {"targetId": self.target})


class Chromium:
    """A headless Chromium with a fresh profile, for one test or one benchmark."""

    def __init__(self, executable: str, profile: Path, cdp: Cdp, process: subprocess.Popen[str]):
        self.executable = executable
        self.profile = profile
        self.cdp = cdp
        self.process = process

    @classmethod
    @asynccontextmanager
    async def launched(
        cls, executable: str, *, width: int = 1440, height: int = 900
    ) -> AsyncIterator[Chromium]:
        profile = Path(tempfile.mkdtemp(prefix="syncwatch-chromium-"))
        process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        session: aiohttp.ClientSession | None = None
        try:
            endpoint = await asyncio.wait_for(
                asyncio.to_thread(_devtools_endpoint, process), timeout=60
            )
            session = aiohttp.ClientSession()
            websocket = await session.ws_connect(endpoint, max_msg_size=0)
            browser = cls(executable, profile, Cdp(websocket), process)
            try:
                yield browser
            finally:
                await browser.cdp.close()
        finally:
            if session is not None:
                await session.close()
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            shutil.rmtree(profile, ignore_errors=True)

    async def new_page(self, width: int = 1440, height: int = 900) -> Page:
        """A new tab that keeps its terminal for :meth:`Page.screen`."""
        target = (await self.cdp.send("Target.createTarget", {"url": "about:blank"}))["targetId"]
        attached = await self.cdp.send(
            "Target.attachToTarget", {"targetId": target, "flatten": True}
        )
        page = Page(self.cdp, target, attached["sessionId"])
        await page.send("Page.enable")
        await page.send("Runtime.enable")
        await page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        await page.send("Page.addScriptToEvaluateOnNewDocument", {"source": KEEP_TERMINAL})
        return page


def _devtools_endpoint(process: subprocess.Popen[str]) -> str:
    """The browser's DevTools websocket, from the line Chromium prints when it listens."""
    assert process.stderr is not None
    said: list[str] = []
    for line in process.stderr:
        said.append(line)
        found = re.search(r"DevTools listening on (ws://\S+)", line)
        if found:
            # The rest of its stderr is read (and dropped), so that it never blocks on it.
            threading.Thread(target=_drain, args=(process,), daemon=True).start()
            return found.group(1)
    raise RuntimeError("Chromium ended before it listened:\n" + "".join(said))


def _drain(process: subprocess.Popen[str]) -> None:
    assert process.stderr is not None
    for _ in process.stderr:
        pass
