"""``fleet`` and ``errors`` pay only for what they use: with nothing due, a SQLite file at
the schema head is read with the standard library alone, and what is printed is byte for
byte what the ``Store`` path prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from builders import NOW, integration_record, log_record, sync_record
from syncwatch.db import Store
from syncwatch.importer import import_files, load_sample

ORM = ("sqlalchemy", "sqlmodel", "pydantic", "alembic", "textual")
ESC = "\x1b"

WRAPPER = textwrap.dedent(
    f"""
    import atexit, json, os, runpy, sys

    def report():
        loaded = {{m.partition(".")[0] for m in sys.modules}}
        with open(os.environ["REPORT"], "w") as f:
            json.dump(sorted(loaded & set({ORM!r})), f)

    atexit.register(report)
    if os.environ.get("STORE_PATH"):
        from syncwatch.fastread import FastReader
        FastReader.open = classmethod(lambda cls, *args, **kwargs: None)
    runpy.run_module("syncwatch", run_name="__main__", alter_sys=True)
    """
)

Run = Callable[..., tuple[int, str, str, set[str]]]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample plus four Workday integrations down with the same 503 (an outage) and a
    hostile organisation and message; evaluated, so nothing is due at ``NOW``."""
    root = tmp_path_factory.mktemp("fleet-world")
    path = root / "world.db"
    store = Store.open(path)
    try:
        load_sample(store, NOW)
        records = []
        for i in range(4):  # with the sample's four Workday integrations: half of eight
            ended = NOW - timedelta(minutes=10 + i)
            message = f"503 Service Unavailable on GET /ccx/service/t{i}/x (page {i}) {ESC}[2J"
            records.append(
                integration_record(
                    f"workday:down{i}",
                    tool="workday",
                    organization=f"Org {ESC}[31m[bold]{i}[/bold]",
                    filters_configured=True,
                    qa_status="PASSED",
                    syncs=[
                        sync_record(
                            f"down{i}",
                            "FAILED",
                            ended - timedelta(minutes=2),
                            ended,
                            logs=[log_record(ended, "ERROR", message)],
                        )
                    ],
                )
            )
        source = root / "down.json"
        source.write_text(json.dumps({"integrations": records}), encoding="utf-8")
        import_files(store, [str(source)], NOW)
        store.evaluate_pass(NOW)
    finally:
        store.close()
    return path


@pytest.fixture
def run(tmp_path: Path) -> Run:
    wrapper = tmp_path / "wrapper.py"
    wrapper.write_text(WRAPPER, encoding="utf-8")
    report = tmp_path / "report.json"

    def run(*args: str, store_path: bool = False) -> tuple[int, str, str, set[str]]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCWATCH_")}
        env.update(REPORT=str(report), SYNCWATCH_NOW=NOW.isoformat())
        if store_path:
            env["STORE_PATH"] = "1"
        done = subprocess.run(
            [sys.executable, str(wrapper), *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        loaded = set(json.loads(report.read_text(encoding="utf-8")))
        return done.returncode, done.stdout, done.stderr, loaded

    return run


@pytest.mark.parametrize(
    "command",
    [
        ["fleet", "--json"],
        ["fleet", "--by", "organization", "--json"],
        ["fleet"],
        ["fleet", "--by", "organization"],
        ["errors", "--json"],
        ["errors", "--since", "1h", "--json"],
        ["errors"],
    ],
    ids=" ".join,
)
def test_nothing_due_reads_without_the_orm_and_prints_the_same(
    world: Path, run: Run, command: list[str]
) -> None:
    code, out, err, loaded = run("--db", str(world), *command)
    assert (code, err) == (0, "")
    assert loaded == set()
    store_code, store_out, store_err, store_loaded = run(
        "--db", str(world), *command, store_path=True
    )
    assert (store_code, store_err) == (0, "")
    assert "sqlalchemy" in store_loaded
    assert out == store_out
    if command[0] == "fleet" and "--json" in command:
        assert len(json.loads(out)["outages"]) == 1
