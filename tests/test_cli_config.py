"""``syncwatch config`` and ``--theme`` (issue 15, item 8): the preferences file's path and
values, plain and ``--json``; a file not ours said (exit 2) and left alone; an unknown theme
a usage error listing the themes, before anything opens; nothing heavy imported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cli_probe
from syncwatch.cli import main
from syncwatch.preferences import update

HEAVY = (*cli_probe.ORM, "rich", "aiohttp", "textual_serve")
ESC = "\x1b"


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def test_config_before_anything_is_chosen(
    config_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert (
        out[0]
        == f"{config_home / 'syncwatch' / 'config.toml'}  (not written yet: the defaults apply)"
    )
    assert "  theme          default" in out
    assert "  bell           false" in out
    assert not (config_home / "syncwatch").exists()  # reading never writes


def test_config_shows_the_chosen_values_plain_and_json(
    config_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config_home / "syncwatch" / "config.toml"
    update(path, theme="nord", view="only failing", grouping="tool", bell=True)
    assert main(["config"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == str(path)
    assert "  theme          nord" in out
    assert "  view           only failing" in out
    assert "  bell           true" in out
    assert main(["config", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {
        "path": str(path),
        "exists": True,
        "problem": None,
        "preferences": {
            "theme": "nord",
            "view": "only failing",
            "sort": None,
            "sort_reversed": False,
            "grouping": "tool",
            "bell": True,
        },
    }


def test_config_says_when_the_file_is_not_ours(
    config_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config_home / "syncwatch" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"theme = \n")
    assert main(["config", "--json"]) == 2
    captured = capsys.readouterr()
    assert "not a TOML file" in json.loads(captured.out)["problem"]
    assert "not a TOML file" in captured.err
    assert "Traceback" not in captured.err
    assert path.read_bytes() == b"theme = \n"


def test_hostile_values_are_shown_literally(
    config_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    update(config_home / "syncwatch" / "config.toml", theme=f"x{ESC}[2J[bold]y")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert ESC not in out
    assert "␛[2J[bold]y" in out
    assert main(["config", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["preferences"]["theme"] == f"x{ESC}[2J[bold]y"


def test_an_unknown_theme_is_a_usage_error_listing_the_themes(
    tmp_path: Path, config_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "never.db"
    assert main(["--db", str(db), "--theme", "no-such-theme"]) == 2
    err = capsys.readouterr().err
    assert "unknown theme 'no-such-theme'" in err
    assert "catppuccin-latte" in err and "textual-dark" in err
    assert "Traceback" not in err
    assert not db.exists()  # said before anything was opened


def test_config_and_its_help_load_nothing_heavy(tmp_path: Path) -> None:
    for args in (["config"], ["config", "--json"], ["config", "--help"]):
        result = cli_probe.run(tmp_path, *args, watched=HEAVY)
        assert result.code == 0, result.err
        assert result.loaded == set(), args
