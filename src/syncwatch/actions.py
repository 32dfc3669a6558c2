"""Operator actions: the one allowed-check, the effect, re-evaluation and the audit log.

Every front end (the command line, the terminal UI) calls :func:`perform` and
:func:`why_not`; neither decides on its own whether an action is allowed.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from syncwatch.clock import to_utc
from syncwatch.evaluator import OPERATOR_INACTIVE_REASON
from syncwatch.rows import IntegrationRow, Transition
from syncwatch.states import IntegrationState, QaStatus, SyncState
from syncwatch.timefmt import fmt_time

if TYPE_CHECKING:
    # The store (SQLAlchemy) is imported when an action runs, not with the action names
    # every screen and command uses: the UI's first screen and --help stay light.
    from syncwatch.db import Store


class Action(StrEnum):
    """The operator actions, by their command-line names."""

    REACTIVATE = "reactivate"
    DEACTIVATE = "deactivate"
    RELEASE_QA = "release-qa"
    UPDATE_CREDENTIALS = "update-credentials"
    CONFIGURE_FILTERS = "configure-filters"
    DELETE = "delete"

    @property
    def label(self) -> str:
        return _TITLES[self]

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]

    @property
    def help(self) -> str:
        """The command line's help: the action's one name, then what it does."""
        text = _DESCRIPTIONS[self]
        return f"{_TITLES[self]}: {text[:1].lower()}{text[1:]}"


_TITLES = {
    Action.REACTIVATE: "Reactivate",
    Action.DEACTIVATE: "Deactivate",
    Action.RELEASE_QA: "Release from QA",
    Action.UPDATE_CREDENTIALS: "Update credentials",
    Action.CONFIGURE_FILTERS: "Configure filters",
    Action.DELETE: "Delete",
}
_DESCRIPTIONS = {
    Action.REACTIVATE: "Enable automatic syncs again (counts as activity)",
    Action.DEACTIVATE: "Stop automatic syncs (set inactive by an operator)",
    Action.RELEASE_QA: "End the quality-assurance hold its first sync's issues put it on",
    Action.UPDATE_CREDENTIALS: "Record new credentials (clears invalid credentials, resumes syncs)",
    Action.CONFIGURE_FILTERS: "Mark filters as configured so syncing can start",
    Action.DELETE: "Delete the integration; its data is purged 14 days later",
}

#: The action that takes the next step shown for a state, if one does.
NEXT_ACTION: dict[IntegrationState, Action] = {
    IntegrationState.AUTHENTICATION_FAILING: Action.UPDATE_CREDENTIALS,
    IntegrationState.CREDENTIALS_INVALID: Action.UPDATE_CREDENTIALS,
    IntegrationState.QUALITY_ASSURANCE: Action.RELEASE_QA,
    IntegrationState.SETUP: Action.CONFIGURE_FILTERS,
    IntegrationState.INACTIVE: Action.REACTIVATE,
}


#: The states that are about authentication: updating the credentials is their fix.
AUTH_STATES = frozenset(
    {IntegrationState.AUTHENTICATION_FAILING, IntegrationState.CREDENTIALS_INVALID}
)


def credentials_failing(row: IntegrationRow) -> bool:
    """Whether the credentials do not work, whatever state shows first (a QA hold of a
    first sync that failed on authentication, Inactive): invalid, or the last sync failed
    on authentication after the last credentials update.

    When this is False, *update credentials* fixes nothing: it only makes the evaluator
    count syncs from now on, so a state that comes from the last sync (Failing, Warnings)
    shows Active until the next sync. The UI asks first then (docs/keys.md)."""
    if row.state in AUTH_STATES or row.credentials_invalid_at is not None:
        return True
    ended = row.last_sync_ended_at
    return (
        row.last_sync_state is SyncState.AUTHENTICATION_FAILED
        and ended is not None
        and (row.credentials_updated_at is None or ended > row.credentials_updated_at)
    )


class ActionRefused(Exception):
    """The action is not allowed for this integration; nothing changed."""


class RemoteRefused(Exception):
    """The remote side (Kombo) did not accept the action; nothing changed locally."""


#: Called with (action, integration) before the local write, for each allowed integration;
#: raises :class:`RemoteRefused` to leave that integration unchanged. The Kombo side is
#: :class:`syncwatch.kombo.remote.KomboRemote`.
RemoteCall = Callable[["Action", IntegrationRow], None]


class UnknownIntegration(LookupError):
    """No integration has this id."""

    def __init__(self, integration_id: str) -> None:
        self.integration_id = integration_id
        super().__init__(f"no integration with id {integration_id!r}")


def why_not(action: Action, row: IntegrationRow, now: datetime | None = None) -> str | None:
    """Why ``action`` is not allowed for ``row`` at ``now``, or ``None`` if it is.

    Without ``now``, as of the row's last evaluation. A deletion dated after ``now`` has not
    happened yet: until then every action is allowed (``delete`` brings it forward).
    """
    name = f"{row.organization} ({row.id})"
    deleted = row.facts.deleted_by(now) if now is not None else row.deleted
    if deleted and row.deleted_at is not None:
        return (
            f"{name} was deleted {fmt_time(row.deleted_at)}; deletion is final, "
            "so no action can change it."
        )
    if action is Action.REACTIVATE and row.enabled:
        return f"{name} is already enabled; only an inactive integration can be reactivated."
    if action is Action.DEACTIVATE and not row.enabled:
        return f"{name} is already inactive."
    if action is Action.RELEASE_QA and row.qa_status is not QaStatus.FAILED:
        status = (row.qa_status or QaStatus.PENDING).value
        return f"{name} is not held in quality assurance (qa_status is {status})."
    if action is Action.CONFIGURE_FILTERS and row.filters_configured:
        return f"{name} already has filters configured."
    return None


def _effect(action: Action, now: datetime) -> dict[str, Any]:
    if action is Action.REACTIVATE:
        return {
            "enabled": True,
            "last_reactivated_at": now,
            "disabled_reason": None,
            "disabled_at": None,
        }
    if action is Action.DEACTIVATE:
        return {"enabled": False, "disabled_reason": OPERATOR_INACTIVE_REASON, "disabled_at": now}
    if action is Action.RELEASE_QA:
        return {"qa_status": QaStatus.PASSED.value}
    if action is Action.UPDATE_CREDENTIALS:
        return {"credentials_invalid_at": None, "credentials_updated_at": now}
    if action is Action.CONFIGURE_FILTERS:
        return {"filters_configured": True}
    return {"deleted_at": now}


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What an applied action did."""

    integration_id: str
    action: Action
    state_before: IntegrationState | None
    state_after: IntegrationState
    reason: str
    transition: Transition | None
    #: The time it was applied at: ``now``, or the last stored evaluation's time when ``now``
    #: was a little behind it (see :func:`syncwatch.db.actions.apply_action`).
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    integration_id: str
    message: str


#: The environment variable naming the operator (after ``--operator``, before the login).
OPERATOR_ENV = "SYNCWATCH_OPERATOR"
#: Characters of an operator's name: a name, not a paragraph.
OPERATOR_LIMIT = 200
#: The actor of an action when nobody can be named (no option, no variable, no login).
UNKNOWN_ACTOR = "unknown"


class BadOperatorName(ValueError):
    """``--operator`` or ``SYNCWATCH_OPERATOR`` is not a name: nothing is done."""


def check_operator(name: str, source: str = "--operator") -> str:
    """``name`` stripped, or :class:`BadOperatorName` saying why (``source`` names where it
    came from): empty, longer than :data:`OPERATOR_LIMIT`, or holding a control character
    (a name is one line; whatever is stored is still shown through ``safe_text``)."""
    name = name.strip()
    if not name:
        raise BadOperatorName(f"{source} is empty: give a name, or leave it out")
    if len(name) > OPERATOR_LIMIT:
        raise BadOperatorName(
            f"{source} is {len(name):,} characters long; a name has at most {OPERATOR_LIMIT}"
        )
    if any(not ch.isprintable() for ch in name):
        raise BadOperatorName(f"{source} holds a control or invisible character; give a plain name")
    return name


def current_actor(operator: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """Who an action is recorded as: ``operator`` (the ``--operator`` option), else
    :data:`OPERATOR_ENV` (set and not blank), else the login name, else ``unknown``.

    Raises :class:`BadOperatorName` for a name given that is not one.
    """
    if operator is not None:
        return check_operator(operator)
    named = (os.environ if env is None else env).get(OPERATOR_ENV)
    if named is not None and named.strip():
        return check_operator(named, OPERATOR_ENV)
    try:
        login = getpass.getuser()
    except Exception:  # no login name (a container without a passwd entry): still act
        return UNKNOWN_ACTOR
    return login.strip() or UNKNOWN_ACTOR


def perform(
    store: Store,
    action: Action,
    integration_id: str,
    now: datetime,
    actor: str | None = None,
    remote: RemoteCall | None = None,
) -> ActionResult:
    """Apply one action, re-evaluate the integration at once, and audit it.

    Raises :class:`UnknownIntegration` or :class:`ActionRefused` (nothing changed).
    """
    results, refusals, unknown = perform_many(
        store, action, [integration_id], now, actor, remote=remote
    )
    if unknown:
        raise UnknownIntegration(integration_id)
    if refusals:
        raise ActionRefused(refusals[0].message)
    return results[0]


def perform_many(
    store: Store,
    action: Action,
    integration_ids: Sequence[str],
    now: datetime,
    actor: str | None = None,
    remote: RemoteCall | None = None,
) -> tuple[list[ActionResult], list[Refusal], list[str]]:
    """Apply one action to several integrations in one transaction.

    Each integration is checked on its own: refused ones are reported and left unchanged.
    With ``remote``, each allowed integration is first changed remotely (outside the write
    lock: it is network I/O); one the remote side refuses is reported and left unchanged.
    Returns (applied, refused, unknown ids).
    """
    now = to_utc(now)
    # Who, before anything happens anywhere (a bad name changes nothing, Kombo included).
    # Stored redacted, as every name from outside is (a token pasted as a name).
    from syncwatch.redact import redact

    who = redact(actor or current_actor())
    remote_refusals: list[Refusal] = []
    if remote is not None:
        # A read-only database or a clock behind would refuse the local write: find out
        # before Kombo is changed.
        store.check_writable(now)
        integration_ids, remote_refusals = _call_remote(store, action, integration_ids, remote, now)
    from syncwatch.db.actions import apply_action

    done = apply_action(
        store,
        action.value,
        integration_ids,
        check=lambda row, at: why_not(action, row, at),
        values=lambda at: _effect(action, at),
        cancel_running=action is Action.DELETE,
        now=now,
        actor=who,
    )
    results: list[ActionResult] = []
    for a in done.applied:
        assert a.after.state is not None  # just evaluated
        results.append(
            ActionResult(
                a.after.id,
                action,
                a.before.state,
                a.after.state,
                a.after.state_reason or "",
                a.transition,
                done.at,
            )
        )
    refusals = [*remote_refusals, *(Refusal(iid, why) for iid, why in done.refused)]
    return results, refusals, done.unknown


def _call_remote(
    store: Store,
    action: Action,
    integration_ids: Sequence[str],
    remote: RemoteCall,
    now: datetime,
) -> tuple[list[str], list[Refusal]]:
    """Call ``remote`` for each allowed integration; keep the ids it accepted (and those the
    transaction will report as unknown or refused), and the remote refusals."""
    keep: list[str] = []
    refused: list[Refusal] = []
    for iid in dict.fromkeys(integration_ids):
        row = store.get(iid)
        if row is not None and why_not(action, row, now) is None:
            try:
                remote(action, row)
            except RemoteRefused as err:
                refused.append(Refusal(iid, str(err)))
                continue
        keep.append(iid)
    return keep, refused


def next_step(state: IntegrationState, integration_id: str = "ID", key: str | None = None) -> str:
    """The next step for a state, naming the command (or, in the UI, the key) that takes it."""
    text = state.info.next_step
    action = NEXT_ACTION.get(state)
    if action is None:
        return text
    hint = f"press {key}" if key else f"syncwatch {action.value} {integration_id}"
    return f"{text.rstrip('.')} ({hint})."
