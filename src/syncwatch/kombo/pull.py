"""``syncwatch pull``: refresh every known, undeleted integration from the Kombo API.

Each integration's details come from ``general.get_integration_details`` (the SDK's async
method, at most ``concurrency`` requests in flight, retried on 429 and 5xx by
:func:`syncwatch.kombo.remote.call_async`). Results are applied in batches, one write
transaction each, which also re-evaluates what changed so states follow at once.

What Kombo reports is applied as it stands (pull makes syncwatch agree with Kombo):
:func:`upstream_facts` is the mapping, shared with the webhook receiver. A 404 marks the
integration as gone upstream (``upstream_gone_at``) without changing its state: a 404 can
also mean the wrong region or API key, so nothing is deleted on its strength.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from syncwatch.clock import iso, to_utc
from syncwatch.db import Store
from syncwatch.db import kombo as db_kombo
from syncwatch.kombo.apply import upstream_facts
from syncwatch.kombo.remote import (
    KomboCallFailed,
    KomboFailure,
    KomboSettings,
    RetryPolicy,
    call_async,
)
from syncwatch.present import transition_json
from syncwatch.rows import Transition
from syncwatch.states import IntegrationState

#: The reason shown for an integration Kombo reports INACTIVE.
#: Reads may be retried more patiently than interactive actions.
PULL_RETRIES = RetryPolicy(attempts=5, base_delay=0.5, max_delay=10.0, max_retry_after=60.0)

DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 64
BATCH_SIZE = 100

#: The columns :func:`upstream_facts` reads.
FACT_COLUMNS = (
    "enabled",
    "disabled_at",
    "last_reactivated_at",
    "credentials_invalid_at",
    "credentials_updated_at",
    "filters_configured",
)


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of one integration, before and after the pull.

    ``field`` is upstream_status, enabled, credentials_invalid, filters_configured,
    gone_upstream or status (the state shown, as an :class:`IntegrationState`).
    """

    field: str
    before: Any
    after: Any

    @property
    def label(self) -> str:
        return self.field.replace("_", " ")

    def json(self) -> dict[str, Any]:
        before, after = _json_value(self.before), _json_value(self.after)
        return {"field": self.field, "from": before, "to": after}


def _json_value(value: Any) -> Any:
    if isinstance(value, IntegrationState):
        return value.value
    return iso(value) if isinstance(value, datetime) else value


@dataclass(frozen=True, slots=True)
class PullItem:
    """What the pull did to one integration."""

    integration_id: str
    organization: str
    #: changed | unchanged | gone | failed | skipped (deleted or removed meanwhile)
    outcome: str
    changes: tuple[FieldChange, ...] = ()
    error: str | None = None
    retries: int = 0

    def json(self) -> dict[str, Any]:
        return {
            "id": self.integration_id,
            "organization": self.organization,
            "outcome": self.outcome,
            "changes": [c.json() for c in self.changes],
            "error": self.error,
            "retries": self.retries,
        }


OUTCOMES = ("changed", "unchanged", "gone", "failed", "skipped")


@dataclass(slots=True)
class PullReport:
    """The summary of one pull."""

    server: str
    at: datetime
    items: list[PullItem] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    #: Why the pull stopped early (Kombo rejected the API key), if it did.
    aborted: str | None = None

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for item in self.items:
            counts[item.outcome] += 1
        return counts

    @property
    def retries(self) -> int:
        return sum(item.retries for item in self.items)

    def json(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "at": iso(self.at),
            "integrations": len(self.items),
            "counts": self.counts,
            "retries": self.retries,
            "aborted": self.aborted,
            "items": [i.json() for i in self.items if i.outcome != "unchanged"],
            "transitions": [transition_json(t) for t in self.transitions],
        }


# --------------------------------------------------------------------------- fetching


@dataclass(frozen=True, slots=True)
class Fetched:
    """Kombo's answer for one integration: its status, or why there is none."""

    integration_id: str
    status: str | None = None
    setup_status: str | None = None
    failure: KomboFailure | None = None
    retries: int = 0


Sleep = Callable[[float], Awaitable[None]]


async def _fetch_one(
    general: Any, integration_id: str, policy: RetryPolicy, api_key: str, sleep: Sleep
) -> Fetched:
    try:
        res, retries = await call_async(
            lambda: general.get_integration_details_async(integration_id=integration_id),
            policy,
            api_key,
            sleep,
        )
    except KomboCallFailed as err:
        return Fetched(integration_id, failure=err.failure, retries=err.failure.attempts - 1)
    return Fetched(integration_id, res.data.status, res.data.setup_status, retries=retries)


async def _pull(
    store: Store,
    settings: KomboSettings,
    ids: Sequence[str],
    now: datetime,
    report: PullReport,
    *,
    concurrency: int,
    policy: RetryPolicy,
    batch_size: int,
    sleep: Sleep,
) -> None:
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(follow_redirects=True, limits=limits) as http:
        general = settings.sdk(async_client=http).general

        async def fetch(integration_id: str) -> Fetched:
            async with gate:
                return await _fetch_one(general, integration_id, policy, settings.api_key, sleep)

        tasks = [asyncio.create_task(fetch(iid)) for iid in ids]
        batch: list[Fetched] = []
        try:
            for next_done in asyncio.as_completed(tasks):
                fetched = await next_done
                if fetched.failure is not None and fetched.failure.kind == "auth":
                    # Every other call would fail the same way: stop, keep what we have.
                    report.aborted = fetched.failure.message
                    break
                batch.append(fetched)
                if len(batch) >= batch_size:
                    apply_results(store, batch, now, report)
                    batch = []
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if batch:
            apply_results(store, batch, now, report)


def pull(
    store: Store,
    settings: KomboSettings,
    now: datetime,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    policy: RetryPolicy = PULL_RETRIES,
    batch_size: int = BATCH_SIZE,
    sleep: Sleep = asyncio.sleep,
    ids: Iterable[str] | None = None,
) -> PullReport:
    """Refresh every undeleted integration (or just ``ids``) from Kombo and report changes.

    ``sleep`` is what waits between retries (tests pass one that only records the delay).
    """
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ValueError(f"concurrency must be 1 to {MAX_CONCURRENCY}, not {concurrency}")
    now = to_utc(now)
    todo = db_kombo.undeleted_ids(store, ids, now)
    report = PullReport(server=settings.base_url, at=now)
    if todo:
        asyncio.run(
            _pull(
                store,
                settings,
                todo,
                now,
                report,
                concurrency=concurrency,
                policy=policy,
                batch_size=batch_size,
                sleep=sleep,
            )
        )
    report.items.sort(key=lambda i: (OUTCOMES.index(i.outcome), i.integration_id))
    return report


# --------------------------------------------------------------------------- applying

_READ_COLUMNS = (
    "id",
    "organization",
    "deleted_at",
    "upstream_status",
    "upstream_gone_at",
    *FACT_COLUMNS,
)

#: The changed columns the summary shows, and their names there.
_SHOWN = {
    "upstream_status": "upstream_status",
    "enabled": "enabled",
    "credentials_invalid_at": "credentials_invalid",
    "filters_configured": "filters_configured",
    "upstream_gone_at": "gone_upstream",
}


def _changes(current: Mapping[str, Any], values: Mapping[str, Any]) -> list[FieldChange]:
    changes = []
    for column, name in _SHOWN.items():
        if column not in values:
            continue
        before, after = current[column], values[column]
        if column in ("credentials_invalid_at", "upstream_gone_at"):
            # Shown as yes/no (the time is in `show`).
            before, after = before is not None, after is not None
        if column in ("enabled", "filters_configured"):
            before = bool(before)
        changes.append(FieldChange(name, before, after))
    return changes


def apply_results(
    store: Store, results: Sequence[Fetched], now: datetime, report: PullReport
) -> None:
    """Apply one batch of answers in one write transaction, re-evaluating what changed.

    The rows are read again inside the transaction: an integration deleted since it was
    fetched is skipped, and nothing another writer changed meanwhile is written back.
    """
    ids = [r.integration_id for r in results]
    with store.write() as conn:
        current = db_kombo.integration_columns(conn, ids, _READ_COLUMNS)
        updates: dict[str, dict[str, Any]] = {}
        checked: list[str] = []
        items: dict[str, PullItem] = {}
        for res in results:
            iid = res.integration_id
            row = current.get(iid)
            if row is None or row["deleted_at"] is not None:
                org = row["organization"] if row is not None else ""
                items[iid] = PullItem(iid, org, "skipped", error="deleted during the pull")
                continue
            org = row["organization"]
            failure = res.failure
            if failure is not None and failure.kind != "not_found":
                items[iid] = PullItem(
                    iid, org, "failed", error=failure.message, retries=res.retries
                )
                continue
            values: dict[str, Any]
            if failure is not None:
                values = {} if row["upstream_gone_at"] else {"upstream_gone_at": now}
                outcome = "gone"
            else:
                values = upstream_facts(row, res.status, res.setup_status, now)
                if row["upstream_status"] != res.status:
                    values["upstream_status"] = res.status
                if row["upstream_gone_at"] is not None:
                    values["upstream_gone_at"] = None
                checked.append(iid)
                outcome = "changed" if values else "unchanged"
            if values:
                updates[iid] = values
            changes = tuple(_changes(row, values))
            items[iid] = PullItem(iid, org, outcome, changes, None, res.retries)
        if checked:
            db_kombo.mark_checked(conn, checked, now)
        if updates:
            revision = store.next_revision(conn)
            for iid, values in updates.items():
                db_kombo.update_integration(
                    conn, iid, {**values, "dirty": True, "revision": revision}
                )
            evaluation = store.evaluate_ids(conn, list(updates), now)
            for t in evaluation.transitions:
                item = items[t.integration_id]
                state = FieldChange("status", t.from_state, t.to_state)
                items[t.integration_id] = PullItem(
                    item.integration_id,
                    item.organization,
                    "changed" if item.outcome == "unchanged" else item.outcome,
                    (*item.changes, state),
                    item.error,
                    item.retries,
                )
            report.transitions.extend(evaluation.transitions)
    report.items.extend(items.values())
