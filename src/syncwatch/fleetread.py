"""The fleet's reads with the standard library alone, for ``fleet`` and ``errors`` when a
pass has nothing to do (as :mod:`syncwatch.fastread` serves ``list`` and ``show``).

The same statements as :mod:`syncwatch.db.fleet`, in SQLite's SQL, on a
:class:`~syncwatch.fastread.FastReader` (which decides whether the file may be read this
way at all): what they return is what the ``Store`` path returns, so the commands print
the same bytes either way, without importing SQLAlchemy (about 0.4 s of a 0.5 s budget).
"""

from __future__ import annotations

from datetime import UTC, datetime

from syncwatch.fastread import FastReader, sqlite_time
from syncwatch.fleet import GroupBy
from syncwatch.outages import FAILING_STATES, FailingIntegration
from syncwatch.signatures import SignatureCount
from syncwatch.states import IntegrationState

__all__ = ["FleetReader"]

_FAILING = tuple(s.value for s in FAILING_STATES)
_NOT_ENABLED = (IntegrationState.DELETED.value, IntegrationState.INACTIVE.value)
_COLUMNS = {GroupBy.TOOL: "tool", GroupBy.ORGANIZATION: "organization"}
# Lines of deleted integrations are left out (as in syncwatch.db.fleet).
_SIGNED = (
    "signature IS NOT NULL AND integration_id NOT IN "
    "(SELECT id FROM integration WHERE state = 'DELETED')"
)


def _time(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    if parsed.utcoffset() is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


class FleetReader(FastReader):
    """A :class:`FastReader` that also reads the fleet's roll-up, outage inputs and error
    signatures. Open it with :meth:`FastReader.open` (on the class: ``FleetReader.open``)."""

    def state_counts(self, by: GroupBy) -> list[tuple[str, IntegrationState | None, int]]:
        """As :func:`syncwatch.db.fleet.state_counts`."""
        column = _COLUMNS[by]
        sql = f"SELECT {column}, state, count(*) FROM integration GROUP BY {column}, state"
        return [
            (key, IntegrationState(state) if state is not None else None, n)
            for key, state, n in self._conn.execute(sql)
        ]

    def failing_integrations(self) -> tuple[list[FailingIntegration], dict[str, int]]:
        """As :func:`syncwatch.db.fleet.failing_integrations`."""
        enabled = {
            tool: n
            for tool, n in self._conn.execute(
                "SELECT tool, count(*) FROM integration WHERE state IS NOT NULL "
                "AND state NOT IN (?, ?) GROUP BY tool",
                _NOT_ENABLED,
            )
        }
        failing = [
            FailingIntegration(iid, tool, sig, _time(ended), _time(since) if since else None)
            for iid, tool, sig, ended, since in self._conn.execute(
                "SELECT i.id, i.tool, s.signature, i.last_sync_ended_at, i.state_since "
                "FROM integration AS i LEFT OUTER JOIN sync AS s ON s.id = i.last_sync_id "
                "WHERE i.state IN (?, ?) AND i.last_sync_ended_at IS NOT NULL",
                _FAILING,
            )
        ]
        return failing, enabled

    def error_signatures(self, since: datetime | None = None) -> list[SignatureCount]:
        """As :func:`syncwatch.db.fleet.error_signatures`."""
        sql = (
            "SELECT signature, level, count(*), count(DISTINCT integration_id), min(at), "
            f"max(at) FROM log_entry WHERE {_SIGNED}"
        )
        params: tuple[str, ...] = ()
        if since is not None:
            sql += " AND at >= ?"
            params = (sqlite_time(since),)
        sql += " GROUP BY signature, level"
        found = [
            SignatureCount(sig, level, lines, hit, _time(first), _time(last))
            for sig, level, lines, hit, first, last in self._conn.execute(sql, params)
        ]
        found.sort(key=SignatureCount.worst_first)
        return found
