"""Preparing log rows for the load, with no database: redaction, derived ids, stored
time text, per-sync counts and headline; and the forked worker that shares this work on
the other core for large imports.
"""

from __future__ import annotations

import ctypes
import hashlib
import marshal
import multiprocessing as mp
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from syncwatch.db import Store
from syncwatch.db.bulk import Row, utc_time
from syncwatch.importer.parse import read_file, records_of
from syncwatch.importer.schema import Record
from syncwatch.limits import cap_message, headline
from syncwatch.redact import redact
from syncwatch.signatures import signature
from syncwatch.states import LogLevel, SyncState, SyncType


def stored_text(text: str) -> str:
    """A log message as it is stored: secrets redacted (:func:`syncwatch.redact.redact`),
    then cut at :data:`syncwatch.limits.MESSAGE_LIMIT` (:func:`syncwatch.limits.cap_message`).
    Redacted first, so a secret that straddles the cut is still found whole. A log
    entry's ``field`` is stored redacted (it is a name: never longer than NAME_LIMIT)."""
    return cap_message(redact(text))


def derive_log_id(
    sync_id: str, at: datetime, level: str, field: str | None, message: str, occurrence: int
) -> str:
    """The id of a log entry that has none in the file, derived from its content as stored.

    ``field`` and ``message`` are the stored (redacted, capped) texts: ``redact(field)``
    and :func:`stored_text` of the message, so the database never needs the raw secret
    and re-importing the same file gives the same ids. ``level`` is the level's name
    (``"ERROR"``); ``at`` any aware time (it is hashed in UTC). The occurrence number (1,
    2, ...: counting the entries of the sync, in file order, with the same time, level,
    stored field and stored message) keeps identical lines within one sync apart.

    Stored ids depend on this exact recipe: changing it would duplicate every id-less
    entry on re-import. For a message and field with no secret, and a message within the
    limit, it gives the ids of every earlier release.
    """
    key = "\x1f".join(
        (
            sync_id,
            at.astimezone(UTC).isoformat(),
            str(level),
            field or "",
            message,
            str(occurrence),
        )
    )
    return hashlib.blake2b(key.encode(), digest_size=12).hexdigest()


@lru_cache(maxsize=1 << 16)
def line_signature(message: str) -> str | None:
    """:func:`syncwatch.signatures.signature` of a stored message, remembered: the same
    warnings repeat across syncs and integrations (also in the forked worker, which
    inherits its own copy)."""
    return signature(message)


#: The earlier name of :func:`derive_log_id` (the importer benchmark uses it).
log_id = derive_log_id


#: Enum members as the plain strings that are stored (and bound fastest).
_PLAIN: dict[str, str] = {m: m.value for e in (LogLevel, SyncState, SyncType) for m in e}


#: One sync ready to store: its row (in the order of ``db.bulk.SYNC_COLUMNS``, with the
#: counts and headline of its log entries) and its log entries' rows (in the order of
#: ``db.bulk.LOG_COLUMNS``); times in the form the BulkWriter binds.
PreparedSync = tuple[Row, list[Row]]

#: Log rows gathered before they are written (a flush also lets a worker run ahead); the
#: worker sends its rows in batches of this size. One setting for both: the upsert reads
#: it from this module when it runs.
FLUSH_ROWS = 20_000


def _utc_text(t: datetime) -> str:
    """:func:`syncwatch.db.bulk.sqlite_time` of a time already in UTC, at two thirds of the cost."""
    day, clock = t.date().isoformat(), t.time().isoformat()
    return f"{day} {clock}" if t.microsecond else f"{day} {clock}.000000"


def prepare_record(
    rec: Record, fast: bool, redacted: dict[str, str] | None = None
) -> list[PreparedSync]:
    """Redact, cap, identify and format the log entries of one record's syncs (no database).

    ``fast``: times as the text SQLite stores (see :func:`syncwatch.db.bulk.sqlite_time`),
    else aware UTC datetimes. Every time in ``rec`` is already UTC. ``redacted`` remembers
    texts (messages and fields) already made into their stored form, across calls: sync
    logs repeat the same lines (in the importer benchmark's file, 300,000 entries hold
    114,000 distinct messages), and a lookup is cheaper than a scan. The sync's headline
    is the short form (:func:`syncwatch.limits.headline`) of its first error or warning,
    its signature that line's. A warning or error line's signature
    (:func:`syncwatch.signatures.signature`) comes through :func:`line_signature`.
    """
    rid = rec["id"]
    levels = _PLAIN
    blake2b = hashlib.blake2b
    stored_time = _utc_text if fast else utc_time
    memo: dict[str, str] = {} if redacted is None else redacted
    sign = line_signature
    out: list[PreparedSync] = []
    for sync in rec.get("syncs", ()):
        sid = sync["id"]
        rows: list[Row] = []
        warnings = errors = 0
        # The headline candidates, as (at, id, message).
        first_error: tuple[datetime, str, str] | None = None
        first_warning: tuple[datetime, str, str] | None = None
        occurrences: dict[tuple[Any, ...], int] = {}
        for log in sync.get("logs", ()):
            at = log["at"]
            level = levels[log["level"]]
            text = log["message"]
            message = memo.get(text)
            if message is None:
                message = memo[text] = stored_text(text)
            fld = log.get("field")
            if fld is not None:
                # A field is a name, at most NAME_LIMIT long, so its stored form is the same
                # whether it is taken for a field or a message: the memo is shared.
                stored_field = memo.get(fld)
                if stored_field is None:
                    stored_field = memo[fld] = redact(fld)
                fld = stored_field
            content = (at, level, fld, message)
            n = occurrences[content] = occurrences.get(content, 0) + 1
            # at.isoformat() is "<day>T<time>+00:00" (UTC), but costs 1.5x as much:
            # pydantic's tzinfo is asked for the offset on every call.
            day, clock = at.date().isoformat(), at.time().isoformat()
            lid = log.get("id")
            if not lid:
                # derive_log_id(), inlined: this runs once per entry.
                key = "\x1f".join((sid, f"{day}T{clock}+00:00", level, fld or "", message, str(n)))
                lid = blake2b(key.encode(), digest_size=12).hexdigest()
            if fast:  # sqlite_time(), inlined
                stored: Any = f"{day} {clock}" if at.microsecond else f"{day} {clock}.000000"
            else:
                stored = at
            if level == "INFO":
                rows.append((lid, sid, rid, stored, level, message, fld, None))
                continue
            rows.append((lid, sid, rid, stored, level, message, fld, sign(message)))
            if level == "ERROR":
                errors += 1
                if first_error is None or (at, lid) < first_error[:2]:
                    first_error = (at, lid, message)
            else:
                warnings += 1
                if first_warning is None or (at, lid) < first_warning[:2]:
                    first_warning = (at, lid, message)
        first = first_error or first_warning
        ended = sync.get("ended_at")
        sync_row = (
            sid,
            rid,
            _PLAIN[sync.get("type", SyncType.DELTA)],
            _PLAIN[sync["state"]],
            stored_time(sync["started_at"]),
            None if ended is None else stored_time(ended),
            warnings,
            errors,
            headline(first[2]) if first else None,
            sign(first[2]) if first else None,
        )
        out.append((sync_row, rows))
    return out


def prepared_logs(
    records: Sequence[Record], fast: bool, worker: PreparationWorker | None = None
) -> Generator[list[PreparedSync]]:
    """:func:`prepare_record` for each record, in order, shared with ``worker`` if given
    (on the SQLite fast path: the worker's rows hold text times)."""
    if worker is not None and fast:
        yield from worker.prepared(records)
        return
    redacted: dict[str, str] = {}
    for rec in records:
        yield prepare_record(rec, fast, redacted)


def can_fork() -> bool:
    # Forking a process that runs other threads can copy a lock some thread held: only a
    # single-threaded process (the command line) forks.
    return "fork" in mp.get_all_start_methods() and threading.active_count() == 1


#: Imports of at least this many bytes of files share the preparation of log rows with
#: a worker process (about 30,000 log entries).
PARALLEL_MIN_BYTES = 5_000_000
#: How many log entries' worth of records the worker claims at a time (one lock each).
_CLAIM_LOGS = 500
#: bounds[1] until the importing process knows how many records there are.
_NO_END_YET = 2**62


@contextmanager
def preparation_worker(
    store: Store, paths: Sequence[str], shift: timedelta | None
) -> Iterator[PreparationWorker | None]:
    """A :class:`PreparationWorker` for a large import of ``paths`` into a SQLite store
    (None otherwise), stopped when the block ends."""
    worker = None
    if store.is_sqlite and can_fork():
        try:
            size = sum(Path(p).stat().st_size for p in paths)
        except OSError:
            size = 0  # read_file reports it
        if size >= PARALLEL_MIN_BYTES:
            worker = PreparationWorker(paths, shift)
    try:
        yield worker
    finally:
        if worker is not None:
            worker.close()


class PreparationWorker:
    """A forked process that prepares the log rows of an import on the other core.

    It is forked before the files are parsed and parses them itself, at the same time as
    the importing process does: the two never share the records' memory (a fork after the
    parse had both processes copy most of it, page by page, as they touched it), and the
    worker has rows ready when the writing starts. Both sides parse the same bytes with
    the same code, so record ``i`` is the same record on both.

    The work is then shared from both ends (:meth:`prepared`): the worker takes records
    from the front, the importing process, which writes to the database meanwhile, takes
    them from the back whenever it would otherwise wait. Which side is faster depends on
    the machine and the file; taking work from both ends balances it without a guess.
    The ends are indexes in shared memory under a lock: ``bounds[0]`` is the next record
    the worker takes, ``bounds[1]`` one past the last it may take. Whatever the worker
    does not deliver (it failed, or the files did not parse), the importing process
    prepares itself.
    """

    def __init__(self, paths: Sequence[str], shift: timedelta | None) -> None:
        ctx = mp.get_context("fork")
        self._bounds = ctx.RawArray("q", [0, _NO_END_YET])
        self._lock = ctx.Lock()
        self._receiver, sender = ctx.Pipe(duplex=False)
        self._process = ctx.Process(
            target=_worker,
            args=(
                list(paths),
                shift,
                self._bounds,
                self._lock,
                sender,
                os.getpid(),
                self._receiver,
            ),
            daemon=True,
        )
        self._process.start()
        sender.close()

    def close(self) -> None:
        """Stop the worker (it may still be running if the import failed) and reap it."""
        self._receiver.close()
        if self._process.is_alive():
            self._process.kill()
        self._process.join()

    def prepared(self, records: Sequence[Record]) -> Generator[list[PreparedSync]]:
        """Prepared records in order; records taken from the back wait for their turn.

        The worker sends what it prepared in order, in batches of about FLUSH_ROWS
        entries, then an empty message.
        """
        bounds, lock, receiver = self._bounds, self._lock, self._receiver
        with lock:
            bounds[1] = len(records)
        redacted: dict[str, str] = {}
        from_worker: deque[list[PreparedSync]] = deque()
        from_back: dict[int, list[PreparedSync]] = {}
        worker_done = False
        for k in range(len(records)):
            while True:
                if from_worker:
                    yield from_worker.popleft()
                    break
                if k in from_back:
                    yield from_back.pop(k)
                    break
                if worker_done:
                    # The worker stopped before record k: it failed; prepare the rest here.
                    yield prepare_record(records[k], True, redacted)
                    break
                if not receiver.poll():
                    # Nothing has arrived: take the last record nobody has taken, if any.
                    # (Records at or past bounds[1] are this side's: k is below it.)
                    with lock:
                        free = bounds[1] > bounds[0]
                        if free:
                            bounds[1] -= 1
                        taken = bounds[1]
                    if free:
                        from_back[taken] = prepare_record(records[taken], True, redacted)
                        continue
                try:
                    data = receiver.recv_bytes()  # waits only when nothing is left to take
                except (EOFError, OSError):
                    data = b""  # the worker died
                if data:
                    from_worker.extend(marshal.loads(data))
                else:
                    worker_done = True


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def set_parent_death_signal() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies (``prctl(PR_SET_PDEATHSIG)``);
    False where that is not available. Called in a forked child, first thing."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)) == 0
    except (OSError, AttributeError):  # pragma: no cover - no libc or no prctl in it
        return False


def _end_with_parent(parent: int, receiver: Any) -> None:
    """Make sure the worker does not outlive the importing process, whatever ends it
    (kill -9 included): the worker would hold the files' memory and the database's file
    descriptors for as long as nobody killed it.

    On Linux the kernel kills it when the parent dies. A parent that died between the
    fork and the prctl call is not covered by it, so the parent id is checked after.
    Everywhere, the worker closes its copy of the pipe's reading end, so a send to a dead
    parent fails (EPIPE) instead of blocking forever, and it checks the parent id between
    claims of work.
    """
    receiver.close()
    set_parent_death_signal()
    if os.getppid() != parent:
        os._exit(0)


def _worker(
    paths: list[str],
    shift: timedelta | None,
    bounds: Any,
    lock: Any,
    sender: Any,
    parent: int,
    receiver: Any,
) -> None:
    """In the forked worker: parse the files as ``import_parsed`` sees them, then
    prepare records from the front until it meets the records the parent took from the
    back, sending batches of about FLUSH_ROWS entries, then an empty message. It ends
    with the importing process (:func:`_end_with_parent`).

    Batches travel as ``marshal`` data (rows hold only str, int and None on the fast path):
    it loads several times faster than pickle, and loading is on the writing process's path.
    """
    _end_with_parent(parent, receiver)
    try:
        records = [rec for path in paths for rec in records_of(read_file(path), shift)]
        sizes = [sum(len(s.get("logs", ())) for s in r.get("syncs", ())) for r in records]
        redacted: dict[str, str] = {}
        batch: list[list[PreparedSync]] = []
        rows = 0
        size = FLUSH_ROWS // 10  # a small first batch: the parent may be waiting for it
        while os.getppid() == parent:
            with lock:
                start = end = bounds[0]
                last = min(bounds[1], len(records))
                claimed = 0
                while end < last and (end == start or claimed < _CLAIM_LOGS):
                    claimed += sizes[end]
                    end += 1
                bounds[0] = end
            if start == end:
                break
            for i in range(start, end):
                batch.append(prepare_record(records[i], True, redacted))
            rows += claimed
            if rows >= size:
                sender.send_bytes(marshal.dumps(batch))
                batch, rows, size = [], 0, FLUSH_ROWS
        if batch:
            sender.send_bytes(marshal.dumps(batch))
        sender.send_bytes(b"")
    except Exception:  # the parent sees the pipe close and prepares the rest itself
        pass
    finally:
        sender.close()
