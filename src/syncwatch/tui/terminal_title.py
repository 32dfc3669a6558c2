"""The terminal window's title (OSC 2): the one place that writes it.

Textual 8 has no public call for the window title, so the app's driver class is wrapped
(:func:`titled_driver`): the wrapper hands each driver it makes to the app's
:class:`TerminalTitle`, which writes through the driver's public ``write``. In headless runs
(``App.run_test``) Textual uses its own headless driver, never wrapped: the title is then
only recorded (:attr:`TerminalTitle.last`), which is what tests read.

On exit the title is cleared (an empty OSC 2) and the terminal asked to pop the title it had
before (XTWINOPS 23, after a push (22) when the app started): xterm and its kin restore the
shell's title; terminals without a title stack (tmux) keep an empty one until the shell
sets its own. See ``docs/attention.md``.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Protocol

from textual.driver import Driver

#: Push the current window title on the terminal's title stack / pop it back (XTWINOPS).
PUSH_TITLE = "\x1b[22;2t"
POP_TITLE = "\x1b[23;2t"


def osc2(title: str) -> str:
    """The escape sequence setting the window title to ``title``, any control character
    dropped (an ESC or BEL inside would end the sequence early)."""
    clean = "".join(ch for ch in title if unicodedata.category(ch) != "Cc")
    return f"\x1b]2;{clean}\x1b\\"


class Writer(Protocol):
    """What the title is written through (a Textual driver)."""

    def write(self, data: str) -> None: ...


class TerminalTitle:
    """The window title: written through the driver when there is a terminal, recorded
    (:attr:`last`) always."""

    def __init__(self) -> None:
        #: The last title set (None: none yet, or cleared on exit).
        self.last: str | None = None
        #: Every title set, in order (what a test or a person may read back).
        self.history: list[str] = []
        self.writer: Writer | None = None

    def attach(self, writer: Writer) -> None:
        """Write through ``writer`` from now on (it starts with the title saved)."""
        self.writer = writer
        writer.write(PUSH_TITLE)
        if self.last is not None:
            writer.write(osc2(self.last))

    def set(self, title: str) -> None:
        """Set the title (nothing is written when it is unchanged)."""
        if title == self.last:
            return
        self.last = title
        self.history.append(title)
        if self.writer is not None:
            self.writer.write(osc2(title))

    def restore(self) -> None:
        """Clear syncwatch's title and give the terminal back the one it had."""
        if self.writer is not None:
            self.writer.write(osc2(""))
            self.writer.write(POP_TITLE)
            self.writer = None
        self.last = None


def titled_driver(base: type[Driver]) -> type[Driver]:
    """``base`` made to hand itself to its app's :class:`TerminalTitle` when the app
    starts, and to give the title back when it stops."""

    class TitledDriver(base):  # type: ignore[valid-type,misc]
        def __init__(self, app: Any, **kwargs: Any) -> None:
            super().__init__(app, **kwargs)
            self.title_owner: TerminalTitle | None = getattr(app, "terminal_title", None)

        def start_application_mode(self) -> None:
            super().start_application_mode()
            # In a browser the page's own <title> says what is served (syncwatch serve).
            if self.title_owner is not None and not self.is_web:
                self.title_owner.attach(self)

        def stop_application_mode(self) -> None:
            if self.title_owner is not None:
                self.title_owner.restore()
            super().stop_application_mode()

    TitledDriver.__name__ = TitledDriver.__qualname__ = f"Titled{base.__name__}"
    return TitledDriver
