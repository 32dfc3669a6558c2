"""Clients that misbehave at the HTTP level: raw sockets to a receiver on a loopback port.

httpx always sends what it promised, so these speak HTTP/1.1 by hand: a body shorter than
its ``Content-Length`` followed by a hang-up, and a body that trickles in and never ends.
"""

from __future__ import annotations

import logging
import math
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from kombo_support import NOW, SECRET, Client, example

from syncwatch.clock import FixedClock
from syncwatch.db import Store
from syncwatch.kombo.events import sign
from syncwatch.kombo.receiver import BODY_TIMEOUT, WEBHOOK_PATH, Receiver, ServerThread

#: A failure guard for socket reads and waits, never an assertion of speed.
GUARD = 30.0


class _Records(logging.Handler):
    """Collects log records from any thread; a test waits for them on a condition."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []
        self._arrived = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self._arrived:
            self.lines.append(self.format(record))  # with the traceback, if there is one
            self._arrived.notify_all()

    def wait_for_one(self) -> None:
        with self._arrived:
            assert self._arrived.wait_for(lambda: bool(self.lines), timeout=GUARD), "no log"


@contextmanager
def _serving(receiver: Receiver, store: Store) -> Iterator[tuple[Client, _Records]]:
    """The receiver on a loopback port, and every record logged by it or by uvicorn.

    The handler goes on after the server is built: uvicorn configures its loggers (its own,
    which do not propagate to the root) when it is built, which would drop one added before.
    """
    server = ServerThread(receiver)
    records = _Records()
    watched = [logging.getLogger("uvicorn"), logging.getLogger("syncwatch")]
    for logger in watched:
        logger.addHandler(records)
    try:
        with server:
            client = Client(server.url, store)
            try:
                yield client, records
            finally:
                client.http.close()
    finally:
        for logger in watched:
            logger.removeHandler(records)


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=GUARD)


def _address(sock: socket.socket) -> str:
    """This end of the connection as ``host:port``, as the receiver logs its client."""
    host, port = sock.getsockname()[:2]
    return f"{host}:{port}"


def _head(length: int, signature: str) -> bytes:
    return (
        f"POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: receiver\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\nX-Kombo-Signature: {signature}\r\n\r\n"
    ).encode()


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (guarded by GUARD).

    A reset counts as closed: a server that closes with part of the body unread makes its
    kernel answer with RST, after the answer it already sent has been delivered.
    """
    got = b""
    try:
        while chunk := sock.recv(65536):
            got += chunk
    except ConnectionResetError:
        pass
    return got


def test_a_client_that_hangs_up_mid_body_gets_one_log_line_and_stores_nothing(
    store: Store,
) -> None:
    body = example("sync-finished")
    sent = len(body) // 2
    with _serving(Receiver(store, SECRET, FixedClock(NOW)), store) as (client, records):
        with _connect(client.url) as sock:
            address = _address(sock)
            sock.sendall(_head(len(body), sign(SECRET, body)) + body[:sent])
        records.wait_for_one()
        assert client.http.get("/healthz").status_code == 200
        # Leaving _serving stops the server, so nothing logged late is missed below.
    (line,) = records.lines
    assert "Traceback" not in line and "\n" not in line
    assert line.startswith("WARNING syncwatch.receiver ")
    assert address in line
    assert f"hung up after {sent} of {len(body)} bytes" in line
    assert "nothing stored" in line
    assert client.stored() == {}
    assert store.integrations() == []


def test_a_body_that_trickles_in_gets_408_at_the_deadline_and_is_closed(store: Store) -> None:
    """One byte, then another each time 50 ms pass without an answer, for as long as the
    server listens (the pace only keeps the body coming; the test waits on the answer)."""
    body = example("sync-finished")
    receiver = Receiver(store, SECRET, FixedClock(NOW), body_timeout=0.2)
    with _serving(receiver, store) as (client, records), _connect(client.url) as sock:
        address = _address(sock)
        sock.sendall(_head(len(body), sign(SECRET, body)))
        answer = b""
        give_up = time.monotonic() + GUARD
        for byte in body[:-1]:  # never the whole body
            try:
                sock.sendall(bytes([byte]))
            except OSError:  # closed after answering: read the answer below
                break
            sock.settimeout(0.05)
            try:
                answer = sock.recv(65536)
            except TimeoutError:
                assert time.monotonic() < give_up, "no answer while the body trickled in"
                continue
            break
        sock.settimeout(GUARD)
        answer += _read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert b"connection: close" in answer.lower()
        assert b"deadline" in answer
        records.wait_for_one()
    (line,) = records.lines
    assert line.startswith("WARNING syncwatch.receiver ") and address in line
    assert "408" in line and "nothing stored" in line
    assert client.stored() == {}
    assert store.integrations() == []


def test_a_body_that_never_starts_gets_408(store: Store) -> None:
    body = example("sync-finished")
    receiver = Receiver(store, SECRET, FixedClock(NOW), body_timeout=0.2)
    with _serving(receiver, store) as (client, _records), _connect(client.url) as sock:
        sock.sendall(_head(len(body), sign(SECRET, body)))  # the head, and then nothing
        assert _read_until_closed(sock).startswith(b"HTTP/1.1 408 ")
    assert client.stored() == {}


def test_a_body_within_the_deadline_is_received(store: Store) -> None:
    receiver = Receiver(store, SECRET, FixedClock(NOW), body_timeout=GUARD)
    with _serving(receiver, store) as (client, records):
        assert client.post(example("sync-finished")).json()["outcome"] == "applied"
    assert records.lines == []


# The settings are checked before the store is used: one backend is enough for these.
_SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@_SQLITE_ONLY
def test_the_default_deadline_is_ten_seconds(store: Store) -> None:
    assert BODY_TIMEOUT == 10.0
    assert Receiver(store, SECRET, FixedClock(NOW)).body_timeout == BODY_TIMEOUT


@_SQLITE_ONLY
@pytest.mark.parametrize("seconds", [0.0, -1.0, math.inf, math.nan])
def test_a_deadline_that_is_not_a_positive_finite_number_is_refused(
    store: Store, seconds: float
) -> None:
    with pytest.raises(ValueError, match="body timeout"):
        Receiver(store, SECRET, FixedClock(NOW), body_timeout=seconds)


@_SQLITE_ONLY
@pytest.mark.parametrize("size", [0, -1])
def test_a_body_limit_that_is_not_positive_is_refused(store: Store, size: int) -> None:
    with pytest.raises(ValueError, match="body limit"):
        Receiver(store, SECRET, FixedClock(NOW), max_body=size)
