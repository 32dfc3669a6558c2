"""``list``, ``show`` and ``logs`` on hostile data: every data-provided field reaches the
terminal safe (no ESC, CR, BEL, C1 control, bidi or zero-width character, no markup read),
in text and in JSON (where the data stays exact: JSON escapes what it must)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from syncwatch.cli import main

NOW = "2026-11-26T12:00:00Z"
ESC = "\x1b"
#: An id, an organisation and a message with everything a terminal would act on.
IID = f"evil:{ESC}[2J\u202e"
ORG = f"Org {ESC}[31m\x9b2J\x7f\u200b\u2028[bold]x[/bold]"
MESSAGE = f"boom {ESC}]8;;https://evil.example{ESC}\\link\r\x07 \u2029 [/]"
FIELD = f"field{ESC}[H\u2066"
#: Raw in the output, any of these would be acted on by a terminal (or reorder a line).
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _doc() -> dict[str, Any]:
    return {
        "integrations": [
            {
                "id": IID,
                "tool": f"tool{ESC}[5m",
                "category": "HRIS",
                "organization": ORG,
                "created_at": "2026-10-01T00:00:00Z",
                "filters_configured": True,
                "syncs": [
                    {
                        "id": f"sync{ESC}[K",
                        "state": "FAILED",
                        "started_at": "2026-11-26T10:00:00Z",
                        "ended_at": "2026-11-26T10:05:00Z",
                        "logs": [
                            {
                                "at": "2026-11-26T10:01:00Z",
                                "level": "ERROR",
                                "message": MESSAGE,
                                "field": FIELD,
                            }
                        ],
                    }
                ],
            }
        ]
    }


@pytest.fixture
def db(tmp_path: Path) -> Path:
    source = tmp_path / "hostile.json"
    source.write_text(json.dumps(_doc()), encoding="utf-8")
    path = tmp_path / "hostile.db"
    assert main(["--db", str(path), "--now", NOW, "import", str(source)]) == 0
    return path


def run(db: Path, capfd: pytest.CaptureFixture[str], *args: str) -> str:
    capfd.readouterr()
    assert main(["--db", str(db), "--now", NOW, *args]) == 0
    return capfd.readouterr().out


@pytest.mark.parametrize(
    "command",
    [("list",), ("list", "--all"), ("show", IID), ("logs", IID)],
    ids=["list", "list-all", "show", "logs"],
)
def test_text_output_shows_every_data_field_visibly(
    db: Path, capfd: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    out = run(db, capfd, *command)
    raw = RAW.search(out)
    assert raw is None, f"{raw.group()!r} raw in {out!r}"
    if command[0] == "logs":
        assert "boom ␛]8;;https://evil.example␛\\link␍␇ ␤ [/]" in out
        assert "[field␛[H<U+2066>]" in out
        assert "sync␛[K" in out
    else:
        assert "Org ␛[31m<U+009B>2J␡<U+200B>␤[bold]x[/bold]" in out
        assert "evil:␛[2J<U+202E>" in out
        assert "tool␛[5m" in out


def test_show_names_the_id_in_its_next_step_visibly(
    db: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = run(db, capfd, "show", IID)
    next_step = next(line for line in out.splitlines() if "Next step" in line)
    assert "(syncwatch release-qa evil:␛[2J<U+202E>)" in next_step
    assert RAW.search(next_step) is None


@pytest.mark.parametrize(
    "command",
    [("list", "--json"), ("show", IID, "--json"), ("logs", IID, "--json")],
    ids=["list", "show", "logs"],
)
def test_json_output_keeps_the_data_exact_and_escapes_what_a_terminal_acts_on(
    db: Path, capfd: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    out = run(db, capfd, *command)
    raw = RAW.search(out.replace("\n", ""))
    assert raw is None, f"{raw.group()!r} raw in {out!r}"
    doc = json.loads(out)
    if command[0] == "logs":
        assert doc[0]["message"] == MESSAGE
        assert doc[0]["field"] == FIELD
    else:
        row = doc[0] if isinstance(doc, list) else doc
        assert row["organization"] == ORG
        assert row["id"] == IID
