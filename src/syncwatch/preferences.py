"""The preferences the UI remembers between runs: theme, view, sort, grouping, bell.

One small TOML file under the user's config directory (``platformdirs``; on Linux
``$XDG_CONFIG_HOME/syncwatch/config.toml``). Read with :mod:`tomllib`, written here, simply:
our own keys only, through a temporary file in the same folder and ``os.replace`` (a reader
never sees half a file). A file that is not ours (not TOML, a key we do not know, a value
of the wrong type) is never overwritten: :func:`load` says what is wrong and :func:`save`
refuses. Standard library only (``syncwatch config`` and ``--help`` stay light).

The values are stored as words (a theme's name, a view's name, a column's key); whether a
word still means something (a theme that was removed, a column renamed) is for the UI to
decide when it applies them: an unknown word is ignored there, not here.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

#: The file's name inside syncwatch's config folder.
FILE_NAME = "config.toml"

_HEADER = (
    "# syncwatch's preferences, written by syncwatch when you change them in the UI.\n"
    "# See docs/preferences.md. Keys syncwatch does not know make it leave this file alone.\n"
)


@dataclass(frozen=True, slots=True)
class Preferences:
    """What the UI remembers. ``None``: not chosen (the UI's default applies)."""

    #: A Textual theme's name (``textual-dark``, ``catppuccin-latte``, ...).
    theme: str | None = None
    #: The list's view: ``all``, ``needs attention``, ``only failing``.
    view: str | None = None
    #: The sort column's key (``state``, ``organization``, ...).
    sort: str | None = None
    #: The sort reversed.
    sort_reversed: bool = False
    #: ``tool``, ``organization`` or ``none``.
    grouping: str | None = None
    #: Ring the terminal's bell when an integration gets worse.
    bell: bool = False

    def as_dict(self) -> dict[str, str | bool | None]:
        """Every key and its value (``None``: not chosen), in the file's order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


_TYPES: dict[str, type] = {"sort_reversed": bool, "bell": bool}


class PreferencesError(Exception):
    """The preferences file cannot be read as ours, or cannot be written."""


@dataclass(frozen=True, slots=True)
class Loaded:
    """What :func:`load` found: the preferences (defaults where the file says nothing) and,
    when the file is not ours, why (then :func:`save` leaves it alone)."""

    preferences: Preferences
    problem: str | None = None


def default_path() -> Path:
    """``config.toml`` in syncwatch's config folder (``XDG_CONFIG_HOME`` respected)."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("syncwatch", appauthor=False)) / FILE_NAME


def _parse(path: Path) -> Preferences | None:
    """The file's preferences; ``None`` when there is no file. Raises
    :class:`PreferencesError` when the file is not ours."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise PreferencesError(f"cannot read {path}: {error.strerror}") from None
    try:
        table: dict[str, Any] = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise PreferencesError(f"{path} is not a TOML file ({error})") from None
    known = {f.name for f in fields(Preferences)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise PreferencesError(f"{path} has keys syncwatch does not know: {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for key, value in table.items():
        wanted = _TYPES.get(key, str)
        if not isinstance(value, wanted):
            raise PreferencesError(
                f"{path}: {key} should be {'true or false' if wanted is bool else 'a string'}"
            )
        values[key] = value
    return Preferences(**values)


def load(path: Path) -> Loaded:
    """The preferences in ``path``: defaults when there is none; defaults and the problem
    when the file is not ours (unreadable, not TOML, keys or values we do not know)."""
    try:
        found = _parse(path)
    except PreferencesError as error:
        return Loaded(Preferences(), str(error))
    return Loaded(found or Preferences())


def _toml_string(text: str) -> str:
    """``text`` as a TOML basic string (quotes, backslashes and control characters
    escaped)."""
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def dumps(preferences: Preferences) -> str:
    """The file's text: the header, then each chosen value (``None`` ones are left out)."""
    lines = [_HEADER]
    for key, value in preferences.as_dict().items():
        if value is None:
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else _toml_string(value)
        lines.append(f"{key} = {text}\n")
    return "".join(lines)


def save(path: Path, preferences: Preferences) -> None:
    """Write ``preferences`` to ``path`` atomically (a temporary file in the same folder,
    then ``os.replace``), making the folder if need be. Raises :class:`PreferencesError`
    (nothing written) when the file there now is not ours, or the write fails."""
    _parse(path)  # raises when the file is not ours: checked now, not when the UI started
    text = dumps(preferences)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".config-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise PreferencesError(f"cannot write {path}: {error.strerror or error}") from None


def update(path: Path, **changes: str | bool | None) -> Preferences:
    """Read ``path``, change the given keys, write it back; returns what was written.
    Raises :class:`PreferencesError` as :func:`save` does (and for a file not ours)."""
    for key, value in changes.items():
        wanted = _TYPES.get(key, str)
        if key not in Preferences.__dataclass_fields__ or not (
            (value is None and wanted is str) or isinstance(value, wanted)
        ):
            raise ValueError(f"not a preference: {key}={value!r}")
    current = _parse(path) or Preferences()
    changed = replace(current, **changes)  # type: ignore[arg-type]  # checked above
    if changed != current or not path.exists():
        save(path, changed)
    return changed
