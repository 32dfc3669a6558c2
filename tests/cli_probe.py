"""A syncwatch command in a fresh interpreter, and which heavy packages it loaded.

Shared by the tests of the commands' fast paths on SQLite (``test_cli_imports.py``) and
PostgreSQL (``test_cli_pg_fast.py``): ``python -m syncwatch ARGS`` runs under a wrapper
that, at exit, writes which of the packages the test asks about were imported. With
``store_path=True`` the fast reader of both backends is switched off (its ``open``
answers ``None``), so the same command takes the ``Store`` path: the two outputs can then
be compared byte for byte.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: What a reading command with nothing to do must not load.
ORM = ("sqlalchemy", "sqlmodel", "pydantic", "alembic", "textual")

WRAPPER = """
import atexit, json, os, runpy, sys

def report():
    loaded = {m.partition(".")[0] for m in sys.modules}
    with open(os.environ["REPORT"], "w") as f:
        json.dump(sorted(loaded & set(json.loads(os.environ["WATCHED"]))), f)

atexit.register(report)
if os.environ.get("STORE_PATH"):
    from syncwatch.fastread import FastReader
    from syncwatch.pgread import PgReader
    FastReader.open = classmethod(lambda cls, *args, **kwargs: None)
    PgReader.open = classmethod(lambda cls, *args, **kwargs: None)
runpy.run_module("syncwatch", run_name="__main__", alter_sys=True)
"""


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str
    #: The watched packages the process had loaded when it exited.
    loaded: set[str]


def probe_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment: a home of its own, no colour, a dumb terminal."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "NO_COLOR": "1",
        "TERM": "dumb",
        "REPORT": str(tmp_path / "loaded.json"),
    }
    env.update(extra)
    return env


def run(
    tmp_path: Path,
    *args: str,
    watched: Iterable[str] = ORM,
    store_path: bool = False,
    **env: str,
) -> Run:
    """``python -m syncwatch ARGS`` in a fresh interpreter (``store_path``: the Store path),
    reporting which of the ``watched`` packages it loaded."""
    extra = {"STORE_PATH": "1"} if store_path else {}
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=probe_env(tmp_path, WATCHED=json.dumps(sorted(watched)), **extra, **env),
        timeout=120,  # keeps a hung command from hanging the suite; bounds no figure
        check=False,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    loaded = set(json.loads((tmp_path / "loaded.json").read_text("utf-8")))
    return Run(proc.returncode, proc.stdout, proc.stderr, loaded)
