"""Hostile data in a real terminal: ``scripts/hostile_check.py`` run in the suite.

The script builds a database whose organisations, tools, reasons, log lines, log URLs and
Kombo issue titles carry markup, escape sequences, CR, BEL, bidi overrides, zero-width
characters and a 1 MB log message; it starts the UI in tmux (also with ``NO_COLOR=1``),
moves over every row, opens every drill-down and checks the screen stays intact and shows
the data literally; then ``list``, ``show`` and ``logs`` must print no ESC byte. Without
tmux the test is skipped, except under CI (``CI`` set), where a missing tmux is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "hostile_check.py"


def test_hostile_data_is_shown_literally_in_a_real_terminal() -> None:
    if shutil.which("tmux") is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is not installed (CI must run the hostile-data check)")
        pytest.skip("tmux is not installed")
    done = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-20000:] + done.stderr[-5000:]
    assert "0 failed" in done.stdout
