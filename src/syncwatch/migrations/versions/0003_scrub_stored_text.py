"""Scrub the text an earlier syncwatch stored (issue 12): secrets redacted, huge text cut.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

No schema change. A database written before issue 12 may hold secrets the redaction table
did not know then (``Bearer%20...``, AWS secret keys, ``glpat-...``, a password in an
organisation's URL, a key in a log entry's field, Kombo event bodies and issue texts) and
log messages of any size copied into headlines, state reasons and history. This revision
brings every stored text to what this syncwatch stores for the same input:

- every text column that holds data text is redacted (:func:`syncwatch.redact.redact`;
  stored Kombo event bodies and the imported facts with :func:`~syncwatch.redact.redact_json`);
- log messages and Kombo issue messages are capped (:func:`syncwatch.limits.cap_message`);
  names (tool, organisation, environment, issue type and title) cut at ``NAME_LIMIT``;
- sync headlines become their short one-line form (:func:`syncwatch.limits.headline`), and
  state reasons and history reasons (built from a headline) are shortened the same way;
- log ids that the importer derived from a message's text are derived again from the
  scrubbed text, as the importer now derives them (:func:`derive_log_id`), so re-importing
  the same file adds no duplicates and no id is a hash of a secret.

Ids given in a file, integration, sync and event ids are kept. On SQLite the scrub runs
with ``PRAGMA secure_delete=ON``, so the pages it rewrites and frees are zeroed rather than
left holding the old text; the file's write-ahead log still holds old pages until it is
checkpointed (the schema module truncates it after an upgrade).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

from syncwatch.limits import HEADLINE_LIMIT, NAME_LIMIT, cap_message, headline
from syncwatch.redact import redact, redact_json

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)
#: Rows read and written per round trip.
PAGE = 5_000
#: Syncs whose log entries are scrubbed together.
SYNCS_PER_ROUND = 500
#: A state or history reason is a sentence around a sync's headline: longer than the
#: headline by its wording ("Last sync finished Nov 5, 12:00 with 3 errors: ...").
REASON_LIMIT = 2 * HEADLINE_LIMIT


# --------------------------------------------------------------------------- the recipe


def derive_log_id(
    sync_id: str, at: datetime, level: str, field: str | None, message: str, occurrence: int
) -> str:
    """The id the importer gives a log entry that has none in its file: a copy of
    ``syncwatch.importer.prepare.derive_log_id`` as it is at this revision (a migration
    must not change when the importer does; ``tests/test_scrub_migration.py`` checks the
    two agree). ``field`` and ``message`` are the stored (redacted, capped) texts;
    ``occurrence`` counts the entries of the sync with the same time, level, field and
    message (1, 2, ...). The revisions before this one used the same recipe on the text
    they stored, which is how an id derived then is recognised here."""
    key = "\x1f".join(
        (sync_id, at.astimezone(UTC).isoformat(), str(level), field or "", message, str(occurrence))
    )
    return hashlib.blake2b(key.encode(), digest_size=12).hexdigest()


# --------------------------------------------------------------------------- what is stored


def stored_message(text: str) -> str:
    """A log or issue message as this syncwatch stores it: redacted, then capped."""
    return cap_message(redact(text))


def stored_name(text: str) -> str:
    """A name (tool, organisation, environment, issue type or title): redacted, and cut at
    NAME_LIMIT, ending in ``…``, when an earlier version stored a longer one."""
    text = redact(text)
    return text if len(text) <= NAME_LIMIT else text[: NAME_LIMIT - 1] + "…"


def stored_headline(text: str) -> str:
    """A sync's headline: the short one-line form of its (redacted) message."""
    short = headline(redact(text))
    assert short is not None
    return short


def stored_reason(text: str) -> str:
    """A state, history or disabled reason: redacted; one that carries a long headline is
    shortened to one line of at most :data:`REASON_LIMIT` characters."""
    text = redact(text)
    if len(text) <= REASON_LIMIT:
        return text
    short = headline(text, REASON_LIMIT)
    assert short is not None
    return short


def stored_json(text: str) -> str:
    """A stored JSON document (a Kombo event body, the imported facts) with every secret
    in it replaced; left byte for byte when there is none. Text that is not JSON is
    redacted as text."""
    try:
        doc = json.loads(text)
    except ValueError:
        return redact(text)
    scrubbed = redact_json(doc)
    if scrubbed == doc:
        return text
    return json.dumps(scrubbed, ensure_ascii=False)


def stored_facts(text: str) -> str:
    """The imported facts, in the importer's own JSON form (sorted, compact)."""
    try:
        doc = json.loads(text)
    except ValueError:
        return redact(text)
    scrubbed = redact_json(doc)
    if scrubbed == doc:
        return text
    return json.dumps(scrubbed, sort_keys=True, separators=(",", ":"))


#: Texts remembered by :func:`_memo` (each at most MEMO_TEXT characters long).
MEMO_SIZE = 200_000
MEMO_TEXT = 4_096


def _memo(fn: Callable[[str], str]) -> Callable[[Any], Any]:
    """``fn`` for text, ``None`` kept, and each distinct short text scrubbed once (logs,
    headlines and reasons repeat the same lines; a huge one is not kept in memory)."""
    seen: dict[str, str] = {}

    def scrub(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        got = seen.get(value)
        if got is None:
            got = fn(value)
            if len(value) <= MEMO_TEXT and len(seen) < MEMO_SIZE:
                seen[value] = got
        return got

    return scrub


# --------------------------------------------------------------------------- the scrub


def _table(name: str, *columns: str, times: Sequence[str] = ()) -> sa.TableClause:
    cols = [sa.column(c, TIME) if c in times else sa.column(c) for c in columns]
    return sa.table(name, *cols)


def _pages(conn: Connection, table: sa.TableClause, key: str) -> Iterator[Sequence[Any]]:
    """Every row of ``table`` in pages, by ``key`` (keyset paging: updates that keep the
    key do not disturb it)."""
    last: Any = None
    while True:
        query = sa.select(table).order_by(table.c[key]).limit(PAGE)
        if last is not None:
            query = query.where(table.c[key] > last)
        rows = conn.execute(query).all()
        if not rows:
            return
        yield rows
        last = getattr(rows[-1], key)


def _scrub_columns(
    conn: Connection, name: str, key: str, scrubbers: dict[str, Callable[[Any], Any]]
) -> int:
    """Apply ``scrubbers`` (column -> scrubbed value) to every row of table ``name``;
    only the rows that change are written. Returns how many were."""
    table = _table(name, key, *scrubbers)
    update = (
        table.update()
        .where(table.c[key] == sa.bindparam("_key"))
        .values({c: sa.bindparam(f"_{c}") for c in scrubbers})
    )
    changed = 0
    for rows in _pages(conn, table, key):
        writes = []
        for row in rows:
            new = {c: fn(getattr(row, c)) for c, fn in scrubbers.items()}
            if any(new[c] != getattr(row, c) for c in scrubbers):
                writes.append({"_key": getattr(row, key), **{f"_{c}": v for c, v in new.items()}})
        if writes:
            conn.execute(update, writes)
            changed += len(writes)
    return changed


def _scrub_logs(conn: Connection) -> int:
    """Scrub log messages and fields and derive again the ids derived from them.

    Per sync: an entry whose id is the old recipe's hash of its stored content (with an
    occurrence number up to the count of entries sharing that content) was derived by the
    importer. When its content changes, it gets the new content's hash with the same
    occurrence number, which is what the importer gives the same line from the same file;
    when scrubbing makes two contents one (two secrets both become ``[REDACTED]``), the
    numbers are made distinct (the importer's would follow the file's order, which is not
    stored: such a line may be added once more by a re-import).
    """
    log = _table("log_entry", "id", "sync_id", "at", "level", "message", "field", times=("at",))
    sync_ids = [r[0] for r in conn.execute(sa.select(log.c.sync_id).distinct())]
    message_of, field_of = _memo(stored_message), _memo(redact)
    update = (
        log.update()
        .where(log.c.id == sa.bindparam("_old"))
        .values(id=sa.bindparam("_id"), message=sa.bindparam("_m"), field=sa.bindparam("_f"))
    )
    changed = 0
    for start in range(0, len(sync_ids), SYNCS_PER_ROUND):
        chunk = sync_ids[start : start + SYNCS_PER_ROUND]
        rows = conn.execute(
            sa.select(log.c.id, log.c.sync_id, log.c.at, log.c.level, log.c.message, log.c.field)
            .where(log.c.sync_id.in_(chunk))
            .order_by(log.c.sync_id, log.c.at, log.c.id)
        ).all()
        by_sync: dict[str, list[Any]] = {}
        for r in rows:
            by_sync.setdefault(r.sync_id, []).append(r)
        writes: list[dict[str, Any]] = []
        for sid, entries in by_sync.items():
            writes.extend(_relabel(sid, entries, message_of, field_of))
        if writes:
            conn.execute(update, writes)
            changed += len(writes)
    return changed


def _relabel(
    sid: str,
    entries: list[Any],
    message_of: Callable[[Any], Any],
    field_of: Callable[[Any], Any],
) -> list[dict[str, Any]]:
    """The writes for one sync's log entries (see :func:`_scrub_logs`)."""
    scrubbed = [(message_of(e.message), field_of(e.field)) for e in entries]
    if all((m, f) == (e.message, e.field) for e, (m, f) in zip(entries, scrubbed, strict=True)):
        return []  # the common case: nothing in this sync changes
    at_of = [e.at if e.at.tzinfo else e.at.replace(tzinfo=UTC) for e in entries]
    # The occurrence number of each entry whose id the old recipe derived.
    old_content = [(at, e.level, e.field, e.message) for at, e in zip(at_of, entries, strict=True)]
    sizes = Counter(old_content)
    numbers: dict[tuple[Any, ...], dict[str, int]] = {}
    occurrence: list[int | None] = []
    for content, e in zip(old_content, entries, strict=True):
        table = numbers.get(content)
        if table is None:
            at, level, fld, msg = content
            table = numbers[content] = {
                derive_log_id(sid, at, level, fld, msg, n): n for n in range(1, sizes[content] + 1)
            }
        occurrence.append(table.get(e.id))
    # Numbers taken under each new content by the entries that keep theirs.
    taken: dict[tuple[Any, ...], set[int]] = {}
    moving: list[int] = []
    for i, (e, (m, f)) in enumerate(zip(entries, scrubbed, strict=True)):
        if (m, f) != (e.message, e.field):
            moving.append(i)
        elif occurrence[i] is not None:
            taken.setdefault((at_of[i], e.level, f, m), set()).add(occurrence[i] or 0)
    writes = []
    for i in sorted(moving, key=lambda i: (occurrence[i] or 0, entries[i].id)):
        e, (m, f) = entries[i], scrubbed[i]
        new_id = e.id
        n = occurrence[i]
        if n is not None:  # derived: derive it again from what is stored now
            used = taken.setdefault((at_of[i], e.level, f, m), set())
            while n in used:
                n += 1
            used.add(n)
            new_id = derive_log_id(sid, at_of[i], e.level, f, m, n)
        writes.append({"_old": e.id, "_id": new_id, "_m": m, "_f": f})
    return writes


def upgrade() -> None:
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    was: Any = 0
    if sqlite:
        # Zero what the scrub frees (the old text of a rewritten row, freed pages) instead of
        # leaving it in the file; set back afterwards (a per-connection setting).
        was = conn.exec_driver_sql("PRAGMA secure_delete").scalar()
        conn.exec_driver_sql("PRAGMA secure_delete = ON")
    try:
        name, reason = _memo(stored_name), _memo(stored_reason)
        _scrub_columns(
            conn,
            "integration",
            "id",
            {
                "tool": name,
                "organization": name,
                "environment": name,
                "state_reason": reason,
                "disabled_reason": reason,
                "imported_facts": _memo(stored_facts),
            },
        )
        _scrub_columns(
            conn, "sync", "id", {"headline": _memo(stored_headline), "log_url": _memo(redact)}
        )
        _scrub_logs(conn)
        _scrub_columns(conn, "state_change", "id", {"reason": reason})
        _scrub_columns(conn, "audit_entry", "id", {"actor": _memo(stored_name)})
        _scrub_columns(conn, "event", "id", {"message": _memo(stored_message)})
        _scrub_columns(
            conn, "webhook_event", "id", {"type": _memo(redact), "body": _memo(stored_json)}
        )
        _scrub_columns(
            conn,
            "integration_issue",
            "id",
            {"type": name, "title": name, "message": _memo(stored_message)},
        )
    finally:
        if sqlite:
            conn.exec_driver_sql(f"PRAGMA secure_delete = {int(was or 0)}")


def downgrade() -> None:
    """Nothing to undo: the secrets are gone, and the scrubbed text fits every schema."""
