"""What the UI does differently in a browser (``syncwatch serve``: textual-serve's web driver,
where ``App.is_web`` is true). The one place that knows the driver.

- Copying (OSC 52) reaches xterm.js's clipboard add-on, which hands the text to the
  browser; a browser takes it only from a secure page (https, or this machine), so the
  notice keeps the text on screen to be selected (Shift + drag: the app has the mouse) and
  stays up longer.
- Read-only: the refusal names why (served without ``--allow-actions``), not a flag the
  visitor never typed.
- The bell: syncwatch rings none; xterm.js would make no sound.
- The window title: Textual sets none; the page's ``<title>`` says what is served
  (:meth:`syncwatch.serve.ServeOptions.page_title`).
- A visitor's process whose server has gone (killed outright) quits within a second, so
  that a demo's temporary database is removed and no orphan runs the demo for ever.
"""

from __future__ import annotations

import os
from typing import Any

from textual.app import App

from syncwatch.present import safe_text
from syncwatch.tui.gate import ActionGate
from syncwatch.tui.notices import Notice

#: Why every action is refused in a browser when ``serve`` was not given --allow-actions.
SERVED_READ_ONLY = "served read-only: syncwatch serve without --allow-actions"
#: How long a copy notice stays up in a browser (time to select the text).
COPY_NOTICE_S = 30.0


def copied_notice(text: str, title: str, *, in_browser: bool) -> Notice:
    """What the operator is told after ``text`` was copied (OSC 52). ``text`` is data:
    the caller shows it literally (``markup=False``, made safe)."""
    if not in_browser:
        return Notice(f"{text}\n(copied through the terminal, where it supports OSC 52)", title)
    return Notice(
        f"{text}\n(offered to the browser's clipboard, which takes it only over https or on "
        "this machine; else select the line above with the mouse, holding Shift, and copy "
        "it)",
        title,
        timeout=COPY_NOTICE_S,
    )


def copy_and_tell(app: App[Any], text: str, title: str) -> None:
    """Copy ``text`` (data) through the terminal (OSC 52) and say so, showing it literally:
    the one way ``u`` (a log URL) and ``y`` (an id) copy."""
    app.copy_to_clipboard(text)
    notice = copied_notice(safe_text(text), title, in_browser=app.is_web)
    app.notify(notice.message, title=notice.title, timeout=notice.timeout, markup=False)


def adapt(app: App[Any], gate: ActionGate) -> None:
    """In a browser: word ``gate``'s read-only refusal for it, and quit when the server is
    gone. Nothing in a terminal. Called once the app is mounted (the driver is known)."""
    if not app.is_web:
        return
    gate.read_only_why = SERVED_READ_ONLY
    parent = os.getppid()

    def quit_if_orphaned() -> None:
        if os.getppid() != parent:
            app.exit()

    app.set_interval(1.0, quit_if_orphaned)
