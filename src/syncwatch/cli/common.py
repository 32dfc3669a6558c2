"""What every command shares: the clock, the database, and writing to the terminal."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syncwatch.cli.errors import EXIT_REFUSED, CliError
from syncwatch.clock import Clock, FixedClock, SystemClock, parse_instant

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from syncwatch.db import Store
    from syncwatch.fastread import FastReader
    from syncwatch.rows import IntegrationRow, Transition
    from syncwatch.states import IntegrationState

#: A command: what it runs against, the clock it acts at, its parsed arguments; returns the
#: exit code.
Command = Callable[["Store", Clock, argparse.Namespace], int]


# --------------------------------------------------------------------------- context

#: What a command run from the stored rows returns once it has read them: printing them
#: (which reads nothing more), giving the exit code.
Printer = Callable[[], int]


def default_db_path() -> Path:
    """The SQLite file used when neither --db nor SYNCWATCH_DB is given."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("syncwatch", appauthor=False)) / "syncwatch.db"


def open_store(db: str | None, clock: Clock) -> Store:
    """Open the database; on first use the default one is filled with the sample data."""
    from syncwatch.db import Store
    from syncwatch.importer import load_sample

    target = db or os.environ.get("SYNCWATCH_DB") or None
    if target:
        return Store.open(target)
    path = default_db_path()
    fresh = not path.exists()
    store = Store.open(path)
    if fresh:
        try:
            load_sample(store, clock.now())
        except BaseException:
            store.close()
            path.unlink(missing_ok=True)
            raise
    return store


def make_clock(now: datetime | None) -> Clock:
    """The clock commands act at: ``--now``, else ``SYNCWATCH_NOW``, else the system's."""
    if now is not None:
        return FixedClock(now)
    env = os.environ.get("SYNCWATCH_NOW")
    if env:
        try:
            return FixedClock(parse_instant(env))
        except ValueError as err:
            raise CliError(f"SYNCWATCH_NOW: {err}") from None
    return SystemClock()


def require(source: Store | FastReader, integration_id: str) -> IntegrationRow:
    """The integration with this id, or a refusal naming the id (exit 1)."""
    row = source.get(integration_id)
    if row is None:
        raise CliError(f"no integration with id {integration_id!r}", EXIT_REFUSED)
    return row


# --------------------------------------------------------------------------- output


def out(text: str = "") -> None:
    """One line on stdout."""
    sys.stdout.write(text + "\n")


def out_json(value: Any) -> None:
    """``value`` as JSON on stdout (a list of objects one a line): the data exact, and
    nothing in it a terminal would act on (:func:`~syncwatch.present.safe_json`)."""
    from syncwatch.present import safe_json

    sys.stdout.write(safe_json(value) + "\n")


def print_transitions(transitions: Iterable[Transition]) -> None:
    """Each transition on its own line, as ``evaluate`` and ``import`` print them."""
    from syncwatch.present import safe_text, transition_line

    for t in transitions:
        out(safe_text(transition_line(t)))


def console(*, soft_wrap: bool = False) -> Console:
    """A Rich console for tables and coloured text on stdout."""
    from rich.console import Console

    # Piped output is not cut to 80 columns: scripts and pagers get whole lines.
    width = None if sys.stdout.isatty() else 250
    return Console(highlight=False, soft_wrap=soft_wrap, width=width)


def state_text(state: IntegrationState | None) -> Text:
    """A state as glyph and label in its colour (``?`` before the first evaluation)."""
    from rich.text import Text

    from syncwatch.present import state_text as words

    if state is None:
        return Text("?")
    return Text(words(state), style=state.info.plain_colour)
