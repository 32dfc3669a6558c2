"""Shared pieces of the benchmarks: a deterministic data generator, timing and printing.

The generator plans every integration first (its kind, its facts, how many syncs and log
entries it gets), then produces each integration's syncs and log entries on demand, so a
million rows never sit in memory at once. The same plan feeds the evaluator benchmark
(rows inserted straight into the tables) and the importer benchmark (an import file).

Not imported by syncwatch; run the scripts next to it with ``uv run python benchmarks/...``.
"""

from __future__ import annotations

import json
import os
import platform
import random
import sqlite3
import statistics
import string
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

#: The instant every benchmark evaluates at; all generated syncs end before it.
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SEED = 42
#: Typical gap between two syncs of one integration.
SYNC_SPACING = timedelta(hours=3)

# (tool, category, API host, the records it fetches, a field of those records)
_TOOLS: tuple[tuple[str, str, str, str, str], ...] = (
    ("personio", "HRIS", "api.personio.de", "employees", "hris.employees.date_of_birth"),
    ("bamboohr", "HRIS", "api.bamboohr.com", "employees", "hris.employees.work_email"),
    ("workday", "HRIS", "wd3-services1.myworkday.com", "workers", "hris.employees.manager"),
    ("hibob", "HRIS", "api.hibob.com", "people", "hris.employees.home_address"),
    ("successfactors", "HRIS", "api4.successfactors.com", "PerPerson", "hris.employees.ssn"),
    ("deel", "HRIS", "api.letsdeel.com", "contracts", "hris.employments.pay_rate"),
    ("adp_workforce_now", "HRIS", "api.adp.com", "workers", "hris.employees.bank_accounts"),
    ("greenhouse", "ATS", "harvest.greenhouse.io", "candidates", "ats.candidates.phone"),
    ("lever", "ATS", "api.lever.co", "opportunities", "ats.applications.source"),
    ("recruitee", "ATS", "api.recruitee.com", "candidates", "ats.candidates.cv_url"),
    ("teamtailor", "ATS", "api.teamtailor.com", "candidates", "ats.candidates.tags"),
    ("smartrecruiters", "ATS", "api.smartrecruiters.com", "jobs", "ats.jobs.salary"),
    ("codility", "ASSESSMENT", "codility.com", "tests", "assessment.orders.score"),
    ("testgorilla", "ASSESSMENT", "api.testgorilla.com", "assessments", "assessment.results"),
    ("docebo", "LMS", "api.docebo.com", "users", "lms.users.department"),
    ("cornerstone", "LMS", "api.csod.com", "courses", "lms.courses.completion"),
)
_ORG_HEADS = (
    "Acme", "Alpenblick", "Granite Peak", "Eisvogel", "Studio Noord", "Marlowe & Crane",
    "Bakkerij Jansen", "Nordlicht", "Blue Harbor", "Kettle & Pine", "Sunfield", "Oakridge",
    "Polar Bear", "Riverside", "Fjord", "Lindqvist", "Copperleaf", "Mistral", "Tannenhof",
    "Vantage", "Brightwater", "Hollandia", "Greywolf", "Azur", "Silverline", "Maple Street",
)  # fmt: skip
_ORG_TAILS = (
    "GmbH", "AG", "B.V.", "Inc.", "LLC", "Ltd", "SE", "Group", "Holding", "Partners LLP",
    "Reisen GmbH", "Hotels AG", "Logistics Inc.", "Software GmbH", "Health B.V.",
)  # fmt: skip
_ID_CHARS = string.ascii_letters + string.digits

# Shares of the integration kinds; "normal" takes the rest.
_KINDS: tuple[tuple[str, float], ...] = (
    ("development", 0.10),  # half of them idle for more than 14 days: disabled on evaluation
    ("no_filters", 0.04),  # SETUP, never synced
    ("deleted", 0.02),  # deleted in the last 13 days, syncs still there
    ("tombstone", 0.02),  # deleted long ago, already purged: no syncs
    ("auth_failing", 0.03),  # trailing run of authentication failures shorter than 72 h
    ("creds_invalid", 0.015),  # trailing run longer than 72 h
    ("outage", 0.02),  # the last few syncs failed (the tool's API is down)
    ("operator_disabled", 0.015),
)
_FIRST_SYNC = (("SUCCEEDED", 0.97), ("PARTIALLY_FAILED", 0.02), ("FAILED", 0.01))
_LATER_SYNC = (
    ("SUCCEEDED", 0.915),
    ("PARTIALLY_FAILED", 0.05),
    ("FAILED", 0.015),
    ("TIMED_OUT", 0.007),
    ("AUTHENTICATION_FAILED", 0.005),
    ("CANCELLED", 0.003),
)
#: Share of syncing integrations whose newest sync is still running.
_RUNNING_SHARE = 0.03
#: Share of log entries that carry a secret (before redaction).
SECRET_SHARE = 0.02


def _pick(rng: random.Random, table: Sequence[tuple[str, float]]) -> str:
    x = rng.random()
    for name, share in table:
        if x < share:
            return name
        x -= share
    return table[0][0]


# --------------------------------------------------------------------------- the plan


@dataclass(slots=True)
class Plan:
    """One integration: its facts and the shape of its history."""

    id: str
    short: str
    tool: str
    category: str
    host: str
    resource: str
    field_name: str
    organization: str
    kind: str
    environment: str
    created_at: datetime
    filters_configured: bool
    enabled: bool
    last_api_request_at: datetime | None
    credentials_updated_at: datetime | None
    qa_status: str | None
    deleted_at: datetime | None
    #: Set only for tombstones (already purged before the benchmark starts).
    purged_at: datetime | None
    disabled_reason: str | None
    disabled_at: datetime | None
    n_syncs: int = 0
    n_logs: int = 0
    #: Roughly when the newest sync ends.
    anchor: datetime = NOW
    #: The state of the trailing run of syncs, and its length.
    trailing: tuple[str, int] = ("", 0)


def _split(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` exactly (largest remainder)."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    raw = [total * w / whole for w in weights]
    out = [int(r) for r in raw]
    rest = total - sum(out)
    order = sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)
    for i in order[:rest]:
        out[i] += 1
    return out


def plan_integrations(
    rng: random.Random, n: int, n_syncs: int, n_logs: int, now: datetime = NOW
) -> list[Plan]:
    """Plan ``n`` integrations holding ``n_syncs`` syncs and ``n_logs`` log entries in all."""
    kinds = [_pick(rng, (*_KINDS, ("normal", 1.0))) for _ in range(n)]
    sync_weights = [
        0.0 if k in ("no_filters", "tombstone") else rng.uniform(0.5, 1.5) for k in kinds
    ]
    sync_counts = _split(n_syncs, sync_weights)
    log_counts = _split(n_logs, [float(c) for c in sync_counts])
    plans: list[Plan] = []
    seen: set[str] = set()
    for kind, count, logs in zip(kinds, sync_counts, log_counts, strict=True):
        tool, category, host, resource, field_name = rng.choice(_TOOLS)
        short = "".join(rng.choices(_ID_CHARS, k=8))
        while short in seen:
            short = "".join(rng.choices(_ID_CHARS, k=8))
        seen.add(short)
        org = f"{rng.choice(_ORG_HEADS)} {rng.choice(_ORG_TAILS)}"
        deleted_at = purged_at = disabled_at = None
        disabled_reason = None
        enabled = True
        environment = "production"
        # The newest sync ends between 5 min and 3 h 15 min before now (jitter: +-15 min).
        anchor = now - timedelta(minutes=rng.uniform(20, 180))
        trailing: tuple[str, int] = ("", 0)
        last_api = now - timedelta(hours=rng.uniform(0, 48))
        if kind == "development":
            environment = "development"
            idle_days = rng.uniform(0, 13) if rng.random() < 0.5 else rng.uniform(15, 40)
            last_api = now - timedelta(days=idle_days)
        elif kind == "deleted":
            deleted_at = now - timedelta(days=rng.uniform(0.5, 13))
            anchor = deleted_at - timedelta(minutes=rng.uniform(20, 180))
        elif kind == "tombstone":
            deleted_at = now - timedelta(days=rng.uniform(15, 90))
            purged_at = deleted_at + timedelta(days=14, minutes=rng.uniform(0, 60))
        elif kind == "operator_disabled":
            enabled = False
            disabled_reason = "set inactive by an operator"
            disabled_at = now - timedelta(days=rng.uniform(1, 10))
            anchor = disabled_at - timedelta(minutes=rng.uniform(20, 180))
        elif kind == "auth_failing":
            trailing = ("AUTHENTICATION_FAILED", rng.randint(1, 20))  # < 72 h at 3 h apart
        elif kind == "creds_invalid":
            trailing = ("AUTHENTICATION_FAILED", rng.randint(26, 60))
        elif kind == "outage":
            trailing = (rng.choice(("FAILED", "TIMED_OUT")), rng.randint(1, 5))
        span = SYNC_SPACING * max(count - 1, 0)
        if count:
            created_at = anchor - span - timedelta(hours=1, minutes=rng.uniform(5, 2880))
        else:
            created_at = (deleted_at or now) - timedelta(days=rng.uniform(1, 60))
        credentials_updated_at = None
        if count > 4 and kind in ("normal", "creds_invalid") and rng.random() < 0.03:
            # Updated somewhere in the first half of the history.
            credentials_updated_at = anchor - span * rng.uniform(0.5, 0.95)
        plans.append(
            Plan(
                id=f"{tool}:{short}",
                short=short,
                tool=tool,
                category=category,
                host=host,
                resource=resource,
                field_name=field_name,
                organization=org,
                kind=kind,
                environment=environment,
                created_at=created_at,
                filters_configured=kind != "no_filters",
                enabled=enabled,
                last_api_request_at=max(last_api, created_at),
                credentials_updated_at=credentials_updated_at,
                # A few were released from QA by an operator before.
                qa_status="PASSED" if rng.random() < 0.01 else None,
                deleted_at=deleted_at,
                purged_at=purged_at,
                disabled_reason=disabled_reason,
                disabled_at=disabled_at,
                n_syncs=count,
                n_logs=logs,
                anchor=anchor,
                trailing=trailing,
            )
        )
    return plans


# --------------------------------------------------------------------------- syncs and logs


@dataclass(slots=True)
class GenLog:
    at: datetime
    level: str
    message: str
    field: str | None = None


@dataclass(slots=True)
class GenSync:
    id: str
    type: str
    state: str
    started_at: datetime
    ended_at: datetime | None
    logs: list[GenLog] = field(default_factory=list)


def _fake_token(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(_ID_CHARS, k=n))


class Messages:
    """Realistic log text; ``secret`` is what a leaked credential looks like in it.

    Pass ``secret=None`` for real-looking credentials (an import file, before redaction),
    or ``"[REDACTED]"`` for the text as the importer stores it.
    """

    def __init__(self, rng: random.Random, secret: str | None) -> None:
        self.rng = rng
        self.secret = secret

    def _cred(self, kind: str) -> str:
        if self.secret is not None:
            return self.secret
        r = self.rng
        if kind == "jwt":
            return f"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI{_fake_token(r, 24)}.{_fake_token(r, 32)}"
        return _fake_token(r, 32)

    def info(self, p: Plan, n: int) -> str:
        r = self.rng
        x = r.random()
        if x < 0.35:
            pages = r.randint(1, 60)
            return (
                f"Fetched {r.randint(10, 60000):,} {p.resource} from GET /v1/{p.resource} "
                f"(page {pages}/{pages})"
            )
        if x < 0.60:
            return (
                f"Delta sync: {r.randint(0, 40)} {p.resource} changed since the previous sync "
                f"(GET /v1/{p.resource}, 1 page)"
            )
        if x < 0.85:
            return (
                f"Sync finished: {r.randint(0, 9)} created, {r.randint(0, 80)} updated, "
                f"{r.randint(0, 3)} deleted"
            )
        if x < 0.95:
            # Trigger words without a secret: the redactor must look and leave them alone.
            return f"Refreshing the access token for {p.host} (expires in {r.randint(5, 60)} min)"
        return f"Follow-up request {n}: GET https://{p.host}/v1/{p.resource}?page={n} took 1.{n}s"

    def warning(self, p: Plan) -> str:
        r = self.rng
        x = r.random()
        if x < 0.5:
            total = r.randint(50, 5000)
            return (
                f"Skipped {r.randint(1, 20)} of {total:,} {p.resource}: 404 Not Found on "
                f"GET /v1/{p.resource}/{{id}} (deleted during the sync)"
            )
        if x < 0.8:
            return f"Could not fetch field {p.field_name}: permission missing"
        return (
            f"Retrying GET /v1/{p.resource} after 502 Bad Gateway (attempt {r.randint(2, 4)} of 5)"
        )

    def error(self, p: Plan, state: str) -> str:
        r = self.rng
        if state == "AUTHENTICATION_FAILED":
            return f"401 Unauthorized: {p.tool} API token rejected (token revoked or expired)"
        if state == "TIMED_OUT":
            return f"Sync timed out after {r.randint(2, 6)} h while paging GET /v1/{p.resource}"
        if r.random() < 0.5:
            return (
                f"{p.tool} API returned 503 Service Unavailable on GET /v1/{p.resource} "
                "(tool downtime)"
            )
        return f"Missing permission: the API user cannot read {p.field_name}"

    def secret_line(self, p: Plan, level: str) -> str:
        """A line with a leaked credential in it."""
        r = self.rng
        x = r.random()
        if x < 0.4:
            return (
                f"Request failed: POST https://{p.host}/oauth/token with headers "
                f"{{'Authorization': 'Bearer {self._cred('jwt')}'}} returned 401"
            )
        if x < 0.7:
            return (
                f"GET https://{p.host}/v1/{p.resource}?api_key={self._cred('key')}&page="
                f"{r.randint(1, 40)} returned 429 Too Many Requests ({level.lower()})"
            )
        if x < 0.85:
            return f"Token refresh: client_id=kombo client_secret={self._cred('key')} rejected"
        return f'Webhook payload {{"event": "sync", "token": "{self._cred("key")}"}} not delivered'


_ISSUE_LEVEL = {
    "PARTIALLY_FAILED": "WARNING",
    "FAILED": "ERROR",
    "TIMED_OUT": "ERROR",
    "AUTHENTICATION_FAILED": "ERROR",
}


def generate_syncs(rng: random.Random, p: Plan, msgs: Messages) -> list[GenSync]:
    """The syncs of one integration, oldest first, with exactly ``p.n_logs`` log entries."""
    n = p.n_syncs
    if n == 0:
        return []
    trail_state, trail_len = p.trailing
    running_last = p.deleted_at is None and p.enabled and rng.random() < _RUNNING_SHARE
    syncs: list[GenSync] = []
    for k in range(n):
        back = n - 1 - k  # 0 for the newest
        if back < trail_len:
            state = trail_state
        elif k == 0:
            state = _pick(rng, _FIRST_SYNC)
        else:
            state = _pick(rng, _LATER_SYNC)
        full = k == 0 or rng.random() < 0.05
        duration = timedelta(minutes=rng.uniform(10, 45) if full else rng.uniform(1, 12))
        ended = p.anchor - SYNC_SPACING * back + timedelta(minutes=rng.uniform(-15, 15))
        if state == "TIMED_OUT":
            duration = timedelta(hours=2)
        started = ended - duration
        if back == 0 and running_last:
            state, ended = "RUNNING", None
        syncs.append(
            GenSync(
                id=f"sync_{p.short}_{k:05d}",
                type="FULL" if full else "DELTA",
                state=state,
                started_at=started,
                ended_at=ended,
            )
        )
    # One warning or error for each sync that needs it, then the rest spread at random.
    budget = p.n_logs
    wanted: list[list[str]] = [[] for _ in syncs]
    for i, s in enumerate(syncs):
        level = _ISSUE_LEVEL.get(s.state)
        if level and budget:
            wanted[i].append(level)
            budget -= 1
    for _ in range(budget):
        i = rng.randrange(n)
        s = syncs[i]
        x = rng.random()
        if s.state == "PARTIALLY_FAILED" and x < 0.4:
            wanted[i].append("WARNING")
        elif s.state in ("FAILED", "TIMED_OUT") and x < 0.3:
            wanted[i].append("ERROR" if x < 0.1 else "WARNING")
        else:
            wanted[i].append("INFO")
    for s, levels in zip(syncs, wanted, strict=True):
        if not levels:
            continue
        end = s.ended_at or NOW
        step = (end - s.started_at) / (len(levels) + 1)
        # Issues first, then the progress lines in order: INFO lines close the sync.
        rng.shuffle(levels)
        for j, level in enumerate(levels, 1):
            at = s.started_at + step * j
            if rng.random() < SECRET_SHARE:
                s.logs.append(GenLog(at, level, msgs.secret_line(p, level)))
            elif level == "INFO":
                s.logs.append(GenLog(at, level, msgs.info(p, j)))
            elif level == "WARNING":
                w = msgs.warning(p)
                s.logs.append(GenLog(at, level, w, p.field_name if "field" in w else None))
            else:
                s.logs.append(GenLog(at, level, msgs.error(p, s.state)))
    return syncs


def sync_counts(logs: Sequence[GenLog], ids: Sequence[str]) -> tuple[int, int, str | None]:
    """Warnings, errors and headline as the importer derives them (first error, else warning)."""
    warnings = errors = 0
    first: dict[str, tuple[datetime, str, str]] = {}
    for log, lid in zip(logs, ids, strict=True):
        if log.level == "WARNING":
            warnings += 1
        elif log.level == "ERROR":
            errors += 1
        else:
            continue
        key = (log.at, lid, log.message)
        if log.level not in first or key < first[log.level]:
            first[log.level] = key
    pick = first.get("ERROR") or first.get("WARNING")
    return warnings, errors, pick[2] if pick else None


def sync_and_log_rows(
    integration_id: str, syncs: Sequence[GenSync], log_id: Callable[[str, int], str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``sync`` and ``log_entry`` rows of one integration's generated syncs, with
    ``warnings``/``errors``/``headline`` derived as the importer derives them;
    ``log_id(sync_id, j)`` names the j-th log entry of a sync."""
    sync_rows: list[dict[str, Any]] = []
    log_rows: list[dict[str, Any]] = []
    for s in syncs:
        ids = [log_id(s.id, j) for j in range(len(s.logs))]
        warnings, errors, headline = sync_counts(s.logs, ids)
        sync_rows.append(
            {
                "id": s.id,
                "integration_id": integration_id,
                "type": s.type,
                "state": s.state,
                "started_at": s.started_at,
                "ended_at": s.ended_at,
                "warnings": warnings,
                "errors": errors,
                "headline": headline,
            }
        )
        log_rows += [
            {
                "id": lid,
                "sync_id": s.id,
                "integration_id": integration_id,
                "at": log.at,
                "level": log.level,
                "message": log.message,
                "field": log.field,
            }
            for lid, log in zip(ids, s.logs, strict=True)
        ]
    return sync_rows, log_rows


def integration_row(p: Plan) -> dict[str, Any]:
    """The integrations table row of a planned integration, not evaluated yet (dirty)."""
    return {
        "id": p.id,
        "tool": p.tool,
        "category": p.category,
        "organization": p.organization,
        "environment": p.environment,
        "created_at": p.created_at,
        "enabled": p.enabled,
        "filters_configured": p.filters_configured,
        "last_api_request_at": p.last_api_request_at,
        "last_reactivated_at": None,
        "credentials_updated_at": p.credentials_updated_at,
        "deleted_at": p.deleted_at,
        "qa_status": p.qa_status,
        "credentials_invalid_at": None,
        "disabled_reason": p.disabled_reason,
        "disabled_at": p.disabled_at,
        "purged_at": p.purged_at,
        "state": None,
        "state_reason": None,
        "state_since": None,
        "evaluated_at": None,
        "last_sync_id": None,
        "last_sync_state": None,
        "last_sync_ended_at": None,
        "last_sync_warnings": 0,
        "last_sync_errors": 0,
        "dirty": True,
        "next_due_at": None,
        "revision": 1,
    }


# --------------------------------------------------------------------------- measuring


@dataclass(frozen=True, slots=True)
class Stats:
    """Wall times of repeated runs, in milliseconds."""

    runs_ms: tuple[float, ...]

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Stats:
        return cls(tuple(s * 1000.0 for s in seconds))

    @property
    def median(self) -> float:
        return statistics.median(self.runs_ms)

    @property
    def min(self) -> float:
        return min(self.runs_ms)

    @property
    def max(self) -> float:
        return max(self.runs_ms)

    def as_json(self) -> dict[str, Any]:
        return {
            "median_ms": round(self.median, 3),
            "min_ms": round(self.min, 3),
            "max_ms": round(self.max, 3),
            "runs_ms": [round(x, 3) for x in self.runs_ms],
        }


def source_info() -> dict[str, Any]:
    """The commit measured, and the files under src/ that differ from it."""
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", root, *args], capture_output=True, text=True, check=False
        )
        return done.stdout if done.returncode == 0 else ""

    changed = git("status", "--porcelain", "--", "src")
    return {
        "commit": git("rev-parse", "--short", "HEAD").strip() or None,
        "src_changes": [line[3:] for line in changed.splitlines()],
    }


def machine_info() -> dict[str, Any]:
    import sqlalchemy

    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        # Other work on the machine inflates wall times: the load says how much there was.
        "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "source": source_info(),
    }


def progress(text: str) -> None:
    """Progress goes to stderr, so ``--json`` output stays one object on stdout."""
    print(f"  {text}", file=sys.stderr, flush=True)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain aligned table: the first column left-aligned, the rest right-aligned."""
    cells = [[str(h) for h in headers], *[[_cell(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(r: Sequence[str]) -> str:
        parts = [
            r[0].ljust(widths[0]),
            *(c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)),
        ]
        return "  ".join(parts).rstrip()

    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for r in cells[1:]:
        print(line(r))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def dump_json(obj: dict[str, Any]) -> None:
    json.dump(obj, sys.stdout, indent=2)
    sys.stdout.write("\n")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``fn`` once; return (seconds, its result)."""
    import time

    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def batched(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
