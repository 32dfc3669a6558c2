"""The parser class, the argument types that several subjects' parsers use, and the range of
every numeric option.

Apart from :mod:`syncwatch.cli.parser` (which imports every subject's module) so that a
subject's module can use them without an import cycle.

Every numeric option has its range in :data:`NUMERIC_OPTIONS`, keyed by command and option,
and :class:`Parser` gives the option that range's type when a subject's module adds it: a
number outside it (``inf``, ``nan``, ``1e-300``, 23 digits) is a one-line usage error, exit 2,
never a traceback or a busy loop. A numeric option missing from the table does not build (the
first test that builds the parser says which), so a new one cannot be added without a range.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

from syncwatch.cli.errors import EXIT_USAGE


def positive_float(text: str) -> float:
    """A number of seconds above 0 (intervals, timeouts, the demo's speed).

    The option's range in :data:`NUMERIC_OPTIONS` replaces it when the option is added.
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number of seconds")
    if value <= 0:
        raise argparse.ArgumentTypeError("the interval must be more than 0 seconds")
    return value


@dataclass(frozen=True, slots=True)
class Range:
    """The values a numeric option takes, both ends included, and why (for the README)."""

    low: float
    high: float
    #: ``int`` (a count, a number), else a float, in ``unit`` (``seconds``, or empty).
    whole: bool = False
    unit: str = ""
    why: str = ""

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{_number(self.low)} to {_number(self.high)}{unit}"

    def parser_type(self, option: str) -> Callable[[str], int | float]:
        """The argparse ``type`` for ``option``: the value, or an error naming the range."""

        def parse(text: str) -> int | float:
            kind = "a whole number" if self.whole else "a number"
            try:
                value: int | float = int(text) if self.whole else float(text)
            except ValueError:
                raise argparse.ArgumentTypeError(
                    f"{option} must be {kind} from {self.describe()}, not {text!r}"
                ) from None
            if not (math.isfinite(value) and self.low <= value <= self.high):
                raise argparse.ArgumentTypeError(
                    f"{option} must be {self.describe()}, not {text!r}"
                )
            return value

        parse.__name__ = option  # argparse names the type in some of its own messages
        return parse


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


#: The fastest repetition any loop may be asked for: 100 a second, never a busy loop.
_FASTEST_S = 0.01
#: 2**63 - 1: the largest integer a database (SQLite, PostgreSQL BIGINT) stores.
_INT64_MAX = 2**63 - 1
#: More rows than any database syncwatch runs on holds.
_ROWS_MAX = 1_000_000_000

#: Every numeric option, by command (``""``: the global options) and option.
NUMERIC_OPTIONS: dict[tuple[str, str], Range] = {
    ("", "--interval"): Range(
        _FASTEST_S,
        86_400,
        unit="seconds",
        why="a pass at most 100 times a second (the test suite runs at 0.05), at least daily",
    ),
    ("evaluator", "--interval"): Range(
        _FASTEST_S,
        86_400,
        unit="seconds",
        why="as the global --interval: 1e-300 was a busy loop, inf a traceback",
    ),
    ("evaluator", "--hook-timeout"): Range(
        0.1,
        3_600,
        unit="seconds",
        why="a hook gets at least a tenth of a second; one that runs for an hour holds up "
        "every transition after it",
    ),
    ("evaluator", "--max-failures"): Range(
        0, 1_000_000, whole=True, why="0 means never give up; more than a million is that too"
    ),
    ("logs", "--limit"): Range(
        1,
        _ROWS_MAX,
        whole=True,
        why="at least one entry (0 or less showed nothing or everything); 23 digits "
        "overflowed SQLite's 64-bit integer",
    ),
    ("events list", "--limit"): Range(1, _ROWS_MAX, whole=True, why="as logs --limit"),
    ("watch", "--since"): Range(
        0,
        _INT64_MAX,
        whole=True,
        why="a transition's sequence number: 0 (from the first) to the largest the database stores",
    ),
    ("watch", "--poll"): Range(
        _FASTEST_S,
        3_600,
        unit="seconds",
        why="at most 100 looks a second (tests use 0.05); an alert an hour late is no alert",
    ),
    ("activity", "--limit"): Range(
        1,
        10_000,
        whole=True,
        why="a page: at least one entry, at most what a screen of pages holds",
    ),
    ("activity", "--poll"): Range(_FASTEST_S, 3_600, unit="seconds", why="as watch --poll"),
    ("pull", "--concurrency"): Range(
        1,
        64,
        whole=True,
        why="Kombo's rate limit; checked by the command itself, which says so in its words",
    ),
    ("receive", "--port"): Range(
        1,
        65_535,
        whole=True,
        why="a TCP port; 0 would listen on a port nobody is told",
    ),
    ("receive", "--body-timeout"): Range(
        0.1,
        3_600,
        unit="seconds",
        why="a webhook body arrives in well under a second; an hour is already generous",
    ),
    ("demo", "--speed"): Range(
        1,
        1_000_000,
        why="real time to a million times faster (the tour's 16 days in 1.4 s); 1e308 "
        "overflowed the simulated clock",
    ),
    ("demo", "--seed"): Range(
        0, _INT64_MAX, whole=True, why="any seed names a run; a 64-bit one fits every tool"
    ),
    ("serve", "--port"): Range(
        1, 65_535, whole=True, why="a TCP port; 0 would listen on a port nobody is told"
    ),
    ("serve", "--max-visitors"): Range(
        1,
        256,
        whole=True,
        why="each visitor is a process of its own (about 100 MB): 256 is more than a "
        "24 GiB machine holds",
    ),
    ("serve", "--idle-timeout"): Range(
        0,
        604_800,
        whole=True,
        unit="seconds",
        why="0: never (a wall display); else closed after up to a week without input",
    ),
}
#: Options whose command checks the range itself (its message and exit code are tested as
#: they are; the parser only makes sure the value is a whole number).
CHECKED_BY_COMMAND = frozenset({("pull", "--concurrency")})
#: The types that make an option numeric (and so in need of a range).
_NUMERIC_TYPES: tuple[object, ...] = (int, float, positive_float)


class Parser(argparse.ArgumentParser):
    """argparse, failing with syncwatch's exit code for bad usage and its name first, and
    giving every numeric option its range from :data:`NUMERIC_OPTIONS`."""

    def error(self, message: str) -> NoReturn:
        # A range's message names its option ("--limit must be 1 to ..."): said once.
        message = re.sub(r"^argument (--[\w-]+): (?=\1 )", "", message)
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"syncwatch: error: {message}\n")

    def add_argument(self, *name_or_flags: str, **kwargs: Any) -> argparse.Action:
        if kwargs.get("type") in _NUMERIC_TYPES:
            command = self.prog.partition(" ")[2]
            option = max(name_or_flags, key=len)
            key = (command, option)
            if key not in NUMERIC_OPTIONS:
                raise TypeError(
                    f"syncwatch {command} {option} is numeric but has no range: add it to "
                    "NUMERIC_OPTIONS in syncwatch/cli/args.py"
                )
            if key not in CHECKED_BY_COMMAND:
                kwargs["type"] = NUMERIC_OPTIONS[key].parser_type(option)
        return super().add_argument(*name_or_flags, **kwargs)


if TYPE_CHECKING:
    #: What ``add_subparsers`` returns: each subject adds its commands to it.
    Subcommands: TypeAlias = argparse._SubParsersAction[Parser]
