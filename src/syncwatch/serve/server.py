"""syncwatch in a browser: textual-serve's server with the limits syncwatch needs.

textual-serve (1.1) runs one command per visitor, in a subprocess whose screen travels over a
websocket to xterm.js in the page. What it does not have, and :class:`SyncwatchServer` (a
subclass) adds:

- a maximum number of concurrent visitors (each is a process): the page says politely that
  the server is busy (HTTP 503), and a websocket over the limit is closed with the reason;
- idle sessions closed (no key, mouse or resize for ``--idle-timeout`` seconds);
- a command per visitor: each demo visitor's process makes its temporary database in a
  folder of its own, removed when the session ends (the tab closed, the session idle, the
  process ended), and all of them when ``serve`` stops (SIGINT, SIGTERM); folders left by
  a ``serve`` that was killed outright are removed by the next one;
- a visitor's process that does not quit when asked is killed (textual-serve waits for
  ever);
- the page: syncwatch's own template (a ``<title>``, no font fetched from the internet, the
  reason a session was closed shown in place of textual-serve's "Session ended."), and the
  websocket's address taken from the request when no ``--public-url`` is given (textual-
  serve's is ``http://HOST:PORT``, which a browser elsewhere cannot reach for ``0.0.0.0``);
- start-up lines that say what is served, read-only or not, and, off loopback, that there is
  no authentication.

From textual-serve it uses :class:`~textual_serve.server.Server` (logging, the download
manager, ``request_exit``), its static files (xterm.js, fonts) and
:class:`~textual_serve.app_service.AppService` (the process and its protocol). One private
name is wrapped: ``AppService._open_app_process``, to keep the process it returns (its id, to
kill it); textual-serve is pinned below 1.2 for that reason (``pyproject.toml``).
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
from asyncio.subprocess import Process
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import WSCloseCode, WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from syncwatch.serve.visitors import (
    QUIT_GRACE_S,
    ServeOptions,
    Visitor,
    Visitors,
    busy_message,
    idle_message,
    is_loopback,
    span,
    visitor_command,
)

log = logging.getLogger("syncwatch.serve")

#: syncwatch's page template (textual-serve's, adapted: see the module's docstring).
TEMPLATES = Path(__file__).parent / "templates"
#: The folder of one ``serve`` run's visitor folders: ``syncwatch-serve-<pid>-<random>``.
ROOT_PREFIX = "syncwatch-serve-"
_ROOT_NAME = re.compile(rf"^{ROOT_PREFIX}(\d+)-")
#: Why a session closed, shown by the page (a websocket close reason: at most 123 bytes).
BUSY_REASON = "syncwatch is busy: the most visitors it takes are connected. Please try again later."
IDLE_REASON = "Closed after {span} without input. Reload the page to start again."
STOPPED_REASON = "The syncwatch server stopped."
#: A websocket close reason is at most 123 bytes.
_REASON_BYTES = 123


class VisitorProcess(AppService):
    """textual-serve's app service, keeping the process (to kill one that will not quit)."""

    process: Process | None = None

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        self.process = await super()._open_app_process(width, height)
        return self.process

    async def stop_within(self, grace: float) -> None:
        """Ask the process to quit; kill it if it has not within ``grace`` seconds."""
        stopping = asyncio.ensure_future(self.stop())
        try:
            await asyncio.wait_for(asyncio.shield(stopping), grace)
        except TimeoutError:
            process = self.process
            if process is not None and process.returncode is None:
                log.warning("visitor process %s did not quit: killed", process.pid)
                process.kill()
            await stopping


@dataclass(eq=False)
class Session:
    """One visitor's session: its process, its websocket and its folder."""

    visitor: Visitor
    service: VisitorProcess
    websocket: web.WebSocketResponse
    folder: Path
    #: Why the server ends the session (shown by the page), None: the visitor's doing.
    why: str | None = None

    async def close_page(self) -> None:
        """Close the websocket, saying why when the server ended the session."""
        if self.why is None:
            await self.websocket.close()
        else:
            await self.websocket.close(code=WSCloseCode.GOING_AWAY, message=_reason(self.why))


class SyncwatchServer(Server):
    """textual-serve's server, one syncwatch process per visitor, with limits."""

    def __init__(
        self,
        options: ServeOptions,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        public_url: str | None = None,
    ) -> None:
        super().__init__(
            "syncwatch",
            host=host,
            port=port,
            title=options.page_title(),
            public_url=public_url,
            templates_path=TEMPLATES,
        )
        self.options = options
        #: ``--public-url`` (None: the address the browser asked for).
        self.fixed_public_url = public_url.rstrip("/") if public_url else None
        self.visitors = Visitors(options.max_visitors, options.idle_timeout)
        self.sessions: set[Session] = set()
        remove_abandoned_roots()
        self.root = Path(tempfile.mkdtemp(prefix=f"{ROOT_PREFIX}{os.getpid()}-"))
        self._closer: asyncio.Task[None] | None = None
        #: Idle sessions being closed (kept so that the tasks are not collected).
        self._closing: set[asyncio.Task[None]] = set()

    # -- running ---------------------------------------------------------------------------

    def serve(self, debug: bool = False) -> None:
        """Serve until SIGINT or SIGTERM; then every session is closed and every visitor's
        folder removed. Raises ``OSError`` when the address cannot be listened on."""
        self.debug = debug
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.request_exit)
        try:
            web.run_app(
                self.make_app(),
                host=self.host,
                port=self.port,
                handle_signals=False,
                loop=loop,
                print=self._print_ready,
                shutdown_timeout=QUIT_GRACE_S + 5,
            )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def make_app(self) -> web.Application:
        """The aiohttp application: the page, the websocket, textual-serve's static files."""
        app = web.Application()
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/ws", self.handle_websocket, name="websocket"),
                web.static("/static", self.statics_path, name="static"),
            ]
        )
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    async def on_startup(self, app: web.Application) -> None:
        self._closer = asyncio.create_task(self._close_idle_sessions())

    async def on_shutdown(self, app: web.Application) -> None:
        if self._closer is not None:
            self._closer.cancel()
        await asyncio.gather(*(self._close(s, STOPPED_REASON) for s in list(self.sessions)))

    def _print_ready(self, *_: object) -> None:
        """Said once the address is listened on (aiohttp calls it then)."""
        sys.stdout.write(
            "\n".join(startup_lines(self.options, self.host, self.port, self.fixed_public_url))
            + "\n"
        )
        sys.stdout.flush()

    # -- the page --------------------------------------------------------------------------

    def base_url(self, request: web.Request) -> str:
        """Where the browser reaches this server: ``--public-url``, else what it asked."""
        return self.fixed_public_url or f"{request.scheme}://{request.host}"

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        if self.visitors.full:
            return busy_page(self.options.max_visitors)
        base = self.base_url(request)
        scheme, _, rest = base.partition(":")
        websocket_url = ("wss:" if scheme == "https" else "ws:") + rest
        static = request.app.router["static"].url_for(filename="/")
        context: dict[str, Any] = {
            "font_size": _font_size(request.query.get("fontsize", "16")),
            "app_websocket_url": f"{websocket_url}{request.app.router['websocket'].url_for()}",
            "config": {"static": {"url": f"{base}{static}".rstrip("/") + "/"}},
            "application": {"name": self.title},
        }
        return aiohttp_jinja2.render_template("app_index.html", request, context)

    # -- a visitor's session ---------------------------------------------------------------

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        visitor = self.visitors.admit()
        if visitor is None:
            log.warning("visitor refused: %d connected already", self.visitors.connected)
            await self._say(websocket, busy_message(self.options.max_visitors))
            await websocket.close(code=WSCloseCode.TRY_AGAIN_LATER, message=_reason(BUSY_REASON))
            return websocket
        folder = self.root / f"visitor-{visitor.number}"
        folder.mkdir()

        async def close_page() -> None:  # the visitor's process has quit
            await session.close_page()

        service = VisitorProcess(
            visitor_command(self.options, tmpdir=folder),
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=close_page,
            download_manager=self.download_manager,
            debug=self.debug,
        )
        session = Session(visitor, service, websocket, folder)
        self.sessions.add(session)
        log.info("visitor %d connected (%d now)", visitor.number, self.visitors.connected)
        watcher: asyncio.Task[None] | None = None
        try:
            width = _cells(request.query.get("width", "80"), 80)
            height = _cells(request.query.get("height", "24"), 24)
            await service.start(width, height)
            watcher = asyncio.create_task(self._close_when_ended(session))
            await self._relay(session)
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("visitor %d: the session failed", visitor.number)
        finally:
            if watcher is not None:
                watcher.cancel()
            await service.stop_within(QUIT_GRACE_S)
            await session.close_page()
            self.visitors.leave(visitor)
            self.sessions.discard(session)
            shutil.rmtree(folder, ignore_errors=True)
            log.info("visitor %d left (%d now)", visitor.number, self.visitors.connected)
        return websocket

    async def _relay(self, session: Session) -> None:
        """What the browser sends, to the visitor's process (as textual-serve does), noting
        input for the idle check."""
        service, websocket = session.service, session.websocket
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            envelope = message.json()
            if not isinstance(envelope, list) or not envelope:
                continue
            kind = envelope[0]
            if kind == "stdin" and len(envelope) > 1 and isinstance(envelope[1], str):
                self.visitors.typed(session.visitor)
                await service.send_bytes(envelope[1].encode("utf-8"))
            elif kind == "resize" and len(envelope) > 1 and isinstance(envelope[1], dict):
                self.visitors.typed(session.visitor)
                size = envelope[1]
                await service.set_terminal_size(
                    _cells(str(size.get("width")), 80), _cells(str(size.get("height")), 24)
                )
            elif kind == "ping" and len(envelope) > 1:
                await websocket.send_json(["pong", envelope[1]])
            elif kind == "blur":
                await service.blur()
            elif kind == "focus":
                await service.focus()

    async def _close_when_ended(self, session: Session) -> None:
        """A visitor's process that ended by itself (it quit, or failed) closes the page's
        session too (textual-serve leaves the websocket open when no exit was sent)."""
        process = session.service.process
        if process is None:
            return
        await process.wait()
        await session.service.stop()
        await session.close_page()

    async def _close_idle_sessions(self) -> None:
        timeout = self.options.idle_timeout
        if timeout <= 0:
            return
        period = min(max(timeout / 4, 0.25), 30.0)
        while True:
            await asyncio.sleep(period)
            for visitor in self.visitors.idle():
                for session in [s for s in self.sessions if s.visitor is visitor]:
                    log.info("visitor %d idle: closing the session", visitor.number)
                    task = asyncio.create_task(self._close_idle(session))
                    self._closing.add(task)
                    task.add_done_callback(self._closing.discard)

    async def _close_idle(self, session: Session) -> None:
        await self._say(session.websocket, idle_message(self.options.idle_timeout))
        await self._close(session, IDLE_REASON.format(span=span(self.options.idle_timeout)))

    async def _close(self, session: Session, why: str) -> None:
        """Close ``session``, telling the page why; its handler then cleans up."""
        session.visitor.closing = True
        session.why = why
        await session.service.stop_within(QUIT_GRACE_S)
        await session.close_page()

    @staticmethod
    async def _say(websocket: web.WebSocketResponse, text: str) -> None:
        """Write ``text`` on the page's terminal."""
        await websocket.send_bytes(f"\r\n  {text}\r\n".encode())


def startup_lines(options: ServeOptions, host: str, port: int, public_url: str | None) -> list[str]:
    """What ``serve`` says once it listens: what, where, read-only or not, the limits, and,
    off loopback, that nobody is asked who they are."""
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{port}"
    what = (
        f"the demo (scenario {options.scenario}), a fresh temporary database per visitor"
        if options.demo
        else "the syncwatch UI"
    )
    lines = [f"syncwatch serve: {what}, on {url}"]
    if public_url:
        lines.append(f"  visitors open {public_url}")
    if options.read_only:
        lines.append("  read-only: the action keys are refused (--allow-actions allows them)")
    else:
        lines.append(
            "  ACTIONS ALLOWED: every visitor can take operator actions"
            + ("" if options.demo else " on this database")
        )
    idle = (
        "sessions are never closed for idleness"
        if options.idle_timeout <= 0
        else f"a session without input for {span(options.idle_timeout)} is closed"
    )
    lines.append(f"  at most {options.max_visitors} visitors at once; {idle}")
    if not is_loopback(host):
        lines += [
            f"  WARNING: listening on {host}, not on loopback. textual-serve has no "
            "authentication of its own:",
            "  anyone who can reach this port gets the UI. Put it behind a reverse proxy that "
            "authenticates",
            "  (nginx with basic auth, oauth2-proxy): see docs/serve.md.",
        ]
    lines.append("Press Ctrl+C to stop.")
    return lines


def busy_page(limit: int) -> web.Response:
    """The page a visitor over the limit gets (503, try again later)."""
    message = html.escape(busy_message(limit))
    body = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>syncwatch: busy</title>"
        "<style>body{background:#0c181f;color:#eee;font-family:monospace;padding:3em}"
        "</style></head>"
        f"<body><h1>syncwatch is busy</h1><p>{message}</p></body></html>"
    )
    return web.Response(
        status=503, text=body, content_type="text/html", headers={"Retry-After": "60"}
    )


def remove_abandoned_roots(folder: Path | None = None) -> list[Path]:
    """Remove the visitor folders of ``serve`` runs that are gone (killed outright, so
    they could not clean up), in ``folder`` (the temporary folder); return them."""
    folder = Path(tempfile.gettempdir()) if folder is None else folder
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _ROOT_NAME.match(entry.name)
        if match is None or not entry.is_dir() or _running(int(match.group(1))):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process: not ours to judge
    return True


def _reason(text: str) -> bytes:
    """A websocket close reason: ``text`` cut to 123 bytes of UTF-8, on a character."""
    data = text.encode("utf-8")
    if len(data) <= _REASON_BYTES:
        return data
    return data[: _REASON_BYTES - 3].decode("utf-8", "ignore").encode("utf-8") + b"..."


def _cells(text: str, default: int) -> int:
    """A terminal dimension from the browser: 1 to 1,000 cells, else ``default``."""
    try:
        value = int(text)
    except ValueError:
        return default
    return value if 1 <= value <= 1000 else default


def _font_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        return 16
    return value if 6 <= value <= 64 else 16
