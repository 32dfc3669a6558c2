"""The operator actions: ``reactivate``, ``deactivate``, ``release-qa``,
``update-credentials``, ``configure-filters`` and ``delete``.

Whether an action is allowed is decided in :mod:`syncwatch.actions`, never here.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from syncwatch.actions import Action
from syncwatch.cli.common import out, require
from syncwatch.cli.errors import EXIT_OK, EXIT_REFUSED, CliError, err
from syncwatch.clock import Clock

if TYPE_CHECKING:
    from syncwatch.cli.args import Subcommands
    from syncwatch.db import Store
    from syncwatch.kombo.remote import KomboRemote

#: The actions' command names and their help, in the order ``--help`` lists them
#: (``syncwatch.actions`` is light: the store is imported when an action runs).
ACTION_HELP = {action.value: action.help for action in Action}
#: The actions that change Kombo too when remote actions are on (unless ``--local``).
_REMOTE_CAPABLE = ("reactivate", "deactivate", "delete")


def _operator_arg(text: str) -> str:
    from syncwatch.actions import BadOperatorName, check_operator

    try:
        return check_operator(text)
    except BadOperatorName as why:
        raise argparse.ArgumentTypeError(str(why)) from None


def add_operator_option(parser: argparse.ArgumentParser) -> None:
    """The global ``--operator NAME``: who the operator actions (here and in the UI) are
    recorded as."""
    parser.add_argument(
        "--operator",
        metavar="NAME",
        type=_operator_arg,
        help="record operator actions as done by NAME (env SYNCWATCH_OPERATOR; "
        "default: your login name)",
    )


def operator_of(args: argparse.Namespace) -> str:
    """Who this command's actions are recorded as (``--operator`` > ``SYNCWATCH_OPERATOR`` >
    the login name); a bad ``SYNCWATCH_OPERATOR`` is a one-line error, exit 2."""
    from syncwatch.actions import BadOperatorName, current_actor

    try:
        return current_actor(getattr(args, "operator", None))
    except BadOperatorName as why:
        raise CliError(f"{why}; nothing changed") from None


def add_action_parsers(sub: Subcommands) -> None:
    """One command per action, each taking one or more ids."""
    for name, description in ACTION_HELP.items():
        p = sub.add_parser(name, help=description, description=description)
        p.add_argument("ids", nargs="+", metavar="ID")
        if name == "delete":
            p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        if name in _REMOTE_CAPABLE:
            p.add_argument(
                "--local",
                action="store_true",
                help="change only syncwatch, not Kombo, even with SYNCWATCH_KOMBO_REMOTE=1",
            )
        p.set_defaults(run=cmd_action)


def cmd_action(store: Store, clock: Clock, args: argparse.Namespace) -> int:
    """Perform the action on each id; say what changed and what was refused, and why."""
    from syncwatch.actions import Action, perform_many
    from syncwatch.db import ClockBehind, ReadOnlyDatabase
    from syncwatch.present import safe_text

    action = Action(args.command)
    actor = operator_of(args)
    remote = _remote_for(action, args)
    try:
        if action is Action.DELETE and not args.yes and not _confirm_delete(store, args, remote):
            return EXIT_REFUSED
        results, refusals, unknown = perform_many(
            store, action, args.ids, clock.now(), actor, remote=remote
        )
    except (ReadOnlyDatabase, ClockBehind) as why:
        # Nothing was written (and Kombo was not asked): say so in one line, exit 2.
        raise CliError(f"{action.value} refused: {why}; nothing changed") from None
    finally:
        if remote is not None:
            remote.close()
    for r in results:
        before = r.state_before.label if r.state_before else "(new)"
        out(
            f"{safe_text(r.integration_id)}: {action.label}: {before} -> {r.state_after.label}. "
            f"{safe_text(r.reason)}"
        )
    for iid in unknown:
        err(f"no integration with id {safe_text(iid)!r}")
    for refusal in refusals:
        err(f"{action.value} refused: {safe_text(refusal.message)}")
    return EXIT_REFUSED if unknown or refusals else EXIT_OK


def _confirm_delete(store: Store, args: argparse.Namespace, remote: KomboRemote | None) -> bool:
    """Ask on the terminal before deleting (never without one); True when confirmed."""
    from syncwatch.present import safe_text

    rows = [require(store, iid) for iid in args.ids]
    if not sys.stdin.isatty():
        raise CliError("delete needs confirmation: pass --yes to delete without asking")
    names = ", ".join(f"{safe_text(r.organization)} ({safe_text(r.id)})" for r in rows)
    where = " in syncwatch and in Kombo" if remote else ""
    sys.stderr.write(
        f"Delete {names}{where}? Its syncs and logs are purged 14 days later; "
        "deletion is final. Type 'yes' to confirm: "
    )
    sys.stderr.flush()
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        err("delete cancelled; nothing changed")
        return False
    return True


def _remote_for(action: Action, args: argparse.Namespace) -> KomboRemote | None:
    """The Kombo side of ``action`` when remote actions are on (and not ``--local``)."""
    from syncwatch.kombo.remote import (
        ENV_API_KEY,
        ENV_REMOTE,
        REMOTE_ACTIONS,
        KomboConfigError,
        remote_from_env,
    )

    if action not in REMOTE_ACTIONS or getattr(args, "local", False):
        return None
    try:
        remote = remote_from_env(os.environ)
    except KomboConfigError as error:
        raise CliError(str(error)) from None
    if remote is None and os.environ.get(ENV_API_KEY):
        err(
            f"note: {ENV_API_KEY} is set but remote actions are off, so Kombo is not changed "
            f"(set {ENV_REMOTE}=1 to {action.value} in Kombo too)"
        )
    return remote
