"""Issue 12, finding 4 for imports: no secret is kept.

Every imported text that is stored (organization, tool, log message, log field, and what
is made from them: the sync's headline, the state reason, the history, the record of
imported facts) goes through :func:`syncwatch.redact.redact`. The check is the user's:
the bytes of the database file (and its write-ahead log) hold none of the secrets, like
``strings`` on them, and neither does ``show --json``. An id holding a secret is refused
with its JSON path: ids are kept exactly, never redacted.
"""

from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from builders import NOW, WriteImport, ago, integration_record, log_record, sync_record
from syncwatch.cli import main
from syncwatch.db import Store
from syncwatch.importer import ImportRejected, import_files
from syncwatch.redact import FAMILIES, redact
from test_redact_properties import SECRETISH, SECRETS

#: One secret of each family as it appears in text, and the parts that must not be kept.
EXAMPLES: dict[str, tuple[str, list[str]]] = {
    "pem_private_key": (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpQIBAAKCAQEAq7Zr3fXk9Qm2\n"
        "-----END RSA PRIVATE KEY-----",
        ["MIIEpQIBAAKCAQEAq7Zr3fXk9Qm2"],
    ),
    "auth_header": ("Authorization: Token q8Xv2LmZp0Rt7Yw4Kd9s", ["q8Xv2LmZp0Rt7Yw4Kd9s"]),
    "cookie": ("Set-Cookie: SESSIONID=Zk29sLqP0xW8vB3n; Path=/", ["Zk29sLqP0xW8vB3n"]),
    "url_password": ("https://admin:Hu7nt3rTw0Pw@db.acme.example/x", ["Hu7nt3rTw0Pw"]),
    "curl_user": ("curl -u isu_sync:Wd9P4ssQz7 https://x.example", ["Wd9P4ssQz7"]),
    "bearer": ("Bearer%20b7e3c1a9f2d4e6b8a0c2e4f6", ["b7e3c1a9f2d4e6b8a0c2e4f6"]),
    "basic": ("Basic dXNlcjpTM2NyM3RQdw==", ["dXNlcjpTM2NyM3RQdw"]),
    "password": ("login user=bob pass=Hx7Qm2Lp9 ok", ["Hx7Qm2Lp9"]),
    "secret_parameter": ('{"client_secret": "gs9f8e7dQzXw"}', ["gs9f8e7dQzXw"]),
    "url_signature": (
        "GET https://a.blob.core.windows.net/c?sv=2022&sig=abcDEF9Kq2Lm%2B12%3D&se=1",
        ["abcDEF9Kq2Lm"],
    ),
    "aws_access_key": (
        "AKIAQ3EXAMPLEK7ZP4MN wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEYq",
        ["Q3EXAMPLEK7ZP4MN", "wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEYq"],
    ),
    "jwt": (
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJxN2sifQ.Qm9yZWQ4c2lnbmF0dXJl",
        ["eyJzdWIiOiJxN2sifQ", "Qm9yZWQ4c2lnbmF0dXJl"],
    ),
    "slack_webhook": (
        "https://hooks.slack.com/services/T024QZ/B01AQX/aBcDeFq7Z9",
        ["T024QZ/B01AQX/aBcDeFq7Z9"],
    ),
    "slack_token": ("xoxb-1234567890-0987654321-AbCdEfQz", ["1234567890-0987654321-AbCdEfQz"]),
    "github_token": ("ghp_16C7e42F292c6912E7710c838347Ae178B4a",
                     ["16C7e42F292c6912E7710c838347Ae178B4a"]),
    "gitlab_token": ("glpat-xY9zAbCdEfGhIjKlMnOp", ["xY9zAbCdEfGhIjKlMnOp"]),
    "npm_token": ("npm_q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8",
                  ["q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8"]),
    "stripe_key": ("sk_live_51HqLyjWDarjtT1zdp7dcQ", ["51HqLyjWDarjtT1zdp7dcQ"]),
    "google_key": ("AIzaSyD3x4mpl3K3yQwErTyUiOpAsDfGhJkLzXc",
                   ["SyD3x4mpl3K3yQwErTyUiOpAsDfGhJkLzXc"]),
    "sk_dash_key": (
        "sk-proj-Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8",
        ["Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8"],
    ),
}  # fmt: skip


def test_every_family_has_an_example() -> None:
    assert set(EXAMPLES) == {family.name for family in FAMILIES}
    for text, parts in EXAMPLES.values():
        assert all(part in text for part in parts)
        assert not any(part in redact(text) for part in parts)  # the examples are secrets


def _record(iid: str, text: str) -> dict[str, Any]:
    """An integration with ``text`` in every free-text field: its tool, its organization,
    a log entry's message (an error: it becomes the headline and the state reason) and
    field."""
    logs = [
        log_record(ago(hours=2), "ERROR", f"401 {text} retry", field=text),
        log_record(ago(hours=2, minutes=1), "WARNING", text),
    ]
    return integration_record(
        iid,
        tool=text,
        organization=f"Acme {text}",
        filters_configured=True,
        qa_status="PASSED",
        syncs=[
            sync_record(f"{iid}_1", "SUCCEEDED", ago(hours=8)),
            sync_record(f"{iid}_2", "FAILED", ago(hours=3), logs=logs),
        ],
    )


def _database_bytes(db: Path) -> bytes:
    """The database file and its write-ahead log, as ``strings`` would read them."""
    return b"".join(
        Path(f"{db}{suffix}").read_bytes()
        for suffix in ("", "-wal")
        if Path(f"{db}{suffix}").exists()
    )


def _kept(blob: bytes, parts: list[str]) -> list[str]:
    return [part for part in parts if part.encode() in blob]


def test_no_secret_of_any_family_is_in_the_database_file(
    tmp_path: Path, write_import: WriteImport, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "s.db"
    records = [_record(f"fam:{name}", text) for name, (text, _) in EXAMPLES.items()]
    store = Store.open(db)
    try:
        import_files(store, [write_import(records)], NOW)
        blob = _database_bytes(db)  # the write-ahead log still holds the import
        for name, (_, parts) in EXAMPLES.items():
            assert _kept(blob, parts) == [], name
            row = store.get(f"fam:{name}")
            assert row is not None and "[REDACTED]" in row.organization
            assert "[REDACTED]" in row.tool
            assert "[REDACTED]" in (row.state_reason or "")
    finally:
        store.close()
    assert b"[REDACTED]" in _database_bytes(db)  # the test reads the data where it is
    for name, (_, parts) in EXAMPLES.items():
        assert _kept(_database_bytes(db), parts) == [], name

        code = main(
            ["--db", str(db), "--now", "2026-11-26T12:00:00Z", "show", f"fam:{name}", "--json"]
        )
        shown = capsys.readouterr().out
        assert code == 0
        assert json.loads(shown)["id"] == f"fam:{name}"
        assert _kept(shown.encode(), parts) == [], name


def test_re_importing_a_file_with_secrets_in_every_field_changes_nothing(
    tmp_path: Path, write_import: WriteImport
) -> None:
    """The stored (redacted) texts and ids are what a second import of the same file makes."""
    path = write_import([_record(f"fam:{name}", text) for name, (text, _) in EXAMPLES.items()])
    store = Store.open(tmp_path / "r.db")
    try:
        import_files(store, [path], NOW)
        before = store.integrations(), [store.logs(r.id) for r in store.integrations()]
        report = import_files(store, [path], NOW)
        assert (report.updated, report.syncs_added, report.logs_added) == (0, 0, 0)
        assert (store.integrations(), [store.logs(r.id) for r in store.integrations()]) == before
    finally:
        store.close()


@functools.cache
def _empty_schema_bytes() -> bytes:
    """The bytes of a new, empty syncwatch database: its schema's own names."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "empty.db"
        Store.open(db).close()
        return _database_bytes(db)


@pytest.mark.parametrize("family", sorted(SECRETS))
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_generated_secret_is_kept_in_the_database_file(family: str, data: st.DataObject) -> None:
    """A property test: a generated secret of each family, in every text field of an
    import, is not in the bytes of the database file."""
    text, parts = data.draw(SECRETS[family], label="secret")
    text = text.strip()
    for part in parts:
        assume(text.count(part) == 1 and not SECRETISH.search(part) and "REDACTED" not in part)
        # Shorter or plainer, it may be in the file by chance ("000000" ends every time).
        assume(len(part) >= 8 and len(set(part)) >= 5)
        # Nor a name of the schema's own ("ix_event_integration" was drawn once).
        assume(part.encode() not in _empty_schema_bytes())
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "import.json"
        path.write_text(json.dumps({"integrations": [_record("p:1", text)]}), encoding="utf-8")
        db = root / "p.db"
        store = Store.open(db)
        try:
            import_files(store, [str(path)], NOW)
            assert _kept(_database_bytes(db), parts) == []
        finally:
            store.close()
        assert _kept(_database_bytes(db), parts) == []


ID_PATHS = [
    pytest.param(lambda s: integration_record(s, tool="t"), "integrations[0].id", id="integration"),
    pytest.param(lambda s: integration_record(
        "a:1", syncs=[sync_record(s, "SUCCEEDED", ago(hours=2))]),
        "integrations[0].syncs[0].id", id="sync"),
    pytest.param(lambda s: integration_record("a:1", syncs=[sync_record(
        "s1", "SUCCEEDED", ago(hours=2), logs=[log_record(ago(hours=2), "INFO", "m", id=s)])]),
        "integrations[0].syncs[0].logs[0].id", id="log"),
]  # fmt: skip


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # refused before any SQL
@pytest.mark.parametrize(("build", "path"), ID_PATHS)
@pytest.mark.parametrize("family", ["github_token", "url_password", "password"])
def test_an_id_holding_a_secret_is_refused_with_its_json_path(
    store: Store, write_import: WriteImport, build: Any, path: str, family: str
) -> None:
    text, parts = EXAMPLES[family]
    bad = write_import([build(f"x:{text}")])
    with pytest.raises(ImportRejected) as err:
        import_files(store, [bad], NOW)
    [problem] = err.value.problems
    assert (problem.file, problem.path) == (bad, path)
    assert "secret" in problem.message
    assert not any(part in str(err.value) for part in parts)  # the error does not repeat it
    assert store.counts()["integrations"] == 0
