"""``syncwatch receive``: the secret never comes from an argument; the real command serves."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from kombo_support import SECRET, example

from syncwatch.cli import main
from syncwatch.db import Store
from syncwatch.kombo.events import sign


@pytest.fixture
def no_secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KOMBO_WEBHOOK_SECRET", raising=False)


#: How long a wait for an event may last before the test fails instead of hanging.
HANG = 120.0


def _db(tmp_path: Path) -> str:
    return str(tmp_path / "r.db")


@pytest.mark.usefixtures("no_secret_env")
def test_receive_refuses_to_start_without_a_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", _db(tmp_path), "receive"]) == 2
    err = capsys.readouterr().err
    assert "KOMBO_WEBHOOK_SECRET" in err and "--secret-file" in err
    assert "Traceback" not in err


@pytest.mark.usefixtures("no_secret_env")
def test_receive_refuses_an_empty_or_unreadable_secret_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    assert main(["--db", _db(tmp_path), "receive", "--secret-file", str(empty)]) == 2
    assert "is empty" in capsys.readouterr().err
    missing = tmp_path / "missing"
    assert main(["--db", _db(tmp_path), "receive", "--secret-file", str(missing)]) == 2
    assert "cannot read the secret file" in capsys.readouterr().err


def test_the_secret_is_not_an_argument(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["receive", "--secret", "hunter2"])
    assert exit_info.value.code == 2


def test_receive_says_when_the_port_is_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KOMBO_WEBHOOK_SECRET", "s")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["--db", _db(tmp_path), "receive", "--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_the_real_command_receives_and_stops_on_sigterm(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET.decode() + "\n")  # a trailing newline is not the secret
    env = {k: v for k, v in os.environ.items() if k != "KOMBO_WEBHOOK_SECRET"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "syncwatch", "--db", _db(tmp_path), "receive",
         "--port", str(port), "--secret-file", str(secret_file)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    lines: queue.Queue[str | None] = queue.Queue()
    said: list[str] = []

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        url = f"http://127.0.0.1:{port}"
        # Ready when uvicorn says it runs, which it says once it listens (a hang fails).
        while not any("Uvicorn running on" in line for line in said):
            line = lines.get(timeout=HANG)
            assert line is not None, "receive ended: " + "".join(said)
            said.append(line)
        body = example("sync-finished")
        resp = httpx.post(
            url + "/webhooks/kombo",
            content=body,
            headers={"X-Kombo-Signature": sign(SECRET, body)},
            timeout=HANG,  # httpx's default 5 s is a bound on a busy machine's speed
        )
        assert resp.status_code == 200 and resp.json()["outcome"] == "applied"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=HANG) == 0
        reader.join(HANG)
        while (line := lines.get_nowait()) is not None:
            said.append(line)
        err = "".join(said)
        assert SECRET.decode() not in err  # the secret is never logged
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    store = Store.open(_db(tmp_path))
    try:
        assert [s.id for s in store.syncs("personio:CBNMt7dSNCzBdnRTx87dev4E")] == [
            "B89SCXXho7Yw8PGo8AKJxLn4"
        ]
    finally:
        store.close()
