"""Issue 12, findings 6 and 13: no silent loss, and errors that say where.

- A log id given twice (in two syncs, or twice in one sync with other content) is an error
  naming the file and both JSON paths; the same entry given twice in one sync, identical
  in every field, is the same entry: stored once.
- A log id already stored under another sync (of another integration or not) is an error
  naming the file, the path and who has it, not "UNIQUE constraint failed".
- The same file given twice (under any spelling) is an error naming both arguments.
- A UTF-8 byte order mark is skipped; a UTF-16 or UTF-32 file, or bytes that are not
  UTF-8, are refused naming the encoding.
- ``deleted_at`` before ``created_at`` is refused with its path.

Each refusal changes nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from builders import NOW, WriteImport, ago, db_snapshot, integration_record, log_record, sync_record
from syncwatch.cli import main
from syncwatch.db import Store
from syncwatch.importer import ImportRejected, import_files


def _entry(message: str, id: str, **fields: Any) -> dict[str, Any]:
    return log_record(ago(hours=3), "WARNING", message, id=id, **fields)


def _record(iid: str, *syncs: tuple[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return integration_record(
        iid,
        syncs=[
            sync_record(sid, "PARTIALLY_FAILED", ago(hours=4), logs=logs) for sid, logs in syncs
        ],
    )


def _rejected(store: Store, paths: list[str]) -> ImportRejected:
    before = db_snapshot(store)
    with pytest.raises(ImportRejected) as err:
        import_files(store, paths, NOW)
    assert db_snapshot(store) == before
    return err.value


# --------------------------------------------------------------------------- log ids


def test_the_same_log_id_in_two_syncs_of_one_file_is_refused_naming_both_paths(
    store: Store, write_import: WriteImport
) -> None:
    bad = write_import(
        [
            _record(
                "a:1",
                ("s1", [_entry("first", "L")]),
                ("s2", [_entry("other", "x"), _entry("second", "L")]),
            )
        ]
    )
    err = _rejected(store, [bad])
    [problem] = err.problems
    assert (problem.file, problem.path) == (bad, "integrations[0].syncs[1].logs[1].id")
    assert "'L'" in problem.message
    assert "integrations[0].syncs[0].logs[0]" in problem.message
    assert store.counts()["log_entries"] == 0


def test_the_same_log_id_in_two_integrations_is_refused(
    store: Store, write_import: WriteImport
) -> None:
    bad = write_import(
        [_record("a:1", ("s1", [_entry("m", "L")])), _record("b:1", ("s2", [_entry("m", "L")]))]
    )
    [problem] = _rejected(store, [bad]).problems
    assert problem.path == "integrations[1].syncs[0].logs[0].id"
    assert "integrations[0].syncs[0].logs[0]" in problem.message


def test_the_same_log_id_in_two_files_is_refused_naming_the_other_file(
    store: Store, write_import: WriteImport
) -> None:
    one = write_import([_record("a:1", ("s1", [_entry("m", "L")]))], "one.json")
    two = write_import([_record("b:1", ("s2", [_entry("m", "L")]))], "two.json")
    [problem] = _rejected(store, [one, two]).problems
    assert (problem.file, problem.path) == (two, "integrations[0].syncs[0].logs[0].id")
    assert f"{one}: integrations[0].syncs[0].logs[0]" in problem.message


def test_the_same_log_id_twice_in_one_sync_with_other_text_is_refused(
    store: Store, write_import: WriteImport
) -> None:
    bad = write_import([_record("a:1", ("s1", [_entry("first", "L"), _entry("second", "L")]))])
    [problem] = _rejected(store, [bad]).problems
    assert (problem.file, problem.path) == (bad, "integrations[0].syncs[0].logs[1].id")
    assert "integrations[0].syncs[0].logs[0]" in problem.message
    assert "differ" in problem.message


@pytest.mark.parametrize("what", ["field", "level", "at"])
def test_the_same_log_id_twice_in_one_sync_differing_in_any_field_is_refused(
    store: Store, write_import: WriteImport, what: str
) -> None:
    first = _entry("same", "L", field="f")
    second = dict(first)
    second[what] = {"field": "g", "level": "ERROR", "at": "2026-11-26T08:00:00Z"}[what]
    bad = write_import([_record("a:1", ("s1", [first, second]))])
    [problem] = _rejected(store, [bad]).problems
    assert problem.path == "integrations[0].syncs[0].logs[1].id"


def test_an_identical_entry_given_twice_in_one_sync_is_stored_once(
    store: Store, write_import: WriteImport
) -> None:
    """Decision: the same id with the same content in the same sync is one entry (an export
    whose pages overlap), so nothing is lost by keeping it once."""
    entry = _entry("Could not fetch field x", "L", field="hris.x")
    report = import_files(
        store, [write_import([_record("a:1", ("s1", [entry, dict(entry)]))])], NOW
    )
    assert report.logs_added == 1
    [log] = store.logs("a:1")
    assert (log.id, log.message) == ("L", "Could not fetch field x")
    [sync] = store.syncs("a:1")
    assert (sync.warnings, sync.errors) == (1, 0)


@pytest.mark.parametrize("owner", ["another-integration", "another-sync-of-the-same"])
def test_a_log_id_stored_under_another_sync_is_refused_naming_its_owner(
    store: Store, write_import: WriteImport, owner: str
) -> None:
    import_files(
        store, [write_import([_record("a:1", ("s1", [_entry("m", "L")]))], "first.json")], NOW
    )
    iid = "b:1" if owner == "another-integration" else "a:1"
    bad = write_import(
        [_record(iid, ("s2", [_entry("ok", "fresh"), _entry("m", "L")]))], "bad.json"
    )
    [problem] = _rejected(store, [bad]).problems
    assert (problem.file, problem.path) == (bad, "integrations[0].syncs[0].logs[1].id")
    assert "'L'" in problem.message and "'s1'" in problem.message and "'a:1'" in problem.message
    assert "UNIQUE" not in problem.message


def test_reimporting_a_file_with_log_ids_is_still_idempotent(
    store: Store, write_import: WriteImport
) -> None:
    path = write_import([_record("a:1", ("s1", [_entry("m", "L"), _entry("n", "M")]))])
    import_files(store, [path], NOW)
    before = db_snapshot(store)
    report = import_files(store, [path], NOW)
    assert report.logs_added == 0
    assert db_snapshot(store) == before


# --------------------------------------------------------------------------- the same file


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # refused before any SQL
@pytest.mark.parametrize("spelling", ["same", "dot-slash", "symlink", "absolute"])
def test_the_same_file_given_twice_is_refused_naming_both_arguments(
    store: Store,
    write_import: WriteImport,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    spelling: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    write_import([_record("a:1", ("s1", [_entry("m", "L")]))], "a.json")
    other = {"same": "a.json", "dot-slash": "./a.json", "absolute": str(tmp_path / "a.json")}
    if spelling == "symlink":
        os.symlink("a.json", tmp_path / "link.json")
        other["symlink"] = "link.json"
    err = _rejected(store, ["a.json", other[spelling]])
    [problem] = err.problems
    assert problem.file == other[spelling]
    assert "same file" in problem.message and "'a.json'" in problem.message
    assert store.counts()["integrations"] == 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_import_of_the_same_path_twice_on_the_command_line_says_so(
    db_url: str, write_import: WriteImport, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_import([_record("a:1", ("s1", [_entry("m", "L")]))])
    code = main(["--db", db_url, "--now", "2026-11-26T12:00:00Z", "import", path, path])
    assert code == 2
    err = capsys.readouterr().err
    assert "same file" in err and path in err
    assert "UNIQUE" not in err and "Traceback" not in err


# --------------------------------------------------------------------------- encodings


def _document() -> bytes:
    doc = {"integrations": [integration_record("a:1", organization="Zürich AG")]}
    return json.dumps(doc, ensure_ascii=False).encode()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_utf8_byte_order_mark_is_skipped(store: Store, tmp_path: Path) -> None:
    """Decision: accepted. Windows tools write it; it cannot be mistaken for anything."""
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + _document())
    report = import_files(store, [str(path)], NOW)
    assert report.added == 1
    row = store.get("a:1")
    assert row is not None and row.organization == "Zürich AG"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("encoding", "name"),
    [
        ("utf-16", "UTF-16"),  # with its byte order mark
        ("utf-16-le", "UTF-16"),
        ("utf-16-be", "UTF-16"),
        ("utf-32", "UTF-32"),
    ],
)
def test_a_utf16_or_utf32_file_is_refused_naming_the_encoding(
    store: Store, tmp_path: Path, encoding: str, name: str
) -> None:
    path = tmp_path / "wide.json"
    path.write_bytes(_document().decode().encode(encoding))
    [problem] = _rejected(store, [str(path)]).problems
    assert problem.file == str(path)
    assert f"the file is {name}; syncwatch reads UTF-8" in problem.message


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_latin1_file_is_refused_naming_the_encoding(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "latin.json"
    path.write_bytes(_document().decode().encode("latin-1"))
    [problem] = _rejected(store, [str(path)]).problems
    assert "not UTF-8" in problem.message
    assert "byte 0xfc" in problem.message


# --------------------------------------------------------------------------- deletion


def test_deleted_at_before_created_at_is_refused(store: Store, write_import: WriteImport) -> None:
    """Decision: refused. A deletion before the creation is a broken record, and accepting it
    would purge the integration's syncs and logs at once (14 days after deleted_at)."""
    bad = write_import(
        [integration_record("a:1", created_at=ago(days=3), deleted_at=ago(days=3, seconds=1))]
    )
    [problem] = _rejected(store, [bad]).problems
    assert (problem.file, problem.path) == (bad, "integrations[0].deleted_at")
    assert "before created_at" in problem.message


def test_deleted_at_equal_to_created_at_is_accepted(
    store: Store, write_import: WriteImport
) -> None:
    path = write_import([integration_record("a:1", created_at=ago(days=3), deleted_at=ago(days=3))])
    assert import_files(store, [path], NOW).added == 1
