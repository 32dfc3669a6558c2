"""The parser class and the argument types that several subjects' parsers use.

Apart from :mod:`syncwatch.cli.parser` (which imports every subject's module) so that a
subject's module can use them without an import cycle.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import TYPE_CHECKING, NoReturn, TypeAlias

from syncwatch.cli.errors import EXIT_USAGE


class Parser(argparse.ArgumentParser):
    """argparse, failing with syncwatch's exit code for bad usage and its name first."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"syncwatch: error: {message}\n")


def positive_float(text: str) -> float:
    """A number of seconds above 0 (intervals, timeouts, the demo's speed)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number of seconds")
    if value <= 0:
        raise argparse.ArgumentTypeError("the interval must be more than 0 seconds")
    return value


if TYPE_CHECKING:
    #: What ``add_subparsers`` returns: each subject adds its commands to it.
    Subcommands: TypeAlias = argparse._SubParsersAction[Parser]
