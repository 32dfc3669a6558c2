"""``syncwatch config``: where the UI's preferences are kept and what they say.

Standard library only until it prints (no database, no Textual): the preferences file is
read with :mod:`syncwatch.preferences`.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from syncwatch.cli.common import out, out_json
from syncwatch.cli.errors import EXIT_OK, EXIT_USAGE, err

if TYPE_CHECKING:
    from syncwatch.cli.args import Subcommands


def add_config_parser(sub: Subcommands) -> None:
    """``config`` and its options."""
    p = sub.add_parser(
        "config",
        help="where the UI's preferences are kept (theme, view, sort, grouping, bell), "
        "and their values",
        description="Prints the preferences file's path and what it says. The UI writes it "
        "when you change the theme, the view, the sort or the grouping; XDG_CONFIG_HOME "
        "moves it. A value not set shows as 'default'.",
    )
    p.add_argument("--json", action="store_true", help="print a JSON object")


def cmd_config(args: argparse.Namespace) -> int:
    """Print the preferences file's path and values; exit 2 when the file is not ours
    (then the values shown are the defaults the UI would use)."""
    from syncwatch.preferences import default_path, load
    from syncwatch.present import safe_text

    path = default_path()
    loaded = load(path)
    values = loaded.preferences.as_dict()
    if args.json:
        out_json(
            {
                "path": str(path),
                "exists": path.exists(),
                "problem": loaded.problem,
                "preferences": values,
            }
        )
    else:
        note = "" if path.exists() else "  (not written yet: the defaults apply)"
        out(f"{safe_text(str(path))}{note}")
        for key, value in values.items():
            shown = (
                "default"
                if value is None
                else ("true" if value else "false")
                if isinstance(value, bool)
                else safe_text(value)
            )
            out(f"  {key:<14} {shown}")
    if loaded.problem is not None:
        err(f"{safe_text(loaded.problem)}; the UI leaves it alone and uses the defaults")
        return EXIT_USAGE
    return EXIT_OK
