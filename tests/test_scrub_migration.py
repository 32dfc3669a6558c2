"""Revision 0003 (issue 12): a database an earlier syncwatch wrote holds no secret and no
huge copied text once upgraded, and its derived log ids are the ones the importer gives now.

The database is made at revision 0002 (the schema of the release before issue 12) and filled
the way that release filled it: text its redaction did not catch stored as sent, a 200 kB
message copied into the headline, the state reason and the history, log ids derived from
that text by the importer's recipe.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa

from builders import NOW, integration_record, log_record, sync_record
from syncwatch import migrations
from syncwatch.db import Store, schema_status, upgrade_schema
from syncwatch.db.engine import new_engine
from syncwatch.importer import prepare
from syncwatch.importer.upsert import import_files
from syncwatch.limits import HEADLINE_LIMIT, MESSAGE_LIMIT, NAME_LIMIT, cut_marker
from syncwatch.redact import REDACTED, redact


def _revision_0003() -> ModuleType:
    path = migrations.VERSIONS / "0003_scrub_stored_text.py"
    spec = importlib.util.spec_from_file_location("revision_0003", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REVISION = _revision_0003()
T = NOW - timedelta(days=1)

# One of each family issue 12 found kept, as an older syncwatch stored it (the secret part).
TOKEN = "0b7e3c1a9f2d4e6b8a0c"
AWS_ID, AWS_SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
B64 = "c3luY3dhdGNoOlMzY3IzdCE="
GOOGLE = "AIzaSyA1b2C3d4E5f6G7h8I9j0K_lMnOpQrStU-"
GITLAB = "glpat-xY9zAbCdEfGhIjKlMnOp"
NPM = "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
SECRETS = {
    "bearer_url_encoded": (f"Authorization: Bearer%20{TOKEN}", TOKEN),
    "aws": (f"{AWS_ID} {AWS_SECRET}", AWS_SECRET),
    "bearer_nbsp": ("Bearer\u00a0papi_7f3c9e1d2b4a6f80", "papi_7f3c9e1d2b4a6f80"),
    "basic": (f"retry with Basic {B64}", B64),
    "pass": ("ldap bind pass=hunter22x", "hunter22x"),
    "google": (f"key {GOOGLE}", GOOGLE[4:]),
    "gitlab": (f"clone with {GITLAB}", GITLAB[6:]),
    "npm": (f"publish with {NPM}", NPM[4:]),
    "sig": ("GET https://a.blob.core.windows.net/c?sv=2022&sig=Kx9v3Yq0aBcDeFgH&se=1", "Kx9v3Yq0"),
    "url_password": ("Acme (https://admin:hunt3r2pw@acme.example/hr)", "hunt3r2pw"),
}
ALL_SECRETS = [secret for _text, secret in SECRETS.values()]
BIG = "HTTP 500 from /employees: " + "x" * 200_000 + f" Bearer {TOKEN}"


def _tables(conn: sa.Connection) -> dict[str, sa.Table]:
    meta = sa.MetaData()
    meta.reflect(conn)
    return dict(meta.tables)


def _old_id(sync_id: str, at: datetime, level: str, field: str | None, msg: str, n: int) -> str:
    return str(REVISION.derive_log_id(sync_id, at, level, field, msg, n))


def _fill_0002(url: str) -> dict[str, Any]:
    """A database at revision 0002 holding what the release before issue 12 stored."""
    engine = new_engine(url)
    s = SECRETS
    logs: list[dict[str, Any]] = []

    def log(sid: str, k: int, level: str, msg: str, field: str | None = None, **kw: Any) -> None:
        at = T + timedelta(seconds=k)
        n = sum(1 for x in logs if (x["sync_id"], x["at"], x["level"], x["field"], x["message"])
                == (sid, at, level, field, msg)) + 1  # fmt: skip
        lid = kw.get("id") or _old_id(sid, at, level, field, msg, n)
        logs.append({"id": lid, "sync_id": sid, "integration_id": "personio:acme", "at": at,
                     "level": level, "message": msg, "field": field})  # fmt: skip

    for i, (name, (text, _secret)) in enumerate(s.items()):
        log("s1", i, "ERROR", f"{name}: {text}")
    log("s1", 50, "ERROR", BIG)
    log("s1", 51, "WARNING", "field missing", field=f"custom.api_key={TOKEN}")
    # Two lines with different secrets, same second: after scrubbing they read the same.
    log("s1", 52, "ERROR", f"retry {GITLAB}")
    log("s1", 52, "ERROR", "retry glpat-AbCdEfGhIjKlMnOpQrStUv")
    # Two identical lines (occurrences 1 and 2), and a line whose id the file gave.
    log("s1", 53, "ERROR", s["pass"][0])
    log("s1", 53, "ERROR", s["pass"][0])
    log("s1", 54, "ERROR", s["npm"][0], id="given-by-the-file-1")
    log("s1", 55, "INFO", "Synced 1,284 records")  # nothing to scrub: id kept
    reason = f"Last sync finished Nov 25, 12:00 and failed: {BIG}."
    with engine.begin() as conn:
        migrations.run_upgrade(conn, "0002")
        t = _tables(conn)
        conn.execute(t["integration"].insert(), [{
            "id": "personio:acme", "tool": f"personio {GITLAB}", "category": "HRIS",
            "organization": s["url_password"][0], "environment": "production",
            "created_at": T - timedelta(days=30), "enabled": True, "filters_configured": True,
            "state": "SYNC_FAILING", "state_reason": reason, "state_since": T,
            "disabled_reason": f"off: {s['basic'][0]}", "last_sync_warnings": 1,
            "last_sync_errors": 3, "dirty": False, "revision": 1,
            "imported_facts": json.dumps({"organization": s["url_password"][0],
                                          "tool": f"personio {GITLAB}"}, sort_keys=True),
        }])  # fmt: skip
        conn.execute(t["sync"].insert(), [{
            "id": "s1", "integration_id": "personio:acme", "type": "DELTA", "state": "FAILED",
            "started_at": T, "ended_at": T + timedelta(minutes=5), "warnings": 1, "errors": 3,
            "headline": BIG, "log_url": f"https://app.kombo.dev/logs/s1?{s['sig'][0].split('?')[1]}",
        }])  # fmt: skip
        conn.execute(t["log_entry"].insert(), logs)
        conn.execute(t["state_change"].insert(), [
            {"integration_id": "personio:acme", "from_state": "ACTIVE", "to_state": "SYNC_FAILING",
             "at": T, "reason": reason},
            {"integration_id": "personio:acme", "from_state": None, "to_state": "ACTIVE",
             "at": T - timedelta(days=1), "reason": f"first: {s['google'][0]}"},
        ])  # fmt: skip
        conn.execute(t["audit_entry"].insert(), [{
            "integration_id": "personio:acme", "actor": f"ops {s['aws'][0]}", "action": "approve",
            "at": T,
        }])  # fmt: skip
        conn.execute(t["event"].insert(), [{
            "integration_id": "personio:acme", "kind": "note", "at": T,
            "message": s["bearer_nbsp"][0],
        }])  # fmt: skip
        body = json.dumps(
            {
                "id": "ev1",
                "type": "issue-status-changed",
                "data": {"note": "hidden Bearer\\u0020" + TOKEN, "password": {"v": "hunter22x"}},
            }
        )
        conn.execute(t["webhook_event"].insert(), [{
            "id": "ev1", "seq": 1, "type": "issue-status-changed", "received_at": T,
            "body": body.replace("\\\\u0020", "\\u0020"), "outcome": "applied",
            "integration_id": "personio:acme",
        }])  # fmt: skip
        conn.execute(t["integration_issue"].insert(), [{
            "id": "i1", "integration_id": "personio:acme", "type": f"auth {GITLAB}",
            "title": "t" * (NAME_LIMIT + 50), "status": "OPEN", "message": BIG,
            "first_observed_at": T, "updated_at": T,
        }])  # fmt: skip
    engine.dispose()
    return {"logs": logs}


def _all_text(url: str) -> str:
    engine = new_engine(url)
    try:
        with engine.connect() as conn:
            out = []
            for table in _tables(conn).values():
                for row in conn.execute(sa.select(table)):
                    out.extend(v for v in row if isinstance(v, str))
            return "\n".join(out)
    finally:
        engine.dispose()


def _logs(url: str) -> dict[str, tuple[str, str | None]]:
    engine = new_engine(url)
    try:
        with engine.connect() as conn:
            t = _tables(conn)["log_entry"]
            rows = conn.execute(sa.select(t.c.id, t.c.message, t.c.field)).all()
            return {r.id: (r.message, r.field) for r in rows}
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- the recipe


@pytest.mark.parametrize(
    ("at", "level", "field", "message", "n"),
    [
        (NOW, "ERROR", None, "HTTP 503 from /employees", 1),
        (NOW.replace(microsecond=123), "WARNING", "hris.employees.dob", "missing", 2),
        (NOW.astimezone(timezone(timedelta(hours=2))), "INFO", "", "Synced", 1),
        (NOW, "ERROR", f"custom.api_key={REDACTED}", f"Bearer {REDACTED}", 3),
        (NOW, "ERROR", None, "m" * MESSAGE_LIMIT + cut_marker(MESSAGE_LIMIT + 9), 1),
        (NOW, "ERROR", None, "Ümlaut \x1b[2J\n\t line", 1),
    ],
)
def test_the_migration_derives_log_ids_as_the_importer_does(
    at: datetime, level: str, field: str | None, message: str, n: int
) -> None:
    """The migration's copy of the recipe gives the importer's ids (for stored texts)."""
    # The importer's name for it since issue 12; ``log_id`` before (same recipe).
    importer_recipe = getattr(prepare, "derive_log_id", prepare.log_id)
    assert REVISION.derive_log_id("s1", at, level, field, message, n) == importer_recipe(
        "s1", at, level, field, message, n
    )


def test_a_migrated_database_and_a_reimport_agree_on_log_ids(tmp_path: Path) -> None:
    """Lines an older syncwatch stored with a secret, imported again from the same file
    after the upgrade, are found already there: no line is added twice."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    lines = [
        log_record(T, "ERROR", f"HTTP 401 (Authorization: Bearer%20{TOKEN})"),
        log_record(T, "ERROR", f"HTTP 401 (Authorization: Bearer%20{TOKEN})"),
        log_record(T + timedelta(seconds=1), "WARNING", f"clone with {GITLAB}"),
        log_record(T + timedelta(seconds=2), "INFO", "Synced 12 records"),
    ]
    record = integration_record(syncs=[sync_record("s1", "FAILED", T, logs=lines)])
    path = tmp_path / "import.json"
    path.write_text(json.dumps({"integrations": [record]}), encoding="utf-8")
    store = Store.open(url)
    try:
        import_files(store, [str(path)], NOW)
    finally:
        store.close()
    imported = set(_logs(url))
    # Make it what the release before stored: the raw text, ids hashed from it.
    engine = new_engine(url)
    # The schema of that release: later migrations' columns undone by their downgrades, on
    # a plain engine (SQLite's foreign keys off: the downgrades rebuild tables).
    from alembic import command

    plain = sa.create_engine(url)
    with plain.begin() as conn:
        command.downgrade(migrations.alembic_config(conn), "0003")
    plain.dispose()
    with engine.begin() as conn:
        t = _tables(conn)["log_entry"]
        conn.execute(t.delete())
        seen: dict[tuple[Any, ...], int] = {}
        for line in lines:
            at = datetime.fromisoformat(line["at"]).astimezone(UTC)
            key = (at, line["level"], line["message"])
            n = seen[key] = seen.get(key, 0) + 1
            conn.execute(t.insert().values(
                id=_old_id("s1", at, line["level"], None, line["message"], n), sync_id="s1",
                integration_id="personio:acme", at=at, level=line["level"],
                message=line["message"], field=None))  # fmt: skip
        migrations.stamp(conn, "0002")
    engine.dispose()
    assert TOKEN in _all_text(url)

    store = Store.open(url)  # upgraded here
    try:
        assert set(_logs(url)) == imported
        report = import_files(store, [str(path)], NOW)
        assert report.logs_added == 0
        assert store.counts()["log_entries"] == 4
    finally:
        store.close()


# --------------------------------------------------------------------------- the scrub


@pytest.fixture
def old_db(db_url: str) -> Iterator[tuple[str, dict[str, Any]]]:
    put = _fill_0002(db_url)
    assert schema_status(db_url).revision == "0002"
    yield db_url, put


def test_no_secret_survives_the_upgrade(old_db: tuple[str, dict[str, Any]]) -> None:
    url, _put = old_db
    before = _all_text(url)
    for secret in [*ALL_SECRETS, GITLAB[6:], "hunter22x"]:
        assert secret in before, secret
    upgrade_schema(url)
    after = _all_text(url)
    for secret in [*ALL_SECRETS, GITLAB[6:], "hunter22x", TOKEN]:
        assert secret not in after, secret
    assert schema_status(url).revision == migrations.head()


def test_huge_text_is_capped_and_headlines_and_reasons_are_short(
    old_db: tuple[str, dict[str, Any]],
) -> None:
    url, _put = old_db
    upgrade_schema(url)
    store = Store.open(url)
    try:
        (row,) = store.integrations()
        (sync,) = store.syncs(row.id)
        assert sync.headline is not None and len(sync.headline) <= HEADLINE_LIMIT
        assert sync.headline.startswith("HTTP 500 from /employees: xxx")
        assert row.state_reason is not None and len(row.state_reason) <= REVISION.REASON_LIMIT
        assert row.state_reason.startswith("Last sync finished Nov 25, 12:00 and failed: HTTP 500")
        assert all(len(h.reason) <= REVISION.REASON_LIMIT for h in store.history(row.id))
        messages = [m for m, _f in _logs(url).values()]
        (big,) = [m for m in messages if m.startswith("HTTP 500")]
        assert big == redact(BIG)[:MESSAGE_LIMIT] + cut_marker(len(redact(BIG)))
        assert len(row.organization) <= NAME_LIMIT
    finally:
        store.close()
    text = _all_text(url)
    assert "t" * (NAME_LIMIT + 1) not in text  # the issue title, cut
    assert "x" * (MESSAGE_LIMIT + 1) not in text


def test_log_ids_derived_from_text_are_derived_again_and_given_ids_kept(
    old_db: tuple[str, dict[str, Any]],
) -> None:
    url, put = old_db
    upgrade_schema(url)
    after = _logs(url)
    assert len(after) == len(put["logs"])  # nothing lost, nothing merged
    assert "given-by-the-file-1" in after
    assert after["given-by-the-file-1"][0] == f"publish with npm_{REDACTED}"
    unchanged = next(x for x in put["logs"] if x["message"] == "Synced 1,284 records")
    assert unchanged["id"] in after
    # Every other id is the importer's recipe on the scrubbed text, numbered per content.
    seen: dict[tuple[Any, ...], int] = {}
    expected = set()
    for x in sorted(put["logs"], key=lambda x: (x["at"], x["id"])):
        message = REVISION.stored_message(x["message"])
        field = redact(x["field"]) if x["field"] else x["field"]
        key = (x["at"], x["level"], field, message)
        n = seen[key] = seen.get(key, 0) + 1
        if x["id"] == "given-by-the-file-1":
            expected.add(x["id"])
        else:
            expected.add(_old_id("s1", x["at"], x["level"], field, message, n))
    assert set(after) == expected
    (fld,) = [f for _m, f in after.values() if f]
    assert fld == f"custom.api_key={REDACTED}"


def test_a_second_upgrade_changes_nothing(old_db: tuple[str, dict[str, Any]]) -> None:
    url, _put = old_db
    upgrade_schema(url)
    once = _all_text(url)
    assert upgrade_schema(url)[0].state == "current"
    assert _all_text(url) == once


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_database_file_holds_no_secret_after_the_upgrade(
    old_db: tuple[str, dict[str, Any]],
) -> None:
    """`strings` on the file: the old text is not left in freed space (secure_delete).

    Debian's SQLite zeroes freed space by default; others (Python's own builds for macOS
    and Windows) do not, so the upgrade runs here on a connection that does not either."""
    url, _put = old_db
    path = Path(url.removeprefix("sqlite:///"))
    engine = new_engine(url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA secure_delete = OFF")
            conn.commit()  # end the transaction the pragma began
            with conn.begin():
                migrations.run_upgrade(conn)
            assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 0  # set back
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.commit()
    finally:
        engine.dispose()
    Store.open(url).close()
    data = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    for secret in [*ALL_SECRETS, GITLAB[6:], "hunter22x", TOKEN]:
        assert secret.encode() not in data, secret
