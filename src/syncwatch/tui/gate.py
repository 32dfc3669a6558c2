"""The action gate: which operator actions the keys may run on their targets, and why not.

Every decision comes from :func:`syncwatch.actions.why_not`, the one allowed-check the CLI
uses too; the gate adds the UI's own reasons (read-only, nothing highlighted) and caches
the answers, as the footer asks for every key on every cursor move.
"""

from __future__ import annotations

from collections.abc import Sequence

from syncwatch.actions import Action, why_not
from syncwatch.rows import IntegrationRow

#: Allowed actions are kept for up to this many integrations (then forgotten at once).
_CACHE_SIZE = 10_000


class ActionGate:
    """Decides whether an operator action may run on the targets (marked or highlighted
    integrations) and says why not."""

    def __init__(self, *, read_only: bool = False) -> None:
        #: ``--read-only``: every action is refused.
        self.read_only = read_only
        #: Why it is read-only, in the refusal (in a browser: :mod:`.browser` words it).
        self.read_only_why = "--read-only"
        #: Allowed actions per integration, for the row object they were worked out for.
        self._allowed: dict[str, tuple[IntegrationRow, frozenset[Action]]] = {}
        #: The last targets asked about and the actions enabled for them.
        self._enabled_memo: tuple[Sequence[IntegrationRow], frozenset[Action]] | None = None

    def allowed(self, row: IntegrationRow) -> frozenset[Action]:
        """The actions :func:`why_not` allows for ``row`` (worked out once per row object)."""
        cached = self._allowed.get(row.id)
        if cached is not None and cached[0] is row:
            return cached[1]
        allowed = frozenset(a for a in Action if why_not(a, row) is None)
        if len(self._allowed) > _CACHE_SIZE:
            self._allowed.clear()
        self._allowed[row.id] = (row, allowed)
        return allowed

    def enabled(self, targets: Sequence[IntegrationRow]) -> frozenset[Action]:
        """The actions enabled for ``targets``: allowed for at least one, and not read-only.

        Agrees with :meth:`problem` (enabled exactly when it finds none), but is cheap
        enough to ask for every binding each time the footer is brought up to date.
        """
        if self.read_only:
            return frozenset()
        memo = self._enabled_memo
        if (
            memo is not None
            and len(memo[0]) == len(targets)
            and all(a is b for a, b in zip(memo[0], targets, strict=True))
        ):
            return memo[1]
        enabled: frozenset[Action] = frozenset().union(*(self.allowed(r) for r in targets))
        self._enabled_memo = (targets, enabled)
        return enabled

    def problem(self, action: Action, targets: Sequence[IntegrationRow]) -> str | None:
        """Why ``action`` cannot run on ``targets`` (read-only, nothing selected, or refused
        for every one of them), or None. The one place that decides whether a key runs."""
        if self.read_only:
            return (
                f"syncwatch is read-only ({self.read_only_why}): {action.label} and every other "
                "action are disabled."
            )
        if not targets:
            return "No integration is highlighted."
        problems = [why_not(action, row) for row in targets]
        if all(p is not None for p in problems):
            if len(targets) == 1:
                return problems[0]
            return (
                f"{action.label} is not allowed for any of the {len(targets)} marked "
                f"integrations; for example: {problems[0]}"
            )
        return None

    @staticmethod
    def allowed_targets(action: Action, targets: Sequence[IntegrationRow]) -> list[IntegrationRow]:
        """The targets ``action`` is allowed for (what a delete dialog names)."""
        return [r for r in targets if why_not(action, r) is None]
