"""The preferences file (issue 15, item 8): read with defaults, written atomically with our
keys only, round trips any text, and a file that is not ours is never overwritten."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncwatch.preferences import (
    Preferences,
    PreferencesError,
    default_path,
    dumps,
    load,
    save,
    update,
)


def test_no_file_means_the_defaults(tmp_path: Path) -> None:
    loaded = load(tmp_path / "config.toml")
    assert loaded.preferences == Preferences()
    assert loaded.problem is None


def test_update_writes_the_folder_and_the_file_and_keeps_other_keys(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "syncwatch" / "config.toml"
    update(path, theme="nord")
    update(path, grouping="tool", bell=True)
    assert load(path).preferences == Preferences(theme="nord", grouping="tool", bell=True)
    assert tomllib.loads(path.read_text("utf-8")) == {
        "theme": "nord",
        "sort_reversed": False,
        "grouping": "tool",
        "bell": True,
    }
    # No temporary file is left beside it.
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.toml"]


@given(st.text(max_size=40))
def test_any_text_round_trips(text: str) -> None:
    written = dumps(Preferences(theme=text, view=text))
    assert tomllib.loads(written)["theme"] == text


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"theme = \n", "not a TOML file"),
        (b"\xff\xfe", "not a TOML file"),
        (b"theme = 'nord'\n[editor]\nfont = 'mono'\n", "editor"),
        (b"bell = 'yes'\n", "bell should be true or false"),
        (b"theme = 3\n", "theme should be a string"),
    ],
)
def test_a_file_that_is_not_ours_is_said_and_never_overwritten(
    tmp_path: Path, content: bytes, said: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(content)
    loaded = load(path)
    assert loaded.preferences == Preferences()
    assert loaded.problem is not None and said in loaded.problem
    with pytest.raises(PreferencesError):
        update(path, theme="nord")
    with pytest.raises(PreferencesError):
        save(path, Preferences(theme="nord"))
    assert path.read_bytes() == content


def test_a_failed_write_leaves_the_old_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    update(path, theme="nord")
    before = path.read_bytes()
    # A folder where the file should be: neither read nor replaced.
    path.unlink()
    path.mkdir()
    with pytest.raises(PreferencesError):
        save(path, Preferences(theme="dracula"))
    assert path.is_dir()
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]
    path.rmdir()
    path.write_bytes(before)
    assert load(path).preferences.theme == "nord"


def test_only_known_keys_and_types_are_accepted(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        update(tmp_path / "config.toml", colour="red")
    with pytest.raises(ValueError):
        update(tmp_path / "config.toml", bell="yes")
    assert not (tmp_path / "config.toml").exists()


def test_the_path_follows_xdg_config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if sys.platform != "linux":
        pytest.skip("XDG_CONFIG_HOME is the Linux convention")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert default_path() == tmp_path / "syncwatch" / "config.toml"
