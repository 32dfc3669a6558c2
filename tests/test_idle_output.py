"""An idle syncwatch sends the terminal little: in a real pseudo-terminal, between two ticks
of the header's clock (nothing else changing: no pass due for an hour), it writes the
header line again, not the whole screen. A full repaint a second was 80 KB/s of output at
160x45, over SSH too, all shift long.

The test waits on what the app draws (two different clock readings in the header), never on
time itself: it reads until the header has ticked twice after the first pass."""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
from itertools import pairwise
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")

ROWS, COLS = 45, 160
#: The header's clock, e.g. "Dec 5 20:54:34 UTC".
CLOCK = re.compile(rb"(\d{2}:\d{2}:\d{2}) UTC")
#: One full screen of the list at 160x45 is about 60 KB with its colours; a header line is
#: well under 2 KB.
MOST_PER_TICK = 8_000
#: Give up (and fail) if the app has not drawn this much after the first pass.
LIMIT = 50_000_000


def test_an_idle_app_redraws_the_header_not_the_screen(tmp_path: Path) -> None:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    for name in ("SYNCWATCH_DB", "SYNCWATCH_NOW", "NO_COLOR"):
        env.pop(name, None)
    cmd = [sys.executable, "-c", "import sys; from syncwatch.cli import main; sys.exit(main())"]
    proc = subprocess.Popen(
        [*cmd, "--interval", "3600"],
        stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
    )  # fmt: skip
    os.close(slave)
    out = bytearray()
    ticks: list[tuple[bytes, int]] = []  # (clock reading, bytes written before it)
    try:
        while len(ticks) < 4 and len(out) < LIMIT:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                assert proc.poll() is None, out[-2000:].decode("utf-8", "replace")
                continue
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            start = len(out)
            out += chunk
            if b"last pass" not in out:
                continue  # the first pass (and the rows it brings) is not idle
            for m in CLOCK.finditer(out, max(0, start - 30)):
                if not ticks or m.group(1) != ticks[-1][0]:
                    ticks.append((m.group(1), m.start()))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
        os.close(master)
    assert len(ticks) == 4, f"the header's clock did not tick: {bytes(out[-2000:])!r}"
    # Between the second and the fourth reading nothing but the clock changed.
    per_tick = [b[1] - a[1] for a, b in pairwise(ticks[1:])]
    assert max(per_tick) < MOST_PER_TICK, per_tick
