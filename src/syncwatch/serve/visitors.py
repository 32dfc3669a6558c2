"""Who is connected to ``syncwatch serve``, what each visitor's process runs, and the limits.

Pure bookkeeping (no aiohttp, no textual-serve): :class:`Visitors` admits a visitor while
fewer than the maximum are connected, remembers when each last typed, and names the ones
idle for too long; :func:`visitor_command` is the command line each visitor's process runs.
:mod:`syncwatch.serve.server` does the I/O around them.
"""

from __future__ import annotations

import ipaddress
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

#: A visitor's process is asked to quit, then given this long before it is killed.
QUIT_GRACE_S = 5.0


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """What ``syncwatch serve`` was asked for (the command line, parsed)."""

    #: Each visitor gets the demo on a fresh temporary database (else the UI on ``db``).
    demo: bool = False
    scenario: str = "tour"
    #: Visitors may take operator actions (else read-only, refused with the reason).
    allow_actions: bool = False
    #: ``--db`` as given (None: ``SYNCWATCH_DB`` or the default, as every command); not
    #: used with ``demo``.
    db: str | None = None
    #: The UI's seconds between evaluation passes (``--interval``).
    interval: float = 5.0
    #: ``--now`` as ISO 8601 (None: the system clock).
    now: str | None = None
    #: ``--operator``: who a visitor's actions are recorded as (None: as every command).
    operator: str | None = None
    max_visitors: int = 8
    #: Seconds without input after which a session is closed (0: never).
    idle_timeout: float = 1800.0

    @property
    def read_only(self) -> bool:
        return not self.allow_actions

    def page_title(self) -> str:
        """The browser tab's title: what is served, and whether it is read-only."""
        what = f"syncwatch demo ({self.scenario})" if self.demo else "syncwatch"
        return f"{what} · read-only" if self.read_only else what


def visitor_command(options: ServeOptions, *, tmpdir: Path, python: str = sys.executable) -> str:
    """The shell command one visitor's process runs (textual-serve runs it with ``sh -c``).

    ``exec``: the shell becomes the process, so its id is the visitor's (to stop it, to
    measure it). The same interpreter as ``serve`` (never ``uv run``, which would sync the
    environment again, without the ``serve`` extra). A demo visitor's process makes its
    temporary database under ``tmpdir`` (``TMPDIR``) and removes it when it ends; the
    environment's ``SYNCWATCH_DB`` is not passed on to it (a demo never writes into the
    user's database).
    """
    argv = [python, "-m", "syncwatch"]
    if options.read_only:
        argv.append("--read-only")
    if options.now is not None:
        argv += ["--now", options.now]
    if options.operator is not None:
        argv += ["--operator", options.operator]
    environment: list[str] = []
    if options.demo:
        environment = ["env", "-u", "SYNCWATCH_DB", f"TMPDIR={tmpdir}"]
        argv += ["demo", "--scenario", options.scenario]
    else:
        argv += ["--interval", repr(options.interval)]
        if options.db is not None:
            argv += ["--db", options.db]
    return "exec " + shlex.join([*environment, *argv])


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.0/8, ``::1``,
    ``localhost``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(eq=False, slots=True)
class Visitor:
    """One connected browser: its number (from 1, for the logs and its folder) and when it
    last sent input."""

    number: int
    last_input: float
    #: Set when the session is to be closed (idle, or the server stopping).
    closing: bool = field(default=False)


class Visitors:
    """The visitors connected now, at most ``limit`` at once, and which are idle."""

    def __init__(
        self,
        limit: int,
        idle_timeout: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``idle_timeout``: seconds without input before a session is idle (0: never)."""
        self.limit = limit
        self.idle_timeout = idle_timeout
        self._clock = clock
        self._connected: list[Visitor] = []
        self._served = 0

    @property
    def connected(self) -> int:
        return len(self._connected)

    @property
    def full(self) -> bool:
        return len(self._connected) >= self.limit

    def admit(self) -> Visitor | None:
        """A new visitor, or None when ``limit`` are connected already."""
        if self.full:
            return None
        self._served += 1
        visitor = Visitor(self._served, self._clock())
        self._connected.append(visitor)
        return visitor

    def leave(self, visitor: Visitor) -> None:
        """``visitor``'s session has ended (a second call changes nothing)."""
        if visitor in self._connected:
            self._connected.remove(visitor)

    def typed(self, visitor: Visitor) -> None:
        """``visitor`` sent input (a key, the mouse, a resize): not idle."""
        visitor.last_input = self._clock()

    def idle(self) -> list[Visitor]:
        """The visitors without input for ``idle_timeout`` seconds, not yet closing."""
        if self.idle_timeout <= 0:
            return []
        now = self._clock()
        return [
            v for v in self._connected if not v.closing and now - v.last_input >= self.idle_timeout
        ]

    def all(self) -> list[Visitor]:
        return list(self._connected)


def busy_message(limit: int) -> str:
    """What a visitor over the limit is told (plain text)."""
    return (
        f"syncwatch is busy: {limit} visitor{'s are' if limit != 1 else ' is'} connected, the "
        "most this server takes at once (syncwatch serve --max-visitors). Please try again "
        "in a little while."
    )


def span(seconds: float) -> str:
    """A duration as a visitor reads it: ``30 minutes``, ``90 seconds``."""
    if seconds >= 120:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} seconds"


def idle_message(idle_timeout: float) -> str:
    """What a visitor whose session was closed for idleness is told (plain text)."""
    return (
        f"syncwatch closed this session after {span(idle_timeout)} without input "
        "(syncwatch serve --idle-timeout). Reload the page to start again."
    )
