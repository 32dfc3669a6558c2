"""How the command line fails: its exit codes, :class:`CliError`, and the one place that
turns a foreseeable failure into a message on stderr and an exit code.

Exit codes: 0 success; 1 a refused action or an unknown id; 2 bad usage, invalid input or an
unusable database. Every message for a foreseeable error goes to stderr without a traceback.
"""

from __future__ import annotations

import sys

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
#: Stopped with Ctrl-C: the shell's convention, 128 + SIGINT.
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """A foreseeable failure with its exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def err(text: str) -> None:
    """A message for the user on stderr, after the program's name."""
    sys.stderr.write(f"syncwatch: {text}\n")


def exit_code(error: BaseException) -> int | None:
    """Tell the user what went wrong and return the exit code; None for a failure nobody
    foresaw (the caller lets it propagate, traceback and all)."""
    if isinstance(error, CliError):
        err(str(error))
        return error.code
    if isinstance(error, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(error, BrokenPipeError):
        # The reader went away (| head): not an error worth a traceback.
        sys.stderr.close()
        return EXIT_OK
    # Imported here, not on top: only a command that fails pays for them.
    from syncwatch.actions import ActionRefused, UnknownIntegration
    from syncwatch.db import StoreError
    from syncwatch.importer import ImportRejected

    if isinstance(error, ImportRejected):
        err("import rejected, nothing was imported:")
        for problem in error.problems:
            sys.stderr.write(f"  {problem}\n")
        return EXIT_USAGE
    if isinstance(error, StoreError):
        err(str(error))
        return EXIT_USAGE
    if isinstance(error, UnknownIntegration | ActionRefused):
        err(str(error))
        return EXIT_REFUSED
    return None
