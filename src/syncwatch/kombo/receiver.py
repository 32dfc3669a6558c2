"""The HTTP endpoint for Kombo's webhooks (Starlette on uvicorn).

``POST /webhooks/kombo``, in this order, and nothing is parsed before the signature holds:

1. the body is read as it streams in, up to :data:`MAX_BODY` (a larger ``Content-Length``
   is refused before reading): else 413; and within :data:`BODY_TIMEOUT` of the request's
   head, so a client trickling bytes cannot hold a connection: else 408, and the connection
   is closed. A client that hangs up before its whole body arrived costs one log line;
2. ``X-Kombo-Signature`` must be base64url(HMAC-SHA256(secret, raw body)): else 401, and
   nothing is stored;
3. the body must be a JSON object with a string ``id``, a string ``type`` and an object
   ``data`` (and, for the five types syncwatch applies, the fields it reads): else 400;
4. the event is stored and applied in one transaction (see :mod:`syncwatch.kombo.apply`):
   200, also for a redelivered id (applied once) and for a type syncwatch does not know.

A database that is locked or unreachable answers 503, so Kombo delivers again later.
The database work is blocking; it runs on one writer thread that commits what queued up
together (see the README for the measurement against Starlette's thread pool).
"""

from __future__ import annotations

import asyncio
import logging
import math
import queue
import threading
from concurrent.futures import Future
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syncwatch.clock import Clock
from syncwatch.db import Store, StoreError
from syncwatch.kombo.apply import Received, receive_event, receive_events
from syncwatch.kombo.events import (
    SIGNATURE_HEADER,
    KomboEvent,
    MalformedEvent,
    body_for_storage,
    parse_event,
    signature_valid,
)

log = logging.getLogger("syncwatch.receiver")

#: The largest body accepted (Kombo's events are a few kilobytes).
MAX_BODY = 1024 * 1024
#: Seconds a request's body may take to arrive in full, from when its head was read. Kombo
#: sends a few kilobytes at once; 10 s still lets a whole MAX_BODY through at 100 kB/s.
BODY_TIMEOUT = 10.0
#: Where Kombo posts.
WEBHOOK_PATH = "/webhooks/kombo"

Writer = Literal["single", "threadpool"]


def _error(status: int, message: str, *, close: bool = False) -> JSONResponse:
    headers = {"Connection": "close"} if close else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _peer(request: Request) -> str:
    """The client as ``host:port`` (behind the local proxy, the address it forwarded)."""
    if request.client is None:
        return "an unknown client"
    return f"{request.client.host}:{request.client.port}"


class _BatchWriter:
    """One thread that owns every database write, committing what queued up together.

    Requests put their event on a queue and wait; the thread takes everything queued (up to
    :data:`BATCH_MAX`) and stores and applies it in one transaction
    (:func:`~syncwatch.kombo.apply.receive_events`). Under load this is group commit: one
    write lock, one evaluation of the touched integrations and one commit per batch.
    """

    BATCH_MAX = 64

    def __init__(self, store: Store) -> None:
        self.store = store
        self._queue: queue.Queue[tuple[KomboEvent, str, datetime, Future[Received]] | None] = (
            queue.Queue()
        )
        self._thread = threading.Thread(target=self._run, name="writer", daemon=True)
        self._thread.start()

    def submit(self, event: KomboEvent, body: str, received_at: datetime) -> Future[Received]:
        future: Future[Received] = Future()
        self._queue.put((event, body, received_at, future))
        return future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < self.BATCH_MAX:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # finish this batch, then stop
                    break
                batch.append(more)
            try:
                results = receive_events(self.store, [(e, b, t) for e, b, t, _ in batch])
            except BaseException as err:  # handed to every waiting request
                for *_, future in batch:
                    future.set_exception(err)
                continue
            for (*_, future), got in zip(batch, results, strict=True):
                future.set_result(got)


class Receiver:
    """The webhook endpoint: one store, one secret, one clock."""

    def __init__(
        self,
        store: Store,
        secret: bytes,
        clock: Clock,
        *,
        writer: Writer = "single",
        max_body: int = MAX_BODY,
        body_timeout: float = BODY_TIMEOUT,
    ) -> None:
        if not secret:
            raise ValueError("the webhook secret is empty")
        if max_body <= 0:
            raise ValueError(f"the body limit must be a positive number of bytes, not {max_body}")
        # nan compares false with everything and inf never fires: both would mean no deadline.
        if not (math.isfinite(body_timeout) and body_timeout > 0):
            raise ValueError(
                f"the body timeout must be a positive number of seconds, not {body_timeout}"
            )
        self.store = store
        self._secret = secret
        self.clock = clock
        self.writer = writer
        self.max_body = max_body
        self.body_timeout = body_timeout
        self._writer: _BatchWriter | None = None

    # -- running the blocking database work ---------------------------------------------

    async def _store(self, event: KomboEvent, body: str, received_at: datetime) -> Received:
        if self.writer == "threadpool":
            return await run_in_threadpool(receive_event, self.store, event, body, received_at)
        if self._writer is None:
            self._writer = _BatchWriter(self.store)
        return await asyncio.wrap_future(self._writer.submit(event, body, received_at))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    # -- the endpoint ----------------------------------------------------------------------

    async def _read_body(self, request: Request) -> bytes | Response:
        """The request body, or the answer when it cannot be had.

        413 for one longer than :attr:`max_body` (refused without buffering it), 408 with the
        connection closed for one not in full within :attr:`body_timeout` seconds; a client
        that hangs up first is logged on one line (the answer it gets goes nowhere).
        """
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.body_timeout):
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > self.max_body:
                        return _error(413, f"the body is larger than {self.max_body} bytes")
                    chunks.append(chunk)
        except TimeoutError:
            log.warning(
                "%s sent %d of %s bytes of the body in %g s; answered 408, nothing stored",
                _peer(request),
                size,
                request.headers.get("content-length", "unknown"),
                self.body_timeout,
            )
            message = f"the body did not arrive within the {self.body_timeout:g} s deadline"
            return _error(408, message, close=True)
        except ClientDisconnect:
            # Starlette raises this when the connection ends mid-body; left to propagate it
            # becomes a 40-line traceback per connection, for what is the client's business.
            log.warning(
                "%s hung up after %d of %s bytes of the body; nothing stored",
                _peer(request),
                size,
                request.headers.get("content-length", "unknown"),
            )
            return _error(400, "the body ended before it was complete")
        return b"".join(chunks)

    async def webhook(self, request: Request) -> Response:
        length = request.headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                return _error(400, "Content-Length is not a number")
            if int(length) > self.max_body:
                return _error(413, f"the body is larger than {self.max_body} bytes")
        body = await self._read_body(request)
        if isinstance(body, Response):
            return body
        if not signature_valid(self._secret, body, request.headers.get(SIGNATURE_HEADER)):
            return _error(401, f"missing or invalid {SIGNATURE_HEADER}")
        try:
            event = parse_event(body)
        except MalformedEvent as err:
            return _error(400, f"not a Kombo event: {err}")
        stored = body_for_storage(body)
        received_at = self.clock.now()
        try:
            got = await self._store(event, stored, received_at)
        except StoreError as err:
            log.error("event %s not stored: %s", event.id, err)
            return _error(503, "the database is unavailable; deliver again later")
        log.info(
            "%s %s %s%s",
            got.event_id,
            event.type,
            got.outcome.value,
            " (duplicate)" if got.duplicate else "",
        )
        return JSONResponse(
            {"id": got.event_id, "outcome": got.outcome.value, "duplicate": got.duplicate}
        )

    async def health(self, request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def noop(self, request: Request) -> Response:
        """Reads the body and answers: the HTTP floor the benchmark compares against."""
        body = await self._read_body(request)
        if isinstance(body, Response):
            return body
        return JSONResponse({"ok": True})

    def app(self, *, noop_route: bool = False) -> Starlette:
        """The ASGI application."""
        routes = [
            Route(WEBHOOK_PATH, self.webhook, methods=["POST"]),
            Route("/healthz", self.health, methods=["GET"]),
        ]
        if noop_route:
            routes.append(Route("/noop", self.noop, methods=["POST"]))

        @asynccontextmanager
        async def lifespan(app: Starlette) -> Any:
            yield
            self.close()

        return Starlette(routes=routes, lifespan=lifespan)


# --------------------------------------------------------------------------- serving


def make_server(
    receiver: Receiver,
    host: str,
    port: int,
    *,
    noop_route: bool = False,
    access_log: bool = True,
    log_level: str = "info",
) -> Any:
    """A uvicorn server for the receiver (``.run()`` blocks; ``.should_exit`` stops it)."""
    import uvicorn

    config = uvicorn.Config(
        receiver.app(noop_route=noop_route),
        host=host,
        port=port,
        access_log=access_log,
        log_level=log_level,
        lifespan="on",
        # Behind a reverse proxy on the same host, X-Forwarded-For names the real client.
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
    )
    return uvicorn.Server(config)


class ServerThread:
    """Runs a receiver on a loopback port in a background thread (tests, benchmarks)."""

    def __init__(self, receiver: Receiver, host: str = "127.0.0.1", port: int = 0, **kw: Any):
        import socket

        self.host = host
        if port == 0:
            with socket.socket() as s:
                s.bind((host, 0))
                port = int(s.getsockname()[1])
        self.port = port
        self.server = make_server(receiver, host, port, access_log=False, log_level="warning", **kw)
        self.thread = threading.Thread(target=self.server.run, name="receiver", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        for _ in range(500):
            if self.server.started:
                break
            if not self.thread.is_alive():
                raise RuntimeError(f"the receiver did not start on {self.url}")
            threading.Event().wait(0.01)
        else:
            raise RuntimeError(f"the receiver did not start on {self.url} within 5 s")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
